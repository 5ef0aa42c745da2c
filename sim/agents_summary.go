package sim

import (
	"strconv"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// doneSummary draws (from its own stream, so that other draws do not
// move) whether an agent's gt_done carries a summary, and returns it: a
// text unique in the run. Nothing is drawn while Work.DoneSummary is 0.
func (w *World) doneSummary(agentID string) string {
	if w.cfg.Work.DoneSummary == 0 {
		return ""
	}
	if !w.src.Stream("work/done-summary").Bool(w.cfg.Work.DoneSummary) {
		return ""
	}
	w.summaries++
	return "Work summary " + strconv.Itoa(w.summaries) + " from " + agentID
}

// doneFields are the trace fields of a gt_done RPC (the summary only when
// one is sent, so that runs without summaries keep their traces).
func (w *World) doneFields(in model.AgentDoneInput, agentID string) []des.Field {
	fs := []des.Field{des.F("agent", agentID), des.F("branch", in.Branch), des.F("pr", in.PRURL)}
	if in.Summary != "" {
		fs = append(fs, des.F("summary", in.Summary))
	}
	return fs
}

package scenarios

import (
	"fmt"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
)

// PropDoneRecord names the record an agent's gt_done writes.
const PropDoneRecord = "safety/gt-done-record"

// doneRecordProp: each gt_done the drain applies writes what the spec
// promises for the agent's role and hook (model.md §4.18, with the
// helpers it calls: §4.15 submit, §4.16 PR URL, §4.17 review result,
// §4.10 unhook), judged on the rows just before and just after that one
// application, from the call's own arguments (branch, PR URL):
//
//   - an unhooked agent that is not a refinery, or a refinery with no open
//     merge request assigned to it, writes nothing (no bead event, no bead);
//   - an unhooked refinery, on its most recently updated non-terminal merge
//     request assigned to it (any of those tied for most recent): with an
//     https PR URL, the URL is on the MR's review row and in its metadata
//     and the MR is in progress; with another URL the MR failed; without a
//     URL the MR failed and a new high-priority escalation names the MR
//     (source_bead_id), the refinery and the kind refinery_unhooked_done —
//     a human is told; the refinery's own status is left as it was;
//   - a hooked agent whose hook is a patrol's triage batch, a rework, a PR
//     fix-up, a PR conflict or a PR feedback bead closes it (unless it was
//     already terminal) and is unhooked;
//   - a hooked refinery: with an https PR URL the URL is on the review row
//     and in the metadata, the MR is in progress and a pr_created event
//     carries the URL; with another URL the MR failed and a
//     pr_creation_failed event is on it; without a URL the MR is closed
//     (merged), a review_completed "merged" event is on its source, the
//     source is closed in this same operation (unless it was already
//     terminal) and so is every other merge request tracking it; in every
//     case the refinery ends unhooked and idle;
//   - a hooked polecat submits its hook: one new merge request created by
//     it, tracking the hook, titled after the branch, with the branch and
//     the PR URL (or none) on its review row and the hook and agent in its
//     metadata (the PR URL too when given); a review_submitted event on the
//     hook carries the branch; the polecat is unhooked; the hook is in
//     review unless it was already terminal.
//
// Fields the spec leaves alone for a path are not judged.
type doneRecordProp struct{ judged int }

func (p *doneRecordProp) op(c *checker, o *opView) {
	if o.ev.Type != model.EventAgentDone || !o.ev.AgentID.Valid {
		return
	}
	id := o.ev.AgentID.String
	a, ok := o.before.agents[id]
	if !ok {
		return // production refuses a gt_done of an unknown agent
	}
	str := func(k string) string { s, _ := o.ev.Payload[k].(string); return s }
	branch, url := str("branch"), str("pr_url")
	p.judged++
	bad := func(entity, format string, args ...any) {
		c.opViolation(o, PropDoneRecord, entity, "gt_done of %s %s (hook %q, branch %q, pr_url %q): %s",
			a["role"], short(id), short(a["current_hook_bead_id"]), branch, url, fmt.Sprintf(format, args...))
	}
	after := o.after.agents[id]
	hook := a["current_hook_bead_id"]
	if hook == "" {
		p.unhooked(o, a, id, url, bad)
		return
	}
	hb, ok := o.before.beads[hook]
	if !ok {
		return
	}
	if after["current_hook_bead_id"] != "" {
		bad(id, "the agent is still hooked to %s", short(after["current_hook_bead_id"]))
	}
	side := hb.hasLabel(model.LabelTriage) && hb["created_by"] == "patrol" || hb.hasLabel(model.LabelRework) ||
		hb.hasLabel(model.LabelPRFixup) || hb.hasLabel(model.LabelPRConflict) || hb.hasLabel(model.LabelPRFeedback)
	switch {
	case side:
		if !closedOrKept(o, hook) {
			bad(hook, "its %s bead is %s, not closed", hb["labels"], o.after.beads[hook]["status"])
		}
	case a["role"] == model.RoleRefinery:
		p.refinery(o, hook, url, bad)
		if after["status"] != model.AgentIdle {
			bad(id, "the refinery is %s, not idle", after["status"])
		}
	default:
		p.polecat(o, id, hook, branch, url, bad)
	}
}

// closedOrKept: bead is closed after the operation, or was terminal
// before and is unchanged (the guarded close is a no-op on it).
func closedOrKept(o *opView, bead string) bool {
	before, after := o.before.beads[bead]["status"], o.after.beads[bead]["status"]
	return after == model.StatusClosed || model.Terminal(before) && after == before
}

// endedAs: bead is status after the operation, or was terminal before and
// is unchanged.
func endedAs(o *opView, bead, status string) bool {
	before, after := o.before.beads[bead]["status"], o.after.beads[bead]["status"]
	return after == status || model.Terminal(before) && after == before
}

// prURLStored: url is on mr's review row and in its metadata. An MR
// without a review row (a submit cut half-way, between its bead and its
// review row) has none to update: only its metadata is judged.
func prURLStored(o *opView, mr, url string) bool {
	_, row := o.before.reviews[mr]
	return (!row || o.after.reviews[mr]["pr_url"] == url) && o.after.beads[mr].meta("pr_url") == url
}

func (p *doneRecordProp) unhooked(o *opView, a opRow, id, url string, bad func(string, string, ...any)) {
	var cands []string
	if a["role"] == model.RoleRefinery {
		newest := ""
		for _, b := range o.before.beads {
			if b["type"] != model.TypeMergeRequest || b["assignee_agent_bead_id"] != id || b["status"] == model.StatusClosed || b["status"] == model.StatusFailed {
				continue
			}
			switch u := b["updated_at"]; {
			case u > newest:
				newest, cands = u, []string{b["bead_id"]}
			case u == newest:
				cands = append(cands, b["bead_id"])
			}
		}
	}
	slices.Sort(cands) // ties on updated_at: a fixed order, not the map's
	if len(cands) == 0 {
		if n := o.newEvents(); len(n) > 0 {
			bad(id, "an agent with nothing to finish wrote %d bead events (first %s on %s)", len(n), n[0]["event_type"], short(n[0]["bead_id"]))
		}
		return
	}
	if o.after.agents[id]["status"] != a["status"] {
		bad(id, "the unhooked refinery's status went %s → %s", a["status"], o.after.agents[id]["status"])
	}
	any := func(ok func(mr string) bool) bool {
		for _, mr := range cands {
			if ok(mr) {
				return true
			}
		}
		return false
	}
	switch {
	case strings.HasPrefix(url, "https://"):
		if !any(func(mr string) bool {
			return prURLStored(o, mr, url) && o.after.beads[mr]["status"] == model.StatusInProgress
		}) {
			bad(cands[0], "its merge request does not record the PR (review row %q, metadata %q) in progress (%s)",
				o.after.reviews[cands[0]]["pr_url"], o.after.beads[cands[0]].meta("pr_url"), o.after.beads[cands[0]]["status"])
		}
	case url != "":
		if !any(func(mr string) bool { return o.after.beads[mr]["status"] == model.StatusFailed }) {
			bad(cands[0], "its merge request is %s, not failed, on an invalid PR URL", o.after.beads[cands[0]]["status"])
		}
	default:
		if !any(func(mr string) bool { return o.after.beads[mr]["status"] == model.StatusFailed }) {
			bad(cands[0], "its merge request is %s, not failed", o.after.beads[cands[0]]["status"])
		}
		if !any(func(mr string) bool {
			for _, e := range o.newBeads(model.TypeEscalation) {
				if e.meta("source_bead_id") == mr && e.meta("source_agent_id") == id && e.meta("kind") == "refinery_unhooked_done" && e["priority"] == "high" {
					return true
				}
			}
			return false
		}) {
			bad(cands[0], "no high-priority refinery_unhooked_done escalation names its merge request (%d new escalations)",
				len(o.newBeads(model.TypeEscalation)))
		}
	}
}

func (p *doneRecordProp) refinery(o *opView, mr, url string, bad func(string, string, ...any)) {
	switch {
	case strings.HasPrefix(url, "https://"):
		if !prURLStored(o, mr, url) {
			bad(mr, "the PR URL is not recorded (review row %q, metadata %q)", o.after.reviews[mr]["pr_url"], o.after.beads[mr].meta("pr_url"))
		}
		if st := o.after.beads[mr]["status"]; st != model.StatusInProgress {
			bad(mr, "the merge request is %s, not in progress", st)
		}
		if !o.event(mr, "pr_created", url) {
			bad(mr, "no pr_created event carries the URL")
		}
	case url != "":
		if !endedAs(o, mr, model.StatusFailed) {
			bad(mr, "the merge request is %s, not failed, on an invalid PR URL", o.after.beads[mr]["status"])
		}
		if !o.event(mr, "pr_creation_failed", "-") {
			bad(mr, "no pr_creation_failed event")
		}
	default:
		if !closedOrKept(o, mr) {
			bad(mr, "the merged merge request is %s", o.after.beads[mr]["status"])
		}
		if _, ok := o.before.reviews[mr]; !ok {
			return
		}
		source := o.before.beads[mr].meta("source_bead_id")
		if source == "" {
			source = mr
		}
		if !o.event(source, "review_completed", "merged") {
			bad(source, "no review_completed merged event on the source %s", short(source))
		}
		if _, ok := o.before.beads[source]; !ok {
			return
		}
		if !closedOrKept(o, source) {
			bad(source, "the merge left its source %s %s (closed in the same operation, model.md §4.17)",
				short(source), o.after.beads[source]["status"])
		}
		for _, m := range o.after.tracks[source] {
			if b := o.after.beads[m]; b["type"] == model.TypeMergeRequest && m != mr && b["status"] != model.StatusClosed {
				bad(m, "another merge request %s of the merged source is %s, not closed", short(m), b["status"])
			}
		}
	}
}

func (p *doneRecordProp) polecat(o *opView, id, hook, branch, url string, bad func(string, string, ...any)) {
	var mrs []opRow
	for _, m := range o.newBeads(model.TypeMergeRequest) {
		if m.meta("source_bead_id") == hook {
			mrs = append(mrs, m)
		}
	}
	if len(mrs) != 1 {
		bad(hook, "%d new merge requests for the hook, want 1", len(mrs))
		return
	}
	m := mrs[0]
	mr := m["bead_id"]
	rv, ok := o.after.reviews[mr]
	switch {
	case m.meta("source_agent_id") != id || m["created_by"] != id:
		bad(hook, "the merge request %s names agent %q (created by %q)", short(mr), m.meta("source_agent_id"), m["created_by"])
	case m["status"] != model.StatusOpen || m["title"] != "Review: "+branch:
		bad(hook, "the merge request %s is %s titled %q", short(mr), m["status"], m["title"])
	case m.meta("pr_url") != url:
		bad(hook, "the merge request %s's metadata PR URL is %q", short(mr), m.meta("pr_url"))
	case !ok || rv["branch"] != branch || rv["pr_url"] != url || rv["retry_count"] != "0" || rv.has("merge_commit"):
		// model.md §4.16: the new review row has the branch, the PR URL or
		// NULL, retry_count 0 and no merge commit
		bad(hook, "the merge request %s's review row is %v", short(mr), rv)
	case !containsStr(o.after.tracks[hook], mr):
		bad(hook, "the merge request %s does not track the hook", short(mr))
	case !o.event(hook, "review_submitted", branch):
		bad(hook, "no review_submitted event with the branch on the hook")
	case !endedAs(o, hook, model.StatusInReview):
		bad(hook, "the hook is %s, not in review", o.after.beads[hook]["status"])
	}
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

func (p *doneRecordProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no gt_done was applied"
	}
	return ""
}

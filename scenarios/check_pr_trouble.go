package scenarios

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// PropPRTroubleHandedOn names what applying a PR conflict or feedback
// event must leave for someone to act on.
const PropPRTroubleHandedOn = "safety/pr-trouble-handed-on"

// prTroubleProp: when the drain applies a pr_conflict_detected or
// pr_feedback_detected event for a merge request that is still live,
// the trouble is handed to someone (model.md §5.5): right after that
// tick the MR is blocked by an unfinished bead that asks for it —
//   - a conflict: a gt:pr-conflict bead, or the open gt:pr-feedback bead
//     marked has_conflicts = 1 with conflict_target_branch = the MR's
//     target branch, or (conflicts not auto-resolved) an escalation naming
//     the MR whose escalation_metadata says high, merge_conflict, not
//     acknowledged, never re-escalated;
//   - feedback: a gt:pr-feedback bead, or the open gt:pr-conflict bead
//     marked has_feedback = 1.
//
// Judged each tick for the events processed in it, from the rows; a tick
// in which the failpoint that marks an event processed without applying
// it fired is not judged, nor an MR that ended or went since.
type prTroubleProp struct {
	last   string
	judged int
}

func (p *prTroubleProp) tick(c *checker, t *tickView) {
	since := p.last
	p.last = model.ISO(c.now)
	if c.faultNear(t.rec.At, c.now, model.FPEventNotFound) {
		return
	}
	for _, e := range c.pairs(t.db, `SELECT event_type || char(9) || json_extract(payload, '$.mr_bead_id'),
			COALESCE(json_extract(payload, '$.pr_url'), '') || char(9) || COALESCE(json_extract(payload, '$.branch'), '')
			|| char(9) || COALESCE(json_extract(payload, '$.source_bead_id'), '')
			|| char(9) || COALESCE(json_type(payload, '$.has_unresolved_comments'), '') || char(9) || COALESCE(json_type(payload, '$.has_failing_checks'), '')
			|| char(9) || COALESCE(json_type(payload, '$.has_unchecked_runs'), '') || char(9) || COALESCE(json_extract(payload, '$.pr_number'), 0)
			|| char(9) || COALESCE(json_extract(payload, '$.repo'), '')
		FROM town_events
		WHERE event_type IN ('pr_conflict_detected', 'pr_feedback_detected') AND processed_at IS NOT NULL AND processed_at > ?
			AND json_type(payload, '$.mr_bead_id') = 'text'
		ORDER BY rowid`, since) {
		typ, mr, _ := strings.Cut(e[0], "\t")
		p.judge(c, t.db, typ, mr)
		p.record(c, t.db, typ, mr, strings.Split(e[1], "\t"), since)
	}
}

// record judges what the bead the event made for the trouble says
// (model.md §5.5): a conflict bead, or a conflict escalation, carries the
// event's PR URL and branch, the MR's target branch, the MR and the MR's
// source bead (none when the event names none); a feedback bead names the
// MR it is for, the PR URL and the branch. Only a bead of that kind for
// this MR made since the previous tick is read: one that was already
// open was marked instead, and the record of that is judge's.
func (p *prTroubleProp) record(c *checker, db *model.DB, typ, mr string, payload []string, since string) {
	if len(payload) != 8 {
		return
	}
	url, branch, source := payload[0], payload[1], payload[2]
	var q string
	switch typ {
	case model.EventPRConflictDetected:
		q = `SELECT b.bead_id, COALESCE(json_extract(b.metadata, '$.pr_url'), '') || char(9) || COALESCE(json_extract(b.metadata, '$.branch'), '')
				|| char(9) || COALESCE(json_extract(b.metadata, '$.target_branch'), '') || char(9) || COALESCE(json_extract(b.metadata, '$.source_bead_id'), '')
				|| char(9) || COALESCE((SELECT target_branch FROM review_metadata WHERE bead_id = ?2), '')
			FROM beads b WHERE json_extract(b.metadata, '$.mr_bead_id') = ?2 AND b.created_at > ?1
				AND (b.type = 'escalation' AND json_extract(b.metadata, '$.conflict') = 1 OR instr(b.labels, '"` + model.LabelPRConflict + `"') > 0)
			ORDER BY b.bead_id`
	case model.EventPRFeedbackDetected:
		q = `SELECT b.bead_id, COALESCE(json_extract(b.metadata, '$.pr_url'), '') || char(9) || COALESCE(json_extract(b.metadata, '$.branch'), '')
				|| char(9) || b.title || char(9) || COALESCE(b.body, '')
			FROM beads b WHERE json_extract(b.metadata, '$.pr_feedback_for') = ?2 AND b.created_at > ?1
				AND instr(b.labels, '"` + model.LabelPRFeedback + `"') > 0
			ORDER BY b.bead_id`
	default:
		return
	}
	for _, b := range c.pairs(db, q, since, mr) {
		want := []string{url, branch}
		var f []string
		switch typ {
		case model.EventPRConflictDetected:
			f = strings.Split(b[1], "\t")
			if len(f) == 5 {
				want = append(want, f[4], source)
				f = f[:4]
			}
		case model.EventPRFeedbackDetected:
			// The body comes last and whole: SplitN keeps whatever it holds.
			f = strings.SplitN(b[1], "\t", 4)
			if len(f) == 4 {
				if why := feedbackTextMismatch(f[2], f[3], branch, payload[3:]); why != "" {
					c.violation(PropPRTroubleHandedOn, b[0], "feedback bead %s on merge request %s: %s", short(b[0]), short(mr), why)
				}
				f = f[:2]
			}
		}
		if strings.Join(f, "\t") != strings.Join(want, "\t") {
			c.violation(PropPRTroubleHandedOn, b[0], "bead %s made for %s on merge request %s records %q; the event and the MR give %q",
				short(b[0]), typ, short(mr), f, want)
		}
	}
}

func (p *prTroubleProp) judge(c *checker, db *model.DB, typ, mr string) {
	live := c.pairs(db, `SELECT bead_id, COALESCE((SELECT target_branch FROM review_metadata WHERE bead_id = ?), '')
		FROM beads WHERE bead_id = ? AND status NOT IN ('closed', 'failed')`, mr, mr)
	if len(live) == 0 {
		return
	}
	target := live[0][1]
	p.judged++
	blockers := c.pairs(db, `SELECT fb.bead_id, fb.labels || char(9) || COALESCE(json_extract(fb.metadata, '$.has_conflicts'), '')
			|| char(9) || COALESCE(json_extract(fb.metadata, '$.conflict_target_branch'), '') || char(9) || COALESCE(json_extract(fb.metadata, '$.has_feedback'), '')
		FROM bead_dependencies bd JOIN beads fb ON fb.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ? AND bd.dependency_type = 'blocks' AND fb.status NOT IN ('closed', 'failed')`, mr)
	for _, b := range blockers {
		f := strings.Split(b[1], "\t")
		conflictBead, feedbackBead := strings.Contains(f[0], `"`+model.LabelPRConflict+`"`), strings.Contains(f[0], `"`+model.LabelPRFeedback+`"`)
		switch {
		case typ == model.EventPRConflictDetected && (conflictBead || feedbackBead && f[1] == "1" && f[2] == target):
			return
		case typ == model.EventPRFeedbackDetected && (feedbackBead || conflictBead && f[3] == "1"):
			return
		}
	}
	if typ == model.EventPRConflictDetected && len(c.pairs(db, `SELECT b.bead_id, '' FROM beads b JOIN escalation_metadata em ON em.bead_id = b.bead_id
		WHERE b.type = 'escalation' AND json_extract(b.metadata, '$.mr_bead_id') = ? AND em.severity = 'high'
			AND em.category = 'merge_conflict' AND em.acknowledged = 0 AND em.re_escalation_count = 0`, mr)) > 0 {
		return
	}
	c.violation(PropPRTroubleHandedOn, mr+"@"+typ, "the drain applied %s for live merge request %s by %s; nothing unfinished asks for it (its open blockers: %v)",
		typ, short(mr), c.now.Format(time.RFC3339), blockers)
}

func (p *prTroubleProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no PR conflict or feedback event was applied to a live merge request"
	}
	return ""
}

// feedbackTextMismatch says how a feedback bead's title or body departs
// from what its event asked for ("" when they agree; model.md §5.5 step
// 6). The title is production's: "Address <parts> on PR #<n>", then
// " (<repo's last path segment>)" when there is one, the parts joined by
// " & " from "review comments", "failing CI" and "unchecked CI runs" (the
// last only without failing checks); a flag counts only as JSON true. The
// body is the polecat's instruction and mentions the PR number, the
// branch, each thing to fix, and gt_done. ev is the event's flags (their
// JSON types), PR number and repo.
func feedbackTextMismatch(title, body, branch string, ev []string) string {
	comments, failing, unchecked := ev[0] == "true", ev[1] == "true", ev[2] == "true"
	var parts []string
	if comments {
		parts = append(parts, "review comments")
	}
	if failing {
		parts = append(parts, "failing CI")
	}
	if unchecked && !failing {
		parts = append(parts, "unchecked CI runs")
	}
	n := ev[3]
	if f, err := strconv.ParseFloat(n, 64); err == nil {
		n = strconv.FormatFloat(f, 'f', -1, 64)
	}
	want := "Address " + strings.Join(parts, " & ") + " on PR #" + n
	repo := ev[4]
	if i := strings.LastIndex(repo, "/"); i >= 0 {
		repo = repo[i+1:]
	}
	if repo != "" {
		want += " (" + repo + ")"
	}
	if title != want {
		return fmt.Sprintf("its title is %q; the event asks for %q", title, want)
	}
	for _, m := range []string{"#" + n, branch, "gt_done"} {
		if !strings.Contains(body, m) {
			return fmt.Sprintf("its body does not mention %q", m)
		}
	}
	for _, m := range []struct {
		what string
		want bool
	}{{"review comments", comments}, {"failing CI", failing}} {
		if strings.Contains(body, m.what) != m.want {
			return fmt.Sprintf("its body's mention of %q is %v; the event asks %v", m.what, !m.want, m.want)
		}
	}
	if unchecked && !failing && !strings.Contains(body, "check runs") {
		return "its body does not mention the unchecked CI check runs"
	}
	return ""
}

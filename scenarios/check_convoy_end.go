package scenarios

import (
	"database/sql"
	"maps"
	"slices"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// The names of the convoy-end properties.
const (
	PropConvoyEndStays   = "safety/ended-convoy-left-alone"
	PropLandingWhenReady = "safety/landing-only-for-finished-convoy"
)

// convoyEndProp: a convoy that was closed or failed at the end of one tick
// is left alone from then on (reconciler.md §2.4: the convoy rules read
// open convoys only; model.md: a terminal bead's status is final). No
// action of a later reconcile names it (close, fail, ready-to-land,
// progress, a landing MR, a suppressed-respawn event), and its status,
// closed_at and convoy_metadata.landed_at stay as they were: one landing,
// stamped once. The world never adds a bead to a convoy after it is
// created, so no later recount of a tracked bead can reach it either. It
// reads the tick's actions and, per tick, the rows of the ended convoys.
type convoyEndProp struct {
	ended  map[string]convoyEnd // closed or failed convoys at the previous tick's end
	judged int
}

// convoyEnd is what an ended convoy's rows showed at a tick's end.
type convoyEnd struct{ status, closedAt, landedAt string }

func (p *convoyEndProp) tick(c *checker, t *tickView) {
	if len(p.ended) > 0 && t.res != nil {
		for _, a := range t.res.Actions {
			id := actionConvoy(a)
			if e, ok := p.ended[id]; ok {
				c.violation(PropConvoyEndStays, id, "rule %s emitted %s for convoy %s, which was %s at the previous tick's end",
					a.Rule, a.Type, short(id), e.status)
			}
		}
	}
	rows, err := t.db.Query(`SELECT b.bead_id, b.status, b.closed_at, m.landed_at FROM beads b
		JOIN convoy_metadata m ON m.bead_id = b.bead_id
		WHERE b.type = 'convoy' AND b.status IN ('closed', 'failed') ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	now := map[string]convoyEnd{}
	for rows.Next() {
		var id, status string
		var closedAt, landedAt sql.NullString
		if rows.Scan(&id, &status, &closedAt, &landedAt) == nil {
			now[id] = convoyEnd{status, closedAt.String, landedAt.String}
		}
	}
	rows.Close()
	for _, id := range slices.Sorted(maps.Keys(p.ended)) {
		before := p.ended[id]
		after, ok := now[id]
		if !ok {
			// Reopened rows would show up here; a deleted convoy is gone.
			if st, _ := t.db.Strings(`SELECT status FROM beads WHERE bead_id = ?`, id); len(st) > 0 {
				c.violation(PropConvoyEndStays, id, "convoy %s, %s at the previous tick's end, is %s", short(id), before.status, st[0])
			}
			continue
		}
		p.judged++
		if after != before {
			c.violation(PropConvoyEndStays, id, "convoy %s, %s at the previous tick's end, changed: status %s → %s, closed_at %q → %q, landed_at %q → %q",
				short(id), before.status, before.status, after.status, before.closedAt, after.closedAt, before.landedAt, after.landedAt)
		}
	}
	p.ended = now
}

func (p *convoyEndProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no convoy was closed or failed before a later tick"
	}
	return ""
}

// actionConvoy is the convoy an action names: its convoy field, or the
// convoyId of an emitted event.
func actionConvoy(a reconciler.Action) string {
	if a.ConvoyID != "" {
		return a.ConvoyID
	}
	for _, kv := range a.EventData {
		if kv[0] == "convoyId" {
			return kv[1]
		}
	}
	return ""
}

// landingReadyProp: a landing merge request is asked for only for a
// convoy that is finished and has no landing in hand (reconciler.md §2.4,
// CV-1…CV-7): the convoy is in review-then-land mode with a feature branch
// (any other convoy closes directly), it tracks at least one issue and
// every one of them is closed or failed, no merge request of a tracked
// bead is open or in progress (a task's review still in flight), and no
// other landing MR of it is open, in progress or merged (one landing at a
// time, and none after one merged); at most one is asked for per convoy
// and tick. Judged on the rows at the end of the tick whose reconcile
// asked for it: a tracked issue's terminal status is final and no merge
// request of a task is created after the drain, so whatever held when the
// rule read the rows still holds then, except an MR that ended later in
// the tick (it is let pass). It reads the tick's create_landing_mr actions
// and the convoy's rows.
type landingReadyProp struct{ judged int }

func (p *landingReadyProp) tick(c *checker, t *tickView) {
	if t.res == nil {
		return
	}
	asked := map[string]int{}
	for _, a := range t.res.Actions {
		if a.Type != reconciler.CreateLandingMR {
			continue
		}
		asked[a.ConvoyID]++
		if asked[a.ConvoyID] > 1 {
			c.violation(PropLandingWhenReady, a.ConvoyID, "%d landing merge requests asked for convoy %s in one tick",
				asked[a.ConvoyID], short(a.ConvoyID))
			continue
		}
		p.judged++
		if why := p.notReady(t.db, a.ConvoyID); why != "" {
			c.violation(PropLandingWhenReady, a.ConvoyID, "a landing merge request was asked for convoy %s, which %s",
				short(a.ConvoyID), why)
		}
		if mr := landingOutsideConvoyRigs(c, t.db, a.ConvoyID); mr != "" {
			c.violation(PropLandingWhenReady, a.ConvoyID, "convoy %s's landing merge request %s is in a rig none of its tracked issues is in",
				short(a.ConvoyID), short(mr))
		}
	}
}

// landingOutsideConvoyRigs returns a live landing merge request of the
// convoy whose rig is not the rig of any issue the convoy tracks (""
// when there is none): CV's landing goes to the rig of one of the
// convoy's own tracked beads (reconciler.md §2.4, step 7).
func landingOutsideConvoyRigs(c *checker, db *model.DB, id string) string {
	rows := c.pairs(db, `SELECT mr.bead_id, COALESCE(mr.rig_id, '') FROM bead_dependencies d
		JOIN beads mr ON mr.bead_id = d.bead_id
		WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND mr.type = 'merge_request'
		  AND mr.status IN ('open', 'in_progress')
		  AND COALESCE(mr.rig_id, '') NOT IN (SELECT i.rig_id FROM bead_dependencies d2 JOIN beads i ON i.bead_id = d2.bead_id
		    WHERE d2.depends_on_bead_id = ?1 AND d2.dependency_type = 'tracks' AND i.type = 'issue' AND i.rig_id IS NOT NULL)
		ORDER BY mr.bead_id LIMIT 1`, id)
	if len(rows) == 0 {
		return ""
	}
	return rows[0][0]
}

// notReady says why the convoy's rows at the tick's end do not allow a
// landing merge request ("" when they do).
func (p *landingReadyProp) notReady(db *model.DB, id string) string {
	var mode, branch sql.NullString
	if err := db.QueryRow(`SELECT merge_mode, feature_branch FROM convoy_metadata WHERE bead_id = ?`,
		[]any{id}, &mode, &branch); err != nil {
		return "has no convoy_metadata row (" + err.Error() + ")"
	}
	if mode.String != model.MergeModeReviewThenLand || branch.String == "" {
		return "is in merge mode " + mode.String + " with feature branch " + branch.String + " (only review-then-land with a branch lands by a merge request)"
	}
	var issues, live, inflight, landing, merged int
	if err := db.QueryRow(`SELECT
		  (SELECT count(*) FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND i.type = 'issue'),
		  (SELECT count(*) FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND i.type = 'issue'
		      AND i.status NOT IN ('closed', 'failed')),
		  (SELECT count(*) FROM bead_dependencies d JOIN bead_dependencies md ON md.depends_on_bead_id = d.bead_id
		    JOIN beads mr ON mr.bead_id = md.bead_id
		    WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND md.dependency_type = 'tracks'
		      AND mr.type = 'merge_request' AND mr.status IN ('open', 'in_progress')),
		  (SELECT count(*) FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND mr.type = 'merge_request'
		      AND mr.status IN ('open', 'in_progress')),
		  (SELECT count(*) FROM bead_dependencies d JOIN beads mr ON mr.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = ?1 AND d.dependency_type = 'tracks' AND mr.type = 'merge_request'
		      AND mr.status = 'closed')`, []any{id}, &issues, &live, &inflight, &landing, &merged); err != nil {
		return "could not be read (" + err.Error() + ")"
	}
	switch {
	case issues == 0:
		return "tracks no issue"
	case live > 0:
		return "still has tracked issues that are neither closed nor failed"
	case inflight > 0:
		return "still has a merge request of a tracked bead open or in progress"
	case merged > 0:
		return "already has a merged landing merge request"
	case landing > 1:
		// The one just asked for is open; another one is still active.
		return "already had a landing merge request open or in progress"
	}
	return ""
}

func (p *landingReadyProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no landing merge request was asked for"
	}
	return ""
}

// PropConvoyProgress is the name of convoyProgressProp.
const PropConvoyProgress = "liveness/convoy-progress-current"

// convoyProgressStreak: the ticks in a row an open convoy's progress was
// wrong for the same count.
const convoyProgressStreak = 3

// convoyProgressProp: an open convoy's progress (convoy_metadata
// .closed_beads, what the convoy's page shows) catches up with its tracked
// issues: CV-5 writes the number of tracked issues that are closed or
// failed whenever the stored value differs, on every reconcile, draining
// or not (reconciler.md §2.4 step 5, §2.8). The state model's own recount
// on a bead's terminal change writes another figure (it leaves out a task
// whose MR is still in flight and counts a failed landing MR), but only at
// that change; so a stored value that differs from the issue count at the
// end of three ticks in a row that reconciled cleanly, with the same count
// and the same stored value, was left standing by the rule. It reads the
// rows of open convoys at each tick's end (one query) and the tick's
// result (whether the reconcile ran; a code fault restarts the streak).
type convoyProgressProp struct {
	wrong  map[string]progressWrong
	judged int
}

// progressWrong: a convoy's stored and counted progress and how many
// clean ticks in a row they have differed.
type progressWrong struct{ stored, counted, ticks int }

func (p *convoyProgressProp) tick(c *checker, t *tickView) {
	clean := t.res != nil && t.res.Ran && !c.faultNear(c.tickStart, c.now, codeFaultKinds()...)
	if t.res != nil {
		for _, l := range t.res.Logs {
			if len(l) >= 2 && l[:2] == "T9" {
				clean = false
			}
		}
	}
	if !clean {
		p.wrong = nil
		return
	}
	rows, err := t.db.Query(`SELECT b.bead_id, m.closed_beads,
		  (SELECT count(*) FROM bead_dependencies d JOIN beads i ON i.bead_id = d.bead_id
		    WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND i.type = 'issue'
		      AND i.status IN ('closed', 'failed'))
		FROM beads b JOIN convoy_metadata m ON m.bead_id = b.bead_id
		WHERE b.type = 'convoy' AND b.status NOT IN ('closed', 'failed') ORDER BY b.bead_id`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	wrong := map[string]progressWrong{}
	for rows.Next() {
		var id string
		var stored, counted int
		if rows.Scan(&id, &stored, &counted) != nil {
			continue
		}
		p.judged++
		if stored == counted {
			continue
		}
		w := progressWrong{stored, counted, 1}
		if before, ok := p.wrong[id]; ok && before.stored == stored && before.counted == counted {
			w.ticks = before.ticks + 1
		}
		wrong[id] = w
		if w.ticks == convoyProgressStreak {
			c.violation(PropConvoyProgress, id, "convoy %s shows %d tracked issues closed for %d reconciled ticks in a row while %d are closed or failed",
				short(id), stored, w.ticks, counted)
		}
	}
	rows.Close()
	p.wrong = wrong
}

func (p *convoyProgressProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no open convoy at a tick's end"
	}
	return ""
}

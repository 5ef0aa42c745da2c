package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// editWorking is the users looking at the issues assigned to an agent
// (in progress, or open and hooked) every 10 s: each is seen once. A fraction of them (DependWorking) is made to wait
// for another unfinished issue of the same town — tRPC updateBead with
// depends_on, a blocks edge from the issue to that one — and a fraction
// (ReopenWorking) is moved back to open — tRPC updateBead with status
// open — while its agent works on: the agent stays hooked and at work.
func (u *workload) editWorking() {
	w := u.w
	w.eng.After(10*time.Second, u.editWorking)
	if w.closed || !w.destroyedAt.IsZero() {
		return
	}
	ids, err := w.town.DB().Strings(`SELECT bead_id FROM beads WHERE type = 'issue' AND rig_id IS NOT NULL
		AND (status = 'in_progress' OR (status = 'open' AND assignee_agent_bead_id IS NOT NULL)) ORDER BY bead_id`)
	if err != nil {
		return
	}
	if u.workSeen == nil {
		u.workSeen = map[string]bool{}
	}
	r := w.src.Stream("workload/edit-working")
	for _, id := range ids {
		if u.workSeen[id] {
			continue
		}
		u.workSeen[id] = true
		if r.Bool(u.cfg.DependWorking) {
			// A blocker without blocks edges of its own: no cycle.
			others, err := w.town.DB().Strings(`SELECT b.bead_id FROM beads b WHERE b.type = 'issue'
				AND b.status IN ('open', 'in_progress', 'in_review') AND b.bead_id != ?
				AND NOT EXISTS (SELECT 1 FROM bead_dependencies d WHERE d.bead_id = b.bead_id AND d.dependency_type = 'blocks')
				ORDER BY b.bead_id`, id)
			if err == nil && len(others) > 0 {
				blocker := others[r.IntN(len(others))]
				issue := id
				w.rpcEnv("update_bead", func() error {
					err := w.town.UpdateBead(w.env, issue, model.BeadFields{}, []string{blocker}, "user")
					if w.dependsEdits == nil {
						w.dependsEdits = map[string]time.Time{}
					}
					w.dependsEdits[issue] = w.eng.Now()
					return err
				}, func() []des.Field { return []des.Field{des.F("bead", issue), des.F("depends_on", blocker)} })
			}
		}
		if r.Bool(u.cfg.ReopenWorking) && u.inProgress(id) {
			issue, open := id, model.StatusOpen
			w.rpcEnv("update_bead", func() error {
				return w.town.UpdateBead(w.env, issue, model.BeadFields{Status: &open}, nil, "user")
			}, func() []des.Field { return []des.Field{des.F("bead", issue), des.F("status", open)} })
		}
	}
}

// DependsEdits returns when each issue's last dependency edit by a user
// (workload.depend_working) finished.
func (w *World) DependsEdits() map[string]time.Time { return w.dependsEdits }

// inProgress reports whether the issue is in progress.
func (u *workload) inProgress(id string) bool {
	s, err := u.w.town.DB().Strings(`SELECT status FROM beads WHERE bead_id = ?`, id)
	return err == nil && len(s) == 1 && s[0] == model.StatusInProgress
}

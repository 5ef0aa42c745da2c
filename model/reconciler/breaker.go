package reconciler

import (
	"database/sql"
	"fmt"
	"time"
)

// The dispatch limits shared by the bead and review-queue rules (§2.0,
// §7.2) — MAX_DISPATCH_ATTEMPTS, the breaker's threshold and window and the
// per-bead cooldown ladder — are the Town's knobs (model.Knobs), production's
// values unless a what-if run sets them.

// cooldownPending is "cooldown not elapsed": the bead's last dispatch
// attempt is fresh for its step of the cooldown ladder (production: 30 s
// for ≤ 1 attempt, then 60 s, 120 s, 300 s, and 600 s from 5 attempts on);
// a NULL timestamp has elapsed.
func (p *rulePass) cooldownPending(attempts int, lastAttemptAt sql.NullString) bool {
	return !p.stale(lastAttemptAt, p.k.Cooldown(attempts))
}

// breaker is the town-level dispatch circuit breaker (§2.0). It counts
// every bead dispatched within the window that is not closed — successes
// in progress included (hazard 1) — and returns the notify_mayor action
// when the count reaches the threshold, else nil. The window's cutoff is
// the virtual clock where production reads SQLite's. A what-if run with
// Knobs.BreakerFailuresOnly counts only the beads back to open or failed.
func (p *rulePass) breaker() ([]Action, error) {
	q := `SELECT count(*) AS failure_count
		FROM beads
		WHERE last_dispatch_attempt_at > ?
		  AND dispatch_attempts > 0
		  AND status != 'closed'`
	if p.k.BreakerFailuresOnly {
		q += ` AND status IN ('open', 'failed')`
	}
	n, err := p.db.Int(q, p.sqlCutoff(p.k.BreakerWindow))
	if err != nil {
		return nil, err
	}
	if n < p.k.BreakerThreshold {
		return nil, nil
	}
	return []Action{{
		Rule: "BD-CB",
		Type: NotifyMayor,
		Message: fmt.Sprintf("Dispatch circuit breaker is OPEN: %d dispatch failures in the last %d minutes. All dispatch actions are paused until failures clear.",
			n, int(p.k.BreakerWindow/time.Minute)),
	}}, nil
}

// maxAttempts is the per-rig dispatch cap of BD-1 and RQ-6: the rig's
// max_dispatch_attempts override, else 5; always 5 without a rig or a
// town config. It reads the rig row each time it is asked, as production
// does.
func (p *rulePass) maxAttempts(rigID string) (int, error) {
	if rigID == "" || p.o.Config == nil {
		return p.k.MaxDispatchAttempts, nil
	}
	rig, err := p.t.GetRig(rigID)
	if err != nil {
		return 0, err
	}
	if rig != nil && rig.Config.MaxDispatchAttempts != nil {
		return *rig.Config.MaxDispatchAttempts, nil
	}
	return p.k.MaxDispatchAttempts, nil
}

// codeReview is the per-rig code_review setting of RQ-4, RQ-FT/RQ-OR and
// RQ-5: the rig's override, else the town's refinery.code_review, else
// true; true without a town config. It reads the rig row each time.
func (p *rulePass) codeReview(rigID string) (bool, error) {
	if p.o.Config == nil {
		return true, nil
	}
	rig, err := p.t.GetRig(rigID)
	if err != nil {
		return false, err
	}
	if rig != nil && rig.Config.CodeReview != nil {
		return *rig.Config.CodeReview, nil
	}
	if p.o.Config.Refinery != nil {
		return p.o.Config.Refinery.CodeReview, nil
	}
	return true, nil
}

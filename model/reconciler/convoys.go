package reconciler

import (
	"database/sql"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/townsim/townsim/model"
)

// Convoy-rule constants (§7.2).
const (
	// cvMaxLandingAttempts caps landing-MR creation (CV-7.4).
	cvMaxLandingAttempts = 5
	// cvLandingCooldownBase and cvLandingCooldownMax: the landing-MR retry
	// wait is min(2^attempts × base, max) (CV-7.5).
	cvLandingCooldownBase = 30 * time.Second
	cvLandingCooldownMax  = 30 * time.Minute
)

// ruleConvoy is production's ConvoyRow: an open convoy bead joined with
// its convoy_metadata, plus its raw metadata text.
type ruleConvoy struct {
	ID            string
	Status        string
	TotalBeads    int
	ClosedBeads   int
	FeatureBranch sql.NullString
	MergeMode     sql.NullString
	Staged        int
	Metadata      string
}

// reconcileConvoys is §2.4: per open convoy, CV-1…CV-8.
func (p *rulePass) reconcileConvoys() ([]Action, error) {
	convoys, err := p.openConvoys()
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, c := range convoys {
		as, err := p.reconcileConvoy(c)
		if err != nil {
			return nil, err
		}
		out = append(out, as...)
	}
	return out, nil
}

// openConvoys reads the convoy rows (inner join: a convoy without
// convoy_metadata is invisible).
func (p *rulePass) openConvoys() ([]*ruleConvoy, error) {
	rows, err := p.db.Query(`SELECT b.bead_id, b.status,
		       cm.total_beads AS total_beads,
		       cm.closed_beads AS closed_beads,
		       cm.feature_branch AS feature_branch,
		       cm.merge_mode AS merge_mode,
		       cm.staged AS staged,
		       b.metadata AS metadata
		FROM beads b
		INNER JOIN convoy_metadata cm ON cm.bead_id = b.bead_id
		WHERE b.type = 'convoy'
		  AND b.status = 'open'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ruleConvoy
	for rows.Next() {
		var c ruleConvoy
		var meta sql.NullString
		if err := rows.Scan(&c.ID, &c.Status, &c.TotalBeads, &c.ClosedBeads, &c.FeatureBranch,
			&c.MergeMode, &c.Staged, &meta); err != nil {
			return nil, err
		}
		if !meta.Valid {
			return nil, fmt.Errorf("convoy %s: metadata is null", c.ID)
		}
		if c.MergeMode.Valid && c.MergeMode.String != model.MergeModeReviewThenLand &&
			c.MergeMode.String != model.MergeModeReviewAndMerge {
			return nil, fmt.Errorf("convoy %s: invalid merge_mode %q", c.ID, c.MergeMode.String)
		}
		c.Metadata = meta.String
		out = append(out, &c)
	}
	return out, rows.Err()
}

// reconcileConvoy runs CV-1…CV-8 on one convoy.
func (p *rulePass) reconcileConvoy(c *ruleConvoy) ([]Action, error) {
	var out []Action

	// CV-1: tracked issues, closed-or-failed and total (the landing MR,
	// not an issue, is not counted).
	var closed, total int
	if err := p.db.QueryRow(`SELECT
		  count(CASE WHEN tracked.status IN ('closed', 'failed') THEN 1 END) AS closed_count,
		  count(*) AS total_count
		FROM bead_dependencies bd
		INNER JOIN beads tracked ON tracked.bead_id = bd.bead_id
		WHERE bd.depends_on_bead_id = ?
		  AND bd.dependency_type = 'tracks'
		  AND tracked.type = 'issue'`, []any{c.ID}, &closed, &total); err != nil {
		return nil, err
	}

	// CV-2: landing-MR bookkeeping from the convoy's metadata.
	meta, err := jsObject(c.Metadata)
	if err != nil {
		return nil, err
	}
	attempts := 0.0
	if n, ok := meta["landing_mr_attempts"].(float64); ok {
		attempts = n
	}
	lastAt, _ := meta["last_landing_mr_attempt_at"].(string)

	// CV-3: MRs in flight for anything the convoy tracks.
	inflight, err := p.db.Int(`SELECT count(*) AS cnt
		FROM bead_dependencies track_dep
		INNER JOIN bead_dependencies mr_dep
		  ON mr_dep.depends_on_bead_id = track_dep.bead_id
		INNER JOIN beads mr
		  ON mr.bead_id = mr_dep.bead_id
		WHERE track_dep.depends_on_bead_id = ?
		  AND track_dep.dependency_type = 'tracks'
		  AND mr_dep.dependency_type = 'tracks'
		  AND mr.type = 'merge_request'
		  AND mr.status IN ('open', 'in_progress')`, c.ID)
	if err != nil {
		return nil, err
	}

	// CV-4, CV-5: progress is written whenever it differs.
	allDone := closed >= total && total > 0 && inflight == 0
	if closed != c.ClosedBeads {
		out = append(out, Action{Rule: "CV-5", Type: UpdateConvoyProgress, ConvoyID: c.ID, ClosedBeads: closed})
	}
	// CV-6.
	if !allDone {
		return out, nil
	}
	// CV-8: any merge mode but review-then-land (NULL included), or no
	// feature branch: close directly.
	if c.MergeMode.String != model.MergeModeReviewThenLand || c.FeatureBranch.String == "" {
		return append(out, Action{Rule: "CV-8", Type: CloseConvoy, ConvoyID: c.ID}), nil
	}
	// CV-7: review-then-land with a feature branch.
	if !model.JSTruthy(meta["ready_to_land"]) {
		return append(out, Action{Rule: "CV-7", Type: SetConvoyReadyToLand, ConvoyID: c.ID}), nil
	}
	as, err := p.landConvoy(c, attempts, lastAt)
	if err != nil {
		return nil, err
	}
	return append(out, as...), nil
}

// landConvoy is CV-7 for a convoy that is ready to land.
func (p *rulePass) landConvoy(c *ruleConvoy, attempts float64, lastAt string) ([]Action, error) {
	rows, err := p.db.Query(`SELECT mr.status, mr.metadata
		FROM bead_dependencies bd
		INNER JOIN beads mr ON mr.bead_id = bd.bead_id
		WHERE bd.depends_on_bead_id = ?
		  AND bd.dependency_type = 'tracks'
		  AND mr.type = 'merge_request'`, c.ID)
	if err != nil {
		return nil, err
	}
	type landing struct{ status, metadata string }
	var mrs []landing
	for rows.Next() {
		var l landing
		var meta sql.NullString
		if err := rows.Scan(&l.status, &meta); err != nil {
			rows.Close()
			return nil, err
		}
		if !meta.Valid {
			rows.Close()
			return nil, fmt.Errorf("landing MR of convoy %s: metadata is null", c.ID)
		}
		l.metadata = meta.String
		mrs = append(mrs, l)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, err
	}

	// 1. A merged landing MR closes the convoy.
	for _, l := range mrs {
		if l.status == model.StatusClosed {
			return []Action{{Rule: "CV-7", Type: CloseConvoy, ConvoyID: c.ID}}, nil
		}
	}
	// 2. An active landing MR: wait.
	for _, l := range mrs {
		if l.status == model.StatusOpen || l.status == model.StatusInProgress {
			return nil, nil
		}
	}
	// 3. A failed landing MR awaiting external approval suppresses a respawn.
	for _, l := range mrs {
		if l.status != model.StatusFailed {
			continue
		}
		if meta, err := jsObject(l.metadata); err == nil && awaitingApproval(meta) {
			return []Action{{Rule: "CV-7", Type: EmitEvent, EventName: "reconciler.respawn_suppressed",
				EventData: [][2]string{{"convoyId", c.ID}, {"suppressedAttempt", model.JSNumber(attempts + 1)}}}}, nil
		}
	}
	// 4. Attempts exhausted.
	if attempts >= cvMaxLandingAttempts {
		return []Action{{Rule: "CV-7", Type: FailConvoy, ConvoyID: c.ID,
			Reason: "Landing MR creation failed after " + strconv.Itoa(cvMaxLandingAttempts) + " attempts"}}, nil
	}
	// 5. Exponential cooldown between attempts (NaN never waits).
	if attempts > 0 && lastAt != "" {
		if elapsed, ok := p.msSince(lastAt); ok {
			wait := math.Min(math.Pow(2, attempts)*float64(cvLandingCooldownBase/time.Millisecond),
				float64(cvLandingCooldownMax/time.Millisecond))
			if elapsed < wait {
				return nil, nil
			}
		}
	}
	// 6. The "tracked MRs need a PR URL" guard applies only when the merge
	// mode is not review-then-land, which cannot hold here (hazard 13).

	// 7. Create the landing MR on the first tracked bead's rig.
	rigs, err := p.db.Strings(`SELECT DISTINCT tracked.rig_id AS rig_id
		FROM bead_dependencies bd
		INNER JOIN beads tracked ON tracked.bead_id = bd.bead_id
		WHERE bd.depends_on_bead_id = ?
		  AND bd.dependency_type = 'tracks'
		  AND tracked.rig_id IS NOT NULL
		LIMIT 1`, c.ID)
	if err != nil || len(rigs) == 0 {
		return nil, err
	}
	target := "main"
	rig, err := p.t.GetRig(rigs[0])
	if err != nil {
		return nil, err
	}
	if rig != nil {
		target = rig.DefaultBranch
	}
	return []Action{{Rule: "CV-7", Type: CreateLandingMR, ConvoyID: c.ID, RigID: rigs[0],
		FeatureBranch: c.FeatureBranch.String, TargetBranch: target}}, nil
}

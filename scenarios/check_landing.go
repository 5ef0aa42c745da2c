package scenarios

import (
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// landingBackoffProp: CV-7 spaces a convoy's landing attempts
// (reconciler.md §2.4 step 7.5): the k-th landing merge request of a
// convoy (k ≥ 2) is created no sooner than min(2^(k−1) × 30 s, 30 min)
// after the one before — 60 s, 120 s, 240 s, 480 s — since each landing
// creation counts one attempt and stamps its time and nothing resets
// them. It reads the landing merge requests' creation times (rows) and
// production's constants, not the convoy's counters. Judged at the end.
type landingBackoffProp struct{ spaced int }

// The landing cooldown (constants table: min(2^attempts × 30 s, 30 min)).
const (
	landingCooldownBase = 30 * time.Second
	landingCooldownMax  = 30 * time.Minute
)

func (p *landingBackoffProp) end(c *checker, _ *sim.World, db *model.DB) {
	rows, err := db.Query(landingMRsQuery)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	type landing struct {
		convoy, id string
		at         time.Time
	}
	var ls []landing
	for rows.Next() {
		var l landing
		var at string
		if rows.Scan(&l.convoy, &l.id, &at) == nil {
			l.at, _ = model.ParseTime(at)
			ls = append(ls, l)
		}
	}
	rows.Close()
	k := 0
	for i, l := range ls {
		if i == 0 || ls[i-1].convoy != l.convoy {
			k = 1
			continue
		}
		k++
		wait := min(landingCooldownBase<<(k-1), landingCooldownMax)
		p.spaced++
		if gap := l.at.Sub(ls[i-1].at); gap < wait {
			c.violation(PropLandingBackoff, l.id, "landing merge request %d of convoy %s created %s after the one before (CV-7 waits %s)",
				k, short(l.convoy), gap, wait)
		}
	}
}

func (p *landingBackoffProp) unjudged(*checker) string {
	if p.spaced == 0 {
		return "no convoy had a second landing merge request"
	}
	return ""
}

// landingMRsQuery lists the landing merge requests: system-created merge
// requests that track a convoy (CV-7's submitToReviewQueue with the
// convoy as the source), by convoy and creation time.
const landingMRsQuery = `SELECT d.depends_on_bead_id AS convoy, b.bead_id AS mr, b.created_at AS at FROM beads b
	JOIN bead_dependencies d ON d.bead_id = b.bead_id AND d.dependency_type = 'tracks'
	JOIN beads cv ON cv.bead_id = d.depends_on_bead_id AND cv.type = 'convoy'
	WHERE b.type = 'merge_request' AND b.created_by = 'system'
	ORDER BY 1, b.created_at, b.bead_id`

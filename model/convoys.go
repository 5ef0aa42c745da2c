package model

import (
	"database/sql"
	"time"
)

// UpdateConvoyProgress recounts every convoy that beadID tracks and lands
// or marks ready_to_land the complete ones [M 4.3].
func (t *Town) UpdateConvoyProgress(now time.Time, beadID string) error {
	return t.updateConvoyProgress(beadID, ISO(now))
}

// updateConvoyProgress is production's updateConvoyProgress(beadId, ts).
// For each tracks edge of beadID (SQLite's scan order; production has no
// ORDER BY) whose target has a convoy_metadata row: closed_beads = the
// number of tracked beads that are terminal and have no open/in_progress
// MR; when that reaches total_beads (> 0) a convoy with a feature branch
// in review-then-land mode gets metadata.ready_to_land = 1, any other is
// closed directly (no guard, no event: an already closed convoy is
// re-stamped) with landed_at.
func (t *Town) updateConvoyProgress(beadID, ts string) error {
	convoys, err := t.db.Strings(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, beadID)
	if err != nil || len(convoys) == 0 {
		return err
	}
	for _, c := range convoys {
		is, err := t.db.Int(`SELECT 1 FROM convoy_metadata WHERE bead_id = ?`, c)
		if err != nil {
			return err
		}
		if is == 0 {
			continue
		}
		done, err := t.db.Int(`SELECT COUNT(1) AS count FROM bead_dependencies AS tracked
			INNER JOIN beads AS tracked_bead ON tracked.bead_id = tracked_bead.bead_id
			WHERE tracked.depends_on_bead_id = ?
			  AND tracked.dependency_type = 'tracks'
			  AND tracked_bead.status IN ('closed', 'failed')
			  AND NOT EXISTS (
			    SELECT 1 FROM bead_dependencies AS mr_dep
			    INNER JOIN beads AS mr_bead ON mr_dep.bead_id = mr_bead.bead_id
			    WHERE mr_dep.depends_on_bead_id = tracked_bead.bead_id
			      AND mr_dep.dependency_type = 'tracks'
			      AND mr_bead.type = 'merge_request'
			      AND mr_bead.status IN ('open', 'in_progress')
			  )`, c)
		if err != nil {
			return err
		}
		if _, err := t.db.Exec(`UPDATE convoy_metadata SET closed_beads = ? WHERE bead_id = ?`, done, c); err != nil {
			return err
		}
		total, err := t.db.Int(`SELECT total_beads FROM convoy_metadata WHERE bead_id = ?`, c)
		if err != nil {
			return err
		}
		if done < total || total <= 0 {
			continue
		}
		fb, err := t.ConvoyFeatureBranch(c)
		if err != nil {
			return err
		}
		mode, err := t.ConvoyMergeMode(c)
		if err != nil {
			return err
		}
		if fb.Valid && fb.String != "" && mode == MergeModeReviewThenLand {
			if _, err := t.db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.ready_to_land', 1), updated_at = ? WHERE bead_id = ?`,
				ts, c); err != nil {
				return err
			}
			if _, err := t.db.Exec(`UPDATE convoy_metadata SET closed_beads = ? WHERE bead_id = ?`, done, c); err != nil {
				return err
			}
			continue
		}
		if _, err := t.db.Exec(`UPDATE beads SET status = 'closed', closed_at = ?, updated_at = ? WHERE bead_id = ?`, ts, ts, c); err != nil {
			return err
		}
		if err := t.convoyLandedAt(c, Null(ts)); err != nil {
			return err
		}
	}
	return nil
}

// ConvoyAddBead adds beadID to the convoy [M 4.4]: false when it is
// already tracked; otherwise a plain insert of the tracks edge (an existing
// edge of another type for the pair makes it fail) and total_beads + 1.
// The caller checks that convoyID is a convoy.
func (t *Town) ConvoyAddBead(convoyID, beadID string) (bool, error) {
	n, err := t.db.Int(`SELECT 1 FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'tracks'`, beadID, convoyID)
	if err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	if _, err := t.db.Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, beadID, convoyID); err != nil {
		return false, err
	}
	if _, err := t.db.Exec(`UPDATE convoy_metadata SET total_beads = total_beads + 1 WHERE bead_id = ?`, convoyID); err != nil {
		return false, err
	}
	return true, nil
}

// ConvoyRemoveBead removes beadID from the convoy [M 4.4]: false when it
// is not tracked; otherwise deletes the tracks edge, decrements total_beads
// (floor 0) and deletes the blocks edges between beadID and every other
// bead the convoy still tracks. closed_beads is not recounted.
func (t *Town) ConvoyRemoveBead(convoyID, beadID string) (bool, error) {
	n, err := t.db.Int(`SELECT 1 FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'tracks'`, beadID, convoyID)
	if err != nil {
		return false, err
	}
	if n == 0 {
		return false, nil
	}
	if _, err := t.db.Exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'tracks'`, beadID, convoyID); err != nil {
		return false, err
	}
	if _, err := t.db.Exec(`UPDATE convoy_metadata SET total_beads = MAX(0, total_beads - 1) WHERE bead_id = ?`, convoyID); err != nil {
		return false, err
	}
	siblings, err := t.db.Strings(`SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'tracks'`, convoyID)
	if err != nil {
		return false, err
	}
	const del = `DELETE FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ? AND dependency_type = 'blocks'`
	for _, s := range siblings {
		if _, err := t.db.Exec(del, s, beadID); err != nil {
			return false, err
		}
	}
	for _, s := range siblings {
		if _, err := t.db.Exec(del, beadID, s); err != nil {
			return false, err
		}
	}
	return true, nil
}

// convoyLandedAt sets convoy_metadata.landed_at.
func (t *Town) convoyLandedAt(convoyID string, ts sql.NullString) error {
	_, err := t.db.Exec(`UPDATE convoy_metadata SET landed_at = ? WHERE bead_id = ?`, ts, convoyID)
	return err
}

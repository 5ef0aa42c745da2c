package model

import (
	"database/sql"
)

// InsertDependency adds the edge a → b of the given type with INSERT OR
// IGNORE [M 4.4]: because the unique index is on the pair, any existing
// edge a → b (of any type) makes it a silent no-op.
func (t *Town) InsertDependency(a, b, typ string) error {
	_, err := t.db.Exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, ?)`,
		a, b, typ)
	return err
}

// SetDependencies replaces a's blocks edges with a → d for each d in deps
// (self-loops skipped; insert-or-ignore).
func (t *Town) SetDependencies(a string, deps []string) error {
	if _, err := t.db.Exec(`DELETE FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'blocks'`, a); err != nil {
		return err
	}
	for _, d := range deps {
		if d == a {
			continue
		}
		if _, err := t.db.Exec(`INSERT OR IGNORE INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'blocks')`,
			a, d); err != nil {
			return err
		}
	}
	return nil
}

// HasUnresolvedBlockers reports whether id has a blocks edge to an
// existing bead that is not terminal or still has an open/in_progress MR
// tracking it [M 4.4].
func (t *Town) HasUnresolvedBlockers(id string) (bool, error) {
	n, err := t.db.Int(`SELECT COUNT(1) AS count
		FROM bead_dependencies AS dep
		INNER JOIN beads AS blocker ON dep.depends_on_bead_id = blocker.bead_id
		WHERE dep.bead_id = ?
		  AND dep.dependency_type = 'blocks'
		  AND (
		    blocker.status NOT IN ('closed', 'failed')
		    OR EXISTS (
		      SELECT 1 FROM bead_dependencies AS mr_dep
		      INNER JOIN beads AS mr_bead ON mr_dep.bead_id = mr_bead.bead_id
		      WHERE mr_dep.depends_on_bead_id = blocker.bead_id
		        AND mr_dep.dependency_type = 'tracks'
		        AND mr_bead.type = 'merge_request'
		        AND mr_bead.status IN ('open', 'in_progress')
		    )
		  )`, id)
	return n > 0, err
}

// NewlyUnblockedBeads returns every bead blocked by id whose blockers are
// now all resolved (one HasUnresolvedBlockers query per dependent, as in
// production).
func (t *Town) NewlyUnblockedBeads(id string) ([]string, error) {
	deps, err := t.db.Strings(`SELECT bead_id FROM bead_dependencies WHERE depends_on_bead_id = ? AND dependency_type = 'blocks'`, id)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range deps {
		blocked, err := t.HasUnresolvedBlockers(d)
		if err != nil {
			return nil, err
		}
		if !blocked {
			out = append(out, d)
		}
	}
	return out, nil
}

// ConvoyForBead returns the target of id's first tracks edge ("" = none).
// Like production it has no ORDER BY: the first row is SQLite's scan order.
// For an MR bead this is its source bead.
func (t *Town) ConvoyForBead(id string) (string, error) {
	rows, err := t.db.Strings(`SELECT depends_on_bead_id FROM bead_dependencies WHERE bead_id = ? AND dependency_type = 'tracks'`, id)
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0], nil
}

// ConvoyMergeMode is review-and-merge only when stored so; otherwise
// (NULL, another value, no row) review-then-land.
func (t *Town) ConvoyMergeMode(convoyID string) (string, error) {
	var mode sql.NullString
	err := t.db.QueryRow(`SELECT merge_mode FROM convoy_metadata WHERE bead_id = ?`, []any{convoyID}, &mode)
	if err == sql.ErrNoRows {
		return MergeModeReviewThenLand, nil
	}
	if err != nil {
		return "", err
	}
	if mode.Valid && mode.String == MergeModeReviewAndMerge {
		return MergeModeReviewAndMerge, nil
	}
	return MergeModeReviewThenLand, nil
}

// ConvoyFeatureBranch returns the convoy's feature branch (NULL when unset
// or when there is no convoy_metadata row).
func (t *Town) ConvoyFeatureBranch(convoyID string) (sql.NullString, error) {
	var fb sql.NullString
	err := t.db.QueryRow(`SELECT feature_branch FROM convoy_metadata WHERE bead_id = ?`, []any{convoyID}, &fb)
	if err == sql.ErrNoRows {
		return sql.NullString{}, nil
	}
	return fb, err
}

package reconciler

import (
	"database/sql"

	"github.com/townsim/townsim/model"
)

// applyReportWastelandDone is report_wasteland_done (§3.6): no synchronous
// part; the effect is the Town's reportWastelandDone. The closure has no
// try of its own, so a town config that fails to read, or a failing stamp
// on the already-done path, rejects it. A false outcome is only logged;
// the WL rule re-emits the action until the bead is stamped.
func applyReportWastelandDone(t *model.Town, a Action) *Effect {
	return &Effect{Action: a, Run: func(env model.Env) error {
		ok, err := reportWastelandDone(t, env, a)
		recordCall(env, "reportWastelandDone", map[string]any{"wasteland_id": a.WastelandID, "item_id": a.ItemID,
			"evidence": a.Evidence, "canonical_bead_id": a.CanonicalBeadID}, ok, errText(err))
		return err
	}}
}

// reportWastelandDone marks the wanted item done upstream and stamps the
// canonical bead; it reports whether the stamp happened. Its error is a
// throw outside production's try (the closure rejects).
func reportWastelandDone(t *model.Town, env model.Env, a Action) (bool, error) {
	cfg, err := t.ReadTownConfig()
	if err != nil {
		return false, err
	}
	if cfg.OwnerUserID == "" {
		return false, nil
	}
	// Crash-window pre-check: an item already done upstream is only
	// stamped. Browse failures count as "not done".
	b := env.Call(model.Call{Kind: model.CallWastelandBrowse, WastelandID: a.WastelandID, ItemID: a.ItemID})
	if b.Err == "" && b.ItemDone {
		return stampWastelandReportedDone(t, env, a.CanonicalBeadID, a.Evidence)
	}
	r := env.Call(model.Call{Kind: model.CallWastelandDone, WastelandID: a.WastelandID,
		ItemID: a.ItemID, Evidence: a.Evidence, BeadID: a.CanonicalBeadID})
	if r.Err != "" || !r.OK {
		return false, nil
	}
	// Inside production's try: a failing stamp is logged and reads as false.
	ok, err := stampWastelandReportedDone(t, env, a.CanonicalBeadID, a.Evidence)
	if err != nil {
		return false, nil
	}
	return ok, nil
}

// stampWastelandReportedDone writes metadata.wasteland.reported_done_at and
// reported_evidence; it writes nothing and reports false when the bead has
// no metadata.wasteland (json_set would not create the parent object).
func stampWastelandReportedDone(t *model.Town, env model.Env, beadID, evidence string) (bool, error) {
	db := t.DB()
	var wl sql.NullString
	err := db.QueryRow(`SELECT json_extract(metadata, '$.wasteland') AS wl FROM beads WHERE bead_id = ?`,
		[]any{beadID}, &wl)
	if err == sql.ErrNoRows || (err == nil && !wl.Valid) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ts := model.ISO(env.Now())
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(
			COALESCE(metadata, '{}'),
			'$.wasteland.reported_done_at', ?,
			'$.wasteland.reported_evidence', ?
		), updated_at = ?
		WHERE bead_id = ?`, ts, evidence, ts, beadID); err != nil {
		return false, err
	}
	return true, nil
}

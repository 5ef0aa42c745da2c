package scenarios

import (
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// PropWastelandStampOnTag names where a wasteland report is stamped.
const PropWastelandStampOnTag = "safety/wasteland-stamp-only-on-tag"

// wastelandStampProp: the Town stamps a wanted item's report
// (metadata.wasteland.reported_done_at and reported_evidence) only into a
// bead's existing tag of that item: a bead that carries no `wasteland`
// object is not tagged, and a report that finds it so writes nothing
// (reconciler.md §3.6, model.md: the stamp writes into the tag, and
// reports false when the bead has none). So every stamp sits beside the
// tag's wasteland_id and item_id, and a bead whose tag a user removed
// while the report was in flight stays untagged. Judged at the end over
// every bead with a stamp and every bead the world's users untagged; it
// reads rows (beads' metadata.wasteland) and the world's list of untagged
// beads.
type wastelandStampProp struct{ judged int }

func (p *wastelandStampProp) end(c *checker, w *sim.World, db *model.DB) {
	for _, pr := range c.pairs(db, `SELECT bead_id, COALESCE(json_extract(metadata, '$.wasteland'), 'null') FROM beads
		WHERE json_extract(metadata, '$.wasteland.reported_done_at') IS NOT NULL ORDER BY bead_id`) {
		p.judged++
		ids, _ := db.Strings(`SELECT 1 FROM beads WHERE bead_id = ?
			AND COALESCE(json_extract(metadata, '$.wasteland.wasteland_id'), '') != ''
			AND COALESCE(json_extract(metadata, '$.wasteland.item_id'), '') != ''`, pr[0])
		if len(ids) == 0 {
			c.violation(PropWastelandStampOnTag, pr[0], "bead %s carries a wasteland report stamp without a tag naming the item: %s",
				short(pr[0]), pr[1])
			continue
		}
		if why := stampNotCanonical(db, pr[0]); why != "" {
			c.violation(PropWastelandStampOnTag, pr[0], "bead %s carries its claim's report stamp, but %s", short(pr[0]), why)
		}
	}
	for _, id := range w.WastelandUntagged() {
		p.judged++
		if s, _ := db.Strings(`SELECT json_extract(metadata, '$.wasteland') FROM beads
			WHERE bead_id = ? AND json_extract(metadata, '$.wasteland') IS NOT NULL`, id); len(s) > 0 {
			c.violation(PropWastelandStampOnTag, id, "bead %s, whose wasteland tag its user removed, carries %s at the end", short(id), s[0])
		}
	}
}

// stampNotCanonical says why the stamped bead is not its claim's
// canonical bead ("" when it is, or when the claim's tags leave it open):
// WL stamps the claim's convoy when a convoy carries the item, otherwise
// the claim's earliest-created bead (reconciler.md §2.7). Beads created
// at one instant tie, and a claim several convoys carry is not judged.
func stampNotCanonical(db *model.DB, id string) string {
	const sameItem = `FROM beads o, beads b
		WHERE b.bead_id = ?
		  AND json_extract(o.metadata, '$.wasteland.wasteland_id') = json_extract(b.metadata, '$.wasteland.wasteland_id')
		  AND json_extract(o.metadata, '$.wasteland.item_id') = json_extract(b.metadata, '$.wasteland.item_id')`
	convoys, _ := db.Strings(`SELECT o.bead_id `+sameItem+` AND o.type = 'convoy'`, id)
	switch {
	case len(convoys) == 1 && convoys[0] != id:
		return "the item's convoy " + short(convoys[0]) + " is the claim's canonical bead"
	case len(convoys) > 0:
		return ""
	}
	earlier, _ := db.Strings(`SELECT o.bead_id `+sameItem+` AND o.created_at < b.created_at ORDER BY o.created_at LIMIT 1`, id)
	if len(earlier) > 0 {
		return "bead " + short(earlier[0]) + " carries the item's tag and was created before it (the claim's first bead is canonical)"
	}
	return ""
}

func (p *wastelandStampProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no bead stamped with a wasteland report nor untagged"
	}
	return ""
}

package sim

import (
	"encoding/json"
	"maps"
	"strconv"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// wastelandWorld is the town's wasteland service (which wanted items were
// reported done) and the tags users put on merge requests.
type wastelandWorld struct {
	done     map[string]bool // wasteland_id + "::" + item_id marked done
	handled  map[string]bool // MRs the users looked at (tagged or not)
	tags     []WastelandTag
	n        int      // tags drawn (the variant taken in turn)
	untagged []string // beads whose tag a user removed
}

// WastelandTag is a user's tag of a merge request with a wanted item's
// origin (workload.wasteland_tag_mr).
type WastelandTag struct {
	// MR is the merge request's bead id.
	MR string
	// WastelandID and ItemID name the wanted item of the issue the MR
	// tracks (what the user meant, also when the tag is malformed).
	WastelandID, ItemID string
	// Valid reports that the world wrote a tag production's origin schema
	// accepts (kind wanted-item-claim, non-empty wasteland_id and item_id,
	// optional fields null, absent or well-formed).
	Valid bool
	// Variant names the shape written (copy, pull-id, bare, no-kind, ...).
	Variant string
	// At is when the user's updateBead wrote it.
	At time.Time
}

// WastelandTags returns the tags users put on merge requests, in order.
func (w *World) WastelandTags() []WastelandTag { return w.wasteland.tags }

// WastelandItemDone reports whether the world's wasteland service holds
// the item done (a markWantedItemDone call succeeded for it).
func (w *World) WastelandItemDone(wastelandID, itemID string) bool {
	return w.wasteland.done[wastelandID+"::"+itemID]
}

// wastelandService answers the Town's wasteland calls: markWantedItemDone
// succeeds and marks the item done; a browse reports whether it is.
func (w *World) wastelandService(c model.Call) (model.Result, time.Duration) {
	key := c.WastelandID + "::" + c.ItemID
	if c.Kind == model.CallWastelandDone {
		if w.wasteland.done == nil {
			w.wasteland.done = map[string]bool{}
		}
		w.wasteland.done[key] = true
		ok := model.Result{StatusCode: 200, OK: true}
		if u := w.cfg.Workload.WastelandUntag; u > 0 && w.src.Stream("workload/wasteland-untag").Bool(u) {
			w.eng.After(0, func() { w.untagClaim(c.WastelandID, c.ItemID) })
			return ok, untagHold
		}
		return ok, 0
	}
	return model.Result{StatusCode: 200, OK: true, ItemDone: w.wasteland.done[key]}, 0
}

// untagHold is how much longer the done call's answer takes when the
// user's untag lands during it (workload.wasteland_untag).
const untagHold = 20 * time.Millisecond

// untagClaim is the user removing a wanted item's tag from every bead
// that carries it: tRPC updateBead with the bead's metadata minus
// `wasteland`.
func (w *World) untagClaim(wastelandID, itemID string) {
	ids, err := w.town.DB().Strings(`SELECT bead_id FROM beads
		WHERE json_extract(metadata, '$.wasteland.wasteland_id') = ? AND json_extract(metadata, '$.wasteland.item_id') = ?
		ORDER BY bead_id`, wastelandID, itemID)
	if err != nil {
		return
	}
	for _, id := range ids {
		b, err := w.town.GetBead(id)
		if err != nil || b == nil {
			continue
		}
		meta := maps.Clone(b.Metadata)
		delete(meta, "wasteland")
		w.wasteland.untagged = append(w.wasteland.untagged, id)
		w.rpcEnv("update_bead", func() error {
			return w.town.UpdateBead(w.env, id, model.BeadFields{Metadata: meta}, nil, "user")
		}, func() []des.Field {
			return []des.Field{des.F("bead", id), des.F("wasteland_item", itemID), des.F("untag", true)}
		})
	}
}

// WastelandUntagged returns the beads whose wasteland tag a user removed
// (workload.wasteland_untag), in order.
func (w *World) WastelandUntagged() []string { return w.wasteland.untagged }

// wastelandTagVariants are the shapes a user's tag takes: the valid ones
// first, then the malformed ones (production's schema rejects them).
var wastelandTagVariants = []struct {
	name  string
	valid bool
	make  func(origin map[string]any) map[string]any
}{
	{"copy", true, func(o map[string]any) map[string]any { return maps.Clone(o) }},
	{"pull-id", true, func(o map[string]any) map[string]any {
		t := required(o)
		t["pull_id"] = "pull-" + o["item_id"].(string)
		return t
	}},
	{"bare", true, required},
	{"no-kind", false, func(o map[string]any) map[string]any {
		t := maps.Clone(o)
		delete(t, "kind")
		return t
	}},
	{"numeric-pull-id", false, func(o map[string]any) map[string]any {
		t := required(o)
		t["pull_id"] = 12
		return t
	}},
	{"source-not-url", false, func(o map[string]any) map[string]any {
		t := required(o)
		t["source_url"] = "the wanted board"
		return t
	}},
	{"empty-evidence", false, func(o map[string]any) map[string]any {
		t := maps.Clone(o)
		t["reported_evidence"] = ""
		return t
	}},
	{"empty-wasteland-id", false, func(o map[string]any) map[string]any {
		t := maps.Clone(o)
		t["wasteland_id"] = ""
		return t
	}},
}

// required is the origin's required keys only.
func required(o map[string]any) map[string]any {
	return map[string]any{"kind": o["kind"], "wasteland_id": o["wasteland_id"], "item_id": o["item_id"]}
}

// tagWastelandMRs is the users looking at their wasteland issues once a
// minute: each merge request tracking a wasteland-tagged issue is seen
// once, and a fraction of them get the wanted item as a tag
// (tRPC updateBead with the MR's metadata plus `wasteland`).
func (u *workload) tagWastelandMRs() {
	w := u.w
	w.eng.After(time.Minute, u.tagWastelandMRs)
	if w.closed || !w.destroyedAt.IsZero() {
		return
	}
	pairs, err := w.town.DB().Strings(`SELECT m.bead_id || char(9) || json_extract(i.metadata, '$.wasteland')
		FROM bead_dependencies d JOIN beads m ON m.bead_id = d.bead_id JOIN beads i ON i.bead_id = d.depends_on_bead_id
		WHERE d.dependency_type = 'tracks' AND m.type = 'merge_request' AND i.type = 'issue'
		  AND json_extract(i.metadata, '$.wasteland.item_id') IS NOT NULL
		ORDER BY m.bead_id`)
	if err != nil {
		return
	}
	if w.wasteland.handled == nil {
		w.wasteland.handled = map[string]bool{}
	}
	r := w.src.Stream("workload/wasteland-tag")
	for _, p := range pairs {
		mr, raw, _ := cut(p)
		if w.wasteland.handled[mr] {
			continue
		}
		w.wasteland.handled[mr] = true
		var origin map[string]any
		if json.Unmarshal([]byte(raw), &origin) != nil || !r.Bool(u.cfg.WastelandTagMR) {
			continue
		}
		// The variants of each kind are taken in turn, so that a few tags
		// write every shape.
		w.wasteland.n++
		v := wastelandTagVariants[w.wasteland.n%3]
		if r.Bool(u.cfg.WastelandMalformed) {
			v = wastelandTagVariants[3+w.wasteland.n%(len(wastelandTagVariants)-3)]
		}
		u.tagMR(mr, origin, v.name, v.valid, v.make(origin))
	}
}

// tagMR sends the user's updateBead that puts tag on the merge request.
func (u *workload) tagMR(mr string, origin map[string]any, variant string, valid bool, tag map[string]any) {
	w := u.w
	b, err := w.town.GetBead(mr)
	if err != nil || b == nil {
		return
	}
	meta := maps.Clone(b.Metadata)
	if meta == nil {
		meta = map[string]any{}
	}
	meta["wasteland"] = tag
	wl, _ := origin["wasteland_id"].(string)
	item, _ := origin["item_id"].(string)
	w.rpcEnv("update_bead", func() error {
		err := w.town.UpdateBead(w.env, mr, model.BeadFields{Metadata: meta}, nil, "user")
		if err == nil {
			w.wasteland.tags = append(w.wasteland.tags, WastelandTag{MR: mr, WastelandID: wl, ItemID: item,
				Valid: valid, Variant: variant, At: w.eng.Now()})
		}
		return err
	}, func() []des.Field {
		return []des.Field{des.F("bead", mr), des.F("wasteland_item", item), des.F("tag", variant+"/"+strconv.FormatBool(valid))}
	})
}

// cut splits "a\tb" at its first tab.
func cut(s string) (string, string, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\t' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}

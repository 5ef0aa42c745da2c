package scenarios

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// checkWastelandReported: users tag merge requests of wasteland issues
// with valid and malformed origins, and WL reports claims done to the
// world's wasteland service.
func checkWastelandReported(t *testing.T, r *run) {
	valid, malformed := 0, 0
	for _, l := range r.grep("rpc", "op=update_bead", "tag=") {
		if traceField(l.text, "err") != "" {
			t.Errorf("a user's tag failed: %s", l.text)
		}
		if strings.HasSuffix(traceField(l.text, "tag"), "/true") {
			valid++
		} else {
			malformed++
		}
	}
	if valid < 3 || malformed < 2 {
		t.Errorf("tags: %d valid, %d malformed; want several of each", valid, malformed)
	}
	if n := len(r.grep("call", string(model.CallWastelandDone), "ok=true")); n < 2 {
		t.Errorf("%d wanted items reported done; want several", n)
	}
}

// checkWastelandConvoys: WL reports claims slung as convoys, each only
// after the convoy's landing MR was created (its tasks had merged into the
// feature branch, and the claim still waited for the branch to land).
func checkWastelandConvoys(t *testing.T, r *run) {
	landing := map[string]time.Time{}
	for _, l := range r.grep("action", "create_landing_mr") {
		if c := actionField(l, "convoy"); landing[c].IsZero() {
			landing[c] = l.at
		}
	}
	n := 0
	for _, l := range r.grep("action", "report_wasteland_done") {
		at, ok := landing[actionField(l, "canonical")]
		if !ok {
			continue
		}
		n++
		if !l.at.After(at) {
			t.Errorf("convoy claim reported at %v, before its landing MR at %v: %s", l.at, at, l.text)
		}
	}
	if n < 3 {
		t.Errorf("%d claims slung as convoys reported done; want several", n)
	}
}

// The wasteland properties fire on hand-made violations over the rows of
// a real wasteland-reported run: a report of a claim whose tagged MR is
// not merged, a second report, an evidence naming a PR twice, and a
// merged claim never reported.
func TestWastelandPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "wasteland-reported", 0)
	exec, _ := rowsOf(t, db)
	var tag sim.WastelandTag
	for _, tg := range c.world.WastelandTags() {
		if tg.Valid && c.world.WastelandItemDone(tg.WastelandID, tg.ItemID) && c.beadStatus(db, tg.MR) == model.StatusClosed {
			tag = tg
			break
		}
	}
	if tag.MR == "" {
		t.Fatal("no validly tagged merged MR of a reported item")
	}
	key := tag.WastelandID + "::" + tag.ItemID
	claim := readWastelandClaim(c, db, c.world.WastelandTags(), key, time.Time{})
	if !claim.isMerged() || len(claim.merged) == 0 {
		t.Fatalf("claim %s: %+v; want merged with a PR", key, claim)
	}
	evidence := "Implemented by " + claim.merged[0] + " (Review)."
	if len(claim.merged) > 1 {
		evidence = "Implemented by:"
		for _, u := range claim.merged {
			evidence += "\n- " + u + " (Review)"
		}
	}
	done := model.Call{Kind: model.CallWastelandDone, WastelandID: tag.WastelandID, ItemID: tag.ItemID, Evidence: evidence}
	ok := model.Result{StatusCode: 200, OK: true}
	view := func() *tickView {
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db}
	}
	founded := func(t *testing.T, calls ...model.Call) {
		p := propByName(t, PropWastelandReportFounded).(*wastelandFoundedProp)
		for _, call := range calls {
			p.call(c, call, ok, c.now)
		}
		p.tick(c, view())
	}
	tests := []struct {
		name string
		prop string
		run  func(t *testing.T)
	}{
		{"a well-founded report passes", "", func(t *testing.T) { founded(t, done) }},
		{"reported twice", PropWastelandReportFounded, func(t *testing.T) { founded(t, done, done) }},
		{"a PR named twice", PropWastelandReportFounded, func(t *testing.T) {
			twice := done
			twice.Evidence = "Implemented by:\n- " + claim.merged[0] + " (Review)\n- " + claim.merged[0] + " (Review)"
			founded(t, twice)
		}},
		{"an item no valid tag names", PropWastelandReportFounded, func(t *testing.T) {
			other := done
			other.ItemID = "wanted-never-tagged"
			founded(t, other)
		}},
		{"a tagged MR not merged", PropWastelandReportFounded, func(t *testing.T) {
			exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, tag.MR)
			defer exec(`UPDATE beads SET status = 'closed' WHERE bead_id = ?`, tag.MR)
			founded(t, done)
		}},
		{"a merged claim never reported", PropWastelandClaimReported, func(t *testing.T) {
			// The same claim, merged, in a world whose service never heard
			// of it: a copy of the tags under another wasteland.
			p := propByName(t, PropWastelandClaimReported).(*wastelandReportedProp)
			tags := slices.Clone(c.world.WastelandTags())
			for i := range tags {
				if tags[i].WastelandID+"::"+tags[i].ItemID == key {
					tags[i].WastelandID = "wl-unheard"
				}
			}
			for i := 0; i < 130; i++ {
				c.now = c.now.Add(5 * time.Second)
				p.judge(c, view(), tags, c.world.WastelandItemDone)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			tt.run(t)
			fired := false
			for _, v := range c.failures {
				fired = fired || v.Property == tt.prop
				if v.Property != tt.prop {
					t.Errorf("unexpected violation %s: %s", v.Property, v.Detail)
				}
			}
			if tt.prop != "" && !fired {
				t.Errorf("%s did not fire", tt.prop)
			}
		})
	}
}

// A claim is merged only when its tagged MRs all ended, one merged, and
// the convoy it was slung as (if any) closed.
func TestWastelandClaimMerged(t *testing.T) {
	tests := []struct {
		name  string
		claim wastelandClaim
		want  bool
	}{
		{"one MR merged, no convoy", wastelandClaim{mrs: 1, closed: 1}, true},
		{"one MR still open", wastelandClaim{mrs: 2, closed: 1, open: 1}, false},
		{"all failed", wastelandClaim{mrs: 2}, false},
		{"no tagged MR", wastelandClaim{}, false},
		{"convoy closed", wastelandClaim{mrs: 2, closed: 2, convoy: model.StatusClosed}, true},
		{"convoy still landing", wastelandClaim{mrs: 2, closed: 2, convoy: model.StatusInProgress}, false},
		{"convoy open", wastelandClaim{mrs: 1, closed: 1, convoy: model.StatusOpen}, false},
		{"convoy failed", wastelandClaim{mrs: 1, closed: 1, convoy: model.StatusFailed}, false},
	}
	for _, tt := range tests {
		if got := tt.claim.isMerged(); got != tt.want {
			t.Errorf("%s: isMerged() = %v, want %v", tt.name, got, tt.want)
		}
	}
}

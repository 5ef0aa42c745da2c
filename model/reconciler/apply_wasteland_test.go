package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// TestApplyReportWastelandDone covers report_wasteland_done (§3.6).
func TestApplyReportWastelandDone(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(f *applyFix)
		tagged     bool // the canonical bead has metadata.wasteland
		wantCalls  string
		wantStamp  bool
		wantReject bool
	}{
		{name: "marks done upstream and stamps", tagged: true, wantStamp: true,
			wantCalls: "wasteland.browse,wasteland.mark_done", setup: func(f *applyFix) {
				f.answer(model.CallWastelandDone, model.Result{OK: true})
			}},
		{name: "already done upstream: stamp without the RPC", tagged: true, wantStamp: true,
			wantCalls: "wasteland.browse", setup: func(f *applyFix) {
				f.answer(model.CallWastelandBrowse, model.Result{ItemDone: true})
			}},
		{name: "browse failure counts as not done", tagged: true, wantStamp: true,
			wantCalls: "wasteland.browse,wasteland.mark_done", setup: func(f *applyFix) {
				f.answer(model.CallWastelandBrowse, model.Result{Err: "service down", ItemDone: true})
				f.answer(model.CallWastelandDone, model.Result{OK: true})
			}},
		{name: "upstream refuses: no stamp", tagged: true,
			wantCalls: "wasteland.browse,wasteland.mark_done", setup: func(f *applyFix) {
				f.answer(model.CallWastelandDone, model.Result{OK: false})
			}},
		{name: "upstream throws: no stamp, no rejection", tagged: true,
			wantCalls: "wasteland.browse,wasteland.mark_done", setup: func(f *applyFix) {
				f.answer(model.CallWastelandDone, model.Result{Err: "timeout", OK: true})
			}},
		{name: "bead without metadata.wasteland is not stamped",
			wantCalls: "wasteland.browse,wasteland.mark_done", setup: func(f *applyFix) {
				f.answer(model.CallWastelandDone, model.Result{OK: true})
			}},
		{name: "town without owner skips", tagged: true, wantCalls: "", setup: func(f *applyFix) {
			if _, err := f.town.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("")}); err != nil {
				f.t.Fatal(err)
			}
		}},
		{name: "config read error rejects", tagged: true, wantCalls: "", wantReject: true, setup: func(f *applyFix) {
			f.town.KV().ConfigErr = errConfig
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newApplyFix(t)
			if _, err := f.town.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("owner-1")}); err != nil {
				f.t.Fatal(err)
			}
			meta := map[string]any{}
			if c.tagged {
				meta["wasteland"] = map[string]any{"wasteland_id": "wl-1", "item_id": "item-9"}
			}
			b, err := f.town.CreateBead(f.env.Clock, model.CreateBeadInput{Type: model.TypeIssue, Title: "wanted",
				RigID: applyRig, Metadata: meta})
			f.must(err)
			c.setup(f)
			a := Action{Type: ReportWastelandDone, CanonicalBeadID: b.ID, WastelandID: "wl-1", ItemID: "item-9", Evidence: "https://github.com/acme/widgets/pull/42"}
			e := f.apply(a)
			if e == nil || len(f.env.Calls) != 0 {
				t.Fatalf("effect %v, sync calls %s", e, f.callKinds())
			}
			f.advance(time.Minute)
			err = e.Run(f.env)
			if (err != nil) != c.wantReject {
				t.Fatalf("Run error = %v, want rejection %v", err, c.wantReject)
			}
			wantEq(t, "calls", f.callKinds(), c.wantCalls)
			for _, call := range f.env.Calls {
				if call.WastelandID != "wl-1" || call.ItemID != "item-9" {
					t.Errorf("call %+v lacks the item", call)
				}
				if call.Kind == model.CallWastelandDone && call.Evidence != a.Evidence {
					t.Errorf("mark_done evidence = %q", call.Evidence)
				}
			}
			if c.wantStamp {
				wantEq(t, "reported_done_at", f.meta(b.ID, "wasteland.reported_done_at"), f.now())
				wantEq(t, "reported_evidence", f.meta(b.ID, "wasteland.reported_evidence"), a.Evidence)
				wantEq(t, "updated_at", f.bead(b.ID, "updated_at"), f.now())
				wantEq(t, "tag kept", f.meta(b.ID, "wasteland.item_id"), "item-9")
			} else {
				wantEq(t, "reported_done_at", f.meta(b.ID, "wasteland.reported_done_at"), "<NULL>")
				wantEq(t, "updated_at", f.bead(b.ID, "updated_at"), model.ISO(applyT0))
			}
		})
	}
}

// TestApplyReportWastelandDoneStampThrows: on the already-done path the
// stamp runs outside any try, so a failing stamp rejects the effect; after
// the upstream RPC it is caught.
func TestApplyReportWastelandDoneStampThrows(t *testing.T) {
	for _, done := range []bool{true, false} {
		f := newApplyFix(t)
		if _, err := f.town.UpdateTownConfig(model.TownConfigUpdate{OwnerUserID: model.Ptr("owner-1")}); err != nil {
			f.t.Fatal(err)
		}
		b := f.issue("wanted")
		f.exec(`UPDATE beads SET metadata = 'not json' WHERE bead_id = ?`, b)
		f.answer(model.CallWastelandBrowse, model.Result{ItemDone: done})
		f.answer(model.CallWastelandDone, model.Result{OK: true})
		err := f.applyRun(Action{Type: ReportWastelandDone, CanonicalBeadID: b, WastelandID: "wl", ItemID: "it"})
		if (err != nil) != done {
			t.Errorf("already done upstream %v: rejection %v", done, err)
		}
	}
}

package explore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/scenarios"
)

func TestEntityKindAndSignature(t *testing.T) {
	for _, tt := range []struct {
		v    scenarios.Violation
		want string
	}{
		{scenarios.Violation{Property: scenarios.PropBeadLost, Entity: "b-123"}, scenarios.PropBeadLost + " | - | bead"},
		{scenarios.Violation{Property: scenarios.PropInvariant, Entity: "#7 agent-1"}, scenarios.PropInvariant + " | - | invariant #7"},
		{scenarios.Violation{Property: scenarios.PropFlap, Entity: "a1", Detail: "agent a1 went idle -> working 5 times"}, scenarios.PropFlap + " | - | agent"},
		{scenarios.Violation{Property: scenarios.PropTriageLeftAlone, Entity: "b", Rule: "BD-3"}, scenarios.PropTriageLeftAlone + " | BD-3 | bead"},
		{scenarios.Violation{Property: scenarios.PropQueueDrains}, scenarios.PropQueueDrains + " | - | town"},
		{scenarios.Violation{Property: "check/query", Entity: "x"}, "check/query | - | other"},
	} {
		if got := Signature(tt.v); got != tt.want {
			t.Errorf("Signature(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
	if got := reports.Slug(scenarios.PropInvariant + " | - | invariant #7"); got != "safety-production-invariant-invariant-7" {
		t.Errorf("slug = %q", got)
	}
}

// mutantCampaign is a small campaign on a deliberate bug, so that it finds
// a failure to shrink, deduplicate and write.
var mutantCampaign = scenarios.Campaign{Seed: 3, Scenarios: []string{"fresh-town"}, Mutant: model.MutantDoubleDispatch}

// A campaign runs its cases, deduplicates their failures by signature,
// shrinks each from its lowest case, and writes a report folder whose
// scenario files replay the failure; reading the folder back and merging
// it alone gives the same canonical report.
func TestRunShrinksDeduplicatesAndWrites(t *testing.T) {
	r, err := Run(context.Background(), Options{Campaign: mutantCampaign, Cases: 3, Jobs: 2, ShrinkRuns: 4, Exec: InProcess{}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.CaseResults) != 3 || r.Interrupted {
		t.Fatalf("%d cases, interrupted %v; want 3 and false", len(r.CaseResults), r.Interrupted)
	}
	sig := ""
	for _, s := range r.Signatures {
		if s.Property == scenarios.PropOneOwner {
			sig = s.Signature
			if s.Shrunk == nil || !s.Shrunk.Replays || s.Shrunk.Index != s.FirstCase {
				t.Errorf("signature %s: shrunk %+v, want a shrink of case %d that replays", sig, s.Shrunk, s.FirstCase)
			}
			if s.Cases < 1 || s.Cases > 3 {
				t.Errorf("signature %s in %d cases", sig, s.Cases)
			}
		}
	}
	if sig == "" {
		t.Fatalf("the double-dispatch mutant was not caught: signatures %+v", r.Signatures)
	}
	if g := r.Growth[len(r.Growth)-1]; g.Cases != 3 || g.Rules == 0 || g.Actions == 0 || g.Signatures != len(r.Signatures) {
		t.Errorf("last growth point %+v", g)
	}
	dir := filepath.Join(t.TempDir(), "out")
	if err := r.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteDir(dir); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("a second WriteDir into the folder: %v, want a refusal", err)
	}
	for _, f := range []string{"report.json", "report.md", "report.html", "coverage.png", "coverage.svg"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	md, _ := os.ReadFile(filepath.Join(dir, "report.md"))
	for _, s := range r.Signatures {
		line := ReplayLine(dir, s)
		if !bytes.Contains(md, []byte(line)) {
			t.Errorf("report.md lacks %q", line)
		}
		if s.Signature != sig {
			continue
		}
		rep, err := scenarios.Replay(filepath.Join(dir, s.File), scenarios.CheckOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !hasSignature(rep, sig) {
			t.Errorf("%s does not replay %s: %v", s.File, sig, rep.Failures)
		}
	}
	merged, err := Merge([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	a, _ := r.Canonical()
	b, _ := merged.Canonical()
	if !bytes.Equal(a, b) {
		t.Errorf("the report read back and merged differs from the run's:\n%s\n---\n%s", a, b)
	}
	if _, err := Merge([]string{dir, dir}); err == nil || !strings.Contains(err.Error(), "in both") {
		t.Errorf("merging a folder twice: %v, want an error", err)
	}
}

// Ctrl-C (a cancelled context) stops the campaign: no case starts, the
// report says it was interrupted.
func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r, err := Run(ctx, Options{Campaign: mutantCampaign, Budget: time.Hour, Jobs: 2, Exec: InProcess{}})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Interrupted || len(r.CaseResults) != 0 {
		t.Errorf("interrupted %v with %d cases; want true and 0", r.Interrupted, len(r.CaseResults))
	}
	for _, o := range []Options{
		{Campaign: mutantCampaign, Exec: InProcess{}},
		{Campaign: mutantCampaign, Cases: 1, Shard: 4, Shards: 4, Exec: InProcess{}},
		{Campaign: scenarios.Campaign{Seed: 1}, Cases: 1, Exec: InProcess{}},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("Run(%+v) accepted a campaign it cannot run", o)
		}
	}
}

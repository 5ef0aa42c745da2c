package scenarios

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/differential/fixture"
	"github.com/townsim/townsim/sim"
)

// variantHost writes a variant of the fixture and starts a host on it.
func variantHost(t *testing.T, v fixture.Variant) *differential.Host {
	t.Helper()
	dir := t.TempDir()
	if err := fixture.Write(dir, v); err != nil {
		t.Fatal(err)
	}
	return startHost(t, dir)
}

// driveRun is a short busy town, as the differential package's tests run.
func driveRun() sim.Config {
	cfg := sim.DefaultConfig()
	cfg.Agents = 30
	cfg.Duration = 2 * time.Minute
	return cfg
}

// In drive mode the properties judge the original's run: the fixture
// passes the nudge bound and a variant that nudges every agent on every
// pass breaks it. Differences from the port are counted and saved but
// fail only with Strict; a checkout that emits an action the port cannot
// apply, or throws on every pass, is a verdict naming the action or the
// message.
func TestDriveModeJudgesTheOriginal(t *testing.T) {
	for _, tc := range []struct {
		variant  fixture.Variant
		strict   bool
		fail     []string // properties that must fail
		pass     []string // properties that must not
		verdict  string   // in the verdict, "" = no verdict
		differed bool
	}{
		{variant: fixture.Original, pass: []string{PropNudges, PropDifferential, PropOriginalUnusable}, differed: true},
		{variant: fixture.Original, strict: true, fail: []string{PropDifferential}, differed: true},
		{variant: fixture.NudgeStorm, fail: []string{PropNudges}, pass: []string{PropDifferential, PropOriginalUnusable}, differed: true},
		{variant: fixture.UnknownAction, fail: []string{PropOriginalUnusable}, verdict: fixture.UnknownActionType},
		{variant: fixture.Throws, fail: []string{PropOriginalUnusable}, verdict: fixture.ThrowMessage},
	} {
		name := string(tc.variant)
		if tc.strict {
			name += "/strict"
		}
		t.Run(name, func(t *testing.T) {
			g := Gastown{Host: variantHost(t, tc.variant), Mode: differential.ModeDrive,
				DiffDir: filepath.Join(t.TempDir(), "diffs"), SaveLimit: 3, Strict: tc.strict}
			rep, gr, err := CheckGastown(driveRun(), Bounds{}, CheckOptions{Determinism: true}, g)
			if err != nil {
				t.Fatal(err)
			}
			failing := failingProperties(rep)
			for _, p := range tc.fail {
				if !slices.Contains(failing, p) {
					t.Errorf("%s did not fail; failing: %v", p, failing)
				}
			}
			for _, p := range tc.pass {
				if slices.Contains(failing, p) {
					t.Errorf("%s failed: %v", p, rep.Failures)
				}
			}
			if tc.verdict != "" {
				if !strings.Contains(gr.Verdict, tc.verdict) || failing[0] != PropOriginalUnusable {
					t.Errorf("verdict %q (first failure %s), want one naming %q", gr.Verdict, failing[0], tc.verdict)
				}
			} else if gr.Verdict != "" {
				t.Errorf("verdict %q", gr.Verdict)
			}
			if tc.differed {
				if gr.Stats.Differed == 0 || gr.Stats.Table == nil || gr.DiffDir == "" {
					t.Errorf("differences not counted: %+v", gr)
				}
				saved, _ := filepath.Glob(filepath.Join(gr.DiffDir, "diff-*.json"))
				if len(saved) != min(3, gr.Stats.Differed) {
					t.Errorf("%d differences saved, want the first %d of %d", len(saved), min(3, gr.Stats.Differed), gr.Stats.Differed)
				}
			}
			if gr.Mode != "drive" || gr.Stats.Compared == 0 {
				t.Errorf("result %+v", gr)
			}
			if slices.Contains(failing, PropDeterminism) {
				t.Errorf("drive mode ran the determinism check against the port's plain run")
			}
		})
	}
}

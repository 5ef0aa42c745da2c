package main

import (
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/townsim/townsim/differential"
)

// Schema drift across three real layouts of gastown's history, read from
// the git repository $TOWNSIM_GASTOWN_GIT (a clone of Kilo-Org/cloud or
// its public fork): the first reconciler (March 2026, cloudflare-gastown/,
// before the dispatch-attempt, stall and review-timer columns), one of
// April 2026 (services/gastown/, before the stall column) and c293a7cb
// (with a wasteland table the port does not have). Each bundles,
// gets exactly the adaptations listed, and drives a short town in drive
// mode with no verdict.
func TestRealHistoryLayouts(t *testing.T) {
	dir := os.Getenv("TOWNSIM_GASTOWN_GIT")
	if dir == "" {
		t.Skip("TOWNSIM_GASTOWN_GIT is not set: give a git repository of gastown (a clone of Kilo-Org/cloud) to test three real layouts")
	}
	for _, tc := range []struct {
		commit, layout string
		drift          differential.Drift
	}{
		{"496192ecd", "cloudflare-gastown", differential.Drift{MissingColumns: []string{"agent_metadata.stalled_at",
			"beads.dispatch_attempts", "beads.last_dispatch_attempt_at", "review_metadata.auto_merge_ready_since",
			"review_metadata.last_feedback_check_at"}}},
		{"03fa5594d", "services/gastown", differential.Drift{MissingColumns: []string{"agent_metadata.stalled_at"}}},
		{"c293a7cb", "services/gastown", differential.Drift{ExtraTables: []string{"town_wasteland_connections"}}},
	} {
		t.Run(tc.commit, func(t *testing.T) {
			ids, err := resolveCommits(dir, []string{tc.commit})
			if err != nil {
				t.Fatal(err)
			}
			c := runHistoryTask(historyTask{GitDir: dir, Commit: ids[0], Scenarios: []string{"fresh-town"},
				Cap: 5 * time.Minute, DiffDir: t.TempDir(), MaxDiffs: 3})
			if c.Error != "" || c.Layout != tc.layout || len(c.Cases) != 1 {
				t.Fatalf("%+v", c)
			}
			if c.Drift == nil || !reflect.DeepEqual(*c.Drift, tc.drift) {
				t.Errorf("schema drift %+v, want %+v", c.Drift, tc.drift)
			}
			k := c.Cases[0]
			if k.Gastown.Verdict != "" || k.Gastown.Stats.Compared == 0 || k.Gastown.OriginalThrew > 0 {
				t.Errorf("drive mode on %s: %+v", tc.commit, k.Gastown)
			}
		})
	}
}

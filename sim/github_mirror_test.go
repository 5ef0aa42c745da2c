package sim

import "testing"

// A polecat's PR reported under a mirror keeps its repository path and
// number on the mirror's host: another forge for a GitHub rig, another
// GitLab host for a GitLab rig; without the knob the URL is unchanged.
func TestMirroredPRURLs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mirror float64
		want   []string
	}{
		{"off", 0, []string{"https://github.com/townsim/rig-1/pull/1",
			"https://gitlab.example.com/townsim/rig-2/-/merge_requests/1"}},
		{"always", 1, []string{"https://git.mirror.example/townsim/rig-1/pull/1",
			"https://gitlab.mirror.example/townsim/rig-2/-/merge_requests/1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Rigs = 2
			cfg.Town.GitLabRigs = 1
			cfg.Town.GitLabHost = "gitlab.example.com"
			cfg.GitHub.Mirror = tc.mirror
			w, err := NewWorld(cfg, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			for i, want := range tc.want {
				rig := w.rigs[i].id
				if got := w.github.reported(w.github.open(rig, "b", false), rig); got != want {
					t.Errorf("rig %d: reported %s, want %s", i+1, got, want)
				}
			}
		})
	}
}

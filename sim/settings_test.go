package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
)

// The settings added for scenarios are checked under their key paths.
func TestConfigValidateScenarioSettings(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"all off", func(*Config) {}, ""},
		{"all on", func(c *Config) {
			c.Town.CodeReviewOffRigs = c.Rigs
			c.Containers.TriageStartFail = 1
			c.Work.MayorSession = des.Const(time.Hour)
			c.Workload.Delete, c.Workload.DeleteAfter, c.Workload.DeleteOnDone = 0.1, des.Exp(time.Minute), 0.1
			c.GitHub.Rejected, c.GitHub.LandingClose = 1, 0.5
			c.Town.GitLabRigs, c.Town.GitLabHost, c.Workload.Wasteland = c.Rigs, "gitlab.example.com", 0.5
		}, ""},
		{"gitlab rigs", func(c *Config) { c.Town.GitLabRigs = c.Rigs + 1 }, "town.gitlab_rigs: must be between 0 and rigs"},
		{"gitlab host with a scheme", func(c *Config) { c.Town.GitLabHost = "https://gitlab.example.com" },
			`town.gitlab_host: must be a host name such as gitlab.example.com, got "https://gitlab.example.com"`},
		{"wasteland", func(c *Config) { c.Workload.Wasteland = -0.1 }, "workload.wasteland: must be a probability"},
		{"landing close", func(c *Config) { c.GitHub.LandingClose = 1.5 }, "github.landing_close: must be a probability"},
		{"mirror", func(c *Config) { c.GitHub.Mirror = -0.5 }, "github.mirror: must be a probability"},
		{"rejected needs a close delay", func(c *Config) { c.GitHub.Rejected, c.GitHub.CloseDelay = 1, des.Dist{} },
			"github.close_delay: dist: Kind is empty"},
		{"negative rejected weight", func(c *Config) { c.GitHub.Rejected = -1 }, "github.merge"},
		{"code review off on more rigs than there are", func(c *Config) { c.Town.CodeReviewOffRigs = c.Rigs + 1 },
			"town.code_review_off_rigs: must be between 0 and rigs"},
		{"negative code review off rigs", func(c *Config) { c.Town.CodeReviewOffRigs = -1 }, "town.code_review_off_rigs"},
		{"triage start fail", func(c *Config) { c.Containers.TriageStartFail = 1.5 }, "containers.triage_start_fail: must be a probability"},
		{"mayor session", func(c *Config) { c.Work.MayorSession = des.Dist{Kind: des.KindExp} }, "work.mayor_session: dist exp: Mean"},
		{"delete", func(c *Config) { c.Workload.Delete = 2 }, "workload.delete: must be a probability"},
		{"delete needs a delay", func(c *Config) { c.Workload.Delete = 0.5 }, "workload.delete_after: dist: Kind is empty"},
		{"unrig", func(c *Config) { c.Workload.Unrig = 1.5 }, "workload.unrig: must be a probability"},
		{"unrig needs a delay", func(c *Config) { c.Workload.Unrig = 0.5 }, "workload.unrig_after: dist: Kind is empty"},
		{"delete on done", func(c *Config) { c.Workload.DeleteOnDone = 2 }, "workload.delete_on_done: must be a probability"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.mutate(&c)
			err := c.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// Town.CodeReviewOffRigs switches code review off in the first rigs'
// override configuration, and only there.
func TestCodeReviewOffRigs(t *testing.T) {
	for _, off := range []int{0, 2} {
		cfg := DefaultConfig()
		cfg.Rigs, cfg.Agents = 3, 1
		cfg.Town.CodeReviewOffRigs = off
		p := newProbe(t, cfg).run(time.Minute)
		rigs, err := p.w.town.ListRigs()
		if err != nil || len(rigs) != 3 {
			t.Fatalf("rigs %v %v", rigs, err)
		}
		for i, r := range rigs {
			isOff := r.Config.CodeReview != nil && !*r.Config.CodeReview
			if isOff != (i < off) {
				t.Errorf("off=%d: rig %d code_review override %v", off, i, r.Config.CodeReview)
			}
		}
	}
}

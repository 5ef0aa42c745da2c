package sim

import (
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// beadsLabelled counts beads carrying label with the given status ("" = any).
func (p *probe) beadsLabelled(label, status string) int {
	p.t.Helper()
	n, err := p.w.town.DB().Int(`SELECT count(*) FROM beads WHERE labels LIKE ? AND (? = '' OR status = ?)`,
		`%"`+label+`"%`, status, status)
	if err != nil {
		p.t.Fatal(err)
	}
	return n
}

// Agent work outcomes and what the Town makes of them.
func TestAgentOutcomes(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		// flip, when set, runs once the world has done what the case is
		// about, to let the issue finish normally afterwards.
		flip  func(p *probe) bool
		end   string
		check func(t *testing.T, p *probe)
	}{
		{"polecat done with a PR, reviewed, merged", func(c *Config) {}, nil, model.StatusClosed,
			func(t *testing.T, p *probe) {
				s := p.w.Stats()
				if s.PRsOpened != 1 || s.PRsMerged != 1 || p.countActions("poll_pr") == 0 {
					t.Errorf("PRs opened %d merged %d, polls %d", s.PRsOpened, s.PRsMerged, p.countActions("poll_pr"))
				}
				if n, _ := p.w.town.DB().Int(`SELECT count(*) FROM beads WHERE type = 'merge_request' AND status = 'closed'`); n != 1 {
					t.Errorf("%d closed MRs, want 1", n)
				}
			}},
		{"polecat fails", func(c *Config) { c.Work.Done, c.Work.Failed = 0, 1 }, nil, model.StatusFailed,
			func(t *testing.T, p *probe) {
				if !p.w.failureDrawn[p.w.issues[0].id] || p.w.Stats().PRsOpened != 0 {
					t.Errorf("failure not drawn, or a PR was opened")
				}
			}},
		{"direct strategy: the refinery merges without a PR", func(c *Config) { c.Town.MergeStrategy = "direct" }, nil,
			model.StatusClosed, func(t *testing.T, p *probe) {
				if p.w.Stats().PRsOpened != 0 || p.countActions("poll_pr") != 0 {
					t.Errorf("PRs opened %d, polls %d; want none", p.w.Stats().PRsOpened, p.countActions("poll_pr"))
				}
			}},
		{"comments review: PR feedback bead, fixed, merged", func(c *Config) { c.Work.Approve, c.Work.RequestChanges = 0, 1 },
			func(p *probe) bool { return p.w.Stats().ChangeRequests > 0 }, model.StatusClosed,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelPRFeedback, model.StatusClosed) == 0 {
					t.Errorf("no PR feedback bead was worked")
				}
			}},
		{"rework review with a PR: rework bead, then merged", func(c *Config) {
			c.Town.ReviewMode = "rework"
			c.Work.Approve, c.Work.RequestChanges = 0, 1
		}, func(p *probe) bool { return p.w.Stats().ChangeRequests > 0 }, model.StatusClosed,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelRework, model.StatusClosed) == 0 {
					t.Errorf("no rework bead was worked")
				}
			}},
		{"rework review without a PR: the refinery exits without gt_done", func(c *Config) {
			c.Town.MergeStrategy = "direct"
			c.Work.Approve, c.Work.RequestChanges = 0, 1
		}, func(p *probe) bool { return p.w.Stats().ChangeRequests > 0 }, model.StatusClosed,
			func(t *testing.T, p *probe) {
				if p.beadsLabelled(model.LabelRework, "") == 0 {
					t.Errorf("no rework bead")
				}
			}},
		{"refinery fails: the MR is reviewed again", func(c *Config) { c.Work.Approve, c.Work.ReviewFail = 0, 1 },
			func(p *probe) bool { return p.w.Stats().AgentFailures > 0 }, model.StatusClosed,
			func(t *testing.T, p *probe) {
				n := 0
				for _, c := range p.calls {
					if c.c.Kind == model.CallStartAgent && c.c.Role == model.RoleRefinery {
						n++
					}
				}
				if n < 2 {
					t.Errorf("the refinery was started %d times, want at least twice", n)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig()
			tt.mutate(&cfg)
			p := newProbe(t, cfg)
			if tt.flip != nil {
				p.flipOnce(tt.flip, func() { p.w.cfg.Work = smallConfig().Work })
			}
			p.run(2 * time.Hour)
			if s := p.onlyIssue(); s != tt.end {
				t.Errorf("issue ended %s, want %s", s, tt.end)
			}
			tt.check(t, p)
		})
	}
}

// The mayor is started once and stays working (heartbeating) for the run.
func TestAgentMayorStaysWorking(t *testing.T) {
	cfg := smallConfig()
	cfg.Containers.ColdStart = des.Const(3 * time.Second)
	p := newProbe(t, cfg).run(3 * time.Hour)
	mayor, err := p.w.town.GetAgent(p.w.mayorID)
	if err != nil || mayor == nil {
		t.Fatalf("no mayor: %v", err)
	}
	if mayor.Status != model.AgentWorking || p.w.containers.procs[mayor.ID].state != procRunning {
		t.Errorf("mayor %s, process %s", mayor.Status, p.w.containers.procs[mayor.ID].state)
	}
}

// A triage agent resolves the requests of its batch (the action chosen by
// triage_type), then gt_done closes the batch: in a town whose agents all
// get stuck, GUPP's escalations make one batch per request round instead
// of a new batch every cooldown (83 in 6 h before triage was resolved).
func TestAgentTriageBatches(t *testing.T) {
	tests := []struct {
		name   string
		agents int
		stuck  bool
	}{
		{"one stuck agent", 1, true},
		{"three stuck agents", 3, true},
		{"healthy town: no triage", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := smallConfig()
			cfg.Agents = tt.agents
			if tt.stuck {
				cfg.Containers.Healthy = 0
				cfg.Containers.Stuck = Stage{Weight: 1, After: des.Const(5 * time.Minute)}
			}
			p := newProbe(t, cfg).run(6 * time.Hour)
			batches := p.beadsLabelled(model.LabelTriage, "")
			requests := p.beadsLabelled(model.LabelTriageRequest, "")
			db := p.w.town.DB()
			restarted, err := db.Int(`SELECT count(*) FROM beads WHERE labels LIKE '%"gt:triage-request"%' AND status = 'closed'
				AND json_extract(metadata, '$.resolution_action') = 'RESTART'
				AND json_extract(metadata, '$.resolved_by') IS NOT NULL`)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.stuck {
				if batches != 0 || requests != 0 {
					t.Errorf("healthy town: %d batches, %d requests", batches, requests)
				}
				return
			}
			if requests == 0 || batches == 0 {
				t.Fatalf("no triage: %d requests, %d batches", requests, batches)
			}
			if batches > requests || batches > 6*tt.agents {
				t.Errorf("%d batches for %d requests (at most one per request and per GUPP round of each agent: %d)",
					batches, requests, 6*tt.agents)
			}
			if open := p.beadsLabelled(model.LabelTriageRequest, model.StatusOpen); restarted+open != requests {
				t.Errorf("%d requests: %d restarted by a triage agent, %d open", requests, restarted, open)
			}
			closed := p.beadsLabelled(model.LabelTriage, model.StatusClosed)
			if active := p.beadsLabelled(model.LabelTriage, model.StatusInProgress); closed+active != batches || active > 1 {
				t.Errorf("%d batches: %d closed by gt_done, %d in progress", batches, closed, active)
			}
			if e := p.w.Stats().RPCErrors; e != 0 {
				t.Errorf("%d RPC errors", e)
			}
		})
	}
}

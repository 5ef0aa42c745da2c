package sim

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// probe is a World with recorders around the tick and the calls.
type probe struct {
	t       *testing.T
	w       *World
	actions []string     // "<offset> <action>"
	calls   []probeCall  // every answered call
	agents  []agentShot  // agent states after every tick
	kv      []model.KV   // KV state after every tick
	ticks   []TickRecord // every tick
}

type probeCall struct {
	at time.Duration
	c  model.Call
	r  model.Result
}

type agentShot struct {
	at     time.Duration
	id     string
	role   string
	status string
	hook   string
}

// smallConfig is one rig, one polecat and one issue slung at the start
// (no later arrivals), fixed durations, no faults.
func smallConfig() Config {
	c := DefaultConfig()
	c.Rigs = 1
	c.Agents = 1
	c.WorkloadStop = time.Second
	c.Containers.ColdStart = des.Const(30 * time.Second)
	c.Work.Polecat = des.Const(10 * time.Minute)
	c.Work.Fixup = des.Const(3 * time.Minute)
	c.Work.Refinery = des.Const(3 * time.Minute)
	c.Work.DoneToCompleted = des.Const(time.Second)
	c.GitHub.MergeDelay = des.Const(5 * time.Minute)
	c.GitHub.ChecksDelay = des.Const(time.Minute)
	c.GitHub.ApprovalDelay = des.Const(10 * time.Minute)
	c.GitHub.CloseDelay = des.Const(4 * time.Minute)
	return c
}

func newProbe(t *testing.T, cfg Config) *probe {
	t.Helper()
	w, err := NewWorld(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	p := &probe{t: t, w: w}
	observe := w.alarm.observe
	w.alarm.observe = func(rec *TickRecord, res *alarm.TickResult, err error, retry bool) {
		observe(rec, res, err, retry)
		at := rec.At.Sub(cfg.Start)
		p.ticks = append(p.ticks, *rec)
		if res != nil {
			for _, a := range res.Actions {
				p.actions = append(p.actions, fmt.Sprintf("%v %s", at, a))
			}
		}
		as, err := w.town.ListAgents()
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			p.agents = append(p.agents, agentShot{at, a.ID, a.Role, a.Status, a.Hook.String})
		}
		p.kv = append(p.kv, *w.town.KV())
	}
	onCall := w.env.OnCall
	w.env.OnCall = func(c model.Call, sent time.Time, r model.Result) {
		onCall(c, sent, r)
		p.calls = append(p.calls, probeCall{w.eng.Now().Sub(cfg.Start), c, r})
	}
	return p
}

func (p *probe) run(d time.Duration) *probe {
	p.w.RunUntil(p.w.cfg.Start.Add(d))
	return p
}

// countActions counts actions whose text contains every part.
func (p *probe) countActions(parts ...string) int {
	n := 0
next:
	for _, a := range p.actions {
		for _, s := range parts {
			if !strings.Contains(a, s) {
				continue next
			}
		}
		n++
	}
	return n
}

// countCalls counts answered calls of a kind matching ok.
func (p *probe) countCalls(kind model.CallKind, ok func(model.Result) bool) int {
	n := 0
	for _, c := range p.calls {
		if c.c.Kind == kind && (ok == nil || ok(c.r)) {
			n++
		}
	}
	return n
}

// polecatStatuses is the sequence of distinct statuses the first
// polecat's agent row went through, tick by tick.
func (p *probe) polecatStatuses() string {
	var out []string
	id := ""
	for _, s := range p.agents {
		if s.role != model.RolePolecat {
			continue
		}
		if id == "" {
			id = s.id
		}
		if s.id == id && (len(out) == 0 || out[len(out)-1] != s.status) {
			out = append(out, s.status)
		}
	}
	return strings.Join(out, " ")
}

// issueStatuses returns the users' issues' statuses in creation order.
func (p *probe) issueStatuses() []string {
	var out []string
	for _, r := range p.w.issues {
		out = append(out, p.w.status(r.id))
	}
	return out
}

func TestRunDeterminism(t *testing.T) {
	tests := []struct {
		seed   uint64
		agents int
		d      time.Duration
	}{
		{1, 2, time.Hour},
		{2, 8, 30 * time.Minute},
		{3, 30, 20 * time.Minute},
	}
	hashes := map[string]string{}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("seed%d_agents%d", tt.seed, tt.agents), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Seed, cfg.Agents, cfg.Duration = tt.seed, tt.agents, tt.d
			cfg.Workload.ConvoysPerHour, cfg.Workload.HeldPerHour, cfg.Workload.Unassigned = 2, 2, 0.3
			cfg.Containers.Healthy, cfg.Containers.Crashed.Weight = 0.9, 0.1
			cfg.GitHub.Errors.ServerError = 0.05
			var traceA, traceB bytes.Buffer
			a, err := Run(cfg, RunOptions{Trace: &traceA})
			if err != nil {
				t.Fatal(err)
			}
			b, err := Run(cfg, RunOptions{Trace: &traceB, WallClock: time.Now,
				Progress: func(Progress) {}, ProgressEvery: 7 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			if a.TraceHash != b.TraceHash || a.TraceRecords != b.TraceRecords || !bytes.Equal(traceA.Bytes(), traceB.Bytes()) {
				t.Fatalf("same seed, different runs: %s (%d records) vs %s (%d records)",
					a.TraceHash, a.TraceRecords, b.TraceHash, b.TraceRecords)
			}
			if a.Ticks == 0 || a.Beads.Created == 0 || a.TraceRecords < 100 {
				t.Errorf("run did too little to compare: %d ticks, %+v, %d records", a.Ticks, a.Beads, a.TraceRecords)
			}
			cfg.Seed += 100
			c, err := Run(cfg, RunOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.TraceHash == a.TraceHash {
				t.Errorf("seeds %d and %d give the same hash %s", tt.seed, cfg.Seed, a.TraceHash)
			}
			hashes[t.Name()] = a.TraceHash
		})
	}
	seen := map[string]bool{}
	for _, h := range hashes {
		if seen[h] {
			t.Errorf("two configurations share hash %s", h)
		}
		seen[h] = true
	}
}

// A small town runs two hours without faults: every issue users created
// in the first hour ends closed, no issue is stuck, the event queue is
// empty, and the only invariant violations are those production's own
// rules cause.
func TestRunEndToEndNoFaults(t *testing.T) {
	// allowedViolations are the invariants production itself breaks in a
	// healthy PR-strategy town (reconciler.md §4.1, §8):
	allowedViolations := map[int]string{
		// #3: several PR-backed MRs in progress per rig, which RQ-5 and
		// RQ-FT allow by design (hazard 2).
		3: "PR-backed MRs in progress in parallel",
		// #7: a heartbeat turns an unhooked idle agent working (touchAgent)
		// until AG-1 idles it, e.g. a polecat whose process reports after
		// its gt_done was drained.
		7: "heartbeat after gt_done makes an unhooked agent working for a tick",
	}
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			cfg := endToEndConfig(seed)
			p := newProbe(t, cfg).run(2 * time.Hour)
			res := p.w.Result()
			firstHour := 0
			for _, r := range p.w.issues {
				if !r.created || r.at.After(cfg.Start.Add(time.Hour)) {
					continue
				}
				firstHour++
				switch s := p.w.status(r.id); s {
				case model.StatusClosed:
				case model.StatusFailed:
					if !p.w.failureDrawn[r.id] && r.cancel != model.StatusFailed {
						t.Errorf("issue %s (%s) failed without a drawn failure", r.id, r.kind)
					}
				default:
					t.Errorf("issue %s (%s, created %v) is stuck %s", r.id, r.kind, r.at.Sub(cfg.Start), s)
				}
			}
			kinds := map[string]bool{}
			for _, r := range p.w.issues {
				kinds[r.kind] = true
			}
			if firstHour < 10 || len(kinds) < 4 {
				t.Errorf("workload too thin: %d issues in the first hour, kinds %v", firstHour, kinds)
			}
			for n, c := range res.ViolationsByNumber {
				if _, ok := allowedViolations[n]; !ok {
					t.Errorf("invariant #%d violated %d times", n, c)
				}
			}
			if res.PendingEventsAtEnd != 0 || res.TickErrors != 0 || res.SideEffectsFailed != 0 {
				t.Errorf("pending events %d, tick errors %d, failed side effects %d",
					res.PendingEventsAtEnd, res.TickErrors, res.SideEffectsFailed)
			}
			if res.World.PRsMerged == 0 || res.ActionsByType["poll_pr"] == 0 {
				t.Errorf("no PR flow: %+v", res.World)
			}
		})
	}
}

// endToEndConfig is a small, fault-free town with every kind of user work:
// slung, unassigned and held issues, convoys in both modes, change
// requests, and PRs that need feedback, fixed CI or an approval.
func endToEndConfig(seed uint64) Config {
	c := DefaultConfig()
	c.Seed = seed
	c.Agents = 4
	c.WorkloadStop = time.Hour
	c.Work.Polecat = des.LogNormal(8*time.Minute, 0.3)
	c.Work.Fixup = des.LogNormal(3*time.Minute, 0.3)
	c.Work.Refinery = des.LogNormal(2*time.Minute, 0.3)
	c.Work.DoneToCompleted = des.Uniform(0, time.Second)
	c.Work.RequestChanges = 0.15
	c.GitHub.Merge, c.GitHub.Comments, c.GitHub.FailingChecks, c.GitHub.Approval = 0.6, 0.15, 0.15, 0.1
	c.GitHub.MergeDelay = des.LogNormal(8*time.Minute, 0.3)
	c.GitHub.ChecksDelay = des.Uniform(time.Minute, 3*time.Minute)
	c.GitHub.ApprovalDelay = des.Uniform(5*time.Minute, 15*time.Minute)
	w := &c.Workload
	w.IssuesPerHour, w.Unassigned = 12, 0.25
	w.ConvoysPerHour, w.ConvoyMaxTasks, w.ConvoyDepends, w.ReviewAndMerge, w.Staged = 2, 3, 0.5, 0.5, 0.5
	w.StartDelay = des.Uniform(time.Minute, 5*time.Minute)
	w.HeldPerHour, w.HoldFor = 2, des.Uniform(2*time.Minute, 10*time.Minute)
	return c
}

func TestConfigValidateNamesField(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"default is valid", func(*Config) {}, ""},
		{"bad dist", func(c *Config) { c.Containers.ColdStart = des.LogNormal(0, 1) }, "containers.cold_start: dist lognormal: Median"},
		{"no rigs", func(c *Config) { c.Rigs = 0 }, "rigs: must be at least 1"},
		{"zero weights", func(c *Config) { c.Work.Done = 0 }, "work.done: weights are all zero"},
		{"negative weight", func(c *Config) { c.Containers.Crashed.Weight = -1 }, "containers.healthy: weights must be finite"},
		{"stage needs a delay", func(c *Config) { c.Containers.Evicted = Stage{Weight: 1} }, "containers.evicted.after: dist: Kind is empty"},
		{"unknown strategy", func(c *Config) { c.Town.MergeStrategy = "squash" }, `town.merge_strategy: is "squash"`},
		{"latency", func(c *Config) { c.Latency.PRStatus = des.Dist{} }, "latency.pr_status"},
		{"probability", func(c *Config) { c.Workload.Unassigned = 2 }, "workload.unassigned: must be a probability"},
		{"diurnal", func(c *Config) { c.Workload.Diurnal = 1 }, "workload.diurnal"},
		{"convoy tasks", func(c *Config) {
			c.Workload.ConvoysPerHour, c.Workload.ConvoyMinTasks, c.Workload.ConvoyMaxTasks = 1, 3, 2
		}, "workload.convoy_max_tasks: (2) is less than convoy_min_tasks (3)"},
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
			if _, werr := NewWorld(c, RunOptions{}); (werr == nil) != (err == nil) {
				t.Errorf("NewWorld error %v disagrees with Validate %v", werr, err)
			}
		})
	}
}

// The Town starts as a scenario says: rigs configured, the mayor working,
// the fleet filled by slung issues.
func TestNewWorldSetsUpTown(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rigs, cfg.Agents = 3, 5
	p := newProbe(t, cfg).run(2 * time.Minute)
	rigs, err := p.w.town.ListRigs()
	if err != nil || len(rigs) != 3 {
		t.Fatalf("rigs %v %v", rigs, err)
	}
	for _, r := range rigs {
		rc, ok := p.w.town.RigRuntimeConfig(r.ID)
		if !ok || rc.GitURL != r.GitURL || rc.UserID != SimUserID || !strings.HasPrefix(r.GitURL, "https://github.com/townsim/") {
			t.Errorf("rig %+v not configured", r)
		}
	}
	as, _ := p.w.town.ListAgents()
	roles := map[string]int{}
	for _, a := range as {
		roles[a.Role+"/"+a.Status]++
	}
	if roles["mayor/working"] != 1 || roles["polecat/working"] != 5 {
		t.Errorf("agents by role/status %v, want the mayor and 5 polecats working", roles)
	}
	if got := p.w.Stats().Processes; got != 6 {
		t.Errorf("%d processes, want 6", got)
	}
}

// The workload's arrival rate sustains the fleet: Agents per mean work
// time, thinned by the daily curve.
func TestWorkloadArrivalRate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		lo, hi int // issues in 10 h, initial fill excluded
	}{
		{"derived from the fleet", func(c *Config) { c.Agents = 4; c.Work.Polecat = des.Const(30 * time.Minute) }, 60, 100},
		{"explicit rate", func(c *Config) { c.Workload.IssuesPerHour = 3 }, 18, 45},
		{"bursts", func(c *Config) {
			c.Workload.IssuesPerHour, c.Workload.BurstEvery, c.Workload.BurstSize = 0.001, des.Const(2*time.Hour), 5
		}, 25, 25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Workload.NoInitialFill = true
			tt.mutate(&cfg)
			// Count arrivals only: no issue reaches the Town, ticks do nothing.
			w, err := newWorld(cfg, RunOptions{}, func(*model.Town, model.Env) (*alarm.TickResult, error) {
				return &alarm.TickResult{Ran: true}, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			n := 0
			w.users.create = func(string) { n++ }
			w.eng.RunUntil(cfg.Start.Add(10*time.Hour + time.Second))
			if n < tt.lo || n > tt.hi {
				t.Errorf("%d issues in 10 h, want %d..%d", n, tt.lo, tt.hi)
			}
		})
	}
}

// The daily curve thins arrivals around midnight when the peak is at noon.
func TestWorkloadDiurnalCurve(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Workload.NoInitialFill = true
	cfg.Workload.IssuesPerHour, cfg.Workload.Diurnal, cfg.Workload.PeakHour = 6, 0.9, 12
	w, err := newWorld(cfg, RunOptions{}, func(*model.Town, model.Env) (*alarm.TickResult, error) {
		return &alarm.TickResult{Ran: true}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var night, noon int
	w.users.create = func(string) {
		switch h := w.eng.Now().Hour(); {
		case h >= 22 || h < 2:
			night++
		case h >= 10 && h < 14:
			noon++
		}
	}
	w.eng.RunUntil(cfg.Start.Add(48 * time.Hour))
	if noon < 4*night || noon < 40 {
		t.Errorf("%d arrivals around noon, %d around midnight; want a strong daily curve", noon, night)
	}
}

// Staged convoys are started after their delay, held beads are released,
// and cancelled issues end in the status the user set.
func TestWorkloadConvoysHeldAndCancellations(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rigs, cfg.Agents = 1, 2
	cfg.Workload.IssuesPerHour = 4
	cfg.Workload.ConvoysPerHour, cfg.Workload.Staged, cfg.Workload.ConvoyDepends = 3, 1, 1
	cfg.Workload.HeldPerHour = 3
	cfg.Workload.Cancel, cfg.Workload.CancelFailed = 0.5, 0.5
	cfg.WorkloadStop = time.Hour
	p := newProbe(t, cfg).run(80 * time.Minute)
	var started, released, cancelled int
	for _, r := range p.w.issues {
		switch {
		case r.kind == issueConvoy:
			staged, err := p.w.town.DB().Int(`SELECT staged FROM convoy_metadata WHERE bead_id = ?`, r.convoy)
			if err != nil {
				t.Fatal(err)
			}
			if staged == 0 {
				started++
			}
		case r.kind == issueHeld:
			b, _ := p.w.town.GetBead(r.id)
			if b != nil && !b.HasLabel(model.LabelHeld) {
				released++
			}
		}
		if r.cancel != "" {
			cancelled++
			if s := p.w.status(r.id); s != r.cancel {
				t.Errorf("cancelled issue %s is %s, want %s", r.id, s, r.cancel)
			}
		}
	}
	if started == 0 || released == 0 || cancelled == 0 {
		t.Errorf("convoy tasks started %d, held released %d, cancelled %d; want each > 0", started, released, cancelled)
	}
	if n := p.countCalls(model.CallStartAgent, nil); n == 0 {
		t.Errorf("no agent started")
	}
}

// Polling for an interrupt changes nothing until it fires; it is polled
// before every event (so a long setup, such as a large initial fill,
// notices it), and when it fires the run stops there and says so.
func TestRunInterrupted(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 20 * time.Minute
	plain, err := Run(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	polls := 0
	never, err := Run(cfg, RunOptions{Interrupted: func() bool { polls++; return false }})
	if err != nil {
		t.Fatal(err)
	}
	if never.TraceHash != plain.TraceHash || never.Interrupted {
		t.Fatalf("an interrupt that never fires changed the run: %s vs %s (interrupted %v)",
			never.TraceHash, plain.TraceHash, never.Interrupted)
	}
	if polls < 1000 {
		t.Fatalf("polled %d times in 20 simulated minutes; want once per event", polls)
	}
	all := polls
	polls = 0
	stopped, err := Run(cfg, RunOptions{Interrupted: func() bool { polls++; return polls == all/2 }})
	if err != nil {
		t.Fatal(err)
	}
	if !stopped.Interrupted || stopped.SimulatedTime >= cfg.Duration || stopped.SimulatedTime <= 0 {
		t.Fatalf("interrupted %v at %s, want true before %s", stopped.Interrupted, stopped.SimulatedTime, cfg.Duration)
	}
	if stopped.Ticks == 0 || stopped.Ticks >= plain.Ticks {
		t.Fatalf("stopped run ticked %d times, full run %d", stopped.Ticks, plain.Ticks)
	}
	first, err := Run(cfg, RunOptions{Interrupted: func() bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if !first.Interrupted || first.SimulatedTime != 0 || first.Ticks != 0 {
		t.Fatalf("an interrupt before the first event: interrupted %v at %s after %d ticks",
			first.Interrupted, first.SimulatedTime, first.Ticks)
	}
}

// With MaxOpen the users hold off while that many of their issues are not
// terminal: fewer issues arrive, and the open count stays within the bound
// once the initial fill has drained below it.
func TestWorkloadMaxOpen(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Duration = 2 * time.Hour
	open, err := Run(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workload.MaxOpen = 3
	var worst int
	w, err := NewWorld(cfg, RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for m := 30; m <= 120; m++ {
		w.RunUntil(cfg.Start.Add(time.Duration(m) * time.Minute))
		worst = max(worst, w.Result().Beads.Open)
	}
	closed := w.Result()
	if closed.Beads.Created >= open.Beads.Created {
		t.Fatalf("closed loop created %d issues, open loop %d", closed.Beads.Created, open.Beads.Created)
	}
	// An arrival is admitted at MaxOpen-1 open issues, so MaxOpen is the
	// bound; bursts are off in DefaultConfig.
	if worst > cfg.Workload.MaxOpen {
		t.Fatalf("%d issues open at once, bound %d", worst, cfg.Workload.MaxOpen)
	}
	cfg.Workload.MaxOpen = -1
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "workload.max_open") {
		t.Fatalf("negative max_open: %v", err)
	}
}

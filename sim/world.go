package sim

import (
	"fmt"
	"strconv"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
)

// World is a run in progress: one Town, the engine, the Env the Town runs
// in, the alarm driver, and the synthetic world around the Town (its
// container and agent processes, GitHub, the users). Tests drive it with
// RunUntil and look inside with Town and Engine; Run wraps it.
type World struct {
	cfg  Config
	opts RunOptions

	eng   *des.Engine
	src   *des.Source
	env   *Env
	town  *model.Town
	trace *des.Trace
	alarm *alarmDriver

	faults     *faultLayer
	containers *containers
	github     *github
	users      *workload
	agentRand  *des.Rand
	callSent   time.Time // the send time of the call OnCall observes

	rigs    []rigRec
	mayorID string
	issues  []*issueRec
	// failureDrawn marks beads some agent's drawn outcome failed.
	failureDrawn map[string]bool
	// wasteland is the wasteland service and the users' MR tags
	// (workload_wasteland.go).
	wasteland wastelandWorld
	// summaries counts the gt_done summaries sent (agents_summary.go).
	summaries int
	// deletes are the users' deletes through a rig's route (workload_delete.go).
	deletes []DeleteRequest
	// statuses are the agents' status messages and statusSeq their count
	// (agents_status.go).
	statuses  []StatusMessage
	statusSeq int
	// edits are the users' field edits and editSeq their count
	// (workload_edit.go).
	edits   []EditRequest
	editSeq int
	// agentDeletes are the users' agent deletes (workload.delete_agent).
	agentDeletes []*AgentDelete
	// refineryResets are the admins' force resets of reviewing
	// refineries (workload.reset_refinery_mid_review).
	refineryResets []*RefineryReset
	// dependsEdits is when each issue's last dependency edit by a user
	// finished (workload.depend_working).
	dependsEdits map[string]time.Time
	// emptyRigMoves is when a user moved each bead to the empty-string rig
	// (workload.unrig_empty).
	emptyRigMoves map[string]time.Time

	stats    WorldStats
	rpcMeter Meter
	agg      tickAggregates

	wallStart    time.Time
	nextProgress time.Time
	closed       bool
	destroyedAt  time.Time // when the Town's destroy finished (zero: never)
}

// rigRec is a rig the world created.
type rigRec struct {
	id, name string
	gitlab   bool   // the repository is on GitLab (TownSettings.GitLabRigs)
	branch   string // the default branch its user created it with
}

// RigDefaultBranch returns the default branch the world created the rig
// with, and whether the world created such a rig.
func (w *World) RigDefaultBranch(rigID string) (string, bool) {
	for _, r := range w.rigs {
		if r.id == rigID {
			return r.branch, true
		}
	}
	return "", false
}

// WorldStats counts what the synthetic world did.
type WorldStats struct {
	// Processes is the number of agent processes the container started.
	Processes int
	// StartFailures is the number of start calls answered with an error status.
	StartFailures int
	// Heartbeats is the number of heartbeats sent.
	Heartbeats int
	// Faults counts the fault stages that struck, by stage name.
	Faults map[string]int
	// Evictions is the number of container evictions (SIGTERM).
	Evictions int
	// AgentFailures counts agent work that ended with a failure report.
	AgentFailures int
	// ChangeRequests counts reviews that requested changes.
	ChangeRequests int
	// PRsOpened, PRsMerged and PRsClosed count pull requests.
	PRsOpened, PRsMerged, PRsClosed int
	// RPCErrors counts Town RPCs that returned an error.
	RPCErrors int
	// Analytics counts the Town's analytics events by name.
	Analytics map[string]int
	// ErrorReports counts the Town's Sentry-style reports.
	ErrorReports int
	// Deletions counts the issues users deleted; DeletedWithPending those
	// of them that had unprocessed town events then.
	Deletions, DeletedWithPending int
}

// tickAggregates sums the ticks' metrics.
type tickAggregates struct {
	eventsDrained, seAttempted, seSucceeded, seFailed, violations int
	actionsByType                                                 map[string]int
	violationsByNumber                                            map[int]int
	lastPending                                                   int
}

// NewWorld builds the town and its world for cfg: a brand-new Town, the
// scenario's settings applied through t.UpdateTownConfig, its rigs
// (t.AddRig + t.ConfigureRig, ids drawn from the seed), the mayor
// (t.EnsureMayor), the alarm driver and the watchdog, and the workload.
// Nothing runs until RunUntil.
func NewWorld(cfg Config, opts RunOptions) (*World, error) {
	return newWorld(cfg, opts, nil)
}

func newWorld(cfg Config, opts RunOptions, tick TickFunc) (*World, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Start.IsZero() {
		cfg.Start = DefaultStart
	}
	w := &World{cfg: cfg, opts: opts, failureDrawn: map[string]bool{}}
	w.stats.Faults = map[string]int{}
	w.stats.Analytics = map[string]int{}
	w.agg.actionsByType = map[string]int{}
	w.agg.violationsByNumber = map[int]int{}
	if opts.WallClock != nil {
		w.wallStart = opts.WallClock()
	}
	w.eng = des.NewEngine(cfg.Start)
	w.src = des.NewSource(cfg.Seed)
	w.trace = des.NewTrace(opts.Trace)
	cfg, mix := resolveFaults(cfg, w.src)
	w.cfg = cfg
	w.faults = newFaultLayer(w, mix)
	modelFaults, err := w.faults.modelFaults()
	if err != nil {
		return nil, err
	}
	setup := w.src.Stream("setup")
	townID := setup.UUID()

	town, err := model.Open(model.Options{
		Path:         opts.DBPath,
		TownID:       townID,
		IDs:          model.NewSeededIDs(w.src.Stream("ids").Uint64()),
		Analytics:    w.analytics,
		Errors:       func(model.ErrorReport) { w.stats.ErrorReports++ },
		TokenService: simulatedTokenService,
		Start:        cfg.Start,
		Faults:       modelFaults,
		Mutant:       cfg.Mutant,
		Knobs:        cfg.Knobs,
	})
	if err != nil {
		return nil, err
	}
	w.town = town
	w.env = NewEnv(w.eng, w.src, cfg.Latency, w)
	w.env.SetMeters(opts.WallClock, town.DB().Cost)
	w.env.OnCall = w.traceCall
	if tick == nil && (opts.Reconcile != nil || opts.Apply != nil || opts.Events != nil) {
		tick = alarm.TickWithHooks(alarm.Hooks{Reconcile: opts.Reconcile, Apply: opts.Apply, Events: opts.Events})
	}
	if opts.WrapTick != nil {
		if tick == nil {
			tick = alarm.Tick
		}
		tick = opts.WrapTick(tick)
	}
	w.alarm = newAlarmDriver(w.eng, w.env, town, tick)
	w.alarm.lateBy = w.faults.clockStep
	w.alarm.ownCost = true
	w.alarm.observe = w.observeTick
	w.alarm.dropRecords = opts.DropTickRecords
	w.alarm.onWatchdog = func(err error) {
		w.record("watchdog", des.Str("err", errText(err)))
	}
	w.env.AfterResume = w.alarm.sync
	w.containers = newContainers(w)
	w.github = newGitHub(w)
	w.agentRand = w.src.Stream("agents")
	w.users = newWorkload(w)

	worldFields := []des.Field{des.F("seed", cfg.Seed), des.F("town", townID), des.F("rigs", cfg.Rigs), des.F("agents", cfg.Agents)}
	if off := cfg.Knobs.OffProduction(); len(off) > 0 {
		// Only a what-if run names its knobs: a production run's trace (and
		// hash) stays what it was before knobs existed.
		worldFields = append(worldFields, des.F("knobs", cfg.Knobs.Label()))
	}
	if cfg.Mutant != "" {
		worldFields = append(worldFields, des.F("mutant", cfg.Mutant))
	}
	w.record("world", worldFields...)
	if len(mix) > 0 {
		w.record("faults", des.F("mix", mix.String()), des.F("heal", w.faults.healAt))
	}
	// The scenario's settings reach the brand-new town through its
	// config update RPC, as a user's settings do.
	if err := w.rpc("update_town_config", func(time.Time) error {
		_, err := town.UpdateTownConfig(townConfigUpdate(cfg.Town))
		return err
	}); err != nil {
		town.Close()
		return nil, fmt.Errorf("sim: town config: %w", err)
	}
	for i := 0; i < cfg.Rigs; i++ {
		r := rigRec{id: setup.UUID(), name: "rig-" + strconv.Itoa(i+1), gitlab: i >= cfg.Rigs-cfg.Town.GitLabRigs,
			branch: cfg.Town.rigDefaultBranch(i)}
		w.rigs = append(w.rigs, r)
		host := "github.com"
		if r.gitlab {
			host = cfg.Town.gitLabHost()
		}
		git := cfg.Town.rigGitURL(i, host, cfg.GitHub.Org, r.name)
		if err := w.rpc("add_rig", func(now time.Time) error {
			if err := town.AddRig(now, r.id, r.name, git, r.branch); err != nil {
				return err
			}
			if err := town.ConfigureRig(now, rigRuntimeConfig(townID, r.id, git, r.branch, cfg.Town)); err != nil {
				return err
			}
			if i < cfg.Town.CodeReviewOffRigs {
				off := false
				return town.SetRigOverrides(r.id, model.RigConfig{CodeReview: &off})
			}
			return nil
		}, des.F("rig", r.id), des.F("name", r.name)); err != nil {
			town.Close()
			return nil, fmt.Errorf("sim: add rig %s: %w", r.name, err)
		}
	}
	w.rpcEnv("ensure_mayor", func() error {
		a, err := town.EnsureMayor(w.env)
		if a != nil {
			w.mayorID = a.ID
		}
		return err
	}, func() []des.Field { return []des.Field{des.F("agent", w.mayorID)} })
	w.alarm.sync()
	w.alarm.startWatchdog()
	w.users.start()
	w.faults.start()
	if opts.Progress != nil && opts.ProgressEvery > 0 {
		w.nextProgress = cfg.Start.Add(opts.ProgressEvery)
	}
	return w, nil
}

// Town returns the Town under test.
func (w *World) Town() *model.Town { return w.town }

// Engine returns the engine.
func (w *World) Engine() *des.Engine { return w.eng }

// Env returns the Env the Town runs in.
func (w *World) Env() *Env { return w.env }

// Stats returns what the world has done so far.
func (w *World) Stats() WorldStats { return w.stats }

// RunUntil runs the simulation up to t (see Engine.RunUntil), calling the
// Progress option at each ProgressEvery of simulated time; a progress
// point that falls inside a tick waits for the tick to end, so that the
// progress reads never land in a tick's measured work.
func (w *World) RunUntil(t time.Time) {
	for !w.nextProgress.IsZero() && !w.nextProgress.After(t) {
		w.eng.RunUntil(w.nextProgress)
		for w.alarm.running {
			at, ok := w.eng.NextAt()
			if !ok || at.After(t) {
				break
			}
			w.eng.Step()
		}
		w.opts.Progress(w.progress())
		w.nextProgress = w.nextProgress.Add(w.opts.ProgressEvery)
	}
	w.eng.RunUntil(t)
}

func (w *World) progress() Progress {
	n, _ := w.town.PendingEventCount()
	return Progress{SimTime: w.eng.Now(), Ticks: w.alarm.ticks, PendingEvents: n, Beads: w.beadCounts()}
}

// beadCounts reads how the users' issues stand now.
func (w *World) beadCounts() BeadCounts {
	var c BeadCounts
	for _, r := range w.issues {
		if !r.created {
			continue
		}
		c.Created++
		if r.deleted {
			c.Deleted++
			continue
		}
		switch w.status(r.id) {
		case model.StatusClosed:
			c.Closed++
		case model.StatusFailed:
			c.Failed++
		default:
			c.Open++
		}
	}
	return c
}

// status returns a bead's status ("" if it does not exist).
func (w *World) status(id string) string {
	s, err := w.town.DB().Strings(`SELECT status FROM beads WHERE bead_id = ?`, id)
	if err != nil || len(s) == 0 {
		return ""
	}
	return s[0]
}

// Respond answers the Town's external calls from the world's state.
func (w *World) Respond(c model.Call, sent time.Time) (model.Result, time.Duration) {
	switch c.Kind {
	case model.CallPRStatus, model.CallPRFeedback, model.CallMergePR:
		return w.github.respond(c)
	case model.CallWastelandBrowse, model.CallWastelandDone:
		return w.wastelandService(c)
	case model.CallContainerDestroy:
		return w.destroyContainer(), 0
	}
	return w.containers.respond(c, sent)
}

// rpc runs a Town RPC that takes a time as a world event: measured,
// traced, and followed by an alarm re-sync.
func (w *World) rpc(name string, fn func(now time.Time) error, fields ...des.Field) error {
	now := w.eng.Now()
	var err error
	w.env.Measure(&w.rpcMeter, func() { err = fn(now) })
	if err != nil {
		w.stats.RPCErrors++
	}
	var buf [8]des.Field
	w.trace.Record(now, "rpc", append(append(append(buf[:0], des.Str("op", name)), fields...), des.Str("err", errText(err)))...)
	w.alarm.sync()
	return err
}

// rpcEnv runs a Town RPC that takes an Env as a coroutine, traced when it
// returns (fields is read then).
func (w *World) rpcEnv(name string, fn func() error, fields func() []des.Field) {
	var err error
	if obs := w.opts.RPC; obs != nil {
		inner := fn
		fn = func() error {
			obs.BeforeRPC(w.town, name)
			err := inner()
			obs.AfterRPC(w.town, name, err)
			return err
		}
	}
	w.env.Start(&w.rpcMeter, func() { err = fn() }, func() {
		if err != nil {
			w.stats.RPCErrors++
		}
		var buf [8]des.Field
		w.record("rpc", append(append(append(buf[:0], des.Str("op", name)), fields()...), des.Str("err", errText(err)))...)
	})
}

// record adds a trace record at the current time.
func (w *World) record(kind string, fields ...des.Field) {
	w.trace.Record(w.eng.Now(), kind, fields...)
}

// traceCall records an answered external call.
func (w *World) traceCall(c model.Call, sent time.Time, r model.Result) {
	w.observeCall(c, sent, r)
	var buf [8]des.Field
	fs := append(buf[:0], des.Str("kind", string(c.Kind)), des.Dur("lat", w.eng.Now().Sub(sent)))
	if c.AgentID != "" {
		fs = append(fs, des.Str("agent", c.AgentID))
	}
	if c.BeadID != "" {
		fs = append(fs, des.Str("bead", c.BeadID))
	}
	if c.URL != "" {
		fs = append(fs, des.Str("url", c.URL))
	}
	switch {
	case r.Err != "":
		fs = append(fs, des.Str("err", r.Err))
	case c.Kind == model.CallPRStatus:
		fs = append(fs, des.Int("code", int64(r.StatusCode)), des.Str("pr", r.PR.State+r.PR.ErrKind), des.Str("ms", r.PR.MergeableState))
	default:
		fs = append(fs, des.Int("code", int64(r.StatusCode)))
		if r.Status != "" {
			fs = append(fs, des.Str("status", r.Status))
		}
		if r.OK {
			fs = append(fs, des.Bool("ok", true))
		}
	}
	w.trace.Record(w.eng.Now(), "call", fs...)
}

// observeTick traces a finished tick and adds it to the totals.
func (w *World) observeTick(rec *TickRecord, res *alarm.TickResult, err error, retry bool) {
	if w.opts.OnTick != nil {
		defer w.opts.OnTick(rec, res, w)
	}
	w.faults.conv.afterTick()
	m := rec.Metrics
	w.record("tick", des.Time("at", rec.At), des.Bool("retry", retry), des.Str("threw", errText(err)),
		des.Int("drained", int64(m.EventsDrained)), des.Int("actions", int64(m.ActionsEmitted)),
		des.Int("se", int64(m.SideEffectsAttempted)), des.Int("se_ok", int64(m.SideEffectsSucceeded)),
		des.Int("se_failed", int64(m.SideEffectsFailed)), des.Int("violations", int64(m.InvariantViolations)),
		des.Int("pending", int64(m.PendingEventCount)), des.Int("stmts", rec.Cost.Statements), des.Int("rows", rec.Cost.Rows))
	a := &w.agg
	a.eventsDrained += m.EventsDrained
	a.seAttempted += m.SideEffectsAttempted
	a.seSucceeded += m.SideEffectsSucceeded
	a.seFailed += m.SideEffectsFailed
	a.violations += m.InvariantViolations
	a.lastPending = m.PendingEventCount
	if res == nil {
		return
	}
	for _, act := range res.Actions {
		a.actionsByType[act.Type]++
		w.record("action", des.Str("a", act.String()))
	}
	for _, e := range res.ApplyErrors {
		w.record("apply_error", des.Str("err", e))
	}
	for _, v := range res.Violations {
		a.violationsByNumber[v.Number]++
		w.record("violation", des.Int("n", int64(v.Number)), des.Str("msg", v.Message))
	}
}

// errText is an error's text, "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// analytics is the Town's Analytics Engine sink: it counts each data point
// by name and shows it to RunOptions.OnAnalytics.
func (w *World) analytics(e model.AnalyticsEvent) {
	w.stats.Analytics[e.Event]++
	if w.opts.OnAnalytics != nil {
		w.opts.OnAnalytics(e, w)
	}
}

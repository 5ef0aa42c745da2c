package differential

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// effectDBTypes are the action types whose side effect's database writes
// are all in production's actions.ts (the others hand everything to a
// Town method outside it: only their calls are compared).
var effectDBTypes = map[string]bool{reconciler.PollPR: true, reconciler.MergePR: true}

// ExecComparer runs the original's applyEvent beside the port's drain on
// every event, and its applyAction beside the port's executor on every
// action, on the same state, in a run driven by the port. Its methods are
// alarm hooks (Hooks.Events, Hooks.Apply); they only read the run's Town.
type ExecComparer struct {
	// Host runs the original.
	Host *Host
	// Events and Actions say which comparisons run.
	Events, Actions bool
	// DiffDir receives every difference (event-NNNNNN.* and
	// action-NNNNNN.*); it is created at the first one.
	DiffDir string
	// WallClock, when set, measures the time spent in the host.
	WallClock func() time.Time

	// EventStats and ActionStats count what was compared, by type.
	EventStats, ActionStats ExecStats
	// Differences are the saved differences' JSON files, in order.
	Differences []string
	// HostTime is the real time spent waiting for the host.
	HostTime time.Duration

	saved int
	err   error
	// event is the event being applied (BeforeEvent to AfterEvent).
	event *pendingEvent
}

type pendingEvent struct {
	now    time.Time
	cfg    *model.TownConfig
	before []model.TableRows
}

// Err is the first failure that stopped the comparing (the host died, a
// difference could not be saved). A run with an Err is not a valid
// comparison.
func (c *ExecComparer) Err() error { return c.err }

// Differed counts the events and action steps that differed so far.
func (c *ExecComparer) Differed() int { return c.EventStats.Differed + c.ActionStats.Differed }

func (c *ExecComparer) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

func (c *ExecComparer) timed(f func() error) error {
	var start time.Time
	if c.WallClock != nil {
		start = c.WallClock()
	}
	err := f()
	if c.WallClock != nil {
		c.HostTime += c.WallClock().Sub(start)
	}
	return err
}

func injected(err error) bool {
	var ie *model.InjectedError
	return errors.As(err, &ie)
}

// BeforeEvent implements model.EventObserver: it reads the state the
// event applies to.
func (c *ExecComparer) BeforeEvent(t *model.Town, now time.Time, ev model.TownEvent, cfg *model.TownConfig) {
	c.event = nil
	if !c.Events || c.err != nil {
		return
	}
	before, err := t.DB().Snapshot()
	if err != nil {
		c.fail(err)
		return
	}
	c.event = &pendingEvent{now: now.Truncate(time.Millisecond), cfg: cfg, before: before}
}

// AfterEvent implements model.EventObserver: it runs the original's
// applyEvent on the state before the event and compares what each side
// changed.
func (c *ExecComparer) AfterEvent(t *model.Town, now time.Time, ev model.TownEvent, err error) {
	p := c.event
	c.event = nil
	if p == nil || c.err != nil {
		return
	}
	if injected(err) {
		c.EventStats.Skipped++
		return
	}
	after, serr := t.DB().Snapshot()
	if serr != nil {
		c.fail(serr)
		return
	}
	row := NewEventRow(ev)
	st := State{Now: p.now, Config: p.cfg, Tables: p.before}
	var orig EventOutcome
	if herr := c.timed(func() (e error) { orig, e = c.Host.ApplyEvent(st, row); return }); herr != nil {
		c.fail(herr)
		return
	}
	cmp := StepComparison{Kind: KindEvent, Type: ev.Type, Part: "event"}
	compareStep(c.Host.Schema, &cmp, Delta(c.Host.Schema, p.before, after), err, orig.Delta, orig.Error)
	c.EventStats.addStep(&cmp)
	if !cmp.Same {
		c.save(t, st, StepRecord{Event: &row, StepComparison: cmp})
	}
}

// Apply is an alarm.ApplyFunc: the port's reconciler.Apply, with the
// original's applyAction run on the same state and compared; the side
// effect is wrapped so that its calls are recorded and compared when it
// has run.
func (c *ExecComparer) Apply(t *model.Town, env model.Env, a reconciler.Action) (*reconciler.Effect, error) {
	if !c.Actions || c.err != nil {
		return reconciler.Apply(t, env, a)
	}
	before, err := t.DB().Snapshot()
	if err != nil {
		c.fail(err)
		return reconciler.Apply(t, env, a)
	}
	var stopTap func() []AnalyticsPoint
	if c.Host.Exec.TownMethods {
		stopTap = tapAnalytics(t)
	}
	eff, applyErr := reconciler.Apply(t, env, a)
	var portPoints []AnalyticsPoint
	if stopTap != nil {
		portPoints = stopTap()
	}
	if injected(applyErr) {
		c.ActionStats.Skipped++
		return eff, applyErr
	}
	after, err := t.DB().Snapshot()
	if err != nil {
		c.fail(err)
		return eff, applyErr
	}
	enc, err := EncodeAction(a)
	if err != nil {
		c.fail(fmt.Errorf("%s: %w", a.Type, err))
		return eff, applyErr
	}
	now := env.Now().Truncate(time.Millisecond)
	st := State{Now: now, Config: liveConfig(t), Tables: before}
	var orig ActionOutcome
	if herr := c.timed(func() (e error) {
		orig, e = c.Host.applyAction(st, t.ID(), t.KV().RigConfigs, enc, false, nil)
		return
	}); herr != nil {
		c.fail(herr)
		return eff, applyErr
	}
	hasEffect := eff != nil && eff.Run != nil
	cmp := StepComparison{Kind: KindAction, Type: a.Type, Part: "sync", PortEffect: boolPtr(hasEffect), OriginalEffect: boolPtr(orig.HasEffect)}
	cmp.setAnalytics(c.Host.Exec.TownMethods, portPoints, orig.SyncAnalytics)
	portSync := Delta(c.Host.Schema, before, after)
	compareStep(c.Host.Schema, &cmp, portSync, applyErr, orig.Sync, orig.SyncError)
	c.ActionStats.addStep(&cmp)
	if !cmp.Same {
		c.save(t, st, StepRecord{Action: enc, TownID: t.ID(), RigConfigs: t.KV().RigConfigs, StepComparison: cmp})
	}
	if hasEffect && orig.HasEffect && applyErr == nil {
		run := eff.Run
		eff.Run = func(env model.Env) error {
			return c.runEffect(t, env, a, enc, st, portSync, run)
		}
	}
	return eff, applyErr
}

// runEffect runs the port's effect in the run with its calls recorded,
// then compares it with the original's effect given the same answers:
// where its rows are compared (effectRows) on a private copy of the state
// the effect started from (database changes, calls and, with the Town's
// methods, analytics), for the others on the state before the action
// (calls only).
func (c *ExecComparer) runEffect(t *model.Town, env model.Env, a reconciler.Action, enc []byte, st State, portSync []Change, run func(model.Env) error) error {
	if c.err != nil {
		return run(env)
	}
	start := env.Now()
	var copyFile string
	var startTables []model.TableRows
	dir := ""
	if effectRows(c.Host, a.Type) {
		var err error
		if dir, err = os.MkdirTemp("", "townsim-effect-"); err != nil {
			c.fail(err)
			return run(env)
		}
		defer os.RemoveAll(dir)
		copyFile = filepath.Join(dir, "start.sqlite")
		if err := t.DB().SaveCopy(copyFile); err != nil {
			c.fail(err)
			return run(env)
		}
		if startTables, err = t.DB().Snapshot(); err != nil {
			c.fail(err)
			return run(env)
		}
	}
	rec := &recordingEnv{Env: env}
	runErr := run(rec)
	if c.err != nil {
		return runErr
	}
	cmp := StepComparison{Kind: KindAction, Type: a.Type, Part: "effect", PortCalls: rec.ctx.calls}
	var portChanges []Change
	var portPoints []AnalyticsPoint
	portErr := runErr
	effState := st
	answers := rec.ctx.answers
	if copyFile != "" {
		// The synchronous part runs again on the copy (at the same time as
		// in the run); its changes there only name the ids it creates.
		a, enc = effectAction(a, enc, rec.ctx.calls)
		effState = State{Now: start.Truncate(time.Millisecond), Config: liveConfig(t), Tables: startTables}
		var err error
		portSync, portChanges, cmp.PortCalls, portPoints, portErr, err = c.replayPortEffect(t, copyFile, a, start, rec.world)
		if err != nil {
			c.fail(err)
			return runErr
		}
		if c.Host.Exec.TownMethods {
			answers = append(slices.Clip(answers), worldAnswers(rec.world)...)
		}
	}
	var orig ActionOutcome
	if herr := c.timed(func() (e error) {
		orig, e = c.Host.applyAction(effState, t.ID(), t.KV().RigConfigs, enc, true, answers)
		return
	}); herr != nil {
		c.fail(herr)
		return runErr
	}
	cmp.OriginalCalls = orig.Calls
	origChanges := orig.Effect
	if copyFile == "" {
		origChanges = nil // written by a Town method the host did not load: not compared
	}
	cmp.setAnalytics(copyFile != "" && c.Host.Exec.TownMethods, portPoints, orig.Analytics)
	cmp.rows = copyFile != ""
	compareStepAfter(c.Host.Schema, &cmp, portSync, portChanges, portErr, orig.Sync, origChanges, orig.EffectError)
	c.ActionStats.addStep(&cmp)
	if !cmp.Same {
		c.save(t, effState, StepRecord{Action: enc, TownID: t.ID(), RigConfigs: t.KV().RigConfigs, Answers: answers, World: rec.world, StepComparison: cmp})
	}
	return runErr
}

// effectAction is the action an effect is replayed with: a dispatch_agent
// whose agent the synchronous part resolved (agent_id "") names that
// agent (the one its effect dispatched), so that running the synchronous
// part again on the copy does not create another.
func effectAction(a reconciler.Action, enc []byte, calls []CallMade) (reconciler.Action, []byte) {
	if a.Type != reconciler.DispatchAgent || a.AgentID != "" {
		return a, enc
	}
	for _, c := range calls {
		if id, ok := c.Args["agent_id"].(string); ok && c.Kind == "dispatchAgent" && id != "" {
			a.AgentID = id
			if e, err := EncodeAction(a); err == nil {
				return a, e
			}
		}
	}
	return a, enc
}

// replayPortEffect runs the port's action on a private copy of the state
// its effect started from: the synchronous part again (a no-op there, the
// run has applied it already at the same time) and the effect with the
// world's recorded answers. It returns the effect's changes, its calls of
// production's context, and its rejection.
func (c *ExecComparer) replayPortEffect(t *model.Town, copyFile string, a reconciler.Action, start time.Time, world []worldCall) (sync, changes []Change, calls []CallMade, points []AnalyticsPoint, runErr, err error) {
	town, err := t.OpenObserverCopy(copyFile)
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	defer town.Close()
	first, err := town.DB().Snapshot()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	renv := newReplayEnv(start, world)
	eff, err := reconciler.Apply(town, renv, a)
	if err != nil || eff == nil || eff.Run == nil {
		return nil, nil, nil, nil, nil, fmt.Errorf("replaying %s's effect: the synchronous part gave no effect on the copy (%v)", a.Type, err)
	}
	mid, err := town.DB().Snapshot()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	stop := tapAnalytics(town)
	runErr = eff.Run(renv)
	points = stop()
	end, err := town.DB().Snapshot()
	if err != nil {
		return nil, nil, nil, nil, nil, err
	}
	return Delta(c.Host.Schema, first, mid), Delta(c.Host.Schema, mid, end), renv.ctx.calls, points, runErr, nil
}

// save writes a difference: the state before the step as SQLite (the
// run's database, its tables put back to st's rows) and the record.
func (c *ExecComparer) save(t *model.Town, st State, rec StepRecord) {
	if c.DiffDir == "" {
		c.fail(errors.New("no folder for differences"))
		return
	}
	c.saved++
	rec.StateMeta = newMeta(c.saved, st.Now, st.Draining, st.Config)
	rec.Mode = string(ModeCompare)
	if err := os.MkdirAll(c.DiffDir, 0o755); err != nil {
		c.fail(err)
		return
	}
	base := filepath.Join(c.DiffDir, fmt.Sprintf("%s-%06d", rec.Kind, c.saved))
	if err := t.DB().SaveCopy(base + ".sqlite"); err != nil {
		c.fail(err)
		return
	}
	if err := restoreTables(base+".sqlite", st.Tables); err != nil {
		c.fail(fmt.Errorf("saving a difference: %w", err))
		return
	}
	if err := writeNewJSON(base+".json", rec); err != nil {
		c.fail(fmt.Errorf("saving a difference: %w", err))
		return
	}
	c.Differences = append(c.Differences, base+".json")
}

// restoreTables rewrites every table of the SQLite file at path with the
// rows of tables (rowids kept).
func restoreTables(path string, tables []model.TableRows) error {
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, tr := range tables {
		if _, err := tx.Exec(`DELETE FROM "` + tr.Name + `"`); err != nil {
			return err
		}
		q := `INSERT INTO "` + tr.Name + `" (`
		ph := ""
		for j, col := range tr.Columns {
			if j > 0 {
				q += ", "
				ph += ", "
			}
			q += `"` + col + `"`
			ph += "?"
		}
		stmt, err := tx.Prepare(q + ") VALUES (" + ph + ")")
		if err != nil {
			return err
		}
		for _, r := range tr.Rows {
			if _, err := stmt.Exec(r...); err != nil {
				stmt.Close()
				return err
			}
		}
		stmt.Close()
	}
	return tx.Commit()
}

// liveConfig is the town config the Town holds (its KV), read without the
// Town's failpoints (nil when it has none or it does not parse).
func liveConfig(t *model.Town) *model.TownConfig {
	raw := t.KV().ConfigJSON
	if raw == nil {
		return nil
	}
	c, err := model.ParseTownConfig(raw)
	if err != nil {
		return nil
	}
	return &c
}

package differential

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// ReplayedStep is one saved event or action difference replayed.
type ReplayedStep struct {
	State      string          `json:"state"`
	Comparison *StepComparison `json:"comparison"`
}

// StepStats count a replay of saved event and action differences.
type StepStats struct {
	Events  ExecStats `json:"events"`
	Actions ExecStats `json:"actions"`
}

// ReplaySteps replays every saved event and action difference in dir
// (townsim diff): the port's step on a private copy of the saved state,
// the original's on the same state, with an effect's recorded answers.
func ReplaySteps(h *Host, dir string) (StepStats, []ReplayedStep, error) {
	var stats StepStats
	states, err := ListStates(dir)
	if err != nil {
		return stats, nil, err
	}
	var diffs []ReplayedStep
	for _, s := range states {
		if s.Kind == "" {
			continue
		}
		c, err := replayStep(h, s)
		if err != nil {
			return stats, diffs, fmt.Errorf("%s: %w", s.DB, err)
		}
		if c.Kind == KindEvent {
			stats.Events.addStep(c)
		} else {
			stats.Actions.addStep(c)
		}
		if !c.Same {
			diffs = append(diffs, ReplayedStep{State: s.DB, Comparison: c})
		}
	}
	return stats, diffs, nil
}

func replayStep(h *Host, s SavedState) (*StepComparison, error) {
	data, err := os.ReadFile(strings.TrimSuffix(s.DB, ".sqlite") + ".json")
	if err != nil {
		return nil, err
	}
	var rec StepRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "townsim-step-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	copyPath := dir + "/state.sqlite"
	raw, err := os.ReadFile(s.DB)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(copyPath, raw, 0o600); err != nil {
		return nil, err
	}
	// Not the default id seed, which made the saved state's first rows.
	town, err := model.Open(model.Options{Path: copyPath, TownID: rec.TownID, Config: rec.TownConfig, IDs: model.NewSeededIDs(0x7265706c6179)})
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", s.DB, err)
	}
	defer town.Close()
	now := rec.Time()
	before, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	st := State{Now: now, Draining: rec.Draining, Config: rec.TownConfig, Tables: before}
	switch {
	case s.Kind == KindEvent && rec.Event != nil:
		return replayEvent(h, town, st, *rec.Event)
	case s.Kind == KindAction && rec.Action != nil:
		return replayAction(h, town, st, rec)
	}
	return nil, fmt.Errorf("a %s record without its %s", s.Kind, s.Kind)
}

func replayEvent(h *Host, town *model.Town, st State, row EventRow) (*StepComparison, error) {
	opt := func(p *string) sql.NullString {
		if p == nil {
			return sql.NullString{}
		}
		return sql.NullString{String: *p, Valid: true}
	}
	ev := model.TownEvent{ID: row.EventID, Type: row.EventType, AgentID: opt(row.AgentID), BeadID: opt(row.BeadID),
		PayloadRaw: row.Payload, CreatedAt: row.CreatedAt, ProcessedAt: opt(row.ProcessedAt)}
	if err := json.Unmarshal([]byte(row.Payload), &ev.Payload); err != nil {
		return nil, fmt.Errorf("event %s: payload: %v", row.EventID, err)
	}
	portErr := town.ApplyEvent(st.Now, ev, st.Config)
	after, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	orig, err := h.ApplyEvent(st, row)
	if err != nil {
		return nil, err
	}
	c := &StepComparison{Kind: KindEvent, Type: row.EventType, Part: "event"}
	compareStep(h.Schema, c, Delta(h.Schema, st.Tables, after), portErr, orig.Delta, orig.Error)
	return c, nil
}

func replayAction(h *Host, town *model.Town, st State, rec StepRecord) (*StepComparison, error) {
	a, err := ParseAction(rec.Action)
	if err != nil {
		return nil, err
	}
	for _, id := range slices.Sorted(maps.Keys(rec.RigConfigs)) {
		if err := town.ConfigureRig(st.Now, rec.RigConfigs[id]); err != nil {
			return nil, err
		}
	}
	env := newReplayEnv(st.Now, rec.World)
	stop := tapAnalytics(town)
	eff, applyErr := reconciler.Apply(town, env, a)
	syncPoints := stop()
	mid, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	portSync := Delta(h.Schema, st.Tables, mid)
	hasEffect := eff != nil && eff.Run != nil
	if rec.Part != "effect" {
		orig, err := h.applyAction(st, rec.TownID, rec.RigConfigs, rec.Action, false, nil)
		if err != nil {
			return nil, err
		}
		c := &StepComparison{Kind: KindAction, Type: a.Type, Part: "sync", PortEffect: boolPtr(hasEffect), OriginalEffect: boolPtr(orig.HasEffect)}
		c.setAnalytics(h.Exec.TownMethods, syncPoints, orig.SyncAnalytics)
		compareStep(h.Schema, c, portSync, applyErr, orig.Sync, orig.SyncError)
		return c, nil
	}
	if !hasEffect {
		return nil, fmt.Errorf("%s: the port's synchronous part gave no effect on the saved state (%v)", a.Type, applyErr)
	}
	stop = tapAnalytics(town)
	runErr := eff.Run(env)
	points := stop()
	end, err := town.DB().Snapshot()
	if err != nil {
		return nil, err
	}
	orig, err := h.applyAction(st, rec.TownID, rec.RigConfigs, rec.Action, true, rec.Answers)
	if err != nil {
		return nil, err
	}
	c := &StepComparison{Kind: KindAction, Type: a.Type, Part: "effect", PortCalls: env.ctx.calls, OriginalCalls: orig.Calls}
	var portChanges, origChanges []Change
	if effectRows(h, a.Type) {
		portChanges, origChanges = Delta(h.Schema, mid, end), orig.Effect
		c.setAnalytics(h.Exec.TownMethods, points, orig.Analytics)
		c.rows = true
	}
	compareStepAfter(h.Schema, c, portSync, portChanges, runErr, orig.Sync, origChanges, orig.EffectError)
	return c, nil
}

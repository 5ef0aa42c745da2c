package alarm

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// TickWith runs the given reconcile at T9, on the post-drain state, and
// applies its actions; nil is the port's own.
func TestTickWithReplacesReconcile(t *testing.T) {
	stale := t0.Add(-10 * time.Minute)
	for _, tc := range []struct {
		name      string
		reconcile func(calls *int) ReconcileFunc
		wantType  string
		wantLog   string
	}{
		{name: "nil is the port", reconcile: func(*int) ReconcileFunc { return nil }, wantType: reconciler.TransitionAgent},
		{name: "another reconcile's actions are applied", reconcile: func(calls *int) ReconcileFunc {
			return func(tw *model.Town, now time.Time, o reconciler.Options) ([]reconciler.Action, error) {
				*calls++
				if o.Config == nil || !now.Equal(t0) {
					return nil, errors.New("no config or wrong clock")
				}
				return []reconciler.Action{{Type: reconciler.NotifyMayor, Message: "hello"}}, nil
			}
		}, wantType: reconciler.NotifyMayor},
		{name: "a throwing reconcile is T9's logged failure", reconcile: func(calls *int) ReconcileFunc {
			return func(*model.Town, time.Time, reconciler.Options) ([]reconciler.Action, error) {
				*calls++
				return nil, errors.New("original threw")
			}
		}, wantLog: "T9 reconcile failed: original threw"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.agent(model.RolePolecat, model.AgentWorking, f.rig("r", t0), "", stale)
			calls := 0
			res, err := TickWith(tc.reconcile(&calls))(f.t, f.env)
			if err != nil {
				t.Fatal(err)
			}
			if tc.name != "nil is the port" && calls != 1 {
				t.Errorf("reconcile called %d times, want 1", calls)
			}
			if tc.wantType != "" && (len(res.Actions) == 0 || res.Actions[0].Type != tc.wantType) {
				t.Errorf("actions %v, want a %s first", res.Actions, tc.wantType)
			}
			if tc.wantLog != "" {
				if len(res.Actions) != 0 || !strings.Contains(strings.Join(res.Logs, "\n"), tc.wantLog) {
					t.Errorf("actions %v logs %v", res.Actions, res.Logs)
				}
			}
		})
	}
}

package scenarios

import (
	"strings"
	"testing"

	"github.com/townsim/townsim/differential"
)

// Gastown.Compare chooses what Wire puts in a compare-mode run: nothing
// named is all three; drive mode wires reconcile alone whatever it names;
// an unknown name is an error naming it.
func TestGastownCompareList(t *testing.T) {
	h := &differential.Host{Handshake: differential.Handshake{Exec: differential.ExecSupport{ApplyEvent: true, ApplyAction: true}}}
	for _, tt := range []struct {
		compare                    []string
		mode                       differential.Mode
		reconcile, events, actions bool
		err                        string
	}{
		{reconcile: true, events: true, actions: true},
		{compare: []string{"reconcile"}, reconcile: true},
		{compare: []string{"events"}, events: true},
		{compare: []string{"reconcile", "actions"}, reconcile: true, actions: true},
		{compare: []string{"events", "actions"}, mode: differential.ModeDrive, reconcile: true},
		{compare: []string{"rows"}, err: `unknown comparison "rows"`},
	} {
		g := Gastown{Host: h, Mode: tt.mode, DiffDir: t.TempDir(), Compare: tt.compare}
		opts, j, err := g.Wire(CheckOptions{})
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%v: error %v, want %q", tt.compare, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%v: %v", tt.compare, err)
		}
		events := j.Exec != nil && j.Exec.Events && opts.Run.Events != nil
		actions := j.Exec != nil && j.Exec.Actions && opts.Run.Apply != nil
		if (opts.Run.Reconcile != nil) != tt.reconcile || events != tt.events || actions != tt.actions {
			t.Errorf("%v %s: reconcile %v, events %v, actions %v; want %v, %v, %v", tt.compare, tt.mode,
				opts.Run.Reconcile != nil, events, actions, tt.reconcile, tt.events, tt.actions)
		}
	}
}

package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/alarm"
	"github.com/townsim/townsim/sim"
)

func result() *sim.Result {
	r := &sim.Result{
		Config:               sim.Config{Seed: 9, Rigs: 2, Agents: 5},
		Ticks:                4,
		EventsDrained:        7,
		ActionsByType:        map[string]int{"poll_pr": 3, "dispatch_agent": 2},
		SideEffectsAttempted: 5, SideEffectsSucceeded: 5,
		InvariantViolations: 3,
		ViolationsByNumber:  map[int]int{3: 2, 7: 1},
		Beads:               sim.BeadCounts{Created: 4, Closed: 2, Failed: 1, Open: 1},
		SimulatedTime:       time.Hour,
		TotalWall:           time.Second,
		ModelCompute:        800 * time.Millisecond,
		TraceHash:           "00000000deadbeef",
	}
	for i, ms := range []int{4, 1, 3, 2} {
		r.TickRecords = append(r.TickRecords, sim.TickRecord{
			Metrics: alarm.Metrics{},
			Compute: time.Duration(ms) * time.Millisecond,
			Cost:    model.Cost{Statements: int64(10 * (i + 1)), Rows: int64(i)},
		})
	}
	return r
}

func TestSummarize(t *testing.T) {
	s := Summarize(result())
	cases := []struct {
		name      string
		got, want float64
	}{
		{"actions emitted", float64(s.ActionsEmitted), 5},
		{"sim over wall", s.SimOverWall, 3600},
		{"compute p50", s.ComputeMs.P50, 2},
		{"compute max", s.ComputeMs.Max, 4},
		{"statements max", s.Statements.Max, 40},
		{"statements p50", s.Statements.P50, 20},
		{"violations #3", float64(s.ViolationsByNumber["3"]), 2},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestSummaryNoWallClock(t *testing.T) {
	r := result()
	r.TotalWall = 0
	r.TickRecords = nil
	s := Summarize(r)
	if s.SimOverWall != 0 || s.ComputeMs != (Quantiles{}) {
		t.Fatalf("unmeasured run reports figures: %+v", s)
	}
}

func TestSummaryOutputs(t *testing.T) {
	s := Summarize(result())
	var js bytes.Buffer
	if err := s.WriteJSON(&js); err != nil {
		t.Fatal(err)
	}
	var back Summary
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.TraceHash != s.TraceHash || back.ActionsByType["poll_pr"] != 3 {
		t.Fatalf("JSON round trip lost data: %+v", back)
	}
	var tb bytes.Buffer
	if err := s.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3 (#3: 2, #7: 1)", "4 created, 2 closed, 1 failed, 1 not terminal", "dispatch_agent", "3600x", "00000000deadbeef"} {
		if !strings.Contains(tb.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, tb.String())
		}
	}
}

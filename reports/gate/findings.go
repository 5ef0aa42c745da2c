package gate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/townsim/townsim/scenarios"
	"github.com/townsim/townsim/sim"
)

// figFindings prefixes the figure of one accepted finding: its count of
// violations in the scenario's run ("findings.<id>"), and
// figFindingsFailed the count of violations no finding explains.
const (
	figFindings       = "findings."
	figFindingsFailed = "findings.unexplained"
)

// MeasureFindings runs the property checker once on the scenario (the
// named scenario's expect bounds when name is one) and returns how many
// violations each accepted finding explained, with the unexplained ones
// under "unexplained". The counts are deterministic: a change that makes
// a finding fire more often changes them.
func MeasureFindings(name string, cfg sim.Config) (map[string]int, error) {
	var b scenarios.Bounds
	if s, err := scenarios.ByName(name); err == nil {
		b = s.Expect.Bounds
	}
	rep, err := scenarios.Check(cfg, b, scenarios.CheckOptions{})
	if err != nil {
		return nil, err
	}
	out := maps.Clone(rep.Accepted)
	if out == nil {
		out = map[string]int{}
	}
	out["unexplained"] = len(rep.Failures)
	return out, nil
}

// judgeFindings adds one row per finding: its count must equal the
// baseline's (more is a regression, fewer an improvement to accept with
// --update-baseline). A baseline written before findings were pinned
// shows them unjudged.
func judgeFindings(add func(Row), base *BaselineEntry, now map[string]int) {
	if now == nil {
		return
	}
	ids := map[string]bool{}
	for id := range now {
		ids[id] = true
	}
	if base != nil {
		for id := range base.Findings {
			ids[id] = true
		}
	}
	for _, id := range slices.Sorted(maps.Keys(ids)) {
		row := Row{Figure: figFindings + id, Now: strconv.Itoa(now[id]), Baseline: "-", Verdict: VerdictInfo,
			Delta: "not pinned"}
		if base != nil && base.Findings != nil {
			b := base.Findings[id]
			row.Baseline, row.Limit = strconv.Itoa(b), "exact"
			row.Delta = fmt.Sprintf("%+d", now[id]-b)
			switch {
			case now[id] > b:
				row.Verdict = VerdictRegressed
			case now[id] < b:
				row.Verdict = VerdictImproved
			default:
				row.Verdict = VerdictOK
			}
		}
		add(row)
	}
}

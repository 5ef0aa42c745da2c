package gate

import (
	"fmt"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"time"

	"gonum.org/v1/gonum/stat"

	"github.com/townsim/townsim/sim"
)

// RestOfTick names the statements of a tick outside its named parts
// (sim.TickRecord.CostByPart): the rig list, container upkeep and status
// observation, the config read, the pending count, re-arming, and
// anything a wrapper of the tick adds.
const RestOfTick = "rest of the tick"

// Dist is a per-tick count over one run: its total and its empirical
// quantiles, all integers because every tick's count is one.
type Dist struct {
	Total int64 `yaml:"total" json:"total"`
	P50   int64 `yaml:"p50" json:"p50"`
	P99   int64 `yaml:"p99" json:"p99"`
	Max   int64 `yaml:"max" json:"max"`
}

// Deterministic are the figures of a run that depend only on the
// scenario and the code: every run of a seed gives the same.
type Deterministic struct {
	// Ticks is the number of tick runs.
	Ticks int `yaml:"ticks" json:"ticks"`
	// TraceHash is the run's trace hash.
	TraceHash string `yaml:"trace_hash" json:"trace_hash"`
	// Statements, Rows and Actions are SQL statements, rows returned and
	// actions emitted per tick.
	Statements Dist `yaml:"statements" json:"statements"`
	Rows       Dist `yaml:"rows" json:"rows"`
	Actions    Dist `yaml:"actions" json:"actions"`
	// StatementsByPart totals the statements of each part of the tick over
	// the run (RestOfTick for those outside the named parts).
	StatementsByPart map[string]int64 `yaml:"statements_by_part" json:"statements_by_part"`
	// Findings counts, by accepted finding id, the violations the property
	// checker's run of the scenario explained ("unexplained": those no
	// finding explains); see MeasureFindings.
	Findings map[string]int `yaml:"findings,omitempty" json:"findings,omitempty"`
}

// mean is a Dist's mean per tick.
func (d Deterministic) mean(x Dist) float64 {
	if d.Ticks == 0 {
		return 0
	}
	return float64(x.Total) / float64(d.Ticks)
}

// Wall holds the wall-clock figures of each run, one value per run.
type Wall struct {
	// ComputeMsP50 and ComputeMsP99 are the median and 99th percentile of
	// the real compute per tick, in milliseconds.
	ComputeMsP50 []float64 `yaml:"compute_ms_per_tick_p50" json:"compute_ms_per_tick_p50"`
	ComputeMsP99 []float64 `yaml:"compute_ms_per_tick_p99" json:"compute_ms_per_tick_p99"`
	// SimOverWall is simulated time over the run's wall time.
	SimOverWall []float64 `yaml:"sim_over_wall" json:"sim_over_wall"`
}

// Run is what the gate keeps of one run of a scenario.
type Run struct {
	Det  Deterministic
	Wall Wall // one value in each slice
}

// Measurement is one scenario measured over several runs.
type Measurement struct {
	// Det are the deterministic figures of the first run.
	Det Deterministic
	// Wall has one value per run.
	Wall Wall
	// Runs is the number of runs.
	Runs int
	// Nondeterministic, when not empty, says how a later run's
	// deterministic figures differed from the first's.
	Nondeterministic string
}

// MeasureOptions change how scenarios are measured; the zero value is
// what the gate uses.
type MeasureOptions struct {
	// WrapTick wraps the alarm handler (sim.RunOptions.WrapTick); for tests
	// that slow the tick on purpose.
	WrapTick func(sim.TickFunc) sim.TickFunc
	// Clock reads the wall clock (default time.Now).
	Clock func() time.Time
}

// RunOnce runs cfg once and keeps the gate's figures.
func RunOnce(cfg sim.Config, o MeasureOptions) (*Run, error) {
	clock := o.Clock
	if clock == nil {
		clock = time.Now
	}
	// As testing.B does before a benchmark: collect the previous run's
	// garbage now rather than in the middle of this run's ticks.
	runtime.GC()
	res, err := sim.Run(cfg, sim.RunOptions{WallClock: clock, WrapTick: o.WrapTick})
	if err != nil {
		return nil, err
	}
	r := &Run{Det: Deterministic{
		Ticks:            len(res.TickRecords),
		TraceHash:        res.TraceHash,
		StatementsByPart: map[string]int64{},
	}}
	n := len(res.TickRecords)
	stmts, rows, actions, compute := make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	var named int64
	for _, tr := range res.TickRecords {
		stmts = append(stmts, float64(tr.Cost.Statements))
		rows = append(rows, float64(tr.Cost.Rows))
		actions = append(actions, float64(tr.Metrics.ActionsEmitted))
		compute = append(compute, float64(tr.Compute)/float64(time.Millisecond))
		for part, c := range tr.CostByPart {
			r.Det.StatementsByPart[part] += c.Statements
			named += c.Statements
		}
	}
	r.Det.Statements = dist(stmts)
	r.Det.Rows = dist(rows)
	r.Det.Actions = dist(actions)
	if rest := r.Det.Statements.Total - named; rest != 0 {
		r.Det.StatementsByPart[RestOfTick] = rest
	}
	sort.Float64s(compute)
	r.Wall.ComputeMsP50 = []float64{quantile(0.50, compute)}
	r.Wall.ComputeMsP99 = []float64{quantile(0.99, compute)}
	simOverWall := 0.0
	if res.TotalWall > 0 {
		simOverWall = res.SimulatedTime.Seconds() / res.TotalWall.Seconds()
	}
	r.Wall.SimOverWall = []float64{simOverWall}
	return r, nil
}

// Measure runs cfg runs times.
func Measure(cfg sim.Config, runs int, o MeasureOptions) (*Measurement, error) {
	rs := make([]*Run, 0, runs)
	for i := 0; i < runs; i++ {
		r, err := RunOnce(cfg, o)
		if err != nil {
			return nil, fmt.Errorf("run %d of %d: %w", i+1, runs, err)
		}
		rs = append(rs, r)
	}
	return Aggregate(rs), nil
}

// Aggregate combines runs of one scenario into a Measurement, noting
// when their deterministic figures differ.
func Aggregate(runs []*Run) *Measurement {
	m := &Measurement{Runs: len(runs)}
	if len(runs) == 0 {
		return m
	}
	m.Det = runs[0].Det
	for i, r := range runs {
		if i > 0 && m.Nondeterministic == "" && !reflect.DeepEqual(r.Det, m.Det) {
			m.Nondeterministic = fmt.Sprintf("run %d: trace hash %s, %d ticks, %d statements; run 1: %s, %d ticks, %d statements",
				i+1, r.Det.TraceHash, r.Det.Ticks, r.Det.Statements.Total,
				m.Det.TraceHash, m.Det.Ticks, m.Det.Statements.Total)
		}
		m.Wall.ComputeMsP50 = append(m.Wall.ComputeMsP50, r.Wall.ComputeMsP50...)
		m.Wall.ComputeMsP99 = append(m.Wall.ComputeMsP99, r.Wall.ComputeMsP99...)
		m.Wall.SimOverWall = append(m.Wall.SimOverWall, r.Wall.SimOverWall...)
	}
	return m
}

// dist summarises per-tick counts.
func dist(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	var total float64
	for _, x := range xs {
		total += x
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	return Dist{
		Total: int64(total),
		P50:   int64(quantile(0.50, s)),
		P99:   int64(quantile(0.99, s)),
		Max:   int64(s[len(s)-1]),
	}
}

// quantile is the empirical quantile of sorted xs (0 for none).
func quantile(p float64, sorted []float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	return stat.Quantile(p, stat.Empirical, sorted, nil)
}

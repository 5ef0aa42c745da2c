package sweep

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/townsim/townsim/reports"
)

// PointSummary aggregates the seeds of one point.
type PointSummary struct {
	Point Point
	Runs  []*RunResult
	// Failed counts the runs that returned an error.
	Failed int
	// ComputeP50, ComputeP99 and StatementsP99 are the worst (largest)
	// over the seeds; MeanComputeMs and MeanStatements average the seeds.
	ComputeP50, ComputeP99, StatementsP99 float64
	MeanComputeMs, MeanStatements         float64
	// ClosedPerHour and CreatedPerHour average the seeds.
	ClosedPerHour, CreatedPerHour float64
	// KeepsUp is true when every seed kept up with its arrivals.
	KeepsUp bool
	// UnderBudget is true when every seed's p99 compute per tick is within
	// the budget.
	UnderBudget bool
	// Dominant are the tick parts by statements, largest first, with
	// their share of all the tick parts' statements.
	Dominant []PartShare
	// BreakerTicks averages the seeds' notify_mayor actions (the breaker
	// was open at that many ticks).
	BreakerTicks float64
	// LocalComputeExp and LocalStatementsExp are the log-log slopes of the
	// mean per tick from the next smaller fleet of the group to this one
	// (NaN for the smallest): where one power law does not fit, they show
	// how the growth bends.
	LocalComputeExp, LocalStatementsExp float64
}

// PartShare is a tick part's share of the statements.
type PartShare struct {
	Part  string
	Share float64
}

// Group is the points that share a knob setting, rig count and rate: the
// fleet-size series a scaling model is fitted to.
type Group struct {
	Label  string
	Points []*PointSummary
	// Compute and Statements are the fits of mean compute and mean
	// statements per tick against agents (Err set when a fit is impossible).
	Compute, Statements       reports.PowerFit
	ComputeErr, StatementsErr error
	// LargestUnderBudget is the largest fleet whose p99 compute per tick
	// stays within the budget (0 if none); LargestKeepingUp the largest
	// whose throughput keeps up with arrivals (0 if none).
	LargestUnderBudget, LargestKeepingUp int
	// Largest is the largest fleet with a successful run, and
	// AllUnderBudget is true when every size tested stayed within the
	// budget (LargestUnderBudget is then only a lower bound).
	Largest        int
	AllUnderBudget bool
	// BudgetAt is the fleet at which the compute fit's mean per tick
	// reaches the budget (an extrapolation; +Inf when it never does).
	BudgetAt float64
	// PeakClosedPerHour is the most issues closed per hour at any fleet
	// size of the group (mean of seeds), and PeakAt that fleet size: the
	// group's throughput ceiling.
	PeakClosedPerHour float64
	PeakAt            int
}

// Analysis is a whole sweep's findings.
type Analysis struct {
	Grid   Grid
	Runs   []RunResult
	Points []*PointSummary
	Groups []*Group
	// Wall is the sweep's real time and RunWall the sum of its runs' real
	// times: their ratio is how much the runs overlapped.
	Wall, RunWall time.Duration
	Jobs          int
	// CPU is the CPU time the sweep used, when the caller measured it
	// (0 = not measured): CPU/Wall is how many cores it kept busy, which
	// is below Jobs when other work shares the machine.
	CPU time.Duration
	// Partial, when not empty, says why the sweep stopped before every run
	// finished (an interrupt); the report is then marked partial and
	// covers the finished runs only.
	Partial string
}

// Unfinished counts the runs that were abandoned or never started.
func (a *Analysis) Unfinished() (abandoned, notStarted int) {
	for i := range a.Runs {
		switch a.Runs[i].Status {
		case StatusAbandoned:
			abandoned++
		case StatusNotStarted:
			notStarted++
		}
	}
	return abandoned, notStarted
}

// Analyze aggregates the runs of grid g.
func Analyze(g Grid, runs []RunResult, wall time.Duration, jobs int) *Analysis {
	a := &Analysis{Grid: g, Runs: runs, Wall: wall, Jobs: jobs}
	budget := float64(g.Budget) / float64(time.Millisecond)
	byPoint := map[string]*PointSummary{}
	key := func(p Point) string { return p.String() }
	for i := range runs {
		r := &runs[i]
		a.RunWall += r.Wall
		if !r.Done() {
			continue
		}
		k := key(r.Point)
		ps := byPoint[k]
		if ps == nil {
			ps = &PointSummary{Point: r.Point, KeepsUp: true, UnderBudget: true}
			byPoint[k] = ps
			a.Points = append(a.Points, ps)
		}
		ps.Runs = append(ps.Runs, r)
	}
	for _, ps := range a.Points {
		parts := map[string]int64{}
		var ok float64
		for _, r := range ps.Runs {
			if r.Err != nil {
				ps.Failed++
				ps.KeepsUp, ps.UnderBudget = false, false
				continue
			}
			ok++
			ps.ComputeP50 = math.Max(ps.ComputeP50, r.ComputeMs.P50)
			ps.ComputeP99 = math.Max(ps.ComputeP99, r.ComputeMs.P99)
			ps.StatementsP99 = math.Max(ps.StatementsP99, r.Statements.P99)
			ps.MeanComputeMs += r.MeanComputeMs
			ps.MeanStatements += r.MeanStatements
			ps.ClosedPerHour += r.ClosedPerHour
			ps.CreatedPerHour += float64(r.IssuesCreated) / g.Duration.Hours()
			ps.BreakerTicks += float64(r.NotifyMayor)
			ps.KeepsUp = ps.KeepsUp && r.KeepsUp
			ps.UnderBudget = ps.UnderBudget && r.ComputeMs.P99 <= budget
			for k, v := range r.Parts {
				parts[k] += v
			}
		}
		if ok > 0 {
			ps.MeanComputeMs /= ok
			ps.MeanStatements /= ok
			ps.ClosedPerHour /= ok
			ps.CreatedPerHour /= ok
			ps.BreakerTicks /= ok
		}
		ps.Dominant = shares(parts)
	}
	groups := map[string]*Group{}
	for _, ps := range a.Points {
		label := fmt.Sprintf("knobs %s, %d rigs, rate %s", ps.Point.KnobLabel, ps.Point.Rigs, rateText(ps.Point.Rate))
		gr := groups[label]
		if gr == nil {
			gr = &Group{Label: label}
			groups[label] = gr
			a.Groups = append(a.Groups, gr)
		}
		gr.Points = append(gr.Points, ps)
	}
	for _, gr := range a.Groups {
		gr.AllUnderBudget = true
		sort.SliceStable(gr.Points, func(i, j int) bool { return gr.Points[i].Point.Agents < gr.Points[j].Point.Agents })
		for i, ps := range gr.Points {
			ps.LocalComputeExp, ps.LocalStatementsExp = math.NaN(), math.NaN()
			if i == 0 {
				continue
			}
			prev := gr.Points[i-1]
			dx := math.Log(float64(ps.Point.Agents) / float64(prev.Point.Agents))
			if dx > 0 && prev.MeanComputeMs > 0 && ps.MeanComputeMs > 0 {
				ps.LocalComputeExp = math.Log(ps.MeanComputeMs/prev.MeanComputeMs) / dx
			}
			if dx > 0 && prev.MeanStatements > 0 && ps.MeanStatements > 0 {
				ps.LocalStatementsExp = math.Log(ps.MeanStatements/prev.MeanStatements) / dx
			}
		}
		var xs, yc, ys []float64
		for _, ps := range gr.Points {
			for _, r := range ps.Runs {
				if r.Err != nil {
					continue
				}
				xs = append(xs, float64(ps.Point.Agents))
				yc = append(yc, r.MeanComputeMs)
				ys = append(ys, r.MeanStatements)
			}
			if ps.Failed < len(ps.Runs) {
				gr.Largest = max(gr.Largest, ps.Point.Agents)
			}
			if ps.UnderBudget && ps.Failed == 0 {
				gr.LargestUnderBudget = max(gr.LargestUnderBudget, ps.Point.Agents)
			} else {
				gr.AllUnderBudget = false
			}
			if ps.KeepsUp && ps.Failed == 0 {
				gr.LargestKeepingUp = max(gr.LargestKeepingUp, ps.Point.Agents)
			}
			if ps.ClosedPerHour > gr.PeakClosedPerHour {
				gr.PeakClosedPerHour, gr.PeakAt = ps.ClosedPerHour, ps.Point.Agents
			}
		}
		gr.Compute, gr.ComputeErr = reports.FitPowerLaw(xs, yc, 0.95)
		gr.Statements, gr.StatementsErr = reports.FitPowerLaw(xs, ys, 0.95)
		gr.BudgetAt = math.Inf(1)
		if gr.ComputeErr == nil {
			gr.BudgetAt = gr.Compute.Reaches(budget)
		}
	}
	return a
}

// shares sorts the parts by statements and gives each its share.
func shares(parts map[string]int64) []PartShare {
	var total int64
	for _, v := range parts {
		total += v
	}
	out := make([]PartShare, 0, len(parts))
	for k, v := range parts {
		if total > 0 {
			out = append(out, PartShare{Part: k, Share: float64(v) / float64(total)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Share != out[j].Share {
			return out[i].Share > out[j].Share
		}
		return out[i].Part < out[j].Part
	})
	return out
}

func rateText(r float64) string {
	if r == 0 {
		return "busy"
	}
	return fmt.Sprintf("%g/h", r)
}

// Speedup is how much the runs overlapped: the sum of the runs' real
// times over the sweep's. On an idle machine it approaches the number of
// jobs; contention inflates each run's time and lowers it.
func (a *Analysis) Speedup() float64 {
	if a.Wall <= 0 {
		return 0
	}
	return float64(a.RunWall) / float64(a.Wall)
}

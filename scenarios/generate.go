package scenarios

import (
	"slices"
	"time"

	"pgregory.net/rapid"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/sim"
)

// Generated is a scenario drawn by rapid: the configuration to run and
// the bounds to judge it by.
type Generated struct {
	Config sim.Config
	Bounds Bounds
}

// generatedSettle is the settle bound of generated scenarios: their work
// is fast (minutes, not hours), so an issue that has not ended an hour
// after it could start is stuck.
const generatedSettle = time.Hour

// GenScenario draws small towns with fast work, a workload that stops, a
// fault schedule (a few kinds at rates in their swarm ranges, healed at a
// drawn time) and a horizon long enough to judge recovery. Every draw
// shrinks toward less: fewer agents and rigs, fewer kinds of work, fewer
// faults at lower rates, an earlier heal, a shorter run.
func GenScenario() *rapid.Generator[Generated] {
	return GenScenarioFor(generatedSettle + 10*time.Minute)
}

// GenScenarioFor is GenScenario with another tail: the run ends this long
// after the later of the workload's end and the heal time. With a tail
// shorter than the settle bound plus 10 minutes the liveness deadlines
// fall outside the run and are not judged: shorter runs for the safety
// and bounds properties, such as those a mutant breaks.
func GenScenarioFor(tail time.Duration) *rapid.Generator[Generated] {
	return rapid.Custom(func(t *rapid.T) Generated {
		c := sim.DefaultConfig()
		c.Seed = rapid.Uint64Range(1, 1<<20).Draw(t, "seed")
		c.Rigs = rapid.IntRange(1, 3).Draw(t, "rigs")
		c.Agents = rapid.IntRange(1, 6).Draw(t, "agents")

		// Fast work, so that an issue's whole life fits in minutes.
		c.Work.Polecat = des.LogNormal(5*time.Minute, 0.4)
		c.Work.Fixup = des.LogNormal(2*time.Minute, 0.4)
		c.Work.Refinery = des.LogNormal(2*time.Minute, 0.3)
		c.GitHub.MergeDelay = des.LogNormal(5*time.Minute, 0.4)
		c.GitHub.ChecksDelay = des.Uniform(time.Minute, 2*time.Minute)
		c.GitHub.ApprovalDelay = des.LogNormal(10*time.Minute, 0.4)
		c.GitHub.CloseDelay = des.LogNormal(10*time.Minute, 0.4)

		w := &c.Workload
		w.IssuesPerHour = float64(rapid.IntRange(0, 12).Draw(t, "issues_per_hour"))
		w.Unassigned = float64(rapid.IntRange(0, 5).Draw(t, "unassigned_tenths")) / 10
		w.ConvoysPerHour = float64(rapid.IntRange(0, 2).Draw(t, "convoys_per_hour"))
		if w.ConvoysPerHour > 0 {
			w.ReviewAndMerge = float64(rapid.IntRange(0, 2).Draw(t, "review_and_merge_halves")) / 2
			w.Staged = float64(rapid.IntRange(0, 2).Draw(t, "staged_halves")) / 2
			w.ConvoyDepends = 0.5
		}
		w.HeldPerHour = float64(rapid.IntRange(0, 2).Draw(t, "held_per_hour"))
		w.Cancel = float64(rapid.IntRange(0, 2).Draw(t, "cancel_twentieths")) / 20
		if w.Cancel > 0 {
			w.CancelFailed = 0.5
		}
		stop := time.Duration(rapid.IntRange(5, 30).Draw(t, "workload_minutes")) * time.Minute
		c.WorkloadStop = stop

		kinds := make([]string, 0, len(sim.FaultKinds()))
		for _, k := range sim.FaultKinds() {
			if k.SwarmMax == 0 {
				continue // a targeted kind, for the scenarios made for it (as the swarm does)
			}
			kinds = append(kinds, k.Name)
		}
		picked := rapid.SliceOfNDistinct(rapid.SampledFrom(kinds), 0, 5, rapid.ID[string]).Draw(t, "faults")
		slices.Sort(picked)
		c.Faults.Rates = map[string]float64{}
		for _, name := range picked {
			k, _ := sim.LookupFaultKind(name)
			c.Faults.Rates[name] = rapid.Float64Range(k.SwarmMin, k.SwarmMax).Draw(t, "rate "+name)
		}
		heal := time.Duration(rapid.IntRange(0, 30).Draw(t, "heal_minutes")) * time.Minute
		if len(picked) > 0 {
			c.Faults.Heal = max(heal, time.Minute)
		}
		c.Duration = max(stop, c.Faults.Heal) + tail
		return Generated{Config: c, Bounds: Bounds{
			Settle:         generatedSettle,
			Starvation:     generatedSettle,
			DispatchResume: 20 * time.Minute,
			// A small town's tick leaves a handful of events at most.
			PendingEvents: 20,
		}}
	})
}

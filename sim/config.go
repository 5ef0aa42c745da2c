package sim

import (
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// Config is a whole scenario as data: the seed, the horizon, the fleet and
// every distribution and weight the world draws from. The scenarios
// package builds named ones; DefaultConfig is a small fault-free town.
//
// Weights are relative (they need not sum to 1); each group needs one
// positive weight. A Dist whose Kind is "" means "not used" where the
// field says so.
type Config struct {
	// Seed drives every random stream of the run.
	Seed uint64 `yaml:"seed"`
	// Start is the virtual start time (default 2026-01-01T00:00:00Z).
	Start time.Time `yaml:"start"`
	// Duration is the horizon of Run.
	Duration time.Duration `yaml:"duration"`
	// Rigs is the number of rigs in the town.
	Rigs int `yaml:"rigs"`
	// Agents is the target polecat fleet size of the whole town.
	Agents int `yaml:"agents"`
	// Town is the town configuration the Town starts with.
	Town TownSettings `yaml:"town"`
	// Containers describes the agent processes: start answers, cold start,
	// heartbeats and fault stages.
	Containers ContainerConfig `yaml:"containers"`
	// Work describes how long agents work and how their work ends.
	Work WorkConfig `yaml:"work"`
	// GitHub describes pull requests and the GitHub API's answers.
	GitHub GitHubConfig `yaml:"github"`
	// Workload describes what users create and cancel.
	Workload WorkloadConfig `yaml:"workload"`
	// Latency holds the round-trip time of every external call kind.
	Latency LatencyConfig `yaml:"latency"`
	// WorkloadStop stops creating work this long after Start (0 = never).
	WorkloadStop time.Duration `yaml:"workload_stop"`
	// Faults chooses fault kinds and rates on top of the sections above,
	// a swarm draw and the heal time.
	Faults FaultConfig `yaml:"faults"`
	// Mutant runs the Town with a deliberate bug (model.MutantNames), to
	// test the property checker; "" in every real run.
	Mutant string `yaml:"mutant"`
	// Knobs are the Town's capacity constants for what-if runs; the zero
	// value is production (model.Knobs).
	Knobs model.Knobs `yaml:"knobs"`
}

// DefaultStart is the default virtual start time.
var DefaultStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// DefaultConfig returns a small fault-free town: 2 rigs, 6 polecats, PR
// strategy with the new-town refinery settings, two hours.
func DefaultConfig() Config {
	ms := time.Millisecond
	return Config{
		Seed:     1,
		Start:    DefaultStart,
		Duration: 2 * time.Hour,
		Rigs:     2,
		Agents:   6,
		Town: TownSettings{
			MergeStrategy:  "pr",
			ReviewMode:     "comments",
			AutoMergeDelay: 5 * time.Minute,
			StagedConvoys:  true,
			// A configured GitHub token (production's fresh town has none).
			GitHubToken: TokenStored,
		},
		Containers: ContainerConfig{
			Boot:            des.Uniform(3*time.Second, 8*time.Second),
			ColdStart:       des.Uniform(10*time.Second, 45*time.Second),
			HeartbeatEvery:  30 * time.Second,
			StatusTimeout:   10 * time.Second,
			StartTimeout:    60 * time.Second,
			Start:           StartWeights{OK: 1},
			Healthy:         1,
			Exited:          Stage{After: des.Exp(time.Hour)},
			Crashed:         Stage{After: des.Exp(time.Hour)},
			OOMKilled:       Stage{After: des.Exp(time.Hour)},
			Unresponsive:    Stage{After: des.Exp(time.Hour)},
			Evicted:         Stage{After: des.Exp(time.Hour)},
			Stuck:           Stage{After: des.Exp(time.Hour)},
			UnresponsiveFor: des.Uniform(time.Minute, 10*time.Minute),
			EvictionGrace:   des.Uniform(5*time.Second, 30*time.Second),
		},
		Work: WorkConfig{
			Polecat:         des.LogNormal(15*time.Minute, 0.4),
			Fixup:           des.LogNormal(5*time.Minute, 0.4),
			Done:            1,
			DoneToCompleted: des.Uniform(time.Second, 5*time.Second),
			Refinery:        des.LogNormal(4*time.Minute, 0.3),
			Approve:         1,
		},
		GitHub: GitHubConfig{
			Org:           "townsim",
			Merge:         1,
			MergeDelay:    des.LogNormal(20*time.Minute, 0.5),
			CloseDelay:    des.LogNormal(30*time.Minute, 0.5),
			ChecksDelay:   des.Uniform(2*time.Minute, 6*time.Minute),
			ApprovalDelay: des.LogNormal(30*time.Minute, 0.5),
			Errors:        APIErrorWeights{OK: 1},
		},
		Workload: WorkloadConfig{
			ConvoyMinTasks: 2,
			ConvoyMaxTasks: 4,
			StartDelay:     des.Uniform(time.Minute, 10*time.Minute),
			HoldFor:        des.Uniform(5*time.Minute, 30*time.Minute),
			CancelAfter:    des.Uniform(time.Minute, 30*time.Minute),
		},
		Latency: LatencyConfig{
			WarmUp:         des.Uniform(20*ms, 200*ms),
			Health:         des.Uniform(20*ms, 200*ms),
			RefreshToken:   des.Uniform(20*ms, 200*ms),
			AgentStatus:    des.Uniform(10*ms, 150*ms),
			StartAgent:     des.Uniform(500*ms, 3*time.Second),
			StopAgent:      des.Uniform(50*ms, 500*ms),
			SendMessage:    des.Uniform(50*ms, 500*ms),
			ContainerState: des.Uniform(10*ms, 100*ms),
			ContainerStop:  des.Uniform(500*ms, 2*time.Second),
			PRStatus:       des.Uniform(100*ms, 800*ms),
			PRFeedback:     des.Uniform(200*ms, 1500*ms),
			MergePR:        des.Uniform(300*ms, 2*time.Second),
			Wasteland:      des.Uniform(100*ms, 500*ms),
		},
	}
}

// pickWeighted returns the index drawn from weights, 0 if all are zero.
func pickWeighted(r *des.Rand, ws ...float64) int {
	if i := r.Pick(ws); i >= 0 {
		return i
	}
	return 0
}

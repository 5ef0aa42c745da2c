package sim

import (
	"fmt"
	"math"
	"time"

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

// TownSettings is the part of the town configuration a scenario chooses.
type TownSettings struct {
	// MergeStrategy is "pr" (the new-town default) or "direct".
	MergeStrategy string `yaml:"merge_strategy"`
	// ReviewMode is refinery.review_mode: "comments" (new-town default) or "rework".
	ReviewMode string `yaml:"review_mode"`
	// AutoMergeDelay is refinery.auto_merge_delay_minutes (new-town default 5 min).
	AutoMergeDelay time.Duration `yaml:"auto_merge_delay"`
	// NoAutoMerge leaves auto_merge_delay_minutes null (auto-merge off).
	NoAutoMerge bool `yaml:"no_auto_merge"`
	// StagedConvoys is staged_convoys_default (new-town default true).
	StagedConvoys bool `yaml:"staged_convoys"`
	// CodeReviewOffRigs is how many rigs (the first ones) switch code
	// review off in their override config (rigs.config code_review false).
	CodeReviewOffRigs int `yaml:"code_review_off_rigs"`
	// GitHubToken is where the town's GitHub token comes from. The zero
	// value, TokenNone, is production's brand-new town: no token, so its
	// first PR poll fails every MR with no_token. DefaultConfig configures
	// a stored token (TokenStored).
	GitHubToken TokenSource `yaml:"github_token"`
}

// TokenSource names a link of production's GitHub token chain that a
// scenario configures (resolveGitHubToken: CLI PAT, town platform
// integration, rig platform integration, stored git_auth token).
type TokenSource string

// The token sources.
const (
	// TokenNone configures no token (a fresh town).
	TokenNone TokenSource = ""
	// TokenStored sets git_auth.github_token.
	TokenStored TokenSource = "stored"
	// TokenCLIPAT sets github_cli_pat.
	TokenCLIPAT TokenSource = "cli_pat"
	// TokenTownIntegration sets git_auth.platform_integration_id; the
	// simulated token service mints a token for it.
	TokenTownIntegration TokenSource = "town_integration"
	// TokenRigIntegration sets each rig's platformIntegrationId only.
	// Production's PR poller never passes the rig's integration to the
	// token chain, so such a town polls with no token (no_token).
	TokenRigIntegration TokenSource = "rig_integration"
)

// Stage is one way an agent process can end before its work does: the
// weight of choosing it when the process starts running, and how long
// after that it strikes. If the work ends first, the stage never happens.
type Stage struct {
	Weight float64 `yaml:"weight"`
	After  Dist    `yaml:"after"`
}

// StartWeights are the weights of the container's answers to a start call
// that finds no live process for the agent (a live one always answers
// 500 "already running").
type StartWeights struct {
	// OK: 200, the process is scheduled.
	OK float64 `yaml:"ok"`
	// Error: 503, nothing starts.
	Error float64 `yaml:"error"`
	// AlreadyRunning: 500 "already running" from a racing duplicate start;
	// the process does start.
	AlreadyRunning float64 `yaml:"already_running"`
	// Timeout: the call throws after ContainerConfig.StartTimeout; the
	// process starts nonetheless (the request was slow, not lost).
	Timeout float64 `yaml:"timeout"`
}

// ContainerConfig describes the town's container and each agent's process
// in it, as kwok stages: scheduled → cold start → running → an end.
type ContainerConfig struct {
	// Boot is how long a call waits when the town container is not running
	// (at the start, after an eviction or an idle stop).
	Boot Dist `yaml:"boot"`
	// ColdStart is the time from an accepted start to a running process.
	ColdStart Dist `yaml:"cold_start"`
	// ColdStartAnswer is what the status endpoint answers during a cold
	// start: "not_found" (404, the default) or "starting" (200 with status
	// "starting", which the Town ignores).
	ColdStartAnswer string `yaml:"cold_start_answer"`
	// HeartbeatEvery is the container's heartbeat interval (production: 30 s).
	HeartbeatEvery time.Duration `yaml:"heartbeat_every"`
	// StatusTimeout is the status call's timeout (production: 10 s).
	StatusTimeout time.Duration `yaml:"status_timeout"`
	// StartTimeout is the start call's timeout (production: 60 s).
	StartTimeout time.Duration `yaml:"start_timeout"`
	// Start are the weights of the start answers.
	Start StartWeights `yaml:"start"`
	// Healthy is the weight of a process that runs until its work ends.
	Healthy float64 `yaml:"healthy"`
	// Exited: the session ends without gt_done; the container reports
	// agent_completed(completed) and the status turns "exited".
	Exited Stage `yaml:"exited"`
	// Crashed: the process dies; nothing is reported; the status turns
	// "exited" with exit reason "crashed".
	Crashed Stage `yaml:"crashed"`
	// OOMKilled: the process is killed and forgotten: no report, status 404.
	OOMKilled Stage `yaml:"oom_killed"`
	// Unresponsive: the process hangs: no heartbeats, status calls time out,
	// until UnresponsiveFor has passed; then it is gone (404).
	Unresponsive Stage `yaml:"unresponsive"`
	// Evicted: the whole container gets SIGTERM (t.RecordContainerEviction),
	// heartbeats stop, and after EvictionGrace every process reports
	// agent_completed(completed, "container eviction") and is gone; the
	// next call boots a new container instance.
	Evicted Stage `yaml:"evicted"`
	// Stuck: the agent's session stops making progress but the process
	// lives: heartbeats go on with a frozen SDK watermark (last event at
	// the time it got stuck, no active tools), status says "running", the
	// work never ends. GUPP's nudges, escalation and force stop follow.
	Stuck Stage `yaml:"stuck"`
	// UnresponsiveFor is how long a hung process stays hung.
	UnresponsiveFor Dist `yaml:"unresponsive_for"`
	// EvictionGrace is the time between SIGTERM and the processes' end.
	EvictionGrace Dist `yaml:"eviction_grace"`
	// TriageStartFail is the probability that a start call for a triage
	// agent (hooked to the patrol's triage batch) answers 503, whatever
	// Start draws for other agents.
	TriageStartFail float64 `yaml:"triage_start_fail"`
}

// WorkConfig describes agent work and its outcomes.
type WorkConfig struct {
	// Polecat is how long a polecat works on an ordinary issue.
	Polecat Dist `yaml:"polecat"`
	// Fixup is how long a polecat works on rework, PR feedback, PR
	// conflict and triage beads.
	Fixup Dist `yaml:"fixup"`
	// Done and Failed weigh how a polecat's work ends: gt_done (then
	// agent_completed(completed)) or agent_completed(failed).
	Done   float64 `yaml:"done"`
	Failed float64 `yaml:"failed"`
	// DoneToCompleted is the gap between gt_done and the process exit report.
	DoneToCompleted Dist `yaml:"done_to_completed"`
	// MayorSession is how long the mayor's session lasts before it exits
	// (agent_completed, the mayor turns idle); "" Kind = it never ends.
	MayorSession Dist `yaml:"mayor_session"`
	// Refinery is how long a refinery reviews.
	Refinery Dist `yaml:"refinery"`
	// Approve, RequestChanges and ReviewFail weigh a review's end.
	Approve        float64 `yaml:"approve"`
	RequestChanges float64 `yaml:"request_changes"`
	ReviewFail     float64 `yaml:"review_fail"`
	// Triage is the action a triage agent resolves each request with, by
	// the request's triage_type (zero value = the defaults).
	Triage TriageActions `yaml:"triage"`
}

// GitHubConfig describes pull requests and the GitHub API.
type GitHubConfig struct {
	// Org is the owner of every rig's repository.
	Org string `yaml:"org"`
	// Outcome weights of a new PR: Merge (a human merges it once green),
	// Close (a human closes it), Comments (review comments to resolve
	// first), FailingChecks (CI fails until fixed), Approval (waits for an
	// approving review), Conflict (merge conflicts until resolved).
	Merge         float64 `yaml:"merge"`
	Close         float64 `yaml:"close"`
	Comments      float64 `yaml:"comments"`
	FailingChecks float64 `yaml:"failing_checks"`
	Approval      float64 `yaml:"approval"`
	Conflict      float64 `yaml:"conflict"`
	// MergeDelay is how long after a PR is green a human merges it.
	MergeDelay Dist `yaml:"merge_delay"`
	// CloseDelay is how long after creation a human closes a PR.
	CloseDelay Dist `yaml:"close_delay"`
	// ChecksDelay is CI's run time after each push.
	ChecksDelay Dist `yaml:"checks_delay"`
	// ApprovalDelay is how long an Approval PR waits for its review.
	ApprovalDelay Dist `yaml:"approval_delay"`
	// Errors weigh the answers of status and feedback calls.
	Errors APIErrorWeights `yaml:"errors"`
	// MergeFail is the probability that a merge call fails although the
	// PR is mergeable.
	MergeFail float64 `yaml:"merge_fail"`
}

// APIErrorWeights weigh the answers of a GitHub API call.
type APIErrorWeights struct {
	// OK is a normal answer.
	OK float64 `yaml:"ok"`
	// ServerError is a transient 502.
	ServerError float64 `yaml:"server_error"`
	// RateLimited is a transient 429.
	RateLimited float64 `yaml:"rate_limited"`
	// NotFound is a 404 (non-transient: the MR fails at once).
	NotFound float64 `yaml:"not_found"`
	// Invalid is an unparsable body (invalid_response, json_parse).
	Invalid float64 `yaml:"invalid"`
	// WrongShape is a JSON body of the wrong shape (invalid_response,
	// schema_mismatch, its top-level keys in the failure message).
	WrongShape float64 `yaml:"wrong_shape"`
	// Network is a thrown fetch error.
	Network float64 `yaml:"network"`
}

// WorkloadConfig describes the users.
type WorkloadConfig struct {
	// IssuesPerHour is the mean issue arrival rate; 0 derives the rate that
	// sustains the fleet: Agents per mean polecat work time.
	IssuesPerHour float64 `yaml:"issues_per_hour"`
	// MaxOpen closes the users' loop: while this many of their issues are
	// not terminal, arriving issues (Poisson and bursts) are dropped, as
	// users who wait for a stalled town before adding work. 0 = open loop.
	MaxOpen int `yaml:"max_open"`
	// NoInitialFill skips slinging Agents issues at the start.
	NoInitialFill bool `yaml:"no_initial_fill"`
	// Diurnal is the amplitude (0 ≤ a < 1) of a daily cosine on the rate.
	Diurnal float64 `yaml:"diurnal"`
	// PeakHour is the UTC hour of the daily peak.
	PeakHour float64 `yaml:"peak_hour"`
	// BurstEvery is the time between bursts ("" Kind = no bursts).
	BurstEvery Dist `yaml:"burst_every"`
	// BurstSize is the number of issues slung in a burst.
	BurstSize int `yaml:"burst_size"`
	// Unassigned is the fraction of issues created with a rig and no
	// assignee (t.CreateBead), which BD-1 dispatches.
	Unassigned float64 `yaml:"unassigned"`
	// ConvoysPerHour is the convoy arrival rate.
	ConvoysPerHour float64 `yaml:"convoys_per_hour"`
	// ConvoyMinTasks and ConvoyMaxTasks bound a convoy's task count.
	ConvoyMinTasks int `yaml:"convoy_min_tasks"`
	ConvoyMaxTasks int `yaml:"convoy_max_tasks"`
	// ConvoyDepends is the probability that a task depends on the one before.
	ConvoyDepends float64 `yaml:"convoy_depends"`
	// ReviewAndMerge is the fraction of convoys in review-and-merge mode.
	ReviewAndMerge float64 `yaml:"review_and_merge"`
	// Staged is the fraction of convoys created staged.
	Staged float64 `yaml:"staged"`
	// StartDelay is how long a staged convoy waits for t.StartConvoy.
	StartDelay Dist `yaml:"start_delay"`
	// HeldPerHour is the arrival rate of held beads.
	HeldPerHour float64 `yaml:"held_per_hour"`
	// DestroyAfter is when, after the start, the user deletes the town
	// (production's destroy: alarm deleted, storage wiped); 0 = never.
	DestroyAfter time.Duration `yaml:"destroy_after"`
	// HoldFor is how long a held bead waits for t.StartHeldBead.
	HoldFor Dist `yaml:"hold_for"`
	// Cancel is the fraction of issues a user cancels.
	Cancel float64 `yaml:"cancel"`
	// CancelAfter is when, after creation, the user cancels.
	CancelAfter Dist `yaml:"cancel_after"`
	// CancelFailed is the fraction of cancellations that mark the bead
	// failed instead of closed.
	CancelFailed float64 `yaml:"cancel_failed"`
	// Delete is the fraction of issues a user deletes (t.DeleteBead),
	// whatever their state and pending events.
	Delete float64 `yaml:"delete"`
	// DeleteAfter is when, after creation, the user deletes.
	DeleteAfter Dist `yaml:"delete_after"`
	// DeleteOnDone is the fraction of issues a user deletes the moment an
	// agent reports gt_done on them, while that report is still pending.
	DeleteOnDone float64 `yaml:"delete_on_done"`
	// DashboardVisitsPerHour is the rate at which users open the town's
	// page, whose load calls t.EnsureMayor (production's mayor/ensure
	// route). It is how production brings back a mayor lost to a container
	// eviction; 0 = never, and such a mayor stays down until a user
	// message starts it.
	DashboardVisitsPerHour float64 `yaml:"dashboard_visits_per_hour"`
}

// LatencyConfig is the round-trip time of each external call kind (a
// call's own timeouts come on top, see ContainerConfig).
type LatencyConfig struct {
	WarmUp         Dist `yaml:"warm_up"`
	Health         Dist `yaml:"health"`
	RefreshToken   Dist `yaml:"refresh_token"`
	AgentStatus    Dist `yaml:"agent_status"`
	StartAgent     Dist `yaml:"start_agent"`
	StopAgent      Dist `yaml:"stop_agent"`
	SendMessage    Dist `yaml:"send_message"`
	ContainerState Dist `yaml:"container_state"`
	ContainerStop  Dist `yaml:"container_stop"`
	PRStatus       Dist `yaml:"pr_status"`
	PRFeedback     Dist `yaml:"pr_feedback"`
	MergePR        Dist `yaml:"merge_pr"`
	Wasteland      Dist `yaml:"wasteland"`
}

// For returns the latency of a call kind.
func (l *LatencyConfig) For(k model.CallKind) Dist {
	switch k {
	case model.CallWarmUp:
		return l.WarmUp
	case model.CallHealth:
		return l.Health
	case model.CallRefreshToken:
		return l.RefreshToken
	case model.CallAgentStatus:
		return l.AgentStatus
	case model.CallStartAgent:
		return l.StartAgent
	case model.CallStopAgent:
		return l.StopAgent
	case model.CallSendMessage:
		return l.SendMessage
	case model.CallContainerState:
		return l.ContainerState
	case model.CallContainerStop:
		return l.ContainerStop
	case model.CallPRStatus:
		return l.PRStatus
	case model.CallPRFeedback:
		return l.PRFeedback
	case model.CallMergePR:
		return l.MergePR
	}
	return l.Wasteland
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
			Boot:            Uniform(3*time.Second, 8*time.Second),
			ColdStart:       Uniform(10*time.Second, 45*time.Second),
			HeartbeatEvery:  30 * time.Second,
			StatusTimeout:   10 * time.Second,
			StartTimeout:    60 * time.Second,
			Start:           StartWeights{OK: 1},
			Healthy:         1,
			Exited:          Stage{After: Exp(time.Hour)},
			Crashed:         Stage{After: Exp(time.Hour)},
			OOMKilled:       Stage{After: Exp(time.Hour)},
			Unresponsive:    Stage{After: Exp(time.Hour)},
			Evicted:         Stage{After: Exp(time.Hour)},
			Stuck:           Stage{After: Exp(time.Hour)},
			UnresponsiveFor: Uniform(time.Minute, 10*time.Minute),
			EvictionGrace:   Uniform(5*time.Second, 30*time.Second),
		},
		Work: WorkConfig{
			Polecat:         LogNormal(15*time.Minute, 0.4),
			Fixup:           LogNormal(5*time.Minute, 0.4),
			Done:            1,
			DoneToCompleted: Uniform(time.Second, 5*time.Second),
			Refinery:        LogNormal(4*time.Minute, 0.3),
			Approve:         1,
		},
		GitHub: GitHubConfig{
			Org:           "townsim",
			Merge:         1,
			MergeDelay:    LogNormal(20*time.Minute, 0.5),
			CloseDelay:    LogNormal(30*time.Minute, 0.5),
			ChecksDelay:   Uniform(2*time.Minute, 6*time.Minute),
			ApprovalDelay: LogNormal(30*time.Minute, 0.5),
			Errors:        APIErrorWeights{OK: 1},
		},
		Workload: WorkloadConfig{
			ConvoyMinTasks: 2,
			ConvoyMaxTasks: 4,
			StartDelay:     Uniform(time.Minute, 10*time.Minute),
			HoldFor:        Uniform(5*time.Minute, 30*time.Minute),
			CancelAfter:    Uniform(time.Minute, 30*time.Minute),
		},
		Latency: LatencyConfig{
			WarmUp:         Uniform(20*ms, 200*ms),
			Health:         Uniform(20*ms, 200*ms),
			RefreshToken:   Uniform(20*ms, 200*ms),
			AgentStatus:    Uniform(10*ms, 150*ms),
			StartAgent:     Uniform(500*ms, 3*time.Second),
			StopAgent:      Uniform(50*ms, 500*ms),
			SendMessage:    Uniform(50*ms, 500*ms),
			ContainerState: Uniform(10*ms, 100*ms),
			ContainerStop:  Uniform(500*ms, 2*time.Second),
			PRStatus:       Uniform(100*ms, 800*ms),
			PRFeedback:     Uniform(200*ms, 1500*ms),
			MergePR:        Uniform(300*ms, 2*time.Second),
			Wasteland:      Uniform(100*ms, 500*ms),
		},
	}
}

// Validate reports the first problem in c. Each error names its field by
// path, for example "containers.cold_start: dist lognormal: Median must be
// positive, got 0s".
func (c Config) Validate() error {
	v := validator{}
	v.check(c.Duration < 0, "duration", "is negative (%v)", c.Duration)
	v.check(c.Rigs < 1, "rigs", "must be at least 1, got %d", c.Rigs)
	v.check(c.Agents < 0, "agents", "is negative (%d)", c.Agents)
	v.check(c.WorkloadStop < 0, "workload_stop", "is negative (%v)", c.WorkloadStop)
	kn := c.Knobs
	v.check(kn.BreakerThreshold < 0, "knobs.breaker_threshold", "is negative (%d)", kn.BreakerThreshold)
	v.check(kn.MaxDispatchAttempts < 0, "knobs.max_dispatch_attempts", "is negative (%d)", kn.MaxDispatchAttempts)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"breaker_window", kn.BreakerWindow}, {"active_interval", kn.ActiveInterval}, {"idle_interval", kn.IdleInterval},
		{"pr_poll_interval", kn.PRPollInterval}, {"heartbeat_stale", kn.HeartbeatStale},
		{"not_found_grace", kn.NotFoundGrace}, {"stale_in_progress", kn.StaleInProgress}} {
		v.check(d.v < 0, "knobs."+d.name, "is negative (%v)", d.v)
	}
	for i, d := range kn.DispatchCooldown {
		v.check(d <= 0, fmt.Sprintf("knobs.dispatch_cooldown[%d]", i), "must be positive, got %v", d)
	}
	switch c.Town.MergeStrategy {
	case "", "pr", "direct":
	default:
		v.fail("town.merge_strategy", "is %q; want pr or direct", c.Town.MergeStrategy)
	}
	switch c.Town.ReviewMode {
	case "", "comments", "rework":
	default:
		v.fail("town.review_mode", "is %q; want comments or rework", c.Town.ReviewMode)
	}
	v.check(c.Town.AutoMergeDelay < 0, "town.auto_merge_delay", "is negative (%v)", c.Town.AutoMergeDelay)
	v.check(c.Town.CodeReviewOffRigs < 0 || c.Town.CodeReviewOffRigs > c.Rigs, "town.code_review_off_rigs",
		"must be between 0 and rigs (%d), got %d", c.Rigs, c.Town.CodeReviewOffRigs)
	v.check(c.Town.AutoMergeDelay%time.Minute != 0, "town.auto_merge_delay",
		"is %v; auto_merge_delay_minutes is a whole number of minutes", c.Town.AutoMergeDelay)
	switch c.Town.GitHubToken {
	case TokenNone, TokenStored, TokenCLIPAT, TokenTownIntegration, TokenRigIntegration:
	default:
		v.fail("town.github_token", "is %q; want \"\", stored, cli_pat, town_integration or rig_integration", c.Town.GitHubToken)
	}

	k := c.Containers
	v.dist("containers.boot", k.Boot)
	v.dist("containers.cold_start", k.ColdStart)
	switch k.ColdStartAnswer {
	case "", "not_found", "starting":
	default:
		v.fail("containers.cold_start_answer", "is %q; want not_found or starting", k.ColdStartAnswer)
	}
	v.check(k.HeartbeatEvery <= 0, "containers.heartbeat_every", "must be positive, got %v", k.HeartbeatEvery)
	v.check(k.StatusTimeout <= 0, "containers.status_timeout", "must be positive, got %v", k.StatusTimeout)
	v.check(k.StartTimeout <= 0, "containers.start_timeout", "must be positive, got %v", k.StartTimeout)
	v.weights("containers.start", k.Start.OK, k.Start.Error, k.Start.AlreadyRunning, k.Start.Timeout)
	v.weights("containers.healthy", k.Healthy, k.Exited.Weight, k.Crashed.Weight, k.OOMKilled.Weight,
		k.Unresponsive.Weight, k.Evicted.Weight, k.Stuck.Weight)
	v.stage("containers.exited", k.Exited)
	v.stage("containers.crashed", k.Crashed)
	v.stage("containers.oom_killed", k.OOMKilled)
	v.stage("containers.unresponsive", k.Unresponsive)
	v.stage("containers.evicted", k.Evicted)
	v.stage("containers.stuck", k.Stuck)
	if k.Unresponsive.Weight > 0 {
		v.dist("containers.unresponsive_for", k.UnresponsiveFor)
	}
	if k.Evicted.Weight > 0 {
		v.dist("containers.eviction_grace", k.EvictionGrace)
	}
	v.prob("containers.triage_start_fail", k.TriageStartFail)

	w := c.Work
	v.dist("work.polecat", w.Polecat)
	v.dist("work.fixup", w.Fixup)
	v.dist("work.done_to_completed", w.DoneToCompleted)
	if w.MayorSession.Kind != "" {
		v.dist("work.mayor_session", w.MayorSession)
	}
	v.dist("work.refinery", w.Refinery)
	v.weights("work.done", w.Done, w.Failed)
	v.weights("work.approve", w.Approve, w.RequestChanges, w.ReviewFail)

	g := c.GitHub
	v.check(g.Org == "", "github.org", "is empty")
	v.weights("github.merge", g.Merge, g.Close, g.Comments, g.FailingChecks, g.Approval, g.Conflict)
	v.dist("github.merge_delay", g.MergeDelay)
	v.dist("github.checks_delay", g.ChecksDelay)
	if g.Close > 0 {
		v.dist("github.close_delay", g.CloseDelay)
	}
	if g.Approval > 0 {
		v.dist("github.approval_delay", g.ApprovalDelay)
	}
	e := g.Errors
	v.weights("github.errors", e.OK, e.ServerError, e.RateLimited, e.NotFound, e.Invalid, e.Network, e.WrongShape)
	v.prob("github.merge_fail", g.MergeFail)

	l := c.Workload
	v.check(l.IssuesPerHour < 0, "workload.issues_per_hour", "is negative (%v)", l.IssuesPerHour)
	v.check(!(l.Diurnal >= 0 && l.Diurnal < 1), "workload.diurnal", "must be in [0, 1), got %v", l.Diurnal)
	v.check(!(l.PeakHour >= 0 && l.PeakHour < 24), "workload.peak_hour", "must be in [0, 24), got %v", l.PeakHour)
	if l.BurstSize > 0 || l.BurstEvery.Kind != "" {
		v.dist("workload.burst_every", l.BurstEvery)
		v.check(l.BurstSize < 1, "workload.burst_size", "must be at least 1 with bursts, got %d", l.BurstSize)
	}
	v.check(l.MaxOpen < 0, "workload.max_open", "is negative (%d)", l.MaxOpen)
	v.prob("workload.unassigned", l.Unassigned)
	v.check(l.ConvoysPerHour < 0, "workload.convoys_per_hour", "is negative (%v)", l.ConvoysPerHour)
	if l.ConvoysPerHour > 0 {
		v.check(l.ConvoyMinTasks < 1, "workload.convoy_min_tasks", "must be at least 1, got %d", l.ConvoyMinTasks)
		v.check(l.ConvoyMaxTasks < l.ConvoyMinTasks, "workload.convoy_max_tasks",
			"(%d) is less than convoy_min_tasks (%d)", l.ConvoyMaxTasks, l.ConvoyMinTasks)
		v.prob("workload.convoy_depends", l.ConvoyDepends)
		v.prob("workload.review_and_merge", l.ReviewAndMerge)
		v.prob("workload.staged", l.Staged)
		if l.Staged > 0 {
			v.dist("workload.start_delay", l.StartDelay)
		}
	}
	v.check(l.DashboardVisitsPerHour < 0, "workload.dashboard_visits_per_hour", "is negative (%v)", l.DashboardVisitsPerHour)
	v.check(l.DestroyAfter < 0, "workload.destroy_after", "is negative (%v)", l.DestroyAfter)
	v.check(l.HeldPerHour < 0, "workload.held_per_hour", "is negative (%v)", l.HeldPerHour)
	if l.HeldPerHour > 0 {
		v.dist("workload.hold_for", l.HoldFor)
	}
	v.prob("workload.cancel", l.Cancel)
	if l.Cancel > 0 {
		v.dist("workload.cancel_after", l.CancelAfter)
		v.prob("workload.cancel_failed", l.CancelFailed)
	}
	v.prob("workload.delete", l.Delete)
	v.prob("workload.delete_on_done", l.DeleteOnDone)
	if l.Delete > 0 {
		v.dist("workload.delete_after", l.DeleteAfter)
	}

	v.faults(c.Faults)
	if err := model.CheckMutant(c.Mutant); err != nil {
		v.fail("mutant", "%v", err)
	}

	lt := c.Latency
	for _, f := range []struct {
		name string
		d    Dist
	}{
		{"warm_up", lt.WarmUp}, {"health", lt.Health}, {"refresh_token", lt.RefreshToken},
		{"agent_status", lt.AgentStatus}, {"start_agent", lt.StartAgent}, {"stop_agent", lt.StopAgent},
		{"send_message", lt.SendMessage}, {"container_state", lt.ContainerState},
		{"container_stop", lt.ContainerStop}, {"pr_status", lt.PRStatus}, {"pr_feedback", lt.PRFeedback},
		{"merge_pr", lt.MergePR}, {"wasteland", lt.Wasteland},
	} {
		v.dist("latency."+f.name, f.d)
	}
	return v.err
}

// validator keeps the first error found.
type validator struct{ err error }

func (v *validator) fail(path, format string, args ...any) {
	if v.err == nil {
		v.err = fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))
	}
}

func (v *validator) check(bad bool, path, format string, args ...any) {
	if bad {
		v.fail(path, format, args...)
	}
}

func (v *validator) dist(path string, d Dist) {
	if err := d.Validate(); err != nil && v.err == nil {
		v.err = fmt.Errorf("%s: %w", path, err)
	}
}

func (v *validator) stage(path string, s Stage) {
	if s.Weight > 0 {
		v.dist(path+".after", s.After)
	}
}

func (v *validator) prob(path string, p float64) {
	v.check(!(p >= 0 && p <= 1), path, "must be a probability in [0, 1], got %v", p)
}

// weights checks a weight group: finite, non-negative, at least one positive.
func (v *validator) weights(path string, ws ...float64) {
	sum := 0.0
	for _, w := range ws {
		if !(w >= 0) || math.IsInf(w, 0) {
			v.fail(path, "weights must be finite and >= 0, got %v", ws)
			return
		}
		sum += w
	}
	v.check(sum == 0, path, "weights are all zero %v", ws)
}

// meanOf returns the mean of a Dist (the median's mean for a log-normal).
func meanOf(d Dist) time.Duration {
	switch d.Kind {
	case KindConst:
		return d.Value
	case KindUniform:
		return (d.Min + d.Max) / 2
	case KindExp, KindNormal:
		return d.Mean
	case KindLogNormal:
		return time.Duration(float64(d.Median) * math.Exp(d.Sigma*d.Sigma/2))
	}
	return 0
}

// pickWeighted returns the index drawn from weights, 0 if all are zero.
func pickWeighted(r *Rand, ws ...float64) int {
	if i := r.Pick(ws); i >= 0 {
		return i
	}
	return 0
}

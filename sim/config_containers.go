package sim

import (
	"time"

	"github.com/townsim/townsim/des"
)

// Stage is one way an agent process can end before its work does: the
// weight of choosing it when the process starts running, and how long
// after that it strikes. If the work ends first, the stage never happens.
type Stage struct {
	Weight float64  `yaml:"weight"`
	After  des.Dist `yaml:"after"`
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
	Boot des.Dist `yaml:"boot"`
	// ColdStart is the time from an accepted start to a running process.
	ColdStart des.Dist `yaml:"cold_start"`
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
	UnresponsiveFor des.Dist `yaml:"unresponsive_for"`
	// EvictionGrace is the time between SIGTERM and the processes' end.
	EvictionGrace des.Dist `yaml:"eviction_grace"`
	// TriageStartFail is the probability that a start call for a triage
	// agent (hooked to the patrol's triage batch) answers 503, whatever
	// Start draws for other agents.
	TriageStartFail float64 `yaml:"triage_start_fail"`
	// TriageCrash is the probability that a triage agent's process (one
	// started on the triage batch) crashes 1–3 min into its run, before it
	// resolves any request: nothing is reported, its status says exited.
	// Drawn from its own stream, only when on.
	TriageCrash float64 `yaml:"triage_crash"`
	// StuckInTool is the probability that a stuck session (stage Stuck) is
	// frozen inside a tool call — a command that never returns — rather
	// than between steps: its heartbeats go on with the frozen watermark
	// and name that tool among the session's active tools, as production's
	// container reports them on every heartbeat (GUPP's warn tier spares an
	// agent with a tool running). While it is on, every other heartbeat
	// reports an empty tool list, as production's does. Drawn from its own
	// stream, only when on.
	StuckInTool float64 `yaml:"stuck_in_tool"`
}

package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// procState is the stage an agent process is in.
type procState uint8

const (
	// procColdStart: accepted, not running yet; status answers 404 (or
	// "starting", see ContainerConfig.ColdStartAnswer).
	procColdStart procState = iota
	// procRunning: heartbeating and working; status answers "running".
	procRunning
	// procHung: unresponsive; no heartbeats; status calls time out.
	procHung
	// procExited: ended; status answers "exited" with its exit reason.
	procExited
	// procGone: forgotten by the container; status answers 404.
	procGone
	// procStopping: a stop reached its frozen session and the SDK's
	// session abort never returned (the stop_ignored fault): the
	// container's registry says "stopping", status answers it, no
	// heartbeat is sent for it, a later stop returns at once and a start
	// replaces it. Not live: it does no work; it lasts until the
	// container stops or restarts, or a start replaces it.
	procStopping
)

var procStateNames = [...]string{"cold_start", "running", "unresponsive", "exited", "gone", "stopping"}

func (s procState) String() string { return procStateNames[s] }

// live reports a process the container still runs.
func (s procState) live() bool { return s <= procHung }

// Fault stage names, in ContainerConfig's weight order after Healthy.
const (
	faultExited       = "exited"
	faultCrashed      = "crashed"
	faultOOMKilled    = "oom_killed"
	faultUnresponsive = "unresponsive"
	faultEvicted      = "evicted"
	faultStuck        = "stuck"
)

var faultNames = [...]string{"", faultExited, faultCrashed, faultOOMKilled, faultUnresponsive, faultEvicted, faultStuck}

// process is one agent's process in the town container.
type process struct {
	n          uint64    // process number, for traces
	startedAt  time.Time // when the start call reached the container
	agentID    string
	beadID     string
	role       string
	branch     string // the working branch of the start payload
	instance   string // the container instance it runs in
	state      procState
	exitReason string
	runningAt  time.Time
	draining   bool      // SIGTERM received: the heartbeat reporter has stopped
	stuckAt    time.Time // the session stopped making progress (zero = never)
	tool       string    // the tool call the stuck session is frozen in ("" = none)
	lastBeat   time.Time // its last heartbeat that reached the Town
	beatTools  []string  // the active tools its last heartbeat that reached the Town reported (nil = none sent)
	finished   bool      // its agent reported gt_done; only the exit remains
	job        *job
	beat       func() // k.heartbeat(p), made once when p starts running
}

// containers is the town's container (one per town, production's
// TownContainer) and the agent processes in it, moved through their
// stages by engine events drawn from the "containers" stream.
type containers struct {
	w   *World
	cfg ContainerConfig
	r   *des.Rand

	up        bool      // the container runs
	instance  string    // its instance id
	previous  string    // the instance before it ("" = none)
	instances int       // instances booted so far
	readyAt   time.Time // end of the current boot
	startedAt time.Time // when the current instance came up
	evicting  bool      // SIGTERM received, processes not yet ended

	procs map[string]*process // by agent id; looked up, iterated only sorted
	seq   uint64

	ready readyAcks // the container-ready acknowledgements (container_ready.go)
}

func newContainers(w *World) *containers {
	return &containers{w: w, cfg: w.cfg.Containers, r: w.src.Stream("containers"), procs: map[string]*process{}}
}

// ensureUp boots the container if it is down and returns how long a call
// arriving now waits for it.
func (k *containers) ensureUp() time.Duration {
	now := k.w.eng.Now()
	if !k.up {
		k.up = true
		k.instances++
		if k.instance != "" {
			k.previous = k.instance
		}
		k.instance = fmt.Sprintf("ci-%d-%s", k.instances, k.r.UUID()[:8])
		k.readyAt = now.Add(k.cfg.Boot.Sample(k.r))
		k.startedAt = k.readyAt
		k.w.record("container", des.F("event", "boot"), des.F("instance", k.instance), des.F("ready", k.readyAt))
	}
	if k.readyAt.After(now) {
		return k.readyAt.Sub(now)
	}
	return 0
}

// respond answers a container call (reconciler.md §3.9).
func (k *containers) respond(c model.Call, sent time.Time) (model.Result, time.Duration) {
	switch c.Kind {
	case model.CallAgentStatus:
		r, wait := k.agentStatus(c, sent)
		k.w.users.maybeDeleteObserved(c, r)
		return r, wait
	case model.CallStartAgent:
		return k.start(c, sent)
	case model.CallStopAgent:
		p := k.procs[c.AgentID]
		if p != nil && p.state == procStopping {
			return model.Result{StatusCode: 200}, 0 // already stopping: the container returns at once
		}
		if p == nil || !p.state.live() {
			return model.Result{StatusCode: 404}, 0
		}
		if k.w.faults.roll(FaultStopLost) {
			// the call never reaches the container: the process runs on
			k.w.faults.fire(FaultStopLost, des.Str("agent", p.agentID), des.Int("n", int64(p.n)))
			return model.Result{Err: "TypeError: fetch failed"}, 0
		}
		if p.state == procRunning && !p.stuckAt.IsZero() && k.w.faults.roll(FaultStopIgnored) {
			return k.stopHangs(p)
		}
		k.end(p, procExited, "stopped")
		return model.Result{StatusCode: 200}, 0
	case model.CallSendMessage:
		wait := k.ensureUp()
		if p := k.procs[c.AgentID]; p != nil && p.state == procRunning && wait == 0 {
			return model.Result{StatusCode: 200, OK: true}, 0
		}
		return model.Result{StatusCode: 404}, wait
	case model.CallWarmUp:
		cold := !k.up
		wait := k.ensureUp()
		return model.Result{StatusCode: 200, ColdStart: cold, Duration: wait}, wait
	case model.CallHealth:
		wait := k.ensureUp()
		k.ready.fromHealth(k, c.DrainNonce, wait)
		r := model.Result{StatusCode: 200, StartedAt: k.startedAt}
		if m := k.procs[k.w.mayorID]; m != nil && m.state == procRunning {
			r.MayorReadyAt = m.runningAt
		}
		return r, wait
	case model.CallRefreshToken:
		return model.Result{StatusCode: 200}, 0
	case model.CallContainerState:
		if k.up {
			return model.Result{StatusCode: 200, State: "running"}, 0
		}
		return model.Result{StatusCode: 200, State: "stopped"}, 0
	case model.CallContainerStop:
		k.stopAll("idle_stop")
		return model.Result{StatusCode: 200, OK: true}, 0
	}
	return model.Result{StatusCode: 200}, 0
}

// start answers a start call: a live process answers 500 "already
// running"; a container shutting down answers 503; otherwise the drawn
// answer, and for every answer but Error a new process in cold start.
func (k *containers) start(c model.Call, sent time.Time) (model.Result, time.Duration) {
	now := k.w.eng.Now()
	wait := k.ensureUp()
	if p := k.procs[c.AgentID]; p != nil && p.state.live() {
		return model.Result{StatusCode: 500, Body: "Agent " + c.AgentID + " is already running"}, wait
	}
	if k.evicting {
		k.w.stats.StartFailures++
		return model.Result{StatusCode: 503, Body: "container is shutting down"}, wait
	}
	if k.cfg.TriageStartFail > 0 && k.w.isTriageBatch(c.BeadID) && k.r.Bool(k.cfg.TriageStartFail) {
		k.w.stats.StartFailures++
		k.w.stats.Faults["triage_start_fail"]++
		k.w.record("fault", des.F("agent", c.AgentID), des.F("kind", "triage_start_fail"))
		return model.Result{StatusCode: 503, Body: "Service Unavailable"}, wait
	}
	if c.Role == model.RoleRefinery && k.w.faults.roll(FaultRefineryStartError) {
		k.w.stats.StartFailures++
		k.w.faults.fire(FaultRefineryStartError, des.F("agent", c.AgentID))
		return model.Result{StatusCode: 503, Body: "Service Unavailable"}, wait
	}
	w := k.cfg.Start
	answer := 0
	if !k.w.faults.healedFor("start_error", "start_already_running", "start_timeout") {
		answer = pickWeighted(k.r, w.OK, w.Error, w.AlreadyRunning, w.Timeout)
	}
	if answer > 0 {
		k.w.faults.fire([...]string{"", "start_error", "start_already_running", "start_timeout"}[answer],
			des.F("agent", c.AgentID))
	}
	switch answer {
	case 1:
		k.w.stats.StartFailures++
		return model.Result{StatusCode: 503, Body: "Service Unavailable"}, wait
	case 2:
		k.spawn(c, now.Add(wait))
		return model.Result{StatusCode: 500, Body: "Agent " + c.AgentID + " is already running"}, wait
	case 3:
		k.spawn(c, now.Add(wait))
		return model.Result{Err: "timeout"}, max(sent.Add(k.cfg.StartTimeout).Sub(now), wait)
	}
	k.spawn(c, now.Add(wait))
	return model.Result{StatusCode: 200}, wait
}

// spawn creates the agent's process, planning its work from the Town's
// state now (the prompt is built at start), and schedules its cold start.
func (k *containers) spawn(c model.Call, at time.Time) {
	k.seq++
	p := &process{n: k.seq, startedAt: k.w.eng.Now(), agentID: c.AgentID, beadID: c.BeadID, role: c.Role, branch: c.Branch, instance: k.instance}
	k.procs[c.AgentID] = p
	k.w.stats.Processes++
	p.job = k.w.planJob(p)
	cold := k.cfg.ColdStart.Sample(k.r)
	k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("state", p.state.String()), des.Str("bead", p.beadID),
		des.F("job", p.job.kind), des.Dur("cold", cold))
	k.w.eng.Schedule(at.Add(cold), func() { k.running(p) })
}

// running ends p's cold start: heartbeats begin, the work starts, and a
// fault stage is drawn (the mayor is spared faults other than eviction).
func (k *containers) running(p *process) {
	if p.state != procColdStart {
		return
	}
	now := k.w.eng.Now()
	p.state, p.runningAt = procRunning, now
	p.beat = func() { k.heartbeat(p) }
	k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("state", p.state.String()))
	k.heartbeat(p)
	k.w.startJob(p)
	if k.triageCrash(p) {
		return
	}
	if p.role == model.RoleMayor || k.w.faults.healedFor(faultNames[1:]...) {
		return
	}
	c := k.cfg
	i := pickWeighted(k.r, c.Healthy, c.Exited.Weight, c.Crashed.Weight, c.OOMKilled.Weight,
		c.Unresponsive.Weight, c.Evicted.Weight, c.Stuck.Weight)
	if i == 0 {
		return
	}
	stage := [...]Stage{{}, c.Exited, c.Crashed, c.OOMKilled, c.Unresponsive, c.Evicted, c.Stuck}[i]
	name := faultNames[i]
	k.w.eng.After(stage.After.Sample(k.r), func() { k.fault(p, name) })
}

// heartbeat sends p's heartbeat and schedules the next while p runs.
func (k *containers) heartbeat(p *process) {
	if p.state != procRunning || p.draining {
		return
	}
	now := k.w.eng.Now()
	if k.w.faults.roll(FaultHeartbeatLost) {
		k.w.faults.fire(FaultHeartbeatLost, des.Str("agent", p.agentID), des.Int("n", int64(p.n)))
		k.w.eng.After(k.cfg.HeartbeatEvery, p.beat)
		return
	}
	k.w.stats.Heartbeats++
	last, typ := now, "message.part.updated"
	switch {
	case !p.stuckAt.IsZero():
		last = p.stuckAt
	case p.role == model.RoleMayor && k.w.cfg.Work.MayorQuiet:
		last, typ = p.runningAt, "session.idle" // waiting for its user since it answered
	}
	in := model.HeartbeatInput{
		Watermark:           &model.Watermark{LastEventType: typ, LastEventAt: model.ISO(last)},
		ContainerInstanceID: p.instance,
	}
	if k.cfg.StuckInTool > 0 {
		in.Watermark.ActiveTools = []string{}
		if p.tool != "" {
			in.Watermark.ActiveTools = []string{p.tool}
		}
	}
	var nonce string
	if k.w.rpc("heartbeat", func(now time.Time) error {
		var err error
		nonce, err = k.w.town.Heartbeat(now, p.agentID, in)
		return err
	}, des.Str("agent", p.agentID)) == nil {
		p.lastBeat = now
		p.beatTools = in.Watermark.ActiveTools
	}
	k.ready.fromHeartbeat(k, p.instance, nonce)
	if k.previous != "" && k.w.faults.roll(FaultStaleHeartbeat) {
		k.w.faults.fire(FaultStaleHeartbeat, des.Str("agent", p.agentID), des.Str("instance", k.previous))
		stale := in
		stale.ContainerInstanceID = k.previous
		k.w.rpc("heartbeat", func(now time.Time) error {
			_, err := k.w.town.Heartbeat(now, p.agentID, stale)
			return err
		}, des.Str("agent", p.agentID), des.Str("instance", k.previous))
	}
	k.w.eng.After(k.cfg.HeartbeatEvery, p.beat)
}

// fault strikes p with a fault stage, if p still runs.
func (k *containers) fault(p *process, name string) {
	if p.state != procRunning || p.draining || !p.stuckAt.IsZero() || k.w.faults.healed() {
		return
	}
	k.w.stats.Faults[name]++
	k.w.faults.conv.fired(name)
	k.w.record("fault", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.F("kind", name))
	switch name {
	case faultExited:
		k.end(p, procExited, "session ended")
		k.w.agentCompleted(p.agentID, completedOK, "")
	case faultCrashed:
		k.end(p, procExited, "crashed (exit code 1)")
	case faultOOMKilled:
		k.end(p, procGone, "oom_killed")
	case faultUnresponsive:
		p.state = procHung
		k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("state", p.state.String()))
		k.w.eng.After(k.cfg.UnresponsiveFor.Sample(k.r), func() {
			if p.state == procHung {
				k.end(p, procGone, "killed after hanging")
			}
		})
	case faultEvicted:
		k.evict()
	case faultStuck:
		p.stuckAt = k.w.eng.Now()
		if p.tool = k.stuckTool(); p.tool != "" {
			k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("stuck_in_tool", p.tool))
		}
	}
}

// stopHangs is the stop_ignored fault: the stop's session abort never
// returns, so p is left stopping (no heartbeats, status "stopping") and
// the Town's stop call, which production sends without a timeout, fails
// when the platform gives up on the request (stopHang).
func (k *containers) stopHangs(p *process) (model.Result, time.Duration) {
	k.w.faults.fire(FaultStopIgnored, des.Str("agent", p.agentID), des.Int("n", int64(p.n)))
	p.state = procStopping
	k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("state", p.state.String()))
	return model.Result{Err: "network connection lost"}, stopHang
}

// stopHang is how long a stop call whose session abort hangs waits before
// it fails: the platform's limit on a request that gets no response
// (Cloudflare's 100 s; an assumption, production sets no timeout).
const stopHang = 100 * time.Second

// endStopping ends every stopping process (the container went away).
func (k *containers) endStopping(reason string) {
	for _, id := range slices.Sorted(maps.Keys(k.procs)) {
		if p := k.procs[id]; p.state == procStopping {
			k.end(p, procGone, reason)
		}
	}
}

// end moves p to a final stage; its pending events then do nothing.
func (k *containers) end(p *process, s procState, reason string) {
	if !p.state.live() && p.state != procStopping {
		return
	}
	p.state, p.exitReason = s, reason
	k.w.record("proc", des.Str("agent", p.agentID), des.Int("n", int64(p.n)), des.Str("state", s.String()), des.Str("reason", reason))
}

// sortedLive returns the live processes by agent id.
func (k *containers) sortedLive() []*process {
	ids := make([]string, 0, len(k.procs))
	for id, p := range k.procs {
		if p.state.live() {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	out := make([]*process, len(ids))
	for i, id := range ids {
		out[i] = k.procs[id]
	}
	return out
}

// evict is SIGTERM to the container: the Town is told at once, every
// heartbeat reporter stops, and after the grace period every process
// that can still talk reports agent_completed(completed, "container
// eviction") and all are gone with the container; the next call boots a
// new instance.
func (k *containers) evict() {
	if k.evicting || !k.up {
		return
	}
	k.evicting = true
	k.w.stats.Evictions++
	k.w.record("container", des.F("event", "sigterm"), des.F("instance", k.instance))
	k.w.rpc("record_container_eviction", func(now time.Time) error {
		_, err := k.w.town.RecordContainerEviction(now)
		return err
	})
	for _, p := range k.sortedLive() {
		p.draining = true
	}
	k.w.eng.After(k.cfg.EvictionGrace.Sample(k.r), func() {
		for _, p := range k.sortedLive() {
			talk := p.state != procHung
			k.end(p, procGone, "evicted")
			if talk {
				k.w.agentCompleted(p.agentID, completedOK, "container eviction")
			}
		}
		k.endStopping("evicted")
		k.up, k.evicting = false, false
		k.w.record("container", des.F("event", "gone"), des.F("instance", k.instance))
	})
}

// stopAll is the container's stop: every process is gone, no reports.
func (k *containers) stopAll(reason string) {
	for _, p := range k.sortedLive() {
		k.end(p, procGone, reason)
	}
	k.endStopping(reason)
	if k.up {
		k.up = false
		k.w.record("container", des.F("event", "stop"), des.F("instance", k.instance))
	}
}

// agentStatus answers the container's status of one agent (reconciler.md
// §3.9) and how long the answer waits (a booting container, a hung
// process's timeout).
func (k *containers) agentStatus(c model.Call, sent time.Time) (model.Result, time.Duration) {
	now := k.w.eng.Now()
	wait := k.ensureUp()
	p := k.procs[c.AgentID]
	if p == nil || wait > 0 {
		return model.Result{StatusCode: 404}, wait
	}
	if k.w.faults.roll(FaultStatusUnknown) {
		k.w.faults.fire(FaultStatusUnknown, des.Str("agent", p.agentID))
		return model.Result{StatusCode: 500, Body: "Internal Server Error"}, 0
	}
	switch p.state {
	case procColdStart:
		if k.cfg.ColdStartAnswer == "starting" {
			return model.Result{StatusCode: 200, Status: "starting"}, 0
		}
	case procRunning:
		return model.Result{StatusCode: 200, Status: "running"}, 0
	case procHung:
		return model.Result{Err: "timeout"}, max(sent.Add(k.cfg.StatusTimeout).Sub(now), 0)
	case procExited:
		return model.Result{StatusCode: 200, Status: "exited", ExitReason: p.exitReason}, 0
	case procStopping:
		return model.Result{StatusCode: 200, Status: "stopping"}, 0
	}
	return model.Result{StatusCode: 404}, 0
}

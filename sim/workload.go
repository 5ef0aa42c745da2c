package sim

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// Issue creation paths.
const (
	issueSling      = "sling"      // t.SlingBead: hooked and dispatched at once
	issueUnassigned = "unassigned" // t.CreateBead with a rig and no assignee: BD-1 dispatches it
	issueConvoy     = "convoy"     // a convoy task (t.SlingConvoy)
	issueHeld       = "held"       // t.CreateHeldBead, started later
)

// issueRec is one issue a user created.
type issueRec struct {
	id      string
	at      time.Time
	kind    string
	cancel  string // the status a user set ("" = none)
	convoy  string
	created bool // the Town accepted it
	deleted bool // a user deleted it
	done    bool // seen closed or failed (MaxOpen's count skips it)
}

// workload is the users: issue arrivals (Poisson with a daily curve and
// bursts), convoys, held beads and cancellations, drawn from the
// "workload" stream.
type workload struct {
	w    *World
	cfg  WorkloadConfig
	r    *des.Rand
	rate float64 // issues per hour
	stop time.Time
	n    int // titles
	item int // the wanted item the mayor works on (Wasteland)
	// blockSeen marks the merge requests BlockMR looked at.
	blockSeen map[string]bool
	// workSeen marks the issues in progress editWorking looked at.
	workSeen map[string]bool
	// reviewSeen marks the issues in review deleteInReview looked at.
	reviewSeen map[string]bool
	// create makes one arriving issue (u.sling; tests count instead).
	create func(kind string)
}

func newWorkload(w *World) *workload {
	u := &workload{w: w, cfg: w.cfg.Workload, r: w.src.Stream("workload")}
	u.create = u.sling
	u.rate = u.cfg.IssuesPerHour
	if u.rate == 0 {
		if mean := w.cfg.Work.Polecat.Average(); mean > 0 {
			u.rate = float64(w.cfg.Agents) / mean.Hours()
		}
	}
	if w.cfg.WorkloadStop > 0 {
		u.stop = w.cfg.Start.Add(w.cfg.WorkloadStop)
	}
	return u
}

// active reports whether users still create work now.
func (u *workload) active() bool {
	return u.stop.IsZero() || u.w.eng.Now().Before(u.stop)
}

// saturated reports whether the users hold off: MaxOpen of their issues
// are not terminal yet. It reads each issue's status until it is terminal.
func (u *workload) saturated() bool {
	if u.cfg.MaxOpen == 0 {
		return false
	}
	open := 0
	for _, r := range u.w.issues {
		if !r.created || r.done {
			continue
		}
		switch u.w.status(r.id) {
		case model.StatusClosed, model.StatusFailed:
			r.done = true
		default:
			open++
		}
	}
	return open >= u.cfg.MaxOpen
}

// start schedules the initial fill and the arrival processes.
func (u *workload) start() {
	w := u.w
	if u.cfg.DestroyAfter > 0 {
		w.eng.After(u.cfg.DestroyAfter, w.DestroyTown)
	}
	if !u.cfg.NoInitialFill && w.cfg.Agents > 0 {
		step := time.Minute / time.Duration(w.cfg.Agents)
		for i := 0; i < w.cfg.Agents; i++ {
			w.eng.After(time.Duration(i)*step, func() { u.create(issueSling) })
		}
	}
	if u.rate > 0 {
		u.nextArrival(u.rate*(1+u.cfg.Diurnal), func() {
			unassigned := u.r.Float64() < u.cfg.Unassigned
			if u.saturated() {
				return
			}
			if unassigned {
				u.create(issueUnassigned)
			} else {
				u.create(issueSling)
			}
		}, u.diurnal)
	}
	if u.cfg.BurstSize > 0 {
		var burst func()
		burst = func() {
			if !u.active() {
				return
			}
			for i := 0; i < u.cfg.BurstSize && !u.saturated(); i++ {
				u.create(issueSling)
			}
			w.eng.After(u.cfg.BurstEvery.Sample(u.r), burst)
		}
		w.eng.After(u.cfg.BurstEvery.Sample(u.r), burst)
	}
	if u.cfg.WastelandTagMR > 0 {
		w.eng.After(time.Minute, u.tagWastelandMRs)
	}
	if u.cfg.BlockMR > 0 {
		w.eng.After(time.Minute, u.blockMRs)
	}
	if u.cfg.DependWorking > 0 || u.cfg.ReopenWorking > 0 {
		w.eng.After(time.Minute, u.editWorking)
	}
	if u.cfg.DeleteInReview > 0 {
		w.eng.After(time.Minute, u.deleteInReview)
	}
	if u.cfg.ConvoysPerHour > 0 {
		u.nextArrival(u.cfg.ConvoysPerHour, u.convoy, nil)
	}
	if u.cfg.HeldPerHour > 0 {
		u.nextArrival(u.cfg.HeldPerHour, u.held, nil)
	}
	if u.cfg.DashboardVisitsPerHour > 0 {
		startDashboardVisits(w, u.cfg.DashboardVisitsPerHour)
	}
}

// diurnal is the relative rate now: 1 + a·cos(2π(h − peak)/24), over
// its maximum 1 + a.
func (u *workload) diurnal() float64 {
	a := u.cfg.Diurnal
	if a == 0 {
		return 1
	}
	now := u.w.eng.Now().UTC()
	h := float64(now.Hour()) + float64(now.Minute())/60 + float64(now.Second())/3600
	return (1 + a*math.Cos(2*math.Pi*(h-u.cfg.PeakHour)/24)) / (1 + a)
}

// nextArrival runs a Poisson process of rate perHour (its maximum when
// accept thins it) that calls fn at each accepted arrival while users are
// active.
func (u *workload) nextArrival(perHour float64, fn func(), accept func() float64) {
	mean := time.Duration(float64(time.Hour) / perHour)
	var arrive func()
	arrive = func() {
		if !u.active() {
			return
		}
		if accept == nil || u.r.Float64() < accept() {
			fn()
		}
		u.w.eng.After(u.r.Exp(mean), arrive)
	}
	u.w.eng.After(u.r.Exp(mean), arrive)
}

func (u *workload) rig() string { return u.w.rigs[u.r.IntN(len(u.w.rigs))].id }

func (u *workload) title(kind string) string {
	u.n++
	return fmt.Sprintf("%s task %d", kind, u.n)
}

// sling creates one issue by the given path.
func (u *workload) sling(kind string) {
	w := u.w
	rig, title := u.rig(), u.title("Issue")
	rec := &issueRec{at: w.eng.Now(), kind: kind}
	w.issues = append(w.issues, rec)
	u.maybeCancel(rec)
	u.maybeDelete(rec)
	u.maybeUnrig(rec)
	u.maybeEdit(rec)
	if kind == issueUnassigned {
		w.rpc("create_bead", func(now time.Time) error {
			b, err := w.town.CreateBead(now, model.CreateBeadInput{Type: model.TypeIssue, Title: title, RigID: rig})
			if b != nil {
				rec.id, rec.created = b.ID, true
			}
			return err
		}, des.F("rig", rig))
		w.record("user", des.F("op", "create_bead"), des.F("bead", rec.id))
		return
	}
	var env model.Env = w.env
	lost := !w.alarm.running && w.faults.roll(FaultSlingRestart)
	if lost {
		env = evictedEnv{w.env}
	}
	meta := u.wastelandOrigin()
	w.rpcEnv("sling_bead", func() error {
		id, _, err := w.town.SlingBead(env, model.SlingInput{RigID: rig, Title: title, Metadata: meta})
		if lost {
			w.faults.fire(FaultSlingRestart, des.F("bead", id))
			w.eng.After(0, func() { _ = w.RestartTown() })
		}
		if id != "" {
			rec.id, rec.created = id, true
		}
		return err
	}, func() []des.Field {
		fs := []des.Field{des.F("bead", rec.id), des.F("rig", rig)}
		if meta != nil {
			fs = append(fs, des.F("wasteland_item", meta["wasteland"].(map[string]any)["item_id"]))
		}
		return fs
	})
}

// maybeCancel draws whether a user cancels the issue and schedules it.
func (u *workload) maybeCancel(rec *issueRec) {
	if u.cfg.Cancel == 0 || !u.r.Bool(u.cfg.Cancel) {
		return
	}
	status := model.StatusClosed
	if u.r.Bool(u.cfg.CancelFailed) {
		status = model.StatusFailed
	}
	u.w.eng.After(u.cfg.CancelAfter.Sample(u.r), func() {
		w := u.w
		if rec.id == "" {
			return
		}
		b, err := w.town.GetBead(rec.id)
		if err != nil || b == nil || model.Terminal(b.Status) {
			return
		}
		rec.cancel = status
		w.rpcEnv("set_bead_status", func() error {
			return w.town.SetBeadStatus(w.env, rec.id, status, "user")
		}, func() []des.Field { return []des.Field{des.F("bead", rec.id), des.F("status", status)} })
	})
}

// maybeDelete draws whether a user deletes the issue and schedules it.
func (u *workload) maybeDelete(rec *issueRec) {
	if u.cfg.Delete == 0 || !u.r.Bool(u.cfg.Delete) {
		return
	}
	u.w.eng.After(u.cfg.DeleteAfter.Sample(u.r), func() { u.delete(rec) })
}

// deleteOnDone draws whether the user deletes the issue an agent has just
// reported done on, at once: before the next tick drains the report.
func (u *workload) deleteOnDone(beadID string) {
	if u.cfg.DeleteOnDone == 0 || !u.r.Bool(u.cfg.DeleteOnDone) {
		return
	}
	for _, rec := range u.w.issues {
		if rec.id == beadID {
			u.delete(rec)
			return
		}
	}
}

// delete is a user's t.DeleteBead of an issue. Its trace record counts
// the bead's town events still pending then, which the deletion leaves
// to be applied to a bead that no longer exists.
func (u *workload) delete(rec *issueRec) {
	w := u.w
	if rec.id == "" || rec.deleted {
		return
	}
	// Its events: those naming it, and those of the agents hooked to it
	// (gt_done and exit reports name the agent only).
	pending, err := w.town.DB().Int(`SELECT count(*) FROM town_events WHERE processed_at IS NULL
		AND (bead_id = ? OR agent_id IN (SELECT bead_id FROM agent_metadata WHERE current_hook_bead_id = ?))`, rec.id, rec.id)
	if err != nil {
		pending = -1
	}
	if u.cfg.DeleteWrongRig > 0 {
		u.deleteThroughRoutes(rec, pending)
		return
	}
	w.rpc("delete_bead", func(now time.Time) error {
		ok, err := w.town.DeleteBead(now, rec.id, "")
		rec.deleted = ok
		return err
	}, des.F("bead", rec.id), des.F("pending", pending))
	if rec.deleted {
		w.stats.Deletions++
		if pending > 0 {
			w.stats.DeletedWithPending++
		}
	}
}

// convoy slings a convoy: tasks that may depend on the one before, a
// drawn merge mode, staged or not (then started after a delay).
func (u *workload) convoy() {
	w := u.w
	n := u.cfg.ConvoyMinTasks + u.r.IntN(u.cfg.ConvoyMaxTasks-u.cfg.ConvoyMinTasks+1)
	tasks := make([]model.ConvoyTask, n)
	for i := range tasks {
		tasks[i] = model.ConvoyTask{Title: u.title("Convoy")}
		if i > 0 && u.r.Bool(u.cfg.ConvoyDepends) {
			tasks[i].DependsOn = []int{i - 1}
		}
	}
	mode := model.MergeModeReviewThenLand
	if u.r.Bool(u.cfg.ReviewAndMerge) {
		mode = model.MergeModeReviewAndMerge
	}
	staged := u.r.Bool(u.cfg.Staged)
	delay := time.Duration(0)
	if staged {
		delay = u.cfg.StartDelay.Sample(u.r)
	}
	rig := u.rig()
	title := fmt.Sprintf("Feature %d", u.n)
	var convoyID string
	var ids []string
	meta := u.wastelandConvoyOrigin()
	w.rpc("sling_convoy", func(now time.Time) error {
		var err error
		convoyID, ids, err = w.town.SlingConvoy(now, model.SlingConvoyInput{RigID: rig, Title: title,
			Tasks: tasks, MergeMode: mode, Staged: &staged, Metadata: meta})
		return err
	}, des.F("rig", rig), des.F("tasks", n), des.F("mode", mode), des.F("staged", staged))
	for _, id := range ids {
		rec := &issueRec{id: id, at: w.eng.Now(), kind: issueConvoy, convoy: convoyID, created: true}
		w.issues = append(w.issues, rec)
		u.maybeUnrig(rec)
		u.maybeEdit(rec)
	}
	if staged && convoyID != "" {
		w.eng.After(delay, func() {
			w.rpc("start_convoy", func(now time.Time) error { return w.town.StartConvoy(now, convoyID) },
				des.F("convoy", convoyID))
		})
	}
}

// held creates a held bead and starts it after a delay.
func (u *workload) held() {
	w := u.w
	rig, title := u.rig(), u.title("Held")
	delay := u.cfg.HoldFor.Sample(u.r)
	rec := &issueRec{at: w.eng.Now(), kind: issueHeld}
	w.issues = append(w.issues, rec)
	w.rpc("create_held_bead", func(now time.Time) error {
		id, err := w.town.CreateHeldBead(now, model.SlingInput{RigID: rig, Title: title, Labels: []string{model.LabelHeld}})
		rec.id, rec.created = id, id != ""
		return err
	}, des.F("rig", rig))
	if rec.id == "" {
		return
	}
	w.eng.After(delay, func() {
		w.rpc("start_held_bead", func(now time.Time) error { return w.town.StartHeldBead(now, rec.id, rig) },
			des.F("bead", rec.id))
	})
}

// evictedEnv is the Env of a slingBead whose Durable Object is evicted
// when the RPC returns (fault sling_restart): the task it starts without
// awaiting never runs.
type evictedEnv struct{ *Env }

// Go drops the task: the isolate that would have run it is gone.
func (evictedEnv) Go(func()) {}

// wastelandOrigin draws whether the mayor slings the next issue for a
// claimed wasteland item and returns its origin tag (nil: an ordinary
// issue). Half of the tagged issues start a new item; the others belong
// to the item before. Nothing is drawn while Wasteland is 0.
func (u *workload) wastelandOrigin() map[string]any {
	if u.cfg.Wasteland == 0 {
		return nil
	}
	r := u.w.src.Stream("workload/wasteland")
	if !r.Bool(u.cfg.Wasteland) {
		return nil
	}
	if u.item == 0 || r.Bool(0.5) {
		u.item++
	}
	return wastelandItemOrigin("wanted-" + strconv.Itoa(u.item))
}

// wastelandConvoyOrigin draws whether the mayor slings the next convoy
// for a newly claimed wanted item and returns its origin tag (nil: an
// ordinary convoy). Nothing is drawn while WastelandConvoy is 0.
func (u *workload) wastelandConvoyOrigin() map[string]any {
	if u.cfg.WastelandConvoy == 0 || !u.w.src.Stream("workload/wasteland-convoy").Bool(u.cfg.WastelandConvoy) {
		return nil
	}
	u.item++
	return wastelandItemOrigin("wanted-" + strconv.Itoa(u.item))
}

// wastelandItemOrigin is production's origin tag of a wanted-item claim
// on the simulated wasteland.
func wastelandItemOrigin(id string) map[string]any {
	return map[string]any{"wasteland": map[string]any{
		"kind":         "wanted-item-claim",
		"wasteland_id": SimWastelandID,
		"item_id":      id,
		"pull_id":      nil,
		"source_url":   "https://wasteland.example.com/" + SimWastelandID + "/wanted/" + id,
	}}
}

// SimWastelandID is the wasteland the simulated mayor claims items on.
const SimWastelandID = "wl-sim"

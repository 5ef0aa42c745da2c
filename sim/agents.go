package sim

import (
	"strings"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// Agent completion statuses (the container's agent_completed body).
const (
	completedOK     = "completed"
	completedFailed = "failed"
)

// jobKind is what an agent process works on, decided from the Town's
// state when the process starts (production builds the prompt then).
type jobKind string

const (
	jobMayor    jobKind = "mayor"     // stays working
	jobIssue    jobKind = "issue"     // an ordinary issue: work, then gt_done or failure
	jobRework   jobKind = "rework"    // gt:rework (a refinery's change request)
	jobFeedback jobKind = "feedback"  // gt:pr-feedback / gt:pr-fixup: fix review comments and CI
	jobConflict jobKind = "conflict"  // gt:pr-conflict: rebase the PR
	jobTriage   jobKind = "triage"    // the patrol's triage batch
	jobReview   jobKind = "review"    // a refinery reviewing a merge request
	jobNone     jobKind = "no_bead"   // nothing to work on (bead or agent missing)
	jobUnknown  jobKind = "unhandled" // a polecat hooked to a bead type it cannot work
)

// job is the plan of one process's work.
type job struct {
	kind     jobKind
	agent    string // agent name
	rigID    string
	beadID   string
	branch   string       // the branch gt_done names
	prURL    string       // review: the MR's PR; fixups: the PR to fix
	strategy string       // the effective merge strategy
	landing  bool         // review of a convoy's landing MR
	direct   bool         // review of an intermediate review-then-land step: merge into the feature branch
	triage   []triageItem // triage: the requests of its prompt and the action chosen for each
}

// triageItem is one triage request a triage agent resolves.
type triageItem struct{ requestID, action string }

// TriageActions is the action a simulated triage agent chooses for a
// triage request, by the request's triage_type; "" picks the default.
// Any text is passed on: an action the triage route does not accept
// (such as the reconciler's option CLOSE) is refused with a 400.
type TriageActions struct {
	StuckAgent string `yaml:"stuck_agent"` // stuck_agent; default RESTART
	CrashLoop  string `yaml:"crash_loop"`  // crash_loop; default RESTART_WITH_BACKOFF
	Escalation string `yaml:"escalation"`  // escalation; default ESCALATE_TO_MAYOR
	Other      string `yaml:"other"`       // every other type; default CLOSE_BEAD
}

// For returns the action for a request of triageType.
func (a TriageActions) For(triageType string) string {
	pick := func(v, def string) string {
		if v == "" {
			return def
		}
		return v
	}
	switch triageType {
	case "stuck_agent":
		return pick(a.StuckAgent, model.TriageRestart)
	case "crash_loop":
		return pick(a.CrashLoop, model.TriageRestartWithBackoff)
	case "escalation":
		return pick(a.Escalation, model.TriageEscalateToMayor)
	}
	return pick(a.Other, model.TriageCloseBead)
}

// triageBatchSize is how many requests production's triage prompt lists.
const triageBatchSize = 20

// planJob reads what the agent is hooked to when its process starts.
func (w *World) planJob(p *process) *job {
	j := &job{kind: jobNone, beadID: p.beadID}
	a, err := w.town.GetAgent(p.agentID)
	if err != nil || a == nil {
		return j
	}
	if p.role == "" {
		p.role = a.Role
	}
	j.agent, j.rigID = a.Name, a.RigID.String
	if a.Role == model.RoleMayor {
		j.kind = jobMayor
		return j
	}
	if j.beadID == "" {
		j.beadID = a.Hook.String
	}
	b, err := w.town.GetBead(j.beadID)
	if err != nil || b == nil {
		return j
	}
	if b.RigID.Valid {
		j.rigID = b.RigID.String
	}
	j.strategy = w.mergeStrategy(j.rigID)
	// The branch the Town sent in the start payload (production's
	// branchForAgent / branchForConvoyAgent); rework, conflict and
	// feedback work below goes to the branch of the PR instead.
	j.branch = p.branch
	if j.branch == "" {
		j.branch = model.BranchForAgent(a.Name, b.ID)
	}
	switch {
	case a.Role == model.RoleRefinery && b.Type == model.TypeMergeRequest:
		j.kind = jobReview
		j.branch = strings.TrimPrefix(b.Title, "Review: ")
		j.prURL, _ = b.MetaString("pr_url")
		j.landing = b.CreatedBy.String == "system"
		if fb, _ := b.MetaString("convoy_feature_branch"); fb != "" && !j.landing {
			convoy, _ := b.MetaString("convoy_id")
			mode, err := w.town.ConvoyMergeMode(convoy)
			j.direct = err == nil && mode == model.MergeModeReviewThenLand
		}
	case b.Type != model.TypeIssue:
		j.kind = jobUnknown
	case w.isTriageBatch(b.ID):
		j.kind = jobTriage
		j.triage = w.triagePlan()
	case b.HasLabel(model.LabelRework):
		j.kind = jobRework
		if br, _ := b.MetaString("branch"); br != "" {
			j.branch = br
		}
		if mr, _ := b.MetaString("mr_bead_id"); mr != "" {
			if m, err := w.town.GetBead(mr); err == nil && m != nil {
				j.prURL, _ = m.MetaString("pr_url")
			}
		}
	case b.HasLabel(model.LabelPRConflict):
		j.kind = jobConflict
		j.prURL, _ = b.MetaString("pr_url")
		if br, _ := b.MetaString("branch"); br != "" {
			j.branch = br
		}
	case b.HasLabel(model.LabelPRFeedback) || b.HasLabel(model.LabelPRFixup):
		j.kind = jobFeedback
		j.prURL, _ = b.MetaString("pr_url")
		if br, _ := b.MetaString("branch"); br != "" {
			j.branch = br
		}
	default:
		j.kind = jobIssue
	}
	return j
}

// isTriageBatch reports whether a bead is the patrol's triage batch,
// which a triage agent works on.
func (w *World) isTriageBatch(beadID string) bool {
	if beadID == "" {
		return false
	}
	b, err := w.town.GetBead(beadID)
	return err == nil && b != nil && b.HasLabel(model.LabelTriage) && b.CreatedBy.String == "patrol"
}

// triagePlan reads the pending triage requests as production's triage
// prompt lists them when the agent starts (oldest 20) and chooses each
// one's action from its triage_type.
func (w *World) triagePlan() []triageItem {
	reqs, err := w.town.PendingTriageRequests(triageBatchSize)
	if err != nil {
		return nil
	}
	out := make([]triageItem, 0, len(reqs))
	for _, b := range reqs {
		typ, _ := b.MetaString("triage_type")
		out = append(out, triageItem{requestID: b.ID, action: w.cfg.Work.Triage.For(typ)})
	}
	return out
}

// mergeStrategy is the rig's effective merge strategy: its override, else
// the town's.
func (w *World) mergeStrategy(rigID string) string {
	if rigID != "" {
		if r, err := w.town.GetRig(rigID); err == nil && r != nil && r.Config.MergeStrategy != "" {
			return r.Config.MergeStrategy
		}
	}
	if cfg, err := w.town.ReadTownConfig(); err == nil && cfg.MergeStrategy != "" {
		return cfg.MergeStrategy
	}
	return "direct"
}

// reviewMode is the town's refinery review mode ("rework" when unset, as
// production's prompt builder defaults).
func (w *World) reviewMode() string {
	if cfg, err := w.town.ReadTownConfig(); err == nil && cfg.Refinery != nil && cfg.Refinery.ReviewMode != "" {
		return cfg.Refinery.ReviewMode
	}
	return "rework"
}

// startJob begins p's work when it starts running.
func (w *World) startJob(p *process) {
	j := p.job
	r := w.agentRand
	switch j.kind {
	case jobMayor:
		if w.cfg.Work.MayorSession.Kind != "" {
			w.eng.After(w.cfg.Work.MayorSession.Sample(r), func() {
				if p.state == procRunning {
					w.containers.end(p, procExited, "completed")
					w.agentCompleted(p.agentID, completedOK, "")
				}
			})
		}
		return // the mayor works until its session ends, if it does
	case jobNone, jobUnknown:
		return // they idle until stopped
	}
	w.maybeStatus(p)
	switch j.kind {
	case jobReview:
		d := w.cfg.Work.Refinery.Sample(r)
		w.eng.After(d, func() { w.reviewDone(p) })
		w.users.maybeResetRefineryMidReview(p, d)
	case jobIssue:
		d := w.cfg.Work.Polecat.Sample(r)
		w.eng.After(d, func() { w.workDone(p) })
		w.users.maybeDeleteAgentMidWork(p, d)
		w.users.maybeHookRefineryMidWork(p, d)
	case jobTriage:
		d := w.cfg.Work.Fixup.Sample(r)
		w.eng.After(d, func() { w.triageDone(p) })
	default:
		d := w.cfg.Work.Fixup.Sample(r)
		w.eng.After(d, func() { w.workDone(p) })
		if j.kind == jobFeedback {
			w.github.lateConflictDuring(j.prURL, d/2)
		}
	}
}

// workDone ends a polecat's work: gt_done then the exit report, or a
// failure report, by Work's weights.
func (w *World) workDone(p *process) {
	if p.state != procRunning || !p.stuckAt.IsZero() {
		return
	}
	j := p.job
	if pickWeighted(w.agentRand, w.cfg.Work.Done, w.cfg.Work.Failed) == 1 {
		w.stats.AgentFailures++
		w.failureDrawn[j.beadID] = true
		w.containers.end(p, procExited, "failed")
		w.agentCompleted(p.agentID, completedFailed, "agent error")
		return
	}
	pr := ""
	switch j.kind {
	case jobIssue:
		if j.strategy == "pr" {
			pr = w.github.reported(w.github.open(j.rigID, j.branch, false), j.rigID)
		}
	case jobFeedback, jobRework:
		w.github.fix(j.prURL, false)
		if w.cfg.GitHub.LateConflict > 0 && w.askedToResolveConflicts(j.beadID) {
			w.github.fix(j.prURL, true)
		}
	case jobConflict:
		w.github.fix(j.prURL, true)
	}
	p.finished = true
	w.agentDone(p.agentID, j.branch, pr)
	if j.kind == jobIssue {
		w.users.deleteOnDone(j.beadID)
		w.users.deleteAgentOnDone(p.agentID)
	}
	w.finishSoon(p)
}

// triageDone ends a triage agent's work: gt_triage_resolve for every
// request of its prompt, in order (a request resolved meanwhile, or a
// caller no longer on its batch, is refused and traced as an RPC error),
// then gt_done, which closes the batch and unhooks the agent, and the
// exit report.
func (w *World) triageDone(p *process) {
	if p.state != procRunning || !p.stuckAt.IsZero() {
		return
	}
	j := p.job
	for _, it := range j.triage {
		in := model.ResolveTriageInput{AgentID: p.agentID, TriageRequestBeadID: it.requestID, Action: it.action}
		w.rpcEnv("resolve_triage", func() error { return w.town.HandleResolveTriage(w.env, in) },
			func() []des.Field {
				return []des.Field{des.F("agent", p.agentID), des.F("request", it.requestID), des.F("action", it.action)}
			})
	}
	p.finished = true
	w.agentDone(p.agentID, j.branch, "")
	w.finishSoon(p)
}

// reviewDone ends a refinery's review by Work's weights: approve (gt_done
// with the PR it reviewed or opened, or without one for a direct merge),
// request changes (PR comments or a rework bead), or fail.
func (w *World) reviewDone(p *process) {
	if p.state != procRunning || !p.stuckAt.IsZero() {
		return
	}
	j := p.job
	wk := w.cfg.Work
	switch pickWeighted(w.agentRand, wk.Approve, wk.RequestChanges, wk.ReviewFail) {
	case 0:
		pr := j.prURL
		if pr == "" && j.strategy == "pr" && !j.direct {
			pr = w.github.open(j.rigID, j.branch, j.landing)
		}
		p.finished = true
		w.agentDone(p.agentID, j.branch, pr)
		w.finishSoon(p)
	case 1:
		w.stats.ChangeRequests++
		if j.prURL != "" && w.reviewMode() == "comments" {
			w.github.requestChanges(j.prURL)
			p.finished = true
			w.agentDone(p.agentID, j.branch, j.prURL)
			w.finishSoon(p)
			return
		}
		w.rpc("request_changes", func(now time.Time) error {
			_, err := w.town.RequestChanges(now, p.agentID, "Quality gate failed: fix the failing tests", []string{"src/main.go"})
			return err
		}, des.F("agent", p.agentID), des.F("bead", j.beadID))
		if j.prURL != "" {
			p.finished = true
			w.agentDone(p.agentID, j.branch, j.prURL)
		}
		w.finishSoon(p)
	default:
		w.stats.AgentFailures++
		w.containers.end(p, procExited, "failed")
		w.agentCompleted(p.agentID, completedFailed, "review error")
	}
}

// finishSoon reports p's exit a moment after its gt_done.
func (w *World) finishSoon(p *process) {
	w.maybeStatusAfterDone(p)
	w.eng.After(w.cfg.Work.DoneToCompleted.Sample(w.agentRand), func() {
		if p.state != procRunning {
			return
		}
		w.containers.end(p, procExited, "completed")
		w.agentCompleted(p.agentID, completedOK, "")
	})
}

// agentDone is the gt_done RPC; the late_done fault delivers it 1-10 min
// late, after the process's exit report.
func (w *World) agentDone(agentID, branch, prURL string) {
	summary := w.doneSummary(agentID)
	send := func() {
		in := model.AgentDoneInput{Branch: branch, PRURL: prURL, Summary: summary}
		w.rpc("agent_done", func(now time.Time) error {
			return w.town.AgentDone(now, agentID, in)
		}, w.doneFields(in, agentID)...)
	}
	if w.faults.roll(FaultLateDone) {
		d := w.faults.stream(FaultLateDone).Uniform(time.Minute, 10*time.Minute)
		w.faults.fire(FaultLateDone, des.F("agent", agentID), des.F("late", d))
		w.eng.After(d, send)
		return
	}
	send()
}

// agentCompleted is the container's process-exit report; the
// duplicate_completed fault sends it a second time 1-30 s later.
func (w *World) agentCompleted(agentID, status, reason string) {
	send := func() {
		w.rpc("agent_completed", func(now time.Time) error {
			return w.town.AgentCompleted(now, agentID, model.AgentCompletedInput{Status: status, Reason: reason})
		}, des.F("agent", agentID), des.F("status", status), des.F("reason", reason))
	}
	send()
	if w.faults.roll(FaultDuplicateCompleted) {
		d := w.faults.stream(FaultDuplicateCompleted).Uniform(time.Second, 30*time.Second)
		w.faults.fire(FaultDuplicateCompleted, des.F("agent", agentID), des.F("after", d))
		w.eng.After(d, send)
	}
}

// askedToResolveConflicts reports whether the Town marked a feedback bead
// as also having merge conflicts (metadata has_conflicts = 1), read as
// its polecat finishes. Only github.late_conflict makes a PR dirty while
// its feedback bead is open, so the read is made only with it on: the
// other runs' database work stays as it was.
func (w *World) askedToResolveConflicts(beadID string) bool {
	n, err := w.town.DB().Int(`SELECT count(*) FROM beads WHERE bead_id = ? AND json_extract(metadata, '$.has_conflicts') = 1`, beadID)
	return err == nil && n > 0
}

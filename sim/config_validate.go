package sim

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/townsim/townsim/des"
	"github.com/townsim/townsim/model"
)

// Validate reports the first problem in c. Each error names its field by
// path, for example "containers.cold_start: dist lognormal: Median must be
// positive, got 0s".
func (c Config) Validate() error {
	v := validator{}
	v.check(c.Duration < 0, "duration", "is negative (%v)", c.Duration)
	v.check(c.Rigs < 1, "rigs", "must be at least 1, got %d", c.Rigs)
	v.check(c.Agents < 1, "agents", "must be at least 1, got %d", c.Agents)
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
	v.check(c.Town.GitLabRigs < 0 || c.Town.GitLabRigs > c.Rigs, "town.gitlab_rigs",
		"must be between 0 and rigs (%d), got %d", c.Rigs, c.Town.GitLabRigs)
	v.check(c.Town.GitLabHost != "" && (strings.ContainsAny(c.Town.GitLabHost, "/:@ ") || !strings.Contains(c.Town.GitLabHost, ".")),
		"town.gitlab_host", "must be a host name such as gitlab.example.com, got %q", c.Town.GitLabHost)
	v.check(c.Town.RigGitURLs != "" && c.Town.RigGitURLs != "mixed", "town.rig_git_urls", "is %q; want mixed or nothing", c.Town.RigGitURLs)
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
	v.prob("containers.triage_crash", k.TriageCrash)
	v.prob("containers.stuck_in_tool", k.StuckInTool)

	w := c.Work
	v.dist("work.polecat", w.Polecat)
	v.dist("work.fixup", w.Fixup)
	v.dist("work.done_to_completed", w.DoneToCompleted)
	v.prob("work.done_summary", w.DoneSummary)
	v.prob("work.status_messages", w.StatusMessages)
	if w.MayorSession.Kind != "" {
		v.dist("work.mayor_session", w.MayorSession)
	}
	v.dist("work.refinery", w.Refinery)
	v.weights("work.done", w.Done, w.Failed)
	v.weights("work.approve", w.Approve, w.RequestChanges, w.ReviewFail)

	g := c.GitHub
	v.check(g.Org == "", "github.org", "is empty")
	v.weights("github.merge", g.Merge, g.Close, g.Comments, g.FailingChecks, g.Approval, g.Conflict, g.Rejected)
	v.dist("github.merge_delay", g.MergeDelay)
	v.dist("github.checks_delay", g.ChecksDelay)
	if g.Close > 0 || g.Rejected > 0 || g.LandingClose > 0 {
		v.dist("github.close_delay", g.CloseDelay)
	}
	if g.Approval > 0 {
		v.dist("github.approval_delay", g.ApprovalDelay)
	}
	e := g.Errors
	v.weights("github.errors", e.OK, e.ServerError, e.RateLimited, e.NotFound, e.Invalid, e.Network, e.WrongShape,
		e.Unauthorized, e.Forbidden, e.Gone)
	v.prob("github.merge_fail", g.MergeFail)
	v.prob("github.landing_close", g.LandingClose)
	v.prob("github.late_conflict", g.LateConflict)
	v.prob("github.mirror", g.Mirror)
	v.prob("github.fork", g.Fork)
	v.prob("github.many_checks", g.ManyChecks)
	v.prob("github.late_change", g.LateChange)
	v.prob("github.hand_merge_at_delay", g.HandMergeAtDelay)
	v.prob("github.early_change", g.EarlyChange)

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
	v.prob("workload.delete_in_review", l.DeleteInReview)
	v.prob("workload.wasteland", l.Wasteland)
	v.prob("workload.delete_wrong_rig", l.DeleteWrongRig)
	v.prob("workload.delete_bulk", l.DeleteBulk)
	v.check(l.DeleteBulk > 0 && l.DeleteWrongRig == 0, "workload.delete_bulk", "needs workload.delete_wrong_rig (bulk deletes go through rig routes)")
	v.prob("workload.delete_mayor", l.DeleteMayor)
	v.check(l.DeleteMayor > 0 && l.DeleteWrongRig == 0, "workload.delete_mayor", "needs workload.delete_wrong_rig (the mayor's deletes name a rig)")
	v.prob("workload.delete_agent", l.DeleteAgent)
	v.prob("workload.delete_agent_mid_work", l.DeleteAgentMidWork)
	v.prob("workload.delete_agent_while_observed", l.DeleteAgentWhileObserved)
	v.prob("workload.stale_agent_reset", l.StaleAgentReset)
	v.prob("workload.reset_refinery_mid_review", l.ResetRefineryMidReview)
	v.prob("workload.hook_refinery_mid_work", l.HookRefineryMidWork)
	v.prob("workload.block_mr", l.BlockMR)
	v.prob("workload.depend_working", l.DependWorking)
	v.prob("workload.reopen_working", l.ReopenWorking)
	v.prob("workload.wasteland_tag_mr", l.WastelandTagMR)
	v.prob("workload.wasteland_convoy", l.WastelandConvoy)
	v.prob("workload.wasteland_untag", l.WastelandUntag)
	v.prob("workload.wasteland_malformed", l.WastelandMalformed)
	v.prob("workload.unrig", l.Unrig)
	v.prob("workload.unrig_empty", l.UnrigEmpty)
	v.prob("workload.edit", l.Edit)
	v.prob("workload.edit_close", l.EditClose)
	if l.Edit > 0 {
		v.dist("workload.edit_after", l.EditAfter)
	}
	if l.Unrig > 0 {
		v.dist("workload.unrig_after", l.UnrigAfter)
	}
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
		d    des.Dist
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

func (v *validator) dist(path string, d des.Dist) {
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

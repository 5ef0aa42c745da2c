package reconciler

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// PR polling thresholds (reconciler.md §7.3).
const (
	// PRPollTransientThreshold fails an MR after this many consecutive
	// transient poll errors (HTTP 5xx or 429).
	PRPollTransientThreshold = 10
	// PRPollNonTransientThreshold fails an MR after this many consecutive
	// invalid responses.
	PRPollNonTransientThreshold = 3
)

// ---- poll_pr (§3.3) ----

// applyPollPR is poll_pr: synchronously updated_at and meta.last_poll_at
// get the same timestamp; the effect polls the PR. The effect never
// rejects: any exception inside it is logged and changes no counter.
func applyPollPR(t *model.Town, now time.Time, a Action) (*Effect, error) {
	ts := model.ISO(now)
	if _, err := t.DB().Exec(`UPDATE beads SET updated_at = ?,
		metadata = json_set(COALESCE(metadata, '{}'), '$.last_poll_at', ?)
		WHERE bead_id = ?`, ts, ts, a.BeadID); err != nil {
		return nil, err
	}
	beadID, prURL := a.BeadID, a.PRURL
	return &Effect{Action: a, Run: func(env model.Env) error {
		_ = pollPR(t, env, beadID, prURL)
		return nil
	}}, nil
}

// pollPR is the body of poll_pr's single try; its error is the exception
// production logs.
func pollPR(t *model.Town, env model.Env, beadID, prURL string) error {
	db := t.DB()
	out, err := checkPRStatus(t, env, prURL)
	if err != nil {
		return err
	}
	if !out.OK {
		return pollError(t, env, beadID, out.Err)
	}
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.poll_transient_count', 0,
			'$.poll_non_transient_count', 0,
			'$.poll_error_kind', NULL)
		WHERE bead_id = ?`, beadID); err != nil {
		return err
	}
	if out.State != "open" {
		_, err := t.InsertEvent(env.Now(), model.EventPRStatusChanged, "", beadID,
			map[string]any{"pr_url": prURL, "pr_state": out.State})
		return err
	}

	cfg, err := t.ReadTownConfig()
	if err != nil {
		return err
	}
	ref := cfg.Refinery // town-level only: rig overrides are ignored (hazard 7)
	if ref == nil {
		return nil
	}
	switch out.MergeableState {
	case "unknown":
		return nil
	case "dirty":
		return pollDirty(t, env, beadID, prURL)
	case "clean", "blocked", "has_hooks":
		if _, err := db.Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'),
				'$.has_conflicts', '$.conflicts_detected_at'),
			updated_at = ?
			WHERE bead_id = ? AND json_extract(metadata, '$.has_conflicts') IS NOT NULL`,
			model.ISO(env.Now()), beadID); err != nil {
			return err
		}
	}

	wantsAutoResolve := ref.AutoResolvePRFeedback
	wantsAutoMerge := ref.AutoMerge && ref.AutoMergeDelayMinutes != nil
	var fb *model.PRFeedback
	if wantsAutoResolve || wantsAutoMerge {
		if fb, err = checkPRFeedback(t, env, prURL); err != nil {
			return err
		}
	}
	if fb != nil {
		if err := trackAwaitingApproval(t, env, beadID, fb); err != nil {
			return err
		}
	}
	if wantsAutoResolve && fb != nil && (fb.HasUnresolvedComments || fb.HasFailingChecks || fb.HasUncheckedRuns) {
		if err := pollAutoResolve(t, env, beadID, prURL, fb); err != nil {
			return err
		}
	}
	if wantsAutoMerge {
		if fb == nil {
			return nil
		}
		return pollAutoMerge(t, env, beadID, prURL, fb, float64(*ref.AutoMergeDelayMinutes))
	}
	return nil
}

// pollDirty handles mergeable_state dirty: the first poll of a conflict
// episode marks the MR and inserts pr_conflict_detected; every dirty poll
// resets the auto-merge timer.
func pollDirty(t *model.Town, env model.Env, beadID, prURL string) error {
	db := t.DB()
	var marked any
	if err := queryOptional(db, `SELECT json_extract(metadata, '$.has_conflicts') AS has_conflicts FROM beads WHERE bead_id = ?`,
		[]any{beadID}, &marked); err != nil {
		return err
	}
	if !jsonIsOne(marked) {
		now := model.ISO(env.Now())
		if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.has_conflicts', 1,
				'$.conflicts_detected_at', ?),
			updated_at = ?
			WHERE bead_id = ?`, now, now, beadID); err != nil {
			return err
		}
		var source, branch sql.NullString
		if err := queryOptional(db, `SELECT json_extract(b.metadata, '$.source_bead_id') AS source_bead_id, rm.branch AS branch
			FROM beads b INNER JOIN review_metadata rm ON rm.bead_id = b.bead_id
			WHERE b.bead_id = ?`, []any{beadID}, &source, &branch); err != nil {
			return err
		}
		var src any
		if source.Valid {
			src = source.String
		}
		if _, err := t.InsertEvent(env.Now(), model.EventPRConflictDetected, "", beadID, map[string]any{
			"mr_bead_id":     beadID,
			"source_bead_id": src,
			"pr_url":         prURL,
			"branch":         branch.String,
		}); err != nil {
			return err
		}
	}
	_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL
		WHERE bead_id = ? AND auto_merge_ready_since IS NOT NULL`, beadID)
	return err
}

// trackAwaitingApproval records the feedback's approval state on the MR
// and emits the approval analytics on a change. The observed-at stamp is
// rewritten on every awaiting poll, so the "resolved" duration measures
// about one poll interval (hazard 22).
func trackAwaitingApproval(t *model.Town, env model.Env, beadID string, fb *model.PRFeedback) error {
	db := t.DB()
	var prev any
	if err := queryOptional(db, `SELECT json_extract(metadata, '$.awaiting_approval') AS awaiting_approval FROM beads WHERE bead_id = ?`,
		[]any{beadID}, &prev); err != nil {
		return err
	}
	was := jsonIsOne(prev)
	awaiting := fb.AwaitingApproval()
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.awaiting_approval', ?,
			'$.review_decision', ?,
			'$.merge_state_status', ?),
		updated_at = ?
		WHERE bead_id = ?`, flagInt(awaiting), textOrNull(fb.ReviewDecision), textOrNull(fb.MergeStateStatus),
		model.ISO(env.Now()), beadID); err != nil {
		return err
	}
	switch {
	case awaiting && !was:
		var created sql.NullString
		if err := queryOptional(db, `SELECT created_at FROM beads WHERE bead_id = ?`, []any{beadID}, &created); err != nil {
			return err
		}
		t.Emit(model.AnalyticsEvent{Event: "pr.awaiting_approval_detected", TownID: t.ID(), BeadID: beadID,
			Label: fb.ReviewDecision, Reason: fb.MergeStateStatus, DurationMs: msSinceStamp(created, env.Now())})
	case !awaiting && was:
		var observed sql.NullString
		if err := queryOptional(db, `SELECT json_extract(metadata, '$.awaiting_approval_observed_at') AS awaiting_approval_observed_at
			FROM beads WHERE bead_id = ?`, []any{beadID}, &observed); err != nil {
			return err
		}
		t.Emit(model.AnalyticsEvent{Event: "pr.awaiting_approval_resolved", TownID: t.ID(), BeadID: beadID,
			Label: fb.ReviewDecision, Reason: fb.MergeStateStatus, DurationMs: msSinceStamp(observed, env.Now())})
	}
	var err error
	if awaiting {
		_, err = db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.awaiting_approval_observed_at', ?)
			WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
	} else {
		_, err = db.Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'),
				'$.awaiting_approval_observed_at')
			WHERE bead_id = ?`, beadID)
	}
	return err
}

// pollAutoResolve re-checks that the PR is still open, then inserts
// pr_feedback_detected unless a live feedback bead already blocks the MR,
// and stamps last_feedback_check_at.
func pollAutoResolve(t *model.Town, env model.Env, beadID, prURL string, fb *model.PRFeedback) error {
	fresh, err := checkPRStatus(t, env, prURL)
	if err != nil {
		return err
	}
	if !fresh.OK || fresh.State != "open" {
		return nil
	}
	db := t.DB()
	existing, err := db.Int(`SELECT 1 FROM bead_dependencies bd
		INNER JOIN beads fb ON fb.bead_id = bd.depends_on_bead_id
		WHERE bd.bead_id = ?
		  AND bd.dependency_type = 'blocks'
		  AND fb.labels LIKE '%gt:pr-feedback%'
		  AND fb.status NOT IN ('closed', 'failed')
		LIMIT 1`, beadID)
	if err != nil {
		return err
	}
	if existing == 0 {
		number, repo := 0, ""
		if pr, ok := parsePRURL(prURL); ok {
			number, repo = pr.number, pr.repo
		}
		var branch sql.NullString
		if err := queryOptional(db, `SELECT branch FROM review_metadata WHERE bead_id = ?`, []any{beadID}, &branch); err != nil {
			return err
		}
		if _, err := t.InsertEvent(env.Now(), model.EventPRFeedbackDetected, "", beadID, map[string]any{
			"mr_bead_id":              beadID,
			"pr_url":                  prURL,
			"pr_number":               number,
			"repo":                    repo,
			"branch":                  branch.String,
			"has_unresolved_comments": fb.HasUnresolvedComments,
			"has_failing_checks":      fb.HasFailingChecks,
			"has_unchecked_runs":      fb.HasUncheckedRuns,
		}); err != nil {
			return err
		}
	}
	_, err = db.Exec(`UPDATE review_metadata SET last_feedback_check_at = ? WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
	return err
}

// pollAutoMerge runs the ready-since timer: an all-green PR starts it and,
// once the delay has passed, inserts pr_auto_merge on every poll; anything
// else resets it.
func pollAutoMerge(t *model.Town, env model.Env, beadID, prURL string, fb *model.PRFeedback, delayMinutes float64) error {
	db := t.DB()
	green := !fb.HasUnresolvedComments && !fb.HasFailingChecks && fb.AllChecksPass &&
		!fb.AwaitingApproval() && !fb.ChangesRequested()
	if !green {
		_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL WHERE bead_id = ?`, beadID)
		return err
	}
	var since sql.NullString
	if err := queryOptional(db, `SELECT auto_merge_ready_since FROM review_metadata WHERE bead_id = ?`, []any{beadID}, &since); err != nil {
		return err
	}
	if since.String == "" {
		_, err := db.Exec(`UPDATE review_metadata SET auto_merge_ready_since = ? WHERE bead_id = ?`, model.ISO(env.Now()), beadID)
		return err
	}
	ready, ok := model.ParseTime(since.String)
	if !ok {
		return nil // NaN elapsed never reaches the delay
	}
	elapsedMs := float64(env.Now().Sub(ready).Milliseconds())
	if elapsedMs >= delayMinutes*60000 {
		_, err := t.InsertEvent(env.Now(), model.EventPRAutoMerge, "", beadID,
			map[string]any{"mr_bead_id": beadID, "pr_url": prURL})
		return err
	}
	return nil
}

// pollError handles an error outcome: it records the kind and either fails
// the MR at once (no token, unrecognised URL, refused host, non-transient
// HTTP status) or counts it toward the transient (10) or non-transient (3)
// threshold, each count resetting the other.
func pollError(t *model.Town, env model.Env, beadID string, e prError) error {
	db := t.DB()
	if _, err := db.Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'), '$.poll_error_kind', ?)
		WHERE bead_id = ?`, e.Kind, beadID); err != nil {
		return err
	}
	var rig sql.NullString
	if err := queryOptional(db, `SELECT rig_id FROM beads WHERE bead_id = ?`, []any{beadID}, &rig); err != nil {
		return err
	}
	if e.failsImmediately() {
		return failPolledMR(t, env, beadID, rig.String, e)
	}
	bump, read, limit := pollNonTransientBump, pollNonTransientRead, PRPollNonTransientThreshold
	if e.transient() {
		bump, read, limit = pollTransientBump, pollTransientRead, PRPollTransientThreshold
	}
	if _, err := db.Exec(bump, beadID); err != nil {
		return err
	}
	n, err := metaCount(db, read, beadID)
	if err != nil {
		return err
	}
	if n >= float64(limit) {
		return failPolledMR(t, env, beadID, rig.String, e)
	}
	return nil
}

// The poll error counters: each bump increments one count and resets the
// other; each read returns the bumped count.
const (
	pollTransientBump = `UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.poll_transient_count',
				COALESCE(json_extract(metadata, '$.poll_transient_count'), json_extract(metadata, '$.poll_null_count'), 0) + 1,
				'$.poll_non_transient_count', 0)
			WHERE bead_id = ?`
	pollTransientRead    = `SELECT json_extract(metadata, '$.poll_transient_count') AS transient_count FROM beads WHERE bead_id = ?`
	pollNonTransientBump = `UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
				'$.poll_non_transient_count',
				COALESCE(json_extract(metadata, '$.poll_non_transient_count'), 0) + 1,
				'$.poll_transient_count', 0)
			WHERE bead_id = ?`
	pollNonTransientRead = `SELECT json_extract(metadata, '$.poll_non_transient_count') AS non_transient_count FROM beads WHERE bead_id = ?`
)

// failPolledMR fails the MR (no failure reason object), records why in its
// metadata and emits pr.poll_failed. The MR's source stays in_review until
// BD-4 reopens it.
func failPolledMR(t *model.Town, env model.Env, beadID, rigID string, e prError) error {
	if _, err := t.UpdateBeadStatus(env.Now(), beadID, model.StatusFailed, "system", nil); err != nil {
		return err
	}
	if _, err := t.DB().Exec(`UPDATE beads SET metadata = json_set(COALESCE(metadata, '{}'),
			'$.failureReason', 'pr_poll_failed',
			'$.failureKind', ?,
			'$.failureMessage', ?)
		WHERE bead_id = ?`, e.Kind, e.message(), beadID); err != nil {
		return err
	}
	ev := model.AnalyticsEvent{Event: "pr.poll_failed", TownID: t.ID(), BeadID: beadID, RigID: rigID,
		Reason: e.Kind, Label: e.Provider}
	if e.Kind == "http_error" {
		ev.StatusCode = float64(e.Status)
	}
	t.Emit(ev)
	return nil
}

// metaCount reads one numeric JSON value (NULL or no row reads as 0).
func metaCount(db *model.DB, q, beadID string) (float64, error) {
	var n sql.NullFloat64
	if err := queryOptional(db, q, []any{beadID}, &n); err != nil {
		return 0, err
	}
	return n.Float64, nil
}

// ---- merge_pr (§3.4) ----

// applyMergePR is merge_pr. Synchronously, an MR whose rig repository
// differs from the PR's repository gets auto_merge_pending cleared and no
// effect. The effect re-checks the feedback, merges, and on success
// inserts pr_status_changed merged; every other outcome clears the
// pending flag and the ready-since timer. It rejects only when the
// clearing in its catch block fails.
func applyMergePR(t *model.Town, now time.Time, a Action) (*Effect, error) {
	mr, err := t.GetBead(a.BeadID)
	if err != nil {
		return nil, err
	}
	if mr != nil && mr.RigID.String != "" {
		rig, err := t.GetRig(mr.RigID.String)
		if err != nil {
			return nil, err
		}
		if rig != nil && rig.GitURL != "" {
			owner, repo, okRig := parseGitURL(rig.GitURL)
			pr, okPR := parsePRURL(a.PRURL)
			if okRig && okPR && owner+"/"+repo != pr.repo {
				return nil, clearAutoMergePending(t, now, a.BeadID)
			}
		}
	}
	beadID, prURL := a.BeadID, a.PRURL
	return &Effect{Action: a, Run: func(env model.Env) error {
		if err := mergePRBody(t, env, beadID, prURL); err != nil {
			return cancelAutoMerge(t, env.Now(), beadID)
		}
		return nil
	}}, nil
}

// mergePRBody is the try block of merge_pr's effect.
func mergePRBody(t *model.Town, env model.Env, beadID, prURL string) error {
	fb, err := checkPRFeedback(t, env, prURL)
	if err != nil {
		return err
	}
	if fb != nil && (fb.HasUnresolvedComments || fb.HasFailingChecks || !fb.AllChecksPass ||
		fb.AwaitingApproval() || fb.ChangesRequested()) {
		return cancelAutoMerge(t, env.Now(), beadID)
	}
	merged, err := mergePR(t, env, prURL)
	if err != nil {
		return err
	}
	if merged {
		_, err := t.InsertEvent(env.Now(), model.EventPRStatusChanged, "", beadID,
			map[string]any{"pr_url": prURL, "pr_state": "merged"})
		return err
	}
	return cancelAutoMerge(t, env.Now(), beadID)
}

// clearAutoMergePending removes metadata.auto_merge_pending (updated_at = now).
func clearAutoMergePending(t *model.Town, now time.Time, beadID string) error {
	_, err := t.DB().Exec(`UPDATE beads SET metadata = json_remove(COALESCE(metadata, '{}'), '$.auto_merge_pending'),
		updated_at = ? WHERE bead_id = ?`, model.ISO(now), beadID)
	return err
}

// cancelAutoMerge clears auto_merge_pending, then the ready-since timer.
func cancelAutoMerge(t *model.Town, now time.Time, beadID string) error {
	if err := clearAutoMergePending(t, now, beadID); err != nil {
		return err
	}
	_, err := t.DB().Exec(`UPDATE review_metadata SET auto_merge_ready_since = NULL WHERE bead_id = ?`, beadID)
	return err
}

// ---- the Town's SCM calls (town-scm) ----

// prOutcome is checkPRStatus's answer: OK with a state, or an error.
type prOutcome struct {
	OK             bool
	State          string // open, merged, closed
	MergeableState string // GitHub only
	Err            prError
}

// prError is a PR status error outcome.
type prError struct {
	Kind       string // no_token, unrecognized_url, http_error, invalid_response, host_mismatch
	Provider   string // github, gitlab; "" for unrecognized_url
	Status     int    // http_error
	Reason     string // invalid_response: json_parse or schema_mismatch
	URL        string // unrecognized_url
	Expected   string // host_mismatch
	Got        string
	Resolution []string // no_token: the token sources tried
	SampleKeys []string // schema_mismatch: up to 8 top-level keys of the answer
}

func (e prError) transient() bool {
	return e.Kind == "http_error" && (e.Status >= 500 || e.Status == 429)
}

func (e prError) failsImmediately() bool {
	switch e.Kind {
	case "no_token", "unrecognized_url", "host_mismatch":
		return true
	case "http_error":
		return !e.transient()
	}
	return false
}

func providerName(p string) string {
	if p == "gitlab" {
		return "GitLab"
	}
	return "GitHub"
}

// message is the failureMessage stored on an MR failed by polling (it is
// persisted, so the wording is production's, word for word).
func (e prError) message() string {
	name := providerName(e.Provider)
	switch e.Kind {
	case "no_token":
		tried := make([]string, len(e.Resolution))
		for i, s := range e.Resolution {
			tried[i] = "`" + s + "`"
		}
		return "No " + name + " token resolved for this town. Tried (in order): " +
			strings.Join(tried, ", ") + ". Configure one of these in town or rig settings. " +
			"Note: polecat agents use their own container credentials and " +
			"may have created the PR successfully — that does not imply the " +
			"town worker can poll PR status."
	case "http_error":
		switch e.Status {
		case 401:
			return "Town's " + name + " token is invalid or expired (HTTP 401). Refresh the token in town settings."
		case 403:
			hint := "Ensure the token has permission to read merge requests in the project."
			if e.Provider == "github" {
				hint = "Ensure the token has `pull-requests: read` scope on the repo, or check for a secondary rate limit."
			}
			return "Town's " + name + " token lacks permission for this PR (HTTP 403). " + hint
		case 404:
			what := "MR"
			if e.Provider == "github" {
				what = "PR"
			}
			return what + " not found (HTTP 404). Was the branch deleted before it could be polled, or is the URL wrong?"
		}
		retry := "Not retryable."
		if e.transient() {
			retry = "Retrying."
		}
		return fmt.Sprintf("%s API returned HTTP %d %s. %s", e.Provider, e.Status, http.StatusText(e.Status), retry)
	case "invalid_response":
		keys := ""
		if e.Reason == "schema_mismatch" {
			keys = "; top-level keys: " + strings.Join(e.SampleKeys, ", ")
		}
		return e.Provider + " API returned an unexpected response shape (" + e.Reason + ")" + keys + ". " +
			"Please file a bug — the API contract may have drifted."
	case "unrecognized_url":
		return "PR URL format not recognized: " + e.URL + ". Expected GitHub PR or GitLab MR URL."
	case "host_mismatch":
		return "Refusing to send GitLab token to unexpected host `" + e.Got + "` (configured: `" + e.Expected + "`)."
	}
	return e.Kind
}

var (
	githubPRPattern = regexp.MustCompile(`^https://github\.com/([^/]+)/([^/]+)/pull/(\d+)`)
	gitlabMRPattern = regexp.MustCompile(`^(https://[^/]+)/(.+)/-/merge_requests/(\d+)`)
	prRepoGitHub    = regexp.MustCompile(`^https://github\.com/([^/]+/[^/]+)/pull/(\d+)`)
	prRepoGitLab    = regexp.MustCompile(`^https://[^/]+/(.+)/-/merge_requests/(\d+)`)
)

// errNoHost is what a configured GitLab instance URL without a host throws.
var errNoHost = errors.New("invalid GitLab instance URL")

// checkPRStatus is the Town's checkPRStatus: URL recognition, token
// resolution and the GitLab host check are local; only a recognised URL
// with a token makes a CallPRStatus. Its error is a thrown exception (a
// town config that fails to read, a network failure).
func checkPRStatus(t *model.Town, env model.Env, prURL string) (prOutcome, error) {
	cfg, err := t.ReadTownConfig()
	if err != nil {
		return prOutcome{}, err
	}
	if githubPRPattern.MatchString(prURL) {
		if res := t.ResolveGitHubToken(cfg, ""); !res.OK {
			return prOutcome{Err: prError{Kind: "no_token", Provider: "github", Resolution: res.Tried}}, nil
		}
		return callPRStatus(env, prURL, "github")
	}
	if m := gitlabMRPattern.FindStringSubmatch(prURL); m != nil {
		if cfg.GitAuth.GitLabToken == "" {
			return prOutcome{Err: prError{Kind: "no_token", Provider: "gitlab",
				Resolution: []string{"town.git_auth.gitlab_token"}}}, nil
		}
		host, err := urlHostname(m[1])
		if err != nil {
			return prOutcome{}, err
		}
		configured := ""
		if cfg.GitAuth.GitLabInstanceURL != "" {
			if configured, err = urlHostname(cfg.GitAuth.GitLabInstanceURL); err != nil {
				return prOutcome{}, err
			}
		}
		if host != "gitlab.com" && host != configured {
			expected := configured
			if expected == "" {
				expected = "gitlab.com"
			}
			return prOutcome{Err: prError{Kind: "host_mismatch", Provider: "gitlab", Expected: expected, Got: host}}, nil
		}
		return callPRStatus(env, prURL, "gitlab")
	}
	return prOutcome{Err: prError{Kind: "unrecognized_url", URL: prURL}}, nil
}

// callPRStatus asks the world for the PR and maps its answer. An error
// outcome without a kind is an unparsable body (invalid_response).
func callPRStatus(env model.Env, prURL, provider string) (prOutcome, error) {
	r := env.Call(model.Call{Kind: model.CallPRStatus, URL: prURL})
	if r.Err != "" {
		return prOutcome{}, errors.New(r.Err)
	}
	p := r.PR
	if p.OK {
		switch p.State {
		case "merged", "closed":
			return prOutcome{OK: true, State: p.State}, nil
		}
		out := prOutcome{OK: true, State: "open"}
		if provider == "github" {
			out.MergeableState = p.MergeableState
		}
		return out, nil
	}
	e := prError{Kind: p.ErrKind, Provider: provider}
	switch p.ErrKind {
	case "http_error":
		e.Status = p.HTTPStatus
	case "", "invalid_response":
		e.Kind, e.Reason = "invalid_response", "json_parse"
		if p.InvalidReason == "schema_mismatch" {
			e.Reason = "schema_mismatch"
			e.SampleKeys = p.Keys[:min(len(p.Keys), 8)]
		}
	case "unrecognized_url":
		e.Provider, e.URL = "", prURL
	}
	return prOutcome{Err: e}, nil
}

// checkPRFeedback is the Town's checkPRFeedback: nil for non-GitHub URLs
// and without a token. Production's feedback fetch catches its own network
// errors and then answers with all-false feedback; a world answer of nil
// stands for production's null.
func checkPRFeedback(t *model.Town, env model.Env, prURL string) (*model.PRFeedback, error) {
	if ok, err := githubCallable(t, prURL); !ok {
		return nil, err
	}
	r := env.Call(model.Call{Kind: model.CallPRFeedback, URL: prURL})
	if r.Err != "" {
		return &model.PRFeedback{}, nil
	}
	return r.Feedback, nil
}

// githubCallable reports whether prURL is a GitHub PR and the town has a
// GitHub token (the config is read only for a GitHub URL); its error is a
// town config that fails to read.
func githubCallable(t *model.Town, prURL string) (bool, error) {
	if !githubPRPattern.MatchString(prURL) {
		return false, nil
	}
	cfg, err := t.ReadTownConfig()
	if err != nil {
		return false, err
	}
	return t.ResolveGitHubToken(cfg, "").OK, nil
}

// mergePR is the Town's mergePR: GitHub only, needs a token; the world
// answers whether one of the merge methods succeeded. A thrown network
// error is returned.
func mergePR(t *model.Town, env model.Env, prURL string) (bool, error) {
	if ok, err := githubCallable(t, prURL); !ok {
		return false, err
	}
	r := env.Call(model.Call{Kind: model.CallMergePR, URL: prURL})
	if r.Err != "" {
		return false, errors.New(r.Err)
	}
	return r.OK, nil
}

// prRef is a parsed PR URL: the repository (GitHub owner/repo, GitLab
// project path) and the PR number.
type prRef struct {
	repo   string
	number int
}

// parsePRURL parses a GitHub pull request or GitLab merge request URL.
func parsePRURL(u string) (prRef, bool) {
	m := prRepoGitHub.FindStringSubmatch(u)
	if m == nil {
		m = prRepoGitLab.FindStringSubmatch(u)
	}
	if m == nil {
		return prRef{}, false
	}
	n, err := strconv.Atoi(m[2])
	if err != nil {
		return prRef{}, false
	}
	return prRef{repo: m[1], number: n}, true
}

// Git remote forms production's parseGitUrl recognises (worker-utils
// git-url): http(s)://host/path and git@host:path, after one trailing
// ".git" and the first "//user@" credential part are removed.
var (
	gitURLCredentials = regexp.MustCompile(`//[^@]+@`)
	gitURLHTTPS       = regexp.MustCompile(`^https?://([^/]+)/(.+)`)
	gitURLSSH         = regexp.MustCompile(`^git@([^:]+):(.+)`)
)

// parseGitURL is production's parseGitUrl without a GitLab instance URL
// (merge_pr passes none): only github.com and gitlab.com remotes parse.
// On github.com the owner and repository are the first two path segments;
// on gitlab.com the repository is the last segment and the owner the
// group path before it. Any other host, or another form, does not parse
// (and merge_pr then skips its repository check).
func parseGitURL(raw string) (owner, repo string, ok bool) {
	u := strings.TrimSuffix(raw, ".git")
	if loc := gitURLCredentials.FindStringIndex(u); loc != nil {
		u = u[:loc[0]] + "//" + u[loc[1]:]
	}
	m := gitURLHTTPS.FindStringSubmatch(u)
	if m == nil {
		m = gitURLSSH.FindStringSubmatch(u)
	}
	if m == nil {
		return "", "", false
	}
	host, path := m[1], m[2]
	switch host {
	case "github.com":
		parts := strings.Split(path, "/")
		if len(parts) < 2 {
			return "", "", false
		}
		return parts[0], parts[1], true
	case "gitlab.com":
		i := strings.LastIndex(path, "/")
		if i <= 0 {
			return "", "", false
		}
		return path[:i], path[i+1:], true
	}
	return "", "", false
}

// urlHostname is JavaScript's new URL(u).hostname (lowercase, no port); a URL
// without a host throws.
func urlHostname(u string) (string, error) {
	pu, err := url.Parse(u)
	if err != nil {
		return "", err
	}
	if pu.Host == "" {
		return "", errNoHost
	}
	return strings.ToLower(pu.Hostname()), nil
}

// jsonIsOne reports whether a json_extract value is 1 (SQLite returns JSON
// true as the integer 1), production's "=== 1 || === true".
func jsonIsOne(v any) bool {
	switch x := v.(type) {
	case int64:
		return x == 1
	case float64:
		return x == 1
	}
	return false
}

func flagInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func textOrNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// msSinceStamp is Date.now() − Date.parse(ts) in ms; a NULL or unparsable
// stamp gives 0.
func msSinceStamp(ts sql.NullString, now time.Time) float64 {
	if ts.String == "" {
		return 0
	}
	ms, ok := model.MsSince(ts, now)
	if !ok {
		return 0
	}
	return ms
}

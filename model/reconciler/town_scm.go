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
func checkPRStatusRaw(t *model.Town, env model.Env, prURL string) (prOutcome, error) {
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
func checkPRFeedbackRaw(t *model.Town, env model.Env, prURL string) (*model.PRFeedback, error) {
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
func mergePRRaw(t *model.Town, env model.Env, prURL string) (bool, error) {
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

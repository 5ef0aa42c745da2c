package reconciler

import (
	"database/sql"
	"encoding/json"
	"errors"
	"iter"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// The executor tests' fixture: a town with one configured rig, an
// InstantEnv whose answers a test scripts, and the analytics it emitted.

const (
	applyTownID = "7a1c2e3f-4b5d-4e6f-8a9b-0c1d2e3f4a5b"
	applyRig    = "rig-0001-aaaa"
	applyRig2   = "rig-0002-bbbb"
	applyGitURL = "https://github.com/acme/widgets.git"
	applyPRURL  = "https://github.com/acme/widgets/pull/42"
)

// errConfig is a stored town config that fails validation.
var errConfig = errors.New("town config: merge_strategy \"fast\" is not direct or pr")

// applyT0 is the fixed start time of the executor tests.
var applyT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// applyFix is one executor test's town, env and captured analytics.
type applyFix struct {
	t         *testing.T
	town      *model.Town
	env       *model.InstantEnv
	analytics []model.AnalyticsEvent
	// answers, by call kind, answer the env's calls (missing: zero Result).
	answers map[model.CallKind]func(model.Call) model.Result
}

// newApplyFix opens a town with rig applyRig (git applyGitURL, runtime
// config present) and an env at applyT0.
func newApplyFix(t *testing.T) *applyFix {
	t.Helper()
	f := &applyFix{t: t, answers: map[model.CallKind]func(model.Call) model.Result{}}
	town, err := model.Open(model.Options{TownID: applyTownID,
		TokenService: func(id string) (string, error) { return "minted-" + id, nil },
		Analytics:    func(e model.AnalyticsEvent) { f.analytics = append(f.analytics, e) }})
	if err != nil {
		t.Fatalf("open town: %v", err)
	}
	t.Cleanup(func() { town.Close() })
	// A GitHub token is configured: a fresh town has none and could not
	// poll its PRs (TestNoTokenOnFirstPoll covers that).
	if _, err := town.UpdateTownConfig(model.TownConfigUpdate{GitAuth: &model.GitAuthUpdate{GitHubToken: model.Ptr("ghp_test")}}); err != nil {
		t.Fatalf("configure token: %v", err)
	}
	f.town = town
	f.env = &model.InstantEnv{Clock: applyT0, Respond: func(c model.Call) model.Result {
		if r, ok := f.answers[c.Kind]; ok {
			return r(c)
		}
		return model.Result{}
	}}
	f.must(town.AddRig(applyT0, applyRig, "widgets", applyGitURL, "main"))
	f.must(town.ConfigureRig(applyT0, model.RigRuntimeConfig{RigID: applyRig, GitURL: applyGitURL, DefaultBranch: "main", UserID: "user-1"}))
	return f
}

// answer makes every call of kind k answer r.
func (f *applyFix) answer(k model.CallKind, r model.Result) {
	f.answers[k] = func(model.Call) model.Result { return r }
}

// advance moves the clock.
func (f *applyFix) advance(d time.Duration) { f.env.Clock = f.env.Clock.Add(d) }

// now is the env's clock as production writes it.
func (f *applyFix) now() string { return model.ISO(f.env.Clock) }

func (f *applyFix) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatalf("unexpected error: %v", err)
	}
}

// apply applies a and fails the test if the synchronous part threw.
func (f *applyFix) apply(a Action) *Effect {
	f.t.Helper()
	e, err := Apply(f.town, f.env, a)
	if err != nil {
		f.t.Fatalf("apply %v: %v", a, err)
	}
	return e
}

// applyRun applies a, requires an effect and runs it; it returns the
// effect's rejection.
func (f *applyFix) applyRun(a Action) error {
	f.t.Helper()
	e := f.apply(a)
	if e == nil {
		f.t.Fatalf("apply %v: no effect", a)
	}
	return e.Run(f.env)
}

// issue creates an open issue in applyRig.
func (f *applyFix) issue(title string) string {
	f.t.Helper()
	b, err := f.town.CreateBead(f.env.Clock, model.CreateBeadInput{Type: model.TypeIssue, Title: title, RigID: applyRig})
	f.must(err)
	return b.ID
}

// agent gets or creates an agent of role in rig.
func (f *applyFix) agent(role, rig string) string {
	f.t.Helper()
	a, err := f.town.GetOrCreateAgent(f.env.Clock, role, rig)
	f.must(err)
	return a.ID
}

// hooked creates a polecat in applyRig hooked to bead.
func (f *applyFix) hooked(bead string) string {
	f.t.Helper()
	a := f.agent(model.RolePolecat, applyRig)
	f.must(f.town.HookBead(f.env.Clock, a, bead))
	return a
}

// mr submits a merge request for source (from a polecat) with prURL ("" = none).
func (f *applyFix) mr(source, prURL string) string {
	f.t.Helper()
	id, err := f.town.SubmitToReviewQueue(f.env.Clock, model.SubmitInput{AgentID: "polecat-x",
		SourceBeadID: source, RigID: applyRig, Branch: "gt/toast/" + source[:8], PRURL: prURL})
	f.must(err)
	return id
}

// exec runs a setup statement.
func (f *applyFix) exec(q string, args ...any) {
	f.t.Helper()
	_, err := f.town.DB().Exec(q, args...)
	f.must(err)
}

// str reads one text column; NULL and no row read as "<NULL>".
func (f *applyFix) str(q string, args ...any) string {
	f.t.Helper()
	var v sql.NullString
	err := f.town.DB().QueryRow(q, args, &v)
	if err == sql.ErrNoRows || err == nil && !v.Valid {
		return "<NULL>"
	}
	f.must(err)
	return v.String
}

// num reads one integer.
func (f *applyFix) num(q string, args ...any) int {
	f.t.Helper()
	n, err := f.town.DB().Int(q, args...)
	f.must(err)
	return n
}

// bead reads column c of a bead.
func (f *applyFix) bead(id, c string) string {
	return f.str(`SELECT `+c+` FROM beads WHERE bead_id = ?`, id)
}

// agentCol reads column c of an agent's metadata row.
func (f *applyFix) agentCol(id, c string) string {
	return f.str(`SELECT `+c+` FROM agent_metadata WHERE bead_id = ?`, id)
}

// meta reads metadata key k of a bead as text (json_extract).
func (f *applyFix) meta(id, k string) string {
	return f.str(`SELECT json_extract(metadata, '$.`+k+`') FROM beads WHERE bead_id = ?`, id)
}

// review reads column c of a bead's review_metadata row.
func (f *applyFix) review(id, c string) string {
	return f.str(`SELECT `+c+` FROM review_metadata WHERE bead_id = ?`, id)
}

// townEvents lists the town events as "type bead payload", in rowid order.
func (f *applyFix) townEvents() []string {
	f.t.Helper()
	rows, err := f.town.DB().Query(`SELECT event_type, COALESCE(bead_id, ''), payload FROM town_events ORDER BY rowid`)
	f.must(err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, bead, payload string
		f.must(rows.Scan(&typ, &bead, &payload))
		out = append(out, typ+" "+bead+" "+payload)
	}
	return out
}

// events lists the analytics events named name.
func (f *applyFix) events(name string) []model.AnalyticsEvent {
	var out []model.AnalyticsEvent
	for _, e := range f.analytics {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// calls lists the env's calls of kind k.
func (f *applyFix) calls(k model.CallKind) []model.Call {
	var out []model.Call
	for _, c := range f.env.Calls {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

// callKinds renders the kinds of all calls made, in order.
func (f *applyFix) callKinds() string {
	var ks []string
	for _, c := range f.env.Calls {
		ks = append(ks, string(c.Kind))
	}
	return strings.Join(ks, ",")
}

// dump is the whole database as text.
func (f *applyFix) dump() string {
	f.t.Helper()
	d, err := f.town.Dump()
	f.must(err)
	return d
}

// coEnv is an Env whose All runs its tasks as coroutines (iter.Pull, one
// goroutine at a time, deterministic): every Call suspends the calling
// task, and the tasks are resumed round-robin, as production's Phase 2
// interleaves its closures at every await.
type coEnv struct {
	model.InstantEnv
	suspend func()
}

// Call records the call, lets the other tasks run, then answers it.
func (e *coEnv) Call(c model.Call) model.Result {
	e.Calls = append(e.Calls, c)
	if s := e.suspend; s != nil {
		s()
		e.suspend = s
	}
	if e.Respond == nil {
		return model.Result{}
	}
	return e.Respond(c)
}

// All runs the tasks as coroutines, round-robin, until every one is done.
func (e *coEnv) All(tasks []func()) {
	outer := e.suspend
	n := len(tasks)
	yields := make([]func(struct{}) bool, n)
	nexts := make([]func() (struct{}, bool), n)
	for i, task := range tasks {
		next, stop := iter.Pull(func(y func(struct{}) bool) {
			yields[i] = y
			task()
		})
		defer stop()
		nexts[i] = next
	}
	done := make([]bool, n)
	for left := n; left > 0; {
		for i := range n {
			if done[i] {
				continue
			}
			e.suspend = func() { yields[i](struct{}{}) }
			if _, ok := nexts[i](); !ok {
				done[i] = true
				left--
			}
		}
	}
	e.suspend = outer
}

// sameJSONEvent compares two "type bead payload" lines with the payloads
// compared as JSON values (key order aside).
func sameJSONEvent(got, want string) bool {
	g := strings.SplitN(got, " ", 3)
	w := strings.SplitN(want, " ", 3)
	if len(g) != 3 || len(w) != 3 || g[0] != w[0] || g[1] != w[1] {
		return false
	}
	var gv, wv any
	if json.Unmarshal([]byte(g[2]), &gv) != nil || json.Unmarshal([]byte(w[2]), &wv) != nil {
		return false
	}
	return reflect.DeepEqual(gv, wv)
}

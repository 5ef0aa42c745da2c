package alarm

import (
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// t0 is the virtual time every test starts at.
var t0 = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// fixture is a Town with a recording InstantEnv and raw-SQL builders that
// write rows as production stores them, with any timestamps a test needs.
type fixture struct {
	tb        testing.TB
	t         *model.Town
	env       *model.InstantEnv
	ids       *model.SeededIDs
	analytics []model.AnalyticsEvent // what reached Options.Analytics
	answers   map[model.CallKind]model.Result
}

// newFixture opens a brand-new town "town-1" at t0 whose env answers each
// call kind from f.answers: by default a healthy container (agents
// "running", HTTP calls 200), zero Results for the other kinds.
func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	return newFixtureWith(tb, nil)
}

// newFixtureWith is newFixture with the Town's options changed by opt.
func newFixtureWith(tb testing.TB, opt func(*model.Options)) *fixture {
	tb.Helper()
	f := &fixture{tb: tb, ids: model.NewSeededIDs(7), answers: map[model.CallKind]model.Result{
		model.CallAgentStatus:  {StatusCode: 200, Status: "running"},
		model.CallHealth:       {StatusCode: 200},
		model.CallRefreshToken: {StatusCode: 200},
		model.CallStartAgent:   {StatusCode: 200},
	}}
	o := model.Options{TownID: "town-1", IDs: model.NewSeededIDs(1),
		Analytics: func(e model.AnalyticsEvent) { f.analytics = append(f.analytics, e) }}
	if opt != nil {
		opt(&o)
	}
	town, err := model.Open(o)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { town.Close() })
	f.t = town
	f.env = &model.InstantEnv{Clock: t0, Respond: func(c model.Call) model.Result { return f.answers[c.Kind] }}
	return f
}

// exec runs a statement or fails the test.
func (f *fixture) exec(q string, args ...any) {
	f.tb.Helper()
	if _, err := f.t.DB().Exec(q, args...); err != nil {
		f.tb.Fatalf("%s: %v", q, err)
	}
}

// ts renders a timestamp column: the zero time is NULL.
func ts(at time.Time) any {
	if at.IsZero() {
		return nil
	}
	return model.ISO(at)
}

// nullable renders a text column: "" is NULL.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// rig inserts a rig created at createdAt and returns its id.
func (f *fixture) rig(name string, createdAt time.Time) string {
	id := f.ids.NewID()
	f.exec(`INSERT INTO rigs (id, name, git_url, default_branch, config, created_at) VALUES (?, ?, ?, 'main', '{}', ?)`,
		id, name, "https://github.com/acme/"+name, model.ISO(createdAt))
	f.t.KV().RigConfigs[id] = true
	return id
}

// agent inserts an agent (bead + agent_metadata) and returns its id.
func (f *fixture) agent(role, status, rig, hook string, lastActivity time.Time) string {
	id := f.ids.NewID()
	f.exec(`INSERT INTO beads (bead_id, type, status, title, rig_id, created_at, updated_at) VALUES (?, 'agent', 'open', ?, ?, ?, ?)`,
		id, role+"-"+id[:8], nullable(rig), model.ISO(t0.Add(-time.Hour)), model.ISO(t0.Add(-time.Hour)))
	f.exec(`INSERT INTO agent_metadata (bead_id, role, identity, status, current_hook_bead_id, last_activity_at) VALUES (?, ?, ?, ?, ?, ?)`,
		id, role, role+"/"+id, status, nullable(hook), ts(lastActivity))
	if hook != "" {
		f.exec(`UPDATE beads SET assignee_agent_bead_id = ? WHERE bead_id = ?`, id, hook)
	}
	return id
}

// bead inserts a bead and returns its id.
func (f *fixture) bead(typ, status, rig string, updated time.Time, labels ...string) string {
	id := f.ids.NewID()
	lj := "[]"
	if len(labels) > 0 {
		lj = `["` + strings.Join(labels, `","`) + `"]`
	}
	f.exec(`INSERT INTO beads (bead_id, type, status, title, rig_id, labels, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, typ, status, typ+" "+id[:8], nullable(rig), lj, model.ISO(updated.Add(-time.Minute)), model.ISO(updated))
	return id
}

// mr inserts a merge_request bead with its review_metadata row and a
// tracks edge to source (when given), and returns its id.
func (f *fixture) mr(status, rig, prURL, source string, updated time.Time) string {
	id := f.bead(model.TypeMergeRequest, status, rig, updated, model.LabelMergeRequest)
	f.exec(`INSERT INTO review_metadata (bead_id, branch, target_branch, pr_url) VALUES (?, ?, 'main', ?)`,
		id, "gt/"+id[:8], nullable(prURL))
	if source != "" {
		f.dep(id, source, model.DepTracks)
	}
	return id
}

// convoy inserts an open convoy tracking the given beads.
func (f *fixture) convoy(status string, tracked ...string) string {
	id := f.bead(model.TypeConvoy, status, "", t0.Add(-time.Hour), model.LabelConvoy)
	f.exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, merge_mode, staged) VALUES (?, ?, 0, 'review-then-land', 0)`,
		id, len(tracked))
	for _, b := range tracked {
		f.dep(b, id, model.DepTracks)
	}
	return id
}

// dep inserts a dependency edge a → b.
func (f *fixture) dep(a, b, typ string) {
	f.exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, ?)`, a, b, typ)
}

// event inserts a town event and returns its id; processed zero = pending.
func (f *fixture) event(typ, agent, bead, payload string, created, processed time.Time) string {
	id := f.ids.NewID()
	f.exec(`INSERT INTO town_events (event_id, event_type, agent_id, bead_id, payload, created_at, processed_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, typ, nullable(agent), nullable(bead), payload, model.ISO(created), ts(processed))
	return id
}

// str reads one text value.
func (f *fixture) str(q string, args ...any) string {
	f.tb.Helper()
	ss, err := f.t.DB().Strings(q, args...)
	if err != nil {
		f.tb.Fatal(err)
	}
	if len(ss) == 0 {
		return "<none>"
	}
	return ss[0]
}

// count reads one integer.
func (f *fixture) count(q string, args ...any) int {
	f.tb.Helper()
	n, err := f.t.DB().Int(q, args...)
	if err != nil {
		f.tb.Fatal(err)
	}
	return n
}

// tick runs one tick and fails the test on an error.
func (f *fixture) tick() *TickResult {
	f.tb.Helper()
	res, err := Tick(f.t, f.env)
	if err != nil {
		f.tb.Fatalf("tick: %v", err)
	}
	return res
}

// dump returns the database dump.
func (f *fixture) dump() string {
	f.tb.Helper()
	d, err := f.t.Dump()
	if err != nil {
		f.tb.Fatal(err)
	}
	return d
}

// calls returns the kinds of the calls made so far.
func (f *fixture) calls(kind model.CallKind) []model.Call {
	var out []model.Call
	for _, c := range f.env.Calls {
		if c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

// events returns the analytics events named name in r.
func events(r *TickResult, name string) []model.AnalyticsEvent {
	var out []model.AnalyticsEvent
	for _, e := range r.Analytics {
		if e.Event == name {
			out = append(out, e)
		}
	}
	return out
}

// actionStrings renders actions as their String forms.
func actionStrings(as []reconciler.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

package reconciler

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// The fixture builds states with raw SQL so the rule tests depend only on
// the schema, not on the state operations.
//
// String fields that map to nullable columns use "" for NULL and "''" for
// the empty string. Timestamps are ISO text; f.ago(d) renders now−d.

// fixture is a fresh in-memory town and a fixed clock.
type fixture struct {
	t    testing.TB
	town *model.Town
	now  time.Time
}

// fixtureNow is the clock every rule test runs at.
var fixtureNow = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	town, err := model.Open(model.Options{TownID: "town-1"})
	if err != nil {
		t.Fatalf("open town: %v", err)
	}
	t.Cleanup(func() { town.Close() })
	return &fixture{t: t, town: town, now: fixtureNow}
}

// ago renders now−d as ISO text.
func (f *fixture) ago(d time.Duration) string { return model.ISO(f.now.Add(-d)) }

// nv maps the fixture's nullable-string convention to an SQL value.
func nv(s string) any {
	switch s {
	case "":
		return nil
	case "''":
		return ""
	}
	return s
}

// or returns s, or def when s is "".
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.town.DB().Exec(q, args...); err != nil {
		f.t.Fatalf("exec %q: %v", q, err)
	}
}

// B is a bead row. Zero values: type issue, status open, title = ID,
// rig/assignee/parent/created_by NULL, labels [], metadata {}, created and
// updated now, no dispatch attempt.
type B struct {
	ID, Type, Status, Title          string
	Rig, Assignee, Parent, CreatedBy string
	Labels, Meta                     string // raw JSON ("" = default)
	Attempts                         int
	LastAttempt, Created, Updated    string // "" = NULL / now / now
	RawLabelsNull                    bool   // store labels as NULL
}

func (f *fixture) bead(b B) {
	f.t.Helper()
	var labels any = or(b.Labels, "[]")
	if b.RawLabelsNull {
		labels = nil
	}
	created := or(b.Created, model.ISO(f.now))
	f.exec(`INSERT INTO beads (bead_id, type, status, title, rig_id, parent_bead_id,
		assignee_agent_bead_id, labels, metadata, dispatch_attempts, last_dispatch_attempt_at,
		created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, or(b.Type, model.TypeIssue), or(b.Status, model.StatusOpen), or(b.Title, b.ID),
		nv(b.Rig), nv(b.Parent), nv(b.Assignee), labels, or(b.Meta, "{}"), b.Attempts,
		nv(b.LastAttempt), nv(b.CreatedBy), created, or(b.Updated, created))
}

// A is an agent: its bead (type agent, status open) and agent_metadata.
// Zero values: role polecat, status idle, no hook, last activity now,
// no SDK watermark, active_tools [], no stalled_at.
type A struct {
	ID, Role, Status, Rig, Hook string
	Attempts                    int
	Activity                    string // "" = now; "NULL" = NULL; "''" = empty
	EventAt, Tools, StalledAt   string // "" = NULL
	Created                     string
}

func (f *fixture) agent(a A) {
	f.t.Helper()
	f.bead(B{ID: a.ID, Type: model.TypeAgent, Rig: a.Rig, Created: a.Created})
	activity := any(or(a.Activity, model.ISO(f.now)))
	switch a.Activity {
	case "NULL":
		activity = nil
	case "''":
		activity = ""
	}
	tools := any(or(a.Tools, "[]"))
	if a.Tools == "NULL" {
		tools = nil
	}
	f.exec(`INSERT INTO agent_metadata (bead_id, role, identity, status, current_hook_bead_id,
		dispatch_attempts, last_activity_at, last_event_at, active_tools, stalled_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, or(a.Role, model.RolePolecat), a.ID+"@town-1", or(a.Status, model.AgentIdle), nv(a.Hook),
		a.Attempts, activity, nv(a.EventAt), tools, nv(a.StalledAt))
}

// M is a merge_request bead with its review_metadata row (unless
// NoReview). Zero values as B, plus pr_url NULL.
type M struct {
	B
	PRURL    string // "" = NULL
	NoReview bool
}

func (f *fixture) mr(m M) {
	f.t.Helper()
	m.Type = model.TypeMergeRequest
	f.bead(m.B)
	if !m.NoReview {
		f.exec(`INSERT INTO review_metadata (bead_id, branch, target_branch, pr_url) VALUES (?, ?, 'main', ?)`,
			m.ID, "branch-"+m.ID, nv(m.PRURL))
	}
}

// C is a convoy bead with its convoy_metadata row (unless NoMeta).
type C struct {
	B
	Total, Closed int
	FeatureBranch string // "" = NULL
	MergeMode     string // "" = NULL
	Staged        bool
	NoMeta        bool
}

func (f *fixture) convoy(c C) {
	f.t.Helper()
	c.Type = model.TypeConvoy
	f.bead(c.B)
	if c.NoMeta {
		return
	}
	staged := 0
	if c.Staged {
		staged = 1
	}
	f.exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, feature_branch, merge_mode, staged)
		VALUES (?, ?, ?, ?, ?, ?)`, c.ID, c.Total, c.Closed, nv(c.FeatureBranch), nv(c.MergeMode), staged)
}

// dep inserts the edge a →typ→ b.
func (f *fixture) dep(a, b, typ string) {
	f.t.Helper()
	f.exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, ?)`, a, b, typ)
}

// rig inserts a rig row with its override config JSON ("" = {}).
func (f *fixture) rig(id, config, defaultBranch string) {
	f.t.Helper()
	f.exec(`INSERT INTO rigs (id, name, git_url, default_branch, config, created_at) VALUES (?, ?, '', ?, ?, ?)`,
		id, "rig-"+id, or(defaultBranch, "main"), or(config, "{}"), model.ISO(f.now))
}

// nudge inserts an agent_nudges row with the given source and created_at text.
func (f *fixture) nudge(id, agent, source, createdAt string) {
	f.t.Helper()
	f.exec(`INSERT INTO agent_nudges (nudge_id, agent_bead_id, message, mode, priority, source, created_at)
		VALUES (?, ?, 'm', 'immediate', 'urgent', ?, ?)`, id, agent, source, createdAt)
}

// foreignKeysOff lets a test build states the enforced foreign keys forbid.
func (f *fixture) foreignKeysOff() {
	f.t.Helper()
	if err := f.town.DB().ExecRaw(`PRAGMA foreign_keys = OFF`); err != nil {
		f.t.Fatal(err)
	}
}

// reconcile runs Reconcile at the fixture's clock; every action must
// carry a rule id of RuleIDs.
func (f *fixture) reconcile(o Options) []Action {
	f.t.Helper()
	as, err := Reconcile(f.town, f.now, o)
	if err != nil {
		f.t.Fatalf("Reconcile: %v", err)
	}
	for _, a := range as {
		if !slices.Contains(RuleIDs, a.Rule) {
			f.t.Errorf("action %s: Rule %q is not in RuleIDs", a, a.Rule)
		}
	}
	return as
}

// strs renders actions with Action.String.
func strs(as []Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.String()
	}
	return out
}

// expect runs Reconcile and compares the rendered actions, in order.
func (f *fixture) expect(o Options, want ...string) []Action {
	f.t.Helper()
	as := f.reconcile(o)
	assertActions(f.t, as, want)
	return as
}

func assertActions(t testing.TB, as []Action, want []string) {
	t.Helper()
	got := strs(as)
	if len(got) == len(want) {
		same := true
		for i := range got {
			if got[i] != want[i] {
				same = false
				break
			}
		}
		if same {
			return
		}
	}
	t.Errorf("actions differ\n got (%d):\n  %s\nwant (%d):\n  %s", len(got), strings.Join(got, "\n  "),
		len(want), strings.Join(want, "\n  "))
}

// cfg returns a brand-new town's config (Addendum C), with code review
// on at town level.
func cfg() *model.TownConfig {
	c := model.NewTownConfig()
	return &c
}

// openBreaker inserts n molecule beads dispatched recently and not closed,
// which the breaker counts and no other rule reads.
func (f *fixture) openBreaker(n int) {
	f.t.Helper()
	for i := 0; i < n; i++ {
		f.bead(B{ID: fmt.Sprintf("cb%02d", i), Type: model.TypeMolecule, Status: model.StatusInProgress,
			Attempts: 1, LastAttempt: f.ago(time.Minute)})
	}
}

// notice is BD-CB's action as Action.String renders it (the message is
// not rendered; tests that care check Action.Message).
const notice = "notify_mayor{}"

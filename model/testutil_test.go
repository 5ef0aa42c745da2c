package model

import (
	"database/sql"
	"encoding/json"
	"testing"
	"time"
)

// testTownID is the town id of test towns.
const testTownID = "5f0c1e2a-9b7d-4c3e-8a1f-0123456789ab"

// t0 is the fixed base time of the tests.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// at returns t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

// newTestTown opens an in-memory town with a fixed id and closes it when
// the test ends.
func newTestTown(t *testing.T) *Town {
	t.Helper()
	town, err := Open(Options{TownID: testTownID})
	if err != nil {
		t.Fatalf("open town: %v", err)
	}
	t.Cleanup(func() { town.Close() })
	return town
}

// must fails the test on err.
func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

// col reads one nullable text column: q must return one row.
func col(t *testing.T, town *Town, q string, args ...any) sql.NullString {
	t.Helper()
	var v sql.NullString
	if err := town.DB().QueryRow(q, args, &v); err != nil {
		t.Fatalf("query %q %v: %v", q, args, err)
	}
	return v
}

// str reads one column as text; NULL reads as "<NULL>".
func str(t *testing.T, town *Town, q string, args ...any) string {
	t.Helper()
	v := col(t, town, q, args...)
	if !v.Valid {
		return "<NULL>"
	}
	return v.String
}

// num reads one integer (a count).
func num(t *testing.T, town *Town, q string, args ...any) int {
	t.Helper()
	n, err := town.DB().Int(q, args...)
	if err != nil {
		t.Fatalf("query %q %v: %v", q, args, err)
	}
	return n
}

// beadCol reads column c of a bead.
func beadCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM beads WHERE bead_id = ?`, id)
}

// agentCol reads column c of agent_metadata.
func agentCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM agent_metadata WHERE bead_id = ?`, id)
}

// convoyCol reads column c of convoy_metadata.
func convoyCol(t *testing.T, town *Town, id, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM convoy_metadata WHERE bead_id = ?`, id)
}

// events lists "type" of a bead's bead_events in insertion order.
func events(t *testing.T, town *Town, beadID string) []string {
	t.Helper()
	out, err := town.DB().Strings(`SELECT event_type FROM bead_events WHERE bead_id = ? ORDER BY rowid`, beadID)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// lastEvent reads column c of the bead's newest bead event of type typ.
func lastEvent(t *testing.T, town *Town, beadID, typ, c string) string {
	t.Helper()
	return str(t, town, `SELECT `+c+` FROM bead_events WHERE bead_id = ? AND event_type = ? ORDER BY rowid DESC LIMIT 1`, beadID, typ)
}

// mustStrings reads one text column of every row.
func mustStrings(t *testing.T, town *Town, q string, args ...any) []string {
	t.Helper()
	out, err := town.DB().Strings(q, args...)
	must(t, err)
	return out
}

// dump returns the whole database as text (to assert "nothing changed").
func dump(t *testing.T, town *Town) string {
	t.Helper()
	d, err := town.Dump()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// mkBead creates a bead with createBead at t0.
func mkBead(t *testing.T, town *Town, in CreateBeadInput) string {
	t.Helper()
	if in.Type == "" {
		in.Type = TypeIssue
	}
	if in.Title == "" {
		in.Title = "task"
	}
	b, err := town.CreateBead(t0, in)
	must(t, err)
	return b.ID
}

// mkAgent registers an agent at t0.
func mkAgent(t *testing.T, town *Town, role, name, rig string) string {
	t.Helper()
	a, err := town.RegisterAgent(t0, role, name, name+"-"+role+"-"+rig, rig)
	must(t, err)
	return a.ID
}

// setStatus writes a bead status directly (test setup).
func setStatus(t *testing.T, town *Town, id, status string) {
	t.Helper()
	_, err := town.DB().Exec(`UPDATE beads SET status = ? WHERE bead_id = ?`, status, id)
	must(t, err)
}

// setAgent writes agent_metadata columns directly (test setup).
func setAgent(t *testing.T, town *Town, id, set string, args ...any) {
	t.Helper()
	_, err := town.DB().Exec(`UPDATE agent_metadata SET `+set+` WHERE bead_id = ?`, append(args, id)...)
	must(t, err)
}

// mkConvoy inserts a convoy bead and its convoy_metadata row directly.
func mkConvoy(t *testing.T, town *Town, total int, featureBranch, mode any) string {
	t.Helper()
	id := mkBead(t, town, CreateBeadInput{Type: TypeConvoy, Title: "convoy", Labels: []string{LabelConvoy}})
	_, err := town.DB().Exec(`INSERT INTO convoy_metadata (bead_id, total_beads, closed_beads, feature_branch, merge_mode, staged)
		VALUES (?, ?, 0, ?, ?, 0)`, id, total, featureBranch, mode)
	must(t, err)
	return id
}

// track inserts the edge a →tracks→ b.
func track(t *testing.T, town *Town, a, b string) {
	t.Helper()
	_, err := town.DB().Exec(`INSERT INTO bead_dependencies (bead_id, depends_on_bead_id, dependency_type) VALUES (?, ?, 'tracks')`, a, b)
	must(t, err)
}

// iso is ISO(at(d)).
func iso(d time.Duration) string { return ISO(at(d)) }

func eq[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func eqSlice(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s = %q, want %q", what, got, want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s = %q, want %q", what, got, want)
			return
		}
	}
}

// ---- the events/RPC/dispatch/housekeeping fixture ----

// Test helpers of the events/RPC/dispatch/housekeeping tests. Names carry
// an "ev" prefix so they never collide with other helpers of the package.

// evTownID is the town id of these tests.
const evTownID = "0b7f3c2e-4d5a-4e6f-9a8b-7c6d5e4f3a2b"

// evT0 is the fixed base time of these tests.
var evT0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// evAt returns evT0 plus d.
func evAt(d time.Duration) time.Time { return evT0.Add(d) }

// evFix is a town with an InstantEnv and the analytics and error reports
// it emitted.
type evFix struct {
	t         *testing.T
	town      *Town
	env       *InstantEnv
	analytics []AnalyticsEvent
	reports   []ErrorReport
	// ids names the rows a test set up.
	ids map[string]string
}

// evNew opens an in-memory town (new-town config) whose env answers every
// container start with 200, every agent status with 404 and every message
// with OK; tests replace env.Respond as needed. There is no alarm set.
func evNew(t *testing.T) *evFix {
	t.Helper()
	f := &evFix{t: t, env: &InstantEnv{Clock: evT0}, ids: map[string]string{}}
	town, err := Open(Options{TownID: evTownID,
		Analytics: func(e AnalyticsEvent) { f.analytics = append(f.analytics, e) },
		Errors:    func(r ErrorReport) { f.reports = append(f.reports, r) }})
	if err != nil {
		t.Fatalf("open town: %v", err)
	}
	t.Cleanup(func() { town.Close() })
	f.town = town
	f.env.Respond = evRespond(200, "", "not_found", true)
	return f
}

// evRespond answers starts with code/body, agent status calls with status
// (404 when "not_found") and message calls with ok.
func evRespond(code int, body, status string, ok bool) func(Call) Result {
	return func(c Call) Result {
		switch c.Kind {
		case CallStartAgent:
			return Result{StatusCode: code, Body: body}
		case CallAgentStatus:
			if status == "not_found" {
				return Result{StatusCode: 404}
			}
			return Result{StatusCode: 200, Status: status}
		case CallSendMessage:
			return Result{StatusCode: 200, OK: ok}
		}
		return Result{}
	}
}

// must fails on err.
func (f *evFix) must(err error) {
	f.t.Helper()
	must(f.t, err)
}

// rig adds a rig created at evT0 and, when configured, its KV rig config;
// the alarm that configuring arms is removed again.
func (f *evFix) rig(id string, configured bool) {
	f.t.Helper()
	f.must(f.town.AddRig(evT0, id, "rig-"+id, "https://github.com/o/"+id, "main"))
	if configured {
		f.must(f.town.ConfigureRig(evT0, RigRuntimeConfig{RigID: id, GitURL: "https://github.com/o/" + id, DefaultBranch: "main"}))
		f.town.DeleteAlarm()
	}
}

// agent registers an agent at evT0.
func (f *evFix) agent(role, name, rig string) string {
	f.t.Helper()
	a, err := f.town.RegisterAgent(evT0, role, name, name+"-"+role+"-"+rig+"@ev", rig)
	f.must(err)
	return a.ID
}

// bead creates an issue (default) bead at evT0.
func (f *evFix) bead(in CreateBeadInput) string {
	f.t.Helper()
	if in.Type == "" {
		in.Type = TypeIssue
	}
	if in.Title == "" {
		in.Title = "task"
	}
	b, err := f.town.CreateBead(evT0, in)
	f.must(err)
	return b.ID
}

// exec runs a setup statement.
func (f *evFix) exec(q string, args ...any) {
	f.t.Helper()
	_, err := f.town.DB().Exec(q, args...)
	f.must(err)
}

// q reads one text column of the first row; NULL reads "<NULL>", no row "<none>".
func (f *evFix) q(query string, args ...any) string {
	f.t.Helper()
	var v sql.NullString
	err := f.town.DB().QueryRow(query, args, &v)
	if err == sql.ErrNoRows {
		return "<none>"
	}
	if err != nil {
		f.t.Fatalf("query %q: %v", query, err)
	}
	if !v.Valid {
		return "<NULL>"
	}
	return v.String
}

// n reads one integer.
func (f *evFix) n(query string, args ...any) int {
	f.t.Helper()
	n, err := f.town.DB().Int(query, args...)
	f.must(err)
	return n
}

// list reads one text column of every row.
func (f *evFix) list(query string, args ...any) []string {
	f.t.Helper()
	return mustStrings(f.t, f.town, query, args...)
}

// b reads column c of a bead; a reads column c of agent_metadata.
func (f *evFix) b(id, c string) string {
	f.t.Helper()
	return f.q(`SELECT `+c+` FROM beads WHERE bead_id = ?`, id)
}

func (f *evFix) a(id, c string) string {
	f.t.Helper()
	return f.q(`SELECT `+c+` FROM agent_metadata WHERE bead_id = ?`, id)
}

// meta reads metadata key k of a bead as JSON text.
func (f *evFix) meta(id, k string) string {
	f.t.Helper()
	return f.q(`SELECT json_extract(metadata, '$.`+k+`') FROM beads WHERE bead_id = ?`, id)
}

// dump is the whole database as text.
func (f *evFix) dump() string {
	f.t.Helper()
	return dump(f.t, f.town)
}

// hook hooks agent to bead at evT0.
func (f *evFix) hook(agent, bead string) {
	f.t.Helper()
	f.must(f.town.HookBead(evT0, agent, bead))
}

// mr creates a merge request for source submitted by agent in rig.
func (f *evFix) mr(agent, source, rig, branch, prURL string) string {
	f.t.Helper()
	id, err := f.town.SubmitToReviewQueue(evT0, SubmitInput{AgentID: agent, SourceBeadID: source,
		RigID: rig, Branch: branch, PRURL: prURL, DefaultBranch: "main"})
	f.must(err)
	return id
}

// event builds a TownEvent with a payload given as JSON text.
func evEvent(typ, agentID, beadID, payload string) TownEvent {
	p, err := parseEventPayload(payload)
	if err != nil {
		panic(err)
	}
	return TownEvent{ID: "ev", Type: typ, AgentID: NullIfEmpty(agentID), BeadID: NullIfEmpty(beadID),
		Payload: p, PayloadRaw: payload, CreatedAt: ISO(evT0)}
}

// alarm returns the alarm as an offset from evT0, or -1 when unset.
func (f *evFix) alarm() time.Duration {
	at, ok := f.town.AlarmAt()
	if !ok {
		return -1
	}
	return at.Sub(evT0)
}

// calls lists the kinds of the env calls made so far.
func (f *evFix) calls() []string {
	out := make([]string, len(f.env.Calls))
	for i, c := range f.env.Calls {
		out[i] = string(c.Kind)
	}
	return out
}

// emitted lists the analytics event names emitted so far.
func (f *evFix) emitted() []string {
	out := make([]string, len(f.analytics))
	for i, e := range f.analytics {
		out[i] = e.Event
	}
	return out
}

// find returns the first analytics event named name.
func (f *evFix) find(name string) (AnalyticsEvent, bool) {
	for _, e := range f.analytics {
		if e.Event == name {
			return e, true
		}
	}
	return AnalyticsEvent{}, false
}

// pendingPayloads lists "type payload" of the pending events in drain order.
func (f *evFix) pendingPayloads() []string {
	f.t.Helper()
	evs, err := f.town.PendingEvents()
	f.must(err)
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.Type + " " + e.PayloadRaw
	}
	return out
}

// evJSON decodes a JSON object text (test inspection).
func evJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return m
}

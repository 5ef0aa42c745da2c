package scenarios

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// passedRun runs the named scenario under the checker (for d, when d is
// not zero), fails the test unless every property passed, and returns the
// checker and the Town's database, for tests that then break rows by hand.
func passedRun(t *testing.T, name string, d time.Duration) (*checker, *model.DB) {
	t.Helper()
	s, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.Config
	if d != 0 {
		cfg.Duration = d
	}
	c := runChecker(t, cfg)
	if len(c.failures) != 0 {
		t.Fatalf("the real run failed: %v", c.failures)
	}
	return c, c.world.Town().DB()
}

// rowsOf returns exec, which runs a statement on db and fails the test on
// an error, and one, which returns the first value a query reads and
// fails the test when it reads none.
func rowsOf(t *testing.T, db *model.DB) (exec func(q string, args ...any), one func(q string, args ...any) string) {
	exec = func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatal(err)
		}
	}
	one = func(q string, args ...any) string {
		t.Helper()
		s, err := db.Strings(q, args...)
		if err != nil || len(s) == 0 {
			t.Fatalf("%s: %v %v", q, s, err)
		}
		return s[0]
	}
	return exec, one
}

// propByName builds a fresh instance of a property of the table.
func propByName(t *testing.T, name string) property {
	t.Helper()
	for _, p := range properties {
		if p.Name == name {
			return p.new()
		}
	}
	t.Fatalf("no property %s", name)
	return nil
}

// Every property of the table is one of Properties, has a family that
// prefixes its name and says what it reads; docs/properties.md lists it
// with what it reads.
func TestPropertyTableIsDocumented(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range PropertyTable() {
		if seen[p.Name] {
			t.Errorf("%s twice in the table", p.Name)
		}
		seen[p.Name] = true
		if !strings.HasPrefix(p.Name, p.Family+"/") || p.Reads == "" {
			t.Errorf("%s: family %q, reads %q", p.Name, p.Family, p.Reads)
		}
	}
	doc, err := os.ReadFile("../docs/properties.md")
	if err != nil {
		t.Fatal(err)
	}
	for name := range seen {
		if !strings.Contains(string(doc), "`"+name+"`") {
			t.Errorf("docs/properties.md does not list %s", name)
		}
	}
	for _, f := range AcceptedFindings() {
		if !strings.Contains(string(doc), "`"+f.ID+"`") {
			t.Errorf("docs/properties.md does not list finding %s", f.ID)
		}
	}
	if len(seen) != len(Properties()) {
		t.Errorf("the table has %d properties, Properties %d", len(seen), len(Properties()))
	}
}

// Each property added for a family of misbehaviour fires on a small fake
// state that breaks it, and stays quiet on the real run it is fed after.
func TestNewPropertiesFire(t *testing.T) {
	cfg := Default()
	cfg.Duration = 10 * time.Minute
	c := runChecker(t, cfg)
	db := c.world.Town().DB()
	if len(c.failures) != 0 {
		t.Fatalf("the real run failed: %v", c.failures)
	}
	issue := ""
	for _, is := range c.world.Issues() {
		if is.Cancelled == "" && !is.Deleted && issue == "" {
			issue = is.ID
		}
	}
	agents, _ := db.Strings(`SELECT bead_id FROM agent_metadata WHERE role = 'polecat' ORDER BY bead_id LIMIT 2`)
	if len(agents) < 2 {
		t.Fatal("fewer than two polecats")
	}
	view := func() *tickView {
		return &tickView{rec: &sim.TickRecord{At: c.now, End: c.now}, w: c.world, db: db, holds: map[string]bool{}}
	}
	c.b.Grace = 0
	for _, tc := range []struct {
		prop    string
		breakIt func(t *testing.T, p property)
	}{
		{PropCompletedNotRedone, func(t *testing.T, p property) {
			p.(*completedNotRedoneProp).closed[issue] = c.now.Add(-time.Minute)
			p.(actor).action(c, reconciler.Action{Type: reconciler.DispatchAgent, BeadID: issue, Rule: "BD-1"}, view())
		}},
		{PropRoleMatchesBead, func(t *testing.T, p property) {
			p.(caller).call(c, model.Call{Kind: model.CallStartAgent, AgentID: agents[0], BeadID: issue, Role: model.RoleRefinery},
				model.Result{StatusCode: 200}, c.now)
		}},
		{PropOneHookPerBead, func(t *testing.T, p property) {
			if _, err := db.Exec(`UPDATE agent_metadata SET current_hook_bead_id = ? WHERE bead_id IN (?, ?)`, issue, agents[0], agents[1]); err != nil {
				t.Fatal(err)
			}
			p.(ticker).tick(c, view())
		}},
		{PropEventAge, func(t *testing.T, p property) {
			if _, err := db.Exec(`UPDATE town_events SET processed_at = NULL, created_at = ?
				WHERE event_id = (SELECT max(event_id) FROM town_events)`, model.ISO(c.now.Add(-time.Hour))); err != nil {
				t.Fatal(err)
			}
			c.healAt = c.now.Add(-2 * time.Hour)
			p.(ticker).tick(c, view())
		}},
		{PropLifeDispatches, func(t *testing.T, p property) {
			for range c.b.DispatchesPerBead + 1 {
				p.(actor).action(c, reconciler.Action{Type: reconciler.DispatchAgent, BeadID: issue}, view())
			}
		}},
		{PropTickLatency, func(t *testing.T, p property) {
			p.(everyTicker).everyTick(c, &sim.TickRecord{At: c.now, End: c.now.Add(c.b.TickLatency + time.Second)}, c.world)
		}},
		{PropStatementsPerTick, func(t *testing.T, p property) {
			v := view()
			v.rec.Cost.Statements = 1 << 20
			p.(ticker).tick(c, v)
		}},
		{PropGitHubCalls, func(t *testing.T, p property) {
			for range c.b.GitHubCallsPerPRHour + 1 {
				p.(caller).call(c, model.Call{Kind: model.CallPRStatus, URL: "https://github.com/o/r/pull/1"}, model.Result{}, c.now)
			}
		}},
		{PropFailedWithCause, func(t *testing.T, p property) {
			// failed behind the Town's back: no event, no reason
			if _, err := db.Exec(`UPDATE beads SET status = 'failed' WHERE bead_id = ?`, issue); err != nil {
				t.Fatal(err)
			}
			p.(ender).end(c, c.world, db)
		}},
		{PropMRFate, func(t *testing.T, p property) {
			// a PR known merged whose MR stays open past the bound
			mr, _ := db.Strings(`SELECT b.bead_id || ' ' || r.pr_url FROM beads b JOIN review_metadata r ON r.bead_id = b.bead_id
				WHERE r.pr_url IS NOT NULL AND r.pr_url != '' ORDER BY b.bead_id LIMIT 1`)
			if len(mr) == 0 {
				t.Fatal("no merge request with a PR in the run")
			}
			id, url, _ := strings.Cut(mr[0], " ")
			if _, err := db.Exec(`UPDATE beads SET status = 'in_progress' WHERE bead_id = ?`, id); err != nil {
				t.Fatal(err)
			}
			merged := model.Result{PR: model.PRStatus{OK: true, State: "merged"}}
			at := c.now
			for i := range 3 {
				p.(caller).call(c, model.Call{Kind: model.CallPRStatus, URL: url}, merged, at.Add(time.Duration(i)*time.Minute))
			}
			c.now = at.Add(c.b.MRTerminal + time.Minute)
			p.(ticker).tick(c, view())
			c.now = at
		}},
		{PropActiveCadence, func(t *testing.T, p property) {
			// a running, reporting process, then no tick for 5 minutes
			c.healAt = c.start
			v := view()
			v.procs = []sim.ProcessView{{AgentID: agents[0], Live: true, State: "running", LastHeartbeat: c.now}}
			p.(ticker).tick(c, v)
			v.rec = &sim.TickRecord{At: c.now.Add(5 * time.Minute), End: c.now.Add(5 * time.Minute)}
			p.(ticker).tick(c, v)
		}},
		{PropIdleCadence, func(t *testing.T, p property) {
			// The world without work (every issue and MR closed, no
			// process) while the town ticks at the active cadence.
			if _, err := db.Exec(`UPDATE beads SET status = 'closed' WHERE type IN ('issue', 'merge_request')`); err != nil {
				t.Fatal(err)
			}
			now := c.now
			for i := range 800 {
				c.now = now.Add(time.Duration(i) * 5 * time.Second)
				p.(ticker).tick(c, view())
			}
		}},
	} {
		t.Run(tc.prop, func(t *testing.T) {
			c.failures, c.seen = nil, map[string]bool{}
			tc.breakIt(t, propByName(t, tc.prop))
			if len(c.failures) == 0 || c.failures[0].Property != tc.prop {
				t.Fatalf("failures %v; want %s", c.failures, tc.prop)
			}
			t.Log(c.failures[0])
		})
	}
}

package scenarios

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
	"github.com/townsim/townsim/sim"
)

// PropTimedRuleEdges names the exact edges of the reconciler's timed rules.
const PropTimedRuleEdges = "safety/timed-rule-edges"

// timerSlack absorbs the millisecond truncation of the reconcile's clock
// and the second-granular text some stamps are compared as.
const timerSlack = time.Second

// timedRule is one row of the table of timed rules (reconciler.md §2.1,
// §2.2, §2.3, §2.5), written from the specification's thresholds. query
// returns the rows whose every non-time condition holds, one text column
// per row: entity, stamp, fingerprint and an extra stamp (the latest
// deduping nudge), joined by \x1f.
type timedRule struct {
	rule  string        // the rule id, as the actions carry it
	after time.Duration // the rule acts once now − stamp exceeds it
	until time.Duration // > 0: past it another tier owns the row
	// dedupe > 0: the rule does not act again within it of the extra stamp
	dedupe time.Duration
	// paused: the rule skips every row while draining
	paused bool
	// upper: the query states the whole condition, so the rule must act
	// on the first tick past the threshold (else only "never before")
	upper bool
	query string
	// never, when set, lists the entities a condition the rule's own
	// action does not change keeps out of the rule: the rule must not name
	// one listed at the ends of both the previous tick and this one
	never string
	// eligible, when set, decides the rest of the condition at a time
	eligible func(r timerRow, at time.Time) bool
	agent    bool // the entity is an agent (else a bead)
	// nudges, when set, is the nudge source whose latest nudge to the
	// agent is the row's extra stamp
	nudges string
}

type timerRow struct{ id, stamp, fp, extra string }

// guppRows selects the agents GUPP looks at (§2.5): working or stalled,
// not the mayor, with a stamp `last_event_at ?? last_activity_at`. The
// extra stamp, the latest nudge from the rule's source, is filled in from
// the nudges the property has read (timedRule.nudges).
const guppRows = `SELECT a.bead_id || char(31) || coalesce(a.last_event_at, a.last_activity_at) || char(31) ||
		a.status || '|' || coalesce(a.stalled_at, '') || '|' || coalesce(a.last_activity_at, '') || '|' ||
		coalesce(a.active_tools, '<null>') || char(31) || ''
		FROM agent_metadata a
		WHERE a.status IN ('working', 'stalled') AND a.role != 'mayor'
		  AND coalesce(a.last_event_at, a.last_activity_at) IS NOT NULL
		ORDER BY a.bead_id`

// guppStalledLeft: a stalled agent whose stall began more than 2.5 h ago
// is left to AG-2 (§2.5 step 2), within the slack either way.
func guppStalledLeft(r timerRow, at time.Time) (left, near bool) {
	parts := strings.Split(r.fp, "|")
	if len(parts) < 3 || parts[0] != model.AgentStalled {
		return false, false
	}
	since := parts[1]
	if since == "" {
		since = parts[2]
	}
	s, ok := parseStamp(since)
	if !ok {
		return false, true
	}
	d := at.Sub(s) - 150*time.Minute
	return d > 0, d > -time.Minute && d < time.Minute
}

func guppEligible(r timerRow, at time.Time) bool {
	left, near := guppStalledLeft(r, at)
	return !left && !near
}

// guppWarnEligible: GUPP's warn also needs no tool running (active_tools
// parses to an empty array; NULL and parse errors count as empty).
func guppWarnEligible(r timerRow, at time.Time) bool {
	if !guppEligible(r, at) {
		return false
	}
	parts := strings.SplitN(r.fp, "|", 4)
	if len(parts) < 4 || parts[3] == "<null>" {
		return true
	}
	var tools []any
	if err := json.Unmarshal([]byte(parts[3]), &tools); err != nil {
		return true
	}
	return len(tools) == 0
}

// mrRows selects in-progress merge requests that have review metadata
// (the review queue's per-MR loop, §2.3) with the extra condition cond.
func mrRows(cond string) string {
	return `SELECT b.bead_id || char(31) || b.updated_at || char(31) || b.status || '|' || coalesce(r.pr_url, '') || char(31) || ''
		FROM beads b INNER JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status = 'in_progress' AND coalesce(b.updated_at, '') != '' AND ` + cond + `
		ORDER BY b.bead_id`
}

// notBlocked: no `blocks` edge from the MR to a non-terminal bead.
const notBlocked = `NOT EXISTS (SELECT 1 FROM bead_dependencies d INNER JOIN beads y ON y.bead_id = d.depends_on_bead_id
	WHERE d.bead_id = b.bead_id AND d.dependency_type = 'blocks' AND y.status NOT IN ('closed', 'failed'))`

// The beads a working or stalled agent is hooked to, any agent is hooked
// to, and the reviews with a PR URL.
const (
	workingOn = `SELECT current_hook_bead_id FROM agent_metadata WHERE current_hook_bead_id IS NOT NULL AND status IN ('working', 'stalled')`
	anyHooked = `SELECT current_hook_bead_id FROM agent_metadata WHERE current_hook_bead_id IS NOT NULL`
	// withPR reads the live merge requests only: review rows outlive
	// their MR, and a terminal MR is no rule's candidate.
	withPR = `SELECT r.bead_id FROM beads b INNER JOIN review_metadata r ON r.bead_id = b.bead_id
		WHERE b.type = 'merge_request' AND b.status IN ('open', 'in_progress', 'in_review') AND coalesce(r.pr_url, '') != ''`
)

// timedRules is the table, from reconciler.md.
var timedRules = []timedRule{
	// AG-2: stalled more than 2.5 h (from stalled_at) → idle; paused while draining.
	{rule: "AG-2", after: 150 * time.Minute, paused: true, upper: true, agent: true,
		query: `SELECT bead_id || char(31) || stalled_at || char(31) || status || '|' || coalesce(current_hook_bead_id, '') || char(31) || ''
			FROM agent_metadata WHERE status = 'stalled' AND coalesce(stalled_at, '') != '' ORDER BY bead_id`},
	// AG-3: at the attempt cap and no activity for 30 min → reset (also while draining).
	{rule: "AG-3", after: 30 * time.Minute, upper: true, agent: true,
		query: `SELECT bead_id || char(31) || last_activity_at || char(31) || status || '|' || dispatch_attempts || char(31) || ''
			FROM agent_metadata WHERE dispatch_attempts >= ? AND coalesce(last_activity_at, '') != '' ORDER BY bead_id`},
	// BD-3: an in-progress issue untouched for 5 min with nobody hooked → reset or fail.
	{rule: "BD-3", after: 5 * time.Minute, upper: true, never: workingOn,
		query: `SELECT b.bead_id || char(31) || b.updated_at || char(31) || b.status || char(31) || ''
			FROM beads b WHERE b.type = 'issue' AND b.status = 'in_progress' AND coalesce(b.updated_at, '') != ''
			  AND NOT EXISTS (SELECT 1 FROM agent_metadata a WHERE a.current_hook_bead_id = b.bead_id)
			ORDER BY b.bead_id`},
	// BD-4: an in-review issue untouched for 5 min whose merge requests are all terminal → close or reopen.
	{rule: "BD-4", after: 5 * time.Minute, upper: true,
		query: `SELECT b.bead_id || char(31) || b.updated_at || char(31) || b.status || '|' ||
				(SELECT group_concat(m.bead_id || ':' || m.status) FROM bead_dependencies d INNER JOIN beads m ON m.bead_id = d.bead_id
				 WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND m.type = 'merge_request') || char(31) || ''
			FROM beads b WHERE b.type = 'issue' AND b.status = 'in_review' AND coalesce(b.updated_at, '') != ''
			  AND EXISTS (SELECT 1 FROM bead_dependencies d INNER JOIN beads m ON m.bead_id = d.bead_id
				WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND m.type = 'merge_request')
			  AND NOT EXISTS (SELECT 1 FROM bead_dependencies d INNER JOIN beads m ON m.bead_id = d.bead_id
				WHERE d.depends_on_bead_id = b.bead_id AND d.dependency_type = 'tracks' AND m.type = 'merge_request'
				  AND m.status NOT IN ('closed', 'failed'))
			ORDER BY b.bead_id`},
	// RQ-2: a PR-less review untouched for 30 min, not blocked, no working or stalled agent on it → reopen.
	{rule: "RQ-2", after: 30 * time.Minute, upper: true, never: workingOn + " UNION " + withPR,
		query: mrRows(`coalesce(r.pr_url, '') = '' AND ` + notBlocked + `
			AND NOT EXISTS (SELECT 1 FROM agent_metadata a WHERE a.current_hook_bead_id = b.bead_id AND a.status IN ('working', 'stalled'))`)},
	// RQ-3: a PR-less review untouched for 2 min, not blocked, nobody hooked → reopen.
	{rule: "RQ-3", after: 2 * time.Minute, upper: true, never: anyHooked + " UNION " + withPR,
		query: mrRows(`coalesce(r.pr_url, '') = '' AND ` + notBlocked + `
			AND NOT EXISTS (SELECT 1 FROM agent_metadata a WHERE a.current_hook_bead_id = b.bead_id)`)},
	// RQ-4: a PR-backed review untouched for 30 min → failed (its other
	// conditions, code review and approval, are not restated: lower edge only).
	{rule: "RQ-4", after: 30 * time.Minute, never: workingOn,
		query: mrRows(`coalesce(r.pr_url, '') != '' AND coalesce(b.rig_id, '') != ''`)},
	// GUPP's tiers: silence past 2 h → force stop (every tick), past 1 h →
	// escalate, past 15 min with no tool running → warn; the last two at
	// most once an hour; all paused while draining.
	{rule: "GUPP-force-stop", after: 2 * time.Hour, paused: true, upper: true, agent: true,
		query: guppRows, nudges: "reconciler:force-stop", eligible: guppEligible},
	{rule: "GUPP-escalate", after: time.Hour, until: 2 * time.Hour, dedupe: time.Hour, paused: true, upper: true, agent: true,
		query: guppRows, nudges: "reconciler:escalate", eligible: guppEligible},
	{rule: "GUPP-warn", after: 15 * time.Minute, until: time.Hour, dedupe: time.Hour, paused: true, upper: true, agent: true,
		query: guppRows, nudges: "reconciler:warn", eligible: guppWarnEligible},
}

// timedRuleProp judges both edges of every timed rule of the table: the
// rule's action never names a row before its threshold has passed since
// the row's stamp (as the previous tick's end showed it, for a bead rule also
// when the bead was no candidate then: a later stamp
// only shortens the age the reconcile saw), nor within its dedupe window
// of its last nudge; and when a row met the rule's whole condition at the
// end of the previous tick and still does unchanged at this tick's end,
// with the threshold passed at this tick's start, this tick's reconcile
// names it. The upper edge is not judged on a tick that threw, ran no
// reconcile, failed in the reconcile, saw a fault of the Town's code or
// (for a paused rule) reconciled while draining. It reads rows: agents'
// status, role, hook, stamps, attempts and tools, issues' and merge
// requests' status and update time, tracks and blocks edges, review PR
// URLs, the latest reconciler nudges; the tick's actions; tick times; the
// drain flag the reconcile saw; fault times.
type timedRuleProp struct {
	prev []map[string]timerRow
	kept []map[string]bool // the never lists at the previous tick's end
	// beads: the update time of every bead in progress or in review at
	// the previous tick's end (the bead rules' stamp, candidate or not)
	beads map[string]string
	acted map[string]bool // rule + entity → named by this tick's actions
	// nudged: the latest created_at of the nudges to an agent from a
	// source (agent \x1f source), read incrementally: nudge rows are
	// only ever inserted, and their created_at never changes
	nudged    map[string]string
	nudgeMark int64               // the highest agent_nudges rowid read into nudged
	lines     map[string][]string // this tick's query results, by query
	lower     int                 // actions judged against their threshold
	upperN    int                 // rows past their threshold judged for an action
}

func (p *timedRuleProp) action(c *checker, a reconciler.Action, t *tickView) {
	if p.acted == nil {
		p.acted = map[string]bool{}
	}
	id := a.BeadID
	if a.AgentID != "" && (strings.HasPrefix(a.Rule, "AG-") || strings.HasPrefix(a.Rule, "GUPP")) {
		id = a.AgentID
	}
	p.acted[a.Rule+" "+id] = true
}

func parseStamp(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func (p *timedRuleProp) rows(c *checker, t *tickView, r timedRule) map[string]timerRow {
	lines, ok := p.lines[r.query]
	if !ok {
		var args []any
		if strings.Contains(r.query, "?") {
			args = append(args, t.w.Town().Knobs().MaxDispatchAttempts)
		}
		lines, _ = t.db.Strings(r.query, args...)
		p.lines[r.query] = lines
	}
	out := make(map[string]timerRow, len(lines))
	for _, l := range lines {
		f := strings.Split(l, "\x1f")
		if len(f) != 4 {
			continue
		}
		if r.nudges != "" {
			f[3] = p.nudged[f[0]+"\x1f"+r.nudges]
		}
		out[f[0]] = timerRow{f[0], f[1], f[2], f[3]}
	}
	return out
}

// readNudges folds the nudges inserted since the last read into nudged.
func (p *timedRuleProp) readNudges(c *checker, t *tickView) {
	if p.nudged == nil {
		p.nudged = map[string]string{}
	}
	rows, err := t.db.Query(`SELECT rowid, agent_bead_id, source, created_at FROM agent_nudges WHERE rowid > ? ORDER BY rowid`, p.nudgeMark)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var agent, source, at string
		if rows.Scan(&id, &agent, &source, &at) != nil {
			continue
		}
		p.nudgeMark = max(p.nudgeMark, id)
		if k := agent + "\x1f" + source; at > p.nudged[k] {
			p.nudged[k] = at
		}
	}
}

func (p *timedRuleProp) tick(c *checker, t *tickView) {
	acted := p.acted
	p.acted = nil
	if p.prev == nil {
		p.prev = make([]map[string]timerRow, len(timedRules))
		p.kept = make([]map[string]bool, len(timedRules))
	}
	judgeUpper := t.res != nil && t.res.Ran && !c.faultNear(c.tickStart, c.now, codeFaultKinds()...)
	if t.res != nil {
		for _, l := range t.res.Logs {
			if strings.HasPrefix(l, "T9") {
				judgeUpper = false
			}
		}
	}
	beadsBefore, beads := p.beads, map[string]string{}
	if lines, err := t.db.Strings(`SELECT bead_id || char(31) || updated_at FROM beads
		WHERE status IN ('in_progress', 'in_review') AND coalesce(updated_at, '') != ''`); err == nil {
		for _, l := range lines {
			if id, at, ok := strings.Cut(l, "\x1f"); ok {
				beads[id] = at
			}
		}
	}
	p.beads = beads
	p.readNudges(c, t)
	p.lines = map[string][]string{}
	actedKeys := slices.Sorted(maps.Keys(acted)) // in key order: the same violation first on every run
	for i, r := range timedRules {
		cur := p.rows(c, t, r)
		prev := p.prev[i]
		p.prev[i] = cur
		var keptBefore, kept map[string]bool
		if r.never != "" {
			keptBefore, kept = p.kept[i], map[string]bool{}
			ids, _ := t.db.Strings(r.never)
			for _, id := range ids {
				kept[id] = true
			}
			p.kept[i] = kept
		}
		// lower edge: every action of the rule on a row the previous tick showed
		for _, key := range actedKeys {
			id, ok := strings.CutPrefix(key, r.rule+" ")
			if !ok {
				continue
			}
			if keptBefore[id] && kept[id] {
				p.lower++
				c.violation(PropTimedRuleEdges, r.rule+" "+id, "%s acted on %s while a condition it does not change kept the row out of the rule across the tick (an agent at work on it, any agent hooked, or a PR)",
					r.rule, short(id))
				continue
			}
			old, ok := prev[id]
			if !ok && !r.agent && beadsBefore[id] != "" {
				old, ok = timerRow{id: id, stamp: beadsBefore[id]}, true // not a candidate then: its stamp still bounds the age
			}
			if !ok {
				continue
			}
			s, ok := parseStamp(old.stamp)
			if !ok {
				continue
			}
			p.lower++
			if age := c.now.Sub(s); age < r.after-timerSlack {
				c.violation(PropTimedRuleEdges, r.rule+" "+id, "%s acted on %s only %s after its stamp %s (the rule waits %s)",
					r.rule, short(id), age.Truncate(time.Second), old.stamp, r.after)
			}
			if e, ok := parseStamp(old.extra); ok && r.dedupe > 0 && c.now.Sub(e) < r.dedupe-timerSlack {
				c.violation(PropTimedRuleEdges, r.rule+" "+id, "%s acted on %s again %s after its previous nudge at %s (at most once in %s)",
					r.rule, short(id), c.now.Sub(e).Truncate(time.Second), old.extra, r.dedupe)
			}
		}
		if !r.upper || !judgeUpper || (r.paused && t.res.Draining) {
			continue
		}
		start := t.rec.At
		for _, id := range slices.Sorted(maps.Keys(prev)) {
			row := prev[id]
			named := acted[r.rule+" "+id]
			if now, ok := cur[id]; !named && (!ok || now != row) {
				continue // the condition was not seen to hold across the tick
			}
			s, ok := parseStamp(row.stamp)
			if !ok || start.Sub(s) <= r.after+timerSlack {
				continue
			}
			if r.until > 0 && c.now.Sub(s) >= r.until-timerSlack {
				continue
			}
			if e, ok := parseStamp(row.extra); ok && r.dedupe > 0 && start.Sub(e) <= r.dedupe+timerSlack {
				continue
			}
			if r.eligible != nil && !(r.eligible(row, start) && r.eligible(row, c.now)) {
				continue
			}
			p.upperN++
			if !named {
				c.violation(PropTimedRuleEdges, r.rule+" "+id, "%s did not act on %s although its condition held across the tick and %s had passed since its stamp %s (the rule waits %s)",
					r.rule, short(id), start.Sub(s).Truncate(time.Second), row.stamp, r.after)
			}
		}
	}
}

func (p *timedRuleProp) unjudged(*checker) string {
	if p.lower+p.upperN == 0 {
		return "no timed rule acted on a row seen before, and no row met a timed rule's condition past its threshold"
	}
	return ""
}

// codeFaultKinds are the fault kinds of the Town's own code.
func codeFaultKinds() []string {
	var kinds []string
	for _, k := range sim.FaultKinds() {
		if k.Side == sim.SideCode || k.Name == sim.FaultTownRestart {
			kinds = append(kinds, k.Name)
		}
	}
	return kinds
}

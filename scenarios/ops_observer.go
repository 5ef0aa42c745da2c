package scenarios

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/townsim/townsim/model"
)

// opWatcher is a property that judges the record one operation of the
// Town writes: it sees each event the drain applies (the agent's gt_done,
// its exit report, ...) with the rows just before and just after that one
// application, so that the reconcile pass of the same tick cannot blur
// what the operation itself wrote.
type opWatcher interface {
	op(c *checker, o *opView)
}

// opView is one application of a town event: the event (the world's call
// and its arguments, as queued), the time, and the Town's rows read just
// before and just after it, through the database's unmetered snapshot (an
// observer's read: the run is the run without it).
type opView struct {
	ev            model.TownEvent
	now           time.Time
	before, after *opRows
}

// opRows is the part of a snapshot the operation-record properties read.
type opRows struct {
	beads   map[string]opRow // bead_id → row
	agents  map[string]opRow // agent bead_id → agent_metadata row
	reviews map[string]opRow // MR bead_id → review_metadata row
	tracks  map[string][]string
	events  []opRow // bead_events, in rowid order
	maxEvt  int64   // the highest bead_events rowid
}

// opRow is one row by column name; NULL is absent from it.
type opRow map[string]string

func (r opRow) has(col string) bool { _, ok := r[col]; return ok }

// meta is the row's metadata object's string member name ("" if none).
func (r opRow) meta(name string) string {
	var m map[string]any
	if json.Unmarshal([]byte(r["metadata"]), &m) != nil {
		return ""
	}
	switch v := m[name].(type) {
	case string:
		return v
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

func (r opRow) hasLabel(l string) bool {
	var ls []string
	if json.Unmarshal([]byte(r["labels"]), &ls) != nil {
		return false
	}
	return slices.Contains(ls, l)
}

// opTables are the tables readOpRows reads whole, with the rows it keeps.
var opTables = []struct{ name, query string }{
	{"beads", `SELECT rowid, * FROM beads`},
	{"agent_metadata", `SELECT rowid, * FROM agent_metadata`},
	{"review_metadata", `SELECT rowid, * FROM review_metadata`},
	{"bead_dependencies", `SELECT rowid, * FROM bead_dependencies WHERE dependency_type = 'tracks'`},
}

// readOpRows reads the rows the properties need, through the database's
// unmetered observer reads. bead_events grows with the whole run, so it
// reads only the rows above since (the rowid mark of the read before the
// operation; -1 reads none, only the mark).
func readOpRows(db *model.DB, since int64) (*opRows, error) {
	return readOpTables(db, since, opTables)
}

// opLightTables are the tables readLightOpRows reads: the agents whole,
// the beads' key columns only.
var opLightTables = []struct{ name, query string }{
	{"beads", `SELECT rowid, bead_id, type, status, rig_id, dispatch_attempts, last_dispatch_attempt_at FROM beads`},
	{"agent_metadata", `SELECT rowid, * FROM agent_metadata`},
	{"review_metadata", `SELECT rowid, bead_id, retry_count FROM review_metadata`},
}

// readLightOpRows reads the agents, the beads' id, type, status, rig and
// dispatch counter and stamp, the review rows' retry_count, and the
// bead_events mark (no events), unmetered: what the properties on
// agents' hooks and counters read around an operation.
func readLightOpRows(db *model.DB) (*opRows, error) {
	return readOpTables(db, -1, opLightTables)
}

func readOpTables(db *model.DB, since int64, tables []struct{ name, query string }) (*opRows, error) {
	out := &opRows{beads: map[string]opRow{}, agents: map[string]opRow{}, reviews: map[string]opRow{}, tracks: map[string][]string{}}
	for _, t := range tables {
		tr, err := db.ObserveRows(t.query)
		if err != nil {
			return nil, err
		}
		for _, r := range opRowsOf(tr) {
			switch t.name {
			case "beads":
				out.beads[r["bead_id"]] = r
			case "agent_metadata":
				out.agents[r["bead_id"]] = r
			case "review_metadata":
				out.reviews[r["bead_id"]] = r
			case "bead_dependencies":
				out.tracks[r["depends_on_bead_id"]] = append(out.tracks[r["depends_on_bead_id"]], r["bead_id"])
			}
		}
	}
	mark, err := db.ObserveRows(`SELECT coalesce(max(rowid), 0) FROM bead_events`)
	if err != nil {
		return nil, err
	}
	if len(mark.Rows) == 1 {
		out.maxEvt, _ = mark.Rows[0][0].(int64)
	}
	if since >= 0 {
		tr, err := db.ObserveRows(`SELECT rowid, * FROM bead_events WHERE rowid > ? ORDER BY rowid`, since)
		if err != nil {
			return nil, err
		}
		out.events = opRowsOf(tr)
	}
	return out, nil
}

// opRowsOf turns observed rows into opRows by column name; a query's
// first column, rowid, is named so.
func opRowsOf(tr model.TableRows) []opRow {
	out := make([]opRow, 0, len(tr.Rows))
	for _, vals := range tr.Rows {
		r := make(opRow, len(tr.Columns))
		for i, col := range tr.Columns {
			if i == 0 {
				col = "rowid"
			}
			switch v := vals[i].(type) {
			case nil:
			case []byte:
				r[col] = string(v)
			case string:
				r[col] = v
			case int64:
				r[col] = strconv.FormatInt(v, 10)
			default:
				r[col] = fmt.Sprint(v)
			}
		}
		out = append(out, r)
	}
	return out
}

// newEvents are the bead_events rows after has that before had not.
func (o *opView) newEvents() []opRow {
	var out []opRow
	for _, e := range o.after.events {
		var id int64
		fmt.Sscan(e["rowid"], &id)
		if id > o.before.maxEvt {
			out = append(out, e)
		}
	}
	return out
}

// event reports whether the operation wrote a bead event of typ on bead
// (and, when newValue is not "-", with that new_value).
func (o *opView) event(bead, typ, newValue string) bool {
	for _, e := range o.newEvents() {
		if e["bead_id"] == bead && e["event_type"] == typ && (newValue == "-" || e["new_value"] == newValue) {
			return true
		}
	}
	return false
}

// newBeads are the beads of typ after that were not there before, by id.
func (o *opView) newBeads(typ string) []opRow {
	var out []opRow
	for _, id := range slices.Sorted(mapKeys(o.after.beads)) {
		if b := o.after.beads[id]; b["type"] == typ {
			if _, old := o.before.beads[id]; !old {
				out = append(out, b)
			}
		}
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// opObserver is the checker's observer of the drain (model.EventObserver):
// it reads the rows around each event some property judges and hands
// both to the opWatcher properties. next is the run's own observer
// (differential mode), called first.
type opObserver struct {
	c      *checker
	next   model.EventObserver
	before *opRows
	types  map[string]bool
}

// watchedEvents are the town events whose application a property judges.
var watchedEvents = map[string]bool{model.EventAgentDone: true, model.EventAgentCompleted: true, model.EventPRStatusChanged: true,
	model.EventContainerStatus: true}

// lightEvents are the watched events whose judges read only the agents
// with their hooked bead's status (readAgentOpRows): the frequent
// container_status is one.
var lightEvents = map[string]bool{model.EventContainerStatus: true}

// opAgentTables are what readAgentOpRows reads: every agent row with its
// hooked bead's status as hook_status.
var opAgentTables = []struct{ name, query string }{
	{"agent_metadata", `SELECT a.rowid, a.*, hb.status AS hook_status FROM agent_metadata a
		LEFT JOIN beads hb ON hb.bead_id = a.current_hook_bead_id`},
}

// readAgentOpRows reads the agents, each with its hooked bead's status
// (hook_status), unmetered; no beads, no bead_events.
func readAgentOpRows(db *model.DB) (*opRows, error) {
	return readOpTables(db, -1, opAgentTables)
}

func (o *opObserver) BeforeEvent(t *model.Town, now time.Time, ev model.TownEvent, cfg *model.TownConfig) {
	if o.next != nil {
		o.next.BeforeEvent(t, now, ev, cfg)
	}
	o.before = nil
	if !watchedEvents[ev.Type] {
		return
	}
	read := func() (*opRows, error) { return readOpRows(t.DB(), -1) }
	if lightEvents[ev.Type] {
		read = func() (*opRows, error) { return readAgentOpRows(t.DB()) }
	}
	if rows, err := read(); err == nil {
		o.before = rows
	}
}

func (o *opObserver) AfterEvent(t *model.Town, now time.Time, ev model.TownEvent, err error) {
	if o.before != nil && err == nil {
		read := func() (*opRows, error) { return readOpRows(t.DB(), o.before.maxEvt) }
		if lightEvents[ev.Type] {
			read = func() (*opRows, error) { return readAgentOpRows(t.DB()) }
		}
		if after, rerr := read(); rerr == nil {
			v := &opView{ev: ev, now: now, before: o.before, after: after}
			for _, p := range o.c.props {
				if h, ok := p.(opWatcher); ok {
					h.op(o.c, v)
				}
			}
		}
	}
	o.before = nil
	if o.next != nil {
		o.next.AfterEvent(t, now, ev, err)
	}
}

// opViolation records a violation of prop at the operation's time.
func (c *checker) opViolation(o *opView, prop, entity, format string, args ...any) {
	c.add(Violation{Property: prop, At: o.now, Tick: c.ticks + 1, Entity: entity, Detail: fmt.Sprintf(format, args...)})
}

package scenarios

import (
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/townsim/townsim/model"
)

// PropContainerStatusQueued names what the alarm's container observation
// leaves in the town_events queue.
const PropContainerStatusQueued = "safety/container-status-queued"

// containerObservation is one answer of the container to T4's status
// check of an agent, with what the agent's queue held as it arrived.
type containerObservation struct {
	agent, status, exit string
	at                  time.Time
	// bump is the agent's newest pending container_status event when it
	// already carried this status (the spec moves that event, "" = a new
	// event is due); bumpPayload its stored payload.
	bump, bumpPayload string
	// before holds the ids of the agent's pending container_status events
	// as the answer arrived; mark the table's highest rowid then.
	before map[string]bool
	mark   int64
}

// containerStatusQueuedProp: every answer other than running to the
// alarm's container status check (T4) is recorded in the town_events
// queue as the spec's upsert says (model.md §5.2, reconciler.md T4): when
// the agent's newest pending container_status event already carries that
// status, that same event moves to the answer's time with its payload
// unchanged and no event is added; otherwise one new event is added at
// that time with payload {status} and exit_reason exactly when the
// container gave one. So an agent never gains a second pending event for
// a status it already has queued, and the status queued last is the
// newest one. The status is mapped from the answer by the spec's table
// (an error or timeout is unknown, 404 not_found, another non-2xx or a
// 2xx without a status unknown). The agent's queue is read as each answer
// arrives (before the alarm resumes); the rows at the answer's time are
// judged when the tick ends (drained or not). The mayor's own RPC status
// checks (which name its role) are not T4's; an agent whose rows are gone
// at the tick's end (deleted since) is not judged, nor an answer that
// finds two newest pending events at the same millisecond.
type containerStatusQueuedProp struct {
	obs    []containerObservation
	judged int
}

// observedContainerStatus maps a status answer as the spec's table does.
func observedContainerStatus(r model.Result) (status, exit string) {
	switch {
	case r.Err != "":
		return "unknown", ""
	case r.StatusCode == 404:
		return "not_found", ""
	case r.StatusCode < 200 || r.StatusCode >= 300 || r.Status == "":
		return "unknown", ""
	}
	return r.Status, r.ExitReason
}

// queuedStatusRow is one container_status row of the queue.
type queuedStatusRow struct {
	id, status, payload, created string
	pending                      bool
}

// queuedStatusSelect reads container_status rows: the status only when
// the payload holds a JSON string.
const queuedStatusSelect = `SELECT event_id, CASE WHEN json_valid(payload) AND json_type(payload, '$.status') = 'text'
		THEN json_extract(payload, '$.status') ELSE '' END, payload, created_at, processed_at IS NULL
	FROM town_events `

// queuedStatusRows runs queuedStatusSelect with the rest of the query
// (from the index hint or WHERE on) and its arguments.
func queuedStatusRows(c *checker, db *model.DB, rest string, args ...any) []queuedStatusRow {
	rows, err := db.Query(queuedStatusSelect+rest, args...)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return nil
	}
	defer rows.Close()
	var out []queuedStatusRow
	for rows.Next() {
		var r queuedStatusRow
		var status sql.NullString
		if err := rows.Scan(&r.id, &status, &r.payload, &r.created, &r.pending); err == nil {
			r.status = status.String
			out = append(out, r)
		}
	}
	return out
}

// The queue keeps processed events for a week, so the property never
// scans an agent's whole history: as an answer arrives it reads the
// agent's pending events (through the pending-events index) and the
// table's highest rowid; at the tick's end it reads the rows added since
// (rowids above that mark) and the pending rows it saw, by id. A row the
// upsert added has a rowid above the mark (SQLite gives a new row the
// highest rowid plus one), so "new" needs no list of every earlier id.

func (p *containerStatusQueuedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallAgentStatus || call.Role != "" || c.world == nil {
		return
	}
	status, exit := observedContainerStatus(r)
	if status == "running" {
		return
	}
	o := containerObservation{agent: call.AgentID, status: status, exit: exit, at: now, before: map[string]bool{}}
	db := c.world.Town().DB()
	if err := db.QueryRow(`SELECT COALESCE(max(rowid), 0) FROM town_events`, nil, &o.mark); err != nil {
		c.violation("check/query", "", "%v", err)
		return
	}
	newest := queuedStatusRows(c, db, `INDEXED BY idx_town_events_pending
		WHERE processed_at IS NULL AND event_type = 'container_status' AND agent_id = ?
		ORDER BY created_at DESC, rowid DESC`, call.AgentID)
	for _, row := range newest {
		o.before[row.id] = true
	}
	if len(newest) > 1 && newest[0].created == newest[1].created {
		return // which one production picks is not defined
	}
	if len(newest) > 0 && newest[0].status == status {
		o.bump, o.bumpPayload = newest[0].id, newest[0].payload
	}
	p.obs = append(p.obs, o)
}

func (p *containerStatusQueuedProp) tick(c *checker, t *tickView) {
	for _, o := range p.obs {
		p.judge(c, t.db, o)
	}
	p.obs = p.obs[:0]
}

func (p *containerStatusQueuedProp) judge(c *checker, db *model.DB, o containerObservation) {
	at := model.ISO(o.at)
	rows := queuedStatusRows(c, db, `WHERE rowid > ? AND event_type = 'container_status' AND agent_id = ? AND created_at = ?`,
		o.mark, o.agent, at)
	for _, id := range slices.Sorted(maps.Keys(o.before)) {
		rows = append(rows, queuedStatusRows(c, db, `WHERE event_id = ? AND created_at = ?`, id, at)...)
	}
	if len(rows) == 0 && len(c.pairs(db, `SELECT bead_id, '' FROM agent_metadata WHERE bead_id = ?`, o.agent)) == 0 {
		return // the agent and its events were deleted since
	}
	p.judged++
	if o.bump != "" {
		if len(rows) != 1 || rows[0].id != o.bump || rows[0].payload != o.bumpPayload {
			c.violation(PropContainerStatusQueued, o.agent, "the container answered %s for agent %s at %s while its pending event %s already carried it: want that event moved to %s, payload unchanged, and no new one; the queue holds %s",
				o.status, short(o.agent), o.at.Format(time.RFC3339), short(o.bump), at, describeStatusRows(rows))
		}
		return
	}
	want := map[string]any{"status": o.status}
	if o.exit != "" {
		want["exit_reason"] = o.exit
	}
	ok := len(rows) == 1 && !o.before[rows[0].id]
	if ok {
		var got map[string]any
		ok = json.Unmarshal([]byte(rows[0].payload), &got) == nil && maps.EqualFunc(got, want, func(a, b any) bool { return a == b })
	}
	if !ok {
		c.violation(PropContainerStatusQueued, o.agent, "the container answered %s (exit reason %q) for agent %s at %s with no pending event of that status newest: want one new event at %s with payload %s; the queue holds %s",
			o.status, o.exit, short(o.agent), o.at.Format(time.RFC3339), at, model.MustJSON(want), describeStatusRows(rows))
	}
}

// describeStatusRows lists rows for a violation's detail.
func describeStatusRows(rows []queuedStatusRow) string {
	if len(rows) == 0 {
		return "no container_status event at that time"
	}
	var out []string
	for _, r := range rows {
		out = append(out, short(r.id)+" "+r.payload)
	}
	slices.Sort(out)
	return model.MustJSON(out)
}

func (p *containerStatusQueuedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "the container never answered a status check with anything but running"
	}
	return ""
}

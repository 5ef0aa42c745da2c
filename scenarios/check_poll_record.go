package scenarios

import (
	"database/sql"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/model/reconciler"
)

// PropPollRecord names pollRecordProp.
const PropPollRecord = "safety/pr-poll-record"

// pollRecordProp: what one PR status poll writes on its merge request,
// and on nothing else (reconciler.md §3.3). The poll is RQ-1's poll_pr
// action of the tick; its answer is the first status answer the world
// gave for the MR's PR URL in that tick (auto-resolve's re-check comes
// after the feedback call). From the MR's record at the previous read
// and that answer alone, its record at the tick's end is:
//
//   - a thrown call: unchanged;
//   - an ok answer: no error kind, both error counts 0; an open GitHub PR
//     whose mergeable state is dirty carries the conflict mark
//     (has_conflicts 1) with the detection time of the episode — kept if
//     it was marked, this answer's time if not; clean, blocked or
//     has_hooks removes the mark and its time; any other state (unknown,
//     unstable, a GitLab MR, a merged or closed PR) leaves them alone;
//   - an error answer: its kind (an unparsable body is invalid_response);
//     a transient HTTP status (5xx, 429) adds one to the transient count
//     and zeroes the invalid count, an invalid answer the other way round,
//     a final HTTP status changes neither; the mark is left alone.
//
// A merge request not polled in the tick keeps its error kind, counts and
// mark, and a conflict mark on any other bead (a feedback bead the drain
// marked, §5.5 pr_conflict_detected) is never removed or changed while
// the bead exists: only its own MR's poll clears an MR's mark. Not judged
// for an MR whose poll had no status answer (no token, a URL the Town
// cannot poll), for a PR URL two MRs polled in the same tick, and on a
// tick that threw or near a fault of the Town's own code. Rows are read
// only on ticks with a poll (one query: merge requests and marked beads).
// It reads the tick's poll_pr actions, the world's status answers, and
// rows: beads' has_conflicts and conflicts_detected_at, MRs'
// poll_error_kind and poll counts.
type pollRecordProp struct {
	prev    map[string]pollRow // bead → its record at the last read
	answers map[string]pollAnswer
	polled  map[string][]string // PR URL → MRs polled this tick
	faults  []string
	judged  int
}

// pollAnswer is the first status answer of a tick for one PR URL.
type pollAnswer struct {
	r  model.Result
	at time.Time
}

// pollRow is one bead's poll record ("" = absent).
type pollRow struct {
	typ, mark, markAt, kind, transient, invalid string
}

func (p *pollRecordProp) call(_ *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallPRStatus {
		return
	}
	if p.answers == nil {
		p.answers = map[string]pollAnswer{}
	}
	if _, ok := p.answers[call.URL]; !ok {
		p.answers[call.URL] = pollAnswer{r: r, at: now}
	}
}

func (p *pollRecordProp) action(_ *checker, a reconciler.Action, _ *tickView) {
	if a.Type != reconciler.PollPR {
		return
	}
	if p.polled == nil {
		p.polled = map[string][]string{}
	}
	p.polled[a.PRURL] = append(p.polled[a.PRURL], a.BeadID)
}

func (p *pollRecordProp) tick(c *checker, t *tickView) {
	defer func() { p.answers, p.polled = nil, nil }()
	if p.faults == nil {
		p.faults = townFaultKinds()
	}
	excused := t.res == nil || c.faultNear(c.tickStart.Add(-time.Second), c.now, p.faults...)
	if len(p.polled) == 0 && !excused && p.prev != nil {
		return // nothing but a poll writes these records
	}
	cur, ok := p.read(c, t.db)
	if !ok {
		return
	}
	prev := p.prev
	p.prev = cur
	if excused || prev == nil {
		return
	}
	polledMR := map[string]string{} // MR → its URL, when judged
	skip := map[string]bool{}
	for url, mrs := range p.polled {
		for _, mr := range mrs {
			skip[mr] = true
		}
		if _, ok := p.answers[url]; ok && len(mrs) == 1 {
			polledMR[mrs[0]] = url
		}
	}
	for _, id := range slices.Sorted(maps.Keys(prev)) {
		was := prev[id]
		now, there := cur[id]
		if !there {
			if !p.exists(t.db, id) {
				continue
			}
			now = pollRow{typ: was.typ, transient: "0", invalid: "0"}
		}
		if was.typ != model.TypeMergeRequest {
			if now.mark != was.mark {
				c.violation(PropPollRecord, id, "the conflict mark of %s bead %s changed from %q to %q although only its own "+
					"merge request's poll clears a merge request's mark, and nothing clears a fix bead's", was.typ, short(id), was.mark, now.mark)
			}
			continue
		}
		if skip[id] {
			continue
		}
		if now != was {
			c.violation(PropPollRecord, id, "merge request %s was not polled in this tick but its poll record changed from %s to %s",
				short(id), was.show(), now.show())
		}
	}
	for _, id := range slices.Sorted(maps.Keys(polledMR)) {
		url := polledMR[id]
		was, ok := prev[id]
		if !ok {
			was = pollRow{typ: model.TypeMergeRequest, transient: "0", invalid: "0"}
		}
		now, there := cur[id]
		if !there {
			continue
		}
		a := p.answers[url]
		want := pollWrites(was, url, a.r, a.at)
		p.judged++
		if now != want {
			c.violation(PropPollRecord, id, "after the status answer %s for %s at %s, merge request %s records %s; the poll writes %s (before it: %s)",
				describeStatusAnswer(a.r), url, a.at.Format(time.RFC3339), short(id), now.show(), want.show(), was.show())
		}
	}
}

// pollWrites is the record one status answer leaves on its MR, from the
// record before it (reconciler.md §3.3).
func pollWrites(was pollRow, url string, r model.Result, at time.Time) pollRow {
	w := was
	if r.Err != "" {
		return w
	}
	if r.PR.OK {
		w.kind, w.transient, w.invalid = "", "0", "0"
		if r.PR.State == "open" && pollGitHubPR.MatchString(url) {
			switch r.PR.MergeableState {
			case "dirty":
				if w.mark != "1" {
					w.mark, w.markAt = "1", model.ISO(at)
				}
			case "clean", "blocked", "has_hooks":
				w.mark, w.markAt = "", ""
			}
		}
		return w
	}
	w.kind = r.PR.ErrKind
	if w.kind == "" {
		w.kind = "invalid_response"
	}
	switch answerClass(r.PR) {
	case "transient":
		w.transient, w.invalid = strconv.Itoa(atoi(was.transient)+1), "0"
	case "invalid":
		w.invalid, w.transient = strconv.Itoa(atoi(was.invalid)+1), "0"
	}
	return w
}

func atoi(s string) int { n, _ := strconv.Atoi(s); return n }

func (r pollRow) show() string {
	return "{has_conflicts " + orNone(r.mark) + " at " + orNone(r.markAt) + ", poll_error_kind " + orNone(r.kind) +
		", transient " + r.transient + ", invalid " + r.invalid + "}"
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// describeStatusAnswer names a status answer.
func describeStatusAnswer(r model.Result) string {
	switch {
	case r.Err != "":
		return "thrown (" + r.Err + ")"
	case r.PR.OK && r.PR.State == "open":
		return "open, " + orNone(r.PR.MergeableState)
	case r.PR.OK:
		return r.PR.State
	case r.PR.ErrKind == "http_error":
		return "HTTP " + strconv.Itoa(r.PR.HTTPStatus)
	}
	return orNone(r.PR.ErrKind) + " " + r.PR.InvalidReason
}

// read reads every merge request's poll record and every marked bead's mark.
func (p *pollRecordProp) read(c *checker, db *model.DB) (map[string]pollRow, bool) {
	rows, err := db.Query(`SELECT bead_id, type,
			COALESCE(json_extract(metadata, '$.has_conflicts'), ''), COALESCE(json_extract(metadata, '$.conflicts_detected_at'), ''),
			COALESCE(json_extract(metadata, '$.poll_error_kind'), ''),
			COALESCE(json_extract(metadata, '$.poll_transient_count'), 0), COALESCE(json_extract(metadata, '$.poll_non_transient_count'), 0)
		FROM beads WHERE type = 'merge_request' OR json_extract(metadata, '$.has_conflicts') IS NOT NULL`)
	if err != nil {
		c.violation("check/query", "", "%v", err)
		return nil, false
	}
	defer rows.Close()
	out := map[string]pollRow{}
	for rows.Next() {
		var id string
		var r pollRow
		var v [6]sql.NullString
		if err := rows.Scan(&id, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]); err != nil {
			continue
		}
		r.typ, r.mark, r.markAt, r.kind, r.transient, r.invalid = v[0].String, v[1].String, v[2].String, v[3].String, v[4].String, v[5].String
		out[id] = r
	}
	return out, true
}

func (p *pollRecordProp) exists(db *model.DB, id string) bool {
	n, err := db.Int(`SELECT count(*) FROM beads WHERE bead_id = ?`, id)
	return err != nil || n > 0
}

func (p *pollRecordProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no merge request's poll was answered"
	}
	return ""
}

package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
	"github.com/townsim/townsim/sim"
)

// The wasteland reporter's properties (reconciler.md §2.7, WL).
const (
	PropWastelandReportFounded = "safety/wasteland-report-founded"
	PropWastelandClaimReported = "liveness/merged-wasteland-claim-reported"
)

// wastelandReportBound is how long a merged claim may wait for its report:
// WL runs on every reconcile (5 s) and re-emits until the claim is stamped.
const wastelandReportBound = 10 * time.Minute

// wastelandClaim is a wanted item's merge requests as the world tagged
// them (valid tags only), read with the checker's own SQL.
type wastelandClaim struct {
	mrs     int      // validly tagged MRs that still exist
	open    int      // of them, not closed or failed
	merged  []string // distinct PR URLs of the closed ones, sorted
	closed  int      // closed ones
	convoy  string   // the status of the one convoy that carries the item ("" when none)
	missing bool     // a tagged MR is gone, or several convoys carry the item: not judged
}

// isMerged is WL's intent: a claim is done when its merge requests all
// ended, at least one of them merged, and the convoy it was slung as (if
// any) closed: the convoy's tasks may all have merged into its feature
// branch while the branch itself has not landed.
func (w wastelandClaim) isMerged() bool {
	return w.mrs > 0 && w.open == 0 && w.closed > 0 && (w.convoy == "" || w.convoy == model.StatusClosed)
}

// readWastelandClaim reads the claim of item key from the world's valid
// tags written before `before` (zero: all) and the MRs' rows.
func readWastelandClaim(c *checker, db *model.DB, tags []sim.WastelandTag, key string, before time.Time) wastelandClaim {
	var w wastelandClaim
	seen := map[string]bool{}
	for _, t := range tags {
		if !t.Valid || t.WastelandID+"::"+t.ItemID != key || (!before.IsZero() && !t.At.Before(before)) || seen[t.MR] {
			continue
		}
		seen[t.MR] = true
		for _, pr := range c.pairs(db, `SELECT b.status, COALESCE(r.pr_url, '') FROM beads b
			LEFT JOIN review_metadata r ON r.bead_id = b.bead_id WHERE b.bead_id = ?`, t.MR) {
			w.mrs++
			switch pr[0] {
			case model.StatusClosed:
				w.closed++
				if pr[1] != "" && !slices.Contains(w.merged, pr[1]) {
					w.merged = append(w.merged, pr[1])
				}
			case model.StatusFailed:
			default:
				w.open++
			}
		}
	}
	if w.mrs < len(seen) {
		w.missing = true
	}
	wl, item, _ := strings.Cut(key, "::")
	switch st, _ := db.Strings(`SELECT status FROM beads WHERE type = 'convoy'
		AND json_extract(metadata, '$.wasteland.wasteland_id') = ? AND json_extract(metadata, '$.wasteland.item_id') = ?`, wl, item); len(st) {
	case 0:
	case 1:
		w.convoy = st[0]
	default:
		w.missing = true
	}
	slices.Sort(w.merged)
	return w
}

// evidenceURLs returns the URLs an evidence text names, sorted.
func evidenceURLs(evidence string) []string {
	var out []string
	for _, f := range strings.Fields(evidence) {
		if strings.HasPrefix(f, "http://") || strings.HasPrefix(f, "https://") {
			out = append(out, strings.TrimRight(f, ").,"))
		}
	}
	slices.Sort(out)
	return out
}

// wastelandReport is one successful markWantedItemDone call.
type wastelandReport struct {
	key, evidence string
	at, tickAt    time.Time
}

// wastelandFoundedProp: a wanted item is reported done to the wasteland
// service at most once, and only for a claim whose merge requests — those
// the users tagged with a valid origin — all ended with at least one
// merged; the evidence names each merged MR's PR exactly once (WL's
// intent, reconciler.md §2.7; production's origin schema decides what a
// valid tag is, and the world knows which tags it wrote valid). A tag
// written during the tick may or may not be seen by its reconcile: the
// claim is judged as of the tick's start and as of the call, and either
// may found the report.
type wastelandFoundedProp struct {
	done    map[string]int
	pending []wastelandReport
	judged  int
}

func (p *wastelandFoundedProp) call(c *checker, call model.Call, r model.Result, now time.Time) {
	if call.Kind != model.CallWastelandDone || r.Err != "" || !r.OK {
		return
	}
	p.pending = append(p.pending, wastelandReport{key: call.WastelandID + "::" + call.ItemID, evidence: call.Evidence, at: now})
}

func (p *wastelandFoundedProp) tick(c *checker, t *tickView) {
	if len(p.pending) == 0 {
		return
	}
	if p.done == nil {
		p.done = map[string]int{}
	}
	tags := t.w.WastelandTags()
	for _, rep := range p.pending {
		p.judged++
		p.done[rep.key]++
		if p.done[rep.key] > 1 {
			c.violation(PropWastelandReportFounded, rep.key, "wanted item %s reported done %d times", rep.key, p.done[rep.key])
			continue
		}
		var why string
		for _, before := range []time.Time{t.rec.At, rep.at.Add(time.Nanosecond)} {
			w := readWastelandClaim(c, t.db, tags, rep.key, before)
			switch got := evidenceURLs(rep.evidence); {
			case w.missing:
				why = ""
			case !w.isMerged():
				why = fmt.Sprintf("its validly tagged merge requests had not merged (%d tagged, %d not ended, %d merged)", w.mrs, w.open, w.closed)
				if w.convoy != "" && w.convoy != model.StatusClosed {
					why += " or its convoy was " + w.convoy + ", not closed"
				}
				continue
			case !slices.Equal(got, w.merged):
				why = "its evidence names the PRs " + strings.Join(got, " ") + " where the merged tagged MRs have " + strings.Join(w.merged, " ")
				continue
			default:
				why = ""
			}
			break
		}
		if why != "" {
			c.violation(PropWastelandReportFounded, rep.key, "wanted item %s reported done at %s but %s", rep.key, rep.at.Format(time.RFC3339), why)
		}
	}
	p.pending = p.pending[:0]
}

func (p *wastelandFoundedProp) unjudged(*checker) string {
	if p.judged == 0 {
		return "no wanted item was reported done"
	}
	return ""
}

// wastelandReportedProp: in a town with an owner, a wanted item whose
// validly tagged merge requests all ended with at least one merged is
// reported done to the wasteland service (a successful call) within
// wastelandReportBound and 10 ticks (WL runs on every reconcile until
// the claim is stamped, reconciler.md §2.7). A claim stops being merged
// when a new tagged MR opens: its clock restarts.
type wastelandReportedProp struct {
	since   map[string]time.Time
	ticks   map[string]int
	counted map[string]bool
	judged  int // claims seen merged or reported
}

func (p *wastelandReportedProp) tick(c *checker, t *tickView) {
	if !c.cfg.Town.Owner {
		return
	}
	p.judge(c, t, t.w.WastelandTags(), t.w.WastelandItemDone)
}

// judge is the tick's judgement over the world's tags and its service's
// done items.
func (p *wastelandReportedProp) judge(c *checker, t *tickView, tags []sim.WastelandTag, done func(wl, item string) bool) {
	if p.since == nil {
		p.since, p.ticks, p.counted = map[string]time.Time{}, map[string]int{}, map[string]bool{}
	}
	var keys []string
	for _, tg := range tags {
		if k := tg.WastelandID + "::" + tg.ItemID; tg.Valid && !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		wl, item, _ := strings.Cut(k, "::")
		if done(wl, item) {
			delete(p.since, k)
			p.count(k)
			continue
		}
		w := readWastelandClaim(c, t.db, tags, k, time.Time{})
		if w.missing || !w.isMerged() {
			delete(p.since, k)
			continue
		}
		p.count(k)
		if _, ok := p.since[k]; !ok {
			p.since[k], p.ticks[k] = t.rec.End, 0
		}
		p.ticks[k]++
		if c.now.Sub(p.since[k]) >= wastelandReportBound && p.ticks[k] >= 10 {
			c.violation(PropWastelandClaimReported, k, "wanted item %s merged (PRs %s) at %s and was not reported done within %s",
				k, strings.Join(w.merged, " "), p.since[k].Format(time.RFC3339), wastelandReportBound)
		}
	}
}

// count counts a claim judged: seen merged or reported.
func (p *wastelandReportedProp) count(k string) {
	if !p.counted[k] {
		p.counted[k] = true
		p.judged++
	}
}

func (p *wastelandReportedProp) unjudged(c *checker) string {
	switch {
	case !c.cfg.Town.Owner:
		return "the town has no owner (WL reports nothing)"
	case p.judged == 0:
		return "no validly tagged wasteland claim merged"
	}
	return ""
}

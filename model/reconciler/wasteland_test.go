package reconciler

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// wl is a wasteland origin tag for item it (wasteland w1), with extra
// fields appended inside the object.
func wl(it, extra string) string {
	return `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"w1","item_id":"` + it + `"` + extra + `}}`
}

func TestWasteland(t *testing.T) {
	report := func(canonical, item string) string {
		return "report_wasteland_done{canonical=" + canonical + ",wasteland=w1,item=" + item + "}"
	}
	issue := func(f *fixture, id, status, meta string, age time.Duration) {
		f.bead(B{ID: id, Title: "Task " + id, Status: status, Meta: meta, Created: f.ago(age)})
	}
	mr := func(f *fixture, id, status, url, meta string, age time.Duration) {
		f.mr(M{B: B{ID: id, Title: "Review " + id, Status: status, Meta: meta, Created: f.ago(age), Updated: f.ago(0)}, PRURL: url})
	}
	cases := []struct {
		ruleCase
		evidence []string
	}{
		{ruleCase{name: "one merged PR", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
		}, want: []string{report("i1", "it1")}}, []string{"Implemented by https://x/pr/1 (Review m1)."}},
		{ruleCase{name: "several PRs, distinct, failed MRs tolerated", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 5*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 4*time.Hour)
			mr(f, "m2", model.StatusFailed, "https://x/pr/9", wl("it1", ""), 3*time.Hour)
			mr(f, "m3", model.StatusClosed, "https://x/pr/2", wl("it1", ""), 2*time.Hour)
			mr(f, "m4", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 1*time.Hour)
		}, want: []string{report("i1", "it1")}}, []string{"Implemented by:\n- https://x/pr/1 (Review m1)\n- https://x/pr/2 (Review m3)"}},
		{ruleCase{name: "merged without PR URL: note with the first bead's title", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
			mr(f, "m1", model.StatusClosed, "", wl("it1", ""), 2*time.Hour)
		}, want: []string{report("i1", "it1")}},
			[]string{`Marked done by gastown auto-reporter for "Task i1". No PR URLs were available on the merged review beads.`}},
		{ruleCase{name: "canonical is the oldest bead when there is no convoy", build: func(f *fixture) {
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 4*time.Hour)
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
		}, want: []string{report("m1", "it1")}}, nil},
		{ruleCase{name: "a closed convoy is canonical", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
			f.convoy(C{B: B{ID: "c1", Status: model.StatusClosed, Meta: wl("it1", ""), Created: f.ago(time.Hour)}})
		}, want: []string{report("c1", "it1")}}, nil},
		{ruleCase{name: "an open convoy holds the claim", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
			f.convoy(C{B: B{ID: "c1", Meta: wl("it1", ""), Created: f.ago(time.Hour)}, Total: 0})
		}}, nil},
		{ruleCase{name: "an MR in flight", build: func(f *fixture) {
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
			mr(f, "m2", model.StatusInProgress, "", wl("it1", ""), time.Hour)
		}}, nil},
		{ruleCase{name: "no MR yet", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", ""), 3*time.Hour)
		}}, nil},
		{ruleCase{name: "all MRs failed", build: func(f *fixture) {
			mr(f, "m1", model.StatusFailed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
		}}, nil},
		{ruleCase{name: "already reported on another bead of the claim", build: func(f *fixture) {
			issue(f, "i1", model.StatusClosed, wl("it1", `,"reported_done_at":"2026-03-01T00:00:00.000Z"`), 3*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
		}}, nil},
		{ruleCase{name: "invalid origins are skipped", build: func(f *fixture) {
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", `{"wasteland":{"kind":"post","wasteland_id":"w1","item_id":"it1"}}`, 5*time.Hour)
			mr(f, "m2", model.StatusClosed, "https://x/pr/2", wl("it2", `,"source_url":"not a url"`), 4*time.Hour)
			mr(f, "m3", model.StatusClosed, "https://x/pr/3", wl("it3", `,"pull_id":""`), 3*time.Hour)
			mr(f, "m4", model.StatusClosed, "https://x/pr/4", `{"wasteland":{"kind":"wanted-item-claim","wasteland_id":"","item_id":"it4"}}`, 2*time.Hour)
		}}, nil},
		{ruleCase{name: "valid optional fields; claims in first-seen order", build: func(f *fixture) {
			mr(f, "m2", model.StatusClosed, "https://x/pr/2", wl("it2", `,"pull_id":null,"source_url":"https://w/it2"`), 4*time.Hour)
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", `,"pull_id":"p7","reported_evidence":null`), 5*time.Hour)
		}, want: []string{report("m2", "it2"), report("m1", "it1")}}, nil},
		{ruleCase{name: "active while draining", opts: Options{Draining: true}, build: func(f *fixture) {
			mr(f, "m1", model.StatusClosed, "https://x/pr/1", wl("it1", ""), 2*time.Hour)
		}, want: []string{report("m1", "it1")}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			c.build(f)
			as := f.expect(c.opts, c.want...)
			assertRules(t, as, repeatRule("WL", len(as))...)
			for i, e := range c.evidence {
				if i < len(as) && as[i].Evidence != e {
					t.Errorf("evidence %d = %q, want %q", i, as[i].Evidence, e)
				}
			}
		})
	}
}

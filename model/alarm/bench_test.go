package alarm

import (
	"fmt"
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// fleet builds a steady, busy town of n agents in rigs of up to 11 (a
// refinery and 10 polecats). Per rig: the refinery works on an
// in-progress PR-backed MR; 7 polecats work on in-progress issues; the
// rest idle; 2 issues in review with PR-backed MRs in progress (polled
// every tick), 1 open MR waiting, 1 open unassigned issue (dispatched),
// 5 closed issues, a convoy over 3 issues, 20 processed events and one
// pending event.
func fleet(f *fixture, n int) {
	fresh := t0.Add(-20 * time.Second)
	old := t0.Add(-time.Hour)
	for r := 0; 11*r < n; r++ {
		rig := f.rig(fmt.Sprintf("rig-%03d", r), t0.Add(-24*time.Hour))
		url := func(k int) string { return fmt.Sprintf("https://github.com/acme/rig-%03d/pull/%d", r, k) }
		var tracked []string
		for k := 0; k < 2; k++ {
			issue := f.bead(model.TypeIssue, model.StatusInReview, rig, t0.Add(-time.Minute))
			mr := f.mr(model.StatusInProgress, rig, url(k), issue, t0.Add(-time.Minute))
			if k == 0 {
				f.agent(model.RoleRefinery, model.AgentWorking, rig, mr, fresh)
			}
		}
		f.mr(model.StatusOpen, rig, "", f.bead(model.TypeIssue, model.StatusInReview, rig, old), old)
		for j := 1; j < 11 && 11*r+j < n; j++ {
			if j <= 7 {
				issue := f.bead(model.TypeIssue, model.StatusInProgress, rig, t0.Add(-time.Minute))
				f.agent(model.RolePolecat, model.AgentWorking, rig, issue, fresh)
				if j <= 2 {
					tracked = append(tracked, issue)
				}
			} else {
				f.agent(model.RolePolecat, model.AgentIdle, rig, "", old)
			}
		}
		open := f.bead(model.TypeIssue, model.StatusOpen, rig, old)
		tracked = append(tracked, open)
		for k := 0; k < 5; k++ {
			f.bead(model.TypeIssue, model.StatusClosed, rig, old)
		}
		f.convoy(model.StatusOpen, tracked...)
		for k := 0; k < 20; k++ {
			f.event(model.EventBeadCreated, "", open, `{}`, old, old)
		}
		f.event(model.EventBeadCreated, "", open, `{}`, fresh, time.Time{})
	}
}

// BenchmarkTick measures one alarm tick over fleets of 10, 100 and 1,000
// agents. Every iteration ticks the same state at the same virtual time:
// the tick runs inside a savepoint that is rolled back (outside the timer)
// together with the KV state.
func BenchmarkTick(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("agents=%d", n), func(b *testing.B) {
			f := newFixture(b)
			fleet(f, n)
			f.answers[model.CallPRStatus] = model.Result{PR: model.PRStatus{OK: true, State: "open", MergeableState: "clean"}}
			kv := *f.t.KV()
			db := f.t.DB()
			var cost model.Cost
			var actions int
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				*f.t.KV() = kv
				f.env.Clock, f.env.Calls = t0, f.env.Calls[:0]
				if err := db.ExecRaw("SAVEPOINT bench"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				res, err := Tick(f.t, f.env)
				b.StopTimer()
				if err != nil {
					b.Fatal(err)
				}
				cost.Statements += res.Cost.Statements
				cost.Rows += res.Cost.Rows
				actions += res.Metrics.ActionsEmitted
				if err := db.ExecRaw("ROLLBACK TO SAVEPOINT bench"); err != nil {
					b.Fatal(err)
				}
				if err := db.ExecRaw("RELEASE SAVEPOINT bench"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			b.StopTimer()
			per := float64(b.N)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/per, "ns/tick")
			b.ReportMetric(float64(cost.Statements)/per, "stmts/tick")
			b.ReportMetric(float64(cost.Rows)/per, "rows/tick")
			b.ReportMetric(float64(actions)/per, "actions/tick")
		})
	}
}

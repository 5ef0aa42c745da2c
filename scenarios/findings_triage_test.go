package scenarios

import (
	"testing"
	"time"

	"github.com/townsim/townsim/model"
)

// The two triage-batch findings split the bead rules from AG-4: each
// explains a violation on the triage batch by its own rules only, and
// neither explains one on a triage request (a gt:triage-request bead,
// which the rules are meant to act on) or on an ordinary issue.
func TestTriageBatchFindingsSplitByRule(t *testing.T) {
	cfg := Default()
	cfg.Duration = time.Minute
	c := runChecker(t, cfg)
	town := c.world.Town()
	bead := issueMaker(t, c)
	batch, request, plain := bead("gt:triage"), bead("gt:triage-request"), bead()
	neverStarted := bead("gt:triage") // a batch never in progress: left open while its start was awaited
	if _, err := town.UpdateBeadStatus(c.now, batch, model.StatusInProgress, "patrol", nil); err != nil {
		t.Fatal(err)
	}
	bd, ag := finding(t, "triage-batch-is-an-ordinary-issue"), finding(t, "triage-batch-reset-by-ag4")
	cases := []struct {
		entity, rule string
		bd, ag       bool
	}{
		{batch, "AG-4", false, true},
		{batch, "BD-3", true, false},
		{neverStarted, "BD-2", false, false},
		{batch, "AG-1", false, false},
		{request, "AG-4", false, false},
		{plain, "AG-4", false, false},
	}
	for _, tc := range cases {
		v := Violation{Property: PropTriageLeftAlone, At: c.now, Entity: tc.entity, Rule: tc.rule}
		if got := bd.Applies(v, c); got != tc.bd {
			t.Errorf("%s on %s: bead-rule finding applies = %v, want %v", tc.rule, tc.entity, got, tc.bd)
		}
		if got := ag.Applies(v, c); got != tc.ag {
			t.Errorf("%s on %s: AG-4 finding applies = %v, want %v", tc.rule, tc.entity, got, tc.ag)
		}
	}
}

// triage-batch-started-as-polecat explains a full polecat start of the
// triage batch only after a bead rule or AG-4 returned that batch to open
// (either finding explained an action on it), never on a request.
func TestTriageBatchStartedAsPolecatAfterEitherReset(t *testing.T) {
	cfg := Default()
	cfg.Duration = time.Minute
	c := runChecker(t, cfg)
	bead := issueMaker(t, c)
	f := finding(t, "triage-batch-started-as-polecat")
	for _, tc := range []struct {
		name, by string // by: the finding that explained an earlier action ("" = none)
		request  bool
		applies  bool
	}{
		{"no reset before", "", false, false},
		{"after a bead rule's reset", "triage-batch-is-an-ordinary-issue", false, true},
		{"after AG-4's reset", "triage-batch-reset-by-ag4", false, true},
		{"a request after AG-4", "triage-batch-reset-by-ag4", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := bead("gt:triage")
			if tc.request {
				id = bead("gt:triage-request")
			}
			if tc.by != "" {
				if c.explained[tc.by] == nil {
					c.explained[tc.by] = map[string]bool{}
				}
				c.explained[tc.by][id] = true
			}
			v := Violation{Property: PropRoleMatchesBead, At: c.now, Entity: id}
			if got := f.Applies(v, c); got != tc.applies {
				t.Errorf("applies = %v, want %v", got, tc.applies)
			}
		})
	}
}

// issueMaker returns a function that creates an issue with the given
// labels in the checker's town, now, and returns its id.
func issueMaker(t *testing.T, c *checker) func(labels ...string) string {
	t.Helper()
	return func(labels ...string) string {
		b, err := c.world.Town().CreateBead(c.now, model.CreateBeadInput{Type: model.TypeIssue, Title: "t", Labels: labels})
		if err != nil {
			t.Fatal(err)
		}
		return b.ID
	}
}

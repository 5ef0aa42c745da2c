package model

import (
	"testing"
)

func TestInsertDependency(t *testing.T) {
	town := newTestTown(t)
	a := mkBead(t, town, CreateBeadInput{})
	b := mkBead(t, town, CreateBeadInput{})
	must(t, town.InsertDependency(a, b, DepBlocks))
	must(t, town.InsertDependency(a, b, DepBlocks))
	eq(t, "one edge", num(t, town, `SELECT COUNT(*) FROM bead_dependencies`), 1)
	must(t, town.InsertDependency(a, a, DepBlocks))
	eq(t, "self-loop allowed", num(t, town, `SELECT COUNT(*) FROM bead_dependencies WHERE bead_id = ? AND depends_on_bead_id = ?`, a, a), 1)
	if err := town.InsertDependency(a, "missing", DepBlocks); err == nil {
		t.Fatal("edge to a missing bead must fail the foreign key")
	}
}

// One edge per bead pair (model.md §7.4): insert-or-ignore silently drops
// a second edge of another type; a plain insert (convoyAddBead) throws.
func TestInconsistency04_OneEdgePerPair(t *testing.T) {
	town := newTestTown(t)
	c := mkConvoy(t, town, 1, nil, nil)
	x := mkBead(t, town, CreateBeadInput{})
	must(t, town.InsertDependency(x, c, DepBlocks))
	must(t, town.InsertDependency(x, c, DepTracks))
	eq(t, "type kept", str(t, town, `SELECT dependency_type FROM bead_dependencies WHERE bead_id = ?`, x), DepBlocks)
	before := dump(t, town)
	if _, err := town.ConvoyAddBead(c, x); err == nil {
		t.Fatal("ConvoyAddBead over a blocks edge must fail (UNIQUE)")
	}
	eq(t, "nothing written", dump(t, town), before)
}

func TestSetDependencies(t *testing.T) {
	town := newTestTown(t)
	a := mkBead(t, town, CreateBeadInput{})
	b := mkBead(t, town, CreateBeadInput{})
	c := mkBead(t, town, CreateBeadInput{})
	conv := mkConvoy(t, town, 1, nil, nil)
	must(t, town.InsertDependency(a, b, DepBlocks))
	must(t, town.InsertDependency(a, conv, DepTracks))
	must(t, town.SetDependencies(a, []string{c, a, c}))
	eqSlice(t, "edges", mustStrings(t, town, `SELECT depends_on_bead_id || ':' || dependency_type FROM bead_dependencies WHERE bead_id = ? ORDER BY rowid`, a),
		[]string{conv + ":tracks", c + ":blocks"})
}

func TestHasUnresolvedBlockers(t *testing.T) {
	cases := []struct {
		name        string
		blocker     string
		mrStatus    string // "" = no MR
		wantBlocked bool
	}{
		{"open blocker", StatusOpen, "", true},
		{"in_review blocker", StatusInReview, "", true},
		{"closed blocker", StatusClosed, "", false},
		{"failed blocker", StatusFailed, "", false},
		{"closed blocker with open MR", StatusClosed, StatusOpen, true},
		{"closed blocker with in_progress MR", StatusClosed, StatusInProgress, true},
		{"closed blocker with failed MR", StatusClosed, StatusFailed, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town := newTestTown(t)
			x := mkBead(t, town, CreateBeadInput{})
			b := mkBead(t, town, CreateBeadInput{})
			setStatus(t, town, b, c.blocker)
			must(t, town.InsertDependency(x, b, DepBlocks))
			if c.mrStatus != "" {
				mr, err := town.SubmitToReviewQueue(t0, SubmitInput{AgentID: "p", SourceBeadID: b, RigID: "r", Branch: "br"})
				must(t, err)
				setStatus(t, town, mr, c.mrStatus)
			}
			got, err := town.HasUnresolvedBlockers(x)
			must(t, err)
			eq(t, "blocked", got, c.wantBlocked)
			un, err := town.NewlyUnblockedBeads(b)
			must(t, err)
			eq(t, "newly unblocked", len(un) == 1, !c.wantBlocked)
		})
	}
	t.Run("tracks edges do not block", func(t *testing.T) {
		town := newTestTown(t)
		x := mkBead(t, town, CreateBeadInput{})
		c := mkConvoy(t, town, 1, nil, nil)
		track(t, town, x, c)
		got, err := town.HasUnresolvedBlockers(x)
		must(t, err)
		eq(t, "blocked", got, false)
	})
	t.Run("one of two blockers open", func(t *testing.T) {
		town := newTestTown(t)
		x := mkBead(t, town, CreateBeadInput{})
		b1 := mkBead(t, town, CreateBeadInput{})
		b2 := mkBead(t, town, CreateBeadInput{})
		setStatus(t, town, b1, StatusClosed)
		must(t, town.InsertDependency(x, b1, DepBlocks))
		must(t, town.InsertDependency(x, b2, DepBlocks))
		un, err := town.NewlyUnblockedBeads(b1)
		must(t, err)
		eq(t, "none unblocked", len(un), 0)
	})
}

func TestConvoyForBeadAndSettings(t *testing.T) {
	town := newTestTown(t)
	x := mkBead(t, town, CreateBeadInput{})
	got, err := town.ConvoyForBead(x)
	must(t, err)
	eq(t, "none", got, "")
	c := mkConvoy(t, town, 1, "convoy/x/head", MergeModeReviewAndMerge)
	track(t, town, x, c)
	got, err = town.ConvoyForBead(x)
	must(t, err)
	eq(t, "convoy", got, c)

	mode, err := town.ConvoyMergeMode(c)
	must(t, err)
	eq(t, "mode stored", mode, MergeModeReviewAndMerge)
	fb, err := town.ConvoyFeatureBranch(c)
	must(t, err)
	eq(t, "fb", fb.String, "convoy/x/head")

	c2 := mkConvoy(t, town, 1, nil, "bogus")
	mode, err = town.ConvoyMergeMode(c2)
	must(t, err)
	eq(t, "other value", mode, MergeModeReviewThenLand)
	mode, err = town.ConvoyMergeMode("no-row")
	must(t, err)
	eq(t, "no row", mode, MergeModeReviewThenLand)
	fb, err = town.ConvoyFeatureBranch("no-row")
	must(t, err)
	eq(t, "no row fb", fb.Valid, false)
	fb, err = town.ConvoyFeatureBranch(c2)
	must(t, err)
	eq(t, "NULL fb", fb.Valid, false)
}

// "First tracks edge" has no ORDER BY in production; SQLite answers it
// through the unique (bead_id, depends_on_bead_id) index, so the first row
// is the smallest target id, not the oldest edge (model.md §7.5 says
// insertion order). The port keeps the query shape and so the real order.
func TestInconsistency05_FirstTracksEdgeIsIndexOrder(t *testing.T) {
	town := newTestTown(t)
	x := mkBead(t, town, CreateBeadInput{})
	_, err := town.DB().Exec(`INSERT INTO beads (bead_id, type, title, created_at, updated_at) VALUES
		('ffff', 'convoy', 'late id', ?, ?), ('0000', 'convoy', 'early id', ?, ?)`, iso(0), iso(0), iso(0), iso(0))
	must(t, err)
	track(t, town, x, "ffff")
	track(t, town, x, "0000")
	got, err := town.ConvoyForBead(x)
	must(t, err)
	eq(t, "first tracks edge", got, "0000")
}

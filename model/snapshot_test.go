package model

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Snapshot and SaveCopy are an observer's reads: every table and row with
// its rowid, and a file copy; neither counts in Cost, and SaveCopy never
// overwrites a file.
func TestSnapshotAndSaveCopy(t *testing.T) {
	town, err := Open(Options{TownID: "t"})
	if err != nil {
		t.Fatal(err)
	}
	defer town.Close()
	ts := "2026-01-01T00:00:00.000Z"
	for _, id := range []string{"b1", "b2", "b3"} {
		if _, err := town.DB().Exec(`INSERT INTO beads (bead_id, type, title, created_at, updated_at) VALUES (?, 'issue', 't', ?, ?)`, id, ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	town.DB().Exec(`DELETE FROM beads WHERE bead_id = 'b2'`)
	before := town.DB().Cost()
	snap, err := town.DB().Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if len(snap) != len(Tables) || snap[0].Name != Tables[0] {
		t.Fatalf("tables %d, want %d in Tables order", len(snap), len(Tables))
	}
	beads := snap[0]
	if beads.Columns[0] != "rowid" || beads.Columns[1] != "bead_id" || len(beads.Rows) != 2 {
		t.Fatalf("beads: %v %v", beads.Columns, beads.Rows)
	}
	if beads.Rows[0][0] != int64(1) || beads.Rows[1][0] != int64(3) || beads.Rows[1][1] != "b3" {
		t.Errorf("rows must carry their rowids in order: %v", beads.Rows)
	}
	path := filepath.Join(t.TempDir(), "copy.sqlite")
	if err := town.DB().SaveCopy(path); err != nil {
		t.Fatal(err)
	}
	if town.DB().Cost() != before {
		t.Errorf("Snapshot and SaveCopy were counted: %+v -> %+v", before, town.DB().Cost())
	}
	copied, err := OpenDB(path)
	if err != nil {
		t.Fatal(err)
	}
	n, err := copied.Int(`SELECT count(*) FROM beads`)
	copied.Close()
	if err != nil || n != 2 {
		t.Errorf("the copy holds %d beads (%v), want 2", n, err)
	}
	os.WriteFile(path+".keep", []byte("keep"), 0o644)
	if err := town.DB().SaveCopy(path + ".keep"); err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("SaveCopy over a file: %v", err)
	}
	if b, _ := os.ReadFile(path + ".keep"); string(b) != "keep" {
		t.Error("SaveCopy changed an existing file")
	}
}

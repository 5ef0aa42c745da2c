package model

import "testing"

// SQLite's memory statistics were turned off before any database opened.
func TestSQLiteMemstatusOff(t *testing.T) {
	if sqliteConfigResult != 0 {
		t.Errorf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want 0 (SQLITE_OK)", sqliteConfigResult)
	}
}

// townsim_qpsg and townsim_reprepares were registered for every
// connection, and a new DB runs with the planner stability guarantee on.
func TestSQLiteFunctionsRegistered(t *testing.T) {
	if sqliteFunctionsResult != 0 {
		t.Fatalf("sqlite3_auto_extension = %d, want 0 (SQLITE_OK)", sqliteFunctionsResult)
	}
	d, err := OpenDB("")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var was int
	if err := d.conn.QueryRowContext(t.Context(), `SELECT townsim_qpsg(1)`).Scan(&was); err != nil {
		t.Fatal(err)
	}
	if was != 1 || !d.qpsg {
		t.Errorf("a new DB's guarantee is %d (DB says %v), want on", was, d.qpsg)
	}
}

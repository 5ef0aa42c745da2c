package model

import "testing"

// SQLite's memory statistics were turned off before any database opened.
func TestSQLiteMemstatusOff(t *testing.T) {
	if sqliteConfigResult != 0 {
		t.Errorf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want 0 (SQLITE_OK)", sqliteConfigResult)
	}
}

package model

import (
	"database/sql"
	"time"
)

// Production stores two timestamp formats and its SQL compares them as text:
// application code writes JavaScript's toISOString form (ISOFormat), while
// the agent_nudges table uses SQLite's datetime() form (SQLiteFormat). The
// two do not compare correctly with each other as strings; townsim keeps
// both, exactly where production uses each (model.md §1.3, §7.17).
const (
	// ISOFormat is the fixed-width millisecond UTC form, e.g. 2026-01-02T03:04:05.678Z.
	ISOFormat = "2006-01-02T15:04:05.000Z"
	// SQLiteFormat is SQLite's datetime('now') form, e.g. 2026-01-02 03:04:05.
	SQLiteFormat = "2006-01-02 15:04:05"
)

// ISO formats t as production's application code does.
func ISO(t time.Time) string { return t.UTC().Format(ISOFormat) }

// SQLiteTime formats t as SQLite's datetime() does.
func SQLiteTime(t time.Time) string { return t.UTC().Format(SQLiteFormat) }

// ParseTime parses a stored timestamp the way JavaScript's Date.parse reads
// the forms production writes (ISO with or without milliseconds or zone,
// and SQLite's space-separated form, which JavaScript reads as local time:
// townsim takes UTC). It reports false for anything else (JavaScript's NaN).
func ParseTime(s string) (time.Time, bool) {
	for _, layout := range []string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02T15:04",
		SQLiteFormat,
		"2006-01-02",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// Stale reports whether ts is NULL or empty, or older than d at now. A
// timestamp that does not parse is treated as fresh, as production's NaN
// comparison does (reconciler.md §0.5). now is read at whole milliseconds,
// as JavaScript's Date.now() is.
func Stale(ts sql.NullString, d time.Duration, now time.Time) bool {
	if !ts.Valid || ts.String == "" {
		return true
	}
	t, ok := ParseTime(ts.String)
	if !ok {
		return false
	}
	return now.Truncate(time.Millisecond).Sub(t) > d
}

// Fresh is the negation of Stale.
func Fresh(ts sql.NullString, d time.Duration, now time.Time) bool { return !Stale(ts, d, now) }

// MsSince returns now − ts in milliseconds and false when ts is NULL or
// does not parse (JavaScript's NaN).
func MsSince(ts sql.NullString, now time.Time) (float64, bool) {
	if !ts.Valid {
		return 0, false
	}
	t, ok := ParseTime(ts.String)
	if !ok {
		return 0, false
	}
	return float64(now.Truncate(time.Millisecond).Sub(t).Milliseconds()), true
}

// Null returns a valid NullString.
func Null(s string) sql.NullString { return sql.NullString{String: s, Valid: true} }

// NullIfEmpty returns NULL for "" and a valid NullString otherwise.
func NullIfEmpty(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

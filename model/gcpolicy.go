package model

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target that townsim's binary and
// its test helpers set (GOGC=400): the heap may grow to five times what
// is live before a collection. A simulation's live heap is small (tens of
// megabytes for a default town) and short-lived garbage is most of what it
// allocates, so the runtime's default (100) collects four times as often
// for little memory saved, and its scavenger returns pages that the next
// tick faults in again. Measured on a quiet 2-core machine (issue 22):
// +15 % simulated time per wall second for the default town; peak memory
// is in README ("Performance").
const GCPercent = 400

// GCPolicy is what SetGCPolicy did.
type GCPolicy struct {
	// Applied is false when GOGC or GOMEMLIMIT was set: the runtime
	// then follows the environment and SetGCPolicy leaves it alone.
	Applied bool
	// Percent is the GOGC value set (when Applied).
	Percent int
}

// SetGCPolicy sets the garbage collector's target to GCPercent unless
// the environment sets GOGC or GOMEMLIMIT, which then win. The binary
// calls it at start; test packages that run towns call it in TestMain.
func SetGCPolicy() GCPolicy {
	if _, ok := os.LookupEnv("GOGC"); ok {
		return GCPolicy{}
	}
	if _, ok := os.LookupEnv("GOMEMLIMIT"); ok {
		return GCPolicy{}
	}
	debug.SetGCPercent(GCPercent)
	return GCPolicy{Applied: true, Percent: GCPercent}
}

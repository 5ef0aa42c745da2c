// Package townsim is the root of the townsim module: a deterministic
// discrete-event simulation and load-test harness for the gastown Town
// reconciler. The code lives in its sub-packages (des, model, sim,
// scenarios, reports, differential, cmd/townsim); this package holds only
// the test that keeps their imports pointing one way (docs/architecture.md).
package townsim

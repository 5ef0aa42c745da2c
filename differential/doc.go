// Package differential runs a gastown checkout's own TypeScript reconcile
// beside the port's (reconciler.Reconcile) on the same database state, and
// compares their actions.
//
// A Host is a long-lived Node child process of our own (node/host.mjs) that
// bundles the checkout's reconcile with esbuild at start, replaces the
// packages it never calls at run time by a stub, creates the checkout's own
// schema in sql.js, and answers one reconcile request per line of JSON. A
// Comparer is an alarm.ReconcileFunc: in compare mode the port's actions
// drive the run and the original's are compared; in drive mode the
// original's drive it. Every difference is saved (the state as a SQLite
// file, the clock, both action lists). Replay runs a folder of saved states
// through both again (townsim diff).
//
// Node is needed only here: nothing else in townsim starts it. See
// docs/differential.md for the protocol and the requirements.
package differential

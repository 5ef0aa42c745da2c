// Package des is townsim's discrete-event simulation kernel. It knows
// nothing of gastown: it schedules callbacks on a virtual clock, splits
// random streams from one seed by name, samples delay distributions
// described as data, runs awaiting code as coroutines on the engine's
// goroutine, and writes a hashed trace. The gastown world (package sim) and
// the Town (package model) are built on top of it; a toy model in this
// package's tests shows it used without either.
//
// Guarantees:
//
//   - Ordering. Events run one at a time in (virtual time, scheduling
//     order) order; two events at the same time run in the order they were
//     scheduled. A coroutine resumes exactly when the event that completes
//     its await runs, so code between two awaits never interleaves with
//     other code.
//   - Determinism. Nothing here reads the real clock (a caller may pass a
//     wall-clock reader to Env.SetMeters; its readings are only summed and
//     never fed back), uses the global math/rand source, iterates a map, or
//     lets goroutine scheduling choose an order: coroutines are iter.Pull
//     coroutines that run only when the engine switches to them. The same
//     seed and the same calls give the same run, and the same trace hash,
//     on every machine.
//   - Cost. Scheduling and running an event is O(log n) in the pending
//     events, with no allocation once the slot table has grown; Cancel is
//     O(1) and the heap is compacted only when cancelled entries dominate.
//     An awaited call allocates nothing once its coroutine exists, and
//     finished coroutines are reused. A trace record whose fields are
//     made by Str, Int, Bool, Dur or Time allocates nothing either: the
//     values are formatted straight into the line that is hashed.
package des

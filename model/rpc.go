package model

// The Town RPCs the world calls (model.md §4.22). Each writes what
// production's Town Durable Object method writes, inserts its town events,
// and arms the alarm the way production does (reconciler.md §1.1 and
// Addendum C): armAlarmIfNeeded for heartbeats, agentDone, agentCompleted,
// the mayor-message path and the debug event insert; escalateToActiveCadence
// for slingBead, startHeldBead, startConvoy, requestChanges and an unstaged
// slingConvoy; no arming at all for the others.
//
// They are grouped by production family, one file each: rpc_agents.go
// (heartbeat, done, completed, reset), rpc_beads.go (sling, held beads,
// status and field updates), rpc_convoys.go (sling, create, start, close),
// rpc_review.go (request changes, complete review), rpc_mayor.go (ensure,
// waiting, messages), rpc_container.go (eviction, ready acknowledgement,
// status answers) and rpc_debug.go (the test-only event insert).

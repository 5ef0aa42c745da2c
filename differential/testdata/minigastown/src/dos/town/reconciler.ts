// A small reconcile with production's signature, for townsim's tests.
//
// reconcileAgents is the port's AG-1 (working agents whose heartbeat never
// came, is older than 90 s, or who have no hook go idle), written with
// SQLite's 'now' so the host's frozen clock is exercised. reconcileBeads
// reads every rig through a zod parse (throws on a NULL config, as
// production does). reconcileGUPP is the deliberate difference: it tells
// the mayor about every closed bead titled "townsim-differ ...", which the
// port never does; its message carries new Date() (the frozen clock).
//
// applyEvent is the event application: a container_status of "exited"
// idles a working or stalled agent, as the port's does; its deliberate
// difference is that "not_found" is ignored (the port idles the agent once
// the cold-start grace has passed). Every other event changes nothing.
import { RigRecord } from './rigs';
import { report } from './sentry';

type SqlStorage = { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> };
type Action = Record<string, unknown> & { type: string };

export function reconcile(sql: SqlStorage, opts?: { draining?: boolean; townConfig?: unknown }): Action[] {
  const draining = opts?.draining ?? false;
  return [
    ...reconcileAgents(sql, { draining }),
    ...reconcileBeads(sql),
    ...reconcileGUPP(sql),
  ];
}

export function reconcileAgents(sql: SqlStorage, opts?: { draining?: boolean }): Action[] {
  const out: Action[] = [];
  const rows = [
    ...sql.exec(`
      SELECT a.bead_id, a.role, a.current_hook_bead_id, a.last_activity_at,
             a.last_activity_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-90 seconds') AS stale
      FROM agent_metadata a LEFT JOIN beads b ON b.bead_id = a.bead_id
      WHERE a.status = 'working'`),
  ];
  // Production logs with console.log too: the host keeps stdout for the protocol.
  console.log(`[fixture] ${rows.length} working agents`);
  for (const a of rows) {
    if (a.role === 'mayor' || opts?.draining) continue;
    let reason: string;
    if (!a.last_activity_at) reason = 'no heartbeat received since dispatch';
    else if (a.stale) reason = 'heartbeat lost (3 missed cycles)';
    else if (!a.current_hook_bead_id) reason = 'working agent has no hook (gt_done already completed)';
    else continue;
    out.push({ type: 'transition_agent', agent_id: String(a.bead_id), from: 'working', to: 'idle', reason });
  }
  return out;
}

export function reconcileBeads(sql: SqlStorage): Action[] {
  for (const row of sql.exec(`SELECT id, config FROM rigs ORDER BY id`)) {
    RigRecord.parse(row);
  }
  return [];
}

export function reconcileGUPP(sql: SqlStorage): Action[] {
  const out: Action[] = [];
  try {
    for (const b of sql.exec(`SELECT title FROM beads WHERE status = 'closed' AND title LIKE 'townsim-differ%' ORDER BY title`)) {
      out.push({ type: 'notify_mayor', message: `closed: ${String(b.title)} at ${new Date().toISOString()}` });
    }
  } catch (err) {
    report(err);
    throw err;
  }
  return out;
}

type TownEvent = { event_type: string; agent_id: string | null; payload: Record<string, unknown> };

export function applyEvent(sql: SqlStorage, event: TownEvent, _opts?: { townConfig?: unknown }): void {
  if (event.event_type !== 'container_status' || !event.agent_id) return;
  if (event.payload.status !== 'exited') return;
  sql.exec(
    `UPDATE agent_metadata SET status = 'idle' WHERE bead_id = ? AND status IN ('working', 'stalled')`,
    event.agent_id
  );
}

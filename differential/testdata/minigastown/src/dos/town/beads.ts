// The two tables the fixture's rules read, with the port's columns (a
// subset: the host leaves out the columns a checkout's schema lacks).
type SqlStorage = { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> };

export function initBeadTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS beads (
    bead_id TEXT PRIMARY KEY, type TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open',
    title TEXT NOT NULL, rig_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    closed_at TEXT)`);
  sql.exec(`CREATE TABLE IF NOT EXISTS agent_metadata (
    bead_id TEXT PRIMARY KEY, role TEXT NOT NULL, identity TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'idle', current_hook_bead_id TEXT, last_activity_at TEXT)`);
}

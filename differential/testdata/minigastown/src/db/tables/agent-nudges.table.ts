// The fixture's nudge table, with the port's columns; created_at defaults
// to SQLite's clock, as production's does. The host creates it from these
// two functions, where production's schema has them.
export function createTableAgentNudges(): string {
  return `CREATE TABLE IF NOT EXISTS agent_nudges (
    nudge_id TEXT PRIMARY KEY, agent_bead_id TEXT NOT NULL, message TEXT NOT NULL,
    mode TEXT NOT NULL DEFAULT 'wait-idle', priority TEXT NOT NULL DEFAULT 'normal',
    source TEXT NOT NULL DEFAULT 'system', created_at TEXT NOT NULL DEFAULT (datetime('now')),
    delivered_at TEXT, expires_at TEXT)`;
}

export function getIndexesAgentNudges(): string[] {
  return [];
}

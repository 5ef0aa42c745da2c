import { z } from 'zod';

type SqlStorage = { exec(query: string, ...bindings: unknown[]): Iterable<Record<string, unknown>> };

export function initRigTables(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS rigs (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, config TEXT DEFAULT '{}', created_at TEXT NOT NULL)`);
}

// Like production's rig record: config must parse to an object, so a rig
// whose stored config is NULL or another JSON type throws.
export const RigRecord = z.object({
  id: z.string(),
  config: z
    .string()
    .transform((v): unknown => JSON.parse(v))
    .pipe(z.object({}).passthrough()),
});

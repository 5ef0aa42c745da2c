// townsim's differential host, second half: the checkout's event
// application (applyEvent) and action executor (applyAction) on one state,
// answering what each changed in the database (docs/differential.md,
// "Events and actions"). host.mjs loads the bundle and calls these.

// dump reads every table of the checkout's schema, rows keyed by rowid.
function dump(db, schema) {
  const out = {};
  for (const [name, cols] of Object.entries(schema)) {
    const res = db.exec(`SELECT rowid AS "__townsim_rowid", ${cols.map((c) => `"${c}"`).join(', ')} FROM "${name}"`);
    const rows = new Map();
    for (const r of res[0]?.values ?? []) rows.set(r[0], r.slice(1));
    out[name] = rows;
  }
  return out;
}

// delta lists the rows a step inserted, updated or deleted, table by
// table in name order, rowids ascending: {table, rowid, op, row}.
function delta(schema, before, after) {
  const out = [];
  for (const name of Object.keys(schema).sort()) {
    const cols = schema[name];
    const b = before[name];
    const a = after[name];
    const ids = [...new Set([...b.keys(), ...a.keys()])].sort((x, y) => x - y);
    for (const id of ids) {
      const rb = b.get(id);
      const ra = a.get(id);
      if (ra === undefined) {
        out.push({ table: name, rowid: id, op: 'delete' });
        continue;
      }
      if (rb !== undefined && rb.every((v, j) => v === ra[j])) continue;
      const row = {};
      cols.forEach((c, j) => (row[c] = ra[j]));
      out.push({ table: name, rowid: id, op: rb === undefined ? 'insert' : 'update', row });
    }
  }
  return out;
}

const message = (e) => String(e?.message ?? e).split('\n').slice(0, 20).join('\n');

// The calls of production's action context that leave the Town: each is
// recorded (kind and arguments) and answered from the port's recorded
// answers of that kind, in order. The others (the event insert, the town
// config, analytics) run here.
const EXTERNAL = {
  dispatchAgent: (agentId, beadId, rigId) => ({ agent_id: agentId, bead_id: beadId, rig_id: rigId }),
  stopAgent: (agentId) => ({ agent_id: agentId }),
  checkPRStatus: (prUrl) => ({ pr_url: prUrl }),
  checkPRFeedback: (prUrl) => ({ pr_url: prUrl }),
  mergePR: (prUrl) => ({ pr_url: prUrl }),
  queueNudge: (agentId, message, tier) => ({ agent_id: agentId, message, tier }),
  reportWastelandDone: (input) => ({
    wasteland_id: input?.wastelandId,
    item_id: input?.itemId,
    evidence: input?.evidence,
    canonical_bead_id: input?.canonicalBeadId,
  }),
};

// A context method with no recorded answer left answers as an absent
// world would: nothing, false or null.
const NO_ANSWER = { dispatchAgent: false, mergePR: false, checkPRFeedback: null, reportWastelandDone: false };

function context(mod, sql, req, calls, setClock) {
  const queues = {};
  for (const a of req.answers ?? []) (queues[a.kind] ??= []).push(a);
  const ctx = {
    sql,
    townId: req.town_id ?? '',
    insertEvent: (eventType, params) => mod.exec.insertEvent(sql, eventType, params),
    emitEvent: () => {},
    getTownConfig: async () => req.town_config ?? {},
  };
  for (const [kind, args] of Object.entries(EXTERNAL)) {
    ctx[kind] = async (...xs) => {
      calls.push({ kind, args: args(...xs) });
      const a = queues[kind]?.shift();
      if (a === undefined) {
        if (kind === 'checkPRStatus') throw new Error('townsim: no recorded answer for checkPRStatus');
        return NO_ANSWER[kind];
      }
      if (a.now_ms != null) setClock(a.now_ms);
      if (a.throw != null) throw new Error(a.throw);
      return a.answer;
    };
  }
  return ctx;
}

// makeExec returns the two ops. Each runs inside a savepoint that is
// rolled back, so the host's database stays the state townsim sent.
export function makeExec({ mod, storage, schema, setClock }) {
  return {
    apply_event(db, req) {
      if (typeof mod.applyEvent !== 'function') return { id: req.id, error: 'the checkout exports no applyEvent', host_error: true };
      db.exec('SAVEPOINT townsim_exec');
      try {
        const before = dump(db, schema);
        const e = req.event;
        const record = { ...e, payload: JSON.parse(e.payload) };
        let error;
        setClock(req.now_ms);
        try {
          mod.applyEvent(storage(db), record, { townConfig: req.town_config ?? undefined });
        } catch (err) {
          error = message(err);
        }
        return { id: req.id, delta: delta(schema, before, dump(db, schema)), throw: error };
      } finally {
        setClock(null);
        db.exec('ROLLBACK TO townsim_exec; RELEASE townsim_exec');
      }
    },

    async apply_action(db, req) {
      if (typeof mod.exec.applyAction !== 'function') return { id: req.id, error: 'the checkout has no applyAction (src/dos/town/actions.ts)', host_error: true };
      db.exec('SAVEPOINT townsim_exec');
      try {
        const sql = storage(db);
        const calls = [];
        const before = dump(db, schema);
        setClock(req.now_ms);
        const ctx = context(mod, sql, req, calls, setClock);
        let fn = null;
        let syncError;
        try {
          fn = mod.exec.applyAction(ctx, req.action);
        } catch (err) {
          syncError = message(err);
        }
        const mid = dump(db, schema);
        const out = { id: req.id, sync: delta(schema, before, mid), sync_error: syncError, has_effect: typeof fn === 'function' };
        if (out.has_effect && req.run_effect) {
          try {
            await fn();
          } catch (err) {
            out.effect_error = message(err);
          }
          out.effect = delta(schema, mid, dump(db, schema));
          out.calls = calls;
        }
        return out;
      } finally {
        setClock(null);
        db.exec('ROLLBACK TO townsim_exec; RELEASE townsim_exec');
      }
    },
  };
}

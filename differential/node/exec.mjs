// townsim's differential host, second half: the checkout's event
// application (applyEvent) and action executor (applyAction) on one state,
// answering what each changed in the database (docs/differential.md,
// "Events and actions"). host.mjs loads the bundle and calls these.

// The rows a step touches are collected with SQLite's update hook (every
// table townsim sends has rowids); each touched row is read after the step
// and, once the step is rolled back, before it.
function track(db) {
  const touched = new Map();
  db.updateHook((_op, _db, table, rowid) => {
    let set = touched.get(table);
    if (!set) touched.set(table, (set = new Set()));
    set.add(rowid);
  });
  return touched;
}

// read returns the touched rows as they are now: table → rowid → values
// (absent: no such row).
function read(db, schema, touched) {
  const out = new Map();
  for (const [name, ids] of touched) {
    const cols = schema[name];
    const rows = new Map();
    out.set(name, rows);
    if (!cols) continue;
    const stmt = db.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${name}" WHERE rowid = ?`);
    try {
      for (const id of ids) {
        stmt.bind([id]);
        if (stmt.step()) rows.set(id, stmt.get());
        stmt.reset();
      }
    } finally {
      stmt.free();
    }
  }
  return out;
}

// delta lists the rows a step inserted, updated or deleted, table by
// table in name order, rowids ascending: {table, rowid, op, row}.
function delta(schema, touched, before, after) {
  const out = [];
  for (const name of [...touched.keys()].sort()) {
    const cols = schema[name];
    if (!cols) continue;
    const b = before.get(name);
    const a = after.get(name);
    for (const id of [...touched.get(name)].sort((x, y) => x - y)) {
      const rb = b.get(id);
      const ra = a.get(id);
      if (ra === undefined) {
        if (rb !== undefined) out.push({ table: name, rowid: id, op: 'delete' });
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
      let touched = null;
      try {
        touched = track(db);
        const e = req.event;
        const record = { ...e, payload: JSON.parse(e.payload) };
        let error;
        setClock(req.now_ms);
        try {
          mod.applyEvent(storage(db), record, { townConfig: req.town_config ?? undefined });
        } catch (err) {
          error = message(err);
        }
        db.updateHook(null);
        const after = read(db, schema, touched);
        db.exec('ROLLBACK TO townsim_exec');
        const before = read(db, schema, touched);
        return { id: req.id, delta: delta(schema, touched, before, after), throw: error };
      } finally {
        db.updateHook(null);
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
        setClock(req.now_ms);
        const ctx = context(mod, sql, req, calls, setClock);
        let fn = null;
        let syncError;
        const syncTouched = track(db);
        try {
          fn = mod.exec.applyAction(ctx, req.action);
        } catch (err) {
          syncError = message(err);
        }
        db.updateHook(null);
        const syncAfter = read(db, schema, syncTouched);
        const out = { id: req.id, sync_error: syncError, has_effect: typeof fn === 'function' };
        if (out.has_effect && req.run_effect) {
          db.exec('SAVEPOINT townsim_effect');
          const effTouched = track(db);
          try {
            await fn();
          } catch (err) {
            out.effect_error = message(err);
          }
          db.updateHook(null);
          const effAfter = read(db, schema, effTouched);
          db.exec('ROLLBACK TO townsim_effect; RELEASE townsim_effect');
          out.effect = delta(schema, effTouched, read(db, schema, effTouched), effAfter);
          out.calls = calls;
        }
        db.exec('ROLLBACK TO townsim_exec');
        out.sync = delta(schema, syncTouched, read(db, schema, syncTouched), syncAfter);
        return out;
      } finally {
        db.updateHook(null);
        setClock(null);
        db.exec('ROLLBACK TO townsim_exec; RELEASE townsim_exec');
      }
    },
  };
}

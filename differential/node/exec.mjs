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

// The context methods whose body is a Town method (Town.do.ts,
// scheduling.ts): with the checkout's TownDO loaded they run production's
// own code, and only its calls that leave the Town are answered.
const TOWN_KINDS = new Set(['dispatchAgent', 'stopAgent', 'queueNudge', 'reportWastelandDone']);

// townMethodsOf reports whether cls is a TownDO whose action context can
// be built (a getter applyActionCtx on its prototype).
export function townMethodsOf(cls) {
  return typeof Object.getOwnPropertyDescriptor(cls?.prototype ?? {}, 'applyActionCtx')?.get === 'function';
}

// next answers the next recorded answer of kind (the clock moves to when
// it returned; a recorded throw throws); absent answers give fallback.
function answerer(req, setClock) {
  const queues = {};
  for (const a of req.answers ?? []) (queues[a.kind] ??= []).push(a);
  return (kind, fallback) => {
    const a = queues[kind]?.shift();
    if (a === undefined) return fallback();
    if (a.now_ms != null) setClock(a.now_ms);
    if (a.throw != null) throw new Error(a.throw);
    return a;
  };
}

// townContext is production's own action context: the checkout's
// TownDO.applyActionCtx read on a Town that holds only what those methods
// use — the SQL handle, the town id and owner, the town config and the
// rig configs townsim sent, an Analytics Engine binding that records each
// data point, and a wasteland service answered from the recorded world.
// The container calls are answered by the bundle's container-dispatch
// (host.mjs) through globalThis.__townsimWorld.
function townContext(mod, sql, req, next, analytics) {
  const cfg = req.town_config ?? {};
  const town = Object.create(mod.exec.TownDO.prototype);
  const rigConfigs = req.rig_configs ?? {};
  Object.assign(town, {
    sql,
    _townId: req.town_id ?? '',
    _ownerUserId: cfg.owner_user_id,
    ctx: { storage: { sql }, id: { name: req.town_id ?? '' } },
    env: {
      GASTOWN_AE: { writeDataPoint: (p) => analytics.push({ blobs: p.blobs, doubles: p.doubles }) },
      WASTELAND_SERVICE: {
        browseWantedBoard: async () => next('browseWantedBoard', () => ({ answer: { success: false } })).answer,
        markWantedItemDone: async () => next('markWantedItemDone', () => ({ answer: { success: false } })).answer,
      },
    },
    getTownConfig: async () => cfg,
    getRigConfig: async (rigId) => rigConfigs[rigId] ?? null,
    resolveKilocodeToken: async () => cfg.kilocode_token ?? 'townsim-token',
  });
  let lastStartError = null;
  globalThis.__townsimWorld = {
    startAgentInContainer: async () => {
      const a = next('startAgentInContainer', () => ({ answer: { started: false, containerFetchMs: 0 } }));
      lastStartError = a.start_error ?? null;
      return a.answer;
    },
    lastStartError: () => lastStartError,
    stopAgentInContainer: async () => {
      next('stopAgentInContainer', () => ({}));
    },
    sendMessageToAgent: async () => next('sendMessageToAgent', () => ({ answer: false })).answer,
  };
  return Object.getOwnPropertyDescriptor(mod.exec.TownDO.prototype, 'applyActionCtx').get.call(town);
}

function context(mod, sql, req, calls, setClock, townMethods, analytics) {
  const next = answerer(req, setClock);
  const town = townMethods ? townContext(mod, sql, req, next, analytics) : null;
  const ctx = {
    sql,
    townId: req.town_id ?? '',
    insertEvent: (eventType, params) => mod.exec.insertEvent(sql, eventType, params),
    emitEvent: town ? town.emitEvent : () => {},
    getTownConfig: async () => req.town_config ?? {},
  };
  for (const [kind, args] of Object.entries(EXTERNAL)) {
    ctx[kind] = async (...xs) => {
      calls.push({ kind, args: args(...xs) });
      if (town && TOWN_KINDS.has(kind)) return town[kind](...xs);
      const a = next(kind, () => {
        if (kind === 'checkPRStatus') throw new Error('townsim: no recorded answer for checkPRStatus');
        return { answer: NO_ANSWER[kind] };
      });
      return a.answer;
    };
  }
  return ctx;
}

// makeExec returns the two ops. Each runs inside a savepoint that is
// rolled back, so the host's database stays the state townsim sent.
export function makeExec({ mod, storage, schema, setClock, townMethods }) {
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
        const analytics = [];
        const ctx = context(mod, sql, req, calls, setClock, townMethods, analytics);
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
        if (townMethods) out.sync_analytics = analytics.splice(0);
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
          if (townMethods) out.analytics = analytics.splice(0);
        }
        db.exec('ROLLBACK TO townsim_exec');
        out.sync = delta(schema, syncTouched, read(db, schema, syncTouched), syncAfter);
        return out;
      } finally {
        db.updateHook(null);
        setClock(null);
        globalThis.__townsimWorld = undefined;
        db.exec('ROLLBACK TO townsim_exec; RELEASE townsim_exec');
      }
    },
  };
}

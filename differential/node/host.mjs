// townsim's differential host: bundles a gastown checkout's reconcile with
// esbuild, loads it on sql.js, and answers reconcile requests, one JSON
// object per line on stdin and stdout (docs/differential.md, "Protocol").
//
// Usage: node host.mjs GASTOWN_ROOT
//
// GASTOWN_ROOT is the folder that holds src/dos/town/reconciler.ts (the Go
// side finds it inside a Kilo-Org/cloud checkout). The first line written
// is the handshake: {"ready":true,...} or {"error":"..."} before exiting 1.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makeExec, townMethodsOf } from './exec.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// stdout carries the protocol alone: whatever the checkout logs goes to stderr.
const stdoutWrite = process.stdout.write.bind(process.stdout);
const toStderr = (...args) => console.error(...args);
console.log = console.info = console.debug = console.trace = toStderr;
const out = (obj) => stdoutWrite(JSON.stringify(obj) + '\n');
const fail = (msg) => {
  out({ error: msg });
  process.exit(1);
};

const root = process.argv[2];
if (!root) fail('usage: node host.mjs GASTOWN_ROOT');
const src = path.join(path.resolve(root), 'src');
const reconcilerFile = path.join(src, 'dos/town/reconciler.ts');
if (!existsSync(reconcilerFile)) fail(`no reconcile in the checkout: ${reconcilerFile} does not exist`);

let esbuild, initSqlJs;
try {
  esbuild = await import('esbuild');
  initSqlJs = (await import('sql.js')).default;
  await import('zod');
} catch (e) {
  fail(
    `npm packages missing in ${here} (${e.message.split('\n')[0]}); run: npm ci --prefix ${here}`
  );
}

// ── Frozen clock ─────────────────────────────────────────────────────
// Date.now(), new Date() and SQLite's 'now' read the request's time.

const RealDate = Date;
let frozenMs = null;
class FrozenDate extends RealDate {
  constructor(...args) {
    if (args.length === 0 && frozenMs !== null) super(frozenMs);
    else super(...args);
  }
  static now() {
    return frozenMs ?? RealDate.now();
  }
}
globalThis.Date = FrozenDate;

// SQLite's own form of a time ('YYYY-MM-DD HH:MM:SS.SSS'), which every
// date function accepts where it accepts 'now'.
function sqliteTime(ms) {
  return new RealDate(ms).toISOString().replace('T', ' ').replace('Z', '');
}
const NOW_RE = /'now'/gi;

// ── The checkout's modules that create its schema, in the Town's order ──
// A module or function a checkout does not have is left out; a checkout
// with none of them is an error (it has no schema we know how to create).

const schemaSteps = [
  ['dos/town/beads.ts', 'initBeadTables'],
  ['dos/town/agents.ts', 'initAgentTables'],
  ['dos/town/mail.ts', 'initMailTables'],
  ['dos/town/review-queue.ts', 'initReviewQueueTables'],
  ['dos/town/rigs.ts', 'initRigTables'],
  ['db/tables/agent-nudges.table.ts', 'createTableAgentNudges', 'getIndexesAgentNudges'],
  ['dos/town/wasteland.ts', 'initWastelandTables'],
  ['dos/town/events.ts', 'initTownEventsTable'],
];

// The checkout's event application lives in reconciler.ts (re-exported by
// entry.ts); its action executor in actions.ts and the event insert its
// side effects call in events.ts. A checkout without them still bundles:
// the exec ops then answer that the checkout has none.
// With withTown, the module also exports the checkout's TownDO class
// (src/dos/Town.do.ts), whose applyActionCtx and methods the side effects
// of dispatch_agent, stop_agent, send_nudge and report_wasteland_done run
// (exec.mjs, "townMethods").
function execModule(withTown) {
  const lines = [];
  const exports = [];
  const files = [
    ['dos/town/actions.ts', ['applyAction'], 'actions'],
    ['dos/town/events.ts', ['insertEvent'], 'events'],
  ];
  if (withTown) files.push(['dos/Town.do.ts', ['TownDO'], 'town']);
  for (const [file, names, alias] of files) {
    const abs = path.join(src, file);
    if (!existsSync(abs)) {
      for (const n of names) exports.push(`export const ${n} = undefined;`);
      continue;
    }
    lines.push(`import * as ${alias} from ${JSON.stringify(abs)};`);
    for (const n of names) exports.push(`export const ${n} = ${alias}.${n};`);
  }
  return `${lines.join('\n')}\n${exports.join('\n')}`;
}

function schemaModule() {
  const lines = [];
  const calls = [];
  schemaSteps.forEach(([file, fn, indexes], i) => {
    const abs = path.join(src, file);
    if (!existsSync(abs)) return;
    lines.push(`import * as m${i} from ${JSON.stringify(abs)};`);
    if (indexes) {
      calls.push(
        `if (typeof m${i}.${fn} === 'function') { sql.exec(m${i}.${fn}()); ` +
          `for (const q of (m${i}.${indexes}?.() ?? [])) sql.exec(q); used.push(${JSON.stringify(file)}); }`
      );
    } else {
      calls.push(
        `if (typeof m${i}.${fn} === 'function') { m${i}.${fn}(sql); used.push(${JSON.stringify(file)}); }`
      );
    }
  });
  return `${lines.join('\n')}
export function createSchema(sql) { const used = []; ${calls.join('\n')} return used; }`;
}

// ── Bundle ───────────────────────────────────────────────────────────

// The checkout's container-dispatch module talks HTTP to the container
// (with tokens minted from the Worker's secrets): the bundle gets it with
// the four calls the compared side effects make answered from the port's
// recorded world (globalThis.__townsimWorld, set per request by exec.mjs);
// everything else it exports is the checkout's own.
const dispatchFile = path.join(src, 'dos/town/container-dispatch.ts');
function dispatchShim() {
  const w = 'globalThis.__townsimWorld';
  return `export * from ${JSON.stringify(dispatchFile)};
export async function startAgentInContainer(env, storage, params) { return ${w}.startAgentInContainer(params); }
export function getLastStartError() { return ${w}.lastStartError(); }
export async function stopAgentInContainer(env, townId, agentId) { return ${w}.stopAgentInContainer(agentId); }
export async function sendMessageToAgent(env, townId, agentId, message) { return ${w}.sendMessageToAgent(agentId, message); }`;
}

const stubbed = new Set();
const shimmed = new Set();
let withTown = true;
const plugin = {
  name: 'townsim',
  setup(build) {
    build.onResolve({ filter: /^townsim:(schema|exec|dispatch)$/ }, (args) => ({
      path: args.path.slice('townsim:'.length),
      namespace: 'townsim',
    }));
    build.onLoad({ filter: /.*/, namespace: 'townsim' }, (args) => ({
      contents: args.path === 'exec' ? execModule(withTown) : args.path === 'dispatch' ? dispatchShim() : schemaModule(),
      resolveDir: src,
      loader: 'js',
    }));
    build.onResolve({ filter: /container-dispatch(\.ts)?$/ }, (args) => {
      if (!withTown) return undefined; // only the Town's methods call it
      if (args.namespace === 'townsim') return { path: dispatchFile };
      const abs = path.resolve(args.resolveDir, args.path.endsWith('.ts') ? args.path : args.path + '.ts');
      if (abs !== dispatchFile) return undefined;
      shimmed.add('src/dos/town/container-dispatch.ts');
      return { path: 'dispatch', namespace: 'townsim' };
    });
    build.onResolve({ filter: /^gastown-src\// }, (args) => ({
      path: path.join(src, args.path.slice('gastown-src/'.length) + '.ts'),
    }));
    // A package the checkout imports that is not installed here (the
    // container, Sentry, JWT libraries, workspace packages) becomes our
    // stub: reconcile never calls it at run time; if it did, the stub throws.
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'townsim-direct' || args.path.startsWith('node:')) return undefined;
      const r = await build.resolve(args.path, {
        resolveDir: args.resolveDir,
        kind: args.kind,
        importer: args.importer,
        pluginData: 'townsim-direct',
      });
      if (r.errors.length === 0) return r;
      if (args.path === '@kilocode/worker-utils/git-url') {
        // Not in the checkout; actions.ts calls it: townsim's own reading.
        shimmed.add(args.path);
        return { path: path.join(here, 'git-url.cjs') };
      }
      stubbed.add(args.path);
      return { path: path.join(here, 'stub.cjs') };
    });
  },
};

async function bundleOnce() {
  const res = await esbuild.build({
    entryPoints: [path.join(here, 'entry.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    nodePaths: [path.join(here, 'node_modules')],
    plugins: [plugin],
    logLevel: 'silent',
  });
  const tmp = mkdtempSync(path.join(tmpdir(), 'townsim-gastown-'));
  const bundleFile = path.join(tmp, withTown ? 'town.mjs' : 'reconcile.mjs');
  writeFileSync(bundleFile, res.outputFiles[0].text);
  try {
    return await import(pathToFileURL(bundleFile).href);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

// The Town class is tried first; a checkout whose Town.do.ts does not
// bundle or load here (it needs more of the Workers runtime than the
// stubs give) still runs everything else, and the handshake says why.
let mod;
let townError = null;
withTown = existsSync(path.join(src, 'dos/Town.do.ts'));
if (!withTown) townError = 'the checkout has no src/dos/Town.do.ts';
while (mod === undefined) {
  try {
    mod = await bundleOnce();
  } catch (e) {
    const errs = (e.errors ?? []).map(
      (x) => `${x.location ? `${x.location.file}:${x.location.line}: ` : ''}${x.text}`
    );
    const msg = errs.join('; ') || e.message;
    if (withTown) {
      townError = `src/dos/Town.do.ts does not bundle or load: ${msg.split('\n')[0]}`;
      withTown = false;
      stubbed.clear();
      shimmed.clear();
      continue;
    }
    fail(e.errors ? `the checkout's reconcile does not bundle: ${msg}` : `the bundled reconcile does not load: ${msg}`);
  }
}
if (withTown && !townMethodsOf(mod.exec?.TownDO)) {
  townError = 'TownDO in src/dos/Town.do.ts has no applyActionCtx';
}
if (typeof mod.reconcile !== 'function') fail(`${reconcilerFile} exports no reconcile function`);

// ── sql.js and the Durable Object's SqlStorage surface ───────────────

const SQL = await initSqlJs();

class Cursor {
  constructor(columnNames, rows, rowsWritten) {
    this.columnNames = columnNames;
    this._rows = rows;
    this._i = 0;
    this.rowsRead = rows.length;
    this.rowsWritten = rowsWritten;
  }
  _obj(r) {
    const o = {};
    this.columnNames.forEach((c, j) => (o[c] = r[j]));
    return o;
  }
  next() {
    if (this._i >= this._rows.length) return { done: true, value: undefined };
    return { done: false, value: this._obj(this._rows[this._i++]) };
  }
  [Symbol.iterator]() {
    return this;
  }
  toArray() {
    const rest = this._rows.slice(this._i).map((r) => this._obj(r));
    this._i = this._rows.length;
    return rest;
  }
  one() {
    const rest = this.toArray();
    if (rest.length !== 1) throw new Error(`Expected exactly one result from SQL query, but got ${rest.length}.`);
    return rest[0];
  }
  raw() {
    const rows = this._rows.slice(this._i);
    this._i = this._rows.length;
    return rows[Symbol.iterator]();
  }
}

function storage(db) {
  return {
    exec(query, ...bindings) {
      if (frozenMs !== null) query = query.replace(NOW_RE, `'${sqliteTime(frozenMs)}'`);
      if (bindings.length === 0 && !/\?/.test(query)) {
        const results = db.exec(query);
        const last = results[results.length - 1];
        return new Cursor(last?.columns ?? [], last?.values ?? [], db.getRowsModified());
      }
      const stmt = db.prepare(query);
      try {
        stmt.bind(bindings.map((b) => (typeof b === 'boolean' ? Number(b) : b === undefined ? null : b)));
        const rows = [];
        while (stmt.step()) rows.push(stmt.get());
        return new Cursor(stmt.getColumnNames(), rows, db.getRowsModified());
      } finally {
        stmt.free();
      }
    },
    get databaseSize() {
      return 0;
    },
  };
}

// The checkout's own schema, created once; each request starts from a copy.
let template, schema, schemaModules;
{
  const db = new SQL.Database();
  try {
    schemaModules = mod.createSchema(storage(db));
  } catch (e) {
    fail(`creating the checkout's schema failed: ${e.message}`);
  }
  if (schemaModules.length === 0) fail(`the checkout has none of the modules that create the Town's schema under ${src}`);
  schema = {};
  const tables = db.exec(
    `SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
  );
  for (const [name] of tables[0]?.values ?? []) {
    schema[name] = db.exec(`SELECT name FROM pragma_table_info('${name}') ORDER BY cid`)[0].values.map((r) => r[0]);
  }
  template = db.export();
  db.close();
}

// The state is kept between requests: each request carries the rows added,
// changed or removed since the previous one (all rows after a reset), keyed
// by rowid, so rows keep the port's physical order.
let db = null;

function apply(tables) {
  db.exec('BEGIN');
  try {
    for (const t of tables ?? []) {
      const cols = schema[t.name];
      if (!cols) continue;
      if (t.full) db.exec(`DELETE FROM "${t.name}"`);
      const del = db.prepare(`DELETE FROM "${t.name}" WHERE rowid = ?`);
      try {
        for (const rowid of t.delete ?? []) del.run([rowid]);
        for (const r of t.rows) del.run([r[0]]);
      } finally {
        del.free();
      }
      const keep = [];
      t.columns.forEach((c, j) => {
        if (c === 'rowid' || cols.includes(c)) keep.push([c, j]);
      });
      if (t.rows.length === 0) continue;
      const ins = db.prepare(
        `INSERT INTO "${t.name}" (${keep.map(([c]) => `"${c}"`).join(', ')}) VALUES (${keep.map(() => '?').join(', ')})`
      );
      try {
        for (const r of t.rows) ins.run(keep.map(([, j]) => r[j]));
      } finally {
        ins.free();
      }
    }
    db.exec('COMMIT');
  } catch (e) {
    db.exec('ROLLBACK');
    throw e;
  }
}

let exec = null;

async function handle(req) {
  if (req.reset || db === null) {
    db?.close();
    db = new SQL.Database(template);
  }
  try {
    apply(req.tables);
  } catch (e) {
    db.close();
    db = null;
    throw e;
  }
  if (req.op === 'apply_event' || req.op === 'apply_action') {
    exec ??= makeExec({ mod, storage, schema, setClock: (ms) => (frozenMs = ms), townMethods: townError === null });
    return await exec[req.op](db, req);
  }
  const opts = { draining: !!req.draining, townConfig: req.town_config ?? undefined };
  const message = (e) => String(e?.message ?? e).split('\n').slice(0, 20).join('\n');
  frozenMs = req.now_ms;
  // Reconcile only reads; should a checkout's write anyway, it is undone.
  db.exec('SAVEPOINT townsim_reconcile');
  try {
    if (req.op === 'by_rule') {
      // Each sub-reconciler apart, for attributing actions to rules.
      const byRule = {};
      for (const name of req.rules ?? []) {
        if (typeof mod[name] !== 'function') continue;
        try {
          byRule[name] = { actions: mod[name](storage(db), opts) };
        } catch (e) {
          byRule[name] = { error: message(e) };
        }
      }
      return { id: req.id, by_rule: byRule };
    }
    if (req.op !== 'reconcile') return { id: req.id, error: `unknown op ${req.op}`, host_error: true };
    try {
      return { id: req.id, actions: mod.reconcile(storage(db), opts) };
    } catch (e) {
      return { id: req.id, error: message(e) };
    }
  } finally {
    frozenMs = null;
    db.exec('ROLLBACK TO townsim_reconcile; RELEASE townsim_reconcile');
  }
}

out({
  ready: true,
  root: path.resolve(root),
  stubbed: [...stubbed].sort(),
  shimmed: [...shimmed].sort(),
  schema_modules: schemaModules,
  schema,
  exec: {
    apply_event: typeof mod.applyEvent === 'function',
    apply_action: typeof mod.exec?.applyAction === 'function',
    town_methods: townError === null,
    town_methods_error: townError ?? undefined,
  },
});

const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of rl) {
  if (!line.trim()) continue;
  let req;
  try {
    req = JSON.parse(line);
  } catch (e) {
    out({ error: `bad request line: ${e.message}` });
    continue;
  }
  try {
    out(await handle(req));
  } catch (e) {
    out({ id: req.id, error: `host: ${e.message}`, host_error: true });
  }
}

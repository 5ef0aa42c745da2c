// townsim's stub for a package a gastown checkout imports but the host
// does not install (the container, Sentry, JWT and logging libraries, the
// monorepo's workspace packages). Every named import is a function:
// calling it throws, except Sentry's reporting calls, which do nothing
// (production's catch blocks report and go on); constructing it (a
// logger created when a module loads) gives a sink whose every method
// does nothing and returns the sink. Names resolve through the module's
// prototype, so esbuild's interop sees every name the checkout imports.
'use strict';
const quiet = new Set(['captureException', 'captureMessage', 'addBreadcrumb', 'setTag', 'setTags', 'setExtra', 'setContext', 'setUser']);
const sink = new Proxy(function () {}, {
  get: (_t, prop) => (prop === 'then' || typeof prop === 'symbol' ? undefined : sink),
  apply: () => sink,
  construct: () => sink,
});
const made = Object.create(null);
const make = (name) =>
  function (...args) {
    if (new.target) return sink;
    if (quiet.has(name)) return undefined;
    throw new Error(`townsim stub: ${String(name)} was called, but the differential host does not provide it`);
  };
const names = new Proxy(
  {},
  {
    get(_t, prop) {
      if (typeof prop === 'symbol' || prop === '__esModule' || prop === 'then') return undefined;
      return (made[prop] ??= make(prop));
    },
  }
);
module.exports = Object.create(names);

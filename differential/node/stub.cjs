// townsim's stub for a package a gastown checkout imports but its reconcile
// never calls at run time (the container, Sentry and JWT libraries, the
// monorepo's workspace packages). Every named import is a function that can
// be extended as a class and throws if it is ever called.
'use strict';
const make = (name) => {
  const f = function () {
    throw new Error(`townsim stub: ${String(name)} was called, but the differential host does not provide it`);
  };
  return f;
};
module.exports = new Proxy(
  {},
  {
    get(target, prop) {
      if (prop === '__esModule') return false;
      if (!(prop in target)) target[prop] = make(prop);
      return target[prop];
    },
  }
);

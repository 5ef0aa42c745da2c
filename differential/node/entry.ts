// townsim's entry into a gastown checkout: the checkout's own reconcile, and
// a schema module the host generates from the checkout's table definitions.
export { reconcile } from 'gastown-src/dos/town/reconciler';
export { createSchema } from 'townsim:schema';

// townsim's entry into a gastown checkout: the checkout's reconcile module
// (reconcile and its sub-reconcilers), and a schema module the host
// generates from the checkout's own table definitions.
export * from 'gastown-src/dos/town/reconciler';
export { createSchema } from 'townsim:schema';

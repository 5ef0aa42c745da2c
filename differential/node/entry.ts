// townsim's entry into a gastown checkout: the checkout's reconcile module
// (reconcile, its sub-reconcilers and applyEvent), its action executor
// (applyAction, with the event insert its side effects call), and a schema
// module the host generates from the checkout's own table definitions.
export * from 'gastown-src/dos/town/reconciler';
export * as exec from 'townsim:exec';
export { createSchema } from 'townsim:schema';

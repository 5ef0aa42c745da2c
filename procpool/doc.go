// Package procpool runs tasks in worker processes: a parent starts N
// copies of a command (usually its own binary re-executed with a hidden
// subcommand, see Self) and hands each a task at a time as one JSON line
// on its stdin; the worker answers with one JSON line on its stdout
// (Serve). Processes, not goroutines, because the simulation's SQLite
// allocator and page cache scale poorly across goroutines of one process.
//
// The pool is generic: a task and its answer are any JSON values. Pool.Do
// is safe for concurrent use; callers usually run one goroutine per
// worker, each calling Do in a loop, and keep results by their own key,
// so that the order in which workers finish changes nothing.
package procpool

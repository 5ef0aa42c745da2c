// Package gate is townsim's regression gate: it runs the scenarios a
// budgets file names, measures each one's deterministic cost (SQL
// statements, rows and actions per tick, the trace hash) and its
// wall-clock figures (compute per tick, simulated over wall time) over
// several runs, and judges every figure against the absolute ceilings of
// the budgets file and against a stored baseline.
//
// Deterministic figures are the same on every machine, so they are
// compared exactly (or within a stated relative tolerance): a change in
// them is a change in behaviour or cost, never noise. When statements per
// tick rise, the gate names the parts of the tick (sub-reconcilers, action
// types, drain, invariants) whose statement counts rose. Wall-clock
// figures are noisy and are judged as benchstat judges benchmarks: a
// Mann-Whitney U test at level alpha plus a minimum effect size, so that
// a figure regresses only when it is both significantly and substantially
// worse.
//
// The same judgement applies to `go test -bench` output compared with a
// baseline bench file (JudgeBench).
//
// Budgets and baseline files are YAML, decoded strictly: an unknown key, a
// duplicate key or a value of the wrong type is an error naming the file,
// the line and the key path. docs/gate.md describes both formats.
package gate

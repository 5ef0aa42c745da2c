// Package mutate is townsim's mutation testing: it generates mutants of
// Go source with go/ast operators (each mutant is one change at one
// position), builds each with `go build -overlay` (the mutated file
// replaces the original only in the build, the tree is never copied),
// runs a judge command on the built binary as a separate process (for
// townsim, `townsim check`: the property suite) and reports which mutants
// the judge killed, which survived, and the score.
//
// The package imports only the standard library: the command line
// (cmd/townsim mutate) decodes the equivalent-mutants file and renders
// the tables.
package mutate

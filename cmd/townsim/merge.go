package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/townsim/townsim/reports/explore"
)

// mergeCommand is `townsim merge`: it merges the report folders of an
// explore campaign's shards into one report.
func mergeCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim merge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "explore-merged", "report folder to create (must not exist)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "townsim merge: give the shard report folders to merge (townsim merge [--out DIR] DIR...)")
		return 2
	}
	if _, err := os.Stat(*out); err == nil {
		fmt.Fprintf(stderr, "townsim merge: --out: %s already exists; give a new folder (a report is never overwritten)\n", *out)
		return 2
	}
	r, err := explore.Merge(fs.Args())
	if err != nil {
		fmt.Fprintf(stderr, "townsim merge: %v\n", err)
		return 2
	}
	if err := r.WriteDir(*out); err != nil {
		fmt.Fprintf(stderr, "townsim merge: writing the report: %v\n", err)
		return 1
	}
	writeExploreSummary(stdout, r, *out)
	if len(r.Signatures) > 0 || r.Totals().Errors > 0 {
		return 1
	}
	return 0
}

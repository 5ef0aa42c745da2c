// Command townsim runs the gastown Town reconciler in a deterministic
// simulated world and reports what happened.
//
//	townsim run [flags]        run one scenario and print a summary
//	townsim sweep [flags]      sweep fleet sizes and knobs; write a capacity report
//	townsim dashboard [flags]  render production's Reconciler dashboard from analytics rows
//
// See README.md for every command, flag and file format.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: townsim <command> [flags]

commands:
  run     run one scenario (default: a few rigs, tens of agents, one simulated hour)
          and print a summary; 'townsim run -h' lists its flags
  sweep   run a grid of fleet sizes, arrival rates and what-if knobs, several
          seeds each, in parallel; write a capacity report folder
  dashboard
          render production's Reconciler dashboard (six panels) from the
          analytics rows of 'townsim run --record FILE.ae.jsonl'
`

// Main runs the command line and returns the process exit code: 0 on
// success, 1 when a run fails, 2 for bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "sweep":
		return sweepCommand(args[1:], stdout, stderr)
	case "dashboard":
		return dashboardCommand(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "townsim: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

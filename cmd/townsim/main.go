// Command townsim runs the gastown Town reconciler in a deterministic
// simulated world and reports what happened.
//
//	townsim run [flags]        run one scenario and print a summary
//	townsim faults             list the fault kinds
//	townsim replay [flags]     re-run a scenario and judge its properties
//	townsim scenarios [flags]  list the named scenarios (--yaml NAME writes one as a file)
//	townsim sweep [flags]      sweep fleet sizes and knobs; write a capacity report
//	townsim dashboard [flags]  render production's Reconciler dashboard from analytics rows
//	townsim gate [flags]       judge cost and wall-clock against budgets and a baseline
//	townsim diff [flags]       replay saved states through a gastown checkout's reconcile and the port's
//	townsim explore [flags]    an exploration campaign: many cases under every property, failures shrunk
//	townsim merge DIR...       merge the report folders of an explore campaign's shards
//	townsim check [flags]      run the property suite: named scenarios and rapid cases under every property
//	townsim mutate [flags]     mutation score: mutants of the port judged by the property suite
//	townsim history [flags]    judge a gastown git history: each commit's reconcile drives scenarios under every property
//
// See README.md for every command, flag and file format.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/townsim/townsim/model"
)

func main() {
	// GOGC=400 unless GOGC or GOMEMLIMIT is set (README, "Performance").
	model.SetGCPolicy()
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: townsim <command> [flags]

commands:
  run     run one scenario (default: the default town, 3 rigs and 8 polecats for one
          simulated hour) and print a summary; 'townsim run -h' lists its flags
  faults  list the fault kinds that --faults and --swarm choose from, with each
          rate's unit and timing
  replay  re-run a scenario (a property run's failure is a scenario file) and judge
          every property; --at TICK shows that tick's dry run
  scenarios
          list the named scenarios; --yaml NAME writes one as a YAML scenario file
  diff    replay saved states through a gastown checkout's own reconcile and the
          port's, and print the differences by rule and action type
  gate    run the scenarios of a budgets file and judge their cost and speed
          against ceilings and a stored baseline (exit 1 when a budget breaks);
          'townsim gate -h' lists its flags
  sweep   run a grid of fleet sizes, arrival rates and what-if knobs, several
          seeds each, in parallel; write a capacity report folder
  explore run an exploration campaign: named scenarios with new seeds, swarm fault
          mixes, generated towns, under every property, in worker processes, until a
          budget or a case count; failures shrunk and written as scenario files
  merge   merge the report folders of an explore campaign's shards into one report
  dashboard
          render production's Reconciler dashboard (six panels) from the
          analytics rows of 'townsim run --record FILE.ae.jsonl'
  check   run the property suite: named scenarios and rapid-drawn cases, each
          judged by every property (exit 1 when a property fails)
  mutate  build mutants of the port (go/ast operators) and judge each by
          'townsim check'; report killed/survived and the mutation score
  history judge a gastown git history: at each commit that changes the reconciler,
          its own reconcile drives named scenarios under every property; a table
          commit x scenario, a Markdown/HTML report, --bisect PROPERTY
`

// Main runs the command line and returns the process exit code: 0 on
// success, 1 when a run fails or a budget breaks, 2 for bad usage or input.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCommand(args[1:], stdout, stderr)
	case "faults":
		return faultsCommand(args[1:], stdout, stderr)
	case "replay":
		return replayCommand(args[1:], stdout, stderr)
	case "scenarios":
		return scenariosCommand(args[1:], stdout, stderr)
	case "diff":
		return diffCommand(args[1:], stdout, stderr)
	case "gate":
		return gateCommand(args[1:], stdout, stderr)
	case "sweep":
		return sweepCommand(args[1:], stdout, stderr)
	case "dashboard":
		return dashboardCommand(args[1:], stdout, stderr)
	case "explore":
		return exploreCommand(args[1:], stdout, stderr)
	case "merge":
		return mergeCommand(args[1:], stdout, stderr)
	case workerCommand:
		return workerMain(args[1:], stderr)
	case "check":
		return checkCommand(args[1:], stdout, stderr)
	case "mutate":
		return mutateCommand(args[1:], stdout, stderr)
	case "history":
		return historyCommand(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "townsim: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

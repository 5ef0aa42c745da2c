package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/scenarios"
)

// loadScenario resolves --scenario (scenarios.Resolve).
func loadScenario(arg string) (scenarios.Scenario, error) { return scenarios.Resolve(arg) }

// scenariosCommand is `townsim scenarios`: the named scenarios as a table,
// or one of them as a YAML file on stdout (--yaml NAME).
func scenariosCommand(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("townsim scenarios", flag.ContinueOnError)
	fs.SetOutput(stderr)
	yamlName := fs.String("yaml", "", "write the named scenario as a YAML scenario file to stdout")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "townsim scenarios: unexpected argument %q (flags only)\n", fs.Arg(0))
		return 2
	}
	if *yamlName != "" {
		s, err := scenarios.ByName(*yamlName)
		if err != nil {
			fmt.Fprintf(stderr, "townsim scenarios: --yaml: %v\n", err)
			return 2
		}
		data, err := s.MarshalYAML()
		if err == nil {
			_, err = stdout.Write(data)
		}
		if err != nil {
			fmt.Fprintf(stderr, "townsim scenarios: %v\n", err)
			return 1
		}
		return 0
	}
	tw := reports.NewTable(stdout)
	tw.Header("name", "purpose", "fleet", "duration")
	for _, s := range scenarios.All() {
		if err := tw.Append(s.Name, s.Purpose, s.Fleet(), scenarios.FormatDuration(s.Config.Duration)); err != nil {
			fmt.Fprintf(stderr, "townsim scenarios: %v\n", err)
			return 1
		}
	}
	if err := tw.Render(); err != nil {
		fmt.Fprintf(stderr, "townsim scenarios: %v\n", err)
		return 1
	}
	return 0
}

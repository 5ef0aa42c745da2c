// Command tiny judges clamp and sum the way townsim check judges the
// port: a JSON verdict on stdout, exit 0 when every case passes.
package main

import (
	"encoding/json"
	"os"
)

type verdict struct {
	Case     string `json:"case"`
	Passed   bool   `json:"passed"`
	Property string `json:"property,omitempty"`
}

func main() {
	cases := []verdict{
		{Case: "clamp", Passed: clamp(5, 0, 3) == 3 && clamp(-1, 0, 3) == 0 && clamp(2, 0, 3) == 2, Property: "clamp-bounds"},
		{Case: "sum", Passed: sum(4) == 10, Property: "sum-of-four"},
	}
	passed := true
	for i := range cases {
		if cases[i].Passed {
			cases[i].Property = ""
		}
		passed = passed && cases[i].Passed
	}
	json.NewEncoder(os.Stdout).Encode(map[string]any{"passed": passed, "cases": cases})
	if !passed {
		os.Exit(1)
	}
}

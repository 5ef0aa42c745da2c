package scenarios

import (
	"testing"

	"pgregory.net/rapid"
)

// FuzzTown is the property run as a Go native fuzz target: the input
// bytes are the bit stream rapid draws a town from (GenScenario), and the
// town is judged under every property but determinism (TestProperties
// judges that; a fuzz input runs once). A plain `go test` runs only the
// seed corpus in testdata/fuzz/FuzzTown; `go test -fuzz=FuzzTown
// ./scenarios` searches with Go's coverage-guided fuzzer (worker
// processes, minimisation of a failing input). An input too short for
// the draws is skipped.
func FuzzTown(f *testing.F) {
	f.Fuzz(rapid.MakeFuzz(func(rt *rapid.T) {
		g := GenScenario().Draw(rt, "scenario")
		rep, err := Check(g.Config, g.Bounds, CheckOptions{})
		if err != nil {
			rt.Fatal(err)
		}
		if rep.Failed() {
			rt.Fatalf("%s", failureText(g, rep))
		}
	}))
}

package main

import (
	"fmt"
	"os"
	"testing"

	"github.com/townsim/townsim/differential"
)

// TestMain installs the differential host's npm packages when they are
// missing (the --gastown and diff tests run the repository's TypeScript
// fixture), so that `go test ./...` works on a fresh checkout.
func TestMain(m *testing.M) {
	if err := differential.InstallPackages(""); err != nil {
		fmt.Fprintln(os.Stderr, "townsim tests: the differential host's npm packages:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

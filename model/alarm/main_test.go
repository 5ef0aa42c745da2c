package alarm

import (
	"os"
	"testing"

	"github.com/townsim/townsim/model"
)

// TestMain runs the tests and benchmarks under the binary's GC policy.
func TestMain(m *testing.M) {
	model.SetGCPolicy()
	os.Exit(m.Run())
}

package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Check runs the scenario and judges its properties against its Expect
// bounds (see the package-level Check).
func (s Scenario) Check(opts CheckOptions) (*Report, error) {
	return Check(s.Config, s.Expect.Bounds, opts)
}

// reproScenario is the scenario a generated case is written as.
func reproScenario(g Generated) Scenario {
	return Scenario{
		Name:    "repro",
		Purpose: "a case drawn by the property run; townsim replay --scenario FILE re-runs and judges it",
		Config:  g.Config,
		Expect:  Expect{Bounds: g.Bounds},
	}
}

// WriteRepro writes a generated case as a scenario file in dir, named
// after its content (townsim-repro-<hash>.yaml), and returns its path. An
// existing file of that name holds the same case and is kept as it is.
func WriteRepro(g Generated, dir string) (string, error) {
	data, err := reproScenario(g).MarshalYAML()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	path := filepath.Join(dir, "townsim-repro-"+hex.EncodeToString(sum[:6])+".yaml")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return "", err
	}
	return path, f.Close()
}

// Replay loads a scenario file or named scenario and checks it.
func Replay(nameOrFile string, opts CheckOptions) (*Report, error) {
	s, err := Resolve(nameOrFile)
	if err != nil {
		return nil, err
	}
	return s.Check(opts)
}

// Resolve returns the named scenario called nameOrFile, or loads it as a
// scenario file when it names a file (a path with a separator or a .yaml
// or .yml extension).
func Resolve(nameOrFile string) (Scenario, error) {
	if strings.ContainsRune(nameOrFile, os.PathSeparator) || slices.Contains([]string{".yaml", ".yml"}, filepath.Ext(nameOrFile)) {
		return LoadFile(nameOrFile)
	}
	s, err := ByName(nameOrFile)
	if err != nil {
		return Scenario{}, fmt.Errorf("%v (or give a scenario file path)", err)
	}
	return s, nil
}

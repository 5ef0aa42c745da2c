package scenarios

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// Resolve finds a scenario by a name or a path: "" is the default
// scenario; a name of the registry is that scenario; anything else is
// read as a scenario file. A word that is neither a name nor an existing
// file is an error listing the names.
func Resolve(nameOrFile string) (Scenario, error) {
	if nameOrFile == "" {
		return ByName(DefaultBase)
	}
	if s, err := ByName(nameOrFile); err == nil {
		return s, nil
	}
	if _, err := os.Stat(nameOrFile); err != nil && errors.Is(err, os.ErrNotExist) &&
		!strings.ContainsRune(nameOrFile, filepath.Separator) && filepath.Ext(nameOrFile) == "" {
		return Scenario{}, fmt.Errorf("%q is neither a named scenario nor a file; "+
			"'townsim scenarios' lists the names: %s", nameOrFile, strings.Join(Names(), ", "))
	}
	return LoadFile(nameOrFile)
}

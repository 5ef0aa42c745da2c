package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/goccy/go-yaml"

	"github.com/townsim/townsim/mutate"
)

// defaultCatalog is the catalog --historical reads without a FILE,
// relative to the module root.
const defaultCatalog = "mutate/historical.yaml"

// historicalFlag is --historical: given alone it selects the default
// catalog; --historical=FILE (or a following FILE argument) names one.
type historicalFlag struct {
	on   bool
	path string
}

func (h *historicalFlag) String() string { return h.path }

// Set is called with "true" for a bare --historical.
func (h *historicalFlag) Set(v string) error {
	h.on = true
	if v != "true" {
		h.path = v
	}
	return nil
}

// IsBoolFlag lets --historical stand without a value.
func (h *historicalFlag) IsBoolFlag() bool { return true }

// loadCatalog reads a catalog of production's bugs: a strict YAML list
// of mutate.HistoricalEntry (unknown keys are errors).
func loadCatalog(path string) ([]mutate.HistoricalEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var es []mutate.HistoricalEntry
	if err := yaml.NewDecoder(bytes.NewReader(data), yaml.Strict(), yaml.DisallowUnknownField()).Decode(&es); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if len(es) == 0 {
		return nil, fmt.Errorf("%s: no entries", path)
	}
	return es, nil
}

// historicalMutants loads the catalog (path "" = the default under root;
// a relative path is relative to the working directory) and applies every
// entry to the port's files.
func historicalMutants(root, path string) ([]mutate.Mutant, map[string][]byte, error) {
	if path == "" {
		path = filepath.Join(root, filepath.FromSlash(defaultCatalog))
	}
	es, err := loadCatalog(path)
	if err != nil {
		return nil, nil, err
	}
	return mutate.HistoricalMutants(root, path, es)
}

// sortedKeys returns m's keys in order.
func sortedKeys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

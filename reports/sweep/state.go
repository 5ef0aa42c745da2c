package sweep

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/scenarios"
)

// The files a sweep keeps in its report folder so that an interrupted
// sweep can be resumed: the grid and a fingerprint of every run's
// scenario (StateFile), and one JSON line per finished run, appended as
// each finishes (FinishedFile).
const (
	StateFile    = "sweep-state.json"
	FinishedFile = "finished-runs.jsonl"
)

// State is what StateFile holds.
type State struct {
	// Grid is the sweep's grid.
	Grid Grid `json:"grid"`
	// Fingerprint hashes the scenario of every run of the grid (every
	// point and seed, as YAML): a resume checks that the code still builds
	// the same scenarios, so that the finished runs are the runs it would
	// make.
	Fingerprint string `json:"fingerprint"`
}

// Fingerprint hashes the scenario of every run of g.
func Fingerprint(g Grid) (string, error) {
	h := fnv.New64a()
	for _, p := range g.Points() {
		for s := 0; s < g.Seeds; s++ {
			y, err := scenarios.Scenario{Name: "sweep", Config: g.Config(p, g.Seed+uint64(s))}.MarshalYAML()
			if err != nil {
				return "", err
			}
			h.Write(y)
		}
	}
	return strconv.FormatUint(h.Sum64(), 16), nil
}

// savedRun is one line of FinishedFile.
type savedRun struct {
	Point string `json:"point"`
	Error string `json:"error,omitempty"`
	*RunResult
}

// Journal appends finished runs to a sweep folder's FinishedFile.
type Journal struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// CreateJournal creates the sweep folder dir (which must not exist), its
// StateFile for grid g and an empty FinishedFile, and returns the journal
// that appends to it.
func CreateJournal(dir string, g Grid) (*Journal, error) {
	if _, err := os.Stat(dir); err == nil {
		return nil, fmt.Errorf("%s already exists; townsim writes a new report folder and never overwrites one", dir)
	}
	fp, err := Fingerprint(g)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(State{Grid: g, Fingerprint: fp}, "", "  ")
	if err != nil {
		return nil, err
	}
	if err := reports.WriteNew(filepath.Join(dir, StateFile), append(b, '\n')); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, FinishedFile), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &Journal{f: f}, nil
}

// Add appends a finished run; the first error sticks (Close returns it).
func (j *Journal) Add(r *RunResult) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err != nil {
		return
	}
	s := savedRun{Point: r.Point.String(), RunResult: r}
	if r.Err != nil {
		s.Error = r.Err.Error()
	}
	b, err := json.Marshal(s)
	if err == nil {
		_, err = j.f.Write(append(b, '\n'))
	}
	j.err = err
}

// Close closes the journal.
func (j *Journal) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if err := j.f.Close(); j.err == nil {
		j.err = err
	}
	return j.err
}

// Resume reads an interrupted sweep's folder: its grid and its finished
// runs, keyed by RunKey. It fails when the folder is not a sweep folder,
// or when the code no longer builds the same scenarios for the grid.
func Resume(dir string) (Grid, map[string]RunResult, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return Grid{}, nil, fmt.Errorf("%s has no %s: not a folder written by townsim sweep", dir, StateFile)
		}
		return Grid{}, nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return Grid{}, nil, fmt.Errorf("%s: %v", filepath.Join(dir, StateFile), err)
	}
	if err := st.Grid.Validate(); err != nil {
		return Grid{}, nil, fmt.Errorf("%s: %v", filepath.Join(dir, StateFile), err)
	}
	fp, err := Fingerprint(st.Grid)
	if err != nil {
		return Grid{}, nil, err
	}
	if fp != st.Fingerprint {
		return Grid{}, nil, fmt.Errorf("%s: the runs' scenarios have changed since the sweep was written (fingerprint %s, now %s): its finished runs are not the runs this townsim would make; start a new sweep",
			dir, st.Fingerprint, fp)
	}
	points := map[string]Point{}
	for _, p := range st.Grid.Points() {
		points[p.String()] = p
	}
	f, err := os.Open(filepath.Join(dir, FinishedFile))
	if err != nil {
		return Grid{}, nil, err
	}
	defer f.Close()
	done := map[string]RunResult{}
	rd := bufio.NewReader(f)
	for line := 1; ; line++ {
		l, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(l)) > 0 && err == nil {
			s := savedRun{RunResult: &RunResult{}}
			if jerr := json.Unmarshal(l, &s); jerr != nil {
				return Grid{}, nil, fmt.Errorf("%s:%d: %v", filepath.Join(dir, FinishedFile), line, jerr)
			}
			p, ok := points[s.Point]
			if !ok {
				return Grid{}, nil, fmt.Errorf("%s:%d: point %q is not in the grid", filepath.Join(dir, FinishedFile), line, s.Point)
			}
			r := *s.RunResult
			r.Point = p
			if s.Error != "" {
				r.Err = errors.New(s.Error)
			}
			done[RunKey(p, r.Seed)] = r
		}
		// A last line without its newline was cut short by a second
		// Ctrl-C: that run is simply run again.
		if err == io.EOF {
			break
		}
		if err != nil {
			return Grid{}, nil, err
		}
	}
	return st.Grid, done, nil
}

// RunKey names one run of a grid: its point and seed.
func RunKey(p Point, seed uint64) string {
	return p.String() + ", seed " + strconv.FormatUint(seed, 10)
}

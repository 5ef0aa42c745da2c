package differential

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/townsim/townsim/model"
)

// StateMeta is the JSON file saved beside each state's SQLite file: what
// the reconcile pass read besides the database.
type StateMeta struct {
	// Tick is the number of the reconcile pass in its run (1 = the first).
	Tick int `json:"tick"`
	// Now is the pass's clock (RFC 3339, milliseconds) and NowMs the same
	// in Unix milliseconds.
	Now   string `json:"now"`
	NowMs int64  `json:"now_ms"`
	// Draining is the town's drain flag.
	Draining bool `json:"draining"`
	// TownConfig is the town config the pass read (null = none).
	TownConfig *model.TownConfig `json:"town_config"`
}

// Record is a saved difference: the state's metadata and the comparison.
type Record struct {
	StateMeta
	// Mode is the mode of the run that found it (compare, drive, replay).
	Mode string `json:"mode"`
	Comparison
}

func newMeta(tick int, now time.Time, draining bool, cfg *model.TownConfig) StateMeta {
	return StateMeta{Tick: tick, Now: now.UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		NowMs: now.UnixMilli(), Draining: draining, TownConfig: cfg}
}

// Time returns the meta's clock.
func (m StateMeta) Time() time.Time { return time.UnixMilli(m.NowMs).UTC() }

// CheckNewDir checks that dir can take new files named prefix-*: it is
// absent (it will be created) or a folder without such files. townsim
// never overwrites a file.
func CheckNewDir(dir, prefix string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a folder", dir)
	}
	m, err := filepath.Glob(filepath.Join(dir, prefix+"-*"))
	if err != nil {
		return err
	}
	if len(m) > 0 {
		return fmt.Errorf("%s already holds %s (and %d more like it); townsim never overwrites a file: choose another folder",
			dir, filepath.Base(m[0]), len(m)-1)
	}
	return nil
}

// saveState writes dir/<prefix>-NNNNNN.sqlite (a copy of the Town's
// database) and dir/<prefix>-NNNNNN.json (v), both new files. It returns
// the SQLite file's path.
func saveState(dir, prefix string, tick int, db *model.DB, v any) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	base := filepath.Join(dir, fmt.Sprintf("%s-%06d", prefix, tick))
	if err := db.SaveCopy(base + ".sqlite"); err != nil {
		return "", err
	}
	return base + ".sqlite", writeNewJSON(base+".json", v)
}

func writeNewJSON(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// SavedState is one state found in a folder: its SQLite file and metadata.
type SavedState struct {
	DB   string
	Meta StateMeta
	// Kind is "" for a reconcile state, KindEvent or KindAction for an
	// event or action difference (its JSON is a StepRecord).
	Kind string
}

// ListStates finds the saved states in dir: every NAME.json with a
// NAME.sqlite beside it (both the states of --save-states and the
// differences of compare mode), in name order. A JSON file that does not
// parse is an error naming it.
func ListStates(dir string) ([]SavedState, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a folder", dir)
	}
	metas, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(metas)
	var out []SavedState
	for _, m := range metas {
		db := strings.TrimSuffix(m, ".json") + ".sqlite"
		if _, err := os.Stat(db); err != nil {
			continue
		}
		data, err := os.ReadFile(m)
		if err != nil {
			return nil, err
		}
		var meta StateMeta
		dec := json.NewDecoder(strings.NewReader(string(data)))
		if err := dec.Decode(&meta); err != nil {
			return nil, fmt.Errorf("%s: %v", m, err)
		}
		if meta.NowMs == 0 {
			return nil, fmt.Errorf("%s: no now_ms: not a saved state", m)
		}
		var kind struct {
			Kind string `json:"kind"`
		}
		if err := json.Unmarshal(data, &kind); err != nil {
			return nil, fmt.Errorf("%s: %v", m, err)
		}
		switch kind.Kind {
		case "", KindEvent, KindAction:
		default:
			return nil, fmt.Errorf("%s: unknown kind %q (event or action)", m, kind.Kind)
		}
		out = append(out, SavedState{DB: db, Meta: meta, Kind: kind.Kind})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no saved states (NAME.json with NAME.sqlite beside it)", dir)
	}
	return out, nil
}

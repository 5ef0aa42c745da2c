package differential

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/townsim/townsim/model"
)

// HostOptions say where the gastown checkout and the host program are.
type HostOptions struct {
	// Gastown is a Kilo-Org/cloud checkout or a checkout of services/gastown alone.
	Gastown string
	// NodeDir is the folder of host.mjs and its node_modules ("" = found by NodeDir).
	NodeDir string
}

// Handshake is what the host reports once the checkout's reconcile is
// bundled and loaded.
type Handshake struct {
	// Root is the services/gastown folder the reconcile was bundled from.
	Root string `json:"root"`
	// Stubbed are the packages the checkout imports that were replaced by
	// the stub (never called at run time by reconcile).
	Stubbed []string `json:"stubbed"`
	// Shimmed are the packages replaced by townsim's own implementation
	// (the monorepo's git URL parser, which actions.ts calls).
	Shimmed []string `json:"shimmed"`
	// SchemaModules are the checkout's modules that created its schema.
	SchemaModules []string `json:"schema_modules"`
	// Schema is the original's schema: each table's columns in order.
	Schema map[string][]string `json:"schema"`
	// Exec says whether the checkout's applyEvent and applyAction loaded.
	Exec ExecSupport `json:"exec"`
}

// Host is a running differential host: a Node child process with the
// checkout's reconcile loaded. It serves one request at a time.
type Host struct {
	Handshake
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *tailBuffer
	nextID int
	dead   error
	// sent is the state the host holds (nil: none yet, the next request resets).
	sent map[string]*sentTable
}

// StartHost checks Node and the npm packages, starts the host on the
// checkout and waits for its handshake (bundling takes about a second).
// Every missing piece is an error that names it.
func StartHost(o HostOptions) (*Host, error) {
	root, err := GastownRoot(o.Gastown)
	if err != nil {
		return nil, err
	}
	node, err := NodeBinary()
	if err != nil {
		return nil, err
	}
	dir, err := NodeDir(o.NodeDir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(node, "host.mjs", root)
	cmd.Dir = dir
	h := &Host{cmd: cmd, stderr: &tailBuffer{max: 8 << 10}}
	cmd.Stderr = h.stderr
	if h.stdin, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	h.stdout = bufio.NewReaderSize(stdout, 1<<20)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start the differential host: %w", err)
	}
	var hs struct {
		Handshake
		Ready bool   `json:"ready"`
		Error string `json:"error"`
	}
	if err := h.readLine(&hs); err != nil {
		h.Close()
		return nil, fmt.Errorf("differential host on %s: %w", root, err)
	}
	if !hs.Ready {
		h.Close()
		return nil, fmt.Errorf("differential host on %s: %s", root, hs.Error)
	}
	h.Handshake = hs.Handshake
	return h, nil
}

// readLine reads one JSON line into v; at the end of the stream it returns
// what the host wrote on stderr.
func (h *Host) readLine(v any) error {
	line, err := h.stdout.ReadBytes('\n')
	if err != nil {
		msg := strings.TrimSpace(h.stderr.String())
		if msg == "" {
			msg = "no output"
		}
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("the host exited: %s", msg)
		}
		return fmt.Errorf("reading from the host: %v (%s)", err, msg)
	}
	if err := json.Unmarshal(line, v); err != nil {
		return fmt.Errorf("the host wrote a line that is not JSON: %v: %.200s", err, line)
	}
	return nil
}

// State is what one reconcile pass reads: the database rows, the clock,
// the drain flag and the town config.
type State struct {
	Now      time.Time
	Draining bool
	Config   *model.TownConfig
	Tables   []model.TableRows
}

// request is one line to the host. Tables carry the change since the
// previous request (the host keeps its database between requests); Reset
// asks the host to start from the empty schema first.
type request struct {
	ID       int               `json:"id"`
	Op       string            `json:"op"`
	NowMs    int64             `json:"now_ms"`
	Draining bool              `json:"draining"`
	Config   *model.TownConfig `json:"town_config"`
	Reset    bool              `json:"reset,omitempty"`
	Tables   []tableJSON       `json:"tables"`
	Rules    []string          `json:"rules,omitempty"`
}

// tableJSON is one table's change: when Full, its rows are all of it (the
// host empties the table first); otherwise Rows are the rows added or
// changed (by rowid, the first column) and Delete the rowids removed.
type tableJSON struct {
	Name    string            `json:"name"`
	Columns []string          `json:"columns"`
	Full    bool              `json:"full,omitempty"`
	Rows    []json.RawMessage `json:"rows"`
	Delete  []int64           `json:"delete,omitempty"`
}

// sentTable is what the host holds of one table: its columns and each
// row's values by rowid.
type sentTable struct {
	columns string
	rows    map[int64][]any
}

// reply is one line from the host.
type reply struct {
	ID        int                        `json:"id"`
	Actions   []json.RawMessage          `json:"actions"`
	Error     *string                    `json:"error"`
	HostError bool                       `json:"host_error"`
	ByRule    map[string]json.RawMessage `json:"by_rule"`
}

// Outcome is the original's answer for one state: its actions (raw JSON,
// in order) or the message it threw.
type Outcome struct {
	Actions []json.RawMessage
	Threw   bool
	Error   string
}

func (h *Host) roundTrip(req request) (*reply, error) {
	r, _, err := h.roundTripRaw(req, nil)
	return r, err
}

// roundTripRaw sends req (or body, when set, a request that embeds req)
// and returns the answer decoded and as its raw line.
func (h *Host) roundTripRaw(req request, body any) (*reply, []byte, error) {
	if h.dead != nil {
		return nil, nil, h.dead
	}
	h.nextID++
	req.ID = h.nextID
	var line []byte
	var err error
	if e, ok := body.(execRequest); ok {
		e.request = req
		line, err = json.Marshal(e)
	} else {
		line, err = json.Marshal(req)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("encode the request: %w", err)
	}
	line = append(line, '\n')
	if _, err := h.stdin.Write(line); err != nil {
		h.dead = fmt.Errorf("writing to the differential host: %v (%s)", err, strings.TrimSpace(h.stderr.String()))
		return nil, nil, h.dead
	}
	var raw json.RawMessage
	err = h.readLine(&raw)
	var r reply
	if err == nil {
		err = json.Unmarshal(raw, &r)
	}
	if err != nil {
		h.dead = fmt.Errorf("differential host: %w", err)
		return nil, nil, h.dead
	}
	if r.ID != req.ID {
		h.dead = fmt.Errorf("differential host answered request %d with %d", req.ID, r.ID)
		return nil, nil, h.dead
	}
	if r.HostError {
		h.sent = nil // the host's database is unknown now: the next request resets it
		return nil, nil, fmt.Errorf("differential host: %s", *r.Error)
	}
	return &r, raw, nil
}

// newRequest builds the request for s: each table's rows added, changed
// or removed since the state the host holds (all rows after a reset).
func (h *Host) newRequest(op string, s State) (request, error) {
	req := request{Op: op, NowMs: s.Now.UnixMilli(), Draining: s.Draining, Config: s.Config}
	if h.sent == nil {
		req.Reset = true
		h.sent = map[string]*sentTable{}
	}
	seen := map[string]bool{}
	for _, t := range s.Tables {
		seen[t.Name] = true
		cols := strings.Join(t.Columns, ",")
		prev := h.sent[t.Name]
		tj := tableJSON{Name: t.Name, Columns: t.Columns, Rows: []json.RawMessage{}}
		if prev == nil || prev.columns != cols {
			tj.Full = !req.Reset
			prev = &sentTable{columns: cols, rows: map[int64][]any{}}
			h.sent[t.Name] = prev
		}
		now := make(map[int64][]any, len(t.Rows))
		for _, r := range t.Rows {
			row := make([]any, len(r))
			for j, v := range r {
				if b, ok := v.([]byte); ok {
					v = string(b)
				}
				row[j] = v
			}
			rowid, ok := row[0].(int64)
			if !ok {
				return req, fmt.Errorf("table %s: first column is not the rowid", t.Name)
			}
			now[rowid] = row
			if old, ok := prev.rows[rowid]; ok && slices.Equal(old, row) {
				continue
			}
			enc, err := json.Marshal(row)
			if err != nil {
				return req, fmt.Errorf("table %s row %d: %w", t.Name, rowid, err)
			}
			tj.Rows = append(tj.Rows, enc)
		}
		for rowid := range prev.rows {
			if _, ok := now[rowid]; !ok {
				tj.Delete = append(tj.Delete, rowid)
			}
		}
		slices.Sort(tj.Delete)
		prev.rows = now
		if tj.Full || len(tj.Rows) > 0 || len(tj.Delete) > 0 {
			req.Tables = append(req.Tables, tj)
		}
	}
	for name, prev := range h.sent {
		if !seen[name] && len(prev.rows) > 0 {
			req.Tables = append(req.Tables, tableJSON{Name: name, Columns: strings.Split(prev.columns, ","), Full: true, Rows: []json.RawMessage{}})
			prev.rows = map[int64][]any{}
		}
	}
	slices.SortFunc(req.Tables, func(a, b tableJSON) int { return strings.Compare(a.Name, b.Name) })
	return req, nil
}

// Reconcile runs the original's reconcile on s. An error is the host's
// failure (it died, or answered nonsense), not the reconcile's throw,
// which is Outcome.Threw.
func (h *Host) Reconcile(s State) (Outcome, error) {
	req, err := h.newRequest("reconcile", s)
	if err != nil {
		return Outcome{}, err
	}
	r, err := h.roundTrip(req)
	if err != nil {
		return Outcome{}, err
	}
	if r.Error != nil {
		return Outcome{Threw: true, Error: *r.Error}, nil
	}
	return Outcome{Actions: r.Actions}, nil
}

// ReconcileByRule runs each of the original's sub-reconcilers named in
// rules on s, apart, and returns each one's outcome. A rule the checkout
// does not export is absent from the result.
func (h *Host) ReconcileByRule(s State, rules []string) (map[string]Outcome, error) {
	req, err := h.newRequest("by_rule", s)
	if err != nil {
		return nil, err
	}
	req.Rules = rules
	r, err := h.roundTrip(req)
	if err != nil {
		return nil, err
	}
	if r.Error != nil {
		return nil, fmt.Errorf("differential host: %s", *r.Error)
	}
	out := map[string]Outcome{}
	for name, raw := range r.ByRule {
		var o struct {
			Actions []json.RawMessage `json:"actions"`
			Error   *string           `json:"error"`
		}
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, fmt.Errorf("differential host: rule %s: %v", name, err)
		}
		if o.Error != nil {
			out[name] = Outcome{Threw: true, Error: *o.Error}
		} else {
			out[name] = Outcome{Actions: o.Actions}
		}
	}
	return out, nil
}

// Close ends the host: it closes its stdin (the host exits at the end of
// its input) and waits for it.
func (h *Host) Close() error {
	if h.stdin != nil {
		h.stdin.Close()
	}
	err := h.cmd.Wait()
	var exit *exec.ExitError
	if errors.As(err, &exit) && h.dead == nil {
		return fmt.Errorf("differential host: %v (%s)", err, strings.TrimSpace(h.stderr.String()))
	}
	return nil
}

// tailBuffer keeps the last max bytes written to it (the host's stderr).
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	if over := b.buf.Len() - b.max; over > 0 {
		b.buf.Next(over)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

package main

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/scenarios"
)

// gastownLayouts are the folders gastown has lived in, newest first:
// services/gastown in Kilo-Org/cloud, cloudflare-gastown before it.
var gastownLayouts = []string{"services/gastown", "cloudflare-gastown"}

// reconcilerSources are the paths, under a layout, whose changes make a
// commit part of a history: the Town's Durable Object (the reconciler,
// the tables it reads, the actions it emits).
const reconcilerSources = "src/dos/town"

// historyCommits lists the commits of rng (A..B, or one revision for its
// whole history) that change the reconciler's sources in either layout
// and hold a reconciler, oldest first.
func historyCommits(dir, rng string) ([]string, error) {
	args := []string{"rev-list", "--reverse", rng, "--"}
	for _, l := range gastownLayouts {
		args = append(args, l+"/"+reconcilerSources)
	}
	out, err := git(dir, args...)
	if err != nil {
		return nil, err
	}
	var commits []string
	for _, c := range strings.Fields(out) {
		if gastownLayout(dir, c) != "" {
			commits = append(commits, c)
		}
	}
	return commits, nil
}

// gastownLayout is the layout that holds the reconciler at commit, "" when
// neither does (a commit of the Town before the reconciler existed).
func gastownLayout(dir, commit string) string {
	for _, l := range gastownLayouts {
		if out, err := git(dir, "ls-tree", "--name-only", commit, l+"/src/dos/town/reconciler.ts"); err == nil && out != "" {
			return l
		}
	}
	return ""
}

// resolveCommits resolves each revision to its full commit id.
func resolveCommits(dir string, revs []string) ([]string, error) {
	out := make([]string, 0, len(revs))
	for _, r := range revs {
		id, err := git(dir, "rev-parse", "--verify", "--quiet", r+"^{commit}")
		if err != nil {
			return nil, fmt.Errorf("%q is not a commit of %s", r, dir)
		}
		out = append(out, id)
	}
	return out, nil
}

// historyTask is one commit to judge (a procpool task with -j).
type historyTask struct {
	GitDir    string        `json:"git_dir"`
	Commit    string        `json:"commit"`
	Scenarios []string      `json:"scenarios"`
	Cap       time.Duration `json:"cap"`
	DiffDir   string        `json:"diff_dir"`
	MaxDiffs  int           `json:"max_diffs"`
	Strict    bool          `json:"strict"`
}

// historyCommit is one commit's verdicts.
type historyCommit struct {
	Commit  string `json:"commit"`
	Date    string `json:"date"`
	Subject string `json:"subject"`
	// Layout is the folder gastown lived in at the commit.
	Layout string `json:"layout,omitempty"`
	// Error is why the commit could not be judged at all (no reconciler,
	// extraction, a bundle error); its cases are then absent.
	Error string `json:"error,omitempty"`
	// Stubbed are the packages the host stubbed; Drift the schema
	// adaptations the host made.
	Stubbed []string            `json:"stubbed,omitempty"`
	Drift   *differential.Drift `json:"schema_drift,omitempty"`
	Cases   []historyCase       `json:"cases"`
	// Seconds is the wall time the commit took (reported only).
	Seconds float64 `json:"seconds"`
}

// historyCase is one scenario's verdict at one commit.
type historyCase struct {
	Scenario string `json:"scenario"`
	// Failing are the properties that failed (PropOriginalUnusable first
	// when the checkout could not run the town, PropRunError when the
	// run itself failed).
	Failing   []string                `json:"failing"`
	Detail    string                  `json:"detail,omitempty"`
	Ticks     int                     `json:"ticks"`
	TraceHash string                  `json:"trace_hash,omitempty"`
	Gastown   scenarios.GastownResult `json:"gastown"`
}

// failed reports whether the commit errored or any case failed a property.
func (c historyCommit) failed() bool {
	if c.Error != "" {
		return true
	}
	for _, k := range c.Cases {
		if len(k.Failing) > 0 {
			return true
		}
	}
	return false
}

// differed sums the differences from the port over the commit's cases.
func (c historyCommit) differed() (compared, differed int) {
	for _, k := range c.Cases {
		compared += k.Gastown.Stats.Compared
		differed += k.Gastown.Stats.Differed
	}
	return compared, differed
}

// runHistoryTask judges one commit: it extracts the gastown folder with
// git archive into a temporary folder, starts the host on it, and runs
// every scenario in drive mode under every property. What goes wrong
// with the commit is its Error, never a failure of the history.
func runHistoryTask(t historyTask) (c historyCommit) {
	start := time.Now()
	c = historyCommit{Commit: t.Commit, Cases: []historyCase{}}
	defer func() { c.Seconds = time.Since(start).Seconds() }()
	if out, err := git(t.GitDir, "log", "-1", "--format=%cI%x00%s", t.Commit); err != nil {
		c.Error = err.Error()
		return c
	} else {
		c.Date, c.Subject, _ = strings.Cut(out, "\x00")
	}
	c.Layout = gastownLayout(t.GitDir, t.Commit)
	if c.Layout == "" {
		c.Error = "no reconciler at this commit (neither " + strings.Join(gastownLayouts, "/src/dos/town/reconciler.ts nor ") + "/src/dos/town/reconciler.ts)"
		return c
	}
	tmp, err := os.MkdirTemp("", "townsim-history-")
	if err != nil {
		c.Error = err.Error()
		return c
	}
	defer os.RemoveAll(tmp)
	if err := extract(t.GitDir, t.Commit, c.Layout, tmp); err != nil {
		c.Error = err.Error()
		return c
	}
	h, err := differential.StartHost(differential.HostOptions{Gastown: filepath.Join(tmp, c.Layout)})
	if err != nil {
		c.Error = strings.ReplaceAll(err.Error(), tmp+string(filepath.Separator), "")
		return c
	}
	defer h.Close()
	c.Stubbed = h.Stubbed
	if port, err := differential.PortSchema(); err == nil {
		d := differential.SchemaDrift(h.Schema, port)
		c.Drift = &d
	}
	cases, err := scenarios.NamedCases(t.Scenarios)
	if err != nil {
		c.Error = err.Error()
		return c
	}
	for _, k := range cases {
		g := scenarios.Gastown{Host: h, Mode: differential.ModeDrive, DiffDir: t.DiffDir, SaveLimit: t.MaxDiffs, Strict: t.Strict}
		res, gr := scenarios.RunCaseGastown(k, scenarios.SuiteOptions{DurationCap: t.Cap}, g)
		hc := historyCase{Scenario: k.Name, Failing: gr.Failing, Ticks: res.Ticks, TraceHash: res.TraceHash, Gastown: gr}
		if res.Property == scenarios.PropRunError {
			hc.Failing = []string{scenarios.PropRunError}
		}
		if hc.Failing == nil {
			hc.Failing = []string{}
		}
		if !res.Passed {
			hc.Detail = res.Detail
		}
		c.Cases = append(c.Cases, hc)
	}
	return c
}

// extract writes the folder layout of commit into dir with git archive.
func extract(gitDir, commit, layout, dir string) error {
	cmd := exec.Command("git", "-C", gitDir, "archive", "--format=tar", commit, layout)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	terr := untar(out, dir)
	io.Copy(io.Discard, out)
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("git archive %s %s: %v: %s", commit, layout, err, strings.TrimSpace(stderr.String()))
	}
	return terr
}

// untar writes a tar stream's folders and regular files under dir.
func untar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading git archive: %w", err)
		}
		name := filepath.Clean(hdr.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, ".."+string(filepath.Separator)) {
			return fmt.Errorf("git archive: unsafe path %q", hdr.Name)
		}
		path := filepath.Join(dir, name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(path, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}

// historyHandle is the worker's handler of a historyTask (-j).
func historyHandle(raw json.RawMessage) (any, error) {
	var t historyTask
	if err := json.Unmarshal(raw, &t); err != nil {
		return nil, err
	}
	return runHistoryTask(t), nil
}

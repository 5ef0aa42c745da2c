package explore

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
)

// ReadDir reads the report.json of a report folder.
func ReadDir(dir string) (*Report, error) {
	path := filepath.Join(dir, "report.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Report
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r.Version != ReportVersion {
		return nil, fmt.Errorf("%s: report version %d; this townsim reads version %d", path, r.Version, ReportVersion)
	}
	return &r, nil
}

// Merge merges the reports of shards of one campaign (same campaign and
// case count) into one, as if one machine had run all their cases: the
// cases are joined (a case in two reports is an error), each signature's
// first case is the lowest index of any shard and its shrink is that
// shard's. CPU times add up; the wall time is the longest shard's.
func Merge(dirs []string) (*Report, error) {
	if len(dirs) == 0 {
		return nil, fmt.Errorf("no report folders to merge")
	}
	var out *Report
	where := map[int]string{}
	for _, dir := range dirs {
		r, err := ReadDir(dir)
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = &Report{Version: ReportVersion, Campaign: r.Campaign, Cases: r.Cases, Budget: r.Budget,
				Shards: 1, Gastown: r.Gastown, shrunk: map[string]*Shrunk{}}
		}
		switch {
		case !reflect.DeepEqual(r.Campaign, out.Campaign):
			return nil, fmt.Errorf("%s: campaign %+v differs from %s's %+v; only shards of one campaign merge",
				dir, r.Campaign, dirs[0], out.Campaign)
		case !sameGastown(r.Gastown, out.Gastown):
			return nil, fmt.Errorf("%s: gastown %+v differs from %s's %+v; only shards of one campaign merge", dir, r.Gastown, dirs[0], out.Gastown)
		case r.Cases != out.Cases:
			return nil, fmt.Errorf("%s: %d cases requested, %s %d; only shards of one campaign merge", dir, r.Cases, dirs[0], out.Cases)
		}
		for _, c := range r.CaseResults {
			if d, dup := where[c.Index]; dup {
				return nil, fmt.Errorf("case %d is in both %s and %s; merge each shard once", c.Index, d, dir)
			}
			where[c.Index] = dir
			out.CaseResults = append(out.CaseResults, c)
		}
		for _, s := range r.Signatures {
			if s.Shrunk == nil {
				continue
			}
			if old := out.shrunk[s.Signature]; old == nil || s.Shrunk.Index < old.Index {
				out.shrunk[s.Signature] = s.Shrunk
			}
		}
		out.Jobs += r.Jobs
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Wall = max(out.Wall, r.Wall)
		out.ShrinkCPU += r.ShrinkCPU
		out.MergedFrom = append(out.MergedFrom, dir)
	}
	out.finish()
	return out, nil
}

// sameGastown reports whether two shards ran beside the same checkout in
// the same mode, comparing the same things (each shard keeps its
// differences in its own folder).
func sameGastown(a, b *Gastown) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Dir == b.Dir && a.Mode == b.Mode && slices.Equal(a.Compare, b.Compare)
}

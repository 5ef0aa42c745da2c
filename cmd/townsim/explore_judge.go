package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/townsim/townsim/reports/explore"
)

// knownFailures are the failure signatures an earlier report of the same
// campaign found, by case index (`townsim explore --known`): the port's
// own failures, which a judge of mutants must not count.
type knownFailures struct {
	path  string
	cases map[int][]string
}

// loadKnown reads --known: a report.json, or the report folder holding one.
func loadKnown(path string, c explore.Options) (*knownFailures, error) {
	dir := path
	if filepath.Base(path) == "report.json" {
		dir = filepath.Dir(path)
	}
	r, err := explore.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	// The same cases: a --mutant campaign may be judged against the
	// unmutated one's report.
	a, b := r.Campaign, c.Campaign
	a.Mutant, b.Mutant = "", ""
	if fmt.Sprint(a) != fmt.Sprint(b) {
		return nil, fmt.Errorf("%s is a report of campaign %+v, not of this one (%+v)", path, r.Campaign, c.Campaign)
	}
	k := &knownFailures{path: path, cases: map[int][]string{}}
	for _, cr := range r.CaseResults {
		if cr.Error == "" {
			k.cases[cr.Index] = []string{}
			for _, f := range cr.Failures {
				k.cases[cr.Index] = append(k.cases[cr.Index], f.Signature)
			}
		}
	}
	return k, nil
}

// newFailures are a case's failures that the known report does not show
// for the same case (every failure without --known, or when the known
// report lacks the case).
func (k *knownFailures) newFailures(cr explore.CaseResult) []explore.Failure {
	if k == nil {
		return cr.Failures
	}
	known, ok := k.cases[cr.Index]
	if !ok {
		return cr.Failures
	}
	var out []explore.Failure
	for _, f := range cr.Failures {
		if !slices.Contains(known, f.Signature) {
			out = append(out, f)
		}
	}
	return out
}

// judgeVerdict is `townsim explore --json`: the verdict in the form
// `townsim check --json` gives, so that `townsim mutate --judge explore`
// reads it. passed is false when a case failed in a way the known report
// does not show, or could not run.
type judgeVerdict struct {
	Passed bool        `json:"passed"`
	Cases  []judgeCase `json:"cases"`
	// Ran is the number of cases that ended; Stopped says --fail-fast
	// ended the campaign at a new failure.
	Ran     int  `json:"ran"`
	Stopped bool `json:"stopped"`
	// Known counts the failures the known report also shows.
	Known int `json:"known_failures"`
}

type judgeCase struct {
	Case     string `json:"case"`
	Passed   bool   `json:"passed"`
	Property string `json:"property,omitempty"`
	Entity   string `json:"entity,omitempty"`
	Rule     string `json:"rule,omitempty"`
	Error    string `json:"error,omitempty"`
}

// verdict judges a campaign's report: a case passes when it ran and shows
// no failure the known report lacks.
func verdict(r *explore.Report, known *knownFailures) judgeVerdict {
	v := judgeVerdict{Passed: true, Ran: len(r.CaseResults), Stopped: r.Stopped, Cases: []judgeCase{}}
	for _, cr := range r.CaseResults {
		k, _ := r.Campaign.Case(cr.Index)
		jc := judgeCase{Case: fmt.Sprintf("case %d (%s)", cr.Index, k), Passed: cr.Error == "", Error: cr.Error}
		fresh := known.newFailures(cr)
		v.Known += len(cr.Failures) - len(fresh)
		if len(fresh) > 0 {
			f := fresh[0]
			jc.Passed, jc.Property, jc.Entity, jc.Rule = false, f.Property, f.Entity, f.Rule
		}
		v.Passed = v.Passed && jc.Passed
		v.Cases = append(v.Cases, jc)
	}
	return v
}

// failsJudge is --fail-fast's test: the case could not run or shows a
// failure the known report lacks.
func (k *knownFailures) failsJudge(cr explore.CaseResult) bool {
	return cr.Error != "" || len(k.newFailures(cr)) > 0
}

// writeVerdict prints the verdict as one JSON object.
func writeVerdict(w io.Writer, v judgeVerdict) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

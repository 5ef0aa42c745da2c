package mutate

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Sample returns n of ms drawn with a seeded generator (the same seed and
// mutants give the same sample), in the order drawn, so that a budget
// that stops the run early leaves out a random part, not the last files;
// all of ms, in their order, when n is 0 or at least len(ms).
func Sample(ms []Mutant, n int, seed uint64) []Mutant {
	if n <= 0 || n >= len(ms) {
		return slices.Clone(ms)
	}
	idx := make([]int, len(ms))
	for i := range idx {
		idx[i] = i
	}
	r := rand.New(rand.NewPCG(seed, 0x6d757461)) // "muta"
	for i := range n {
		j := i + r.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	out := make([]Mutant, n)
	for i, k := range idx[:n] {
		out[i] = ms[k]
	}
	return out
}

// Counts are the outcomes of a set of mutants.
type Counts struct {
	Killed      int `json:"killed"`
	Survived    int `json:"survived"`
	Timeout     int `json:"timeout"`
	DidNotBuild int `json:"did_not_build"`
	Equivalent  int `json:"equivalent"`
	NotRun      int `json:"not_run"`
	// NotReached counts the survivors that were not judged because the
	// unmutated suite never runs their code (part of Survived).
	NotReached int `json:"not_reached,omitempty"`
}

// add counts one result by its outcome (and not-reached survivors apart).
func (c *Counts) add(res Result) {
	switch res.Outcome {
	case Killed:
		c.Killed++
	case Survived:
		c.Survived++
		if res.NotReached() {
			c.NotReached++
		}
	case Timeout:
		c.Timeout++
	case DidNotBuild:
		c.DidNotBuild++
	case Equivalent:
		c.Equivalent++
	case NotRun:
		c.NotRun++
	}
}

// Judged is the number of mutants in the score: killed, timed out or
// survived.
func (c Counts) Judged() int { return c.Killed + c.Timeout + c.Survived }

// Score is (killed + timeout) / judged; NaN when nothing was judged.
func (c Counts) Score() float64 {
	if c.Judged() == 0 {
		return math.NaN()
	}
	return float64(c.Killed+c.Timeout) / float64(c.Judged())
}

// Wilson returns the Wilson score interval of k successes in n trials at
// 95 % confidence (z = 1.96); (NaN, NaN) when n is 0.
func Wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return math.NaN(), math.NaN()
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / d
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return math.Max(0, mid-half), math.Min(1, mid+half)
}

// Ratio is a score in [0, 1], NaN when nothing was judged; in JSON NaN
// is null.
type Ratio float64

// MarshalJSON writes the ratio, or null for NaN.
func (r Ratio) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(r)) {
		return []byte("null"), nil
	}
	return json.Marshal(float64(r))
}

// UnmarshalJSON reads a ratio; null is NaN.
func (r *Ratio) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*r = Ratio(math.NaN())
		return nil
	}
	var f float64
	err := json.Unmarshal(b, &f)
	*r = Ratio(f)
	return err
}

// Group is the counts and score of the mutants of one file or operator.
type Group struct {
	Name   string `json:"name"`
	Counts Counts `json:"counts"`
	Score  Ratio  `json:"score"`
}

// Report is a whole mutation run.
type Report struct {
	// Date is when it ran (RFC 3339, set by the caller).
	Date string `json:"date"`
	// Files and Operators are what was mutated and how.
	Files     []string `json:"files"`
	Operators []string `json:"operators"`
	// Judge is the judge's command line.
	Judge string `json:"judge"`
	// Generated is the number of mutants the operators made; Sampled the
	// number drawn (0 when all ran) with Seed.
	Generated int    `json:"generated"`
	Sampled   int    `json:"sampled,omitempty"`
	Seed      uint64 `json:"seed,omitempty"`
	// BaselineSeconds is the unmutated judge's wall time; TimeoutSeconds
	// the per-mutant timeout; Seconds the whole run's wall time.
	BaselineSeconds float64 `json:"baseline_seconds"`
	TimeoutSeconds  float64 `json:"timeout_seconds"`
	Seconds         float64 `json:"seconds"`
	// Totals, Score and its 95 % Wilson interval (Low, High).
	Totals Counts `json:"totals"`
	Score  Ratio  `json:"score"`
	Low    Ratio  `json:"ci95_low"`
	High   Ratio  `json:"ci95_high"`
	// ByFile and ByOperator split the counts.
	ByFile     []Group `json:"by_file"`
	ByOperator []Group `json:"by_operator"`
	// Results has every mutant's result, in file and position order.
	Results []Result `json:"results"`
}

// Summarize fills the totals, score, interval and groups from Results.
func (r *Report) Summarize() {
	r.Totals = Counts{}
	files, ops := map[string]*Counts{}, map[string]*Counts{}
	for _, res := range r.Results {
		r.Totals.add(res)
		for _, g := range []struct {
			m   map[string]*Counts
			key string
		}{{files, res.File}, {ops, res.Operator}} {
			if g.m[g.key] == nil {
				g.m[g.key] = &Counts{}
			}
			g.m[g.key].add(res)
		}
	}
	r.Score = Ratio(r.Totals.Score())
	lo, hi := Wilson(r.Totals.Killed+r.Totals.Timeout, r.Totals.Judged())
	r.Low, r.High = Ratio(lo), Ratio(hi)
	r.ByFile, r.ByOperator = groups(files), groups(ops)
}

func groups(m map[string]*Counts) []Group {
	out := make([]Group, 0, len(m))
	for k, c := range m {
		out = append(out, Group{Name: k, Counts: *c, Score: Ratio(c.Score())})
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Survivors are the results that survived, in file and position order.
func (r *Report) Survivors() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome == Survived {
			out = append(out, res)
		}
	}
	return out
}

// notBuilt are the results that did not build.
func (r *Report) notBuilt() []Result {
	var out []Result
	for _, res := range r.Results {
		if res.Outcome == DidNotBuild {
			out = append(out, res)
		}
	}
	return out
}

// Percent renders a score as "83.3 %", or "-" when nothing was judged.
func Percent(x Ratio) string {
	if math.IsNaN(float64(x)) {
		return "-"
	}
	return fmt.Sprintf("%.1f %%", 100*x)
}

// ScoreLine is the score in one line, with the interval when sampled.
func (r *Report) ScoreLine() string {
	t := r.Totals
	s := fmt.Sprintf("score %s (%d killed + %d timeout of %d judged)", Percent(r.Score), t.Killed, t.Timeout, t.Judged())
	if r.Sampled > 0 || t.NotRun > 0 {
		s += fmt.Sprintf(", 95 %% CI %s – %s (Wilson)", Percent(r.Low), Percent(r.High))
	}
	return s
}

// WriteMarkdown writes the report as Markdown (report.md).
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	t := r.Totals
	fmt.Fprintf(&b, "# Mutation report\n\n")
	fmt.Fprintf(&b, "- date: %s\n- judge: `%s`\n- files: %s\n- operators: %s\n", r.Date, r.Judge,
		strings.Join(r.Files, ", "), strings.Join(r.Operators, ", "))
	fmt.Fprintf(&b, "- mutants generated: %d", r.Generated)
	if r.Sampled > 0 {
		fmt.Fprintf(&b, "; sampled %d with seed %d", r.Sampled, r.Seed)
	}
	fmt.Fprintf(&b, "\n- baseline judge %.0f s, timeout %.0f s per mutant, whole run %.0f s\n\n", r.BaselineSeconds, r.TimeoutSeconds, r.Seconds)
	fmt.Fprintf(&b, "**%s**\n\n", r.ScoreLine())
	fmt.Fprintf(&b, "| killed | survived | of them not reached | timeout | did not build | equivalent | not run |\n|---|---|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| %d | %d | %d | %d | %d | %d | %d |\n\n", t.Killed, t.Survived, t.NotReached, t.Timeout, t.DidNotBuild, t.Equivalent, t.NotRun)
	for _, gs := range []struct {
		title string
		g     []Group
	}{{"file", r.ByFile}, {"operator", r.ByOperator}} {
		fmt.Fprintf(&b, "## By %s\n\n| %s | killed | survived | timeout | did not build | equivalent | score |\n|---|---|---|---|---|---|---|\n", gs.title, gs.title)
		for _, g := range gs.g {
			c := g.Counts
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s |\n", g.Name, c.Killed, c.Survived, c.Timeout, c.DidNotBuild, c.Equivalent, Percent(g.Score))
		}
		b.WriteString("\n")
	}
	b.WriteString("## Survivors\n\nEach is a missing property, a missing scenario, or an equivalent mutant (then list it in mutate/equivalent.yaml with the reason). " +
		"\"Reached\" no: the unmutated suite never runs its code, so it survived without being judged; it needs a scenario first.\n\n")
	b.WriteString("| where | function | operator | original | mutated | reached | id |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Survivors() {
		reached := "yes"
		if s.NotReached() {
			reached = "no"
		}
		if s.Title != "" { // a historical entry: its title and source say more than its first edit
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", s.Pos(), s.Func, s.Operator, mdCell(s.Title), mdCell(s.Source), reached, s.ID)
			continue
		}
		fmt.Fprintf(&b, "| %s | %s | %s | `%s` | `%s` | %s | %s |\n", s.Pos(), s.Func, s.Operator, mdCell(s.Original), mdCell(s.Mutated), reached, s.ID)
	}
	b.WriteString("\n## Killed\n\n| where | operator | killed by | id |\n|---|---|---|---|\n")
	for _, res := range r.Results {
		if res.Outcome == Killed || res.Outcome == Timeout {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", res.Pos(), res.Operator, mdCell(res.Outcome+": "+res.KilledBy), res.ID)
		}
	}
	if bad := r.notBuilt(); len(bad) > 0 {
		b.WriteString("\n## Did not build\n\n| where | operator | error | id |\n|---|---|---|---|\n")
		for _, res := range bad {
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", res.Pos(), res.Operator, mdCell(res.KilledBy), res.ID)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdCell makes text safe in a Markdown table cell.
func mdCell(s string) string {
	return strings.NewReplacer("|", `\|`, "`", "'", "\n", " ").Replace(clip(s, 100))
}

package scenarios

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/townsim/townsim/sim"
)

func TestZZExplore(t *testing.T) {
	only := os.Getenv("EXPLORE")
	if only == "" {
		t.Skip()
	}
	for _, s := range All() {
		if only != "all" && only != s.Name {
			continue
		}
		if d := os.Getenv("DUR"); d != "" {
			s.Config.Duration, _ = time.ParseDuration(d)
		}
		t0 := time.Now()
		r, err := sim.Run(s.Config, sim.RunOptions{})
		if err != nil {
			t.Fatal(s.Name, err)
		}
		keys := []string{}
		for k := range r.ActionsByType {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Printf("== %s %v wall %v ticks %d beads %+v faults %v evict %d world %+v\n", s.Name, s.Config.Duration, time.Since(t0).Round(time.Millisecond), r.Ticks, r.Beads, r.World.Faults, r.World.Evictions, r.World.Analytics)
		for _, k := range keys {
			fmt.Printf("   %s=%d", k, r.ActionsByType[k])
		}
		fmt.Println()
	}
}

func TestZZReasons(t *testing.T) {
	name := os.Getenv("REASONS")
	if name == "" {
		t.Skip()
	}
	d, _ := time.ParseDuration(os.Getenv("DUR"))
	r := runBriefly(t, name, d)
	seen := map[string]int{}
	for _, l := range r.lines {
		if l.kind == "action" {
			txt := l.text
			if i := strings.Index(txt, "reason="); i >= 0 {
				typ, _, _ := strings.Cut(txt, "{")
				seen[typ+" "+txt[i:]]++
			}
		}
	}
	for k, v := range seen {
		fmt.Println(v, k)
	}
}

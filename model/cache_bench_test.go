package model

import (
	"fmt"
	"testing"
)

// BenchmarkTownConfigRead is one read of the town config: "memo" is the
// Town's read (the stored text unchanged since the last read), "parse"
// the schema parse every read did before the memo.
func BenchmarkTownConfigRead(b *testing.B) {
	town, err := Open(Options{TownID: testTownID})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { town.Close() })
	if err := town.EditTownConfig(func(c *TownConfig) {
		c.EnvVars = map[string]string{"A": "1", "B": "2"}
		c.Refinery.Gates = []string{"lint", "test"}
	}); err != nil {
		b.Fatal(err)
	}
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := town.ReadTownConfig(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parse", func(b *testing.B) {
		raw := town.StoredConfigJSON()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseTownConfig(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRigConfigRead is one read of a rigs.config text, through the
// memo and parsed.
func BenchmarkRigConfigRead(b *testing.B) {
	raw := `{"code_review":false,"auto_merge_delay_minutes":5,"max_concurrent_polecats":3}`
	b.Run("memo", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = parseRigConfig(raw)
		}
	})
	b.Run("parse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = parseRigConfigText(raw)
		}
	})
}

// BenchmarkStatementPlan runs a statement whose plan looks at its bound
// value (a `col = ?` term outside the index), the shape SQLite compiled
// again on every run before the planner stability guarantee: "qpsg" is
// the DB as it runs now, "replan" with the guarantee off.
func BenchmarkStatementPlan(b *testing.B) {
	for _, qpsg := range []bool{true, false} {
		name := map[bool]string{true: "qpsg", false: "replan"}[qpsg]
		b.Run(name, func(b *testing.B) {
			d := testDB(b, 200)
			if err := d.setQPSG(qpsg); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := d.Strings(`SELECT id FROM t WHERE status = 'open' AND rig = ? ORDER BY id`, fmt.Sprintf("rig-%d", i%5)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

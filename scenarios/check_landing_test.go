package scenarios

import (
	"testing"
)

// landing-attempts-spaced and landing-mrs-per-convoy judge the real
// landing merge requests of landing-closed-fast (five per convoy, spaced
// by CV-7's backoff), and fire on a landing MR created too soon and on a
// bound below production's cap of five.
func TestLandingPropertiesFire(t *testing.T) {
	c, db := passedRun(t, "landing-closed-fast", 0)
	for _, tc := range []struct {
		name, prop string
		breakIt    func()
		fires      bool
	}{
		{"as the run made them", PropLandingBackoff, func() {}, false},
		{"the fifth landing MR ten seconds after the fourth", PropLandingBackoff, func() {
			rows, err := db.Query(landingMRsQuery)
			if err != nil {
				t.Fatal(err)
			}
			var first, convoy, mr, at string
			var ats []string // the first convoy's landing MRs' creation times
			for rows.Next() {
				if rows.Scan(&convoy, &mr, &at) == nil && (first == "" || convoy == first) {
					first, ats = convoy, append(ats, at)
				}
			}
			rows.Close()
			if len(ats) < 5 {
				t.Fatalf("convoy %s has %d landing MRs; want 5", first, len(ats))
			}
			if _, err := db.Exec(`UPDATE beads SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?, '+10 seconds')
				WHERE created_at = ? AND type = 'merge_request' AND created_by = 'system'`, ats[3], ats[4]); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"a bound of four landing MRs", PropLandingMRs, func() { c.b.LandingMRsPerConvoy = 4 }, true},
		{"production's cap of five", PropLandingMRs, func() { c.b.LandingMRsPerConvoy = 5 }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := db.Exec(`SAVEPOINT landing`); err != nil {
				t.Fatal(err)
			}
			defer db.Exec(`ROLLBACK TO landing`)
			bound := c.b.LandingMRsPerConvoy
			defer func() { c.b.LandingMRsPerConvoy = bound }()
			c.failures, c.seen = nil, map[string]bool{}
			tc.breakIt()
			p := propByName(t, tc.prop)
			p.(ender).end(c, c.world, db)
			wantFired(t, c, tc.prop, tc.fires)
			if u, ok := p.(unjudger); ok && u.unjudged(c) != "" {
				t.Errorf("not judged: %s", u.unjudged(c))
			}
		})
	}
}

package model

import (
	"fmt"
	"slices"
	"strings"
)

// Mutants are deliberate bugs a Town can be opened with (Options.Mutant),
// so that the property checker can be tested against known failures, as
// mutation testing does. A real run never sets one; a run that does is
// labelled with it wherever it is reported.
const (
	// MutantSkipCooldown: the dispatch rules skip the per-bead cooldown
	// ladder and the attempts cap — a retry storm on failing starts.
	MutantSkipCooldown = "skip-cooldown"
	// MutantLoseBead: closing an issue deletes it — a lost bead.
	MutantLoseBead = "lose-bead"
	// MutantDoubleDispatch: every dispatch also starts a second process on
	// the same bead — two owners of one bead.
	MutantDoubleDispatch = "double-dispatch"
	// MutantFlap: AG-1 idles every working agent, heartbeat or not — a
	// flapping transition and false deaths.
	MutantFlap = "flap"
	// MutantNeverProcessed: the drain never marks an applied event
	// processed — the queue never drains.
	MutantNeverProcessed = "never-processed"
)

// MutantNames lists every mutant, sorted.
func MutantNames() []string {
	ms := []string{MutantSkipCooldown, MutantLoseBead, MutantDoubleDispatch, MutantFlap, MutantNeverProcessed}
	slices.Sort(ms)
	return ms
}

// CheckMutant returns an error unless name is "" or a mutant.
func CheckMutant(name string) error {
	if name == "" || slices.Contains(MutantNames(), name) {
		return nil
	}
	return fmt.Errorf("unknown mutant %q; want one of %s", name, strings.Join(MutantNames(), ", "))
}

// loseBead is MutantLoseBead's bug: the closed issue's rows are deleted.
func (t *Town) loseBead(id string) error {
	for _, q := range []string{
		`UPDATE agent_metadata SET current_hook_bead_id = NULL WHERE current_hook_bead_id = ?`,
		`UPDATE beads SET parent_bead_id = NULL WHERE parent_bead_id = ?`,
		`DELETE FROM bead_dependencies WHERE bead_id = ?1 OR depends_on_bead_id = ?1`,
		`DELETE FROM bead_events WHERE bead_id = ?`,
		`DELETE FROM review_metadata WHERE bead_id = ?`,
		`DELETE FROM beads WHERE bead_id = ?`,
	} {
		if _, err := t.db.Exec(q, id); err != nil {
			return err
		}
	}
	return nil
}

// Mutant reports whether the Town runs with the named mutant.
func (t *Town) Mutant(name string) bool { return t.opts.Mutant == name }

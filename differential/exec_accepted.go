package differential

// An accepted difference is one the port keeps on purpose, documented in
// docs/differential.md ("Accepted differences in events and actions"):
// the comparison leaves it out and names it in StepComparison.Accepted.

// townsimWording are the event types whose new bead's body is an
// instruction text townsim words itself (production's prose is not
// copied into the port): only its presence matters to the state, so the
// body compares as "non-empty on both sides".
var townsimWording = map[string]bool{"pr_feedback_detected": true, "pr_conflict_detected": true}

// acceptedBody is the note an accepted body difference leaves.
const acceptedBody = "beads.body of the new bead: townsim's own instruction text (compared as present)"

// accept removes the accepted differences from c.Rows and notes them.
func accept(c *StepComparison) {
	if c.Kind != KindEvent || !townsimWording[c.Type] {
		return
	}
	kept := c.Rows[:0]
	for _, d := range c.Rows {
		if d.Table == "beads" && d.Port != nil && d.Original != nil && d.Port.Op == "insert" && d.Original.Op == "insert" &&
			len(d.Columns) == 1 && d.Columns[0] == "body" && nonEmpty(d.Port.Row["body"]) && nonEmpty(d.Original.Row["body"]) {
			c.Accepted = append(c.Accepted, acceptedBody)
			continue
		}
		kept = append(kept, d)
	}
	c.Rows = kept
}

func nonEmpty(v any) bool {
	s, ok := v.(string)
	return ok && s != ""
}

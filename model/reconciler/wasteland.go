package reconciler

import (
	"database/sql"
	"net/url"
	"sort"
	"strings"

	"github.com/townsim/townsim/model"
)

// wastelandBead is production's ReporterBead: a wasteland-tagged bead with
// its metadata parsed and the PR URL of its review_metadata row, if any.
type wastelandBead struct {
	ID        string
	Type      string
	Status    string
	Title     string
	Metadata  map[string]any
	PRURL     sql.NullString
	CreatedAt string
}

// wastelandOrigin is a valid `metadata.wasteland` origin tag.
type wastelandOrigin struct {
	WastelandID    string
	ItemID         string
	ReportedDoneAt string // "" = absent or null
}

// wastelandClaim is one wanted-item claim: its beads in created_at order
// and the canonical bead the report is stamped on.
type wastelandClaim struct {
	WastelandID string
	ItemID      string
	Beads       []*wastelandBead
	CanonicalID string
	Origin      wastelandOrigin
}

// reconcileWastelandClaims is §2.7: every claim whose tagged MRs are all
// terminal with at least one merged (and whose convoy, if any, is closed)
// gets report_wasteland_done on its canonical bead, every tick until the
// report is stamped.
func (p *rulePass) reconcileWastelandClaims() ([]Action, error) {
	beads, err := p.unreportedWastelandBeads()
	if err != nil {
		return nil, err
	}
	var out []Action
	for _, c := range groupWastelandClaims(beads) {
		if c.Origin.ReportedDoneAt != "" {
			continue
		}
		merged, prs := wastelandClaimMerged(c)
		if !merged {
			continue
		}
		out = append(out, Action{Rule: "WL", Type: ReportWastelandDone, CanonicalBeadID: c.CanonicalID,
			WastelandID: c.WastelandID, ItemID: c.ItemID, Evidence: wastelandEvidence(prs, c.Beads[0].Title)})
	}
	return out, nil
}

// unreportedWastelandBeads reads every bead tagged with a wasteland item
// whose claim no bead has reported done yet.
func (p *rulePass) unreportedWastelandBeads() ([]*wastelandBead, error) {
	rows, err := p.db.Query(`SELECT beads.bead_id,
		       beads.type,
		       beads.status,
		       beads.title,
		       beads.metadata,
		       beads.created_at,
		       review_metadata.pr_url AS pr_url
		FROM beads
		LEFT JOIN review_metadata
		  ON review_metadata.bead_id = beads.bead_id
		WHERE json_extract(beads.metadata, '$.wasteland.item_id') IS NOT NULL
		  AND NOT EXISTS (
		    SELECT 1
		    FROM beads other
		    WHERE json_extract(other.metadata, '$.wasteland.wasteland_id')
		          = json_extract(beads.metadata, '$.wasteland.wasteland_id')
		      AND json_extract(other.metadata, '$.wasteland.item_id')
		          = json_extract(beads.metadata, '$.wasteland.item_id')
		      AND json_extract(other.metadata, '$.wasteland.reported_done_at')
		          IS NOT NULL
		  )`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wastelandBead
	for rows.Next() {
		var b wastelandBead
		var meta sql.NullString
		if err := rows.Scan(&b.ID, &b.Type, &b.Status, &b.Title, &meta, &b.CreatedAt, &b.PRURL); err != nil {
			return nil, err
		}
		if err := model.CheckBeadEnums(b.ID, b.Type, b.Status); err != nil {
			return nil, err
		}
		if b.Metadata, err = parseRecord(b.ID, meta); err != nil {
			return nil, err
		}
		out = append(out, &b)
	}
	return out, rows.Err()
}

// readWastelandOrigin validates metadata.wasteland: kind
// "wanted-item-claim", non-empty wasteland_id and item_id, and optional
// pull_id, source_url (a URL), reported_done_at and reported_evidence that
// are null or non-empty strings. It reports false for anything else.
func readWastelandOrigin(meta map[string]any) (wastelandOrigin, bool) {
	var o wastelandOrigin
	raw, ok := meta["wasteland"].(map[string]any)
	if !ok {
		return o, false
	}
	if kind, _ := raw["kind"].(string); kind != "wanted-item-claim" {
		return o, false
	}
	o.WastelandID, _ = raw["wasteland_id"].(string)
	o.ItemID, _ = raw["item_id"].(string)
	if o.WastelandID == "" || o.ItemID == "" {
		return o, false
	}
	optional := func(k string, valid func(string) bool) (string, bool) {
		v, present := raw[k]
		if !present || v == nil {
			return "", true
		}
		s, isString := v.(string)
		if !isString || s == "" || !valid(s) {
			return "", false
		}
		return s, true
	}
	anyString := func(string) bool { return true }
	isURL := func(s string) bool {
		u, err := url.Parse(s)
		return err == nil && u.Scheme != ""
	}
	var okAll bool
	if _, okAll = optional("pull_id", anyString); !okAll {
		return o, false
	}
	if _, okAll = optional("source_url", isURL); !okAll {
		return o, false
	}
	if o.ReportedDoneAt, okAll = optional("reported_done_at", anyString); !okAll {
		return o, false
	}
	if _, okAll = optional("reported_evidence", anyString); !okAll {
		return o, false
	}
	return o, true
}

// groupWastelandClaims groups beads with a valid origin by
// wasteland_id::item_id, in order of first appearance; each group is
// sorted by created_at (stable) and its canonical bead is the first
// convoy, else the first bead.
func groupWastelandClaims(beads []*wastelandBead) []*wastelandClaim {
	var keys []string
	groups := map[string][]*wastelandBead{}
	origins := map[*wastelandBead]wastelandOrigin{} // looked up only
	for _, b := range beads {
		o, ok := readWastelandOrigin(b.Metadata)
		if !ok {
			continue
		}
		origins[b] = o
		k := o.WastelandID + "::" + o.ItemID
		if _, seen := groups[k]; !seen {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], b)
	}
	var out []*wastelandClaim
	for _, k := range keys {
		g := append([]*wastelandBead(nil), groups[k]...)
		sort.SliceStable(g, func(i, j int) bool { return g[i].CreatedAt < g[j].CreatedAt })
		canonical := g[0]
		for _, b := range g {
			if b.Type == model.TypeConvoy {
				canonical = b
				break
			}
		}
		o := origins[canonical]
		out = append(out, &wastelandClaim{WastelandID: o.WastelandID, ItemID: o.ItemID,
			Beads: g, CanonicalID: canonical.ID, Origin: o})
	}
	return out
}

// wastelandPR is one merged PR of a claim's evidence.
type wastelandPR struct{ URL, Title string }

// wastelandClaimMerged decides the claim's status: merged when it has MRs,
// all terminal, at least one closed, and its convoy (if any) closed. It
// returns the distinct PR URLs of the closed MRs in group order. In
// flight and failed both report false (nothing is emitted for them).
func wastelandClaimMerged(c *wastelandClaim) (bool, []wastelandPR) {
	var mrs []*wastelandBead
	for _, b := range c.Beads {
		if b.Type == model.TypeMergeRequest {
			mrs = append(mrs, b)
		}
	}
	if len(mrs) == 0 {
		return false, nil
	}
	anyClosed := false
	for _, mr := range mrs {
		if !model.Terminal(mr.Status) {
			return false, nil
		}
		anyClosed = anyClosed || mr.Status == model.StatusClosed
	}
	if !anyClosed {
		return false, nil // failed
	}
	for _, b := range c.Beads {
		if b.Type == model.TypeConvoy {
			if b.Status != model.StatusClosed {
				return false, nil
			}
			break
		}
	}
	var prs []wastelandPR
	seen := map[string]bool{}
	for _, mr := range mrs {
		if mr.Status != model.StatusClosed || mr.PRURL.String == "" || seen[mr.PRURL.String] {
			continue
		}
		seen[mr.PRURL.String] = true
		prs = append(prs, wastelandPR{URL: mr.PRURL.String, Title: mr.Title})
	}
	return true, prs
}

// wastelandEvidence is the text sent upstream with the report.
func wastelandEvidence(prs []wastelandPR, fallbackTitle string) string {
	switch len(prs) {
	case 0:
		return `Marked done by gastown auto-reporter for "` + fallbackTitle + `". No PR URLs were available on the merged review beads.`
	case 1:
		return "Implemented by " + prs[0].URL + " (" + prs[0].Title + ")."
	}
	lines := make([]string, len(prs))
	for i, pr := range prs {
		lines[i] = "- " + pr.URL + " (" + pr.Title + ")"
	}
	return "Implemented by:\n" + strings.Join(lines, "\n")
}

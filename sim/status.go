package sim

import "sort"

// StatusCount is how many rows have one status.
type StatusCount struct {
	Status string
	Count  int
}

// StatusCounts is a snapshot of the Town's work and agents by status.
type StatusCounts struct {
	// Issues counts the issue beads (users' work, rework and fix-ups) by
	// status, sorted by status.
	Issues []StatusCount
	// MergeRequests counts the merge_request beads that are not terminal.
	MergeRequests int
	// Agents counts agent_metadata rows by status, sorted by status.
	Agents []StatusCount
}

// Issue returns the number of issues with the given status.
func (s StatusCounts) Issue(status string) int { return find(s.Issues, status) }

// Agent returns the number of agents with the given status.
func (s StatusCounts) Agent(status string) int { return find(s.Agents, status) }

func find(cs []StatusCount, status string) int {
	for _, c := range cs {
		if c.Status == status {
			return c.Count
		}
	}
	return 0
}

// StatusCounts reads the Town's issues and agents by status now. It only
// reads (three grouped counts); RunOptions.OnTick may call it after every
// tick without changing the run, though its reads take real time.
func (w *World) StatusCounts() (StatusCounts, error) {
	var s StatusCounts
	var err error
	if s.Issues, err = w.groupCount(`SELECT status, count(*) FROM beads WHERE type = 'issue' GROUP BY status`); err != nil {
		return s, err
	}
	if s.Agents, err = w.groupCount(`SELECT status, count(*) FROM agent_metadata GROUP BY status`); err != nil {
		return s, err
	}
	s.MergeRequests, err = w.town.DB().Int(`SELECT count(*) FROM beads WHERE type = 'merge_request' AND status NOT IN ('closed', 'failed')`)
	return s, err
}

func (w *World) groupCount(q string) ([]StatusCount, error) {
	rows, err := w.town.DB().Query(q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []StatusCount
	for rows.Next() {
		var c StatusCount
		if err := rows.Scan(&c.Status, &c.Count); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Status < out[j].Status })
	return out, nil
}

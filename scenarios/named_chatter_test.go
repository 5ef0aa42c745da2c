package scenarios

import "testing"

// checkAgentsAndEditors: agents post status messages, users edit issues
// and close some of them from the edit form.
func checkAgentsAndEditors(t *testing.T, r *run) {
	if n := len(r.grep("rpc", "op=agent_status_message")); n < 10 {
		t.Errorf("%d status messages; want many", n)
	}
	edits, closing := len(r.grep("rpc", "op=update_bead", "edit=")), len(r.grep("rpc", "op=update_bead", "edit=", "status=closed"))
	if edits < 5 || closing == 0 {
		t.Errorf("%d edits, %d of them closing; want several, some closing", edits, closing)
	}
}

// checkConvoyTasksClosedInReview: CV-7 itself marks a convoy ready to land
// (the Town's own recount never saw it done).
func checkConvoyTasksClosedInReview(t *testing.T, r *run) {
	if len(r.grep("action", "set_convoy_ready_to_land")) == 0 {
		t.Errorf("CV-7 never set a convoy ready to land")
	}
	if len(r.grep("rpc", "op=update_bead", "status=closed")) == 0 {
		t.Errorf("no user closed a convoy task from the edit form")
	}
}

package model

import (
	"testing"
	"time"
)

func TestSendMail(t *testing.T) {
	town := newTestTown(t)
	from := mkAgent(t, town, RolePolecat, "Toast", "r")
	to := mkAgent(t, town, RolePolecat, "Maple", "r")
	id, err := town.SendMail(at(time.Second), from, to, "subj", "")
	must(t, err)
	eq(t, "type", beadCol(t, town, id, "type"), TypeMessage)
	eq(t, "title", beadCol(t, town, id, "title"), "subj")
	eq(t, "body", beadCol(t, town, id, "body"), "")
	eq(t, "assignee", beadCol(t, town, id, "assignee_agent_bead_id"), to)
	eq(t, "created_by", beadCol(t, town, id, "created_by"), from)
	eq(t, "labels", beadCol(t, town, id, "labels"), `["gt:message","from:`+from+`"]`)
	eq(t, "metadata", beadCol(t, town, id, "metadata"), `{"from_agent_id":"`+from+`","to_agent_id":"`+to+`"}`)
	eq(t, "no events (recipient unhooked)", num(t, town, `SELECT COUNT(*) FROM bead_events`), 0)

	h := mkBead(t, town, CreateBeadInput{})
	must(t, town.HookBead(t0, to, h))
	_, err = town.SendMail(at(time.Second), from, to, "s2", "b")
	must(t, err)
	eq(t, "mail_sent on hook", lastEvent(t, town, h, "mail_sent", "metadata"), `{"subject":"s2","to":"`+to+`"}`)
	eq(t, "mail_sent agent", lastEvent(t, town, h, "mail_sent", "agent_id"), from)
}

func TestCheckMail(t *testing.T) {
	town := newTestTown(t)
	m1, err := town.SendMail(t0, "x", "a", "1", "")
	must(t, err)
	m2, err := town.SendMail(t0, "x", "a", "2", "")
	must(t, err)
	other, err := town.SendMail(t0, "x", "b", "3", "")
	must(t, err)
	must(t, town.CheckMail(at(time.Minute), "a"))
	for _, id := range []string{m1, m2} {
		eq(t, "closed", beadCol(t, town, id, "status"), StatusClosed)
		eq(t, "closed_at", beadCol(t, town, id, "closed_at"), iso(time.Minute))
	}
	eq(t, "other open", beadCol(t, town, other, "status"), StatusOpen)
	before := dump(t, town)
	must(t, town.CheckMail(at(time.Hour), "a"))
	eq(t, "nothing open: no write", dump(t, town), before)
}

package model

import (
	"time"
)

// DebugInsertTownEvent is the test-only event insert: any type, ids ("" =
// NULL) and payload text, stored as given ("" = {}), then the alarm is
// armed. It can store rows the strict drain read rejects.
func (t *Town) DebugInsertTownEvent(now time.Time, typ, agentID, beadID, payloadJSON string) (string, error) {
	if payloadJSON == "" {
		payloadJSON = "{}"
	}
	id, err := t.insertEventRow(now, typ, NullIfEmpty(agentID), NullIfEmpty(beadID), payloadJSON)
	if err != nil {
		return "", err
	}
	t.armAlarmIfNeeded(now)
	return id, nil
}

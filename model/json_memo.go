package model

import (
	"encoding/json"
	"sync"
)

// The reconciler reads the same beads' metadata JSON on every tick (merge
// requests in the review queue, hooked beads): parsing it again was 5 %
// of a default run. ParsedObject keeps the parse of each JSON object text
// it has seen and hands out deep copies, so a caller changing what it got
// changes nothing else, and the answer is always the parse of exactly the
// text given.

// objectMemoSize bounds the texts remembered; when full the memo starts
// again empty.
const objectMemoSize = 4096

var objectMemo = struct {
	sync.Mutex
	m map[string]map[string]any
}{m: map[string]map[string]any{}}

// ParsedObject returns raw parsed as JSON into an any, when that is an
// object (map[string]any); ok is false when raw is not valid JSON or not
// an object, and the caller parses it itself for the error it reports.
func ParsedObject(raw string) (obj map[string]any, ok bool) {
	objectMemo.Lock()
	m, hit := objectMemo.m[raw]
	objectMemo.Unlock()
	if hit {
		return copyObject(m), true
	}
	var v any
	if err := json.Unmarshal([]byte(raw), &v); err != nil {
		return nil, false
	}
	m, ok = v.(map[string]any)
	if !ok {
		return nil, false
	}
	objectMemo.Lock()
	if len(objectMemo.m) >= objectMemoSize {
		clear(objectMemo.m)
	}
	objectMemo.m[raw] = m
	objectMemo.Unlock()
	return copyObject(m), true
}

// copyObject is a deep copy of a decoded JSON object.
func copyObject(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = copyJSON(v)
	}
	return out
}

// copyJSON is a deep copy of a decoded JSON value (objects and arrays are
// copied, the other values are immutable).
func copyJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		return copyObject(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = copyJSON(e)
		}
		return out
	}
	return v
}

// objectMemoLen is the number of texts remembered (for tests).
func objectMemoLen() int {
	objectMemo.Lock()
	defer objectMemo.Unlock()
	return len(objectMemo.m)
}

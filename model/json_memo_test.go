package model

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// ParsedObject answers what json.Unmarshal into an any answers, on the
// first read and on every later read of the same text, and a caller
// changing what it got (nested values included) changes no later answer.
func TestParsedObjectAsUnmarshal(t *testing.T) {
	for _, tc := range []struct {
		raw    string
		object bool
	}{
		{`{"a":1,"b":"x","c":true,"d":null}`, true},
		{`{"nested":{"list":[1,{"k":"v"},[2,3]],"n":-0.5e3}}`, true},
		{`{"dup":1,"dup":2}`, true},
		{`{}`, true},
		{` {"sp" : "aces"} `, true},
		{`null`, false},
		{`[1,2]`, false},
		{`"text"`, false},
		{`{"a":`, false},
		{`{"a":1} trailing`, false},
		{``, false},
	} {
		t.Run(tc.raw, func(t *testing.T) {
			var want any
			wantErr := json.Unmarshal([]byte(tc.raw), &want)
			for read := range 3 {
				got, ok := ParsedObject(tc.raw)
				if ok != tc.object || (ok && wantErr != nil) {
					t.Fatalf("read %d: ok %v, want %v (unmarshal error %v)", read, ok, tc.object, wantErr)
				}
				if !ok {
					continue
				}
				if !reflect.DeepEqual(any(got), want) {
					t.Fatalf("read %d: %#v, unmarshal %#v", read, got, want)
				}
				scribble(got)
			}
		})
	}
}

// scribble changes every object and array in v in place.
func scribble(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			scribble(e)
			x[k+"!"] = "changed"
		}
		x["added"] = 1.0
	case []any:
		for i, e := range x {
			scribble(e)
			x[i] = "changed"
		}
	}
}

// The memo stays bounded however many texts it sees.
func TestParsedObjectMemoBounded(t *testing.T) {
	for i := range objectMemoSize + 10 {
		if _, ok := ParsedObject(fmt.Sprintf(`{"i":%d}`, i)); !ok {
			t.Fatal("not parsed")
		}
		if n := objectMemoLen(); n > objectMemoSize {
			t.Fatalf("%d texts remembered, bound %d", n, objectMemoSize)
		}
	}
}

func BenchmarkParseObject(b *testing.B) {
	raw := `{"pr_url":"https://github.com/o/r/pull/12","source_bead_id":"b-123","attempts":2,"labels":["a","b"],"review":{"state":"open","n":3}}`
	b.Run("unmarshal", func(b *testing.B) {
		for b.Loop() {
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("memo", func(b *testing.B) {
		for b.Loop() {
			if _, ok := ParsedObject(raw); !ok {
				b.Fatal("not parsed")
			}
		}
	})
}

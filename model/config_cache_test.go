package model

import (
	"reflect"
	"testing"
)

// A read after any kind of write sees the new value: the memo is keyed by
// the stored text, so no writer can leave it stale.
func TestTownConfigMemoNeverStale(t *testing.T) {
	for _, tc := range []struct {
		name  string
		write func(t *testing.T, town *Town)
		want  string
	}{
		{"UpdateTownConfig", func(t *testing.T, town *Town) {
			_, err := town.UpdateTownConfig(TownConfigUpdate{MergeStrategy: Ptr(MergeStrategyDirect)})
			must(t, err)
		}, MergeStrategyDirect},
		{"EditTownConfig", func(t *testing.T, town *Town) {
			must(t, town.EditTownConfig(func(c *TownConfig) { c.MergeStrategy = MergeStrategyDirect }))
		}, MergeStrategyDirect},
		{"KV written directly", func(t *testing.T, town *Town) {
			c := NewTownConfig()
			c.MergeStrategy = MergeStrategyDirect
			town.KV().ConfigJSON = MustJSONBytes(c)
		}, MergeStrategyDirect},
		{"stored bytes changed in place", func(t *testing.T, town *Town) {
			raw := town.KV().ConfigJSON
			i := indexOf(raw, `"merge_strategy":"pr"`)
			if i < 0 {
				t.Fatalf("no merge_strategy pr in %s", raw)
			}
			// "pr" -> "PR": the same length, an invalid value.
			raw[i+len(`"merge_strategy":"`)] = 'P'
			raw[i+len(`"merge_strategy":"p`)] = 'R'
		}, "error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			town := newTestTown(t)
			c, err := town.ReadTownConfig()
			must(t, err)
			eq(t, "merge_strategy before", c.MergeStrategy, MergeStrategyPR)
			tc.write(t, town)
			c, err = town.ReadTownConfig()
			if tc.want == "error" {
				if err == nil {
					t.Fatalf("read %q after an invalid write, want the schema's error", c.MergeStrategy)
				}
				return
			}
			must(t, err)
			eq(t, "merge_strategy after", c.MergeStrategy, tc.want)
		})
	}
}

func indexOf(b []byte, s string) int {
	for i := 0; i+len(s) <= len(b); i++ {
		if string(b[i:i+len(s)]) == s {
			return i
		}
	}
	return -1
}

// Changing a config the town returned changes neither the memo nor the
// next read.
func TestTownConfigMemoReturnsCopies(t *testing.T) {
	town := newTestTown(t)
	must(t, town.EditTownConfig(func(c *TownConfig) {
		c.EnvVars = map[string]string{"A": "1"}
		c.MaxPolecatsPerRig = Ptr(4)
		c.Refinery.Gates = []string{"lint"}
		c.CustomInstructions = &CustomInstructions{Polecat: Ptr("be brief")}
	}))
	first, err := town.ReadTownConfig()
	must(t, err)
	want := first.Clone()
	first.EnvVars["A"] = "changed"
	first.EnvVars["B"] = "added"
	*first.MaxPolecatsPerRig = 50
	first.Refinery.Gates[0] = "changed"
	*first.Refinery.AutoMergeDelayMinutes = 99
	first.Refinery.ReviewMode = "changed"
	*first.CustomInstructions.Polecat = "changed"
	again, err := town.ReadTownConfig()
	must(t, err)
	if !reflect.DeepEqual(*again, want) {
		t.Errorf("after changing a returned config the next read is\n%+v\nwant\n%+v", *again, want)
	}
}

// Clone shares nothing with its source, for every field the config has
// now or gets later: each map, slice and pointer reachable from a fully
// filled config must be a different one in the clone.
func TestTownConfigCloneIsDeep(t *testing.T) {
	var c TownConfig
	fill(reflect.ValueOf(&c).Elem())
	cl := c.Clone()
	if !reflect.DeepEqual(c, cl) {
		t.Fatalf("clone differs:\n%+v\n%+v", c, cl)
	}
	shared(t, "TownConfig", reflect.ValueOf(c), reflect.ValueOf(cl))
	var r RigConfig
	fill(reflect.ValueOf(&r).Elem())
	shared(t, "RigConfig", reflect.ValueOf(r), reflect.ValueOf(r.Clone()))
}

// fill sets every field reachable from v to a non-zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.Map:
		v.Set(reflect.MakeMap(v.Type()))
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k)
		fill(e)
		v.SetMapIndex(k, e)
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		fill(v.Index(0))
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(7)
	}
}

// shared reports every map, slice or pointer a and b have in common.
func shared(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if !a.IsNil() && a.UnsafePointer() == b.UnsafePointer() {
			t.Errorf("%s is shared between the config and its clone", path)
			return
		}
	}
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() {
			shared(t, path, a.Elem(), b.Elem())
		}
	case reflect.Struct:
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				shared(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
			}
		}
	case reflect.Slice:
		for i := range a.Len() {
			shared(t, path+"[]", a.Index(i), b.Index(i))
		}
	}
}

// A rig config text is parsed once; changing a returned one does not
// change the next, and a different text parses anew.
func TestRigConfigMemo(t *testing.T) {
	raw := `{"code_review":false,"max_concurrent_polecats":3}`
	a := parseRigConfig(raw)
	*a.CodeReview = true
	*a.MaxConcurrentPolecats = 9
	b := parseRigConfig(raw)
	if *b.CodeReview || *b.MaxConcurrentPolecats != 3 {
		t.Errorf("second parse %+v changed with the first's values", b)
	}
	c := parseRigConfig(`{"code_review":true}`)
	if !*c.CodeReview || c.MaxConcurrentPolecats != nil {
		t.Errorf("another text read %+v", c)
	}
	if d := parseRigConfig(`not json`); !reflect.DeepEqual(d, RigConfig{}) {
		t.Errorf("invalid JSON read %+v, want {}", d)
	}
}

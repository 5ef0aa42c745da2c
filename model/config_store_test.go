package model

import (
	"encoding/json"
	"strings"
	"testing"
)

// storedKeys returns the top-level keys of the stored town config, and
// those of its refinery object ("" when absent).
func storedKeys(t *testing.T, town *Town) (top []string, refinery string) {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(town.StoredConfigJSON(), &m); err != nil {
		t.Fatalf("stored config is not a JSON object: %v", err)
	}
	if r, ok := m["refinery"]; ok {
		refinery = string(r)
	}
	return sortedKeys(m), refinery
}

// A brand-new town is seeded with NEW_TOWN_CONFIG_DEFAULTS the first time
// its config is read, at start-up (src/dos/town/config.ts getTownConfig,
// called by initializeDatabase in src/dos/Town.do.ts): PR merges, staged
// convoys, the comments refinery with a 5-minute auto-merge, and no git
// auth and no token. A town that already has a config is not re-seeded.
func TestNewTownConfigDefaults(t *testing.T) {
	t.Run("fresh town is seeded without a token", func(t *testing.T) {
		town := newTestTown(t)
		if !town.KV().NewDefaultsSeeded {
			t.Fatal("town:config:newDefaultsSeeded not set")
		}
		c, err := town.ReadTownConfig()
		must(t, err)
		eq(t, "merge_strategy", c.MergeStrategy, MergeStrategyPR)
		eq(t, "staged", c.StagedConvoysDefault, true)
		eq(t, "review_mode", c.Refinery.ReviewMode, ReviewModeComments)
		eq(t, "auto_resolve_pr_feedback", c.Refinery.AutoResolvePRFeedback, true)
		eq(t, "auto_merge_delay", *c.Refinery.AutoMergeDelayMinutes, 5)
		eq(t, "git_auth", c.GitAuth, GitAuth{})
		eq(t, "cli pat", c.GitHubCLIPAT, "")
		if res := town.ResolveGitHubToken(c, ""); res.OK {
			t.Fatalf("a fresh town resolved a GitHub token from %s", res.Source)
		}
		top, _ := storedKeys(t, town)
		eqSlice(t, "stored keys", top, []string{"convoy_merge_mode", "disable_ai_coauthor", "env_vars", "git_auth",
			"merge_strategy", "owner_type", "refinery", "staged_convoys_default"})
	})
	t.Run("a stored config is read, not re-seeded", func(t *testing.T) {
		legacy := schemaDefaults()
		town, err := Open(Options{TownID: testTownID, Config: &legacy})
		must(t, err)
		defer town.Close()
		if town.KV().NewDefaultsSeeded {
			t.Fatal("a town with a stored config was seeded")
		}
		c, err := town.ReadTownConfig()
		must(t, err)
		eq(t, "merge_strategy", c.MergeStrategy, MergeStrategyDirect)
		if c.Refinery != nil {
			t.Fatalf("refinery %+v appeared in a legacy config", c.Refinery)
		}
	})
}

// The schema fills defaults on read, drops unknown keys and rejects values
// of the wrong type or range, naming the key (TownConfigSchema in
// src/types.ts; auto_merge_delay_minutes is z.number().int().min(0).nullable()).
func TestParseTownConfig(t *testing.T) {
	five := 5
	cases := []struct {
		name, raw string
		want      func(c TownConfig) bool
		err       string
	}{
		{name: "empty object gets the schema defaults", raw: `{}`, want: func(c TownConfig) bool {
			return c.MergeStrategy == "direct" && !c.StagedConvoysDefault && c.ConvoyMergeMode == MergeModeReviewThenLand &&
				c.OwnerType == "user" && c.Refinery == nil && c.EnvVars != nil
		}},
		{name: "empty refinery gets the refinery defaults", raw: `{"refinery":{}}`, want: func(c TownConfig) bool {
			d := DefaultRefineryConfig()
			return c.Refinery != nil && c.Refinery.ReviewMode == d.ReviewMode && c.Refinery.AutoMerge &&
				c.Refinery.CodeReview && c.Refinery.AutoMergeDelayMinutes == nil && c.Refinery.Gates != nil
		}},
		{name: "null delay disables auto-merge", raw: `{"refinery":{"auto_merge_delay_minutes":null}}`,
			want: func(c TownConfig) bool { return c.Refinery.AutoMergeDelayMinutes == nil }},
		{name: "whole delay", raw: `{"refinery":{"auto_merge_delay_minutes":5}}`,
			want: func(c TownConfig) bool { return *c.Refinery.AutoMergeDelayMinutes == five }},
		{name: "unknown keys are dropped", raw: `{"shiny":1,"merge_strategy":"pr"}`,
			want: func(c TownConfig) bool { return c.MergeStrategy == "pr" }},
		{name: "fractional delay", raw: `{"refinery":{"auto_merge_delay_minutes":2.5}}`, err: "auto_merge_delay_minutes"},
		{name: "negative delay", raw: `{"refinery":{"auto_merge_delay_minutes":-1}}`, err: "refinery.auto_merge_delay_minutes -1 is negative"},
		{name: "bad merge strategy", raw: `{"merge_strategy":"yolo"}`, err: "merge_strategy"},
		{name: "null where no null is allowed", raw: `{"merge_strategy":null}`, err: "merge_strategy is null"},
		{name: "wrong type", raw: `{"staged_convoys_default":"yes"}`, err: "staged_convoys_default"},
		{name: "out of range", raw: `{"max_polecats_per_rig":51}`, err: "max_polecats_per_rig 51 is not in 1..50"},
		{name: "not an object", raw: `[]`, err: "town config"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseTownConfig([]byte(c.raw))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error %v, want one naming %q", err, c.err)
				}
				return
			}
			must(t, err)
			if !c.want(got) {
				t.Fatalf("parsed %+v", got)
			}
		})
	}
}

// updateTownConfig (src/dos/town/config.ts): unspecified keys keep their
// values, optional objects the update does not carry are not added,
// a refinery update fills its missing keys from the stored refinery,
// env_vars are replaced whole, masked secrets keep the stored value, an
// empty default_model clears it, and a result the schema rejects is an
// error that stores nothing.
func TestUpdateTownConfig(t *testing.T) {
	t.Run("partial update keeps the rest and adds nothing", func(t *testing.T) {
		town := newTestTown(t)
		before, _ := storedKeys(t, town)
		c, err := town.UpdateTownConfig(TownConfigUpdate{MergeStrategy: Ptr("direct")})
		must(t, err)
		eq(t, "merge_strategy", c.MergeStrategy, "direct")
		eq(t, "staged kept", c.StagedConvoysDefault, true)
		eq(t, "review mode kept", c.Refinery.ReviewMode, ReviewModeComments)
		after, _ := storedKeys(t, town)
		eqSlice(t, "stored keys", after, before)
	})
	t.Run("refinery update merges with the stored refinery", func(t *testing.T) {
		town := newTestTown(t)
		c, err := town.UpdateTownConfig(TownConfigUpdate{Refinery: &RefineryUpdate{ReviewMode: Ptr(ReviewModeRework)}})
		must(t, err)
		eq(t, "review mode", c.Refinery.ReviewMode, ReviewModeRework)
		eq(t, "delay kept", *c.Refinery.AutoMergeDelayMinutes, 5)
		eq(t, "feedback kept", c.Refinery.AutoResolvePRFeedback, true)
		c, err = town.UpdateTownConfig(TownConfigUpdate{Refinery: &RefineryUpdate{AutoMergeDelayMinutes: NullInt()}})
		must(t, err)
		if c.Refinery.AutoMergeDelayMinutes != nil {
			t.Fatalf("null did not disable auto-merge: %v", *c.Refinery.AutoMergeDelayMinutes)
		}
		eq(t, "review mode kept", c.Refinery.ReviewMode, ReviewModeRework)
	})
	t.Run("refinery update on a legacy town starts from the schema defaults", func(t *testing.T) {
		legacy := schemaDefaults()
		town, err := Open(Options{TownID: testTownID, Config: &legacy})
		must(t, err)
		defer town.Close()
		c, err := town.UpdateTownConfig(TownConfigUpdate{Refinery: &RefineryUpdate{AutoMergeDelayMinutes: Minutes(0)}})
		must(t, err)
		eq(t, "review mode", c.Refinery.ReviewMode, ReviewModeRework)
		eq(t, "feedback", c.Refinery.AutoResolvePRFeedback, false)
		eq(t, "delay", *c.Refinery.AutoMergeDelayMinutes, 0)
		if c.Container != nil || c.RoleModels != nil || c.CustomInstructions != nil {
			t.Fatalf("objects the update did not carry were added: %+v", c)
		}
	})
	t.Run("masked secrets and env vars", func(t *testing.T) {
		town := newTestTown(t)
		_, err := town.UpdateTownConfig(TownConfigUpdate{
			EnvVars: map[string]string{"A": "secret-a", "B": "b"},
			GitAuth: &GitAuthUpdate{GitHubToken: Ptr("ghp_real")}, GitHubCLIPAT: Ptr("pat_real")})
		must(t, err)
		c, err := town.UpdateTownConfig(TownConfigUpdate{
			EnvVars: map[string]string{"A": "****a", "C": "****"},
			GitAuth: &GitAuthUpdate{GitHubToken: Ptr("****real"), GitLabToken: Ptr("****")}, GitHubCLIPAT: Ptr("****")})
		must(t, err)
		eq(t, "env A kept", c.EnvVars["A"], "secret-a")
		eq(t, "env C new masked value taken", c.EnvVars["C"], "****")
		if _, ok := c.EnvVars["B"]; ok {
			t.Fatal("env_vars were merged, not replaced")
		}
		eq(t, "token kept", c.GitAuth.GitHubToken, "ghp_real")
		eq(t, "gitlab masked with nothing stored", c.GitAuth.GitLabToken, "****")
		eq(t, "pat kept", c.GitHubCLIPAT, "pat_real")
	})
	t.Run("empty default model clears it", func(t *testing.T) {
		town := newTestTown(t)
		_, err := town.UpdateTownConfig(TownConfigUpdate{DefaultModel: Ptr("m1")})
		must(t, err)
		c, err := town.UpdateTownConfig(TownConfigUpdate{DefaultModel: Ptr("")})
		must(t, err)
		eq(t, "default_model", c.DefaultModel, "")
	})
	t.Run("invalid result stores nothing", func(t *testing.T) {
		town := newTestTown(t)
		before := string(town.StoredConfigJSON())
		for _, u := range []TownConfigUpdate{
			{Refinery: &RefineryUpdate{AutoMergeDelayMinutes: Minutes(-1)}},
			{MaxPolecatsPerRig: Ptr(0)},
			{MergeStrategy: Ptr("yolo")},
		} {
			if _, err := town.UpdateTownConfig(u); err == nil {
				t.Fatalf("update %+v accepted", u)
			}
		}
		eq(t, "stored config", string(town.StoredConfigJSON()), before)
	})
	t.Run("owner id reaches analytics", func(t *testing.T) {
		var got []AnalyticsEvent
		town, err := Open(Options{TownID: testTownID, Analytics: func(e AnalyticsEvent) { got = append(got, e) }})
		must(t, err)
		defer town.Close()
		_, err = town.UpdateTownConfig(TownConfigUpdate{OwnerUserID: Ptr("user-7")})
		must(t, err)
		town.emit(AnalyticsEvent{Event: "probe"})
		eq(t, "userId", got[len(got)-1].UserID, "user-7")
	})
}

// An update read from JSON: auto_merge_delay_minutes must be a whole
// number >= 0 or null (TownConfigUpdateSchema in src/types.ts).
func TestParseTownConfigUpdate(t *testing.T) {
	cases := []struct {
		raw  string
		want OptionalInt
		err  string
	}{
		{raw: `{}`, want: OptionalInt{}},
		{raw: `{"refinery":{}}`, want: OptionalInt{}},
		{raw: `{"refinery":{"auto_merge_delay_minutes":null}}`, want: NullInt()},
		{raw: `{"refinery":{"auto_merge_delay_minutes":10}}`, want: Minutes(10)},
		{raw: `{"refinery":{"auto_merge_delay_minutes":1.5}}`, err: "not a whole number"},
		{raw: `{"refinery":{"auto_merge_delay_minutes":-2}}`, err: "negative"},
		{raw: `{"merge_strategy":3}`, err: "merge_strategy"},
	}
	for _, c := range cases {
		u, err := ParseTownConfigUpdate([]byte(c.raw))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: error %v, want %q", c.raw, err, c.err)
			}
			continue
		}
		must(t, err)
		var got OptionalInt
		if u.Refinery != nil {
			got = u.Refinery.AutoMergeDelayMinutes
		}
		eq(t, c.raw, got, c.want)
	}
}

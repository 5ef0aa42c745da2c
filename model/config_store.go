package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
)

// The town config is stored as production stores it: one JSON object
// under the KV key `town:config`, read through the schema on every read
// (defaults filled in, unknown keys dropped, a value of the wrong type or
// out of range an error), seeded with the new-town defaults the first
// time a town without one reads it, and changed only by UpdateTownConfig.

// ParseTownConfig is production's schema parse of a stored town config:
// absent keys get their defaults, unknown keys are dropped, and a value of
// the wrong type, a null where none is allowed or a value out of range is
// an error naming its key path.
func ParseTownConfig(raw []byte) (TownConfig, error) {
	c := schemaDefaults()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return TownConfig{}, fmt.Errorf("town config: %w", err)
	}
	if top == nil {
		return TownConfig{}, errors.New("town config: not a JSON object")
	}
	for _, k := range sortedKeys(top) {
		if k != "refinery" && isNull(top[k]) {
			return TownConfig{}, fmt.Errorf("town config: %s is null", k)
		}
	}
	// Decode the top level over the defaults; refinery is decoded apart,
	// over its own defaults.
	refRaw, hasRef := top["refinery"]
	delete(top, "refinery")
	rest, err := json.Marshal(top)
	if err != nil {
		return TownConfig{}, fmt.Errorf("town config: %w", err)
	}
	if err := json.Unmarshal(rest, &c); err != nil {
		return TownConfig{}, fmt.Errorf("town config: %w", err)
	}
	if hasRef {
		if isNull(refRaw) {
			return TownConfig{}, errors.New("town config: refinery is null")
		}
		r, err := parseRefinery(refRaw)
		if err != nil {
			return TownConfig{}, err
		}
		c.Refinery = &r
	}
	if c.EnvVars == nil {
		c.EnvVars = map[string]string{}
	}
	if err := c.Validate(); err != nil {
		return TownConfig{}, err
	}
	return c, nil
}

// parseRefinery decodes a stored refinery object over the schema's
// defaults; only auto_merge_delay_minutes may be null.
func parseRefinery(raw json.RawMessage) (RefineryConfig, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
		return RefineryConfig{}, errors.New("town config: refinery is not an object")
	}
	for _, k := range sortedKeys(fields) {
		if k != "auto_merge_delay_minutes" && isNull(fields[k]) {
			return RefineryConfig{}, fmt.Errorf("town config: refinery.%s is null", k)
		}
	}
	r := DefaultRefineryConfig()
	if err := json.Unmarshal(raw, &r); err != nil {
		return RefineryConfig{}, fmt.Errorf("town config: refinery: %w", err)
	}
	if r.Gates == nil {
		r.Gates = []string{}
	}
	return r, nil
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// StoredConfigJSON returns the stored `town:config` JSON, nil when the
// town has none yet (a brand-new or destroyed town).
func (t *Town) StoredConfigJSON() []byte { return bytes.Clone(t.kv.ConfigJSON) }

// townConfig is getTownConfig: it parses the stored config, seeding the
// new-town defaults (and the `town:config:newDefaultsSeeded` flag) the
// first time a town without one reads it. It fails when the stored config
// does not pass the schema (or when a test set KV.ConfigErr).
func (t *Town) townConfig() (*TownConfig, error) {
	if err := t.Fault(FPConfigRead, ""); err != nil {
		return nil, err
	}
	if t.kv.ConfigErr != nil {
		return nil, t.kv.ConfigErr
	}
	if t.kv.ConfigJSON == nil {
		c := NewTownConfig()
		t.kv.ConfigJSON = MustJSONBytes(c)
		t.kv.NewDefaultsSeeded = true
		return &c, nil
	}
	c, err := t.db.configMemo.parse(t.kv.ConfigJSON)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// PutTownConfig stores c whole, as a storage put of `town:config` would
// (no merge; it must pass the schema). Tests and tools use it to set up a
// town; the world changes config through UpdateTownConfig.
func (t *Town) PutTownConfig(c TownConfig) error {
	raw := MustJSONBytes(c)
	if _, err := ParseTownConfig(raw); err != nil {
		return err
	}
	t.kv.ConfigJSON = raw
	return nil
}

// EditTownConfig reads the config, lets edit change it and stores it
// whole (PutTownConfig). It is a setup helper for tests and tools.
func (t *Town) EditTownConfig(edit func(*TownConfig)) error {
	c, err := t.townConfig()
	if err != nil {
		return err
	}
	edit(c)
	return t.PutTownConfig(*c)
}

// MustJSONBytes marshals v; it panics on values JSON cannot hold.
func MustJSONBytes(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TownConfigUpdate is a partial town config update (production's update
// schema: every key optional, no defaults). A nil field is a key the
// update does not carry, and leaves the stored value alone.
type TownConfigUpdate struct {
	EnvVars             map[string]string   `json:"env_vars,omitempty"`
	GitAuth             *GitAuthUpdate      `json:"git_auth,omitempty"`
	OwnerUserID         *string             `json:"owner_user_id,omitempty"`
	OwnerType           *string             `json:"owner_type,omitempty"`
	OwnerID             *string             `json:"owner_id,omitempty"`
	CreatedByUserID     *string             `json:"created_by_user_id,omitempty"`
	OrganizationID      *string             `json:"organization_id,omitempty"`
	KilocodeToken       *string             `json:"kilocode_token,omitempty"`
	DefaultModel        *string             `json:"default_model,omitempty"`
	RoleModels          *RoleModels         `json:"role_models,omitempty"`
	SmallModel          *string             `json:"small_model,omitempty"`
	MaxPolecatsPerRig   *int                `json:"max_polecats_per_rig,omitempty"`
	MergeStrategy       *string             `json:"merge_strategy,omitempty"`
	Refinery            *RefineryUpdate     `json:"refinery,omitempty"`
	AlarmIntervalActive *int                `json:"alarm_interval_active,omitempty"`
	AlarmIntervalIdle   *int                `json:"alarm_interval_idle,omitempty"`
	Container           *ContainerSettings  `json:"container,omitempty"`
	StagedConvoys       *bool               `json:"staged_convoys_default,omitempty"`
	ConvoyMergeMode     *string             `json:"convoy_merge_mode,omitempty"`
	GitHubCLIPAT        *string             `json:"github_cli_pat,omitempty"`
	GitAuthorName       *string             `json:"git_author_name,omitempty"`
	GitAuthorEmail      *string             `json:"git_author_email,omitempty"`
	DisableAICoauthor   *bool               `json:"disable_ai_coauthor,omitempty"`
	CustomInstructions  *CustomInstructions `json:"custom_instructions,omitempty"`
}

// GitAuthUpdate is the git_auth part of an update.
type GitAuthUpdate struct {
	GitHubToken           *string `json:"github_token,omitempty"`
	GitLabToken           *string `json:"gitlab_token,omitempty"`
	GitLabInstanceURL     *string `json:"gitlab_instance_url,omitempty"`
	PlatformIntegrationID *string `json:"platform_integration_id,omitempty"`
}

// RefineryUpdate is the refinery part of an update.
type RefineryUpdate struct {
	Gates                     []string `json:"gates,omitempty"`
	AutoMerge                 *bool    `json:"auto_merge,omitempty"`
	RequireCleanMerge         *bool    `json:"require_clean_merge,omitempty"`
	CodeReview                *bool    `json:"code_review,omitempty"`
	ReviewMode                *string  `json:"review_mode,omitempty"`
	AutoResolvePRFeedback     *bool    `json:"auto_resolve_pr_feedback,omitempty"`
	AutoResolveMergeConflicts *bool    `json:"auto_resolve_merge_conflicts,omitempty"`
	// AutoMergeDelayMinutes: not Set = not in the update; Null = disable.
	AutoMergeDelayMinutes OptionalInt `json:"auto_merge_delay_minutes"`
}

// OptionalInt is a JSON value that may be absent, null or a whole number.
type OptionalInt struct {
	// Set reports that the key was present; Null that its value was null.
	Set, Null bool
	// V is the value when Set and not Null.
	V int
}

// Minutes returns an OptionalInt holding n.
func Minutes(n int) OptionalInt { return OptionalInt{Set: true, V: n} }

// NullInt returns an OptionalInt holding null.
func NullInt() OptionalInt { return OptionalInt{Set: true, Null: true} }

// UnmarshalJSON reads null or a whole number.
func (o *OptionalInt) UnmarshalJSON(b []byte) error {
	o.Set = true
	if isNull(b) {
		o.Null = true
		return nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f != float64(int(f)) {
		return fmt.Errorf("%v is not a whole number", f)
	}
	o.V = int(f)
	return nil
}

// ParseTownConfigUpdate reads an update from JSON: unknown keys are
// dropped (as production's update schema strips them); a value of the
// wrong type, such as a fractional auto_merge_delay_minutes, is an error.
func ParseTownConfigUpdate(raw []byte) (TownConfigUpdate, error) {
	var u TownConfigUpdate
	if err := json.Unmarshal(raw, &u); err != nil {
		return TownConfigUpdate{}, fmt.Errorf("town config update: %w", err)
	}
	if u.Refinery != nil && u.Refinery.AutoMergeDelayMinutes.Set && !u.Refinery.AutoMergeDelayMinutes.Null &&
		u.Refinery.AutoMergeDelayMinutes.V < 0 {
		return TownConfigUpdate{}, fmt.Errorf("town config update: refinery.auto_merge_delay_minutes %d is negative",
			u.Refinery.AutoMergeDelayMinutes.V)
	}
	return u, nil
}

// maskedSecret is what the settings UI sends back for a secret it showed
// masked: four asterisks and up to four revealed characters.
var maskedSecret = regexp.MustCompile(`^\*{4}.{0,4}$`)

// UpdateTownConfig is the Town's updateTownConfig RPC: it merges update
// into the stored config (keys it does not carry keep their values; env
// vars are replaced whole; masked secrets keep the stored value; a
// refinery update fills its missing keys from the stored refinery, then
// the schema defaults; an empty default_model clears it), validates the
// result with the schema and stores it. An invalid result is an error
// and changes nothing.
func (t *Town) UpdateTownConfig(update TownConfigUpdate) (TownConfig, error) {
	cur, err := t.townConfig()
	if err != nil {
		return TownConfig{}, err
	}
	m := *cur
	if update.EnvVars != nil {
		m.EnvVars = make(map[string]string, len(update.EnvVars))
		for k, v := range update.EnvVars {
			if old, ok := cur.EnvVars[k]; ok && maskedSecret.MatchString(v) {
				v = old
			}
			m.EnvVars[k] = v
		}
	}
	if g := update.GitAuth; g != nil {
		keep := func(dst *string, in *string) {
			if in == nil {
				return
			}
			if maskedSecret.MatchString(*in) && *dst != "" {
				return
			}
			*dst = *in
		}
		keep(&m.GitAuth.GitHubToken, g.GitHubToken)
		keep(&m.GitAuth.GitLabToken, g.GitLabToken)
		keep(&m.GitAuth.GitLabInstanceURL, g.GitLabInstanceURL)
		if g.PlatformIntegrationID != nil {
			m.GitAuth.PlatformIntegrationID = *g.PlatformIntegrationID
		}
	}
	set := func(dst *string, in *string) {
		if in != nil {
			*dst = *in
		}
	}
	set(&m.OwnerUserID, update.OwnerUserID)
	set(&m.OwnerType, update.OwnerType)
	set(&m.OwnerID, update.OwnerID)
	set(&m.CreatedByUserID, update.CreatedByUserID)
	set(&m.OrganizationID, update.OrganizationID)
	set(&m.KilocodeToken, update.KilocodeToken)
	set(&m.DefaultModel, update.DefaultModel) // "" clears it, as production's `|| undefined`
	set(&m.SmallModel, update.SmallModel)
	set(&m.MergeStrategy, update.MergeStrategy)
	set(&m.ConvoyMergeMode, update.ConvoyMergeMode)
	set(&m.GitAuthorName, update.GitAuthorName)
	set(&m.GitAuthorEmail, update.GitAuthorEmail)
	if update.GitHubCLIPAT != nil && !maskedSecret.MatchString(*update.GitHubCLIPAT) {
		m.GitHubCLIPAT = *update.GitHubCLIPAT
	}
	if update.RoleModels != nil {
		rm := *update.RoleModels
		m.RoleModels = &rm
	}
	if update.MaxPolecatsPerRig != nil {
		m.MaxPolecatsPerRig = update.MaxPolecatsPerRig
	}
	if update.AlarmIntervalActive != nil {
		m.AlarmIntervalActive = update.AlarmIntervalActive
	}
	if update.AlarmIntervalIdle != nil {
		m.AlarmIntervalIdle = update.AlarmIntervalIdle
	}
	if update.StagedConvoys != nil {
		m.StagedConvoysDefault = *update.StagedConvoys
	}
	if update.DisableAICoauthor != nil {
		m.DisableAICoauthor = *update.DisableAICoauthor
	}
	if u := update.Refinery; u != nil {
		m.Refinery = mergeRefinery(cur.Refinery, u)
	}
	if u := update.Container; u != nil {
		c := ContainerSettings{SleepAfterMinutes: u.SleepAfterMinutes}
		if c.SleepAfterMinutes == nil && cur.Container != nil {
			c.SleepAfterMinutes = cur.Container.SleepAfterMinutes
		}
		m.Container = &c
	}
	if u := update.CustomInstructions; u != nil {
		var old CustomInstructions
		if cur.CustomInstructions != nil {
			old = *cur.CustomInstructions
		}
		ci := old
		if u.Polecat != nil {
			ci.Polecat = u.Polecat
		}
		if u.Refinery != nil {
			ci.Refinery = u.Refinery
		}
		if u.Mayor != nil {
			ci.Mayor = u.Mayor
		}
		m.CustomInstructions = &ci
	}
	raw := MustJSONBytes(m)
	validated, err := ParseTownConfig(raw)
	if err != nil {
		return TownConfig{}, err
	}
	t.kv.ConfigJSON = MustJSONBytes(validated)
	t.ownerUserID = validated.OwnerUserID
	return validated, nil
}

// mergeRefinery is a refinery update over the stored refinery: each key
// from the update, else the stored value, else the schema default (the
// merged object always carries auto_resolve_merge_conflicts).
func mergeRefinery(cur *RefineryConfig, u *RefineryUpdate) *RefineryConfig {
	d := DefaultRefineryConfig()
	if cur != nil {
		d = *cur
	}
	pick := func(in *bool, stored bool) bool {
		if in != nil {
			return *in
		}
		return stored
	}
	r := RefineryConfig{
		Gates:                 d.Gates,
		AutoMerge:             pick(u.AutoMerge, d.AutoMerge),
		RequireCleanMerge:     pick(u.RequireCleanMerge, d.RequireCleanMerge),
		CodeReview:            pick(u.CodeReview, d.CodeReview),
		ReviewMode:            d.ReviewMode,
		AutoResolvePRFeedback: pick(u.AutoResolvePRFeedback, d.AutoResolvePRFeedback),
		AutoMergeDelayMinutes: d.AutoMergeDelayMinutes,
	}
	if u.Gates != nil {
		r.Gates = slices.Clone(u.Gates)
	}
	if u.ReviewMode != nil {
		r.ReviewMode = *u.ReviewMode
	}
	arc := true
	if d.AutoResolveMergeConflicts != nil {
		arc = *d.AutoResolveMergeConflicts
	}
	if u.AutoResolveMergeConflicts != nil {
		arc = *u.AutoResolveMergeConflicts
	}
	r.AutoResolveMergeConflicts = &arc
	if a := u.AutoMergeDelayMinutes; a.Set {
		if a.Null {
			r.AutoMergeDelayMinutes = nil
		} else {
			v := a.V
			r.AutoMergeDelayMinutes = &v
		}
	}
	return &r
}

// Ptr returns a pointer to v, for the optional fields of an update.
func Ptr[T any](v T) *T { return &v }

package model

import (
	"encoding/json"
	"fmt"
)

// TownConfig is production's town configuration (KV `town:config`) as
// its schema yields it on read: keys with a schema default are always
// set; optional keys without one are nil or "" when absent. Strings use
// "" for absent (production treats an empty string as unset everywhere
// it reads one). It is stored as JSON (see StoredConfigJSON).
type TownConfig struct {
	// EnvVars are injected into every agent process (default {}).
	EnvVars map[string]string `json:"env_vars"`
	// GitAuth is git authentication (default {}).
	GitAuth GitAuth `json:"git_auth"`
	// OwnerUserID is the town owner (analytics userId, wasteland reports).
	OwnerUserID string `json:"owner_user_id,omitempty"`
	// OwnerType is "user" (default) or "org".
	OwnerType string `json:"owner_type"`
	// OwnerID, CreatedByUserID and OrganizationID describe the owner.
	OwnerID         string `json:"owner_id,omitempty"`
	CreatedByUserID string `json:"created_by_user_id,omitempty"`
	OrganizationID  string `json:"organization_id,omitempty"`
	// KilocodeToken is the LLM gateway token.
	KilocodeToken string `json:"kilocode_token,omitempty"`
	// DefaultModel and SmallModel are model names.
	DefaultModel string `json:"default_model,omitempty"`
	// RoleModels are per-role model overrides.
	RoleModels *RoleModels `json:"role_models,omitempty"`
	SmallModel string      `json:"small_model,omitempty"`
	// MaxPolecatsPerRig is a whole number 1..50.
	MaxPolecatsPerRig *int `json:"max_polecats_per_rig,omitempty"`
	// MergeStrategy is "direct" (schema default) or "pr".
	MergeStrategy string `json:"merge_strategy"`
	// Refinery is absent in legacy towns (then poll_pr does no feedback or auto-merge work).
	Refinery *RefineryConfig `json:"refinery,omitempty"`
	// AlarmIntervalActive (5..600 s) and AlarmIntervalIdle (30..3600 s).
	AlarmIntervalActive *int `json:"alarm_interval_active,omitempty"`
	AlarmIntervalIdle   *int `json:"alarm_interval_idle,omitempty"`
	// Container holds container settings.
	Container *ContainerSettings `json:"container,omitempty"`
	// StagedConvoysDefault makes new convoys staged (schema default false).
	StagedConvoysDefault bool `json:"staged_convoys_default"`
	// ConvoyMergeMode is "review-then-land" (default) or "review-and-merge".
	ConvoyMergeMode string `json:"convoy_merge_mode"`
	// GitHubCLIPAT is a long-lived GitHub PAT; first in the token chain.
	GitHubCLIPAT string `json:"github_cli_pat,omitempty"`
	// GitAuthorName and GitAuthorEmail are the commit author.
	GitAuthorName  string `json:"git_author_name,omitempty"`
	GitAuthorEmail string `json:"git_author_email,omitempty"`
	// DisableAICoauthor drops the co-author trailer (default false).
	DisableAICoauthor bool `json:"disable_ai_coauthor"`
	// CustomInstructions are per-role prompt additions (at most 2,000 characters each).
	CustomInstructions *CustomInstructions `json:"custom_instructions,omitempty"`
}

// GitAuth is the town config's git_auth object.
type GitAuth struct {
	// GitHubToken is a stored installation token (last in the token chain).
	GitHubToken string `json:"github_token,omitempty"`
	// GitLabToken and GitLabInstanceURL are the GitLab settings.
	GitLabToken       string `json:"gitlab_token,omitempty"`
	GitLabInstanceURL string `json:"gitlab_instance_url,omitempty"`
	// PlatformIntegrationID names a GitHub App installation whose tokens
	// the token service mints.
	PlatformIntegrationID string `json:"platform_integration_id,omitempty"`
}

// RoleModels are the per-role model overrides.
type RoleModels struct {
	Mayor    string `json:"mayor,omitempty"`
	Refinery string `json:"refinery,omitempty"`
	Polecat  string `json:"polecat,omitempty"`
}

// ContainerSettings is the town config's container object.
type ContainerSettings struct {
	// SleepAfterMinutes is a whole number 5..120.
	SleepAfterMinutes *int `json:"sleep_after_minutes,omitempty"`
}

// CustomInstructions are the per-role custom instructions.
type CustomInstructions struct {
	Polecat  *string `json:"polecat,omitempty"`
	Refinery *string `json:"refinery,omitempty"`
	Mayor    *string `json:"mayor,omitempty"`
}

// RefineryConfig is the town-level `refinery` object as production reads
// it, after its schema has filled in defaults: a stored object without
// auto_merge or code_review reads as true for both. Build one from
// DefaultRefineryConfig, not from the zero value (whose booleans are false).
type RefineryConfig struct {
	Gates                     []string `json:"gates"`
	AutoMerge                 bool     `json:"auto_merge"`
	RequireCleanMerge         bool     `json:"require_clean_merge"`
	CodeReview                bool     `json:"code_review"`
	ReviewMode                string   `json:"review_mode"`
	AutoResolvePRFeedback     bool     `json:"auto_resolve_pr_feedback"`
	AutoResolveMergeConflicts *bool    `json:"auto_resolve_merge_conflicts,omitempty"`
	// AutoMergeDelayMinutes is a whole number >= 0; nil (JSON null) means
	// auto-merge is disabled.
	AutoMergeDelayMinutes *int `json:"auto_merge_delay_minutes"`
}

// NewTownConfig returns the configuration production seeds a brand-new
// town with the first time its config is read (NEW_TOWN_CONFIG_DEFAULTS
// passed through the schema): PR merges, staged convoys, comment reviews
// and auto-merge after 5 minutes, which differ from the schema defaults.
// It has no git auth and no token: a fresh town cannot poll its PRs until
// a token is configured.
func NewTownConfig() TownConfig {
	c := schemaDefaults()
	c.MergeStrategy = MergeStrategyPR
	c.StagedConvoysDefault = true
	delay := 5
	c.Refinery = &RefineryConfig{
		Gates:                 []string{},
		AutoMerge:             true,
		RequireCleanMerge:     true,
		CodeReview:            true,
		ReviewMode:            ReviewModeComments,
		AutoResolvePRFeedback: true,
		AutoMergeDelayMinutes: &delay,
	}
	return c
}

// schemaDefaults is what the schema yields for a stored `{}`.
func schemaDefaults() TownConfig {
	return TownConfig{
		EnvVars:         map[string]string{},
		OwnerType:       "user",
		MergeStrategy:   MergeStrategyDirect,
		ConvoyMergeMode: MergeModeReviewThenLand,
	}
}

// Merge strategies and review modes of the town config.
const (
	MergeStrategyDirect = "direct"
	MergeStrategyPR     = "pr"
	ReviewModeRework    = "rework"
	ReviewModeComments  = "comments"
)

// DefaultRefineryConfig returns the refinery object production's schema
// yields for a stored `refinery: {}`: the schema defaults, which differ
// from what a brand-new town is seeded with (NewTownConfig).
func DefaultRefineryConfig() RefineryConfig {
	return RefineryConfig{
		Gates:                 []string{},
		AutoMerge:             true,
		RequireCleanMerge:     true,
		CodeReview:            true,
		ReviewMode:            ReviewModeRework,
		AutoResolvePRFeedback: false,
		AutoMergeDelayMinutes: nil,
	}
}

// RigConfig is a rig's override configuration (the rigs.config column).
// Pointer fields are optional keys.
type RigConfig struct {
	CodeReview                *bool  `json:"code_review,omitempty"`
	AutoResolvePRFeedback     *bool  `json:"auto_resolve_pr_feedback,omitempty"`
	AutoResolveMergeConflicts *bool  `json:"auto_resolve_merge_conflicts,omitempty"`
	AutoMergeDelayMinutes     *int   `json:"auto_merge_delay_minutes,omitempty"`
	MergeStrategy             string `json:"merge_strategy,omitempty"`
	ConvoyMergeMode           string `json:"convoy_merge_mode,omitempty"`
	MaxConcurrentPolecats     *int   `json:"max_concurrent_polecats,omitempty"`
	MaxDispatchAttempts       *int   `json:"max_dispatch_attempts,omitempty"`
}

// parseRigConfig reads a rigs.config text; invalid JSON reads as {} as in
// production. Each distinct text is parsed once (config_cache.go).
func parseRigConfig(raw string) RigConfig { return parseRigConfigMemo(raw) }

// parseRigConfigText parses a rigs.config text.
func parseRigConfigText(raw string) RigConfig {
	var c RigConfig
	if raw == "" {
		return c
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return RigConfig{}
	}
	return c
}

// Validate reports the first value production's schema would reject,
// naming its key path.
func (c TownConfig) Validate() error {
	if c.OwnerType != "user" && c.OwnerType != "org" {
		return fmt.Errorf("town config: owner_type %q is not user or org", c.OwnerType)
	}
	if err := intRange("max_polecats_per_rig", c.MaxPolecatsPerRig, 1, 50); err != nil {
		return err
	}
	switch c.MergeStrategy {
	case MergeStrategyDirect, MergeStrategyPR:
	default:
		return fmt.Errorf("town config: merge_strategy %q is not direct or pr", c.MergeStrategy)
	}
	if r := c.Refinery; r != nil {
		switch r.ReviewMode {
		case ReviewModeRework, ReviewModeComments:
		default:
			return fmt.Errorf("town config: refinery.review_mode %q is not rework or comments", r.ReviewMode)
		}
		if r.AutoMergeDelayMinutes != nil && *r.AutoMergeDelayMinutes < 0 {
			return fmt.Errorf("town config: refinery.auto_merge_delay_minutes %d is negative", *r.AutoMergeDelayMinutes)
		}
	}
	if err := intRange("alarm_interval_active", c.AlarmIntervalActive, 5, 600); err != nil {
		return err
	}
	if err := intRange("alarm_interval_idle", c.AlarmIntervalIdle, 30, 3600); err != nil {
		return err
	}
	if c.Container != nil {
		if err := intRange("container.sleep_after_minutes", c.Container.SleepAfterMinutes, 5, 120); err != nil {
			return err
		}
	}
	switch c.ConvoyMergeMode {
	case MergeModeReviewThenLand, MergeModeReviewAndMerge:
	default:
		return fmt.Errorf("town config: convoy_merge_mode %q is not review-then-land or review-and-merge", c.ConvoyMergeMode)
	}
	if ci := c.CustomInstructions; ci != nil {
		for _, p := range []struct {
			key string
			v   *string
		}{{"polecat", ci.Polecat}, {"refinery", ci.Refinery}, {"mayor", ci.Mayor}} {
			if p.v != nil && len([]rune(*p.v)) > 2000 {
				return fmt.Errorf("town config: custom_instructions.%s is longer than 2000 characters", p.key)
			}
		}
	}
	return nil
}

func intRange(key string, v *int, lo, hi int) error {
	if v != nil && (*v < lo || *v > hi) {
		return fmt.Errorf("town config: %s %d is not in %d..%d", key, *v, lo, hi)
	}
	return nil
}

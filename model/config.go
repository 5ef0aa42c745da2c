package model

import (
	"encoding/json"
	"fmt"
)

// TownConfig is the part of production's town configuration (KV
// `town:config`) that the Town's state logic and reconciler read. Pointer
// fields are optional keys: nil means absent.
type TownConfig struct {
	// MergeStrategy is "direct" or "pr" (schema default "direct").
	MergeStrategy string `json:"merge_strategy"`
	// StagedConvoysDefault makes new convoys staged (schema default false).
	StagedConvoysDefault bool `json:"staged_convoys_default"`
	// ConvoyMergeMode is "review-then-land" (default) or "review-and-merge".
	ConvoyMergeMode string `json:"convoy_merge_mode"`
	// Refinery is absent in legacy towns (then poll_pr does no feedback or auto-merge work).
	Refinery *RefineryConfig `json:"refinery,omitempty"`
	// OwnerUserID is the town owner (analytics userId, wasteland reports).
	OwnerUserID string `json:"owner_user_id,omitempty"`
	// GitHubToken stands for the resolved GitHub token chain (PR calls need one).
	GitHubToken string `json:"github_token,omitempty"`
	// GitLabToken and GitLabInstanceURL stand for git_auth's GitLab settings.
	GitLabToken       string `json:"gitlab_token,omitempty"`
	GitLabInstanceURL string `json:"gitlab_instance_url,omitempty"`
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
	// AutoMergeDelayMinutes nil means auto-merge is disabled.
	AutoMergeDelayMinutes *float64 `json:"auto_merge_delay_minutes"`
}

// NewTownConfig returns the configuration production seeds a brand-new town
// with (reconciler.md Addendum C), which differs from the schema defaults.
func NewTownConfig() TownConfig {
	t := true
	delay := 5.0
	return TownConfig{
		MergeStrategy:        "pr",
		StagedConvoysDefault: true,
		ConvoyMergeMode:      MergeModeReviewThenLand,
		Refinery: &RefineryConfig{
			Gates:                     []string{},
			AutoMerge:                 true,
			RequireCleanMerge:         true,
			CodeReview:                true,
			ReviewMode:                "comments",
			AutoResolvePRFeedback:     true,
			AutoResolveMergeConflicts: &t,
			AutoMergeDelayMinutes:     &delay,
		},
		GitHubToken: "ghp_simulated",
	}
}

// DefaultRefineryConfig returns the refinery object production's schema
// yields for a stored `refinery: {}`: the schema defaults, which differ
// from what a brand-new town is seeded with (NewTownConfig).
func DefaultRefineryConfig() RefineryConfig {
	t := true
	return RefineryConfig{
		Gates:                     []string{},
		AutoMerge:                 true,
		RequireCleanMerge:         true,
		CodeReview:                true,
		ReviewMode:                "rework",
		AutoResolvePRFeedback:     false,
		AutoResolveMergeConflicts: &t,
		AutoMergeDelayMinutes:     nil,
	}
}

// RigConfig is a rig's override configuration (the rigs.config column).
// Pointer fields are optional keys.
type RigConfig struct {
	CodeReview                *bool    `json:"code_review,omitempty"`
	AutoResolvePRFeedback     *bool    `json:"auto_resolve_pr_feedback,omitempty"`
	AutoResolveMergeConflicts *bool    `json:"auto_resolve_merge_conflicts,omitempty"`
	AutoMergeDelayMinutes     *float64 `json:"auto_merge_delay_minutes,omitempty"`
	MergeStrategy             string   `json:"merge_strategy,omitempty"`
	ConvoyMergeMode           string   `json:"convoy_merge_mode,omitempty"`
	MaxConcurrentPolecats     *int     `json:"max_concurrent_polecats,omitempty"`
	MaxDispatchAttempts       *int     `json:"max_dispatch_attempts,omitempty"`
}

// parseRigConfig reads a rigs.config text; invalid JSON reads as {} as in
// production.
func parseRigConfig(raw string) RigConfig {
	var c RigConfig
	if raw == "" {
		return c
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return RigConfig{}
	}
	return c
}

// Validate reports the first value production's schema would reject.
func (c TownConfig) Validate() error {
	switch c.MergeStrategy {
	case "direct", "pr":
	default:
		return fmt.Errorf("town config: merge_strategy %q is not direct or pr", c.MergeStrategy)
	}
	switch c.ConvoyMergeMode {
	case MergeModeReviewThenLand, MergeModeReviewAndMerge:
	default:
		return fmt.Errorf("town config: convoy_merge_mode %q is not review-then-land or review-and-merge", c.ConvoyMergeMode)
	}
	if c.Refinery != nil && c.Refinery.AutoMergeDelayMinutes != nil && *c.Refinery.AutoMergeDelayMinutes < 0 {
		return fmt.Errorf("town config: refinery.auto_merge_delay_minutes %v is negative", *c.Refinery.AutoMergeDelayMinutes)
	}
	return nil
}

package sim

import (
	"errors"
	"time"

	"github.com/townsim/townsim/model"
)

// SimUserID is the user id the simulated rigs are configured with.
const SimUserID = "user-sim"

// SimKilocodeToken is the LLM gateway token the platform hands each
// simulated rig's runtime config (unless the town has none).
const SimKilocodeToken = "kilo_simulated"

// townConfigUpdate is the config update that turns a brand-new town's
// config (production's new-town defaults) into the scenario's: the merge
// strategy, the refinery's review mode and auto-merge delay, staged
// convoys and the GitHub token source.
func townConfigUpdate(s TownSettings) model.TownConfigUpdate {
	u := model.TownConfigUpdate{StagedConvoys: model.Ptr(s.StagedConvoys)}
	if s.MergeStrategy != "" {
		u.MergeStrategy = model.Ptr(s.MergeStrategy)
	}
	ref := &model.RefineryUpdate{AutoMergeDelayMinutes: model.NullInt()}
	if !s.NoAutoMerge {
		ref.AutoMergeDelayMinutes = model.Minutes(int(s.AutoMergeDelay.Minutes()))
	}
	if s.AutoMergeFlagOff {
		ref.AutoMerge = model.Ptr(false)
	}
	if s.ReviewMode != "" {
		ref.ReviewMode = model.Ptr(s.ReviewMode)
	}
	if s.EscalateConflicts {
		ref.AutoResolveMergeConflicts = model.Ptr(false)
	}
	if s.CodeReviewOff {
		ref.CodeReview = model.Ptr(false)
	}
	u.Refinery = ref
	if s.Owner {
		u.OwnerUserID = model.Ptr(SimUserID)
	}
	switch s.GitHubToken {
	case TokenStored:
		u.GitAuth = &model.GitAuthUpdate{GitHubToken: model.Ptr("ghs_simulated_stored")}
	case TokenCLIPAT:
		u.GitHubCLIPAT = model.Ptr("ghp_simulated_pat")
	case TokenTownIntegration:
		u.GitAuth = &model.GitAuthUpdate{PlatformIntegrationID: model.Ptr("integration-town")}
	}
	if s.GitLabRigs > 0 {
		if u.GitAuth == nil {
			u.GitAuth = &model.GitAuthUpdate{}
		}
		u.GitAuth.GitLabToken = model.Ptr(SimGitLabToken)
		if h := s.gitLabHost(); h != gitLabCom {
			u.GitAuth.GitLabInstanceURL = model.Ptr("https://" + h)
		}
	}
	return u
}

// SimGitLabToken is the GitLab token a town with GitLab rigs is
// configured with.
const SimGitLabToken = "glpat_simulated"

const gitLabCom = "gitlab.com"

// gitLabHost is the host of the GitLab rigs' repositories.
func (s TownSettings) gitLabHost() string {
	if s.GitLabHost == "" {
		return gitLabCom
	}
	return s.GitLabHost
}

// rigRuntimeConfig is the runtime config the world configures a rig with.
func rigRuntimeConfig(townID, rigID, gitURL, branch string, s TownSettings) model.RigRuntimeConfig {
	c := model.RigRuntimeConfig{TownID: townID, RigID: rigID, GitURL: gitURL, DefaultBranch: branch, UserID: SimUserID}
	if !s.NoKilocodeToken {
		c.KilocodeToken = SimKilocodeToken
	}
	if s.GitHubToken == TokenRigIntegration {
		c.PlatformIntegrationID = "integration-" + rigID
	}
	return c
}

// simulatedTokenService is the platform's git token service: it mints a
// token for any integration id.
func simulatedTokenService(id string) (string, error) {
	if id == "" {
		return "", errors.New("no integration id")
	}
	return "ghs_minted_" + id, nil
}

// TownSettings is the part of the town configuration a scenario chooses.
type TownSettings struct {
	// MergeStrategy is "pr" (the new-town default) or "direct".
	MergeStrategy string `yaml:"merge_strategy"`
	// ReviewMode is refinery.review_mode: "comments" (new-town default) or "rework".
	ReviewMode string `yaml:"review_mode"`
	// AutoMergeDelay is refinery.auto_merge_delay_minutes (new-town default 5 min).
	AutoMergeDelay time.Duration `yaml:"auto_merge_delay"`
	// NoAutoMerge leaves auto_merge_delay_minutes null (auto-merge off).
	NoAutoMerge bool `yaml:"no_auto_merge"`
	// AutoMergeFlagOff sets refinery.auto_merge false while
	// auto_merge_delay_minutes keeps its value: auto-merge is off by the
	// flag, not by a missing delay.
	AutoMergeFlagOff bool `yaml:"auto_merge_flag_off"`
	// EscalateConflicts sets refinery.auto_resolve_merge_conflicts false:
	// a PR's merge conflicts are escalated to a human (an escalation bead
	// and a triage request) instead of handed to a polecat. The zero
	// value leaves production's default (auto-resolve).
	EscalateConflicts bool `yaml:"escalate_conflicts"`
	// StagedConvoys is staged_convoys_default (new-town default true).
	StagedConvoys bool `yaml:"staged_convoys"`
	// CodeReviewOff sets the town's refinery.code_review false, so code
	// review is off in every rig that does not override it (production's
	// town settings page); CodeReviewOffRigs is the rigs' own override.
	// The zero value leaves production's default (code review on).
	CodeReviewOff bool `yaml:"code_review_off"`
	// CodeReviewOffRigs is how many rigs (the first ones) switch code
	// review off in their override config (rigs.config code_review false).
	CodeReviewOffRigs int `yaml:"code_review_off_rigs"`
	// GitHubToken is where the town's GitHub token comes from. The zero
	// value, TokenNone, is production's brand-new town: no token, so its
	// first PR poll fails every MR with no_token. DefaultConfig configures
	// a stored token (TokenStored).
	GitHubToken TokenSource `yaml:"github_token"`
	// NoKilocodeToken configures the rigs without a kilocode (LLM
	// gateway) token, so no token resolves and production's ensureMayor
	// defers the mayor's start (the mayor stays idle until a message
	// starts it). The zero value gives every rig the platform's token,
	// which configureRig copies into the town config.
	NoKilocodeToken bool `yaml:"no_kilocode_token"`
	// GitLabRigs is how many rigs (the last ones) keep their repository
	// on GitLab: their PRs are GitLab merge requests, which production
	// polls for status only (no feedback fetch, no merge call: a human
	// merges them), and the town config gets git_auth.gitlab_token.
	GitLabRigs int `yaml:"gitlab_rigs"`
	// GitLabHost is the GitLab rigs' host ("" = gitlab.com); any other
	// host is configured as git_auth.gitlab_instance_url.
	GitLabHost string `yaml:"gitlab_host"`
	// RigGitURLs is how the users wrote their rigs' git URLs at creation
	// (production's createRig takes any HTTPS or SSH remote): "" gives
	// every rig https://host/org/repo.git; "mixed" gives rig i (from 0),
	// by i mod 3, an HTTPS URL with embedded credentials
	// (https://oauth2:<token>@host/org/repo.git), an SSH remote
	// (git@host:org/repo.git), or the plain HTTPS URL.
	RigGitURLs string `yaml:"rig_git_urls"`
	// Owner sets the town config's owner_user_id (SimUserID), as a town a
	// user created in production has; the zero value leaves it unset. The
	// wasteland reporter calls the wasteland service only for a town with
	// an owner (and analytics carry it as userId).
	Owner bool `yaml:"owner"`
	// DefaultBranches is each rig's default branch, in rig order, as its
	// user chose it at creation (production's createRig accepts any
	// branch name and defaults to main); a rig past the list's end, or an
	// empty entry, gets main. nil = every rig on main.
	DefaultBranches []string `yaml:"default_branches"`
}

// rigDefaultBranch is the default branch of the i-th rig.
func (s TownSettings) rigDefaultBranch(i int) string {
	if i < len(s.DefaultBranches) && s.DefaultBranches[i] != "" {
		return s.DefaultBranches[i]
	}
	return "main"
}

// TokenSource names a link of production's GitHub token chain that a
// scenario configures (resolveGitHubToken: CLI PAT, town platform
// integration, rig platform integration, stored git_auth token).
type TokenSource string

// The token sources.
const (
	// TokenNone configures no token (a fresh town).
	TokenNone TokenSource = ""
	// TokenStored sets git_auth.github_token.
	TokenStored TokenSource = "stored"
	// TokenCLIPAT sets github_cli_pat.
	TokenCLIPAT TokenSource = "cli_pat"
	// TokenTownIntegration sets git_auth.platform_integration_id; the
	// simulated token service mints a token for it.
	TokenTownIntegration TokenSource = "town_integration"
	// TokenRigIntegration sets each rig's platformIntegrationId only.
	// Production's PR poller never passes the rig's integration to the
	// token chain, so such a town polls with no token (no_token).
	TokenRigIntegration TokenSource = "rig_integration"
)

// rigGitURL is the git URL rig i (from 0) was created with: the
// repository org/name on host, written as RigGitURLs says.
func (s TownSettings) rigGitURL(i int, host, org, name string) string {
	if s.RigGitURLs == "mixed" {
		switch i % 3 {
		case 0:
			return "https://oauth2:simulated-token@" + host + "/" + org + "/" + name + ".git"
		case 1:
			return "git@" + host + ":" + org + "/" + name + ".git"
		}
	}
	return "https://" + host + "/" + org + "/" + name + ".git"
}

// AutoMergeOn reports whether the town's configuration lets the Town merge
// a green PR by itself: refinery.auto_merge on and a delay configured.
func (s TownSettings) AutoMergeOn() bool { return !s.NoAutoMerge && !s.AutoMergeFlagOff }

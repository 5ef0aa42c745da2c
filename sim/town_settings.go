package sim

import (
	"errors"

	"github.com/townsim/townsim/model"
)

// SimUserID is the user id the simulated rigs are configured with.
const SimUserID = "user-sim"

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
	if s.ReviewMode != "" {
		ref.ReviewMode = model.Ptr(s.ReviewMode)
	}
	u.Refinery = ref
	switch s.GitHubToken {
	case TokenStored:
		u.GitAuth = &model.GitAuthUpdate{GitHubToken: model.Ptr("ghs_simulated_stored")}
	case TokenCLIPAT:
		u.GitHubCLIPAT = model.Ptr("ghp_simulated_pat")
	case TokenTownIntegration:
		u.GitAuth = &model.GitAuthUpdate{PlatformIntegrationID: model.Ptr("integration-town")}
	}
	return u
}

// rigRuntimeConfig is the runtime config the world configures a rig with.
func rigRuntimeConfig(townID, rigID, gitURL string, s TownSettings) model.RigRuntimeConfig {
	c := model.RigRuntimeConfig{TownID: townID, RigID: rigID, GitURL: gitURL, DefaultBranch: "main", UserID: SimUserID}
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

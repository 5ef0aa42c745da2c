package model

// GitHubTokenResolution is the outcome of ResolveGitHubToken: the token
// and the source it came from, or the sources tried, in order.
type GitHubTokenResolution struct {
	OK     bool
	Token  string
	Source string
	// Tried lists the sources tried when none gave a token; it is the
	// resolution chain of a no_token failure message.
	Tried []string
}

// TokenService is the platform's git token service: it mints a fresh
// GitHub App installation token for an integration id ("" or an error
// when it cannot).
type TokenService func(integrationID string) (string, error)

// ResolveGitHubToken is production's resolveGitHubToken (town-scm):
//
//  1. the town's github_cli_pat;
//  2. a platform integration: the town's git_auth.platform_integration_id,
//     else rigIntegrationID (the caller's rig, when it passes one), asked
//     of the token service; an empty answer or an error falls through;
//  3. the town's stored git_auth.github_token.
//
// The tried list names each source as production does, including
// "platform integration (none configured)" and "… (GIT_TOKEN_SERVICE not
// bound)" when the Town has no token service. The PR poller passes no rig
// integration, so a rig-only integration never reaches it.
func (t *Town) ResolveGitHubToken(cfg *TownConfig, rigIntegrationID string) GitHubTokenResolution {
	var tried []string
	if cfg.GitHubCLIPAT != "" {
		return GitHubTokenResolution{OK: true, Token: cfg.GitHubCLIPAT, Source: "town.github_cli_pat"}
	}
	tried = append(tried, "town.github_cli_pat")
	id, label := cfg.GitAuth.PlatformIntegrationID, "town platform integration"
	if id == "" {
		id, label = rigIntegrationID, "rig platform integration"
	}
	switch {
	case id != "" && t.opts.TokenService != nil:
		tried = append(tried, label)
		if tok, err := t.opts.TokenService(id); err == nil && tok != "" {
			return GitHubTokenResolution{OK: true, Token: tok, Source: label}
		}
	case id == "":
		tried = append(tried, "platform integration (none configured)")
	default:
		tried = append(tried, label+" (GIT_TOKEN_SERVICE not bound)")
	}
	if cfg.GitAuth.GitHubToken != "" {
		return GitHubTokenResolution{OK: true, Token: cfg.GitAuth.GitHubToken, Source: "town.git_auth.github_token"}
	}
	return GitHubTokenResolution{Tried: append(tried, "town.git_auth.github_token")}
}

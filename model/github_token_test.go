package model

import (
	"errors"
	"slices"
	"testing"
)

// resolveGitHubToken (src/dos/town/town-scm.ts): CLI PAT, then a platform
// integration (the town's, else the caller's rig's) through the token
// service, then the stored git_auth token; on failure the sources tried,
// in order, as the no_token message lists them.
func TestResolveGitHubToken(t *testing.T) {
	mint := func(id string) (string, error) { return "minted-" + id, nil }
	empty := func(string) (string, error) { return "", nil }
	broken := func(string) (string, error) { return "", errors.New("down") }
	cases := []struct {
		name    string
		cfg     TownConfig
		rig     string
		service TokenService
		source  string
		token   string
		tried   []string
	}{
		{name: "nothing configured",
			tried: []string{"town.github_cli_pat", "platform integration (none configured)", "town.git_auth.github_token"}},
		{name: "CLI PAT first", cfg: TownConfig{GitHubCLIPAT: "pat", GitAuth: GitAuth{GitHubToken: "stored", PlatformIntegrationID: "i"}},
			service: mint, source: "town.github_cli_pat", token: "pat"},
		{name: "town integration before the stored token", cfg: TownConfig{GitAuth: GitAuth{GitHubToken: "stored", PlatformIntegrationID: "i1"}},
			service: mint, source: "town platform integration", token: "minted-i1"},
		{name: "town integration wins over the rig's", cfg: TownConfig{GitAuth: GitAuth{PlatformIntegrationID: "i1"}},
			rig: "r1", service: mint, source: "town platform integration", token: "minted-i1"},
		{name: "rig integration", rig: "r1", service: mint, source: "rig platform integration", token: "minted-r1"},
		{name: "empty minted token falls back to the stored one", cfg: TownConfig{GitAuth: GitAuth{GitHubToken: "stored", PlatformIntegrationID: "i1"}},
			service: empty, source: "town.git_auth.github_token", token: "stored"},
		{name: "failing service, nothing stored", cfg: TownConfig{GitAuth: GitAuth{PlatformIntegrationID: "i1"}},
			service: broken, tried: []string{"town.github_cli_pat", "town platform integration", "town.git_auth.github_token"}},
		{name: "service not bound", rig: "r1",
			tried: []string{"town.github_cli_pat", "rig platform integration (GIT_TOKEN_SERVICE not bound)", "town.git_auth.github_token"}},
		{name: "stored token alone", cfg: TownConfig{GitAuth: GitAuth{GitHubToken: "stored"}},
			source: "town.git_auth.github_token", token: "stored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			town, err := Open(Options{TownID: testTownID, TokenService: c.service})
			must(t, err)
			defer town.Close()
			res := town.ResolveGitHubToken(&c.cfg, c.rig)
			eq(t, "ok", res.OK, c.source != "")
			eq(t, "source", res.Source, c.source)
			eq(t, "token", res.Token, c.token)
			if !slices.Equal(res.Tried, c.tried) {
				t.Fatalf("tried %q, want %q", res.Tried, c.tried)
			}
		})
	}
}

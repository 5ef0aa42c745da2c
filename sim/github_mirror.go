package sim

import (
	"strings"

	"github.com/townsim/townsim/des"
)

// Hosts of the mirrors a polecat may push to (GitHubConfig.Mirror): a
// forge with GitHub-style PR URLs and a GitLab instance the town's
// config does not name.
const (
	mirrorHost       = "git.mirror.example"
	mirrorGitLabHost = "gitlab.mirror.example"
)

// reported returns the URL a polecat reports for the PR it opened at url:
// with GitHubConfig.Mirror, a draw of the "github/mirror" stream (drawn
// only when the knob is on, so other runs keep their traces) makes it the
// same PR's URL on a mirror no provider of the town polls.
func (g *github) reported(url, rigID string) string {
	if g.cfg.Mirror <= 0 || url == "" || !g.w.src.Stream("github/mirror").Bool(g.cfg.Mirror) {
		return url
	}
	path := url[strings.Index(url[len("https://"):], "/")+len("https://"):]
	host := mirrorHost
	if g.rigOf(rigID).gitlab {
		host = mirrorGitLabHost
	}
	mirrored := "https://" + host + path
	g.w.record("pr", des.F("url", url), des.F("event", "mirrored"), des.F("reported", mirrored))
	return mirrored
}

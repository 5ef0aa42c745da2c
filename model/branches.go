package model

import (
	"regexp"
	"strings"
)

// Agent branch names are built by the Town and sent in the start payload
// (container-dispatch's branchForAgent and branchForConvoyAgent); the
// container works on the branch it is given.

var (
	branchUnsafe = regexp.MustCompile(`[^a-z0-9-]`)
	branchDashes = regexp.MustCompile(`-+`)
)

// branchSlug lower-cases an agent name, turns every character other than
// a-z, 0-9 and '-' into '-' and squeezes runs of dashes.
func branchSlug(name string) string {
	return branchDashes.ReplaceAllString(branchUnsafe.ReplaceAllString(strings.ToLower(name), "-"), "-")
}

// first8 is JavaScript's slice(0, 8) on an id (ids are ASCII).
func first8(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}

// BranchForAgent is the working branch of an agent on a bead:
// gt/<slug of name>/<first 8 characters of the bead id>, or gt/<slug>
// without a bead (the mayor).
func BranchForAgent(name, beadID string) string {
	b := "gt/" + branchSlug(name)
	if beadID != "" {
		b += "/" + first8(beadID)
	}
	return b
}

// BranchForConvoyAgent is the working branch of an agent on a convoy's
// bead: a sibling of the convoy feature branch's /head ref,
// <feature branch without /head>/gt/<slug>/<first 8 of the bead id>.
func BranchForConvoyAgent(convoyFeatureBranch, name, beadID string) string {
	prefix := strings.TrimSuffix(convoyFeatureBranch, "/head")
	return prefix + "/gt/" + branchSlug(name) + "/" + first8(beadID)
}

// startCall is the start payload of an agent on a bead (beadID "" for
// the mayor) from a rig's runtime config: the working branch (a convoy
// sibling branch when the bead is in a convoy with a feature branch,
// which is then also the start point) and the rig's repository settings.
func startCall(agentName, beadID, convoyFeatureBranch string, rc RigRuntimeConfig) Call {
	c := Call{GitURL: rc.GitURL, DefaultBranch: rc.DefaultBranch, UserID: rc.UserID,
		PlatformIntegrationID: rc.PlatformIntegrationID}
	if convoyFeatureBranch != "" {
		c.Branch = BranchForConvoyAgent(convoyFeatureBranch, agentName, beadID)
		c.StartPoint = "origin/" + convoyFeatureBranch
	} else {
		c.Branch = BranchForAgent(agentName, beadID)
	}
	return c
}

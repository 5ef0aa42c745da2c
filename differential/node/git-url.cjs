// townsim's stand-in for the monorepo's @kilocode/worker-utils/git-url,
// which a gastown checkout imports but does not contain. It reads a git
// URL as townsim's port does (model/reconciler/town_scm.go, parseGitURL):
// github.com owner/repo, gitlab.com group path/project, anything else
// null. Differential mode therefore cannot catch a difference in the URL
// parsing itself (docs/differential.md).
'use strict';
function parseGitUrl(raw) {
  if (typeof raw !== 'string') return null;
  let u = raw.endsWith('.git') ? raw.slice(0, -4) : raw;
  u = u.replace(/\/\/[^@]+@/, '//');
  const m = /^https?:\/\/([^/]+)\/(.+)/.exec(u) ?? /^git@([^:]+):(.+)/.exec(u);
  if (!m) return null;
  const [, host, p] = m;
  if (host === 'github.com') {
    const parts = p.split('/');
    if (parts.length < 2) return null;
    return { platform: 'github', owner: parts[0], repo: parts[1] };
  }
  if (host === 'gitlab.com') {
    const i = p.lastIndexOf('/');
    if (i <= 0) return null;
    return { platform: 'gitlab', owner: p.slice(0, i), repo: p.slice(i + 1) };
  }
  return null;
}
module.exports = { parseGitUrl };

package differential

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// MinNodeMajor is the oldest Node.js major version the host runs on.
const MinNodeMajor = 20

// NodeDirEnv names the environment variable that points at the folder
// holding host.mjs and its node_modules, when townsim cannot find it.
const NodeDirEnv = "TOWNSIM_NODE_DIR"

// reconcilerPath is where a gastown root keeps its reconcile.
const reconcilerPath = "src/dos/town/reconciler.ts"

// GastownRoot returns the folder of services/gastown inside dir: dir
// itself when it is a checkout of services/gastown alone, or
// dir/services/gastown in a checkout of the whole monorepo.
func GastownRoot(dir string) (string, error) {
	if dir == "" {
		return "", errors.New("no gastown checkout given")
	}
	if fi, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("gastown checkout %s: %w", dir, err)
	} else if !fi.IsDir() {
		return "", fmt.Errorf("gastown checkout %s is not a folder", dir)
	}
	for _, root := range []string{filepath.Join(dir, "services", "gastown"), dir} {
		if _, err := os.Stat(filepath.Join(root, reconcilerPath)); err == nil {
			abs, err := filepath.Abs(root)
			if err != nil {
				return "", err
			}
			return abs, nil
		}
	}
	return "", fmt.Errorf("gastown checkout %s has no reconcile: neither %s nor %s exists", dir,
		filepath.Join(dir, "services", "gastown", reconcilerPath), filepath.Join(dir, reconcilerPath))
}

// NodeDir finds the folder of the host program (host.mjs, entry.ts,
// stub.cjs and node_modules): explicit if set, else $TOWNSIM_NODE_DIR, else
// differential/node in the current folder or one of its parents, else the
// folder next to this package's source. It checks that the npm packages
// are installed and names the command that installs them if not.
func NodeDir(explicit string) (string, error) {
	var candidates []string
	switch {
	case explicit != "":
		candidates = []string{explicit}
	case os.Getenv(NodeDirEnv) != "":
		candidates = []string{os.Getenv(NodeDirEnv)}
	default:
		if wd, err := os.Getwd(); err == nil {
			for d := wd; ; d = filepath.Dir(d) {
				candidates = append(candidates, filepath.Join(d, "differential", "node"))
				if filepath.Dir(d) == d {
					break
				}
			}
		}
		if _, file, _, ok := runtime.Caller(0); ok {
			candidates = append(candidates, filepath.Join(filepath.Dir(file), "node"))
		}
	}
	dir := ""
	for _, c := range candidates {
		if _, err := os.Stat(filepath.Join(c, "host.mjs")); err == nil {
			dir = c
			break
		}
	}
	if dir == "" {
		return "", fmt.Errorf("the differential host (host.mjs) was not found in %s; run townsim from its repository or set %s to its differential/node folder",
			strings.Join(candidates, ", "), NodeDirEnv)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	var missing []string
	for _, pkg := range []string{"esbuild", "sql.js", "zod"} {
		if _, err := os.Stat(filepath.Join(abs, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, pkg)
		}
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("npm packages missing in %s: %s; install them with: npm ci --prefix %s",
			abs, strings.Join(missing, ", "), abs)
	}
	return abs, nil
}

// NodeBinary finds node in PATH and checks its version.
func NodeBinary() (string, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return "", fmt.Errorf("differential mode needs Node.js %d or later: node was not found in PATH", MinNodeMajor)
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return "", fmt.Errorf("differential mode needs Node.js %d or later: %s --version failed: %v", MinNodeMajor, node, err)
	}
	v := string(bytes.TrimSpace(out))
	major, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(v, "v"), ".", 2)[0])
	if err != nil || major < MinNodeMajor {
		return "", fmt.Errorf("differential mode needs Node.js %d or later; %s is %s", MinNodeMajor, node, v)
	}
	return node, nil
}

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
	"syscall"
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
	abs, err := findNodeDir(explicit)
	if err != nil {
		return "", err
	}
	if missing := missingPackages(abs); len(missing) > 0 {
		return "", fmt.Errorf("npm packages missing in %s: %s; install them with: npm ci --prefix %s",
			abs, strings.Join(missing, ", "), abs)
	}
	return abs, nil
}

// InstallPackages installs the host's pinned npm packages (npm ci, from
// its lock file) into the folder NodeDir finds, when any is missing. The
// tests call it, so that `go test ./...` works on a fresh checkout with
// Node.js and the npm registry at hand.
func InstallPackages(explicit string) error {
	abs, err := findNodeDir(explicit)
	if err != nil {
		return err
	}
	if len(missingPackages(abs)) == 0 {
		return nil
	}
	// Test binaries of several packages may get here at once: one npm at
	// a time, and the others find the packages installed.
	lock, err := os.OpenFile(filepath.Join(abs, ".install.lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if len(missingPackages(abs)) == 0 {
		return nil
	}
	out, err := exec.Command("npm", "ci", "--prefix", abs, "--no-audit", "--no-fund").CombinedOutput()
	if err != nil {
		return fmt.Errorf("npm ci --prefix %s: %v\n%s", abs, err, out)
	}
	return nil
}

// missingPackages lists the host's npm packages not installed in abs.
func missingPackages(abs string) []string {
	var missing []string
	for _, pkg := range []string{"esbuild", "sql.js", "zod"} {
		if _, err := os.Stat(filepath.Join(abs, "node_modules", pkg, "package.json")); err != nil {
			missing = append(missing, pkg)
		}
	}
	return missing
}

// findNodeDir finds the host program's folder (see NodeDir).
func findNodeDir(explicit string) (string, error) {
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

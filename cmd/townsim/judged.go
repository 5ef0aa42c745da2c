package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/townsim/townsim/differential"
	"github.com/townsim/townsim/scenarios"
)

// replayGastown is `townsim replay --gastown`: the checkout's host and
// how its reconcile takes part in the judged run.
type replayGastown struct {
	host *differential.Host
	g    scenarios.Gastown
}

// startReplayGastown checks the --gastown flags and starts the host; on
// failure it returns nil and the exit status (2: bad flags or a checkout
// that does not bundle).
func startReplayGastown(dir, mode, diffs string, maxDiffs int, strict bool, stderr io.Writer) (*replayGastown, int) {
	m, err := differential.ParseMode(mode)
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: --gastown-mode: %v\n", err)
		return nil, 2
	}
	if strict && m != differential.ModeDrive {
		fmt.Fprintln(stderr, "townsim replay: --strict: only with --gastown-mode drive (in compare mode every difference fails already)")
		return nil, 2
	}
	if maxDiffs < 0 {
		fmt.Fprintf(stderr, "townsim replay: --max-diffs: must be 0 (save all) or more, got %d\n", maxDiffs)
		return nil, 2
	}
	if diffs == "" {
		if diffs, err = os.MkdirTemp("", "townsim-replay-diffs-"); err != nil {
			fmt.Fprintf(stderr, "townsim replay: %v\n", err)
			return nil, 1
		}
	} else if err := differential.CheckNewDir(diffs, "diff"); err != nil {
		fmt.Fprintf(stderr, "townsim replay: --diffs: %v\n", err)
		return nil, 2
	}
	h, err := differential.StartHost(differential.HostOptions{Gastown: dir})
	if err != nil {
		fmt.Fprintf(stderr, "townsim replay: --gastown: %v\n", err)
		return nil, 2
	}
	return &replayGastown{host: h, g: scenarios.Gastown{Host: h, Mode: m, DiffDir: diffs, SaveLimit: maxDiffs, Strict: strict}}, 0
}

// gastownFlagsUnused refuses --gastown-mode, --diffs and --strict without
// --gastown.
func gastownFlagsUnused(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "gastown-mode", "diffs", "strict", "max-diffs":
			if err == nil {
				err = fmt.Errorf("--%s: needs --gastown", f.Name)
			}
		}
	})
	return err
}

// summary prints what the checkout's reconcile did, on stderr.
func (r *replayGastown) summary(w io.Writer, gr scenarios.GastownResult) {
	st := gr.Stats
	fmt.Fprintf(w, "townsim replay: --gastown %s (%s mode): %d passes compared, %d differed", r.host.Root, gr.Mode, st.Compared, st.Differed)
	if gr.DiffDir != "" {
		fmt.Fprintf(w, " (saved in %s)", gr.DiffDir)
	}
	if gr.Events != nil && gr.Actions != nil {
		fmt.Fprintf(w, "; %d events and %d action steps compared, %d differed", gr.Events.Compared, gr.Actions.Compared, gr.Events.Differed+gr.Actions.Differed)
	}
	if gr.OriginalThrew > 0 {
		fmt.Fprintf(w, "; the original threw on %d passes", gr.OriginalThrew)
	}
	fmt.Fprintln(w)
	if gr.Verdict != "" {
		fmt.Fprintf(w, "townsim replay: VERDICT the checkout cannot run the town: %s\n", gr.Verdict)
	}
	if st.Table != nil {
		var b strings.Builder
		writeDiffTable(&b, st.Table)
		fmt.Fprint(w, b.String())
	}
}

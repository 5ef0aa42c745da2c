package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/townsim/townsim/reports"
	"github.com/townsim/townsim/reports/sweep"
)

// progress shows how far a sweep is: the runs finished and, for each run
// going on, the simulated time it has reached. On a terminal it is one
// line redrawn in place; otherwise plain lines every interval (a CI log
// gets no carriage-return frames), whether or not a run finished.
type progress struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	live     *sweep.Live
	total    int
	start    time.Time
	mu       sync.Mutex
	done     int
	last     string // the latest finished run
	quit     chan struct{}
	stopped  chan struct{}
}

func newProgress(w io.Writer, interval time.Duration, live *sweep.Live, total int) *progress {
	return &progress{w: w, tty: isTerminal(w), interval: interval, live: live, total: total, start: time.Now(),
		quit: make(chan struct{}), stopped: make(chan struct{})}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	if l, ok := w.(*lockedWriter); ok {
		w = l.w
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// run starts the progress lines: every interval off a terminal, every
// second on one.
func (p *progress) run() {
	every := p.interval
	if p.tty {
		every = time.Second
	}
	go func() {
		defer close(p.stopped)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				p.print()
			}
		}
	}()
}

// update notes a finished run (sweep.Options.Progress).
func (p *progress) update(done, total int, last *sweep.RunResult) {
	p.mu.Lock()
	p.done = done
	p.last = fmt.Sprintf("%d agents seed %d in %s", last.Point.Agents, last.Seed, reports.ShortDuration(last.Wall))
	p.mu.Unlock()
	if p.tty {
		p.print()
	}
}

// line is the progress line now.
func (p *progress) line() string {
	p.mu.Lock()
	done, last := p.done, p.last
	p.mu.Unlock()
	el := time.Since(p.start)
	msg := fmt.Sprintf("[%d/%d done] %s elapsed", done, p.total, reports.ShortDuration(el.Round(time.Second)))
	if done > 0 && done < p.total {
		eta := time.Duration(float64(el) / float64(done) * float64(p.total-done))
		msg += fmt.Sprintf(", about %s left", reports.ShortDuration(eta.Round(time.Second)))
	}
	if last != "" {
		msg += "; last: " + last
	}
	if running := p.live.Running(); len(running) > 0 {
		var parts []string
		for _, r := range running {
			if r.Remote {
				parts = append(parts, fmt.Sprintf("%d agents seed %d in a worker (%s simulated)", r.Point.Agents, r.Seed,
					reports.ShortDuration(r.Duration)))
				continue
			}
			parts = append(parts, fmt.Sprintf("%d agents seed %d at %s of %s", r.Point.Agents, r.Seed,
				reports.ShortDuration(r.Reached.Truncate(time.Second)), reports.ShortDuration(r.Duration)))
		}
		msg += "; running: " + strings.Join(parts, ", ")
	}
	return msg
}

func (p *progress) print() {
	msg := p.line()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", msg)
		return
	}
	fmt.Fprintln(p.w, msg)
}

// finish stops the lines and prints the last one.
func (p *progress) finish() {
	close(p.quit)
	<-p.stopped
	p.print()
	if p.tty {
		fmt.Fprintln(p.w)
	}
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	fmt.Fprintf(p.w, "townsim sweep: %d of %d runs done in %s\n", done, p.total, reports.ShortDuration(time.Since(p.start)))
}

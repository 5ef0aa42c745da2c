package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
)

// notifyInterrupt relays the signals that stop a run; tests replace it.
var notifyInterrupt = func(c chan<- os.Signal) { signal.Notify(c, os.Interrupt, syscall.SIGTERM) }

// stopSignals stops relaying signals to c; tests replace it.
var stopSignals = func(c chan<- os.Signal) { signal.Stop(c) }

// exitNow ends the process at once; tests replace it.
var exitNow = os.Exit

// interrupts watches for Ctrl-C and SIGTERM while a run goes on: the first
// asks the run to stop at its next event (requested), the second exits at
// once with status 130, without a summary.
type interrupts struct {
	sigs chan os.Signal
	done chan struct{}
	stop atomic.Bool
}

// watchInterrupts starts watching for townsim run; close stops it.
func watchInterrupts(stderr io.Writer) *interrupts {
	return watchInterruptsSaying(stderr,
		"townsim run: %v: stopping after the current event (press Ctrl-C again to quit at once)\n",
		"townsim run: %v again: quitting at once; no summary, and the trace file may end mid-record\n")
}

// watchInterruptsSaying starts watching, acknowledging the first signal
// with first and the second with second (each a format taking the signal).
func watchInterruptsSaying(stderr io.Writer, first, second string) *interrupts {
	in := &interrupts{sigs: make(chan os.Signal, 2), done: make(chan struct{})}
	notifyInterrupt(in.sigs)
	go func() {
		for n := 1; ; n++ {
			select {
			case <-in.done:
				return
			case s := <-in.sigs:
				if n == 1 {
					in.stop.Store(true)
					fmt.Fprintf(stderr, first, s)
					continue
				}
				fmt.Fprintf(stderr, second, s)
				exitNow(130)
				return
			}
		}
	}()
	return in
}

// requested reports whether a first signal arrived.
func (in *interrupts) requested() bool { return in.stop.Load() }

// close stops watching.
func (in *interrupts) close() {
	stopSignals(in.sigs)
	close(in.done)
}

// lockedWriter serialises writes from the run and the signal watcher.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

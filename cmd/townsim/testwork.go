package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/townsim/townsim/sim"
)

// testExtraWorkEnv names the environment variable of a TEST-ONLY knob:
// when it holds a fraction F (e.g. 0.25), `townsim run` makes every tick
// do F times its own CPU work again, as pure computation after the tick
// (never a sleep, and never touching the model: trace hashes stay the
// same). `townsim gate --against REV --test-extra-work F` sets it for the
// current build's runs only, to measure whether the gate catches a real
// compute regression of that size (docs/gate.md). No user should set it.
const testExtraWorkEnv = "TOWNSIM_TEST_EXTRA_TICK_WORK"

// applyTestExtraWork installs the test-only extra work when the
// environment asks for it.
func applyTestExtraWork(opts *sim.RunOptions) error {
	v, ok := os.LookupEnv(testExtraWorkEnv)
	if !ok || v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 100 {
		return fmt.Errorf("%s (a test-only knob): want a fraction such as 0.25, got %q", testExtraWorkEnv, v)
	}
	wrap, err := extraTickWork(f)
	if err != nil {
		return fmt.Errorf("%s (a test-only knob): %v", testExtraWorkEnv, err)
	}
	opts.WrapTick = wrap
	return nil
}

// spin does n rounds of arithmetic the compiler cannot drop.
func spin(n int) {
	x := spinSink
	for i := 0; i < n; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	spinSink = x
}

var spinSink uint64 = 88172645463325252

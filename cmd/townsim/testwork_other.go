//go:build !linux

package main

import (
	"errors"

	"github.com/townsim/townsim/sim"
)

// extraTickWork needs a per-thread CPU clock; only Linux has it here.
func extraTickWork(float64) (func(sim.TickFunc) sim.TickFunc, error) {
	return nil, errors.New("needs Linux (a per-thread CPU clock)")
}

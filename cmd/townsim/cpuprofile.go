package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// cpuProfile is a CPU profile being written to a new file (--cpuprofile).
// The profile samples the whole process, SQLite's C code included (its
// samples stop at the cgo call that entered it); read it with
// `go tool pprof`.
type cpuProfile struct{ f *os.File }

// startCPUProfile starts profiling into path, which must not exist yet;
// "" profiles nothing.
func startCPUProfile(path string) (*cpuProfile, error) {
	if path == "" {
		return &cpuProfile{}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		os.Remove(path)
		return nil, fmt.Errorf("--cpuprofile: %v", err)
	}
	return &cpuProfile{f: f}, nil
}

// stop ends the profile and closes its file; calling it again does
// nothing.
func (p *cpuProfile) stop() error {
	if p.f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	err := p.f.Close()
	p.f = nil
	if err != nil {
		return fmt.Errorf("--cpuprofile: %v", err)
	}
	return nil
}

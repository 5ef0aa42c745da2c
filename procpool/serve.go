package procpool

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
)

// Handler answers one task: it decodes the raw task and returns a value
// to encode as the answer, or the task's error.
type Handler func(task json.RawMessage) (any, error)

// Serve is the worker's loop: it reads task lines from in, runs handle on
// each, and writes one answer line per task to out, with the CPU time the
// task took, until in ends. A handler that panics fails its task, not
// the worker.
func Serve(in io.Reader, out io.Writer, handle Handler) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<16), 1<<28)
	enc := json.NewEncoder(out)
	for sc.Scan() {
		var req request
		if err := json.Unmarshal(sc.Bytes(), &req); err != nil {
			return fmt.Errorf("procpool: a task line that is not JSON: %w", err)
		}
		before := ProcessCPU()
		v, err := call(handle, req.Task)
		resp := response{ID: req.ID, CPUNanos: int64(ProcessCPU() - before)}
		if err == nil {
			resp.Result, err = json.Marshal(v)
		}
		if err != nil {
			resp.Error = err.Error()
		}
		if err := enc.Encode(resp); err != nil {
			return err
		}
	}
	return sc.Err()
}

// call runs handle, turning a panic into the task's error.
func call(handle Handler, task json.RawMessage) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the task panicked: %v", r)
		}
	}()
	return handle(task)
}

// Self returns a Command that re-executes the running binary with args
// (a hidden worker subcommand).
func Self(args ...string) (func() *exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("procpool: finding the running binary: %w", err)
	}
	return func() *exec.Cmd { return exec.Command(exe, args...) }, nil
}

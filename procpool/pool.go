package procpool

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"time"
)

// request is one task line to a worker.
type request struct {
	ID   int64           `json:"id"`
	Task json.RawMessage `json:"task"`
}

// response is one answer line from a worker.
type response struct {
	ID     int64           `json:"id"`
	Result json.RawMessage `json:"result,omitempty"`
	Error  string          `json:"error,omitempty"`
	// CPUNanos is the CPU time (user and system) the worker spent on the
	// task.
	CPUNanos int64 `json:"cpu_ns"`
}

// Options configure a pool.
type Options struct {
	// Workers is the number of worker processes (at least 1).
	Workers int
	// Command returns a fresh worker's command; the pool sets its stdin
	// and stdout (the pipe) and, when nil, its stderr to Stderr.
	Command func() *exec.Cmd
	// Stderr receives the workers' stderr (nil = os.Stderr).
	Stderr io.Writer
}

// Pool is a set of worker processes.
type Pool struct {
	opts   Options
	idle   chan *worker
	mu     sync.Mutex
	all    map[*worker]bool
	nextID int64
	closed bool
}

// worker is one worker process and its pipe.
type worker struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("procpool: the pool is closed")

// Start starts the workers.
func Start(opts Options) (*Pool, error) {
	if opts.Workers < 1 {
		return nil, fmt.Errorf("procpool: %d workers; want at least 1", opts.Workers)
	}
	if opts.Command == nil {
		return nil, fmt.Errorf("procpool: no worker command")
	}
	if opts.Stderr == nil {
		opts.Stderr = os.Stderr
	}
	p := &Pool{opts: opts, idle: make(chan *worker, opts.Workers), all: map[*worker]bool{}}
	for range opts.Workers {
		w, err := p.spawn()
		if err != nil {
			p.Close()
			return nil, err
		}
		p.idle <- w
	}
	return p, nil
}

// Workers is the number of worker processes.
func (p *Pool) Workers() int { return p.opts.Workers }

// spawn starts one worker process.
func (p *Pool) spawn() (*worker, error) {
	cmd := p.opts.Command()
	if cmd.Stderr == nil {
		cmd.Stderr = p.opts.Stderr
	}
	cmd.SysProcAttr = sysProcAttr()
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("procpool: starting worker %s: %w", cmd.Path, err)
	}
	w := &worker{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<16)}
	p.mu.Lock()
	p.all[w] = true
	p.mu.Unlock()
	return w, nil
}

// kill ends a worker process and forgets it.
func (p *Pool) kill(w *worker) {
	p.mu.Lock()
	delete(p.all, w)
	p.mu.Unlock()
	w.in.Close()
	w.cmd.Process.Kill()
	w.cmd.Wait()
}

// Do runs task (any JSON value) on the next free worker and decodes the
// answer into result (a pointer, or nil to drop it). It returns the CPU
// time the worker spent on it. When ctx ends before the answer, the
// worker is killed (and replaced) and Do returns ctx's error; when the
// worker dies, Do returns an error and the pool replaces it. A task's
// own error (the handler's) comes back as a *TaskError.
func (p *Pool) Do(ctx context.Context, task, result any) (time.Duration, error) {
	raw, err := json.Marshal(task)
	if err != nil {
		return 0, fmt.Errorf("procpool: encoding the task: %w", err)
	}
	var w *worker
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case w = <-p.idle:
	}
	if w == nil {
		p.idle <- nil // let the other waiters see the close too
		return 0, ErrClosed
	}
	p.mu.Lock()
	p.nextID++
	id := p.nextID
	p.mu.Unlock()
	type answer struct {
		r   response
		err error
	}
	done := make(chan answer, 1)
	go func() {
		line, err := json.Marshal(request{ID: id, Task: raw})
		if err == nil {
			_, err = w.in.Write(append(line, '\n'))
		}
		if err != nil {
			done <- answer{err: fmt.Errorf("procpool: writing to worker %d: %w", w.cmd.Process.Pid, err)}
			return
		}
		b, err := w.out.ReadBytes('\n')
		if err != nil {
			done <- answer{err: fmt.Errorf("procpool: worker %d ended without an answer: %w", w.cmd.Process.Pid, err)}
			return
		}
		var r response
		if err := json.Unmarshal(b, &r); err != nil || r.ID != id {
			done <- answer{err: fmt.Errorf("procpool: worker %d answered %q to task %d", w.cmd.Process.Pid, truncate(b), id)}
			return
		}
		done <- answer{r: r}
	}()
	var a answer
	select {
	case <-ctx.Done():
		p.kill(w)
		<-done
		p.replace()
		return 0, ctx.Err()
	case a = <-done:
	}
	if a.err != nil {
		p.kill(w)
		p.replace()
		return 0, a.err
	}
	p.release(w)
	cpu := time.Duration(a.r.CPUNanos)
	if a.r.Error != "" {
		return cpu, &TaskError{Msg: a.r.Error}
	}
	if result != nil {
		if err := json.Unmarshal(a.r.Result, result); err != nil {
			return cpu, fmt.Errorf("procpool: decoding the answer: %w", err)
		}
	}
	return cpu, nil
}

// release returns a worker to the idle set, or ends it after Close.
func (p *Pool) release(w *worker) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		p.kill(w)
		return
	}
	p.idle <- w
}

// replace starts a worker in place of one that was killed; when it cannot,
// the pool has one worker fewer (and Do fails once none is left).
func (p *Pool) replace() {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return
	}
	w, err := p.spawn()
	if err != nil {
		fmt.Fprintf(p.opts.Stderr, "procpool: %v\n", err)
		return
	}
	p.idle <- w
}

// Close ends every worker: idle ones at once (their stdin closes and they
// exit), busy ones when their task ends or is cancelled.
func (p *Pool) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case w := <-p.idle:
			if w != nil {
				p.kill(w)
			}
		default:
			p.idle <- nil
			return nil
		}
	}
}

// TaskError is a task's own failure, as the worker's handler returned it.
type TaskError struct{ Msg string }

func (e *TaskError) Error() string { return e.Msg }

func truncate(b []byte) string {
	if len(b) > 200 {
		return string(b[:200]) + "..."
	}
	return string(b)
}

package supervisor

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"
)

// child is one incarnation of the supervised process. A single goroutine
// (own, per platform) starts it, waits for it and reaps it; everyone else
// only signals it through signalLocked, which refuses once it has exited, so
// no signal can reach a recycled PID.
type child struct {
	pid     int
	cmd     *exec.Cmd
	started time.Time

	stdinW    *os.File // kept open for the child's life: --exit-on-stdin-eof
	stdinOnce sync.Once

	mu     sync.Mutex
	exited bool // set before the child is reaped

	done    chan struct{} // closed once reaped; exit is valid then
	exit    exitInfo
	outDone chan struct{} // closed once stdout and stderr hit EOF
	log     *childLog
}

type exitInfo struct {
	code   int    // -1 if killed by a signal
	signal string // signal name, empty if it exited
}

func (e exitInfo) String() string {
	if e.signal != "" {
		return "killed by signal " + e.signal
	}
	return fmt.Sprintf("exited with code %d", e.code)
}

// spawnChild starts cfg.Path with pipes for stdin (held open, and carrying
// cfg.Secret as its first line), stdout and stderr (re-emitted through log).
func spawnChild(cfg *Config, log *childLog) (*child, error) {
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("supervisor: stdin pipe: %w", err)
	}
	if cfg.Secret != "" {
		// Into the pipe's buffer before the child exists: nothing can block
		// or race, and no other process ever holds the pipe.
		if _, err := stdinW.WriteString(cfg.Secret + "\n"); err != nil {
			closeAll(stdinR, stdinW)
			return nil, fmt.Errorf("supervisor: writing the secret to the child's stdin: %w", err)
		}
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		closeAll(stdinR, stdinW)
		return nil, fmt.Errorf("supervisor: stdout pipe: %w", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		closeAll(stdinR, stdinW, outR, outW)
		return nil, fmt.Errorf("supervisor: stderr pipe: %w", err)
	}
	cmd := &exec.Cmd{
		Path:        cfg.Path,
		Args:        append([]string{cfg.Path}, cfg.Args...),
		Env:         cfg.Env,
		Dir:         cfg.Dir,
		Stdin:       stdinR,
		Stdout:      outW,
		Stderr:      errW,
		ExtraFiles:  cfg.ExtraFiles,
		SysProcAttr: sysProcAttr(),
	}
	c := &child{
		cmd:     cmd,
		stdinW:  stdinW,
		done:    make(chan struct{}),
		outDone: make(chan struct{}),
		log:     log,
	}
	startErr := make(chan error, 1)
	go c.own(startErr)
	err = <-startErr
	// The child holds its own copies now; ours would keep the pipes open
	// past its death and hide EOF.
	closeAll(stdinR, outW, errW)
	if err != nil {
		closeAll(stdinW, outR, errR)
		return nil, fmt.Errorf("supervisor: start %s: %w", cfg.Path, err)
	}
	c.pid = cmd.Process.Pid
	c.started = time.Now()

	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); log.consume(errR, "stderr"); _ = errR.Close() }()
	go func() { defer wg.Done(); log.consume(outR, "stdout"); _ = outR.Close() }()
	go func() { wg.Wait(); close(c.outDone) }()
	return c, nil
}

// reaped records the exit and releases what the child held; called by own.
func (c *child) reaped(state *os.ProcessState) {
	c.exit = exitInfo{code: -1}
	if state != nil {
		c.exit = exitInfo{code: state.ExitCode(), signal: exitSignal(state)}
	}
	c.closeStdin()
	close(c.done)
}

func (c *child) closeStdin() {
	c.stdinOnce.Do(func() { _ = c.stdinW.Close() })
}

// terminate asks the child to stop gracefully; kill forces it. Both are
// no-ops once the child has exited.
func (c *child) terminate() { c.signalLocked(false) }
func (c *child) kill()      { c.signalLocked(true) }

func (c *child) signalLocked(force bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return
	}
	signalChild(c, force)
}

// stop terminates the child, waits up to grace, then kills it; it returns
// once the child is reaped. kill, when closed, skips the rest of the grace.
func (c *child) stop(grace time.Duration, killNow <-chan struct{}) {
	c.terminate()
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-c.done:
		return
	case <-t.C:
	case <-killNow:
	}
	c.kill()
	<-c.done
}

// waitOutput gives the output readers a moment to drain the child's final
// lines into the tail before a crash report is written. False means
// something (a grandchild?) still holds the child's stdout or stderr.
func (c *child) waitOutput(limit time.Duration) bool {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case <-c.outDone:
		return true
	case <-t.C:
		return false
	}
}

func closeAll(fs ...*os.File) {
	for _, f := range fs {
		_ = f.Close()
	}
}

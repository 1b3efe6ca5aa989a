//go:build linux

package extract

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const concurrentExtractors = 20

// 20 goroutines, each with its own flock descriptors, race on an empty
// directory: exactly one extracts, all get a valid executable.
func TestConcurrentGoroutinesExtractOnce(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		mu        sync.Mutex
		extracted int
		exes      []*Exe
		errs      []error
	)
	for i := 0; i < concurrentExtractors; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Mode: ModeDisk})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			exes = append(exes, e)
			if e.Extracted {
				extracted++
			}
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	if extracted != 1 {
		t.Fatalf("%d extractions, want exactly 1", extracted)
	}
	for _, e := range exes {
		runPayload(t, e.Path)
		closeExe(t, e)
	}
}

// The same with 20 separate processes (the test binary re-executed), all
// released at once by a barrier file.
func TestConcurrentProcessesExtractOnce(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	blobPath := writeBlob(t, blob)
	barrier := filepath.Join(t.TempDir(), "go")
	var cmds []*os.Process
	var outs []*bytes.Buffer
	var stderrs []*bytes.Buffer
	var waits []chan error
	for i := 0; i < concurrentExtractors; i++ {
		cmd := helperCmd(t, "extract", a, blobPath, dir, helperBarrierEnv+"="+barrier)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		ch := make(chan error, 1)
		go func() { ch <- cmd.Wait() }()
		cmds, outs, stderrs, waits = append(cmds, cmd.Process), append(outs, &out), append(stderrs, &errb), append(waits, ch)
	}
	// Let every helper reach the barrier before releasing them.
	time.Sleep(200 * time.Millisecond)
	must(t, os.WriteFile(barrier, nil, 0o600))

	extracted := 0
	for i, ch := range waits {
		select {
		case err := <-ch:
			if err != nil {
				t.Errorf("helper %d: %v: %s", i, err, stderrs[i])
				continue
			}
		case <-time.After(2 * time.Minute):
			_ = cmds[i].Signal(syscall.SIGKILL)
			t.Fatalf("helper %d did not finish", i)
		}
		if strings.Contains(outs[i].String(), "extracted=true") {
			extracted++
		} else if !strings.Contains(outs[i].String(), "extracted=false") {
			t.Errorf("helper %d printed %q", i, outs[i])
		}
	}
	if extracted != 1 {
		t.Fatalf("%d processes extracted, want exactly 1", extracted)
	}
}

//go:build linux

package extract

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A real ETXTBSY: the executable is still open for writing when exec is
// first tried; RetryETXTBSY gets through once the writer closes.
func TestRetryETXTBSYRealExec(t *testing.T) {
	p := filepath.Join(t.TempDir(), "payload")
	w, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o700)
	must(t, err)
	_, err = w.Write(payloadRaw)
	must(t, err)
	if err := exec.Command(p).Run(); !errors.Is(err, syscall.ETXTBSY) {
		_ = w.Close()
		t.Fatalf("exec of a file open for writing: %v, want ETXTBSY", err)
	}
	attempts := 0
	time.AfterFunc(50*time.Millisecond, func() { _ = w.Close() })
	err = RetryETXTBSY(context.Background(), func() error {
		attempts++
		return exec.Command(p).Run()
	})
	if err != nil || attempts < 2 {
		t.Fatalf("RetryETXTBSY: err %v after %d attempts, want success after retries", err, attempts)
	}
}

func TestRetryETXTBSYStopsOnOtherErrorsAndCtx(t *testing.T) {
	other := errors.New("boom")
	n := 0
	if err := RetryETXTBSY(context.Background(), func() error { n++; return other }); !errors.Is(err, other) || n != 1 {
		t.Fatalf("other error: %v after %d calls, want boom after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n = 0
	err := RetryETXTBSY(ctx, func() error { n++; return &os.PathError{Op: "fork/exec", Path: "x", Err: syscall.ETXTBSY} })
	if !errors.Is(err, syscall.ETXTBSY) || n != 1 {
		t.Fatalf("cancelled ctx: %v after %d calls", err, n)
	}
}

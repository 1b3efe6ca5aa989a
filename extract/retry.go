package extract

import (
	"context"
	"errors"
	"syscall"
	"time"
)

// RetryETXTBSY runs start (typically cmd.Start) again while it fails with
// ETXTBSY, for up to about two seconds or until ctx ends.
//
// Why: when any goroutine forks while a file is open for writing, the child
// holds that write descriptor until its own execve; exec of the file fails
// with ETXTBSY meanwhile (golang/go#22315). The window is short, so a few
// retries with backoff are the standard remedy.
func RetryETXTBSY(ctx context.Context, start func() error) error {
	delay := time.Millisecond
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := start()
		if err == nil || !errors.Is(err, syscall.ETXTBSY) || time.Now().After(deadline) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		if delay < 100*time.Millisecond {
			delay *= 2
		}
	}
}

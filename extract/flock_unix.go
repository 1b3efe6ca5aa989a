//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package extract

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// lockFile opens (creating 0600) and flocks path with how (LOCK_SH or
// LOCK_EX), waiting until ctx ends. A cleaner may unlink a lock file between
// our open and our flock; the lock would then guard nothing, so we check that
// the locked inode is still the one at path and start over if not.
func lockFile(ctx context.Context, path string, how int) (*os.File, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("cannot open lock %s: %w", path, err)
		}
		if err := flockWait(ctx, f, how); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("cannot lock %s: %w", path, err)
		}
		if sameInode(f, path) {
			return f, nil
		}
		_ = f.Close()
	}
}

// tryLockExisting takes a non-blocking lock on an existing lock file.
// It returns (nil, false, nil) when the file is busy or gone.
func tryLockExisting(path string, how int) (*os.File, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, err
	}
	if !sameInode(f, path) {
		_ = f.Close()
		return nil, false, nil
	}
	return f, true, nil
}

// flockWait polls a non-blocking flock so that waiting honours ctx (a
// blocking flock cannot be interrupted from Go).
func flockWait(ctx context.Context, f *os.File, how int) error {
	delay := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return err
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		if delay < 50*time.Millisecond {
			delay *= 2
		}
	}
}

func sameInode(f *os.File, path string) bool {
	var a, b unix.Stat_t
	if unix.Fstat(int(f.Fd()), &a) != nil || unix.Lstat(path, &b) != nil {
		return false
	}
	return a.Dev == b.Dev && a.Ino == b.Ino
}

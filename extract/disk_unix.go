//go:build darwin || dragonfly || freebsd || linux || netbsd || openbsd

package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// placeDisk returns the verified executable in the private cache dir,
// extracting it only when no valid copy is there.
func placeDisk(ctx context.Context, a Artifact, blob []byte, dir string, opts *Options) (*Exe, error) {
	if err := ensurePrivateDir(dir); err != nil {
		return nil, err
	}
	if err := dirExecCheck(dir, opts); err != nil {
		return nil, err
	}
	final := filepath.Join(dir, a.Name+"-"+a.rawHex())

	// Shared in-use lock first, for the Exe's whole life: cleanups of other
	// versions can then never remove this one under us.
	inUse, err := lockFile(ctx, final+".lock", unix.LOCK_SH)
	if err != nil {
		return nil, err
	}
	e := &Exe{Path: final, Dir: dir, inUseLock: inUse}
	keep := false
	defer func() {
		if !keep {
			_ = inUse.Close()
		}
	}()

	// Warm path without the exclusive lock: a cached file is only ever
	// created by rename of verified bytes and never written in place, so
	// reading it concurrently is safe; its hash is still re-checked unless
	// its record shows it is the very file last hashed (attest_unix.go).
	if err := verifyCached(final, a, opts); err == nil {
		if l, ok, _ := tryLockExisting(filepath.Join(dir, a.Name+".lock"), unix.LOCK_EX); ok {
			cleanupStale(dir, a, opts)
			_ = l.Close()
		}
		keep = true
		return e, nil
	}

	extractLock, err := lockFile(ctx, filepath.Join(dir, a.Name+".lock"), unix.LOCK_EX)
	if err != nil {
		return nil, err
	}
	defer func() { _ = extractLock.Close() }()

	// Someone may have extracted while we waited for the lock.
	verr := verifyCached(final, a, opts)
	if verr == nil {
		keep = true
		return e, nil
	}
	if !errors.Is(verr, fs.ErrNotExist) {
		opts.log("extract: cached executable rejected, replacing it", "path", final, "reason", verr.Error())
		if err := os.RemoveAll(final); err != nil {
			return nil, fmt.Errorf("cannot remove rejected cached file %s: %w", final, err)
		}
		_ = os.Remove(final + attestSuffix)
	}
	// Under the exclusive lock every temp file is a leftover of an
	// interrupted extraction: nobody else can be writing it.
	cleanupStale(dir, a, opts)
	if err := writeVerified(dir, final, a, blob, opts); err != nil {
		return nil, err
	}
	e.Extracted = true
	keep = true
	return e, nil
}

// verifyCached checks the cached file's type, owner, mode, size and sha256
// (the hash is skipped when the file is the one last hashed: attest_unix.go).
// It returns an error wrapping fs.ErrNotExist when there is no file.
func verifyCached(path string, a Artifact, opts *Options) error {
	f, err := os.OpenFile(path, os.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	if err := checkCachedFile(fi, path); err != nil {
		return err
	}
	if fi.Size() != a.RawSize {
		return fmt.Errorf("%s is %d bytes, want %d", path, fi.Size(), a.RawSize)
	}
	if attested(path, a, fi) {
		return nil
	}
	if opts.hooks != nil && opts.hooks.fullHash != nil {
		opts.hooks.fullHash()
	}
	got, err := hashFile(f, a.RawSize)
	if err != nil {
		return fmt.Errorf("cannot read %s: %w", path, err)
	}
	if !strings.EqualFold(got, a.RawSHA256) {
		return &ChecksumError{What: "cached file " + path, Name: a.Name, Want: a.RawSHA256, Got: got}
	}
	attest(path, a, fi, opts)
	return nil
}

// writeVerified decodes into a temp file beside final, and gives it the
// trusted name only once the bytes are verified, executable and on disk.
// On any error the temp file is removed: nothing partial stays behind.
func writeVerified(dir, final string, a Artifact, blob []byte, opts *Options) (err error) {
	f, err := os.CreateTemp(dir, tempPrefix(a)+"*")
	if err != nil {
		return fmt.Errorf("cannot create temp file in %s: %w", dir, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	var w io.Writer = f
	if opts.hooks != nil && opts.hooks.midWrite != nil {
		w = &hookWriter{w: f, hook: opts.hooks.midWrite}
	}
	if err := decodeTo(w, a, blob, opts.maxDecoderMemory()); err != nil {
		if isContentError(err) {
			return err
		}
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the bare errno: the message names the path once
		}
		return fmt.Errorf("cannot write %s: %w", tmp, err)
	}
	if err := f.Chmod(0o500); err != nil {
		return fmt.Errorf("cannot chmod %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot fsync %s: %w", tmp, err)
	}
	if err := fileExecCheck(f, tmp, opts); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("cannot rename %s to %s: %w", tmp, final, err)
	}
	// Make the rename durable; a lost rename only costs a re-extraction, so
	// a failing directory fsync (some filesystems refuse it) is not fatal.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	attest(final, a, nil, opts)
	return nil
}

// hookWriter calls hook once after the first successful write (tests use it
// to kill an extraction mid-write).
type hookWriter struct {
	w    io.Writer
	hook func()
	done bool
}

func (h *hookWriter) Write(p []byte) (int, error) {
	n, err := h.w.Write(p)
	if !h.done && err == nil {
		h.done = true
		h.hook()
	}
	return n, err
}

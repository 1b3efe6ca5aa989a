package extract

import (
	"os"
	"sync"
)

// Exe is a verified executable ready to exec. Keep it open while the path is
// in use (at least until the child process has started) and Close it after.
type Exe struct {
	// Path is what to exec: /proc/self/fd/N for a memfd, else the cached file.
	Path string
	// Memfd is true when Path names a sealed memfd.
	Memfd bool
	// Dir is the private cache directory ("" for a memfd).
	Dir string
	// Extracted is true when this call wrote the bytes (cold start), false
	// when a verified cached file was reused (warm start).
	Extracted bool

	file      *os.File // the memfd, or nil
	inUseLock *os.File // shared flock on "<Name>-<raw>.lock", or nil
	closeOnce sync.Once
	closeErr  error
}

// File returns the open memfd (nil for disk placements), for callers that
// prefer to hand it to the child through exec.Cmd.ExtraFiles.
func (e *Exe) File() *os.File { return e.file }

// Close releases the memfd or the shared in-use lock. After Close a disk
// file may be removed by a newer version's cleanup and a memfd path stops
// existing. Safe to call more than once.
func (e *Exe) Close() error {
	e.closeOnce.Do(func() {
		if e.file != nil {
			e.closeErr = e.file.Close()
		}
		if e.inUseLock != nil {
			// Closing the descriptor drops the flock.
			if err := e.inUseLock.Close(); err != nil && e.closeErr == nil {
				e.closeErr = err
			}
		}
	})
	return e.closeErr
}

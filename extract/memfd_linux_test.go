//go:build linux

package extract

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// memfdOrSkip returns a memfd Exe, or skips when this kernel refuses
// executable memfds (then ModeAuto falls back to disk, tested below).
func memfdOrSkip(t *testing.T, a Artifact, blob []byte) *Exe {
	t.Helper()
	e, err := Executable(testCtx(t), a, blob, Options{Mode: ModeMemfd})
	if err != nil {
		if b, _ := os.ReadFile("/proc/sys/vm/memfd_noexec"); strings.TrimSpace(string(b)) == "2" {
			t.Skipf("vm.memfd_noexec=2 on this host: %v", err)
		}
		t.Fatal(err)
	}
	return e
}

func TestMemfdSealedAndExecutable(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	e := memfdOrSkip(t, a, blob)
	defer closeExe(t, e)
	if !e.Memfd || !strings.HasPrefix(e.Path, "/proc/self/fd/") || e.Dir != "" {
		t.Fatalf("Exe = %+v, want a memfd path", e)
	}
	fd := e.File().Fd()
	seals, err := unix.FcntlInt(fd, unix.F_GET_SEALS, 0)
	if err != nil {
		t.Fatal(err)
	}
	if seals&memfdSeals != memfdSeals {
		t.Fatalf("seals 0x%x, want at least 0x%x", seals, memfdSeals)
	}
	// The seals are real: no write, no grow, no shrink, no unsealing.
	if _, err := unix.Pwrite(int(fd), []byte("x"), 0); err == nil {
		t.Error("write to sealed memfd succeeded")
	}
	if err := unix.Ftruncate(int(fd), 1); err == nil {
		t.Error("shrink of sealed memfd succeeded")
	}
	if _, err := unix.FcntlInt(fd, unix.F_ADD_SEALS, unix.F_SEAL_FUTURE_WRITE); !errors.Is(err, unix.EPERM) {
		t.Errorf("adding a seal after F_SEAL_SEAL: %v, want EPERM", err)
	}
	// Reopening through /proc gives no way around the seals either.
	if f, err := os.OpenFile(e.Path, os.O_WRONLY, 0); err == nil {
		if _, err := f.Write([]byte("x")); err == nil {
			t.Error("write through a reopened memfd succeeded")
		}
		_ = f.Close()
	}
	runPayload(t, e.Path)
	if int(fd) < memfdMinFD {
		t.Errorf("memfd at fd %d, want >= %d", fd, memfdMinFD)
	}
}

// The documented spawner usage with ExtraFiles: fds 3.. are rewritten in
// the child, yet the memfd (kept high) still execs.
func TestMemfdExecWithExtraFiles(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	e := memfdOrSkip(t, a, blob)
	defer closeExe(t, e)
	r, w, err := os.Pipe()
	must(t, err)
	defer func() { _ = r.Close() }()
	defer func() { _ = w.Close() }()
	cmd := exec.Command(e.Path, "x")
	cmd.ExtraFiles = []*os.File{r, w, r, w}
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != payloadGreeting+" 1\n" {
		t.Fatalf("exec with ExtraFiles: %v: %q", err, out)
	}
}

func TestMemfdPathGoneAfterClose(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	e := memfdOrSkip(t, a, blob)
	path := e.Path
	must(t, e.Close())
	must(t, e.Close()) // idempotent
	if err := exec.Command(path).Run(); err == nil {
		// The fd number may have been reused by something else; it must at
		// least not be our payload any more.
		if fi, err := os.Stat(path); err == nil && fi.Size() == int64(len(payloadRaw)) {
			t.Fatalf("%s still runs the payload after Close", path)
		}
	}
}

// vm.memfd_noexec=2 is a one-way, host-wide switch that a test must not
// flip; its effect (memfd_create refusing MFD_EXEC with EACCES) is injected.
func TestAutoFallsBackToDiskWhenMemfdRefused(t *testing.T) {
	t.Log("injecting memfd_create EACCES (what vm.memfd_noexec=2 does) instead of changing the host sysctl")
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	var logs logRecorder
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir, Logger: logs.log, hooks: &testHooks{memfdErr: unix.EACCES}})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if e.Memfd || e.Dir != dir {
		t.Fatalf("Exe = %+v, want the disk fallback in %s", e, dir)
	}
	if !logs.contains("fell back from memfd") {
		t.Errorf("fallback not logged: %q", logs.lines)
	}
	runPayload(t, e.Path)

	// ModeMemfd does not fall back.
	if _, err := Executable(testCtx(t), a, blob, Options{Mode: ModeMemfd, hooks: &testHooks{memfdErr: unix.EACCES}}); err == nil {
		t.Fatal("ModeMemfd fell back to disk")
	}
}

func TestAutoUsesMemfd(t *testing.T) {
	a, blob := artifactFor(t, "payload", payloadRaw)
	dir := privDir(t)
	e, err := Executable(testCtx(t), a, blob, Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer closeExe(t, e)
	if !e.Memfd {
		t.Skipf("kernel refused an executable memfd; ModeAuto used %s", e.Path)
	}
	if _, err := os.Lstat(dir); !os.IsNotExist(err) {
		t.Fatal("ModeAuto with memfd touched the disk cache")
	}
}

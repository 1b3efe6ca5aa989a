package runtimedir

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestChooseHonoursOverrideAndSunPathLimit(t *testing.T) {
	env := map[string]string{EnvVar: "/custom/base", "XDG_RUNTIME_DIR": "/run/user/1000"}
	got := choose(func(k string) string { return env[k] })
	if !strings.HasPrefix(got, "/custom/base/"+Prefix+strconv.Itoa(os.Getpid())+"-") {
		t.Fatalf("override not used: %s", got)
	}
	// A base so long that sockets would not fit sun_path is skipped.
	env[EnvVar] = "/" + strings.Repeat("x", 100)
	got = choose(func(k string) string { return env[k] })
	if !strings.HasPrefix(got, "/run/user/1000/") {
		t.Fatalf("long base not skipped: %s", got)
	}
	if len(got)+maxSocketName > sunPathMax {
		t.Fatalf("chosen path too long for sun_path: %d", len(got))
	}
}

func TestCreateIsPrivateAndRefusesNonDirectories(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "rt")
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
	// A leftover of ours is replaced (config reload).
	if err := os.WriteFile(filepath.Join(dir, "b0.sock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Create(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "b0.sock")); !os.IsNotExist(err) {
		t.Fatal("leftover content survived")
	}
	link := filepath.Join(base, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if err := Create(link); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Fatalf("symlink accepted: %v", err)
	}
}

func TestSweepStaleRemovesOnlyDeadOwners(t *testing.T) {
	base := t.TempDir()
	// A pid that surely exited: a finished child.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := filepath.Join(base, Prefix+strconv.Itoa(cmd.Process.Pid)+"-dead")
	live := filepath.Join(base, Prefix+strconv.Itoa(os.Getppid())+"-live")
	mine := filepath.Join(base, Prefix+strconv.Itoa(os.Getpid())+"-mine")
	other := filepath.Join(base, "unrelated")
	for _, d := range []string{dead, live, mine, other} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	removed := SweepStale(mine)
	if len(removed) != 1 || removed[0] != dead {
		t.Fatalf("removed %v, want only %s", removed, dead)
	}
	for _, d := range []string{live, mine, other} {
		if _, err := os.Stat(d); err != nil {
			t.Fatalf("%s removed: %v", d, err)
		}
	}
}

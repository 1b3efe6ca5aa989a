package soak

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// statusValue reads a numeric field of /proc/<pid>/status (VmHWM, VmRSS in
// kB, Threads); ok is false when the process is gone.
func statusValue(pid int, field string) (int64, bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) == 0 {
			return 0, false
		}
		v, err := strconv.ParseInt(fs[0], 10, 64)
		return v, err == nil
	}
	return 0, false
}

// fdCount is the number of open file descriptors of pid.
func fdCount(pid int) (int, bool) {
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return 0, false
	}
	return len(fds), true
}

// freeAddr returns ip:port with a port nothing listens on right now. The
// collector binds it a moment later; the soak's own loopback addresses
// (127.0.19.x) keep other programs' port-0 binds on 127.0.0.1 from taking it.
// A receiver in the Rust child needs a fixed port: its restarted child binds
// it again and the clients keep their address.
func freeAddr(ip string) (string, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", err
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// leftovers lists what is left under dir: the per-process runtime dirs and
// the sockets in them must be gone after a graceful stop.
func leftovers(dir string) []string {
	var out []string
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return nil
		}
		kind := "file"
		switch {
		case d.Type()&fs.ModeSocket != 0:
			kind = "socket"
		case d.IsDir():
			kind = "dir"
		}
		out = append(out, kind+" "+p)
		return nil
	})
	return out
}

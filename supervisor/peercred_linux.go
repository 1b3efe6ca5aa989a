//go:build linux

package supervisor

import (
	"fmt"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// verifyPeer checks with SO_PEERCRED that the process serving the socket runs
// as our uid and is the child we spawned (not a leftover or an impostor).
func verifyPeer(conn net.Conn, path string, wantPID int) error {
	uc, ok := conn.(*net.UnixConn)
	if !ok {
		return fmt.Errorf("supervisor: health socket %s: not a unix connection", path)
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return fmt.Errorf("supervisor: health socket %s: %w", path, err)
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return fmt.Errorf("supervisor: health socket %s: %w", path, err)
	}
	if credErr != nil {
		return fmt.Errorf("supervisor: health socket %s: SO_PEERCRED: %w", path, credErr)
	}
	if int(cred.Uid) != os.Getuid() || int(cred.Pid) != wantPID {
		return fmt.Errorf("supervisor: health socket %s is served by pid %d uid %d, not our child pid %d uid %d",
			path, cred.Pid, cred.Uid, wantPID, os.Getuid())
	}
	return nil
}

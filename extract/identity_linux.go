package extract

import (
	"fmt"
	"io/fs"
	"syscall"
)

// fileIdentity is what changes when a file is replaced or written: device,
// inode, mtime and ctime (nanoseconds).
func fileIdentity(fi fs.FileInfo) (string, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", false
	}
	return fmt.Sprintf("dev=%d ino=%d mtime=%d.%09d ctime=%d.%09d",
		st.Dev, st.Ino, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec), true
}

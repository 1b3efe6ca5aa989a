//go:build !linux

package extract

import "io/fs"

// fileIdentity: outside Linux the stat layouts differ per system; cached
// files are re-hashed on every start there.
func fileIdentity(fs.FileInfo) (string, bool) { return "", false }

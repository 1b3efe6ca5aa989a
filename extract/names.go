package extract

import "strings"

// File names in the cache directory, all derived from the artifact:
//
//	<Name>-<raw sha256>        the verified executable (0500)
//	<Name>-<raw sha256>.verified  the identity it had when last hashed in full
//	<Name>-<raw sha256>.lock   shared flock while an Exe uses that version
//	<Name>.lock                exclusive flock while extracting or cleaning up
//	.<Name>+<random>           temp file of an extraction in progress

// tempPrefix is ".<Name>+": hidden, and '+' cannot occur in a Name, so one
// artifact's temp files are never mistaken for another's.
func tempPrefix(a Artifact) string { return "." + a.Name + "+" }

// versionOf parses "<name>-<64 hex>" with or without ".lock" or ".verified"
// and returns the digest. Names are at most 64 bytes, so the split is
// unambiguous.
func versionOf(file, name string) (string, bool) {
	file = strings.TrimSuffix(strings.TrimSuffix(file, ".lock"), ".verified")
	if len(file) != len(name)+1+64 || !strings.HasPrefix(file, name+"-") {
		return "", false
	}
	v := file[len(name)+1:]
	if validDigest(v) != nil || strings.ToLower(v) != v {
		return "", false
	}
	return v, true
}

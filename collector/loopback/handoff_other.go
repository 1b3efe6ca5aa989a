//go:build !unix

package loopback

// Handoff is not implemented here (os/exec has no ExtraFiles on Windows):
// reserved ports are released at once and the child binds them itself, so
// another local process can take one in between; the bridge secret then
// reaches it. Use unix where it matters.
const Handoff = false

//go:build unix

package loopback

// Handoff is true: a child started with os/exec inherits ExtraFiles as fds
// 3, 4, ...
const Handoff = true

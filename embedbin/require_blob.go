//go:build require_blob

package embedbin

// `make build` and goreleaser build with -tags require_blob: such a binary
// must not ship without its collector. blobGeneratedByMakeBlobs is declared
// only by the generated zz_embed_<goos>_<goarch>.go of the target platform, so
// without it this line fails to compile with "undefined:
// blobGeneratedByMakeBlobs": run `make blobs PLATFORMS=<goos>/<goarch>` first.
// Plain `go build ./...` (no tag) still works on a fresh clone.
var _ = blobGeneratedByMakeBlobs

package extract

// Mode chooses where the verified executable is placed.
type Mode int

const (
	// ModeAuto uses a sealed memfd where the kernel allows it (Linux), else
	// the disk cache.
	ModeAuto Mode = iota
	// ModeMemfd requires a sealed memfd; an error where there is none.
	ModeMemfd
	// ModeDisk always uses the content-addressed disk cache.
	ModeDisk
)

func (m Mode) String() string {
	switch m {
	case ModeAuto:
		return "auto"
	case ModeMemfd:
		return "memfd"
	case ModeDisk:
		return "disk"
	}
	return "unknown"
}

// DefaultMaxDecoderMemory bounds the zstd window (and so the decoder's
// memory): 64 MiB is far above what `zstd -19` uses (8 MiB) and far below
// what would hurt a host.
const DefaultMaxDecoderMemory = 64 << 20

// Options tunes Executable. The zero value is the recommended setting.
type Options struct {
	// Dir, when set, is the private directory for the disk cache, used as is
	// (created 0700 if missing, refused if unsafe) instead of the search.
	Dir string
	// EnvVar names an environment variable that, when set and non-empty,
	// overrides the location like Dir (Dir wins). Empty = no such variable.
	EnvVar string
	// Mode: ModeAuto (default), ModeMemfd or ModeDisk.
	Mode Mode
	// MaxDecoderMemory bounds the zstd window; 0 = DefaultMaxDecoderMemory.
	MaxDecoderMemory uint64
	// Logger, when set, receives one line per fallback or repair
	// ("fell back from memfd", "cached file replaced", ...).
	Logger func(msg string, kv ...any)

	hooks *testHooks
}

// testHooks lets tests inject failures that a test process cannot cause for
// real (e.g. vm.memfd_noexec=2 is a one-way global switch).
type testHooks struct {
	noexec     func(dir string) error // replaces the real noexec check when set
	memfdErr   error                  // when set, memfd creation fails with it
	midWrite   func()                 // called after the first chunk of a disk extraction
	candidates []string               // replaces the location search when set
	fullHash   func()                 // called when a cached file is hashed in full
}

func (o *Options) log(msg string, kv ...any) {
	if o.Logger != nil {
		o.Logger(msg, kv...)
	}
}

func (o *Options) maxDecoderMemory() uint64 {
	if o.MaxDecoderMemory == 0 {
		return DefaultMaxDecoderMemory
	}
	return o.MaxDecoderMemory
}

package embedbin

import (
	"strings"
	"testing"
	"time"
)

func validManifest() Manifest {
	return Manifest{
		Platform:         "linux/amd64",
		RustTarget:       "x86_64-unknown-linux-gnu",
		Version:          "0.1.0",
		CompressedSHA256: strings.Repeat("ab", 32),
		RawSHA256:        strings.Repeat("0f", 32),
		CompressedSize:   1234,
		RawSize:          5678,
		ZstdWindowSize:   8 << 20,
		BuildTime:        time.Unix(1700000000, 0),
	}
}

func TestManifestRoundTrip(t *testing.T) {
	m := validManifest()
	b, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseManifest(b)
	if err != nil {
		t.Fatalf("ParseManifest(Encode()) = %v\n%s", err, b)
	}
	m.BuildTime = m.BuildTime.UTC()
	if got != m {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, m)
	}
	again, _ := got.Encode()
	if string(again) != string(b) {
		t.Errorf("Encode is not canonical:\n%s\n%s", b, again)
	}
	if !strings.Contains(string(b), `"schema": 1`) || !strings.Contains(string(b), `"build_time": "2023-11-14T22:13:20Z"`) {
		t.Errorf("unexpected wire form:\n%s", b)
	}
}

func TestParseManifestRejects(t *testing.T) {
	good, _ := validManifest().Encode()
	edit := func(from, to string) string {
		s := strings.Replace(string(good), from, to, 1)
		if s == string(good) {
			t.Fatalf("test bug: %q not in manifest", from)
		}
		return s
	}
	cases := map[string]string{
		"empty":            "",
		"not an object":    "[]",
		"trailing data":    string(good) + "{}",
		"unknown field":    edit(`"schema": 1,`, `"schema": 1, "extra": true,`),
		"schema":           edit(`"schema": 1`, `"schema": 2`),
		"missing schema":   edit(`"schema": 1,`, ``),
		"platform":         edit(`"linux/amd64"`, `"plan9/386"`),
		"rust target":      edit(`"x86_64-unknown-linux-gnu"`, `"aarch64-unknown-linux-gnu"`),
		"empty version":    edit(`"0.1.0"`, `""`),
		"spaced version":   edit(`"0.1.0"`, `"0.1 .0"`),
		"short digest":     edit(strings.Repeat("ab", 32), strings.Repeat("ab", 31)),
		"upper digest":     edit(strings.Repeat("0f", 32), strings.Repeat("0F", 32)),
		"non-hex digest":   edit(strings.Repeat("0f", 32), strings.Repeat("zz", 32)),
		"zero size":        edit(`"compressed_size": 1234`, `"compressed_size": 0`),
		"negative size":    edit(`"raw_size": 5678`, `"raw_size": -1`),
		"window not pow2":  edit(`"zstd_window_size": 8388608`, `"zstd_window_size": 8388607`),
		"window too large": edit(`"zstd_window_size": 8388608`, `"zstd_window_size": 1073741824`),
		"missing time":     edit(`"build_time": "2023-11-14T22:13:20Z"`, `"build_time": "0001-01-01T00:00:00Z"`),
		"string size":      edit(`"raw_size": 5678`, `"raw_size": "5678"`),
	}
	for name, in := range cases {
		if m, err := ParseManifest([]byte(in)); err == nil {
			t.Errorf("%s: accepted: %+v", name, m)
		} else if !strings.HasPrefix(err.Error(), "embedbin: manifest") {
			t.Errorf("%s: error %q does not name the manifest", name, err)
		}
	}
}

func TestEncodeRefusesInvalid(t *testing.T) {
	m := validManifest()
	m.RawSize = 0
	if _, err := m.Encode(); err == nil {
		t.Error("Encode accepted raw_size 0")
	}
}

func FuzzParseManifest(f *testing.F) {
	good, _ := validManifest().Encode()
	f.Add(good)
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseManifest(data)
		if err != nil {
			return
		}
		// Whatever parses must re-encode and parse back to the same value.
		b, err := m.Encode()
		if err != nil {
			t.Fatalf("accepted manifest does not encode: %v", err)
		}
		m2, err := ParseManifest(b)
		if err != nil || m2 != m {
			t.Fatalf("re-parse: %v\n%+v\n%+v", err, m, m2)
		}
	})
}

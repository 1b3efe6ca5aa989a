package supervisor

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/otelcol-hybrid/otelcol-hybrid/internal/testkit"
)

func TestReadLinesBoundsLongLines(t *testing.T) {
	in := "short\n" + strings.Repeat("y", 1<<20) + "\nafter\r\ntail-no-newline"
	var got []string
	var drops []int
	err := readLines(strings.NewReader(in), 1024, func(line []byte, dropped int) {
		got = append(got, string(line))
		drops = append(drops, dropped)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0] != "short" || len(got[1]) != 1024 || got[2] != "after" || got[3] != "tail-no-newline" {
		t.Fatalf("lines %q", summarize(got))
	}
	if drops[1] != 1<<20-1024 || drops[0] != 0 || drops[2] != 0 {
		t.Fatalf("dropped %v", drops)
	}
}

func TestReadLinesReportsReadErrors(t *testing.T) {
	err := readLines(io.MultiReader(strings.NewReader("a\n"), errReader{}), 64, func([]byte, int) {})
	if err == nil || !strings.Contains(err.Error(), "closed pipe") {
		t.Fatalf("err = %v", err)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

func summarize(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if len(l) > 20 {
			l = l[:20] + "…"
		}
		out[i] = l
	}
	return out
}

func TestRingBufferKeepsTail(t *testing.T) {
	r := newRingBuffer(16)
	_, _ = r.Write([]byte("0123456789\n"))
	_, _ = r.Write([]byte("abcdef\n"))
	_, _ = r.Write([]byte("XYZ\n"))
	if got := r.String(); got != "6789\nabcdef\nXYZ\n" {
		t.Fatalf("String() = %q", got)
	}
	if got := r.LastLines(10); len(got) != 2 || got[0] != "abcdef" || got[1] != "XYZ" {
		t.Fatalf("LastLines = %q (partial first line must be dropped)", got)
	}
	_, _ = r.Write(bytes.Repeat([]byte("z"), 100))
	if got := r.String(); got != strings.Repeat("z", 16) {
		t.Fatalf("after big write: %q", got)
	}
}

func TestChildLogJSONLevelsAndFields(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	cl := &childLog{log: zap.New(core).Named("rust"), tail: newRingBuffer(1024)}
	in := `{"timestamp":"2025-01-01T00:00:00Z","level":"INFO","target":"svc","message":"started","n":3,"f":0.5,"ok":true,"obj":{"a":1}}
{"level":"WARN","target":"exp","fields":{"message":"retry","attempt":2}}
{"level":"ERROR","message":"bad"}
{"level":"TRACE","message":"fine"}
{"level":"FATAL","message":"must not kill the parent"}
not json {at all
{"truncated json"
`
	cl.consume(strings.NewReader(in), "stderr")
	all := logs.All()
	if len(all) != 7 {
		t.Fatalf("%d entries", len(all))
	}
	want := []struct {
		lvl zapcore.Level
		msg string
	}{
		{zapcore.InfoLevel, "started"}, {zapcore.WarnLevel, "retry"}, {zapcore.ErrorLevel, "bad"},
		{zapcore.DebugLevel, "fine"}, {zapcore.ErrorLevel, "must not kill the parent"},
		{zapcore.InfoLevel, "not json {at all"}, {zapcore.InfoLevel, `{"truncated json"`},
	}
	for i, w := range want {
		if all[i].Level != w.lvl || all[i].Message != w.msg || all[i].LoggerName != "rust" {
			t.Errorf("entry %d = %s %s %q; want %s %q", i, all[i].LoggerName, all[i].Level, all[i].Message, w.lvl, w.msg)
		}
	}
	f := all[0].ContextMap()
	if f["target"] != "svc" || f["n"] != int64(3) || f["f"] != 0.5 || f["ok"] != true || f["child_time"] != "2025-01-01T00:00:00Z" {
		t.Fatalf("fields %v", f)
	}
	if _, ok := f["level"]; ok {
		t.Fatal("level leaked into fields")
	}
	if f := all[1].ContextMap(); f["attempt"] != int64(2) || f["target"] != "exp" {
		t.Fatalf("nested fields not flattened: %v", f)
	}
	if !strings.Contains(cl.tail.String(), "not json {at all") {
		t.Fatal("tail misses plain lines")
	}
}

// TestGarbageOnStderrThroughRealChild sends a 1 MiB line and 64 KiB of random
// bytes through a real child's stderr pipe.
func TestGarbageOnStderrThroughRealChild(t *testing.T) {
	h := newHarness(t, "-garbage", "-json-logs")
	s := h.start()
	testkit.Eventually(t, waitLong, "the line after the garbage", func() bool {
		return h.logs.FilterMessage("after-garbage").Len() == 1 &&
			h.logs.FilterMessage("thread 'main' panicked at src/main.rs:1").Len() == 1
	})
	var big []observer.LoggedEntry
	for _, e := range h.logs.All() {
		if strings.HasPrefix(e.Message, "big:") {
			big = append(big, e)
		}
		if len(e.Message) > maxLogLine+100 {
			t.Fatalf("entry of %d bytes passed through", len(e.Message))
		}
	}
	if len(big) != 1 || !strings.HasSuffix(big[0].Message, "…[truncated 983044 bytes]") {
		t.Fatalf("1 MiB line came out as %d entries, ending %q", len(big), big[len(big)-1].Message[len(big[len(big)-1].Message)-40:])
	}
	if e := h.logs.FilterMessage("pipelines started").All(); len(e) != 1 || e[0].Level != zapcore.InfoLevel ||
		e[0].LoggerName != "rust" || e[0].ContextMap()["target"] != "otelcol_rust::service" || e[0].ContextMap()["pipelines"] != int64(3) {
		t.Fatalf("JSON line not re-emitted with its fields: %+v", e)
	}
	if e := h.logs.FilterMessage("bind failed").All(); len(e) != 1 || e[0].Level != zapcore.ErrorLevel {
		t.Fatalf("ERROR line: %+v", e)
	}
	for _, e := range h.logs.All() {
		if strings.ContainsAny(e.Message, "\x00\x1b\r") || !utf8.ValidString(e.Message) {
			t.Fatalf("unsanitized child output re-emitted: %q", e.Message)
		}
	}
	if e := h.logs.FilterMessage("thread 'main' panicked at src/main.rs:1").All(); e[0].Level != zapcore.WarnLevel {
		t.Fatalf("panic text at %s; want warn", e[0].Level)
	}
	// Still healthy and supervising after all that.
	time.Sleep(200 * time.Millisecond)
	if st := s.Status(); st.State != StateReady || st.Restarts != 0 {
		t.Fatalf("status %+v", st)
	}
	shutdown(t, s)
}

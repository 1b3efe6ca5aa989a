package supervisor

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// The test binary doubles as the supervised child (hashicorp/go-plugin's
// helper-process pattern): with helperEnv set it runs helperMain instead of
// the tests, so every fault is a real process with a real gRPC server.
const helperEnv = "SUPERVISOR_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "child":
		os.Exit(helperChild(os.Args[1:]))
	case "intermediate":
		os.Exit(helperIntermediate(os.Args[1:]))
	default:
		fmt.Fprintf(os.Stderr, "unknown %s=%q\n", helperEnv, os.Getenv(helperEnv))
		os.Exit(99)
	}
}

// helperChild is a configurable misbehaving child.
func helperChild(args []string) int {
	fs := flag.NewFlagSet("child", flag.ContinueOnError)
	var (
		healthEP     = fs.String("health", "", "serve grpc.health.v1 here")
		initial      = fs.String("initial-status", "SERVING", "SERVING or NOT_SERVING")
		noHealth     = fs.Bool("no-health", false, "never listen")
		crashAtStart = fs.Bool("crash-at-start", false, "print to stderr and exit 2")
		exitAfter    = fs.Duration("exit-after", 0, "exit this long after serving")
		exitCode     = fs.Int("exit-code", 3, "code for -exit-after")
		notServing   = fs.Duration("not-serving-after", 0, "turn NOT_SERVING this long after serving")
		onceFile     = fs.String("once", "", "fault only if this file does not exist yet (then create it)")
		ignoreTerm   = fs.Bool("ignore-term", false, "ignore SIGTERM")
		garbage      = fs.Bool("garbage", false, "write a 1 MiB line and binary garbage to stderr")
		jsonLogs     = fs.Bool("json-logs", false, "write JSON log lines to stderr")
		impostor     = fs.Bool("impostor", false, "let a grandchild serve the health socket")
		exitOnEOF    = fs.Int("stdin-eof-exit", -1, "exit with this code when stdin reaches EOF")
		dumpEnv      = fs.String("dump-env", "", "write the environment here, one per line")
		secretHeader = fs.String("require-secret", "", "read a secret line from stdin first; refuse health calls without it in this metadata key")
		lastWords    = fs.Int("last-words", 0, "on SIGTERM, write this many lines to stderr, then \"last words\", and exit 0 at once")
	)
	if err := fs.Parse(args); err != nil {
		return 98
	}
	faulty := true
	if *onceFile != "" {
		if _, err := os.Stat(*onceFile); err == nil {
			faulty = false
		} else {
			_ = os.WriteFile(*onceFile, nil, 0o600)
		}
	}
	if *dumpEnv != "" {
		_ = os.WriteFile(*dumpEnv, []byte(strings.Join(os.Environ(), "\n")), 0o600)
	}
	var stdin io.Reader = os.Stdin
	var secret string
	if *secretHeader != "" {
		br := bufio.NewReader(os.Stdin)
		line, err := br.ReadString('\n')
		if err != nil {
			fmt.Fprintln(os.Stderr, "no secret line on stdin:", err)
			return 95
		}
		secret, stdin = strings.TrimSuffix(line, "\n"), br
	}
	if *exitOnEOF >= 0 {
		go func() {
			_, _ = io.Copy(io.Discard, stdin)
			os.Exit(*exitOnEOF)
		}()
	}
	if *crashAtStart {
		fmt.Fprintln(os.Stderr, "starting up")
		fmt.Fprintln(os.Stderr, "boom: config invalid at receivers.otlp")
		return 2
	}
	if *garbage {
		big := strings.Repeat("x", 1<<20)
		fmt.Fprintln(os.Stderr, "big:"+big)
		junk := make([]byte, 64<<10)
		_, _ = rand.Read(junk)
		_, _ = os.Stderr.Write(junk)
		fmt.Fprintln(os.Stderr)
		fmt.Fprintln(os.Stderr, "after-garbage")
	}
	if *jsonLogs {
		enc := json.NewEncoder(os.Stderr)
		_ = enc.Encode(map[string]any{"timestamp": "2025-01-01T00:00:00Z", "level": "INFO", "target": "otelcol_rust::service", "message": "pipelines started", "pipelines": 3, "ratio": 0.5, "ok": true})
		_ = enc.Encode(map[string]any{"timestamp": "2025-01-01T00:00:01Z", "level": "WARN", "target": "otelcol_rust::exporter", "fields": map[string]any{"message": "retrying export", "attempt": 2}})
		_ = enc.Encode(map[string]any{"level": "ERROR", "target": "otelcol_rust::receiver", "message": "bind failed", "error": "address in use"})
		_ = enc.Encode(map[string]any{"level": "DEBUG", "target": "otelcol_rust::x", "message": "noise"})
		fmt.Fprintln(os.Stderr, "plain text line")
		fmt.Fprintln(os.Stderr, "thread 'main' panicked at src/main.rs:1")
	}

	terms := make(chan os.Signal, 1)
	if *ignoreTerm {
		signal.Ignore(syscall.SIGTERM)
	} else {
		signal.Notify(terms, syscall.SIGTERM, os.Interrupt)
	}

	// Fault timers start once the supervisor has seen us SERVING, so a
	// slow CI machine cannot turn "crash later" into "crash at start".
	firstCheck := make(chan struct{})
	hs := health.NewServer()
	if *initial == "SERVING" {
		hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	} else {
		hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	}
	switch {
	case *noHealth:
	case *impostor:
		// A different process (our own child) answers on our socket.
		exe, _ := os.Executable()
		gc := exec.Command(exe, "-health", *healthEP)
		gc.Env = []string{helperEnv + "=child"}
		gc.Stderr = os.Stderr
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "impostor:", err)
			return 97
		}
	default:
		stop, err := serveHealth(*healthEP, hs, firstCheck, *secretHeader, secret)
		if err != nil {
			fmt.Fprintln(os.Stderr, "serve health:", err)
			return 96
		}
		defer stop()
	}

	var exitTimer, notServingTimer <-chan time.Time
	checked := firstCheck
	for {
		select {
		case <-checked:
			checked = nil
			if *exitAfter > 0 && faulty {
				exitTimer = time.After(*exitAfter)
			}
			if *notServing > 0 && faulty {
				notServingTimer = time.After(*notServing)
			}
		case <-terms:
			hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
			fmt.Fprintln(os.Stderr, "got SIGTERM, exiting")
			if *lastWords > 0 {
				// Written in one go into the pipe buffer and beyond: the
				// reader is still forwarding these when the process is gone.
				var b strings.Builder
				for i := range *lastWords {
					fmt.Fprintf(&b, "draining queue %d of %d\n", i, *lastWords)
				}
				b.WriteString("last words\n")
				_, _ = os.Stderr.WriteString(b.String())
			}
			return 0
		case <-exitTimer:
			fmt.Fprintf(os.Stderr, "crashing with code %d\n", *exitCode)
			return *exitCode
		case <-notServingTimer:
			fmt.Fprintln(os.Stderr, "turning NOT_SERVING")
			hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
		}
	}
}

// serveHealth serves hs on ep; with a secret, every call must carry it in
// metadata key secretHeader (as otelcol-rust's bridge_secret listeners do).
func serveHealth(ep string, hs *health.Server, firstCheck chan struct{}, secretHeader, secret string) (func(), error) {
	network, addr := "tcp", ep
	if p, ok := strings.CutPrefix(ep, "unix://"); ok {
		network, addr = "unix", p
	}
	var ln net.Listener
	var err error
	if ep == "fd://3" {
		// The listening socket the supervisor passed (Config.ExtraFiles[0]).
		ln, err = net.FileListener(os.NewFile(3, "inherited listener"))
	} else {
		ln, err = net.Listen(network, addr)
	}
	if err != nil {
		return nil, err
	}
	var once sync.Once
	admit := func(ctx context.Context) error {
		if secret == "" {
			return nil
		}
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get(secretHeader); len(v) != 1 || v[0] != secret {
			return status.Error(codes.Unauthenticated, "no secret")
		}
		return nil
	}
	srv := grpc.NewServer(grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, next grpc.StreamHandler) error {
		if err := admit(ss.Context()); err != nil {
			return err
		}
		return next(srv, ss)
	}), grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, next grpc.UnaryHandler) (any, error) {
		if err := admit(ctx); err != nil {
			return nil, err
		}
		resp, err := next(ctx, req)
		if r, ok := resp.(*healthpb.HealthCheckResponse); ok && r.GetStatus() == healthpb.HealthCheckResponse_SERVING {
			once.Do(func() { close(firstCheck) })
		}
		return resp, err
	}))
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(ln) }()
	return srv.Stop, nil
}

// helperIntermediate plays a parent process: it supervises a child (the
// helper, or the otelcol-rust given as third argument), prints the child's
// PID on stdout and waits to be killed.
func helperIntermediate(args []string) int {
	dir, sock := args[0], args[1]
	exe, _ := os.Executable()
	cfg := Config{
		Path:           exe,
		Args:           []string{"-health", "unix://" + sock},
		Env:            []string{helperEnv + "=child"},
		Dir:            dir,
		HealthEndpoint: "unix://" + sock,
	}
	if len(args) > 2 {
		// No --exit-on-stdin-eof: only Pdeathsig may kill it.
		cfgFile := filepath.Join(dir, "rust.yaml")
		if err := os.WriteFile(cfgFile, []byte(rustConfig(dir)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		cfg.Path, cfg.Args, cfg.Env = args[2], []string{"--config", cfgFile}, nil
	}
	s, err := New(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.Start(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(s.Status().PID)
	select {}
}

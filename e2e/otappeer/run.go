package otappeer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/plog/plogotlp"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/pmetric/pmetricotlp"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Collector is a running otelcol-rust whose otlp receiver listens on a unix
// socket and feeds every signal to the named exporters.
type Collector struct {
	Cmd  *exec.Cmd
	conn *grpc.ClientConn
	dir  string
}

// StartCollector runs bin with an otlp receiver on a unix socket,
// `exportersYAML` as its exporters section and every signal's pipeline
// ending in `exporters` (a comma-separated list); log receives its output.
func StartCollector(bin, exportersYAML, exporters string, log interface{ Write([]byte) (int, error) }) (*Collector, error) {
	dir, err := os.MkdirTemp("", "otap")
	if err != nil {
		return nil, err
	}
	sock := filepath.Join(dir, "in.sock")
	cfg := fmt.Sprintf(`
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: unix://%s
        include_metadata: true
exporters:
%s
service:
  pipelines:
    metrics: {receivers: [otlp], exporters: [%[3]s]}
    traces: {receivers: [otlp], exporters: [%[3]s]}
    logs: {receivers: [otlp], exporters: [%[3]s]}
`, sock, exportersYAML, exporters)
	cfgPath := filepath.Join(dir, "rust.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfgPath)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &Collector{Cmd: cmd, dir: dir}
	c.conn, err = grpc.NewClient("unix://"+sock, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		c.Stop()
		return nil, err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		r, err := healthpb.NewHealthClient(c.conn).Check(ctx, &healthpb.HealthCheckRequest{})
		cancel()
		if err == nil && r.Status == healthpb.HealthCheckResponse_SERVING {
			return c, nil
		}
		if time.Now().After(deadline) {
			c.Stop()
			return nil, fmt.Errorf("collector not serving after 30s: %w", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the collector and removes its files.
func (c *Collector) Stop() {
	if c.conn != nil {
		_ = c.conn.Close()
	}
	_ = c.Cmd.Process.Kill()
	_ = c.Cmd.Wait()
	_ = os.RemoveAll(c.dir)
}

// CPUSeconds is the collector's user+system CPU time so far, from /proc.
func (c *Collector) CPUSeconds() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	// Fields after the parenthesised command name; utime and stime are 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return (utime + stime) / 100, nil // USER_HZ is 100 on Linux
}

// SendMetrics exports md to the collector over OTLP/gRPC and returns its answer.
func (c *Collector) SendMetrics(md pmetric.Metrics) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := pmetricotlp.NewGRPCClient(c.conn).Export(ctx, pmetricotlp.NewExportRequestFromMetrics(md))
	return err
}

// SendTraces exports td to the collector over OTLP/gRPC and returns its answer.
func (c *Collector) SendTraces(td ptrace.Traces) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := ptraceotlp.NewGRPCClient(c.conn).Export(ctx, ptraceotlp.NewExportRequestFromTraces(td))
	return err
}

// SendLogs exports ld to the collector over OTLP/gRPC and returns its answer.
func (c *Collector) SendLogs(ld plog.Logs) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	_, err := plogotlp.NewGRPCClient(c.conn).Export(ctx, plogotlp.NewExportRequestFromLogs(ld))
	return err
}

//go:build windows

package collector

import (
	"go.opentelemetry.io/collector/otelcol"
	"golang.org/x/sys/windows/svc"
)

// NewSvcHandler is otelcol.NewSvcHandler with the partitioning converter, so a
// collector the Windows Service Control Manager starts splits its config as
// the command line does (without it, the service would hand Rust component
// types to the Go collector and fail to start).
func NewSvcHandler(set otelcol.CollectorSettings) svc.Handler {
	set, _ = prepare(set)
	return otelcol.NewSvcHandler(set)
}

package supervisor

import (
	"context"

	"go.opentelemetry.io/otel/metric"
)

const meterName = "github.com/otelcol-hybrid/otelcol-hybrid/supervisor"

// registerMetrics exposes Status as observable instruments, read at
// collection time so they can never disagree with Status().
func registerMetrics(mp metric.MeterProvider, status func() Status) (func(), error) {
	if mp == nil {
		return func() {}, nil
	}
	m := mp.Meter(meterName)
	state, err := m.Int64ObservableGauge("supervisor.child.state",
		metric.WithDescription("Child state: 0 starting, 1 ready, 2 unhealthy, 3 restarting, 4 failed, 5 stopped."))
	if err != nil {
		return nil, err
	}
	up, err := m.Int64ObservableGauge("supervisor.child.up",
		metric.WithDescription("1 while the child is ready (SERVING), else 0."))
	if err != nil {
		return nil, err
	}
	restarts, err := m.Int64ObservableCounter("supervisor.child.restarts",
		metric.WithDescription("Children spawned after the first one."))
	if err != nil {
		return nil, err
	}
	exitCode, err := m.Int64ObservableGauge("supervisor.child.last_exit_code",
		metric.WithDescription("Exit code of the previous child; -1 if it was killed by a signal or none exited yet."))
	if err != nil {
		return nil, err
	}
	reg, err := m.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := status()
		o.ObserveInt64(state, int64(st.State))
		ready := int64(0)
		if st.State == StateReady {
			ready = 1
		}
		o.ObserveInt64(up, ready)
		o.ObserveInt64(restarts, int64(st.Restarts))
		o.ObserveInt64(exitCode, int64(st.LastExitCode))
		return nil
	}, state, up, restarts, exitCode)
	if err != nil {
		return nil, err
	}
	return func() { _ = reg.Unregister() }, nil
}

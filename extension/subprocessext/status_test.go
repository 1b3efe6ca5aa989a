package subprocessext

import (
	"errors"
	"testing"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"

	"github.com/otelcol-hybrid/otelcol-hybrid/supervisor"
)

// statusHost records the component status events the extension reports.
type statusHost struct {
	component.Host
	events []*componentstatus.Event
}

func (h *statusHost) Report(e *componentstatus.Event) { h.events = append(h.events, e) }

func TestChildStatesBecomeComponentStatusEvents(t *testing.T) {
	h := &statusHost{}
	crash := errors.New("otelcol-rust exited: signal SIGKILL")
	for _, st := range []supervisor.Status{
		{State: supervisor.StateStarting},
		{State: supervisor.StateReady},
		{State: supervisor.StateRestarting, Err: crash},
		{State: supervisor.StateUnhealthy},
		{State: supervisor.StateReady},
	} {
		reportStatus(h, st)
	}
	want := []componentstatus.Status{
		componentstatus.StatusOK,
		componentstatus.StatusRecoverableError,
		componentstatus.StatusRecoverableError,
		componentstatus.StatusOK,
	}
	if len(h.events) != len(want) {
		t.Fatalf("%d events, want %d", len(h.events), len(want))
	}
	for i, e := range h.events {
		if e.Status() != want[i] {
			t.Errorf("event %d: %v, want %v", i, e.Status(), want[i])
		}
	}
	if !errors.Is(h.events[1].Err(), crash) {
		t.Errorf("the restart event does not carry the crash: %v", h.events[1].Err())
	}
	if h.events[2].Err() == nil {
		t.Errorf("the unhealthy event has no error")
	}
}

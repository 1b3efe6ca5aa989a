package supervisor

import "fmt"

// State is the supervised child's lifecycle state.
type State int

// The states a supervised child goes through.
const (
	StateStarting   State = iota // spawned, not yet SERVING
	StateReady                   // SERVING and probes pass
	StateUnhealthy               // probe failed or Watch heard NOT_SERVING; below threshold
	StateRestarting              // child gone; waiting out the backoff
	StateFailed                  // start failed or crash loop: no more restarts
	StateStopped                 // Shutdown finished
)

func (s State) String() string {
	switch s {
	case StateStarting:
		return "starting"
	case StateReady:
		return "ready"
	case StateUnhealthy:
		return "unhealthy"
	case StateRestarting:
		return "restarting"
	case StateFailed:
		return "failed"
	case StateStopped:
		return "stopped"
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// Status is a snapshot of the supervisor.
type Status struct {
	State    State
	Restarts int // children spawned after the first one
	// LastExitCode of the previous child; -1 when it died by a signal or
	// none has exited yet.
	LastExitCode int
	LastSignal   string // e.g. "killed"; empty if it exited normally
	Err          error  // why the state was entered, when it is a failure
	PID          int    // current child, 0 when none
}

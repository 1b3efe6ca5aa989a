package supervisor

import "sync"

// notifier delivers status snapshots to OnStatus in order on its own
// goroutine, so the callback may call back into the Supervisor (even
// Shutdown) without deadlocking it.
type notifier struct {
	fn     func(Status)
	mu     sync.Mutex
	queue  []Status
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

func newNotifier(fn func(Status)) *notifier {
	n := &notifier{fn: fn, wake: make(chan struct{}, 1), done: make(chan struct{})}
	if fn == nil {
		close(n.done)
		return n
	}
	go n.loop()
	return n
}

func (n *notifier) push(st Status) {
	if n.fn == nil {
		return
	}
	n.mu.Lock()
	if !n.closed {
		n.queue = append(n.queue, st)
	}
	n.mu.Unlock()
	n.poke()
}

// close delivers what is queued, then stops.
func (n *notifier) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	n.poke()
}

func (n *notifier) poke() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifier) loop() {
	defer close(n.done)
	for range n.wake {
		for {
			n.mu.Lock()
			q, closed := n.queue, n.closed
			n.queue = nil
			n.mu.Unlock()
			for _, st := range q {
				n.fn(st)
			}
			if len(q) == 0 {
				if closed {
					return
				}
				break
			}
		}
	}
}

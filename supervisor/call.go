package supervisor

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/grpc"
)

// ErrNoChild is returned by Call when no child is ready to answer.
var ErrNoChild = errors.New("supervisor: no child is running")

// Call makes one unary gRPC call to the running child over the connection
// the health probes use (the same endpoint and peer check), with the request
// and answer as raw message bytes: the child's own services ride on its
// health listener, and the supervisor need not know their types.
func (s *Supervisor) Call(ctx context.Context, method string, req []byte) ([]byte, error) {
	hc := s.current.Load()
	if hc == nil {
		return nil, ErrNoChild
	}
	var resp []byte
	if err := hc.conn.Invoke(ctx, method, &req, &resp, grpc.ForceCodec(rawCodec{})); err != nil {
		return nil, fmt.Errorf("supervisor: %s: %w", method, err)
	}
	return resp, nil
}

// rawCodec passes message bytes through as they are.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("raw codec: cannot marshal %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("raw codec: cannot unmarshal into %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

// Name is "proto" so the content type stays application/grpc+proto, which
// every gRPC server accepts.
func (rawCodec) Name() string { return "proto" }

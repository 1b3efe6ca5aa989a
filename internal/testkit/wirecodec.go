package testkit

import "google.golang.org/grpc/mem"

// WireCodec is a gRPC codec over *[]byte: a client sends hand-made request
// bodies with it (grpc.ForceCodecV2), and a server records what arrived
// undecoded (grpc.ForceServerCodecV2). Its name is "proto", so peers see the
// ordinary content type.
type WireCodec struct{}

// Name is the content-subtype peers see: the ordinary one.
func (WireCodec) Name() string { return "proto" }

// Marshal sends the bytes *v points to as they are.
func (WireCodec) Marshal(v any) (mem.BufferSlice, error) {
	return mem.BufferSlice{mem.SliceBuffer(*v.(*[]byte))}, nil
}

// Unmarshal copies the received body into *v.
func (WireCodec) Unmarshal(data mem.BufferSlice, v any) error {
	*v.(*[]byte) = data.Materialize()
	return nil
}

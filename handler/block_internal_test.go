package handler

import (
	"testing"
	"unsafe"
)

// TestBlockSize keeps the request's block in the 768-byte malloc size
// class: the handler allocates it once per request (the scope's context,
// the manouche.Request with its resolver match, the finishing state), and
// a field added without care takes it to the 896-byte class, 128 bytes
// more on every request. An object over 512 bytes that holds pointers
// carries an 8-byte header in front of it, so the block itself must stay
// within 760. manouche.Request keeps its flags together for this, the
// Scope its finished flag beside its counter.
func TestBlockSize(t *testing.T) {
	const header = 8
	if n := unsafe.Sizeof(inflight{}); n+header > 768 {
		t.Errorf("the request's block is %d bytes and its header %d, over the 768-byte size class: keep manouche.Request's and manouche.Scope's fields packed", n, header)
	}
}

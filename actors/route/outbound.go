package route

import (
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// FailReason says why an Outbound stopped accepting data.
type FailReason uint8

const (
	// FailNone: still open.
	FailNone FailReason = iota
	// FailSlowConsumer: more than MaxPending bytes queued.
	FailSlowConsumer
	// FailWriteDeadline: a write did not complete within the write deadline.
	FailWriteDeadline
	// FailWrite: the socket returned an error.
	FailWrite
)

// Outbound is one connection's queue of encoded protocol bytes.
type Outbound struct {
	mu         sync.Mutex
	buf        []byte // guarded by mu
	closed     bool   // guarded by mu: appends are dropped
	maxPending int    // immutable
	outMsgs    int64  // guarded by mu
	outBytes   int64  // guarded by mu

	// A pending switch of the byte encoding (compression): bytes queued
	// before encAt keep the current encoding, the rest use encNext.
	encNext Encoder // guarded by mu
	encAt   int     // guarded by mu; -1 when no switch is pending

	signal chan struct{} // capacity 1: "there is something to write"
	onFail func(FailReason)
	failed sync.Once
}

// NewOutbound returns an empty queue. maxPending <= 0 means no limit. onFail
// is called once, from whichever goroutine detected the failure, without any
// lock held; it must not block.
func NewOutbound(maxPending int, onFail func(FailReason)) *Outbound {
	return &Outbound{maxPending: maxPending, signal: make(chan struct{}, 1), onFail: onFail, encAt: -1}
}

// Encoder encodes one batch of queued bytes onto w, such as an S2 stream.
// It is used by the writer goroutine only.
type Encoder interface {
	Encode(w io.Writer, b []byte) error
}

// SwitchEncoder makes everything queued from now on go out through e:
// what is already queued keeps the current encoding.
func (o *Outbound) SwitchEncoder(e Encoder) {
	o.mu.Lock()
	o.encNext, o.encAt = e, len(o.buf)
	o.mu.Unlock()
	o.Signal()
}

// Signal wakes the writer. It never blocks.
func (o *Outbound) Signal() {
	select {
	case o.signal <- struct{}{}:
	default:
	}
}

func (o *Outbound) fail(r FailReason) {
	o.failed.Do(func() {
		if o.onFail != nil {
			o.onFail(r)
		}
	})
}

// overLimitLocked marks the queue closed when it exceeds maxPending.
// mu must be held. It reports whether the caller must call fail.
func (o *Outbound) overLimitLocked() bool {
	if o.maxPending > 0 && len(o.buf) > o.maxPending {
		o.closed = true
		o.buf = o.buf[:0]
		return true
	}
	return false
}

// QueueRaw appends protocol bytes (PING, PONG, +OK, -ERR, INFO...). It does
// not count as a message. It reports false when the queue is closed.
func (o *Outbound) QueueRaw(b []byte) bool {
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return false
	}
	o.buf = append(o.buf, b...)
	slow := o.overLimitLocked()
	o.mu.Unlock()
	if slow {
		o.fail(FailSlowConsumer)
		return false
	}
	return true
}

// Close stops further appends; what is queued is still written.
func (o *Outbound) Close() {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
}

// Stats returns the messages and bytes queued for delivery so far and the
// bytes pending.
func (o *Outbound) Stats() (msgs, bytes int64, pending int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.outMsgs, o.outBytes, len(o.buf)
}

// take swaps the queued bytes with spare and returns them, with a pending
// encoder switch (at = -1 for none).
func (o *Outbound) take(spare []byte) (b []byte, at int, next Encoder) {
	o.mu.Lock()
	b, at, next = o.buf, o.encAt, o.encNext
	o.buf = spare[:0]
	o.encAt, o.encNext = -1, nil
	o.mu.Unlock()
	return b, at, next
}

// deadlineWriter is what WriteLoop needs of a net.Conn.
type deadlineWriter interface {
	Write([]byte) (int, error)
	SetWriteDeadline(time.Time) error
}

// A writer keeps its grown buffer for the next batch, unless the buffer is
// above shrinkAbove and shrinkAfter batches in a row used less than an
// eighth of it: then it lets the buffer go (an idle connection does not pin
// the memory of a past burst).
const (
	shrinkAbove = 256 * 1024
	shrinkAfter = 64
)

// WriteLoop drains the queue into w until done is closed, then makes a last
// flush bounded by finalDeadline and returns. Each batch is one Write under
// the write deadline. On a write error it calls onFail and returns.
func (o *Outbound) WriteLoop(w deadlineWriter, writeDeadline, finalDeadline time.Duration, done <-chan struct{}) {
	var spare []byte
	var enc Encoder
	underused := 0
	send := func(p []byte) error {
		if len(p) == 0 {
			return nil
		}
		if enc != nil {
			return enc.Encode(w, p)
		}
		_, err := w.Write(p)
		return err
	}
	write := func(deadline time.Duration) bool {
		b, at, next := o.take(spare)
		if len(b) == 0 && at < 0 {
			spare = b
			return true
		}
		if deadline > 0 {
			_ = w.SetWriteDeadline(time.Now().Add(deadline))
		}
		var err error
		if at >= 0 {
			if err = send(b[:at]); err == nil {
				enc = next
				err = send(b[at:])
			}
		} else {
			err = send(b)
		}
		if err != nil {
			o.Close()
			var ne net.Error
			if errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
				o.fail(FailWriteDeadline)
			} else {
				o.fail(FailWrite)
			}
			return false
		}
		if cap(b) > shrinkAbove && len(b) < cap(b)/8 {
			if underused++; underused >= shrinkAfter {
				b, underused = nil, 0
			}
		} else {
			underused = 0
		}
		spare = b
		return true
	}
	for {
		select {
		case <-o.signal:
			if !write(writeDeadline) {
				return
			}
		case <-done:
			write(finalDeadline)
			return
		}
	}
}

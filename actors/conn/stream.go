package conn

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// stream is a connection's byte stream as reader and writer use it: the
// socket, or the TLS connection over it once the handshake is done. The
// protocol code never sees the difference. The reader settles the stream
// (upgrades it, or decides not to) and then marks it ready; the writer
// writes nothing before that, so a CONNECT or INFO queued meanwhile goes
// out over the right transport.
type stream struct {
	raw   net.Conn // the socket; closing it ends everything
	conn  net.Conn // what reader and writer use; set by the reader before ready
	ready chan struct{}
	once  sync.Once
	// ws is the WebSocket over the socket, once there is one (accepted on
	// the websocket port, or upgraded by a soliciting leaf's reader).
	ws atomic.Pointer[wsConn]
	// tlsFirst: the TLS handshake came before the INFO (set by the reader
	// before ready).
	tlsFirst bool
}

func newStream(c net.Conn) *stream {
	s := &stream{raw: c, conn: c, ready: make(chan struct{})}
	if w, ok := c.(*wsConn); ok {
		s.ws.Store(w)
	}
	return s
}

// useWS makes an upgraded WebSocket the stream (reader, before ready).
func (s *stream) useWS(w *wsConn) {
	s.conn = w
	s.ws.Store(w)
}

// deflate reports permessage-deflate on the stream's WebSocket: then S2 is
// not layered on top (nats-server settles such links on "off").
func (s *stream) deflate() bool {
	w := s.ws.Load()
	return w != nil && w.compress
}

func (s *stream) markReady() { s.once.Do(func() { close(s.ready) }) }

// Write and SetWriteDeadline are the writer's view (after ready).
func (s *stream) Write(b []byte) (int, error)        { return s.conn.Write(b) }
func (s *stream) SetWriteDeadline(t time.Time) error { return s.conn.SetWriteDeadline(t) }

// upgrade runs a TLS handshake over the socket within timeout and makes the
// TLS connection the stream. server chooses the side.
func (s *stream) upgrade(cfg *tls.Config, server bool, timeout time.Duration) error {
	var tc *tls.Conn
	if server {
		tc = tls.Server(s.raw, cfg)
	} else {
		tc = tls.Client(s.raw, cfg)
	}
	if timeout > 0 {
		_ = s.raw.SetDeadline(time.Now().Add(timeout))
	}
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake: %w", err)
	}
	_ = s.raw.SetDeadline(time.Time{})
	s.conn = tc
	return nil
}

// prefixConn returns bytes already read (sniffed) before reading on.
type prefixConn struct {
	net.Conn
	pre []byte
}

func (p *prefixConn) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	return p.Conn.Read(b)
}

// tlsRecordType starts every TLS ClientHello.
const tlsRecordType = 0x16

// serverTLS is how an accepting connection sets up TLS.
type serverTLS struct {
	cfg     *tls.Config
	timeout time.Duration
	first   bool // handshake_first: TLS before the INFO
	// fallback is handshake_first's fallback delay ("auto" or a duration):
	// a peer that sends nothing within it gets the INFO in clear and goes
	// on as without handshake_first. Zero: no fallback.
	fallback time.Duration
	optional bool // allow_non_tls: plain clients too
}

// acceptTLS settles an accepted connection's stream, as nats-server does:
// the INFO in clear, then the server handshake; or, with handshake_first,
// the handshake and then the INFO through the queue. With a fallback delay
// the handshake comes first only if the peer starts talking within it.
// With allow_non_tls (and no TLS first) a client that does not start TLS
// stays in clear. info is the INFO line to send in clear, firstInfo the one
// to send after a TLS-first handshake; acceptTLS returns the INFO still to
// be queued, or nil.
func (s *stream) acceptTLS(t *serverTLS, info, firstInfo []byte) (queue []byte, err error) {
	first := t.first
	if first && t.fallback > 0 {
		// Only a TLS-first peer talks before the INFO. Whatever it sent
		// goes to the handshake, which judges it.
		_, got, err := s.peek(t.fallback)
		if !got && !isTimeout(err) {
			return nil, fmt.Errorf("read before INFO: %w", err)
		}
		first = got
	}
	if !first {
		_ = s.raw.SetWriteDeadline(time.Now().Add(t.timeout))
		if _, err := s.raw.Write(info); err != nil {
			return nil, fmt.Errorf("write INFO: %w", err)
		}
		_ = s.raw.SetWriteDeadline(time.Time{})
		if t.optional {
			// As nats-server: a client that starts with anything but a TLS
			// record, or says nothing within the TLS timeout, goes on in
			// clear (a closed socket shows at the next read).
			if b, got, _ := s.peek(t.timeout); !got || b != tlsRecordType {
				s.conn = s.raw
				return nil, nil
			}
		}
	}
	if err := s.upgrade(t.cfg, true, t.timeout); err != nil {
		return nil, err
	}
	if !first {
		return nil, nil
	}
	return firstInfo, nil
}

// peek reads the peer's first byte within d and keeps it for the next
// read (the socket becomes a prefixConn). got reports whether there was
// one; if not, err says why.
func (s *stream) peek(d time.Duration) (b byte, got bool, err error) {
	var buf [1]byte
	_ = s.raw.SetReadDeadline(time.Now().Add(d))
	n, err := s.raw.Read(buf[:])
	_ = s.raw.SetReadDeadline(time.Time{})
	if n == 0 {
		if err == nil {
			err = io.ErrNoProgress
		}
		return 0, false, err
	}
	s.raw = &prefixConn{Conn: s.raw, pre: buf[:1]}
	return buf[0], true, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

package conn

import (
	"crypto/tls"
	"fmt"
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
	cfg      *tls.Config
	timeout  time.Duration
	first    bool // handshake_first: TLS before the INFO
	optional bool // allow_non_tls: plain clients too
}

// acceptTLS settles an accepted connection's stream: the INFO goes out in
// clear, then the server handshake (or the handshake first, then the INFO
// through the queue); with allow_non_tls a client that does not start TLS
// stays in clear. info is the INFO line; it reports whether the INFO still
// has to be queued.
func (s *stream) acceptTLS(t *serverTLS, info []byte) (queueInfo bool, err error) {
	if !t.first {
		_ = s.raw.SetWriteDeadline(time.Now().Add(t.timeout))
		if _, err := s.raw.Write(info); err != nil {
			return false, fmt.Errorf("write INFO: %w", err)
		}
		_ = s.raw.SetWriteDeadline(time.Time{})
	}
	if t.optional {
		var b [1]byte
		_ = s.raw.SetReadDeadline(time.Now().Add(t.timeout))
		n, err := s.raw.Read(b[:])
		_ = s.raw.SetReadDeadline(time.Time{})
		if err != nil {
			return false, fmt.Errorf("read the first byte: %w", err)
		}
		pc := &prefixConn{Conn: s.raw, pre: append([]byte(nil), b[:n]...)}
		if b[0] != tlsRecordType {
			s.conn = pc
			return t.first, nil
		}
		s.raw = pc
	}
	if err := s.upgrade(t.cfg, true, t.timeout); err != nil {
		return false, err
	}
	return t.first, nil
}

package conn

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/klauspost/compress/s2"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// WebSocket connections (the websocket {} port, ws:// and wss:// remotes).
// Once upgraded, a WebSocket is a net.Conn whose reads are the payload of
// the peer's frames and whose writes go out as frames: the protocol code,
// S2 and the writer see a byte stream as on any socket.

// wsConn is a WebSocket connection as a byte stream.
type wsConn struct {
	net.Conn // the socket, or TLS over it
	src      *protocol.WSReader
	enc      *protocol.WSWriter
	opts     protocol.WSOptions // what src was made with

	compress bool // permessage-deflate negotiated

	in *swapReader // what the frame reader reads: the socket, then S2

	mu        sync.Mutex // one frame at a time on the socket; enc under it
	closeSent bool       // under mu: no data after a close frame
	s2        *s2Encoder // under mu: S2 over the frames, once switched

	reason atomic.Pointer[string] // why we close (the close frame's text)
}

// wsCloseWait bounds writing our close frame when the connection ends.
const wsCloseWait = 100 * time.Millisecond

// newWSConn wraps an upgraded connection; early holds bytes read past the
// HTTP exchange.
func newWSConn(c net.Conn, early []byte, opts protocol.WSOptions) *wsConn {
	w := &wsConn{Conn: c, compress: opts.Compress}
	opts.Control = w.control
	var r io.Reader = c
	if len(early) > 0 {
		r = io.MultiReader(bytes.NewReader(early), c)
	}
	w.in = &swapReader{r: r}
	w.src = protocol.NewWSReader(w.in, opts)
	w.enc = protocol.NewWSWriter(opts)
	w.opts = opts
	return w
}

// setMaxPayload bounds the peer's compressed messages by the connection's
// max_payload, as nats-server bounds them by the client's (0: 1 MB). Only
// before the first Read. The writer keeps compressing at most 1 MB per
// message, which a nats-server peer inflates whatever our max_payload.
func (w *wsConn) setMaxPayload(n int) {
	w.opts.MaxMessage = n
	w.src = protocol.NewWSReader(w.in, w.opts)
}

// Read returns frame payload. A frame that breaks the rules gets the close
// frame nats-server sends (1002 and what was wrong), then the error.
func (w *wsConn) Read(p []byte) (int, error) {
	n, err := w.src.Read(p)
	var we *protocol.WSError
	if err != nil && errors.As(err, &we) {
		if f, ferr := w.enc.CloseFrame(we.Code, we.Text); ferr == nil {
			w.control(f)
		}
	}
	return n, err
}

// Write sends p as frames (one batch of the writer).
func (w *wsConn) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeSent {
		return 0, net.ErrClosed
	}
	if err := w.enc.Encode(wsFrames{w}, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// wsFrames is where Write's encoder puts the frames: the socket, through
// S2 once it is on. mu held.
type wsFrames struct{ w *wsConn }

func (f wsFrames) Write(frames []byte) (int, error) {
	if err := f.w.send(frames); err != nil {
		return 0, err
	}
	return len(frames), nil
}

// send writes frames to the socket, through S2 once it is on. mu held.
func (w *wsConn) send(frames []byte) error {
	if w.s2 != nil {
		return w.s2.Encode(w.Conn, frames)
	}
	_, err := w.Conn.Write(frames)
	return err
}

// S2 on a WebSocket leaf link goes between the socket and the frames, as
// nats-server writes it: the frames are compressed, not the payloads. The
// writer's switch point (route.Outbound.SwitchEncoder) starts it.

// wsS2 is the outbound encoder of a WebSocket that switches to S2: from the
// first batch it encodes, frames are S2-compressed (control frames too).
type wsS2 struct {
	ws *wsConn
	s2 *s2Encoder
}

// Encode frames b and writes the frames as one S2 stream.
func (e *wsS2) Encode(_ io.Writer, b []byte) error {
	e.ws.mu.Lock()
	e.ws.s2 = e.s2
	e.ws.mu.Unlock()
	_, err := e.ws.Write(b)
	return err
}

// readS2 makes the frame reader read S2 from the socket (the reader, at
// the switch point).
func (w *wsConn) readS2() { w.in.r = s2.NewReader(w.in.r) }

// swapReader reads from r, which the reader goroutine may replace.
type swapReader struct{ r io.Reader }

func (s *swapReader) Read(p []byte) (int, error) { return s.r.Read(p) }

// control writes a control frame the reader owes the peer (pong, close).
func (w *wsConn) control(frame []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeSent {
		return
	}
	if len(frame) > 0 && frame[0]&0x0f == 0x8 {
		w.closeSent = true
	}
	_ = w.send(frame)
}

// setReason is the close reason our close frame will carry.
func (w *wsConn) setReason(r string) { w.reason.Store(&r) }

// Close sends a close frame (unless one went out already) with the status
// and reason nats-server sends, then closes the socket.
func (w *wsConn) Close() error {
	reason := "Client Closed"
	if r := w.reason.Load(); r != nil && *r != "" {
		reason = *r
	}
	if f, err := w.enc.CloseFrame(protocol.WSCloseStatus(reason), reason); err == nil {
		_ = w.Conn.SetWriteDeadline(time.Now().Add(wsCloseWait))
		w.control(f)
	}
	return w.Conn.Close()
}

// AcceptWS hands an upgraded WebSocket to the connections supervisor: a
// client, or a leaf when the request path ended in /leafnode.
type AcceptWS struct {
	Conn net.Conn
	Leaf bool
}

// WSHandler answers HTTP upgrade requests on the websocket port as
// nats-server does: a request that passes its checks gets the 101 and
// becomes a client or leaf connection of the supervisor; any other gets
// the HTTP error (the reason goes to the log).
func WSHandler(opts *config.WebsocketOpts, leafs bool, root *actor.RootContext, target *actor.PID, log *zap.Logger) http.Handler {
	ao := wsAcceptOptions(opts, log)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &protocol.WSRequest{Method: r.Method, Host: r.Host, Path: r.URL.EscapedPath(), Header: r.Header, TLS: r.TLS != nil}
		hj, ok := w.(http.Hijacker)
		if !ok {
			http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
			return
		}
		// Only the request is read before the answer: anything buffered
		// came early.
		nc, brw, err := hj.Hijack()
		if err != nil {
			log.Error("websocket upgrade: cannot take over the connection", zap.Error(err))
			return
		}
		req.Buffered = brw.Reader.Buffered()
		acc, err := protocol.AcceptWS(req, ao)
		if err != nil {
			var he *protocol.WSHandshakeError
			status := http.StatusBadRequest
			if errors.As(err, &he) {
				status = he.Status
			}
			log.Error("websocket upgrade refused", zap.String("remote", nc.RemoteAddr().String()), zap.Error(err))
			writeHTTPError(nc, status)
			_ = nc.Close()
			return
		}
		if _, err := nc.Write(acc.Response); err != nil {
			_ = nc.Close()
			return
		}
		_ = nc.SetDeadline(time.Time{})
		leaf := acc.Kind == protocol.WSLeaf
		if leaf && !leafs {
			// As nats-server: a leaf upgrade without a leafnode port is
			// closed without a word.
			log.Error("not configured to accept leaf node connections", zap.String("remote", nc.RemoteAddr().String()))
			_ = nc.Close()
			return
		}
		root.Send(target, &AcceptWS{Conn: newWSConn(nc, nil, acc.Options()), Leaf: leaf})
	})
}

// wsAcceptOptions are the accept-side settings of the websocket block, its
// origin policy parsed once.
func wsAcceptOptions(opts *config.WebsocketOpts, log *zap.Logger) *protocol.WSAcceptOptions {
	ao := &protocol.WSAcceptOptions{Compression: opts.Compression, Headers: opts.Headers}
	if p := newWSOriginPolicy(opts.SameOrigin, opts.AllowedOrigins, log); p != nil {
		ao.CheckOrigin = p.check
	}
	return ao
}

// The origin policy (same_origin, allowed_origins), applied as nats-server
// applies it, with the reasons leafhub logs.

// wsAllowedOrigin is an allowed origin's scheme and port, kept under its
// host.
type wsAllowedOrigin struct{ scheme, port string }

// wsOriginPolicy is the origin policy, its allowed origins parsed once.
type wsOriginPolicy struct {
	sameOrigin bool
	allowed    map[string][]wsAllowedOrigin // by lowercased host
}

// newWSOriginPolicy parses the allowed origins (validation refused bad
// ones; any that still fail to parse are logged and skipped, as
// nats-server does). nil: no policy, every origin passes.
func newWSOriginPolicy(sameOrigin bool, origins []string, log *zap.Logger) *wsOriginPolicy {
	p := &wsOriginPolicy{sameOrigin: sameOrigin}
	for _, s := range origins {
		u, err := url.ParseRequestURI(s)
		if err != nil {
			log.Error("error parsing allowed origin", zap.Error(err))
			continue
		}
		h, port, _ := wsHostPort(u.Scheme == "https", u.Host)
		if p.allowed == nil {
			p.allowed = make(map[string][]wsAllowedOrigin, len(origins))
		}
		p.allowed[h] = append(p.allowed[h], wsAllowedOrigin{u.Scheme, port})
	}
	if !p.sameOrigin && len(p.allowed) == 0 {
		return nil
	}
	return p
}

// errWSOriginURI is any origin url.ParseRequestURI refuses (the reason
// leafhub logs, without the origin).
var errWSOriginURI = errors.New("invalid URI")

// check is protocol.WSAcceptOptions.CheckOrigin: origin (not empty) must
// be the request's own when same_origin is set, and in the allowed list
// when there is one.
func (p *wsOriginPolicy) check(origin string, req *protocol.WSRequest) error {
	u, err := url.ParseRequestURI(origin)
	if err != nil {
		return errWSOriginURI
	}
	oh, op, err := wsHostPort(u.Scheme == "https", u.Host)
	if err != nil {
		return err
	}
	if p.sameOrigin {
		rh, rp, err := wsHostPort(req.TLS, req.Host)
		if err != nil {
			return err
		}
		rs := "http"
		if req.TLS {
			rs = "https"
		}
		if oh != rh || op != rp || !strings.EqualFold(u.Scheme, rs) {
			return errors.New("not same origin")
		}
	}
	if len(p.allowed) > 0 && !slices.Contains(p.allowed[oh], wsAllowedOrigin{u.Scheme, op}) {
		return errors.New("not in the allowed list")
	}
	return nil
}

// wsHostPort splits host[:port] with the scheme's default port (443 over
// TLS, else 80) when the port is missing, and lowercases the host. As in
// nats-server, a host without a port is kept whole: "[::1]" keeps its
// brackets. A split error is the net.AddrError's reason alone, without
// the address.
func wsHostPort(tls bool, hostport string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(hostport)
	var ae *net.AddrError
	if errors.As(err, &ae) {
		if !strings.Contains(ae.Err, "missing port") {
			return "", "", errors.New(ae.Err)
		}
		host, port, err = hostport, "80", nil
		if tls {
			port = "443"
		}
	}
	return strings.ToLower(host), port, err
}

// writeHTTPError answers a refused upgrade as nats-server's HTTP server
// does (status text body, Sec-Websocket-Version: 13).
func writeHTTPError(c net.Conn, status int) {
	body := http.StatusText(status) + "\n"
	_ = c.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nSec-Websocket-Version: 13\r\nX-Content-Type-Options: nosniff\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, http.StatusText(status), len(body), body)
}

// wsDial is how a soliciting leaf upgrades its socket: TLS first for a
// wss:// URL or a remote with a tls block, then the HTTP exchange.
type wsDial struct {
	url     *url.URL
	tls     *tls.Config // nil: plain
	tlsTime time.Duration
	timeout time.Duration // the whole exchange (the remote's first_info_timeout)
	opts    protocol.WSDialOptions
}

// upgrade runs the client side of the upgrade over c and returns the
// WebSocket stream.
func (d *wsDial) upgrade(c net.Conn) (net.Conn, error) {
	if d.tls != nil {
		tc := tls.Client(c, d.tls)
		_ = c.SetDeadline(time.Now().Add(d.tlsTime))
		if err := tc.Handshake(); err != nil {
			return nil, fmt.Errorf("TLS handshake: %w", err)
		}
		c = tc
	}
	_ = c.SetDeadline(time.Now().Add(d.timeout))
	var key [16]byte
	if _, err := rand.Read(key[:]); err != nil {
		return nil, err
	}
	host := d.url.Host
	if d.url.Port() == "" {
		host = net.JoinHostPort(d.url.Hostname(), "7422")
	}
	req := protocol.AppendWSRequest(nil, host, d.url.EscapedPath(), key, d.opts)
	if _, err := c.Write(req); err != nil {
		return nil, fmt.Errorf("websocket upgrade request: %w", err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
	if err != nil {
		return nil, fmt.Errorf("websocket upgrade response: %w", err)
	}
	_ = resp.Body.Close()
	dialed, err := protocol.CheckWSResponse(resp.StatusCode, resp.Header, key, d.opts)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Time{})
	var early []byte
	if n := br.Buffered(); n > 0 {
		early, _ = br.Peek(n)
		early = append([]byte(nil), early...)
	}
	return newWSConn(c, early, dialed.Options()), nil
}

// wsUpgradeError: the soliciting side's upgrade failed.
type wsUpgradeError struct{ err error }

func (e *wsUpgradeError) Error() string { return "websocket upgrade: " + e.err.Error() }
func (e *wsUpgradeError) Unwrap() error { return e.err }

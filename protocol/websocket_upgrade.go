package protocol

import (
	"crypto/fips140"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"path"
	"slices"
	"strconv"
	"strings"
)

// The WebSocket upgrade (RFC 6455 section 4) as nats-server performs it
// (spec 8.1): the checks of the accept side and the request and response
// checks of a soliciting leaf. HTTP and URL parsing stay with the caller
// (this package imports no net/...): it hands over what net/http parsed,
// with header keys in net/http's canonical form, and checks origins.

const (
	wsGUID            = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
	wsLeafPath        = "/leafnode" // path suffix of leafnode upgrades
	wsMQTTPath        = "/mqtt"     // path suffix of MQTT upgrades
	wsNoMaskingHeader = "Nats-No-Masking"
	wsDeflate         = "permessage-deflate"
	wsServerNoCtx     = "server_no_context_takeover"
	wsClientNoCtx     = "client_no_context_takeover"
	wsDeflateParams   = wsDeflate + "; " + wsServerNoCtx + "; " + wsClientNoCtx
)

// WSAcceptKey is the Sec-WebSocket-Accept value answering the
// Sec-WebSocket-Key key: base64 of the SHA-1 of key and the RFC's GUID.
// SHA-1 is the protocol's, not a security choice, so it is allowed even
// when FIPS 140 enforcement is on (as nats-server allows it).
func WSAcceptKey(key string) string {
	var sum [sha1.Size]byte
	fips140.WithoutEnforcement(func() { sum = sha1.Sum([]byte(key + wsGUID)) })
	return base64.StdEncoding.EncodeToString(sum[:])
}

// WSKind is what an accepted upgrade becomes, decided by the request path.
type WSKind uint8

const (
	WSClient WSKind = iota // a NATS client connection
	WSLeaf                 // a leafnode connection: the path ends in /leafnode
)

func (k WSKind) String() string {
	if k == WSLeaf {
		return "leaf"
	}
	return "client"
}

// WSRequest is an upgrade request as net/http parsed it.
type WSRequest struct {
	Method string
	Host   string // http.Request.Host
	Path   string // http.Request.URL.EscapedPath()
	// Header maps canonical keys (as http.Header stores them) to values.
	Header map[string][]string
	TLS    bool // the request arrived over TLS (wss)
	// Buffered is how many bytes the peer sent after the request and
	// before our answer (bufio.Reader.Buffered after the hijack): any is a
	// refusal.
	Buffered int
}

// WSAcceptOptions are the websocket {} settings the accept side applies.
type WSAcceptOptions struct {
	Compression bool // compression: grant permessage-deflate when offered
	// CheckOrigin applies the origin policy (same_origin, allowed_origins)
	// to the request's Origin header (or Sec-WebSocket-Origin when Origin
	// is absent or empty): origin is that value, never empty, since a
	// request without one passes. A non-nil error refuses the upgrade with
	// 403 and "origin not allowed: " and the error's text. nil: no policy.
	CheckOrigin func(origin string, req *WSRequest) error
	// Headers are added to the 101 response (headers), sorted by key.
	Headers map[string]string
	// RefuseNoMasking keeps masking required even when the peer asks for
	// Nats-No-Masking (nats-server always grants it).
	RefuseNoMasking bool
}

// WSAccepted is the outcome of a successful upgrade.
type WSAccepted struct {
	Kind     WSKind
	Compress bool // permessage-deflate, without context takeover
	// NoMasking: the peer asked not to mask its frames, and was granted it.
	NoMasking bool
	// Browser: a client whose User-Agent starts with Mozilla/; nats-server
	// writes it frames of at most 4 KB.
	Browser bool
	// NoCompressedFragments: a Safari client, which gets each compressed
	// message in one frame whatever its size.
	NoCompressedFragments bool
	// Response is the complete 101 answer to write before any frame.
	Response []byte
}

// wsBrowserFrame is the frame size nats-server limits browsers to.
const wsBrowserFrame = 4096

// Options are the frame options of the accepted connection, without
// MaxMessage, Rand and Control.
func (a *WSAccepted) Options() WSOptions {
	o := WSOptions{NoMasking: a.NoMasking, Compress: a.Compress,
		NoCompressedFragments: a.NoCompressedFragments}
	if a.Browser {
		o.MaxFrame = wsBrowserFrame
	}
	return o
}

// WSHandshakeError is a refused upgrade: the HTTP status to answer with and
// nats-server's reason (which it only logs; the response body is the status
// text). nats-server answers with header Sec-Websocket-Version: 13 and
// http.Error(w, http.StatusText(Status), Status).
type WSHandshakeError struct {
	Status int
	Reason string
}

func (e *WSHandshakeError) Error() string {
	return "websocket handshake error: " + e.Reason
}

func wsRefuse(status int, reason string) error {
	return &WSHandshakeError{Status: status, Reason: reason}
}

// AcceptWS checks an upgrade request as nats-server does, in its order:
// the MQTT path (404, leafhub has no MQTT), method (405), Host, Upgrade,
// Connection, Sec-WebSocket-Key and Sec-WebSocket-Version (400), the origin
// policy (403, opts.CheckOrigin), then data sent ahead of the answer (400).
// The error is a *WSHandshakeError.
func AcceptWS(req *WSRequest, opts *WSAcceptOptions) (*WSAccepted, error) {
	h := req.Header
	kind := WSClient
	if strings.HasSuffix(req.Path, wsLeafPath) {
		kind = WSLeaf
	} else if strings.HasSuffix(req.Path, wsMQTTPath) {
		return nil, wsRefuse(404, "mqtt websocket endpoint not enabled")
	}
	switch {
	case req.Method != "GET":
		return nil, wsRefuse(405, "request method must be GET")
	case req.Host == "":
		return nil, wsRefuse(400, "'Host' missing in request")
	case !wsHasToken(h, "Upgrade", "websocket"):
		return nil, wsRefuse(400, "invalid value for header 'Upgrade'")
	case !wsHasToken(h, "Connection", "Upgrade"):
		return nil, wsRefuse(400, "invalid value for header 'Connection'")
	}
	key := wsFirst(h, "Sec-Websocket-Key")
	if key == "" {
		return nil, wsRefuse(400, "key missing")
	}
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return nil, wsRefuse(400, "invalid websocket key")
	}
	if !wsHasToken(h, "Sec-Websocket-Version", "13") {
		return nil, wsRefuse(400, "invalid version")
	}
	if opts.CheckOrigin != nil {
		origin := wsFirst(h, "Origin")
		if origin == "" {
			origin = wsFirst(h, "Sec-Websocket-Origin")
		}
		if origin != "" {
			if err := opts.CheckOrigin(origin, req); err != nil {
				return nil, wsRefuse(403, "origin not allowed: "+err.Error())
			}
		}
	}
	a := &WSAccepted{Kind: kind}
	if opts.Compression {
		a.Compress, _ = wsDeflateSupport(h)
	}
	a.NoMasking = wsFirst(h, wsNoMaskingHeader) == "true" && !opts.RefuseNoMasking
	if req.Buffered > 0 {
		return nil, wsRefuse(400, "client sent data before handshake is complete")
	}
	if kind == WSClient {
		if ua := wsFirst(h, "User-Agent"); strings.HasPrefix(ua, "Mozilla/") {
			a.Browser = true
			a.NoCompressedFragments = a.Compress &&
				strings.Contains(ua, "Version/") && strings.Contains(ua, "Safari/")
		}
	}

	b := make([]byte, 0, 256)
	b = append(b, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	b = append(b, WSAcceptKey(key)...)
	b = append(b, "\r\n"...)
	if a.Compress {
		b = append(b, "Sec-WebSocket-Extensions: "+wsDeflateParams+"\r\n"...)
	}
	if a.NoMasking {
		b = append(b, wsNoMaskingHeader+": true\r\n"...)
	}
	keys := make([]string, 0, len(opts.Headers))
	for k := range opts.Headers {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		b = append(b, k...)
		b = append(b, ": "...)
		b = append(b, opts.Headers[k]...)
		b = append(b, "\r\n"...)
	}
	a.Response = append(b, "\r\n"...)
	return a, nil
}

// wsFirst is http.Header.Get for a canonical key.
func wsFirst(h map[string][]string, key string) string {
	if v := h[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// wsHasToken reports whether a comma-separated token of any value of
// header key equals token, ignoring case and surrounding blanks.
func wsHasToken(h map[string][]string, key, token string) bool {
	for _, v := range h[key] {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.Trim(t, " \t"), token) {
				return true
			}
		}
	}
	return false
}

// wsDeflateSupport looks for permessage-deflate in Sec-WebSocket-Extensions:
// as any ;-separated element of any extension, the way nats-server looks.
// both reports whether the elements after it include both
// no-context-takeover parameters.
func wsDeflateSupport(h map[string][]string) (found, both bool) {
	for _, v := range h["Sec-Websocket-Extensions"] {
		for ext := range strings.SplitSeq(v, ",") {
			params := strings.Split(strings.Trim(ext, " \t"), ";")
			for i, p := range params {
				if !strings.EqualFold(strings.Trim(p, " \t"), wsDeflate) {
					continue
				}
				var srv, cli bool
				for _, q := range params[i+1:] {
					q = strings.Trim(q, " \t")
					srv = srv || strings.EqualFold(q, wsServerNoCtx)
					cli = cli || strings.EqualFold(q, wsClientNoCtx)
				}
				return true, srv && cli
			}
		}
	}
	return false, false
}

// WSDialOptions are a websocket remote's settings.
type WSDialOptions struct {
	Compression bool // ws_compression: offer permessage-deflate
	NoMasking   bool // ws_no_masking: ask the hub to accept unmasked frames
}

// WSLeafPath is the request path a leaf solicits for a remote URL whose
// escaped path is urlPath: that path (without its leading slash) joined
// with /leafnode and cleaned, after a slash. As in nats-server, a URL path
// of exactly "/" gives "//leafnode", which still ends in /leafnode.
func WSLeafPath(urlPath string) string {
	if urlPath == "" {
		return wsLeafPath
	}
	return "/" + path.Join(strings.TrimPrefix(urlPath, "/"), wsLeafPath)
}

// AppendWSRequest appends the upgrade request a leaf sends to a websocket
// remote, byte for byte as nats-server's Go HTTP client writes it (headers
// in sorted key order). host is the URL's host[:port], as it goes in the
// Host header; urlPath its escaped path; key the 16 random bytes of
// Sec-WebSocket-Key.
func AppendWSRequest(dst []byte, host, urlPath string, key [16]byte, opts WSDialOptions) []byte {
	dst = append(dst, "GET "...)
	dst = append(dst, WSLeafPath(urlPath)...)
	dst = append(dst, " HTTP/1.1\r\nHost: "...)
	dst = append(dst, host...)
	dst = append(dst, "\r\nUser-Agent: Go-http-client/1.1\r\nConnection: Upgrade\r\n"...)
	if opts.NoMasking {
		dst = append(dst, wsNoMaskingHeader+": true\r\n"...)
	}
	dst = append(dst, "Sec-WebSocket-Key: "...)
	dst = base64.StdEncoding.AppendEncode(dst, key[:])
	dst = append(dst, "\r\nSec-WebSocket-Version: 13\r\n"...)
	if opts.Compression {
		dst = append(dst, "Sec-Websocket-Extensions: "+wsDeflateParams+"\r\n"...)
	}
	return append(dst, "Upgrade: websocket\r\n\r\n"...)
}

// WSDialed is what the hub's 101 response settled.
type WSDialed struct {
	Compress  bool // permessage-deflate granted (only when offered)
	NoMasking bool // Nats-No-Masking granted (only when asked): we do not mask
}

// Options are the frame options of the solicited connection (Client set),
// without MaxMessage, Rand and Control.
func (d WSDialed) Options() WSOptions {
	return WSOptions{Client: true, NoMasking: d.NoMasking, Compress: d.Compress}
}

// ErrWSInvalidResponse is nats-server's "invalid websocket connection":
// the 101 response has the wrong status, Upgrade, Connection or
// Sec-WebSocket-Accept. It is returned wrapped with what was wrong.
var ErrWSInvalidResponse = errors.New("invalid websocket connection")

// ErrWSCompression: the hub granted permessage-deflate without both
// no-context-takeover parameters.
var ErrWSCompression = errors.New("compression negotiation error")

// CheckWSResponse validates the hub's answer to AppendWSRequest, given its
// status code and headers (canonical keys, as http.Response.Header), with
// nats-server's rules: status 101, Upgrade equal to websocket and
// Connection equal to upgrade (whole values, any case), the accept key of
// key. Compression that was offered but not granted is dropped; no-masking
// that was asked but not echoed means we mask.
func CheckWSResponse(status int, header map[string][]string, key [16]byte, opts WSDialOptions) (WSDialed, error) {
	var d WSDialed
	if status != 101 {
		return d, wsBadResponse("status " + strconv.Itoa(status) + ", want 101")
	}
	if v := wsFirst(header, "Upgrade"); !strings.EqualFold(v, "websocket") {
		return d, wsBadResponse("Upgrade " + strconv.Quote(v) + ", want websocket")
	}
	if v := wsFirst(header, "Connection"); !strings.EqualFold(v, "upgrade") {
		return d, wsBadResponse("Connection " + strconv.Quote(v) + ", want Upgrade")
	}
	want := WSAcceptKey(base64.StdEncoding.EncodeToString(key[:]))
	if v := wsFirst(header, "Sec-Websocket-Accept"); v != want {
		return d, wsBadResponse("Sec-WebSocket-Accept " + strconv.Quote(v) + ", want " + strconv.Quote(want))
	}
	if opts.Compression {
		found, both := wsDeflateSupport(header)
		if found && !both {
			return d, ErrWSCompression
		}
		d.Compress = found
	}
	d.NoMasking = opts.NoMasking && wsFirst(header, wsNoMaskingHeader) == "true"
	return d, nil
}

type wsResponseError struct{ detail string }

func (e *wsResponseError) Error() string { return ErrWSInvalidResponse.Error() + ": " + e.detail }
func (e *wsResponseError) Unwrap() error { return ErrWSInvalidResponse }

func wsBadResponse(detail string) error { return &wsResponseError{detail} }

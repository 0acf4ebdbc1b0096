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
// checks of a soliciting leaf. HTTP parsing stays with the caller (this
// package imports no net/...): it hands over what net/http parsed, with
// header keys in net/http's canonical form.

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
	Compression    bool     // compression: grant permessage-deflate when offered
	SameOrigin     bool     // same_origin: Origin must match the request's host
	AllowedOrigins []string // allowed_origins: URLs such as https://host:port
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
// policy (403), then data sent ahead of the answer (400). The error is a
// *WSHandshakeError.
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
	if err := wsCheckOrigin(req, opts); err != nil {
		return nil, wsRefuse(403, "origin not allowed: "+err.Error())
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

// The origin policy. nats-server parses origins with net/url and
// net.SplitHostPort; the functions below reproduce the parts of those that
// decide whether an origin is accepted (what the scheme, host and port
// come out as, and which inputs are errors), since this package does not
// import net/...

// wsOrigin is an allowed origin: its scheme and port, under its host.
type wsOrigin struct{ host, scheme, port string }

// wsCheckOrigin applies same_origin and allowed_origins to the request's
// Origin (or Sec-Websocket-Origin) header. A request without one passes.
func wsCheckOrigin(req *WSRequest, opts *WSAcceptOptions) error {
	var allowed []wsOrigin
	for _, s := range opts.AllowedOrigins {
		scheme, host, err := wsParseRequestURI(s)
		if err != nil {
			continue // nats-server logs and skips it
		}
		h, p, _ := wsHostPort(scheme == "https", host)
		allowed = append(allowed, wsOrigin{h, scheme, p})
	}
	if !opts.SameOrigin && len(allowed) == 0 {
		return nil
	}
	origin := wsFirst(req.Header, "Origin")
	if origin == "" {
		origin = wsFirst(req.Header, "Sec-Websocket-Origin")
	}
	if origin == "" {
		return nil
	}
	scheme, host, err := wsParseRequestURI(origin)
	if err != nil {
		return err
	}
	oh, op, err := wsHostPort(scheme == "https", host)
	if err != nil {
		return err
	}
	if opts.SameOrigin {
		rh, rp, err := wsHostPort(req.TLS, req.Host)
		if err != nil {
			return err
		}
		rs := "http"
		if req.TLS {
			rs = "https"
		}
		if oh != rh || op != rp || !strings.EqualFold(scheme, rs) {
			return errors.New("not same origin")
		}
	}
	if len(allowed) > 0 && !slices.Contains(allowed, wsOrigin{oh, scheme, op}) {
		return errors.New("not in the allowed list")
	}
	return nil
}

// wsHostPort splits host[:port] as net.SplitHostPort does, with the
// scheme's default port when the port is missing, and lowercases the host.
func wsHostPort(tls bool, hostport string) (host, port string, err error) {
	host, port, missing, err := wsSplitHostPort(hostport)
	if missing {
		host, port, err = hostport, "80", nil
		if tls {
			port = "443"
		}
	}
	return strings.ToLower(host), port, err
}

// wsSplitHostPort is net.SplitHostPort; missing reports its "missing port"
// failures, which wsHostPort turns into a default port.
func wsSplitHostPort(s string) (host, port string, missing bool, err error) {
	colon := strings.LastIndexByte(s, ':')
	if colon < 0 {
		return "", "", true, errors.New("missing port in address")
	}
	from, to := 0, 0 // where '[' and ']' may no longer appear
	if s[0] == '[' {
		end := strings.IndexByte(s, ']')
		switch {
		case end < 0:
			return "", "", false, errors.New("missing ']' in address")
		case end+1 == colon:
		case end+1 < len(s) && s[end+1] == ':':
			return "", "", false, errors.New("too many colons in address")
		default:
			return "", "", true, errors.New("missing port in address")
		}
		host, from, to = s[1:end], 1, end+1
	} else {
		host = s[:colon]
		if strings.IndexByte(host, ':') >= 0 {
			return "", "", false, errors.New("too many colons in address")
		}
	}
	if strings.IndexByte(s[from:], '[') >= 0 {
		return "", "", false, errors.New("unexpected '[' in address")
	}
	if strings.IndexByte(s[to:], ']') >= 0 {
		return "", "", false, errors.New("unexpected ']' in address")
	}
	return host, s[colon+1:], false, nil
}

// errWSURI is any origin net/url.ParseRequestURI refuses. The reason is
// only logged by nats-server; this one does not try to match its wording.
var errWSURI = errors.New("invalid URI")

// wsParseRequestURI gives the lowercased scheme and the (unescaped) host
// that url.ParseRequestURI finds in s, or an error where it fails.
func wsParseRequestURI(s string) (scheme, host string, err error) {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return "", "", errWSURI
		}
	}
	if s == "" {
		return "", "", errWSURI
	}
	if s == "*" {
		return "", "", nil
	}
	rest := s
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
			continue
		}
		if '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.' {
			if i == 0 {
				break
			}
			continue
		}
		if c == ':' {
			if i == 0 {
				return "", "", errWSURI
			}
			scheme, rest = strings.ToLower(s[:i]), s[i+1:]
		}
		break
	}
	if strings.HasSuffix(rest, "?") && strings.Count(rest, "?") == 1 {
		rest = rest[:len(rest)-1]
	} else {
		rest, _, _ = strings.Cut(rest, "?")
	}
	if !strings.HasPrefix(rest, "/") {
		if scheme != "" {
			return scheme, "", nil // opaque: no host
		}
		return "", "", errWSURI
	}
	if scheme != "" && strings.HasPrefix(rest, "//") {
		authority := rest[2:]
		rest = ""
		if i := strings.IndexByte(authority, '/'); i >= 0 {
			authority, rest = authority[:i], authority[i:]
		}
		if host, err = wsParseAuthority(scheme, authority); err != nil {
			return "", "", err
		}
	}
	if !wsValidEscapes(rest) {
		return "", "", errWSURI
	}
	return scheme, host, nil
}

// wsParseAuthority checks [userinfo@]host and returns the unescaped host.
func wsParseAuthority(scheme, authority string) (string, error) {
	at := strings.LastIndexByte(authority, '@')
	host, err := wsParseHost(scheme, authority[at+1:])
	if err != nil || at < 0 {
		return host, err
	}
	for _, r := range authority[:at] {
		ok := 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' ||
			strings.ContainsRune("-._:~!$&'()*+,;=%@", r)
		if !ok {
			return "", errWSURI
		}
	}
	if !wsValidEscapes(authority[:at]) {
		return "", errWSURI
	}
	return host, nil
}

// wsParseHost checks host[:port] as net/url does (an IPv6 literal in
// brackets, a port of digits; http and https allow a single colon) and
// unescapes it.
func wsParseHost(scheme, host string) (string, error) {
	if open := strings.LastIndexByte(host, '['); open > 0 {
		return "", errWSURI
	} else if open == 0 {
		end := strings.LastIndexByte(host, ']')
		if end < 0 || !wsValidPort(host[end+1:]) {
			return "", errWSURI
		}
		name := host[1:end]
		var addr string
		if z := strings.Index(name, "%25"); z >= 0 {
			a, ok1 := wsUnescapeHost(name[:z], false)
			zone, ok2 := wsUnescapeHost(name[z:], true)
			if !ok1 || !ok2 {
				return "", errWSURI
			}
			addr = a + zone
		} else {
			a, ok := wsUnescapeHost(name, false)
			if !ok {
				return "", errWSURI
			}
			addr = a
		}
		if !wsValidIPv6(addr) {
			return "", errWSURI
		}
		return "[" + addr + "]" + host[end+1:], nil
	} else if i := strings.IndexByte(host, ':'); i >= 0 {
		if scheme != "http" && scheme != "https" {
			i = strings.LastIndexByte(host, ':')
		}
		if !wsValidPort(host[i:]) {
			return "", errWSURI
		}
	}
	h, ok := wsUnescapeHost(host, false)
	if !ok {
		return "", errWSURI
	}
	return h, nil
}

// wsValidPort reports whether p is empty or a colon and digits.
func wsValidPort(p string) bool {
	if p == "" {
		return true
	}
	if p[0] != ':' {
		return false
	}
	for i := 1; i < len(p); i++ {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// wsHostByte reports whether c may appear unescaped in a host.
func wsHostByte(c byte) bool {
	return c >= 0x80 || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		strings.IndexByte("!\"$&'()*+,-.:;<=>[]_~", c) >= 0
}

func wsUnhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// wsValidEscapes reports whether every % in s starts a %XX escape.
func wsValidEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			continue
		}
		if i+2 >= len(s) {
			return false
		}
		_, ok1 := wsUnhex(s[i+1])
		_, ok2 := wsUnhex(s[i+2])
		if !ok1 || !ok2 {
			return false
		}
		i += 2
	}
	return true
}

// wsUnescapeHost decodes the %XX escapes of a host (only %25 and non-ASCII
// bytes may be escaped there) or of an IPv6 zone (zone: %25, a space, or
// any byte a host may hold unescaped).
func wsUnescapeHost(s string, zone bool) (string, bool) {
	var b []byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			if !wsHostByte(c) {
				return "", false
			}
			if b != nil {
				b = append(b, c)
			}
			continue
		}
		if i+2 >= len(s) {
			return "", false
		}
		hi, ok1 := wsUnhex(s[i+1])
		lo, ok2 := wsUnhex(s[i+2])
		if !ok1 || !ok2 {
			return "", false
		}
		v := hi<<4 | lo
		if zone {
			if v != '%' && v != ' ' && (v >= 0x80 || !wsHostByte(v)) {
				return "", false
			}
		} else if hi < 8 && v != '%' {
			return "", false
		}
		if b == nil {
			b = append(make([]byte, 0, len(s)), s[:i]...)
		}
		b = append(b, v)
		i += 2
	}
	if b == nil {
		return s, true
	}
	return string(b), true
}

// wsValidIPv6 reports whether s (the inside of a bracketed host) is an
// IPv6 address with an optional non-empty %zone, as net/netip parses
// them: 16-bit hex groups, at most one "::" standing for at least one
// group, and possibly a dotted IPv4 address as the last 32 bits.
func wsValidIPv6(s string) bool {
	// net/netip dispatches on the first '.', ':' or '%': only ':' can lead
	// to an IPv6 address.
	if i := strings.IndexAny(s, ".:%"); i < 0 || s[i] != ':' {
		return false
	}
	if i := strings.IndexByte(s, '%'); i >= 0 {
		if i == len(s)-1 {
			return false
		}
		s = s[:i]
	}
	groups, ellipsis := 0, false // groups counts 16-bit fields
	if strings.HasPrefix(s, "::") {
		ellipsis, s = true, s[2:]
		if s == "" {
			return true
		}
	}
	for groups < 8 {
		n := 0
		for n < len(s) {
			if _, ok := wsUnhex(s[n]); !ok {
				break
			}
			if n++; n > 4 {
				return false
			}
		}
		if n == 0 {
			return false
		}
		if n < len(s) && s[n] == '.' {
			if !ellipsis && groups != 6 || groups+2 > 8 || !wsValidIPv4(s) {
				return false
			}
			groups, s = groups+2, ""
			break
		}
		groups++
		s = s[n:]
		if s == "" {
			break
		}
		if s[0] != ':' || len(s) == 1 {
			return false
		}
		s = s[1:]
		if s[0] == ':' {
			if ellipsis {
				return false
			}
			ellipsis, s = true, s[1:]
			if s == "" {
				break
			}
		}
	}
	if s != "" {
		return false
	}
	return groups < 8 && ellipsis || groups == 8 && !ellipsis
}

// wsValidIPv4 reports whether s is a dotted-decimal IPv4 address without
// leading zeros.
func wsValidIPv4(s string) bool {
	fields := strings.Split(s, ".")
	if len(fields) != 4 {
		return false
	}
	for _, f := range fields {
		if f == "" || len(f) > 1 && f[0] == '0' || len(f) > 3 {
			return false
		}
		v := 0
		for i := 0; i < len(f); i++ {
			if f[i] < '0' || f[i] > '9' {
				return false
			}
			v = v*10 + int(f[i]-'0')
		}
		if v > 255 {
			return false
		}
	}
	return true
}

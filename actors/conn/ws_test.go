package conn

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// wsTestUpgrade builds an upgrade request with the given extra header
// lines replacing the defaults of the same name ("-" removes one).
func wsTestUpgrade(method, target string, lines ...string) string {
	hdr := map[string]string{
		"Host":                  "localhost:8080",
		"Upgrade":               "websocket",
		"Connection":            "Upgrade",
		"Sec-WebSocket-Key":     "dGhlIHNhbXBsZSBub25jZQ==",
		"Sec-WebSocket-Version": "13",
	}
	order := []string{"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version"}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, ": ")
		if _, ok := hdr[k]; !ok {
			order = append(order, k)
		}
		hdr[k] = v
	}
	s := method + " " + target + " HTTP/1.1\r\n"
	for _, k := range order {
		if v := hdr[k]; v != "-" {
			s += k + ": " + v + "\r\n"
		}
	}
	return s + "\r\n"
}

// wsTestRequest reads a raw HTTP request as WSHandler hands it over.
func wsTestRequest(t *testing.T, raw string) *protocol.WSRequest {
	t.Helper()
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatalf("ReadRequest: %v", err)
	}
	return &protocol.WSRequest{Method: req.Method, Host: req.Host, Path: req.URL.EscapedPath(), Header: req.Header}
}

// TestWSOriginPolicy: same_origin and allowed_origins, through AcceptWS
// with the options WSHandler builds (these were protocol's origin cases,
// with the same expectations).
func TestWSOriginPolicy(t *testing.T) {
	const accept = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	type ws = config.WebsocketOpts
	for _, tc := range []struct {
		name   string
		req    string
		tls    bool
		opts   *ws
		status int
		reason string
		resp   string
	}{
		{"same origin", wsTestUpgrade("GET", "/", "Origin: http://LocalHost:8080"), false, &ws{SameOrigin: true}, 0, "", accept + "\r\n"},
		{"same origin, other port", wsTestUpgrade("GET", "/", "Origin: http://localhost:8081"), false, &ws{SameOrigin: true}, 403, "origin not allowed: not same origin", ""},
		{"same origin, other scheme", wsTestUpgrade("GET", "/", "Origin: https://localhost:8080"), false, &ws{SameOrigin: true}, 403, "origin not allowed: not same origin", ""},
		{"same origin, default port", wsTestUpgrade("GET", "/", "Host: example.com", "Origin: http://example.com:80"), false, &ws{SameOrigin: true}, 0, "", accept + "\r\n"},
		{"same origin via Sec-WebSocket-Origin", wsTestUpgrade("GET", "/", "Sec-WebSocket-Origin: http://other:8080"), false, &ws{SameOrigin: true}, 403, "origin not allowed: not same origin", ""},
		{"no origin passes", wsTestUpgrade("GET", "/"), false, &ws{SameOrigin: true, AllowedOrigins: []string{"http://x"}}, 0, "", accept + "\r\n"},
		{"origin null", wsTestUpgrade("GET", "/", "Origin: null"), false, &ws{SameOrigin: true}, 403, "origin not allowed: invalid URI", ""},
		{"allowed", wsTestUpgrade("GET", "/", "Origin: https://app.example.com"), false, &ws{AllowedOrigins: []string{"http://app.example.com", "https://APP.example.com:443"}}, 0, "", accept + "\r\n"},
		{"not allowed: port", wsTestUpgrade("GET", "/", "Origin: https://app.example.com:8443"), false, &ws{AllowedOrigins: []string{"https://app.example.com"}}, 403, "origin not allowed: not in the allowed list", ""},
		{"not allowed: scheme", wsTestUpgrade("GET", "/", "Origin: http://app.example.com"), false, &ws{AllowedOrigins: []string{"https://app.example.com"}}, 403, "origin not allowed: not in the allowed list", ""},
		{"unparsable allowed origins are skipped", wsTestUpgrade("GET", "/", "Origin: http://evil"), false, &ws{AllowedOrigins: []string{"::bad"}}, 0, "", accept + "\r\n"},
		{"same origin and allowed list", wsTestUpgrade("GET", "/", "Origin: http://localhost:8080"), false, &ws{SameOrigin: true, AllowedOrigins: []string{"http://other"}}, 403, "origin not allowed: not in the allowed list", ""},
		// Formerly in protocol's TestAcceptWSOther.
		{"tls same origin", wsTestUpgrade("GET", "/", "Host: example.com", "Origin: https://example.com"), true, &ws{SameOrigin: true}, 0, "", accept + "\r\n"},
		// New: an allowed origin without a port, the split error's reason.
		// As in nats-server, a bracketed host without a port keeps its
		// brackets: it matches only an origin without a port.
		{"allowed IPv6 without a port", wsTestUpgrade("GET", "/", "Origin: http://[::1]"), false, &ws{AllowedOrigins: []string{"http://[::1]"}}, 0, "", accept + "\r\n"},
		{"allowed IPv6 without a port, origin with one", wsTestUpgrade("GET", "/", "Origin: http://[::1]:80"), false, &ws{AllowedOrigins: []string{"http://[::1]"}}, 403, "origin not allowed: not in the allowed list", ""},
		{"allowed IPv6 with a port", wsTestUpgrade("GET", "/", "Origin: http://[::1]:8080"), false, &ws{AllowedOrigins: []string{"http://[::1]:8080"}}, 0, "", accept + "\r\n"},
		{"allowed host without a port, origin with the default one", wsTestUpgrade("GET", "/", "Origin: https://app.example.com:443"), false, &ws{AllowedOrigins: []string{"https://app.example.com"}}, 0, "", accept + "\r\n"},
		{"split error", wsTestUpgrade("GET", "/", "Origin: ws://a:1:2"), false, &ws{SameOrigin: true}, 403, "origin not allowed: too many colons in address", ""},
		{"order: version before origin", wsTestUpgrade("GET", "/", "Sec-WebSocket-Version: 12", "Origin: http://evil"), false, &ws{SameOrigin: true}, 400, "invalid version", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := wsTestRequest(t, tc.req)
			req.TLS = tc.tls
			a, err := protocol.AcceptWS(req, wsAcceptOptions(tc.opts, zap.NewNop()))
			if tc.status != 0 {
				var he *protocol.WSHandshakeError
				if !errors.As(err, &he) || he.Status != tc.status || he.Reason != tc.reason {
					t.Fatalf("got %#v, %v; want %d %q", a, err, tc.status, tc.reason)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if a.Kind != protocol.WSClient || string(a.Response) != tc.resp {
				t.Errorf("kind %v response %q\nwant %q", a.Kind, a.Response, tc.resp)
			}
		})
	}
	// Data ahead of the answer is checked after the origin.
	req := wsTestRequest(t, wsTestUpgrade("GET", "/", "Origin: http://evil"))
	req.Buffered = 3
	if _, err := protocol.AcceptWS(req, wsAcceptOptions(&ws{SameOrigin: true}, zap.NewNop())); err == nil || err.(*protocol.WSHandshakeError).Status != 403 {
		t.Errorf("origin first: %v", err)
	}
}

// TestWSOriginPolicyParsedOnce: the allowed origins are parsed when the
// options are built, the bad ones logged and skipped; no policy, no
// callback.
func TestWSOriginPolicyParsedOnce(t *testing.T) {
	if ao := wsAcceptOptions(&config.WebsocketOpts{}, zap.NewNop()); ao.CheckOrigin != nil {
		t.Error("no policy, yet a callback")
	}
	core, logs := observer.New(zapcore.ErrorLevel)
	if ao := wsAcceptOptions(&config.WebsocketOpts{AllowedOrigins: []string{"::bad"}}, zap.New(core)); ao.CheckOrigin != nil {
		t.Error("only unparsable origins, yet a callback")
	}
	if logs.FilterMessage("error parsing allowed origin").Len() != 1 {
		t.Errorf("logs %v", logs.All())
	}
	p := newWSOriginPolicy(false, []string{"https://APP.example.com", "http://app.example.com:8080", "http://[::1]", "https://h:1"}, zap.NewNop())
	want := map[string][]wsAllowedOrigin{
		"app.example.com": {{"https", "443"}, {"http", "8080"}},
		"[::1]":           {{"http", "80"}}, // brackets kept, as nats-server
		"h":               {{"https", "1"}},
	}
	if len(p.allowed) != len(want) {
		t.Fatalf("allowed %v", p.allowed)
	}
	for h, w := range want {
		if got := p.allowed[h]; len(got) != len(w) || got[0] != w[0] || len(w) > 1 && got[1] != w[1] {
			t.Errorf("%s: %v, want %v", h, got, w)
		}
	}
}

// natsOrigin is nats-server's parsing of an origin, with net/url and net.
func natsOrigin(s string) (scheme, host, port string, err error) {
	u, err := url.ParseRequestURI(s)
	if err != nil {
		return "", "", "", err
	}
	h, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		var ae *net.AddrError
		if errors.As(err, &ae) && strings.Contains(ae.Err, "missing port") {
			h, p, err = u.Host, "80", nil
			if u.Scheme == "https" {
				p = "443"
			}
		}
	}
	return u.Scheme, strings.ToLower(h), p, err
}

// TestWSOriginParsing compares wsHostPort on parsed origins with
// nats-server's parsing on a corpus and on random strings made of URL
// syntax: same verdict, scheme, host and port; a split error keeps the
// net.AddrError's reason.
func TestWSOriginParsing(t *testing.T) {
	corpus := []string{
		"", "*", "null", "http://a", "HTTP://A:80", "https://a", "https://a:8443/x?y#z", "http://a:b",
		"http://a:b:c", "ws://a:b:c", "ws://a:1:2", "http:opaque", "//a", "/path", "http:/path", "1http://a",
		":http", "http://[::1]", "http://[::1]:80", "http://[::1]x", "http://[::1]:80:90", "http://[1.2.3.4]",
		"http://[fe80::1%25en0]:8080", "http://[fe80::1%25]", "http://[::ffff:1.2.3.4]", "http://[1:2:3:4:5:6:7:8]",
		"http://[1:2:3:4:5:6:7:8:9]", "http://[1::2::3]", "http://[::1.2.3.04]", "http://[12345::]",
		"http://[1:2:3:4:5:6:1.2.3.4]", "http://[1:2:3:4:5:6:7:1.2.3.4]", "http://[:1]", "http://[1:]",
		"http://a[b]", "http://a]b", "http://u:p@h:1", "http://u@p@h", "http://u p@h", "http://%zz",
		"http://a%41", "http://a%C3%A9", "http://a%25", "http://h/%zz", "http://h/%41", "http://a b",
		"http://a\x01", "http://é.com", "http://a?", "http://a?b?", "http://", "http://:80", "http://a:",
		"http://[::1]:", "http://[fe80::1%25%41]", "http://[fe80::1%25%20]", "http://[fe80::1%25%C3]",
		"http://[fe80::1%25a]b]", "mailto:x@y", "http://a/b@c", "http://a\\b", "http://a{b}",
		"http://[::]", "http://[::%25x]", "http://[%3A%3A1]", "http://[v1.x]", "http://[1:2:3:4:5:6:7::]",
		"http://[::1:2:3:4:5:6:7]", "http://[1:2:3:4:5:6:7::8]",
	}
	rnd := rand.New(rand.NewPCG(3, 4))
	const alphabet = "ahH:/[]@%25.?# 1fe8x-é"
	for range 20000 {
		var b strings.Builder
		b.WriteString([]string{"http://", "https://", "ws://", "", "http://["}[rnd.IntN(5)])
		for range rnd.IntN(12) {
			b.WriteByte(alphabet[rnd.IntN(len(alphabet))])
		}
		corpus = append(corpus, b.String())
	}
	for _, s := range corpus {
		ws, wh, wp, werr := natsOrigin(s)
		u, err := url.ParseRequestURI(s)
		if err != nil {
			if werr == nil {
				t.Errorf("%q: %v, want %q %q %q", s, err, ws, wh, wp)
			}
			continue
		}
		gh, gp, gerr := wsHostPort(u.Scheme == "https", u.Host)
		if (werr != nil) != (gerr != nil) || u.Scheme != ws || wh != gh || wp != gp {
			t.Errorf("%q: got %q %q %q %v, want %q %q %q %v", s, u.Scheme, gh, gp, gerr, ws, wh, wp, werr)
		}
		var ae *net.AddrError
		if errors.As(werr, &ae) && gerr.Error() != ae.Err {
			t.Errorf("%q: error %q, want %q", s, gerr, ae.Err)
		}
	}
}

// TestWSHandlerOriginRefused: a refused origin gets nats-server's 403
// answer on the wire, and the reason goes to the log.
func TestWSHandlerOriginRefused(t *testing.T) {
	core, logs := observer.New(zapcore.ErrorLevel)
	h := WSHandler(&config.WebsocketOpts{SameOrigin: true}, false, nil, nil, zap.New(core))
	srv := httptest.NewServer(h)
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, wsTestUpgrade("GET", "/", "Origin: http://evil:8080")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || resp.Header.Get("Sec-Websocket-Version") != "13" || string(body) != "Forbidden\n" {
		t.Errorf("status %d header %v body %q", resp.StatusCode, resp.Header, body)
	}
	refused := logs.FilterMessage("websocket upgrade refused").All()
	if len(refused) != 1 {
		t.Fatalf("logs %v", logs.All())
	}
	if e, ok := refused[0].ContextMap()["error"]; !ok || e != "websocket handshake error: origin not allowed: not same origin" {
		t.Errorf("logged error %v", refused[0].ContextMap())
	}
}

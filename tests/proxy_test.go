package tests

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// httpProxy is a small HTTP CONNECT proxy for the tests: it tunnels to the
// requested host:port, optionally demanding Basic credentials, and records
// what each CONNECT asked for.
type httpProxy struct {
	ln       net.Listener
	https    bool
	user     string // "" accepts anyone; else "user:password"
	mu       sync.Mutex
	requests []string // "host:port auth-ok" per CONNECT
	conns    []net.Conn
}

// startProxy starts a proxy; with certificates (cert, key) it is an https
// proxy: TLS first, then the CONNECT exchange.
func startProxy(t testing.TB, userPass string, certKey ...string) *httpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &httpProxy{ln: ln, user: userPass}
	if len(certKey) == 2 {
		cert, err := tls.LoadX509KeyPair(certKey[0], certKey[1])
		if err != nil {
			t.Fatal(err)
		}
		p.ln, p.https = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}}), true
	}
	go p.serve()
	t.Cleanup(func() {
		p.ln.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

func (p *httpProxy) url() string {
	if p.https {
		return "https://" + p.ln.Addr().String()
	}
	return "http://" + p.ln.Addr().String()
}

func (p *httpProxy) track(c net.Conn) {
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
}

func (p *httpProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.track(c)
		go p.tunnel(c)
	}
}

func (p *httpProxy) tunnel(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		c.Close()
		return
	}
	ok := p.user == "" || req.Header.Get("Proxy-Authorization") == "Basic "+base64.StdEncoding.EncodeToString([]byte(p.user))
	p.mu.Lock()
	p.requests = append(p.requests, fmt.Sprintf("%s %s auth=%v", req.Method, req.Host, ok))
	p.mu.Unlock()
	if req.Method != http.MethodConnect {
		_, _ = io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\n\r\n")
		c.Close()
		return
	}
	if !ok {
		_, _ = io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\n\r\n")
		c.Close()
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		_, _ = io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\n\r\n")
		c.Close()
		return
	}
	p.track(up)
	_, _ = io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	go func() { _, _ = io.Copy(up, br); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (p *httpProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// TestLeafThroughProxy (issue 4 item 4): a remote with proxy { url,
// username, password } reaches its hub through an HTTP CONNECT tunnel, in
// both role pairings where a leaf solicits, plain and with TLS to the hub
// layered inside the tunnel; messages flow.
func TestLeafThroughProxy(t *testing.T) {
	p := newPKI(t)
	for _, tlsOn := range []bool{false, true} {
		for _, pr := range [][2]string{{"nats-server", "leafhub"}, {"leafhub", "nats-server"}, {"leafhub", "leafhub"}} {
			t.Run(fmt.Sprintf("tls=%v/hub=%s/leaf=%s", tlsOn, pr[0], pr[1]), func(t *testing.T) {
				start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
				hubTLS, remoteTLS := "", ""
				if tlsOn {
					hubTLS, remoteTLS = ", "+p.serverTLS(""), ", "+p.remoteTLS(p.ca, false, "")
				}
				hub := start[pr[0]](t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1"+hubTLS+" }\n")
				proxy := startProxy(t, "edge:secret")
				leaf := start[pr[1]](t, leafConf("LEAF", hub.leafPort(t),
					fmt.Sprintf(", proxy: { url: %q, username: edge, password: secret, timeout: \"2s\" }%s", proxy.url(), remoteTLS)))
				waitLeafs(t, hub, 1)
				want := fmt.Sprintf("CONNECT 127.0.0.1:%d auth=true", hub.leafPort(t))
				if got := proxy.seen(); len(got) == 0 || got[0] != want {
					t.Fatalf("proxy saw %q, want %q", got, want)
				}
				hc, lc, down, up := twoWay(t, hub, leaf, "px")
				_ = hc.Publish("px.down", []byte("through the tunnel"))
				if m, err := down.NextMsg(5 * time.Second); err != nil || string(m.Data) != "through the tunnel" {
					t.Fatalf("down: %v %v", m, err)
				}
				_ = lc.Publish("px.up", []byte("back"))
				if m, err := up.NextMsg(5 * time.Second); err != nil || string(m.Data) != "back" {
					t.Fatalf("up: %v %v", m, err)
				}
			})
		}
	}
}

// TestLeafThroughHTTPSProxy: TLS to the proxy itself (an https proxy URL,
// its CA in the proxy's tls block), then the tunnel to the hub.
func TestLeafThroughHTTPSProxy(t *testing.T) {
	p := newPKI(t)
	hub := startNATS(t, hubConf)
	proxy := startProxy(t, "", p.cert, p.key)
	startLeafhub(t, leafConf("LEAF", hub.leafPort(t), fmt.Sprintf(", proxy: { url: %q, tls { ca_file: %q } }", proxy.url(), p.ca)))
	waitLeafs(t, hub, 1)
	if got := proxy.seen(); len(got) != 1 {
		t.Fatalf("proxy saw %q", got)
	}
}

// TestLeafProxyRefused: a proxy that refuses the credentials: the remote
// says so in /remotez and keeps dialling on its schedule.
func TestLeafProxyRefused(t *testing.T) {
	hub := startNATS(t, hubConf)
	proxy := startProxy(t, "edge:secret")
	leaf := startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\", proxy: { url: %q, username: edge, password: wrong } } ] }\n",
		hub.leafPort(t), proxy.url()))
	eventually(t, 5*time.Second, func() error {
		st := leaf.hub.Remotes()[0]
		if !strings.Contains(st.Reason, "proxy CONNECT failed: 407 Proxy Authentication Required") || len(proxy.seen()) < 2 {
			return fmt.Errorf("remote %+v after %d CONNECTs", st, len(proxy.seen()))
		}
		return nil
	})
	if hub.ns.NumLeafNodes() != 0 {
		t.Fatal("connected through a proxy that refused the credentials")
	}
}

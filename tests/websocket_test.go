package tests

import (
	"bufio"
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap/zapcore"
)

// wsConf is a websocket block without TLS on a random loopback port.
const wsConf = "websocket { listen: 127.0.0.1:-1, no_tls: true %s }\n"

// TestWebsocketClients (issue 4 item 4): nats.go clients over ws:// (with
// and without permessage-deflate) and wss:// talk with clients on the
// plain port, both ways, request and reply included.
func TestWebsocketClients(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct{ name, conf string }{
		{"plain", fmt.Sprintf(wsConf, "")},
		{"deflate", fmt.Sprintf(wsConf, ", compression: true")},
		{"tls", "websocket { listen: 127.0.0.1:-1, " + p.serverTLS("") + " }\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			both(t, tc.conf, func(t *testing.T, s *target) {
				opts := []nats.Option{nats.Compression(tc.name == "deflate")}
				if tc.name == "tls" {
					opts = append(opts, nats.RootCAs(p.ca))
				}
				if s.hub != nil {
					if w := s.hub.Varz().Websocket; w == nil || w.Port == 0 || w.NoTLS == (tc.name == "tls") {
						t.Fatalf("/varz websocket %+v", w)
					}
				}
				wc := connect(t, s.ws, opts...)
				tcp := connect(t, s.url)
				fromWS, _ := tcp.SubscribeSync("ws.out")
				toWS, _ := wc.SubscribeSync("ws.in")
				_, _ = wc.Subscribe("ws.svc", func(m *nats.Msg) { _ = m.Respond(append([]byte("re: "), m.Data...)) })
				_ = tcp.Flush()
				_ = wc.Flush()
				exchangeBoth(t, tcp, wc, toWS, fromWS)
				if m, err := tcp.Request("ws.svc", []byte("ping"), 5*time.Second); err != nil || string(m.Data) != "re: ping" {
					t.Fatalf("request to a websocket responder: %v %v", m, err)
				}
			})
		})
	}
}

// TestWebsocketLargeCompressed: with permessage-deflate, a message above
// 1 MB but within max_payload arrives, as on nats-server, which bounds a
// websocket peer's compressed messages by max_payload.
func TestWebsocketLargeCompressed(t *testing.T) {
	both(t, "max_payload: 4MB\n"+fmt.Sprintf(wsConf, ", compression: true"), func(t *testing.T, s *target) {
		wc := connect(t, s.ws, nats.Compression(true))
		tcp := connect(t, s.url)
		sub, _ := tcp.SubscribeSync("ws.big")
		_ = tcp.Flush()
		big := bytes.Repeat([]byte("leafhub "), 3<<20/8) // 3 MiB, compresses well
		if err := wc.Publish("ws.big", big); err != nil {
			t.Fatal(err)
		}
		if m, err := sub.NextMsg(10 * time.Second); err != nil || !bytes.Equal(m.Data, big) {
			t.Fatalf("3 MiB over a compressed websocket: %v (closed: %v)", err, wc.IsClosed())
		}
	})
}

// TestWebsocketRemoteDiscovery: a websocket remote takes only the hub's
// websocket URLs (ws_connect_urls) into its rotation, never its leafnode
// URLs, which speak no websocket; as nats-server.
func TestWebsocketRemoteDiscovery(t *testing.T) {
	hub := startNATS(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1 }\n"+fmt.Sprintf(wsConf, ""))
	wsURL := hub.ws + "/leafnode"
	leaf := startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: %q } ] }\n", wsURL))
	waitLeafs(t, hub, 1)
	want := []string{strings.TrimPrefix(hub.ws, "ws://")}
	if st := leaf.hub.Remotes()[0]; !slices.Equal(st.URLs, want) {
		t.Fatalf("remote URLs %v, want only the websocket one %v", st.URLs, want)
	}
}

// TestWebsocketLeaf (issue 4 item 4): leafnode connections over ws://
// (plain, permessage-deflate, no masking) and wss://, in every role
// pairing; messages flow both ways. With deflate the link runs without S2
// ("off"), as nats-server settles it; otherwise S2 (s2_auto: its level
// depends on the measured RTT) runs under the frames. For plain and
// no_masking the link passes a relay that reads what the leaf sends: with
// ws_no_masking it asks for no masking and its frames carry no mask bit
// (audit4 #14); without, they are masked.
func TestWebsocketLeaf(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct{ name, hubWS, remote, compression string }{
		{"plain", "no_tls: true", "", "s2"},
		{"deflate", "no_tls: true, compression: true", ", ws_compression: true", "off"},
		{"no_masking", "no_tls: true", ", ws_no_masking: true", "s2"},
		{"tls", p.serverTLS(""), ", " + p.remoteTLS(p.ca, false, ""), "s2"},
		{"s2_best", "no_tls: true", ", compression: s2_best", "s2_best"},
	} {
		for _, pr := range pairs {
			t.Run(tc.name+"/hub="+pr[0]+"/leaf="+pr[1], func(t *testing.T) {
				start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
				hubLeaf := ""
				if tc.name == "s2_best" {
					hubLeaf = ", compression: s2_best"
				}
				hub := start[pr[0]](t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1"+hubLeaf+" }\nwebsocket { listen: 127.0.0.1:-1, "+tc.hubWS+" }\n")
				url := hub.ws
				var spy *wsSpy
				if tc.name == "plain" || tc.name == "no_masking" {
					// Through a relay that reads what the leaf sends:
					// hubs accept masked frames either way.
					spy = startWSSpy(t, strings.TrimPrefix(hub.ws, "ws://"))
					url = spy.url
				}
				leaf := start[pr[1]](t, fmt.Sprintf("server_name: LEAF\nleafnodes { remotes [ { url: %q%s } ] }\n", url, tc.remote))
				waitLeafs(t, hub, 1)
				waitLeafs(t, leaf, 1)
				if spy != nil {
					select {
					case got := <-spy.seen:
						want := wsLeafSent{asked: tc.name == "no_masking", masked: tc.name != "no_masking"}
						if got != want {
							t.Errorf("the leaf sent %+v, want %+v", got, want)
						}
					default:
						t.Fatal("the leaf's connection did not pass the relay")
					}
				}
				for _, s := range []*target{hub, leaf} {
					if _, c := onlyLeaf(t, s); c != tc.compression && !(tc.compression == "s2" && strings.HasPrefix(c, "s2_")) {
						t.Errorf("%s: compression %q, want %q", s.name, c, tc.compression)
					}
					if !leafIsWebsocket(t, s) {
						t.Errorf("%s: /leafz does not say websocket", s.name)
					}
				}
				hc, lc, down, up := twoWay(t, hub, leaf, "wsl")
				exchangeBoth(t, hc, lc, down, up)
			})
		}
	}
}

// wsLeafSent is what a soliciting leaf sent on a WebSocket: whether its
// upgrade request asked for no masking (Nats-No-Masking), and whether its
// first frame was masked.
type wsLeafSent struct{ asked, masked bool }

// wsSpy relays WebSocket connections to a hub's websocket port and reports
// what each leaf sent on seen.
type wsSpy struct {
	url  string
	seen chan wsLeafSent
}

func startWSSpy(t testing.TB, hubAddr string) *wsSpy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &wsSpy{url: "ws://" + ln.Addr().String(), seen: make(chan wsLeafSent, 16)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.relay(c, hubAddr)
		}
	}()
	return s
}

// relay passes the upgrade request on as it came, then reads the header
// of the leaf's first frame (byte 1, bit 0x80: masked) before relaying
// the rest.
func (s *wsSpy) relay(c net.Conn, hubAddr string) {
	defer c.Close()
	h, err := net.Dial("tcp", hubAddr)
	if err != nil {
		return
	}
	defer h.Close()
	go func() {
		_, _ = io.Copy(c, h)
		c.Close()
	}()
	br := bufio.NewReader(c)
	var got wsLeafSent
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := h.Write([]byte(line)); err != nil {
			return
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Nats-No-Masking") && strings.TrimSpace(v) == "true" {
			got.asked = true
		}
		if line == "\r\n" {
			break
		}
	}
	head, err := br.Peek(2)
	if err != nil {
		return
	}
	got.masked = head[1]&0x80 != 0
	s.seen <- got
	_, _ = io.Copy(h, br)
}

// leafIsWebsocket reads /leafz's websocket flag of a target's only leaf.
func leafIsWebsocket(t *testing.T, s *target) bool {
	t.Helper()
	if s.ns != nil {
		z, err := s.ns.Leafz(nil)
		if err != nil || len(z.Leafs) != 1 {
			t.Fatalf("leafz %+v %v", z, err)
		}
		return z.Leafs[0].Websocket
	}
	z, err := s.hub.Leafz(leafzAll)
	if err != nil || len(z.Leafs) != 1 {
		t.Fatalf("leafz %+v %v", z, err)
	}
	return z.Leafs[0].Websocket
}

// wsUpgrade sends an upgrade request (edit adjusts it) to a websocket
// address and returns the connection and the response.
func wsUpgrade(t *testing.T, wsURL, path string, edit func(h http.Header)) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(wsURL, "ws://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	h := http.Header{}
	h.Set("Upgrade", "websocket")
	h.Set("Connection", "Upgrade")
	h.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	h.Set("Sec-WebSocket-Version", "13")
	if edit != nil {
		edit(h)
	}
	method := h.Get("X-Method")
	h.Del("X-Method")
	if method == "" {
		method = "GET"
	}
	req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\n", method, path, c.RemoteAddr())
	for k, v := range h {
		req += k + ": " + v[0] + "\r\n"
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c, br, resp
}

// TestWebsocketBadInput (issue 4 item 7): upgrade requests that break the
// rules get nats-server's HTTP status; a frame that breaks the rules gets
// a close frame (1002) and closes only that connection.
func TestWebsocketBadInput(t *testing.T) {
	both(t, fmt.Sprintf(wsConf, ""), func(t *testing.T, s *target) {
		for _, tc := range []struct {
			name   string
			edit   func(h http.Header)
			status int
		}{
			{"method", func(h http.Header) { h.Set("X-Method", "POST") }, http.StatusMethodNotAllowed},
			{"no upgrade", func(h http.Header) { h.Del("Upgrade") }, http.StatusBadRequest},
			{"bad key", func(h http.Header) { h.Set("Sec-WebSocket-Key", "short") }, http.StatusBadRequest},
			{"version", func(h http.Header) { h.Set("Sec-WebSocket-Version", "8") }, http.StatusBadRequest},
		} {
			_, _, resp := wsUpgrade(t, s.ws, "/", tc.edit)
			if resp.StatusCode != tc.status {
				t.Errorf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.status)
			}
		}
		good := connect(t, s.ws)
		c, br, resp := wsUpgrade(t, s.ws, "/", nil)
		sum := sha1.Sum([]byte("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("upgrade: %d %v", resp.StatusCode, resp.Header)
		}
		// An unmasked binary frame from a client breaks the rules.
		if _, err := c.Write([]byte{0x82, 0x06, 'P', 'I', 'N', 'G', '\r', '\n'}); err != nil {
			t.Fatal(err)
		}
		var frames []byte
		buf := make([]byte, 4096)
		for {
			n, err := br.Read(buf)
			frames = append(frames, buf[:n]...)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection stayed open after a bad frame (read %q)", frames)
			}
			if err != nil {
				break
			}
		}
		// The connection is closed (the loop above ended). leafhub first
		// sends the close frame nats-server prepares (0x88, length, status
		// 1002 = 0x03ea, what was wrong); nats-server closes before it
		// leaves.
		if s.hub != nil {
			i := strings.Index(string(frames), "\x88")
			if i < 0 || len(frames) < i+4 || frames[i+2] != 0x03 || frames[i+3] != 0xea {
				t.Fatalf("no 1002 close frame in %q", frames)
			}
		}
		if err := good.Publish("still", nil); err != nil || good.Flush() != nil {
			t.Fatalf("the other websocket client was disturbed: %v", err)
		}
	})
}

// TestWebsocketLeafWithoutLeafPort: a leaf upgrade on a server without a
// leafnode port is closed (nats-server: silently), the port keeps serving
// clients.
func TestWebsocketLeafWithoutLeafPort(t *testing.T) {
	both(t, fmt.Sprintf(wsConf, ""), func(t *testing.T, s *target) {
		c, br, resp := wsUpgrade(t, s.ws, "/leafnode", nil)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", resp.StatusCode)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := br.Read(make([]byte, 16)); err == nil {
			t.Fatalf("read %d bytes from a leaf upgrade without a leafnode port", n)
		} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("the connection stayed open")
		}
		connect(t, s.ws)
	})
}

// TestWebsocketClientInfo: the INFO a WebSocket client gets names the
// websocket port (host, port) and says tls_required only for wss, as
// nats-server's.
func TestWebsocketClientInfo(t *testing.T) {
	p := newPKI(t)
	// The client port has TLS; the websocket port does not.
	both(t, p.serverTLS("")+"\n"+fmt.Sprintf(wsConf, ""), func(t *testing.T, s *target) {
		_, br, resp := wsUpgrade(t, s.ws, "/", nil)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("status %d", resp.StatusCode)
		}
		hdr := make([]byte, 2)
		if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 0x82 {
			t.Fatalf("first frame header %x: %v", hdr, err)
		}
		n := int(hdr[1])
		if n == 126 {
			ext := make([]byte, 2)
			_, _ = io.ReadFull(br, ext)
			n = int(ext[0])<<8 | int(ext[1])
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatal(err)
		}
		var info struct {
			Host        string `json:"host"`
			Port        int    `json:"port"`
			TLSRequired bool   `json:"tls_required"`
		}
		if err := jsonField(strings.TrimSpace(string(payload)), &info); err != nil {
			t.Fatal(err)
		}
		if want := "ws://" + net.JoinHostPort(info.Host, fmt.Sprint(info.Port)); want != s.ws || info.TLSRequired {
			t.Fatalf("INFO %+v for a client of %s", info, s.ws)
		}
	})
}

// TestWebsocketLeafBadFrame (issue 4 item 7): on the websocket port's
// leafnode path, a leaf that sends a frame breaking the rules (unmasked,
// from the soliciting side) is closed, alone: the hub's other leaf keeps
// its link and traffic, on both hubs; leafhub logs why.
func TestWebsocketLeafBadFrame(t *testing.T) {
	conf := "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1 }\n" + fmt.Sprintf(wsConf, "")
	check := func(t *testing.T, hub *target) {
		good := startNATS(t, fmt.Sprintf("server_name: GOOD\nleafnodes { reconnect: \"100ms\", remotes [ { url: %q } ] }\n", hub.ws))
		waitLeafs(t, hub, 1)
		c, br, resp := wsUpgrade(t, hub.ws, "/leafnode", nil)
		if resp.StatusCode != http.StatusSwitchingProtocols {
			t.Fatalf("upgrade at /leafnode: %d", resp.StatusCode)
		}
		if _, err := c.Write([]byte{0x82, 0x06, 'P', 'I', 'N', 'G', '\r', '\n'}); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 4096)
		for {
			_, err := br.Read(buf)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the leaf connection stayed open after a bad frame")
			}
			if err != nil {
				break
			}
		}
		waitLeafs(t, hub, 1)
		hc, _, down, _ := twoWay(t, hub, good, "wsbad")
		_ = hc.Publish("wsbad.down", []byte("still here"))
		if m, err := down.NextMsg(5 * time.Second); err != nil || string(m.Data) != "still here" {
			t.Fatalf("the other leaf: %v %v", m, err)
		}
	}
	both(t, conf, check)
	t.Run("log", func(t *testing.T) {
		hub, logs := startLeafhubObserved(t, conf)
		check(t, hub)
		waitLog(t, logs, zapcore.InfoLevel, "leafnode connection closed", "mask")
	})
}

// TestWebsocketRemoteBadFrame (issue 4 item 7): a hub that upgrades our
// websocket remote and then sends a frame breaking the rules (masked, from
// the accepting side) gets the link closed; the remote says why and dials
// again on its schedule.
func TestWebsocketRemoteBadFrame(t *testing.T) {
	h := newFakeHub(t)
	leaf, logs := startLeafhubObserved(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"ws://127.0.0.1:%d\" } ] }\n", h.port()))
	serve := func() {
		t.Helper()
		r := h.accept(5 * time.Second)
		if r == nil {
			t.Fatal("no (re)dial from the leaf")
		}
		c := r.c
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil || req.URL.Path != "/leafnode" {
			t.Fatalf("upgrade request %v %v", req, err)
		}
		sum := sha1.Sum([]byte(req.Header.Get("Sec-WebSocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
		fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n",
			base64.StdEncoding.EncodeToString(sum[:]))
		// A masked binary frame: a hub must not mask (RFC 6455 5.1).
		_, _ = c.Write([]byte{0x82, 0x84, 1, 2, 3, 4, 'I' ^ 1, 'N' ^ 2, 'F' ^ 3, 'O' ^ 4})
	}
	serve()
	eventually(t, 5*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; !strings.Contains(st.Reason, "mask") {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	waitLog(t, logs, zapcore.InfoLevel, "leafnode connection closed", "mask")
	serve() // the remote dials again
}

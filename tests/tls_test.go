package tests

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// pki is a test CA with a server certificate (127.0.0.1, localhost,
// hub.local) and a client certificate, written as PEM files.
type pki struct {
	ca, cert, key, clientCert, clientKey string
	otherCA                              string // a CA that signed nothing here
	expiredCert, expiredKey              string // a server certificate past its NotAfter
	localCert, localKey                  string // a server certificate naming only DNS localhost (no IP)
	ipCert, ipKey                        string // a server certificate naming only IP 127.0.0.1 (no DNS name)
}

func newPKI(t testing.TB) *pki {
	t.Helper()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	keyDER := func(k *ecdsa.PrivateKey) []byte {
		b, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	serial := int64(1)
	makeCA := func(name string) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k := newKey()
		serial++
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
		if err != nil {
			t.Fatal(err)
		}
		c, _ := x509.ParseCertificate(der)
		return c, k, der
	}
	ca, caKey, caDER := makeCA("leafhub test CA")
	_, _, otherDER := makeCA("another CA")
	notAfter := time.Now().Add(24 * time.Hour)
	leaf := func(cn string, usage x509.ExtKeyUsage, dns []string, ips []net.IP) ([]byte, []byte) {
		k := newKey()
		serial++
		tpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: notAfter,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}, DNSNames: dns, IPAddresses: ips}
		der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, keyDER(k)
	}
	sDER, sKey := leaf("server", x509.ExtKeyUsageServerAuth, []string{"localhost", "hub.local"}, []net.IP{net.ParseIP("127.0.0.1")})
	cDER, cKey := leaf("client", x509.ExtKeyUsageClientAuth, nil, nil)
	lDER, lKey := leaf("localhost", x509.ExtKeyUsageServerAuth, []string{"localhost"}, nil)
	iDER, iKey := leaf("127.0.0.1", x509.ExtKeyUsageServerAuth, nil, []net.IP{net.ParseIP("127.0.0.1")})
	notAfter = time.Now().Add(-time.Hour)
	xDER, xKey := leaf("server", x509.ExtKeyUsageServerAuth, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	return &pki{
		expiredCert: write("expired.pem", "CERTIFICATE", xDER), expiredKey: write("expired-key.pem", "EC PRIVATE KEY", xKey),
		ca: write("ca.pem", "CERTIFICATE", caDER), otherCA: write("other-ca.pem", "CERTIFICATE", otherDER),
		cert: write("server.pem", "CERTIFICATE", sDER), key: write("server-key.pem", "EC PRIVATE KEY", sKey),
		clientCert: write("client.pem", "CERTIFICATE", cDER), clientKey: write("client-key.pem", "EC PRIVATE KEY", cKey),
		localCert: write("local.pem", "CERTIFICATE", lDER), localKey: write("local-key.pem", "EC PRIVATE KEY", lKey),
		ipCert: write("ip.pem", "CERTIFICATE", iDER), ipKey: write("ip-key.pem", "EC PRIVATE KEY", iKey),
	}
}

// serverTLS is a tls block for a listener.
func (p *pki) serverTLS(extra string) string {
	return fmt.Sprintf("tls { cert_file: %q, key_file: %q, ca_file: %q %s }", p.cert, p.key, p.ca, extra)
}

// remoteTLS is a tls block for a remote trusting ca (and presenting the
// client certificate when withCert).
func (p *pki) remoteTLS(ca string, withCert bool, extra string) string {
	s := fmt.Sprintf("tls { ca_file: %q %s", ca, extra)
	if withCert {
		s += fmt.Sprintf(", cert_file: %q, key_file: %q", p.clientCert, p.clientKey)
	}
	return s + " }"
}

func TestTLSClientPort(t *testing.T) {
	p := newPKI(t)
	both(t, p.serverTLS("")+"\n", func(t *testing.T, s *target) {
		url := strings.Replace(s.url, "nats://", "tls://", 1)
		nc := connect(t, url, nats.RootCAs(p.ca))
		sub, _ := nc.SubscribeSync("secure")
		_ = nc.Publish("secure", []byte("over tls"))
		if m, err := sub.NextMsg(2 * time.Second); err != nil || string(m.Data) != "over tls" {
			t.Fatalf("%v %v", m, err)
		}
		if !nc.TLSRequired() {
			t.Fatal("INFO did not require TLS")
		}
		if _, err := nats.Connect(url, nats.MaxReconnects(0)); err == nil {
			t.Fatal("a client that does not trust the CA connected")
		}
		// A client that will not do TLS is refused.
		r := dialRaw(t, s.addr)
		if !strings.Contains(r.info, `"tls_required":true`) {
			t.Fatalf("INFO %q", r.info)
		}
		r.send(defaultConnect + "PING\r\n")
		r.expectClosed(10 * time.Second)
	})
}

// TestTLSHandshakeTimeout (audit4 #9): the tls block's timeout bounds the
// handshake: a client that reads the INFO and never starts TLS is closed
// (with no authorization there is no other timer that would close it).
func TestTLSHandshakeTimeout(t *testing.T) {
	p := newPKI(t)
	both(t, p.serverTLS(`, timeout: "300ms"`)+"\n", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		r.expectClosed(5 * time.Second)
	})
}

// TestTLSLeafEveryPair: TLS leaf links in every role pairing; the INFO says
// tls_required and the leaf upgrades after it, verifying the hub's
// certificate against its ca_file.
func TestTLSLeafEveryPair(t *testing.T) {
	p := newPKI(t)
	for _, first := range []bool{false, true} {
		hubExtra, remoteExtra := "", ""
		if first {
			hubExtra, remoteExtra = ", handshake_first: true", ", handshake_first: true"
		}
		for _, pr := range pairs {
			t.Run(fmt.Sprintf("first=%v/hub=%s/leaf=%s", first, pr[0], pr[1]), func(t *testing.T) {
				start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
				hub := start[pr[0]](t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS(hubExtra)+" }\n")
				leaf := start[pr[1]](t, leafConf("LEAF", hub.leafPort(t), ", "+p.remoteTLS(p.ca, false, remoteExtra)))
				waitLeafs(t, hub, 1)
				lc, hc := connect(t, leaf.url), connect(t, hub.url)
				sub, _ := lc.SubscribeSync("tls.down")
				_ = lc.Flush()
				waitInterest(t, hub, "tls.down", true)
				_ = hc.Publish("tls.down", []byte("x"))
				if _, err := sub.NextMsg(5 * time.Second); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// TestTLSLeafVerify: a hub with verify requires the leaf's client
// certificate (leafhub hub and nats-server hub alike): leafs with one
// connect, our leaf without one is refused and says why, and so is our leaf
// with a wrong CA. On our TLS hub without verify, a nats-server leaf with a
// wrong CA is refused while one with the right CA connects, and garbage on
// the port closes only that connection.
func TestTLSLeafVerify(t *testing.T) {
	p := newPKI(t)
	both(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS(", verify: true")+" }\n", func(t *testing.T, hub *target) {
		good := startLeafhub(t, leafConf("GOOD", hub.leafPort(t), ", "+p.remoteTLS(p.ca, true, "")))
		nsGood := startNATS(t, leafConf("NSGOOD", hub.leafPort(t), ", "+p.remoteTLS(p.ca, true, "")))
		waitLeafs(t, hub, 2)
		waitLeafs(t, good, 1)
		waitLeafs(t, nsGood, 1)
		noCert := startLeafhub(t, leafConf("NOCERT", hub.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
		wrongCA := startLeafhub(t, leafConf("WRONGCA", hub.leafPort(t), ", "+p.remoteTLS(p.otherCA, true, "")))
		for _, tc := range []struct {
			leaf *target
			want string
		}{{noCert, "tls: certificate required"}, {wrongCA, "certificate signed by unknown authority"}} {
			eventually(t, 10*time.Second, func() error {
				st := tc.leaf.hub.Remotes()[0]
				if st.Attempts < 2 || !strings.Contains(st.Reason, tc.want) {
					return fmt.Errorf("remote %+v", st)
				}
				return nil
			})
		}
		if n := hub.numLeafs(t); n != 2 {
			t.Fatalf("hub has %d leafs, want only the two with a certificate", n)
		}
	})

	// Our TLS hub: a nats-server leaf that trusts another CA is refused.
	ours := startLeafhub(t, "server_name: OURS\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS("")+" }\n")
	ok := startNATS(t, leafConf("OK", ours.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
	waitLeafs(t, ours, 1)
	waitLeafs(t, ok, 1) // the soliciting side registers after the hub's reply INFO
	badCA := startNATS(t, leafConf("BADCA", ours.leafPort(t), ", "+p.remoteTLS(p.otherCA, false, "")))
	waitClosedLeaf(t, ours, "TLS Handshake Failure", 10*time.Second)
	if badCA.ns.NumLeafNodes() != 0 || ours.numLeafs(t) != 1 {
		t.Fatal("a leaf that does not trust the hub's CA connected")
	}
	shutdownTarget(t, badCA)

	// Garbage instead of a ClientHello closes that connection only.
	okLeafID := func() uint64 {
		lz, err := ok.ns.Leafz(nil)
		if err != nil || len(lz.Leafs) != 1 {
			t.Fatalf("leafz of the good leaf: %v %+v", err, lz)
		}
		return lz.Leafs[0].ID
	}
	before := okLeafID()
	r := dialLeafRaw(t, ours)
	if !strings.Contains(r.info, `"tls_required":true`) {
		t.Fatalf("leaf INFO %q", r.info)
	}
	r.send("CONNECT {}\r\n")
	r.expectClosed(10 * time.Second)
	waitLeafs(t, ours, 1) // the refused connection is gone
	if ok.ns.NumLeafNodes() != 1 || okLeafID() != before {
		t.Fatal("garbage on one connection disturbed another")
	}
	// The good link still carries messages.
	oc, lc := connect(t, ours.url), connect(t, ok.url)
	sub, _ := lc.SubscribeSync("still.ok")
	_ = lc.Flush()
	waitInterest(t, ours, "still.ok", true)
	_ = oc.Publish("still.ok", nil)
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestTLSAllowNonTLS: with allow_non_tls the client port takes both, and
// its INFO says tls_available instead of tls_required.
func TestTLSAllowNonTLS(t *testing.T) {
	p := newPKI(t)
	both(t, p.serverTLS("")+"\nallow_non_tls: true\n", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		if !strings.Contains(r.info, `"tls_available":true`) || strings.Contains(r.info, "tls_required") {
			t.Fatalf("INFO %q, want tls_available and no tls_required", r.info)
		}
		secure := connect(t, strings.Replace(s.url, "nats://", "tls://", 1), nats.RootCAs(p.ca))
		if _, err := secure.TLSConnectionState(); err != nil {
			t.Fatalf("tls:// client: %v", err)
		}
		plain := connect(t, s.url)
		if err := plain.Flush(); err != nil {
			t.Fatal(err)
		}
		if _, err := plain.TLSConnectionState(); err == nil {
			t.Fatal("the plain client runs TLS")
		}
	})
	// A plain client that says nothing for longer than the TLS timeout
	// goes on in clear, as nats-server lets it.
	both(t, p.serverTLS(", timeout: 0.3")+"\nallow_non_tls: true\n", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		<-time.After(600 * time.Millisecond) // the silence under test, twice the TLS timeout
		r.send(defaultConnect + "PING\r\n")
		if l := r.line(); l != "PONG" {
			t.Fatalf("after a silence: %q, want PONG", l)
		}
	})
}

// TestTLSVerifyAndMap (issue 4 item 1): with verify_and_map the client
// certificate names the user (here its subject, "CN=client"): on the
// client port a client without user or password is that user; on the
// leafnode port the leaf binds to that leaf user's account. A certificate
// that names no user is refused.
func TestTLSVerifyAndMap(t *testing.T) {
	p := newPKI(t)
	conf := fmt.Sprintf(`server_name: HUB
tls { cert_file: %q, key_file: %q, ca_file: %q, verify_and_map: true }
accounts { A: { users [ {user: "CN=client"} ] }, B: {} }
leafnodes {
  listen: 127.0.0.1:-1
  tls { cert_file: %q, key_file: %q, ca_file: %q, verify_and_map: true }
  authorization { users [ {user: "CN=client", account: B} ] }
}
`, p.cert, p.key, p.ca, p.cert, p.key, p.ca)
	both(t, conf, func(t *testing.T, s *target) {
		url := strings.Replace(s.url, "nats://", "tls://", 1)
		nc := connect(t, url, nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey))
		if acc := connAccount(t, s, nc); acc != "A" {
			t.Fatalf("client mapped to account %q, want A", acc)
		}
		leaf := startNATS(t, leafConf("LEAF", s.leafPort(t), ", "+p.remoteTLS(p.ca, true, "")))
		waitLeafs(t, s, 1)
		waitLeafs(t, leaf, 1)
		if acc, _ := onlyLeaf(t, s); acc != "B" {
			t.Fatalf("leaf mapped to account %q, want B", acc)
		}
	})
	// A certificate whose subject is no user.
	other := strings.Replace(conf, `"CN=client"} ] }, B`, `"CN=someone else"} ] }, B`, 1)
	both(t, other, func(t *testing.T, s *target) {
		url := strings.Replace(s.url, "nats://", "tls://", 1)
		if _, err := nats.Connect(url, nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey), nats.NoReconnect()); err == nil ||
			!strings.Contains(err.Error(), "Authorization Violation") {
			t.Fatalf("unmapped certificate: %v", err)
		}
	})
}

// TestTLSVerifyAndMapPassword (audit4 #7): a user that verify_and_map
// finds by certificate must also send the password configured for it, on
// the client port and on the leafnode port, as in nats-server.
func TestTLSVerifyAndMapPassword(t *testing.T) {
	p := newPKI(t)
	conf := fmt.Sprintf(`server_name: HUB
tls { cert_file: %q, key_file: %q, ca_file: %q, verify_and_map: true }
accounts { A: { users [ {user: "CN=client", password: s3cret} ] }, B: {} }
leafnodes {
  listen: 127.0.0.1:-1
  tls { cert_file: %q, key_file: %q, ca_file: %q, verify_and_map: true }
  authorization { users [ {user: "CN=client", password: s3cret, account: B} ] }
}
`, p.cert, p.key, p.ca, p.cert, p.key, p.ca)
	both(t, conf, func(t *testing.T, s *target) {
		url := strings.Replace(s.url, "nats://", "tls://", 1)
		cert := []nats.Option{nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey)}
		nc := connect(t, url, append(cert, nats.UserInfo("", "s3cret"))...)
		if acc := connAccount(t, s, nc); acc != "A" {
			t.Fatalf("client mapped to account %q, want A", acc)
		}
		for _, pass := range []string{"nope", ""} {
			if _, err := nats.Connect(url, append(cert, nats.UserInfo("", pass), nats.NoReconnect())...); err == nil ||
				!strings.Contains(err.Error(), "Authorization Violation") {
				t.Fatalf("certificate with password %q: %v", pass, err)
			}
		}
		leaf := func(kind, name, pass string) *target {
			return startKind[kind](t, fmt.Sprintf("server_name: %s\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://x:%s@127.0.0.1:%d\", %s } ] }\n",
				name, pass, s.leafPort(t), p.remoteTLS(p.ca, true, "")))
		}
		waitLeafs(t, leaf("nats-server", "NSGOOD", "s3cret"), 1)
		if acc, _ := onlyLeaf(t, s); acc != "B" {
			t.Fatalf("leaf mapped to account %q, want B", acc)
		}
		waitLeafs(t, leaf("leafhub", "GOOD", "s3cret"), 1)
		waitLeafs(t, s, 2)
		bad := leaf("leafhub", "BAD", "nope")
		eventually(t, 10*time.Second, func() error {
			if st := bad.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "Authorization Violation") {
				return fmt.Errorf("remote %+v", st)
			}
			return nil
		})
		if n := s.numLeafs(t); n != 2 {
			t.Fatalf("hub has %d leafs, want the two with the password", n)
		}
	})
}

// TestTLSVerifyAndMapWebsocket: the websocket block's verify_and_map maps
// a wss client's certificate to its user, as nats-server does.
func TestTLSVerifyAndMapWebsocket(t *testing.T) {
	p := newPKI(t)
	conf := fmt.Sprintf(`websocket { listen: 127.0.0.1:-1, tls { cert_file: %q, key_file: %q, ca_file: %q, verify_and_map: true } }
accounts { A: { users [ {user: "CN=client"} ] }, B: { users [ {user: b, password: p} ] } }
`, p.cert, p.key, p.ca)
	both(t, conf, func(t *testing.T, s *target) {
		url := strings.Replace(s.ws, "ws://", "wss://", 1)
		nc := connect(t, url, nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey))
		if acc := connAccount(t, s, nc); acc != "A" {
			t.Fatalf("wss client mapped to account %q, want A", acc)
		}
	})
}

// TestTLSExpiredCertificate (issue 4 item 7): a hub presenting an expired
// certificate is refused by our leaf, which says why in /remotez and
// keeps dialling; nats-server's leaf refuses our hub's likewise.
func TestTLSExpiredCertificate(t *testing.T) {
	p := newPKI(t)
	expired := fmt.Sprintf("server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, tls { cert_file: %q, key_file: %q } }\n", p.expiredCert, p.expiredKey)
	hub := startNATS(t, expired)
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
	eventually(t, 10*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "certificate has expired") {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	ours := startLeafhub(t, expired)
	nsLeaf := startNATS(t, leafConf("EDGE2", ours.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
	waitClosedLeaf(t, ours, "TLS Handshake Failure", 10*time.Second)
	if hub.ns.NumLeafNodes() != 0 || nsLeaf.ns.NumLeafNodes() != 0 {
		t.Fatal("a link over an expired certificate came up")
	}
}

// startKind starts a leafhub or a nats-server by name.
var startKind = map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}

// TestTLSLeafHandshakeFirstFallback (audit4 #1): with handshake_first: auto
// or a fallback delay, the leafnode port takes leafs that start TLS at once
// and leafs that wait for the INFO; a peer that sends nothing gets the INFO
// in clear after the delay, still requiring TLS. As nats-server.
func TestTLSLeafHandshakeFirstFallback(t *testing.T) {
	p := newPKI(t)
	for _, mode := range []string{"auto", "200ms"} {
		t.Run(mode, func(t *testing.T) {
			conf := fmt.Sprintf("server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, %s }\n", p.serverTLS(fmt.Sprintf(", handshake_first: %q", mode)))
			both(t, conf, func(t *testing.T, hub *target) {
				r := dialLeafRaw(t, hub)
				if !strings.Contains(r.info, `"tls_required":true`) {
					t.Fatalf("INFO after the fallback delay %q", r.info)
				}
				_ = r.c.Close()
				var leafs []*target
				for _, kind := range []string{"nats-server", "leafhub"} {
					for _, first := range []string{"", ", handshake_first: true"} {
						name := fmt.Sprintf("LEAF%d", len(leafs))
						leafs = append(leafs, startKind[kind](t, leafConf(name, hub.leafPort(t), ", "+p.remoteTLS(p.ca, false, first))))
					}
				}
				waitLeafs(t, hub, len(leafs))
				for _, l := range leafs {
					waitLeafs(t, l, 1)
				}
			})
		})
	}
}

// TestTLSClientHandshakeFirst (audit4 #1 and #9): handshake_first on the
// client port. true takes only clients that start TLS at once; auto or a
// delay also takes clients that wait for the INFO; with allow_non_tls plain
// clients too. The INFO says tls_required to a client that started TLS
// first, allow_non_tls or not; after the fallback it says what it would
// without handshake_first. As nats-server.
func TestTLSClientHandshakeFirst(t *testing.T) {
	p := newPKI(t)
	for _, tc := range []struct {
		name, first    string
		allowPlain     bool
		waiting, plain bool // whether such clients connect
	}{
		{"true", "true", false, false, false},
		{"true_allow_non_tls", "true", true, false, false},
		{"auto", "auto", false, true, false},
		{"delay", "200ms", false, true, false},
		{"auto_allow_non_tls", "auto", true, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conf := p.serverTLS(fmt.Sprintf(", handshake_first: %q", tc.first)) + "\n"
			if tc.allowPlain {
				conf += "allow_non_tls: true\n"
			}
			both(t, conf, func(t *testing.T, s *target) {
				url := strings.Replace(s.url, "nats://", "tls://", 1)
				first := connect(t, url, nats.RootCAs(p.ca), nats.TLSHandshakeFirst())
				if err := first.Flush(); err != nil {
					t.Fatalf("TLS-first client: %v", err)
				}
				if info := tlsFirstInfo(t, s.addr, p.ca); !strings.Contains(info, `"tls_required":true`) {
					t.Fatalf("INFO after a TLS-first handshake %q", info)
				}
				quick := []nats.Option{nats.NoReconnect(), nats.Timeout(time.Second)}
				waiting, err := nats.Connect(url, append(quick, nats.RootCAs(p.ca))...)
				if (err == nil) != tc.waiting {
					t.Fatalf("client waiting for the INFO: %v, want connected %v", err, tc.waiting)
				}
				if err == nil {
					defer waiting.Close()
					if waiting.TLSRequired() == tc.allowPlain {
						t.Fatalf("after the fallback INFO tls_required %v", waiting.TLSRequired())
					}
				}
				plain, err := nats.Connect(s.url, quick...)
				if (err == nil) != tc.plain {
					t.Fatalf("plain client: %v, want connected %v", err, tc.plain)
				}
				if err == nil {
					plain.Close()
				}
				if tc.waiting {
					r := dialRaw(t, s.addr)
					want := `"tls_required":true`
					if tc.allowPlain {
						want = `"tls_available":true`
					}
					if !strings.Contains(r.info, want) || (tc.allowPlain && strings.Contains(r.info, "tls_required")) {
						t.Fatalf("INFO in clear after the delay %q, want %s", r.info, want)
					}
				}
			})
		})
	}
}

// tlsFirstInfo starts TLS at once on addr, trusting caFile, and returns the
// INFO line the server sends over it.
func tlsFirstInfo(t testing.TB, addr, caFile string) string {
	t.Helper()
	pem, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := &rawConn{t: t, c: c}
	return r.line()
}

// tlsFront is a TLS leafnode port in front of a plain one: it presents the
// certificate that names only DNS localhost, records the server name (SNI)
// of every ClientHello, and relays the decrypted stream to the hub. With
// first it takes TLS at once; otherwise it passes the hub's INFO on with
// tls_required added and then takes the leaf's handshake, as a TLS hub does.
type tlsFront struct {
	port  int
	names chan string
}

func startTLSFront(t testing.TB, p *pki, hubAddr string, first bool) *tlsFront {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(p.localCert, p.localKey)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f := &tlsFront{port: ln.Addr().(*net.TCPAddr).Port, names: make(chan string, 64)}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			select {
			case f.names <- h.ServerName:
			default:
			}
			return nil, nil
		}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.relay(c, hubAddr, cfg, first)
		}
	}()
	return f
}

func (f *tlsFront) relay(c net.Conn, hubAddr string, cfg *tls.Config, first bool) {
	defer c.Close()
	h, err := net.Dial("tcp", hubAddr)
	if err != nil {
		return
	}
	defer h.Close()
	hr := bufio.NewReader(h)
	if !first {
		info, err := hr.ReadString('\n')
		if err != nil || !strings.HasPrefix(info, "INFO {") {
			return
		}
		if _, err := c.Write([]byte(`INFO {"tls_required":true,` + strings.TrimPrefix(info, "INFO {"))); err != nil {
			return
		}
	}
	tc := tls.Server(c, cfg)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if err := tc.Handshake(); err != nil {
		return
	}
	_ = c.SetDeadline(time.Time{})
	go func() {
		_, _ = io.Copy(h, tc)
		h.Close()
	}()
	_, _ = io.Copy(tc, hr)
}

// TestTLSLeafServerName (audit4 #9): a remote dialled by host name sends
// that name (SNI) and checks the hub's certificate against it: the
// certificate here names only DNS localhost, no IP, so the same hub
// dialled by IP is refused. With and without handshake_first; nats-server's
// leaf alike.
func TestTLSLeafServerName(t *testing.T) {
	p := newPKI(t)
	hub := startNATS(t, hubConf)
	hubAddr := fmt.Sprintf("127.0.0.1:%d", hub.leafPort(t))
	remote := func(name, host string, port int, extra string) string {
		return fmt.Sprintf("server_name: %s\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://%s:%d\", %s } ] }\n",
			name, host, port, p.remoteTLS(p.ca, false, extra))
	}
	for _, kind := range []string{"leafhub", "nats-server"} {
		for _, first := range []string{"", ", handshake_first: true"} {
			t.Run(fmt.Sprintf("leaf=%s/first=%v", kind, first != ""), func(t *testing.T) {
				front := startTLSFront(t, p, hubAddr, first != "")
				leaf := startKind[kind](t, remote("LEAF", "localhost", front.port, first))
				waitLeafs(t, leaf, 1)
				select {
				case name := <-front.names:
					if name != "localhost" {
						t.Fatalf("ClientHello server name %q, want localhost", name)
					}
				default:
					t.Fatal("the leaf connected without a ClientHello")
				}
			})
		}
	}
	// By IP the certificate does not fit.
	front := startTLSFront(t, p, hubAddr, false)
	byIP := startLeafhub(t, remote("BYIP", "127.0.0.1", front.port, ""))
	eventually(t, 10*time.Second, func() error {
		if st := byIP.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "doesn't contain any IP SANs") {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
}

// TestTLSRemoteTrust (audit4 #9): a remote without a tls block still runs
// TLS when the hub's INFO requires it, checking the hub's certificate
// against the system roots; the test CA is not among them, so the dial
// fails with an unknown authority and the remote keeps dialling. With
// insecure a remote connects without checking (nats-server's leaf too).
func TestTLSRemoteTrust(t *testing.T) {
	p := newPKI(t)
	both(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS("")+" }\n", func(t *testing.T, hub *target) {
		bare := startLeafhub(t, leafConf("BARE", hub.leafPort(t), ""))
		eventually(t, 10*time.Second, func() error {
			if st := bare.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "certificate signed by unknown authority") {
				return fmt.Errorf("remote %+v", st)
			}
			return nil
		})
		for i, kind := range []string{"leafhub", "nats-server"} {
			leaf := startKind[kind](t, leafConf(fmt.Sprintf("INSECURE%d", i), hub.leafPort(t), ", tls { insecure: true }"))
			waitLeafs(t, leaf, 1)
		}
		waitLeafs(t, hub, 2)
	})
}

// TestTLSLeafDropsTLSName (reaudit34 #6): a remote configured by hostname
// checks a discovered hub, dialled by IP, against that hostname; when the
// certificate does not match it (this one names only the IP), the saved
// hostname is dropped, as nats-server does, and the next dial checks the
// IP instead: failing over to that hub works. With the handshake after the
// INFO and before it; nats-server's leaf alike.
func TestTLSLeafDropsTLSName(t *testing.T) {
	p := newPKI(t)
	for _, kind := range []string{"leafhub", "nats-server"} {
		for _, first := range []string{"", ", handshake_first: true"} {
			t.Run(fmt.Sprintf("leaf=%s/first=%v", kind, first != ""), func(t *testing.T) {
				c1Port := freePort(t)
				cluster := func(name string, own int, peer, cert, key string) string {
					return fmt.Sprintf("server_name: %s\ncluster { name: C, listen: 127.0.0.1:%d %s }\nleafnodes { listen: 127.0.0.1:-1, tls { cert_file: %q, key_file: %q %s } }\n",
						name, own, peer, cert, key, first)
				}
				s1 := startNATS(t, cluster("S1", c1Port, "", p.localCert, p.localKey))
				s2 := startNATS(t, cluster("S2", freePort(t), fmt.Sprintf(", routes [ \"nats://127.0.0.1:%d\" ]", c1Port), p.ipCert, p.ipKey))
				peer := fmt.Sprintf("127.0.0.1:%d", s2.leafPort(t))
				eventually(t, 10*time.Second, func() error {
					if info := leafPortInfo(t, s1, first != ""); !strings.Contains(info, peer) {
						return fmt.Errorf("S1's INFO does not advertise %s yet", peer)
					}
					return nil
				})
				startKind[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://localhost:%d\", %s } ] }\n",
					s1.leafPort(t), p.remoteTLS(p.ca, false, first)))
				waitLeafs(t, s1, 1)
				shutdownTarget(t, s1)
				waitLeafs(t, s2, 1)
			})
		}
	}
}

// leafPortInfo is the INFO a server's leafnode port sends first, over TLS
// when first (the certificate unchecked).
func leafPortInfo(t testing.TB, s *target, first bool) string {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", s.leafPort(t))
	if !first {
		return dialRaw(t, addr).info
	}
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return (&rawConn{t: t, c: c}).line()
}

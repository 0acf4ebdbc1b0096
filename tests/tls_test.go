package tests

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
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
	notAfter = time.Now().Add(-time.Hour)
	xDER, xKey := leaf("server", x509.ExtKeyUsageServerAuth, []string{"localhost"}, []net.IP{net.ParseIP("127.0.0.1")})
	return &pki{
		expiredCert: write("expired.pem", "CERTIFICATE", xDER), expiredKey: write("expired-key.pem", "EC PRIVATE KEY", xKey),
		ca: write("ca.pem", "CERTIFICATE", caDER), otherCA: write("other-ca.pem", "CERTIFICATE", otherDER),
		cert: write("server.pem", "CERTIFICATE", sDER), key: write("server-key.pem", "EC PRIVATE KEY", sKey),
		clientCert: write("client.pem", "CERTIFICATE", cDER), clientKey: write("client-key.pem", "EC PRIVATE KEY", cKey),
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
// certificate; our leaf without one is refused and says why; a wrong CA
// fails the handshake on our side; garbage on a TLS leaf port closes only
// that connection.
func TestTLSLeafVerify(t *testing.T) {
	p := newPKI(t)
	hub := startNATS(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS(", verify: true")+" }\n")
	good := startLeafhub(t, leafConf("GOOD", hub.leafPort(t), ", "+p.remoteTLS(p.ca, true, "")))
	waitLeafs(t, hub, 1)
	noCert := startLeafhub(t, leafConf("NOCERT", hub.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
	wrongCA := startLeafhub(t, leafConf("WRONGCA", hub.leafPort(t), ", "+p.remoteTLS(p.otherCA, true, "")))
	for _, tc := range []struct {
		leaf *target
		want string
	}{{noCert, ""}, {wrongCA, "certificate signed by unknown authority"}} {
		eventually(t, 10*time.Second, func() error {
			st := tc.leaf.hub.Remotes()[0]
			if st.Connects < 2 || !strings.Contains(st.Reason, tc.want) {
				return fmt.Errorf("remote %+v", st)
			}
			return nil
		})
	}
	if n := hub.ns.NumLeafNodes(); n != 1 {
		t.Fatalf("hub has %d leafs, want only the one with a certificate", n)
	}
	_ = good

	// Our TLS hub: garbage instead of a ClientHello closes that connection only.
	ours := startLeafhub(t, "server_name: OURS\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS("")+" }\n")
	ok := startNATS(t, leafConf("OK", ours.leafPort(t), ", "+p.remoteTLS(p.ca, false, "")))
	waitLeafs(t, ours, 1)
	waitLeafs(t, ok, 1) // the soliciting side registers after the hub's reply INFO
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

// TestTLSAllowNonTLS: with allow_non_tls the client port takes both.
func TestTLSAllowNonTLS(t *testing.T) {
	p := newPKI(t)
	both(t, p.serverTLS("")+"\nallow_non_tls: true\n", func(t *testing.T, s *target) {
		connect(t, strings.Replace(s.url, "nats://", "tls://", 1), nats.RootCAs(p.ca))
		plain := connect(t, s.url)
		if err := plain.Flush(); err != nil {
			t.Fatal(err)
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
		if st := leaf.hub.Remotes()[0]; st.Connects < 2 || !strings.Contains(st.Reason, "certificate has expired") {
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

package tests

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/config"
)

// reloadWith parses conf as the server's new configuration and reloads it
// (leafhub or nats-server, whose ReloadOptions keeps its random ports).
func reloadWith(t *testing.T, s *target, conf string) error {
	t.Helper()
	if s.ns != nil {
		file := filepath.Join(t.TempDir(), "reload.conf")
		if err := os.WriteFile(file, []byte(baseConf+conf), 0o600); err != nil {
			t.Fatal(err)
		}
		o, err := natsserver.ProcessConfigFile(file)
		if err != nil {
			t.Fatal(err)
		}
		o.NoLog, o.NoSigs, o.ConfigFile = true, true, s.nsConf
		return s.ns.ReloadOptions(o)
	}
	o, err := config.Parse(baseConf + conf)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the listener the test harness chose (-1 means "random" at start).
	cur, _ := s.hub.Options()
	o.Port, o.HTTPPort = cur.Port, cur.HTTPPort
	o.LeafNode.Port = cur.LeafNode.Port
	_, err = s.hub.Reload(o)
	return err
}

// TestReloadRemotes: adding a remote starts it, removing one stops it, and
// an unchanged remote keeps its connection.
func TestReloadRemotes(t *testing.T) {
	h1 := startNATS(t, "server_name: H1\nleafnodes { listen: 127.0.0.1:-1 }\n")
	h2 := startNATS(t, "server_name: H2\nleafnodes { listen: 127.0.0.1:-1 }\n")
	r1 := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d" }`, h1.leafPort(t))
	r2 := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d" }`, h2.leafPort(t))
	conf := func(remotes ...string) string {
		return "server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ " + strings.Join(remotes, ", ") + " ] }\n"
	}
	leaf := startLeafhub(t, conf(r1))
	waitLeafs(t, h1, 1)
	cid := leaf.hub.Remotes()[0].CID

	if err := reloadWith(t, leaf, conf(r1, r2)); err != nil {
		t.Fatal(err)
	}
	waitLeafs(t, h2, 1)
	st := leaf.hub.Remotes()
	if len(st) != 2 || st[0].CID != cid || st[0].Connects != 1 {
		t.Fatalf("the unchanged remote was disturbed: %+v", st[0])
	}
	if err := reloadWith(t, leaf, conf(r2)); err != nil {
		t.Fatal(err)
	}
	waitLeafs(t, h1, 0)
	if h2.ns.NumLeafNodes() != 1 || len(leaf.hub.Remotes()) != 1 {
		t.Fatalf("after removing remote 1: hub 2 has %d leafs, %d remotes", h2.ns.NumLeafNodes(), len(leaf.hub.Remotes()))
	}
	// A change in any of the remote's settings (here only the s2_auto
	// thresholds) restarts it with the new settings.
	cid = leaf.hub.Remotes()[0].CID
	r2b := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d", compression: { mode: s2_auto, rtt_thresholds: [5ms, 20ms, 60ms] } }`, h2.leafPort(t))
	if err := reloadWith(t, leaf, conf(r2b)); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; st.State != "connected" || st.CID == cid {
			return fmt.Errorf("the changed remote did not restart: %+v", st)
		}
		return nil
	})
}

// TestLameDuckKeepsLeafLinks: in lame duck mode a leaf stops re-dialling
// but keeps its links to the hub through the grace period (as nats-server
// keeps its leafs until their turn to close); a reload meanwhile is
// refused; at the end every link is closed and the remote is stopped.
func TestLameDuckKeepsLeafLinks(t *testing.T) {
	hub := startNATS(t, hubConf)
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), "")+"lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1500ms\"\n")
	waitLeafs(t, hub, 1)
	cid := leaf.hub.Remotes()[0].CID
	done := make(chan error, 1)
	go func() { done <- leaf.hub.LameDuck(context.Background()) }()
	eventually(t, 5*time.Second, func() error {
		if err := leaf.hub.Healthz(); err == nil {
			return fmt.Errorf("still healthy")
		}
		return nil
	})
	throughout(t, 500*time.Millisecond, func() error {
		if n := hub.ns.NumLeafNodes(); n != 1 {
			return fmt.Errorf("the hub has %d leafs during the grace period", n)
		}
		if st := leaf.hub.Remotes()[0]; st.State != "connected" || st.CID != cid {
			return fmt.Errorf("remote during the grace period: %+v", st)
		}
		return nil
	})
	if err := reloadWith(t, leaf, "server_name: EDGE\n"); err == nil || !strings.Contains(err.Error(), "lame duck") {
		t.Fatalf("reload during lame duck mode: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("lame duck mode did not end")
	}
	waitLeafs(t, hub, 0)
	if st := leaf.hub.Remotes()[0]; st.State != "stopped" {
		t.Fatalf("remote after lame duck mode: %+v", st)
	}
}

// TestReloadAllowResponses: a reload that gives a connected user
// allow_responses lets it answer requests at once, without reconnecting.
func TestReloadAllowResponses(t *testing.T) {
	users := func(svcPerms string) string {
		return "authorization { users [ {user: svc, password: p, permissions: { subscribe: req, publish: { deny: \">\" }" + svcPerms +
			" } }, {user: c, password: p} ] }\n"
	}
	s := startLeafhub(t, users(""))
	url := strings.Replace(s.url, "nats://", "nats://svc:p@", 1)
	svc := connect(t, url)
	if _, err := svc.Subscribe("req", func(m *nats.Msg) { _ = m.Respond([]byte("answer")) }); err != nil {
		t.Fatal(err)
	}
	_ = svc.Flush()
	c := connect(t, strings.Replace(s.url, "nats://", "nats://c:p@", 1))
	if _, err := c.Request("req", nil, 300*time.Millisecond); err == nil {
		t.Fatal("a user without allow_responses answered a request")
	}
	if err := reloadWith(t, s, users(", allow_responses: true")); err != nil {
		t.Fatal(err)
	}
	// Connections take the new permissions from their actors' mailboxes,
	// after Reload returns.
	eventually(t, 10*time.Second, func() error {
		m, err := c.Request("req", nil, 500*time.Millisecond)
		if err != nil || string(m.Data) != "answer" {
			return fmt.Errorf("after the reload: %v %v", m, err)
		}
		return nil
	})
}

// TestReloadAuthorization: a removed user is disconnected with
// Authorization Violation; a user whose permissions shrank loses the
// subscriptions they no longer allow and is refused publishes; others stay.
func TestReloadAuthorization(t *testing.T) {
	before := `authorization { users [ {user: a, password: p}, {user: b, password: p} ] }`
	after := `authorization { users [ {user: a, password: p, permissions: {publish: "ok.>", subscribe: "ok.>"}} ] }`
	s := startLeafhub(t, before)
	errsA := make(chan error, 10)
	a := connect(t, s.url, nats.UserInfo("a", "p"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errsA <- err }))
	bClosed := make(chan error, 1)
	b := connect(t, s.url, nats.UserInfo("b", "p"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
		select {
		case bClosed <- err:
		default:
		}
	}))
	notOK, _ := a.SubscribeSync("not.ok")
	okSub, _ := a.SubscribeSync("ok.x")
	_ = a.Flush()
	_ = b.Flush()

	if err := reloadWith(t, s, after); err != nil {
		t.Fatal(err)
	}
	if err := nextErr(t, bClosed, 5*time.Second, "the removed user was not disconnected"); !errors.Is(err, nats.ErrAuthorization) && !strings.Contains(strings.ToLower(err.Error()), "authorization violation") {
		t.Fatalf("removed user got %v", err)
	}
	if err := nextErr(t, errsA, 5*time.Second, "the disallowed subscription was not reported"); !strings.Contains(err.Error(), `Subscription to "not.ok" (sid`) {
		t.Fatalf("user a got %v", err)
	}
	_ = a.Publish("not.ok", nil)
	if err := nextErr(t, errsA, 5*time.Second, "a publish outside the new permissions was not refused"); !strings.Contains(err.Error(), `Publish to "not.ok"`) {
		t.Fatalf("user a got %v", err)
	}
	_ = a.Publish("ok.x", []byte("still"))
	if m, err := okSub.NextMsg(2 * time.Second); err != nil || string(m.Data) != "still" {
		t.Fatalf("allowed subscription after reload: %v %v", m, err)
	}
	if _, err := notOK.NextMsg(100 * time.Millisecond); err == nil {
		t.Fatal("the removed subscription still received")
	}
	if !a.IsConnected() {
		t.Fatal("user a was disconnected")
	}
}

// TestReloadRefused: a change that cannot be applied at run time is refused
// and nothing changes.
func TestReloadRefused(t *testing.T) {
	s := startLeafhub(t, "server_name: ONE\n")
	nc := connect(t, s.url)
	err := reloadWith(t, s, "server_name: TWO\n")
	if err == nil || !strings.Contains(err.Error(), "server_name") {
		t.Fatalf("got %v, want the server_name change refused", err)
	}
	if s.hub.Name() != "ONE" || !nc.IsConnected() {
		t.Fatal("a refused reload changed the server")
	}
	// The log format and file are the command's: a change needs a restart.
	if err := reloadWith(t, s, "server_name: ONE\nlogtime: false\n"); err == nil || !strings.Contains(err.Error(), "logtime") {
		t.Fatalf("got %v, want the logtime change refused", err)
	}
	if err := reloadWith(t, s, "server_name: ONE\nprof_port: -1\n"); err == nil || !strings.Contains(err.Error(), "prof_port") {
		t.Fatalf("got %v, want the prof_port change refused", err)
	}
}

// TestReloadTLSCertificates: after a reload with new certificates, new
// connections get them; existing connections are not touched.
func TestReloadTLSCertificates(t *testing.T) {
	p1, p2 := newPKI(t), newPKI(t)
	s := startLeafhub(t, p1.serverTLS("")+"\n")
	url := strings.Replace(s.url, "nats://", "tls://", 1)
	old := connect(t, url, nats.RootCAs(p1.ca))
	if err := reloadWith(t, s, p2.serverTLS("")+"\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := nats.Connect(url, nats.RootCAs(p1.ca), nats.MaxReconnects(0)); err == nil {
		t.Fatal("a new connection still got the old certificate")
	}
	connect(t, url, nats.RootCAs(p2.ca))
	if err := old.Flush(); err != nil || !old.IsConnected() {
		t.Fatalf("the existing connection was disturbed: %v", err)
	}
}

// closedConn is a nats.go connection that reports when it is closed for
// good (no reconnects).
func closedConn(t *testing.T, url string, opts ...nats.Option) (*nats.Conn, chan struct{}) {
	t.Helper()
	closed := make(chan struct{})
	opts = append(opts, nats.NoReconnect(), nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.ErrorHandler(func(*nats.Conn, *nats.Subscription, error) {}))
	return connect(t, url, opts...), closed
}

func waitClosed(t *testing.T, closed chan struct{}, what string) {
	t.Helper()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: the connection was not closed", what)
	}
}

// TestReloadMaxPayload: a lower max_payload applies to open client
// connections at once (they are not sent a new INFO), and new ones are told
// it in their INFO.
func TestReloadMaxPayload(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		nc, closed := closedConn(t, s.url)
		if err := reloadWith(t, s, "max_payload: 512\n"); err != nil {
			t.Fatal(err)
		}
		if nc2 := connect(t, s.url); nc2.MaxPayload() != 512 {
			t.Fatalf("a new connection's INFO says max_payload %d", nc2.MaxPayload())
		}
		if err := nc.Publish("x", make([]byte, 512)); err != nil {
			t.Fatal(err)
		}
		if err := nc.Flush(); err != nil {
			t.Fatalf("a payload at the new limit: %v", err)
		}
		if nc.MaxPayload() != 1<<20 {
			t.Fatalf("the open connection was told max_payload %d", nc.MaxPayload())
		}
		_ = nc.Publish("x", make([]byte, 513)) // nats.go still knows 1 MB and sends it
		waitClosed(t, closed, "a payload above the reloaded max_payload")
		if err := nc.LastError(); err == nil || !strings.Contains(err.Error(), "Maximum Payload Violation") {
			t.Fatalf("last error %v, want Maximum Payload Violation", err)
		}
	})
}

// TestReloadMaxControlLine: a lower max_control_line applies to open client
// connections at once, as nats-server's reload sets every client's limit.
// (leafhub only: nats-server's parser reads that limit without
// synchronisation, so its half of this test trips the race detector; run
// without -race it passes the same checks.)
func TestReloadMaxControlLine(t *testing.T) {
	s := startLeafhub(t, "")
	nc, closed := closedConn(t, s.url)
	subject := func(n int) string { return strings.Repeat("s", n) }
	if err := nc.Publish(subject(300), nil); err != nil || nc.Flush() != nil {
		t.Fatalf("a 300-byte subject before the reload: %v", err)
	}
	if err := reloadWith(t, s, "max_control_line: 256\n"); err != nil {
		t.Fatal(err)
	}
	if err := nc.Publish(subject(200), nil); err != nil || nc.Flush() != nil {
		t.Fatalf("a 200-byte subject after the reload: %v", err)
	}
	_ = nc.Publish(subject(300), nil)
	waitClosed(t, closed, "a control line above the reloaded max_control_line")
	if err := nc.LastError(); err == nil || !strings.Contains(strings.ToLower(err.Error()), "maximum control line exceeded") {
		t.Fatalf("last error %v, want maximum control line exceeded", err)
	}
}

// TestReloadMaxConnections: a lower max_connections closes clients until
// the limit holds, with "maximum connections exceeded" and the close reason
// in /connz; leaf connections are not counted or closed.
func TestReloadMaxConnections(t *testing.T) {
	both(t, monitorConf+"leafnodes { listen: 127.0.0.1:-1 }\n", func(t *testing.T, s *target) {
		leaf := startNATS(t, leafConf("EDGE", s.leafPort(t), ""))
		waitLeafs(t, s, 1)
		type conn struct {
			nc     *nats.Conn
			closed chan struct{}
		}
		var conns []conn
		for range 3 {
			nc, closed := closedConn(t, s.url)
			conns = append(conns, conn{nc, closed})
		}
		if err := reloadWith(t, s, monitorConf+"leafnodes { listen: 127.0.0.1:-1 }\nmax_connections: 1\n"); err != nil {
			t.Fatal(err)
		}
		var open *nats.Conn
		eventually(t, 5*time.Second, func() error {
			n := 0
			for _, c := range conns {
				select {
				case <-c.closed:
					if !errors.Is(c.nc.LastError(), nats.ErrMaxConnectionsExceeded) {
						t.Fatalf("closed with %v", c.nc.LastError())
					}
				default:
					n, open = n+1, c.nc
				}
			}
			if n != 1 {
				return fmt.Errorf("%d clients open, want 1", n)
			}
			return nil
		})
		if err := open.Flush(); err != nil {
			t.Fatalf("the client within the limit: %v", err)
		}
		// (nats.go may see the refusal or only the closed socket.)
		if nc, err := nats.Connect(s.url, nats.MaxReconnects(0)); err == nil {
			nc.Close()
			t.Fatal("a new client got in")
		}
		if s.numLeafs(t) != 1 || leaf.ns.NumLeafNodes() != 1 {
			t.Fatal("the leaf connection was closed")
		}
		var connz struct {
			Conns []struct {
				Reason string `json:"reason"`
			} `json:"connections"`
		}
		eventually(t, 5*time.Second, func() error {
			getJSON(t, s.monitor+"/connz?state=closed", &connz)
			n := 0
			for _, c := range connz.Conns {
				if c.Reason == "Maximum Connections Exceeded" {
					n++
				}
			}
			if n != 3 { // the two closed by the reload and the one refused after
				return fmt.Errorf("closed connections %+v", connz.Conns)
			}
			return nil
		})
	})
}

// TestReloadRefusedSettings: what nats-server cannot change at run time is
// refused alike, and the server keeps running as before; no_auth_user may
// only go together with its user.
func TestReloadRefusedSettings(t *testing.T) {
	users := "authorization { users [ {user: a, password: p}, {user: b, password: p} ] }\n"
	base := users + "no_auth_user: a\n"
	both(t, base, func(t *testing.T, s *target) {
		for _, tt := range []struct{ key, conf string }{
			{"no_auth_user", users + "no_auth_user: b\n"},
			{"no_auth_user", users}, // its user stays
			{"max_pending", base + "max_pending: 2000000\n"},
			{"max_subscriptions", base + "max_subscriptions: 10\n"},
			{"lame_duck_duration", base + "lame_duck_duration: \"40s\"\n"},
			{"lame_duck_grace_period", base + "lame_duck_grace_period: \"5s\"\n"},
			{"allow_non_tls", base + "allow_non_tls: true\n"},
			{"server_name", base + "server_name: OTHER\n"},
		} {
			err := reloadWith(t, s, tt.conf)
			if err == nil || !strings.Contains(err.Error(), "config reload not supported for") ||
				(s.hub != nil && !strings.Contains(err.Error(), tt.key)) {
				t.Errorf("%s: got %v, want it refused", tt.key, err)
			}
		}
		nc := connect(t, s.url) // still the no_auth_user
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		// Removing no_auth_user with its user is accepted (and closes the
		// connections of that user).
		closed := make(chan struct{})
		nc.SetClosedHandler(func(*nats.Conn) { close(closed) })
		nc.SetErrorHandler(func(*nats.Conn, *nats.Subscription, error) {})
		if err := reloadWith(t, s, "authorization { users [ {user: b, password: p} ] }\n"); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, closed, "the no_auth_user's connection")
		// A change of ping_interval, write_deadline or max_payload is fine.
		if err := reloadWith(t, s, "authorization { users [ {user: b, password: p} ] }\nping_interval: \"30s\"\nwrite_deadline: \"3s\"\nmax_payload: 1000\n"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReloadTLSSettings: turning verify_and_map on or off is refused, as
// nats-server refuses it; other tls changes are accepted.
func TestReloadTLSSettings(t *testing.T) {
	p := newPKI(t)
	both(t, p.serverTLS(""), func(t *testing.T, s *target) {
		err := reloadWith(t, s, p.serverTLS(", verify_and_map: true"))
		if err == nil || !strings.Contains(err.Error(), "config reload not supported for") {
			t.Fatalf("verify_and_map: got %v, want it refused", err)
		}
		if err := reloadWith(t, s, p.serverTLS(", verify: true, timeout: 3")); err != nil {
			t.Fatal(err)
		}
	})
}

// TestReloadPinnedCerts: changed pinned_certs close the clients whose
// certificate they do not name; the others stay.
func TestReloadPinnedCerts(t *testing.T) {
	p1, p2 := newPKI(t), newPKI(t)
	cas := filepath.Join(t.TempDir(), "cas.pem")
	a, _ := os.ReadFile(p1.ca)
	b, _ := os.ReadFile(p2.ca)
	if err := os.WriteFile(cas, append(a, b...), 0o600); err != nil {
		t.Fatal(err)
	}
	tlsBlock := func(extra string) string {
		return fmt.Sprintf("tls { cert_file: %q, key_file: %q, ca_file: %q, verify: true %s }\n", p1.cert, p1.key, cas, extra)
	}
	both(t, tlsBlock(""), func(t *testing.T, s *target) {
		url := strings.Replace(s.url, "nats://", "tls://", 1)
		keep, keepClosed := closedConn(t, url, nats.RootCAs(p1.ca), nats.ClientCert(p1.clientCert, p1.clientKey))
		_, dropClosed := closedConn(t, url, nats.RootCAs(p1.ca), nats.ClientCert(p2.clientCert, p2.clientKey))
		if err := reloadWith(t, s, tlsBlock(fmt.Sprintf(", pinned_certs: [%q]", spkiHash(t, p1.clientCert)))); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, dropClosed, "the client whose certificate is not pinned")
		throughout(t, 300*time.Millisecond, func() error {
			select {
			case <-keepClosed:
				return errors.New("the pinned client was closed")
			default:
				return nil
			}
		})
		if err := keep.Flush(); err != nil {
			t.Fatal(err)
		}
	})
}

// spkiHash is the pinned_certs entry of a PEM certificate file.
func spkiHash(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return hex.EncodeToString(sum[:])
}

// TestReloadPidFile: a reload that names a new pid_file writes our pid
// there, as nats-server does.
func TestReloadPidFile(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		file := filepath.Join(t.TempDir(), "new.pid")
		if err := reloadWith(t, s, fmt.Sprintf("pid_file: %q\n", file)); err != nil {
			t.Fatal(err)
		}
		if b, err := os.ReadFile(file); err != nil || string(b) != strconv.Itoa(os.Getpid()) {
			t.Fatalf("pid file: %q %v", b, err)
		}
	})
}

// TestCmdReloadPidFile: the binary writes the pid file a reload names and
// removes it, with the first one, at exit.
func TestCmdReloadPidFile(t *testing.T) {
	dir := t.TempDir()
	first, second := filepath.Join(dir, "first.pid"), filepath.Join(dir, "second.pid")
	conf := filepath.Join(dir, "leafhub.conf")
	write := func(pid string) {
		if err := os.WriteFile(conf, []byte(fmt.Sprintf("listen: 127.0.0.1:-1\npid_file: %q\n", pid)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(first)
	stderr := &lockedBuffer{}
	cmd := exec.Command(leafhubBinary(t), "-c", conf)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	waitListening(t, stderr)
	write(second)
	_ = cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, 5*time.Second, func() error {
		b, err := os.ReadFile(second)
		if err != nil || string(b) != strconv.Itoa(cmd.Process.Pid) {
			return fmt.Errorf("second pid file: %q %v\n%s", b, err, stderr.String())
		}
		return nil
	})
	if !strings.Contains(stderr.String(), `"changed": ["pid_file"]`) {
		t.Errorf("the reload log does not name pid_file:\n%s", stderr.String())
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(t, cmd, 10*time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	for _, f := range []string{first, second} {
		if _, err := os.Stat(f); !os.IsNotExist(err) {
			t.Errorf("%s left behind: %v", f, err)
		}
	}
}

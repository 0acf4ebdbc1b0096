package tests

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/config"
)

// reloadWith parses conf as the server's new configuration and reloads it.
func reloadWith(t *testing.T, s *target, conf string) error {
	t.Helper()
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

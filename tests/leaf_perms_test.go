package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/monitor"
)

var connzClosed = monitor.ConnzOptions{State: "closed"}

// waitClosedLeaf waits until a target lists a closed leaf connection with
// the given reason.
func waitClosedLeaf(t testing.TB, s *target, reason string, timeout time.Duration) {
	t.Helper()
	eventually(t, timeout, func() error {
		if closedLeafs(t, s, reason) > 0 {
			return nil
		}
		return fmt.Errorf("no leaf closed with %q yet (closed: %q)", reason, closedLeafReasons(t, s))
	})
}

// TestLeafDenyImportsExports (L-41): our leaf's deny_imports keeps local
// interest from the hub and the hub's messages from us; deny_exports keeps
// our messages from the hub; deny_imports goes to the hub as deny_pub.
func TestLeafDenyImportsExports(t *testing.T) {
	hub := startNATS(t, hubConf+monitorConf)
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), `, deny_imports: ["secret.>"], deny_exports: ["priv.>"]`)+monitorConf)
	waitLeafs(t, hub, 1)
	lc, hc := connect(t, leaf.url), connect(t, hub.url)
	secret, _ := lc.SubscribeSync("secret.x")
	open, _ := lc.SubscribeSync("open.x")
	_ = lc.Flush()
	waitInterest(t, hub, "open.x", true)
	if hub.hasInterest(t, "secret.x") {
		t.Fatal("deny_imports: the hub learned our interest in secret.x")
	}
	// The hub knows our deny_pub, so a hub client's secret.x never reaches us,
	// and a message the hub did send on it would be dropped here.
	_ = hc.Publish("secret.x", nil)
	_ = hc.Publish("open.x", nil)
	if _, err := open.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := secret.NextMsg(200 * time.Millisecond); err == nil {
		t.Fatal("deny_imports: a hub message on secret.x reached a local subscriber")
	}
	priv, _ := hc.SubscribeSync("priv.a")
	pub, _ := hc.SubscribeSync("pub.a")
	_ = hc.Flush()
	waitInterest(t, leaf, "pub.a", true)
	// The hub's LS+ for a subject we may not export is ignored (spec 12.2).
	if leaf.hasInterest(t, "priv.a") {
		t.Fatal("deny_exports: the hub's interest in priv.a was accepted")
	}
	_ = lc.Publish("priv.a", nil)
	_ = lc.Publish("pub.a", nil)
	if _, err := pub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := priv.NextMsg(200 * time.Millisecond); err == nil {
		t.Fatal("deny_exports: a local publish on priv.a reached the hub")
	}
	var v struct {
		Leaf struct {
			Remotes []struct {
				Deny struct{ Imports, Exports []string } `json:"deny"`
			} `json:"remotes"`
		} `json:"leaf"`
	}
	getJSON(t, leaf.monitor+"/varz", &v)
	if d := v.Leaf.Remotes[0].Deny; len(d.Imports) != 1 || len(d.Exports) != 1 {
		t.Fatalf("varz deny %+v", v.Leaf.Remotes)
	}
}

// TestLeafMinVersion (L-52, spec 13): a hub with min_version sends the
// connect_info INFO, then the -ERR, and closes; a nats-server leaf is
// rejected; our leaf rejected by a nats-server hub waits 5 s extra.
func TestLeafMinVersion(t *testing.T) {
	conf := "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, min_version: \"2.99.0\" }\n"
	both(t, conf, func(t *testing.T, hub *target) {
		r := dialLeafRaw(t, hub)
		r.send(`CONNECT {"name":"OLD","protocol":1}` + "\r\n")
		lines := r.expectClosed(5 * time.Second)
		if len(lines) < 2 || !strings.Contains(lines[0], `"connect_info":true`) ||
			!contains(lines, `-ERR 'connection rejected since minimum version required is "2.99.0"'`) {
			t.Fatalf("lines %q", lines)
		}
		startNATS(t, leafConf("NSLEAF", hub.leafPort(t), ""))
		if hub.hub != nil {
			waitClosedLeaf(t, hub, "Minimum Version Required", 5*time.Second)
		}
	})
	hub := startNATS(t, conf)
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), ""))
	eventually(t, 5*time.Second, func() error {
		st := leaf.hub.Remotes()[0]
		if st.State != "waiting" || !strings.Contains(st.Reason, "minimum version required") {
			return fmt.Errorf("remote %+v", st)
		}
		if w := st.NextAttempt.Sub(st.Since); w < 5*time.Second || w > 5500*time.Millisecond {
			return fmt.Errorf("waits %v, want 5 s plus the interval", w)
		}
		return nil
	})
}

// TestLeafAcceptedHubPermissions (spec 12): an accepted leaf that declares
// itself a hub (is_hub) still gets its user's permissions reversed, as
// every accepted leaf: its interest, and our deliveries to it, only where
// the user may subscribe; its messages only where the user may publish.
// Being the spoke of that link, we also drop its JetStream API messages,
// even where the user may publish.
func TestLeafAcceptedHubPermissions(t *testing.T) {
	conf := `server_name: HUB
authorization { users [ {user: leafu, password: p, permissions: {publish: ["pub.>", "$JS.API.>"], subscribe: "sub.>"}}, {user: cli, password: p} ] }
leafnodes { listen: 127.0.0.1:-1 }
`
	both(t, conf, func(t *testing.T, hub *target) {
		r := dialLeafRaw(t, hub)
		r.leafHandshake(`CONNECT {"user":"leafu","pass":"p","name":"RAW","cluster":"RAW","is_hub":true,"headers":true,"protocol":1}` + "\r\n")
		r.send("LS+ sub.x\r\nLS+ pub.y\r\n")
		r.expectOpen()
		waitInterest(t, hub, "sub.x", true)
		if hub.hasInterest(t, "pub.y") {
			t.Fatal("took the leaf's interest in pub.y, which its user may not subscribe to")
		}
		nc := connect(t, hub.url, nats.UserInfo("cli", "p"))
		js, _ := nc.SubscribeSync("$JS.API.INFO")
		denied, _ := nc.SubscribeSync("sub.w")
		allowed, _ := nc.SubscribeSync("pub.z")
		_ = nc.Flush()
		_ = nc.Publish("sub.x", []byte("down"))
		_ = nc.Flush()
		r.lineUntil(func(l string) bool {
			if l == "PING" {
				r.send("PONG\r\n")
			}
			return strings.HasPrefix(l, "LMSG sub.x")
		})
		r.send("LMSG $JS.API.INFO 1\r\nj\r\nLMSG sub.w 1\r\nw\r\nLMSG pub.z 1\r\nz\r\n")
		if m, err := allowed.NextMsg(5 * time.Second); err != nil || string(m.Data) != "z" {
			t.Fatalf("pub.z from the leaf: %v %v", m, err)
		}
		// Sent before pub.z on the same link: had they passed, they would be here.
		for _, s := range []*nats.Subscription{js, denied} {
			if n, _, _ := s.Pending(); n != 0 {
				t.Fatalf("%s from the leaf was delivered", s.Subject)
			}
		}
		r.expectOpen() // a spoke drops them silently
	})
}

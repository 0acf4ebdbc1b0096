package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/protocol"
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

// leafKinds are the hub/leaf combinations of the permission interop tests:
// every pairing of pairs plus nats-server on both ends, the reference.
var leafKinds = append([][2]string{{"nats-server", "nats-server"}}, pairs...)

// leafMsgs are the messages a target received from and sent to its only
// leaf connection, as its /leafz counts them.
func leafMsgs(t testing.TB, s *target) (in, out int64) {
	t.Helper()
	if s.ns != nil {
		z, err := s.ns.Leafz(nil)
		if err != nil || len(z.Leafs) != 1 {
			t.Fatalf("nats-server leafz: %v %+v", err, z)
		}
		return z.Leafs[0].InMsgs, z.Leafs[0].OutMsgs
	}
	z, err := s.hub.Leafz(leafzAll)
	if err != nil || len(z.Leafs) != 1 {
		t.Fatalf("leafhub leafz: %v %+v", err, z)
	}
	return z.Leafs[0].InMsgs, z.Leafs[0].OutMsgs
}

// permCase is one subscription of a permission table: its subject and how
// many of the published messages it must receive.
type permCase struct {
	subject string
	want    int
}

// runPermTable subscribes every case on sc, waits until pc's server has
// interest in each of ready, publishes subjects in order from pc (the
// last one a sentinel every case list has a wildcard for), and checks
// each subscription's count once the sentinel arrived: messages from one
// publisher keep their order across the link, so anything still missing
// then was not delivered. The subscriptions end with it.
func runPermTable(t *testing.T, sc, pc *nats.Conn, pcSide *target, cases []permCase, ready, subjects []string) {
	t.Helper()
	subs := make([]*nats.Subscription, len(cases))
	for i, c := range cases {
		var err error
		if subs[i], err = sc.SubscribeSync(c.subject); err != nil {
			t.Fatal(err)
		}
	}
	_ = sc.Flush()
	for _, s := range ready {
		waitInterest(t, pcSide, s, true)
	}
	for _, s := range subjects {
		_ = pc.Publish(s, []byte(s))
	}
	_ = pc.Flush()
	sentinel := subjects[len(subjects)-1]
	eventually(t, 5*time.Second, func() error {
		for i, c := range cases {
			if protocol.SubjectMatches(c.subject, sentinel) {
				if n, _, _ := subs[i].Pending(); n < c.want {
					return fmt.Errorf("%q has %d messages, want %d (published %q)", c.subject, n, c.want, subjects)
				}
				return nil
			}
		}
		return fmt.Errorf("no case covers the sentinel %q", sentinel)
	})
	for i, c := range cases {
		var got []string
		for {
			m, err := subs[i].NextMsg(0)
			if err != nil {
				break
			}
			got = append(got, m.Subject)
		}
		if len(got) != c.want {
			t.Errorf("subscriber %q got %q, want %d messages", c.subject, got, c.want)
		}
		_ = subs[i].Unsubscribe()
	}
	// Gone before the next table, whose interest checks must see the
	// other side's interest, not these.
	_ = sc.Flush()
}

// TestLeafUserPermissionsInterop (audit4 #8, reaudit34 #1, #2): a leaf
// bound on its hub to a user with publish and subscribe allow and deny
// lists, in every pairing. Hub to leaf: only what the user may subscribe
// to arrives, and a local wildcard broader than that (">", "*.x") is still
// announced, as nats-server's leaf does (a wildcard that reverse-matches an
// allowed subject is allowed on a leaf connection), so it gets the allowed
// messages. Leaf to hub: only what the user may publish, even to a hub
// wildcard; the leaf never sends what would be a violation (the link stays).
func TestLeafUserPermissionsInterop(t *testing.T) {
	hubExtra := `authorization { users [
  {user: leafu, password: p, permissions: {publish: {allow: ["up.>"], deny: ["up.secret"]}, subscribe: {allow: ["down.>"], deny: ["down.secret"]}}}
  {user: cli, password: p}
] }
`
	for _, k := range leafKinds {
		t.Run("hub="+k[0]+"/leaf="+k[1], func(t *testing.T) {
			hub := startKind[k[0]](t, hubConf+hubExtra)
			leaf := startKind[k[1]](t, fmt.Sprintf("server_name: LEAF\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://leafu:p@127.0.0.1:%d\" } ] }\n", hub.leafPort(t)))
			waitLeafs(t, hub, 1)
			waitLeafs(t, leaf, 1)
			lc, hc := connect(t, leaf.url), connect(t, hub.url, nats.UserInfo("cli", "p"))
			// "*.x" is the only interest in down.x, so the hub has it only
			// if the leaf announced it.
			runPermTable(t, lc, hc, hub, []permCase{
				{"down.a", 1}, {"down.secret", 0}, {"other.a", 0}, {"*.x", 1},
			}, []string{"down.a", "down.x"}, []string{"down.a", "down.secret", "other.a", "other.x", "down.x"})
			runPermTable(t, lc, hc, hub, []permCase{{">", 2}},
				[]string{"down.w"}, []string{"other.b", "down.secret", "down.b", "down.zz"})
			runPermTable(t, hc, lc, leaf, []permCase{
				{"up.a", 1}, {"up.secret", 0}, {"other.b", 0}, {">", 2},
			}, []string{"up.a", "up.w"}, []string{"up.a", "up.secret", "other.b", "up.zz"})
			if in, _ := leafMsgs(t, hub); in != 2 {
				t.Errorf("the hub received %d messages from the leaf, want 2", in)
			}
			if r := closedLeafReasons(t, hub); len(r) != 0 {
				t.Errorf("the hub closed leaf connections: %q", r)
			}
		})
	}
}

// TestLeafDenyImportsExportsInterop (audit4 #8, reaudit34 #2): a leaf with
// deny_imports and deny_exports, in every pairing. The hub honours the
// CONNECT deny_pub: it does not even send what the leaf denies importing
// (its out_msgs), whatever the leaf's wildcard interest; the leaf sends
// nothing it denies exporting, whatever the hub's (the hub's in_msgs).
func TestLeafDenyImportsExportsInterop(t *testing.T) {
	for _, k := range leafKinds {
		t.Run("hub="+k[0]+"/leaf="+k[1], func(t *testing.T) {
			hub := startKind[k[0]](t, hubConf)
			leaf := startKind[k[1]](t, leafConf("LEAF", hub.leafPort(t), `, deny_imports: ["secret.>"], deny_exports: ["priv.>"]`))
			waitLeafs(t, hub, 1)
			waitLeafs(t, leaf, 1)
			lc, hc := connect(t, leaf.url), connect(t, hub.url)
			runPermTable(t, lc, hc, hub, []permCase{{"secret.a", 0}, {">", 2}},
				[]string{"open.a"}, []string{"secret.a", "open.a", "open.zz"})
			if _, out := leafMsgs(t, hub); out != 2 {
				t.Errorf("the hub sent %d messages to the leaf, want 2 (none on secret.>)", out)
			}
			runPermTable(t, hc, lc, leaf, []permCase{{"priv.a", 0}, {">", 2}},
				[]string{"open.b"}, []string{"priv.a", "open.b", "open.zy"})
			if in, _ := leafMsgs(t, hub); in != 2 {
				t.Errorf("the hub received %d messages from the leaf, want 2 (none on priv.>)", in)
			}
		})
	}
}

// TestLeafSpokeWildcardAnnounce (reaudit34 #1): a leaf bound on a
// nats-server hub to a user that may subscribe to "sub.>" only. A local
// wildcard broader than that is announced all the same, as nats-server's
// leaf does (client.go, canSubscribe: on a leaf connection a wildcard that
// matches no allow entry is allowed when it reverse-matches one), and the
// hub then sends what the user may receive: in the interest the leaf sends
// on connecting (">" here) and in later updates ("*.x").
func TestLeafSpokeWildcardAnnounce(t *testing.T) {
	for _, kind := range []string{"nats-server", "leafhub"} {
		t.Run("leaf="+kind, func(t *testing.T) {
			port := freePort(t)
			leaf := startKind[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://leafu:p@127.0.0.1:%d\" } ] }\n", port))
			lc := connect(t, leaf.url)
			wild, _ := lc.SubscribeSync(">")
			_ = lc.Flush()
			hub := startNATS(t, fmt.Sprintf(`server_name: HUB
authorization { users [ {user: leafu, password: p, permissions: {publish: "pub.>", subscribe: "sub.>"}}, {user: cli, password: p} ] }
leafnodes { listen: 127.0.0.1:%d }
`, port))
			waitLeafs(t, leaf, 1)
			waitInterest(t, hub, "sub.x", true)
			hc := connect(t, hub.url, nats.UserInfo("cli", "p"))
			_ = hc.Publish("other.x", nil)
			_ = hc.Publish("sub.x", nil)
			if m, err := wild.NextMsg(5 * time.Second); err != nil || m.Subject != "sub.x" {
				t.Fatalf("'>' announced on connecting: %v %v, want sub.x", m, err)
			}
			_ = wild.Unsubscribe()
			_ = lc.Flush()
			waitInterest(t, hub, "sub.x", false)
			star, _ := lc.SubscribeSync("*.x")
			_ = lc.Flush()
			waitInterest(t, hub, "sub.x", true)
			_ = hc.Publish("other.x", nil)
			_ = hc.Publish("sub.x", nil)
			if m, err := star.NextMsg(5 * time.Second); err != nil || m.Subject != "sub.x" {
				t.Fatalf("'*.x' announced later: %v %v, want sub.x", m, err)
			}
		})
	}
}

// TestLeafDenyImportsUp: on a soliciting leaf, the subscribe deny list
// (deny_imports, or the hub's import deny for the leaf's user) also keeps
// messages from going up once the hub's interest is a wildcard or queue
// subscription that collides with it, as nats-server's deny filter does:
// with a hub subscriber on ">", a leaf publish to private.a stays on the
// leaf; leafhub and nats-server as the leaf.
func TestLeafDenyImportsUp(t *testing.T) {
	start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
	for _, tc := range []struct{ name, hubUser, remote string }{
		{"deny_imports", "", `, deny_imports: ["private.*"]`},
		{"hub import deny", `permissions: {subscribe: {deny: "private.*"}}`, ""},
	} {
		for _, kind := range []string{"leafhub", "nats-server"} {
			t.Run(tc.name+"/leaf="+kind, func(t *testing.T) {
				port := freePort(t)
				hub := startNATS(t, fmt.Sprintf("server_name: HUB\nauthorization { users [ {user: leafu, password: p, %s}, {user: cli, password: p} ] }\nleafnodes { listen: 127.0.0.1:%d }\n", tc.hubUser, port))
				leaf := start[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://leafu:p@127.0.0.1:%d\"%s } ] }\n", port, tc.remote))
				waitLeafs(t, hub, 1)
				hc := connect(t, hub.url, nats.UserInfo("cli", "p"))
				all, _ := hc.SubscribeSync(">")
				_ = hc.Flush()
				waitInterest(t, leaf, "anything", true)
				lc := connect(t, leaf.url)
				_ = lc.Publish("private.a", nil)
				_ = lc.Publish("ok", nil)
				_ = lc.Flush()
				m, err := all.NextMsg(5 * time.Second)
				if err != nil || m.Subject != "ok" {
					t.Fatalf("the hub's > subscriber got %v %v first, want only ok", m, err)
				}
			})
		}
	}
}

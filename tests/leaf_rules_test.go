package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/conn"
	lhub "github.com/leafhub/leafhub/actors/hub"
	"github.com/leafhub/leafhub/actors/remote"
)

// TestLeafIsolation (L-24, spec 3.6): an isolated connection is not told
// about interest learned from other leafs (east-west), only about the hub's
// own (north-south); the interest it sends is still propagated.
func TestLeafIsolation(t *testing.T) {
	for _, tc := range []struct {
		name, hubExtra, leafAExtra string
		bHearsA                    bool // is B told of A's interest
	}{
		{"hub isolates every leaf", ", isolate_leafnode_interest: true", "", false},
		{"leaf A requests isolation", "", ", request_isolation: true", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			both(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1"+tc.hubExtra+" }\n", func(t *testing.T, hub *target) {
				a := startNATS(t, leafConf("A", hub.leafPort(t), tc.leafAExtra))
				b := startNATS(t, leafConf("B", hub.leafPort(t), ""))
				waitLeafs(t, hub, 2)
				ac, bc, hc := connect(t, a.url), connect(t, b.url), connect(t, hub.url)
				_, _ = ac.SubscribeSync("iso.a")
				_, _ = bc.SubscribeSync("iso.b")
				_, _ = hc.SubscribeSync("iso.hub")
				for _, nc := range []*nats.Conn{ac, bc, hc} {
					_ = nc.Flush()
				}
				// North-south interest reaches everybody; the hub hears both leafs.
				waitInterest(t, a, "iso.hub", true)
				waitInterest(t, b, "iso.hub", true)
				waitInterest(t, hub, "iso.a", true)
				waitInterest(t, hub, "iso.b", true)
				// East-west: A never hears B; B hears A only if A is the one isolated.
				waitInterest(t, b, "iso.a", tc.bHearsA)
				if a.hasInterest(t, "iso.b") {
					t.Fatal("isolated leaf A was told of leaf B's interest")
				}
			})
		})
	}
}

// TestLeafSpokeRestriction (L-23): leafhub with two remotes to two
// independent nats-server hubs never announces one hub's interest to the other.
func TestLeafSpokeRestriction(t *testing.T) {
	h1 := startNATS(t, "server_name: H1\nleafnodes { listen: 127.0.0.1:-1 }\n")
	h2 := startNATS(t, "server_name: H2\nleafnodes { listen: 127.0.0.1:-1 }\n")
	leaf := startLeafhub(t, fmt.Sprintf(`server_name: EDGE
leafnodes { reconnect: "100ms", remotes [ { url: "nats://127.0.0.1:%d" }, { url: "nats://127.0.0.1:%d" } ] }
`, h1.leafPort(t), h2.leafPort(t)))
	waitLeafs(t, leaf, 2)
	c1, lc := connect(t, h1.url), connect(t, leaf.url)
	_, _ = c1.SubscribeSync("only.h1")
	_, _ = lc.SubscribeSync("local.edge")
	_ = c1.Flush()
	_ = lc.Flush()
	waitInterest(t, leaf, "only.h1", true)
	waitInterest(t, h2, "local.edge", true) // local interest goes to both hubs
	waitInterest(t, h1, "local.edge", true)
	if h2.hasInterest(t, "only.h1") {
		t.Fatal("hub 2 learned hub 1's interest through the leaf")
	}
	// A leaf publish reaches the hub that wants it.
	sub, _ := c1.SubscribeSync("to.h1")
	_ = c1.Flush()
	waitInterest(t, leaf, "to.h1", true)
	_ = lc.Publish("to.h1", nil)
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// TestLeafAuthorizationAccounts (L-36): leafnode users bind accounts; a
// wrong password is refused and the (leafhub) leaf keeps retrying, its
// remote status naming the hub's error.
func TestLeafAuthorizationAccounts(t *testing.T) {
	hubExtra := `accounts { A { users [ {user: a, password: p} ] } }
leafnodes { listen: 127.0.0.1:-1, authorization { users [ {user: leafu, password: leafp, account: A} ] } }
`
	both(t, "server_name: HUB\n"+hubExtra, func(t *testing.T, hub *target) {
		port := hub.leafPort(t)
		good := startNATS(t, fmt.Sprintf("server_name: GOOD\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://leafu:leafp@127.0.0.1:%d\" } ] }\n", port))
		waitLeafs(t, hub, 1)
		ac := connect(t, hub.url, nats.UserInfo("a", "p"))
		sub, _ := ac.SubscribeSync("in.a")
		_ = ac.Flush()
		gc := connect(t, good.url)
		eventually(t, 5*time.Second, func() error {
			_ = gc.Publish("in.a", nil)
			_, err := sub.NextMsg(100 * time.Millisecond)
			return err
		})
		if hub.hub != nil {
			z, err := hub.hub.Leafz(leafzAll)
			if err != nil || len(z.Leafs) != 1 || z.Leafs[0].Account != "A" || z.Leafs[0].Name != "GOOD" {
				t.Fatalf("leafz %+v %v", z, err)
			}
		}
		bad := startLeafhub(t, fmt.Sprintf("server_name: BAD\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://leafu:wrong@127.0.0.1:%d\" } ] }\n", port))
		eventually(t, 5*time.Second, func() error {
			st := bad.hub.Remotes()[0]
			if st.Connects < 3 || !strings.Contains(st.Reason, "Authorization Violation") {
				return fmt.Errorf("remote %+v", st)
			}
			return nil
		})
		if n := hub.numLeafs(t); n != 1 {
			t.Fatalf("%d leaf connections, want only the good one", n)
		}
	})
}

// TestLeafCredentialsInURL (L-37, partly): leafhub solicits a nats-server
// hub with a user and password, and with a token, from the remote URL.
func TestLeafCredentialsInURL(t *testing.T) {
	for _, tc := range []struct{ name, auth, userinfo string }{
		{"user and password", "leafnodes { listen: 127.0.0.1:-1, authorization { user: lu, password: lp } }", "lu:lp@"},
		{"token", "authorization { token: s3cr3t }\nleafnodes { listen: 127.0.0.1:-1 }", "s3cr3t@"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := startNATS(t, "server_name: HUB\n"+tc.auth+"\n")
			startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://%s127.0.0.1:%d\" } ] }\n", tc.userinfo, hub.leafPort(t)))
			waitLeafs(t, hub, 1)
		})
	}
}

// TestLeafRedialTiming (L-34): a remote to a closed port retries every
// interval plus up to one interval of jitter, and says so in its status.
func TestLeafRedialTiming(t *testing.T) {
	port := freePort(t)
	leaf := startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"200ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", port))
	start := time.Now()
	eventually(t, 10*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; st.Attempts < 4 {
			return fmt.Errorf("attempts %d", st.Attempts)
		}
		return nil
	})
	// Four attempts: three waits of 200–400 ms each.
	if d := time.Since(start); d < 550*time.Millisecond || d > 3*time.Second {
		t.Fatalf("four attempts took %v, want 0.6–1.2 s", d)
	}
	st := leaf.hub.Remotes()[0]
	if !strings.Contains(st.Reason, "dial 127.0.0.1") || (st.State != "waiting" && st.State != "connecting") {
		t.Fatalf("status %+v", st)
	}
}

// TestLeafDiscoveredURLs (L-35, L-16): against a two-server nats-server
// cluster, our leaf learns the second server's leafnode URL from INFO and
// fails over to it when the first stops; with ignore_discovered_servers it
// does not.
func TestLeafDiscoveredURLs(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run(fmt.Sprintf("ignore=%v", ignore), func(t *testing.T) {
			c1Port := freePort(t)
			cluster := func(name string, own int, peer string) string {
				return fmt.Sprintf("server_name: %s\ncluster { name: C, listen: 127.0.0.1:%d %s }\nleafnodes { listen: 127.0.0.1:-1 }\n", name, own, peer)
			}
			s1 := startNATS(t, cluster("S1", c1Port, ""))
			s2 := startNATS(t, cluster("S2", freePort(t), fmt.Sprintf(", routes [ \"nats://127.0.0.1:%d\" ]", c1Port)))
			eventually(t, 10*time.Second, func() error {
				if s1.ns.NumRoutes() == 0 {
					return fmt.Errorf("no route yet")
				}
				return nil
			})
			extra := ""
			if ignore {
				extra = ", ignore_discovered_servers: true"
			}
			leaf := startLeafhub(t, leafConf("EDGE", s1.leafPort(t), extra))
			waitLeafs(t, leaf, 1)
			want := fmt.Sprintf("127.0.0.1:%d", s2.leafPort(t))
			if !ignore {
				eventually(t, 10*time.Second, func() error {
					if urls := leaf.hub.Remotes()[0].URLs; !strings.Contains(strings.Join(urls, " "), want) {
						return fmt.Errorf("urls %v lack %s", urls, want)
					}
					return nil
				})
			}
			shutdownTarget(t, s1)
			if ignore {
				waitLeafs(t, leaf, 0)
				// Three more attempts, all at the dead first server.
				before := leaf.hub.Remotes()[0].Attempts
				eventually(t, 10*time.Second, func() error {
					if st := leaf.hub.Remotes()[0]; st.Attempts < before+3 {
						return fmt.Errorf("attempts %d", st.Attempts)
					}
					return nil
				})
				if s2.ns.NumLeafNodes() != 0 {
					t.Fatal("the leaf used a discovered URL although told to ignore them")
				}
				return
			}
			eventually(t, 10*time.Second, func() error {
				if s2.ns.NumLeafNodes() != 1 {
					return fmt.Errorf("not failed over yet")
				}
				return nil
			})
		})
	}
}

// TestLeafHubRolePermissions (L-40): a leaf bound to a user with permissions
// gets them reversed: the hub delivers only what the user may subscribe to,
// announces only what it may publish, and refuses an LMSG outside its
// publish permissions with -ERR and a close.
func TestLeafHubRolePermissions(t *testing.T) {
	conf := `server_name: HUB
authorization { users [ {user: leafu, password: p, permissions: {publish: "pub.>", subscribe: "sub.>"}}, {user: cli, password: p} ] }
leafnodes { listen: 127.0.0.1:-1 }
`
	both(t, conf, func(t *testing.T, hub *target) {
		r := dialLeafRaw(t, hub)
		info := r.leafHandshake(`CONNECT {"user":"leafu","pass":"p","name":"RAW","cluster":"RAW","headers":true,"protocol":1}` + "\r\n")
		if !strings.Contains(info, `"import":{"allow":["sub.\u003e"]}`) || !strings.Contains(info, `"export":{"allow":["pub.\u003e"]}`) {
			t.Fatalf("connect_info INFO lacks import/export: %q", info)
		}
		nc := connect(t, hub.url, nats.UserInfo("cli", "p"))
		_, _ = nc.SubscribeSync("pub.ok")
		_, _ = nc.SubscribeSync("other.x")
		_ = nc.Flush()
		for _, l := range r.lsLines() {
			if strings.Contains(l, "other.x") {
				t.Fatalf("announced %q outside the user's publish permission", l)
			}
		}
		r.send("LS+ sub.>\r\n")
		r.expectOpen()
		waitInterest(t, hub, "sub.x", true)
		_ = nc.Publish("sub.x", []byte("ok"))
		_ = nc.Flush()
		got := false
		for !got {
			l := r.line()
			switch {
			case l == "PING":
				r.send("PONG\r\n")
			case strings.HasPrefix(l, "LMSG sub.x"):
				got = true
			}
		}
		r.send("LMSG other 2\r\nno\r\n")
		lines := r.expectClosed(5 * time.Second)
		if !contains(lines, `-ERR 'Permissions Violation for Publish to "other"'`) {
			t.Fatalf("lines %q", lines)
		}
	})
}

// TestLeafSameClusterDelay (L-33, spec 5.2): a hub that refuses us with
// "remote leafnode has same cluster name" makes the remote wait the
// same-cluster delay plus one interval; the delay is nats-server's 30 s
// unless a test shortens it.
func TestLeafSameClusterDelay(t *testing.T) {
	hub := startNATS(t, fmt.Sprintf("server_name: HUB\ncluster { name: EDGE, listen: 127.0.0.1:%d }\nleafnodes { listen: 127.0.0.1:-1 }\n", freePort(t)))
	conf := leafConf("EDGE", hub.leafPort(t), "") // our cluster name is our server name: EDGE
	for _, tc := range []struct {
		name  string
		delay time.Duration
	}{{"default", conn.DefaultSameClusterDelay}, {"shortened", 700 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			leaf := startLeafhubWith(t, conf, func(s *lhub.Server) {
				d := conn.DefaultLeafDelays()
				d.SameCluster = tc.delay
				s.SetLeafDelays(d)
			})
			var st *remote.Status
			eventually(t, 5*time.Second, func() error {
				st = leaf.hub.Remotes()[0]
				if st.State != "waiting" || !strings.Contains(st.Reason, "remote leafnode has same cluster name") {
					return fmt.Errorf("remote %+v", st)
				}
				return nil
			})
			wait := st.NextAttempt.Sub(st.Since)
			want := tc.delay + 100*time.Millisecond // plus the reconnect interval
			if wait < want-50*time.Millisecond || wait > want+200*time.Millisecond {
				t.Fatalf("waits %v, want about %v", wait, want)
			}
			if tc.name == "shortened" {
				// And it does dial again after that.
				eventually(t, 5*time.Second, func() error {
					if leaf.hub.Remotes()[0].Connects < 2 {
						return fmt.Errorf("no second attempt yet")
					}
					return nil
				})
			}
		})
	}
}

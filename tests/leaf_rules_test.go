package tests

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/conn"
	lhub "github.com/leafhub/leafhub/actors/hub"
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
				if tc.bHearsA {
					waitInterest(t, b, "iso.a", true)
				}
				// The hub knew both leafs' interest before this one: once the
				// leafs hear it, anything the hub was to forward has arrived.
				_, _ = hc.SubscribeSync("iso.late")
				_ = hc.Flush()
				waitInterest(t, a, "iso.late", true)
				waitInterest(t, b, "iso.late", true)
				throughout(t, 200*time.Millisecond, func() error {
					if a.hasInterest(t, "iso.b") {
						return fmt.Errorf("isolated leaf A was told of leaf B's interest")
					}
					if !tc.bHearsA && b.hasInterest(t, "iso.a") {
						return fmt.Errorf("leaf B was told of leaf A's interest through an isolating hub")
					}
					return nil
				})
			})
		})
	}
	// TOP <- MID <- BOTTOM, MID with the global isolate_leafnode_interest:
	// it also covers the link MID solicits, so TOP hears MID's own interest
	// but not BOTTOM's.
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run("chain, middle "+kind+" isolates", func(t *testing.T) {
			start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}[kind]
			top := startNATS(t, "server_name: TOP\nleafnodes { listen: 127.0.0.1:-1 }\n")
			mid := start(t, fmt.Sprintf("server_name: MID\nleafnodes { listen: 127.0.0.1:-1, isolate_leafnode_interest: true, reconnect: \"100ms\", "+
				"remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", top.leafPort(t)))
			bottom := startNATS(t, leafConf("BOTTOM", mid.leafPort(t), ""))
			waitLeafs(t, top, 1)
			waitLeafs(t, mid, 2)
			waitLeafs(t, bottom, 1)
			// Subscribed once the links are up: interest that existed before
			// MID's link to TOP came up would be in its first dump.
			bc, mc := connect(t, bottom.url), connect(t, mid.url)
			_, _ = bc.SubscribeSync("iso.bottom")
			_ = bc.Flush()
			waitInterest(t, mid, "iso.bottom", true)
			_, _ = mc.SubscribeSync("iso.mid")
			_ = mc.Flush()
			// MID's own interest went to TOP after BOTTOM's would have.
			waitInterest(t, top, "iso.mid", true)
			throughout(t, 300*time.Millisecond, func() error {
				if top.hasInterest(t, "iso.bottom") {
					return fmt.Errorf("TOP was told of BOTTOM's interest through an isolating MID (%s)", mid.name)
				}
				return nil
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
	// The leaf knew only.h1 before this: once hub 2 hears it, anything the
	// leaf was to announce to hub 2 has arrived.
	_, _ = lc.SubscribeSync("late.edge")
	_ = lc.Flush()
	waitInterest(t, h2, "late.edge", true)
	throughout(t, 200*time.Millisecond, func() error {
		if h2.hasInterest(t, "only.h1") {
			return fmt.Errorf("hub 2 learned hub 1's interest through the leaf")
		}
		return nil
	})
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
// remote status naming the hub's error; a refused connection is an attempt,
// not a connect.
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
			if st.Attempts < 3 || !strings.Contains(st.Reason, "Authorization Violation") {
				return fmt.Errorf("remote %+v", st)
			}
			return nil
		})
		throughout(t, 300*time.Millisecond, func() error {
			if st := bad.hub.Remotes()[0]; st.Connects != 0 || st.State == "connected" {
				return fmt.Errorf("a refused remote counts as connected: %+v", st)
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
// fails over to it when the first stops, also after its remote actor
// restarted in between; with ignore_discovered_servers it does not.
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
				// The learned URLs outlive a restart of the remote actor.
				faultRemote(t, leaf)
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
			st := waitSameClusterWait(t, leaf)
			wait := st.NextAttempt.Sub(st.Since)
			want := tc.delay + 100*time.Millisecond // plus the reconnect interval
			if wait < want-50*time.Millisecond || wait > want+200*time.Millisecond {
				t.Fatalf("waits %v, want about %v", wait, want)
			}
			if tc.name == "shortened" {
				// And it does dial again after that.
				eventually(t, 5*time.Second, func() error {
					if leaf.hub.Remotes()[0].Attempts < 2 {
						return fmt.Errorf("no second attempt yet")
					}
					return nil
				})
			}
		})
	}
}

// fakeHub is a leafnode port played by the test: it accepts the leaf's
// dials one by one and speaks the protocol by hand.
type fakeHub struct {
	t  *testing.T
	ln *net.TCPListener
}

func newFakeHub(t *testing.T) *fakeHub {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return &fakeHub{t: t, ln: ln.(*net.TCPListener)}
}

func (h *fakeHub) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// accept waits up to d for the next dial (nil if none came).
func (h *fakeHub) accept(d time.Duration) *rawConn {
	_ = h.ln.SetDeadline(time.Now().Add(d))
	c, err := h.ln.Accept()
	if err != nil {
		return nil
	}
	h.t.Cleanup(func() { c.Close() })
	return &rawConn{t: h.t, c: c}
}

// handshake plays a hub's side up to a ready link: INFO, the leaf's
// CONNECT, the connect_info INFO, then the leaf's first LS+ or PING.
func (h *fakeHub) handshake(r *rawConn) {
	const info = `"server_id":"NFAKEHUB","name":"FAKE","version":"2.15.2","proto":1,"headers":true,"max_payload":1048576,"client_id":7`
	r.send("INFO {" + info + `,"info_on_connect":true}` + "\r\n")
	r.lineUntil(func(l string) bool { return strings.HasPrefix(l, "CONNECT ") })
	r.send("INFO {" + info + `,"connect_info":true,"remote_account":"$G"}` + "\r\n")
	r.lineUntil(func(l string) bool { return strings.HasPrefix(l, "LS+ ") || l == "PING" })
}

// lineUntil reads lines until one satisfies f.
func (r *rawConn) lineUntil(f func(string) bool) {
	r.t.Helper()
	for !f(r.line()) {
	}
}

// TestLeafSolicitedPublishViolationDelay (spec 5.2): on a link we solicit
// as its hub (remote hub: true), a message from the peer outside what the
// link may carry (our deny_exports, which nats-server checks on a hub-role
// link) gets the -ERR and a close, and the remote waits the permission
// violation delay before it dials again, as after an LS+ violation.
func TestLeafSolicitedPublishViolationDelay(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run(kind, func(t *testing.T) {
			hub := newFakeHub(t)
			conf := fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\", hub: true, deny_exports: [\"bad.>\"] } ] }\n", hub.port())
			const delay = 1500 * time.Millisecond // leafhub's, shortened; nats-server's is 30 s
			var leaf *target
			if kind == "leafhub" {
				leaf = startLeafhubWith(t, conf, func(s *lhub.Server) {
					d := conn.DefaultLeafDelays()
					d.PermViolation = delay
					s.SetLeafDelays(d)
				})
			} else {
				startNATS(t, conf)
			}
			r := hub.accept(5 * time.Second)
			if r == nil {
				t.Fatal("the leaf did not dial")
			}
			hub.handshake(r)
			r.send("LMSG bad.x 2\r\nno\r\n")
			lines := r.expectClosed(5 * time.Second)
			if !contains(lines, `-ERR 'Permissions Violation for Publish to "bad.x"'`) {
				t.Fatalf("lines %q", lines)
			}
			// Not at the reconnect interval.
			if again := hub.accept(time.Second); again != nil {
				t.Fatal("the leaf dialled again within a second of the violation (reconnect is 100ms)")
			}
			if leaf == nil {
				return
			}
			st := leaf.hub.Remotes()[0]
			if w := st.NextAttempt.Sub(st.Since); st.State != "waiting" || w < delay || w > delay+300*time.Millisecond {
				t.Fatalf("remote %+v waits %v, want the delay plus the interval", st, w)
			}
			if hub.accept(5*time.Second) == nil {
				t.Fatal("no dial after the delay")
			}
		})
	}
}

// TestLeafDiscoveredURLTLSName (spec 5.3): the URLs a hub advertises carry
// IPs; TLS to one checks the certificate against the hostname of the
// configured URL, as nats-server, so failing over to a cluster peer whose
// certificate names only localhost works.
func TestLeafDiscoveredURLTLSName(t *testing.T) {
	p := newPKI(t)
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run(kind, func(t *testing.T) {
			c1Port := freePort(t)
			cluster := func(name string, own int, peer string) string {
				return fmt.Sprintf("server_name: %s\ncluster { name: C, listen: 127.0.0.1:%d %s }\nleafnodes { listen: 127.0.0.1:-1, tls { cert_file: %q, key_file: %q } }\n",
					name, own, peer, p.localCert, p.localKey)
			}
			s1 := startNATS(t, cluster("S1", c1Port, ""))
			s2 := startNATS(t, cluster("S2", freePort(t), fmt.Sprintf(", routes [ \"nats://127.0.0.1:%d\" ]", c1Port)))
			peer := fmt.Sprintf("127.0.0.1:%d", s2.leafPort(t))
			eventually(t, 10*time.Second, func() error {
				if r := dialLeafRaw(t, s1); !strings.Contains(r.info, peer) {
					return fmt.Errorf("S1's INFO does not advertise %s yet", peer)
				}
				return nil
			})
			start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}[kind]
			start(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://localhost:%d\", %s } ] }\n",
				s1.leafPort(t), p.remoteTLS(p.ca, false, "")))
			waitLeafs(t, s1, 1)
			shutdownTarget(t, s1)
			waitLeafs(t, s2, 1)
		})
	}
}

// TestLeafProxyTLSMismatch: through a proxy, a hub that requires TLS and a
// remote without a tls block: refused before any handshake, as nats-server
// ("TLS configuration mismatch"); /remotez says so and the remote keeps
// dialling.
func TestLeafProxyTLSMismatch(t *testing.T) {
	p := newPKI(t)
	hub := startNATS(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, "+p.serverTLS("")+" }\n")
	proxy := startProxy(t, "")
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), fmt.Sprintf(", proxy: { url: %q }", proxy.url())))
	eventually(t, 5*time.Second, func() error {
		st := leaf.hub.Remotes()[0]
		if !strings.Contains(st.Reason, "TLS configuration mismatch: Hub requires TLS") || st.Attempts < 2 {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	if n := hub.ns.NumLeafNodes(); n != 0 {
		t.Fatalf("hub has %d leafs", n)
	}
}

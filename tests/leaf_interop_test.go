package tests

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/remote"
)

// TestLeafQueueGroupsAcrossLeaf, in both directions: with members on the
// far end only, each message crosses the leaf and reaches exactly one of
// them; a member on the publisher's end takes them all (local members
// win); once it leaves, the far members get them again.
func TestLeafQueueGroupsAcrossLeaf(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		eachWay(t, tp, func(t *testing.T, w way, far, near *target) {
			const n = 300
			subject := w.key + ".work"
			count := func(c *atomic.Int64) nats.MsgHandler { return func(*nats.Msg) { c.Add(1) } }
			fc1, fc2, nc := connect(t, far.url), connect(t, far.url), connect(t, near.url)
			var far1, far2, local atomic.Int64
			_, _ = fc1.QueueSubscribe(subject, "q", count(&far1))
			_, _ = fc2.QueueSubscribe(subject, "q", count(&far2))
			flushAll(fc1, fc2)
			waitInterest(t, near, subject, true)
			publish := func() {
				for i := 0; i < n; i++ {
					_ = nc.Publish(subject, nil)
				}
				_ = nc.Flush()
			}
			publish()
			deliveredOnce(t, n, &far1, &far2)
			if far1.Load() == 0 || far2.Load() == 0 {
				t.Fatalf("far members got %d and %d of %d: one was never chosen", far1.Load(), far2.Load(), n)
			}
			// A member next to the publisher: nothing crosses.
			localSub, _ := nc.QueueSubscribe(subject, "q", count(&local))
			_ = nc.Flush()
			far1.Store(0)
			far2.Store(0)
			publish()
			deliveredOnce(t, n, &local, &far1, &far2)
			if local.Load() != n {
				t.Fatalf("local member got %d of %d, far members %d and %d", local.Load(), n, far1.Load(), far2.Load())
			}
			// It leaves: the far members take over.
			_ = localSub.Unsubscribe()
			_ = nc.Flush()
			local.Store(0)
			publish()
			deliveredOnce(t, n, &local, &far1, &far2)
			if local.Load() != 0 {
				t.Fatalf("the member that left got %d", local.Load())
			}
		})
	})
}

// TestLeafHeadersAndLargePayloads: a message with headers and a payload
// just under 1 MB crosses the leaf intact in both directions, its reply
// subject too.
func TestLeafHeadersAndLargePayloads(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		eachWay(t, tp, func(t *testing.T, w way, far, near *target) {
			subject := w.key + ".big"
			fc, nc := connect(t, far.url), connect(t, near.url)
			sub, _ := fc.SubscribeSync(subject)
			_ = fc.Flush()
			waitInterest(t, near, subject, true)
			payload := bytes.Repeat([]byte("0123456789abcdef"), 1024*1024/16-64) // just under 1 MB with headers
			m := nats.NewMsg(subject)
			m.Header.Set("X-Hop", w.name)
			m.Header.Add("X-Multi", "a")
			m.Header.Add("X-Multi", "b")
			m.Reply = w.key + ".reply"
			m.Data = payload
			if err := nc.PublishMsg(m); err != nil {
				t.Fatal(err)
			}
			got, err := sub.NextMsg(10 * time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if got.Header.Get("X-Hop") != w.name || strings.Join(got.Header.Values("X-Multi"), ",") != "a,b" ||
				got.Reply != m.Reply || !bytes.Equal(got.Data, payload) {
				t.Fatalf("header %v, reply %q, %d bytes", got.Header, got.Reply, len(got.Data))
			}
		})
	})
}

// TestLeafManySubscriptionsPropagate: 10,000 subscriptions made on either
// end are announced to the other (nats-server counts them there), every one
// gets its message, and they are all withdrawn when their connection closes.
func TestLeafManySubscriptionsPropagate(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		eachWay(t, tp, func(t *testing.T, w way, far, near *target) {
			const n = 10000
			p := w.key + ".many."
			fc := connect(t, far.url)
			var got atomic.Int64
			for i := 0; i < n; i++ {
				if _, err := fc.Subscribe(fmt.Sprintf("%s%d", p, i), func(*nats.Msg) { got.Add(1) }); err != nil {
					t.Fatal(err)
				}
			}
			_ = fc.Flush()
			waitInterest(t, near, fmt.Sprintf("%s%d", p, n-1), true)
			waitInterest(t, near, p+"0", true)
			if near.ns != nil {
				eventually(t, 10*time.Second, func() error {
					if c := leafSubsWithPrefix(t, near, p); c != n {
						return fmt.Errorf("nats-server counts %d subscriptions on %s*, want %d", c, p, n)
					}
					for _, l := range leafViews(t, near, false) {
						if l.numSubs >= n {
							return nil
						}
					}
					return fmt.Errorf("nats-server's /leafz shows no link with %d subscriptions: %+v", n, leafViews(t, near, false))
				})
			}
			nc := connect(t, near.url)
			for i := 0; i < n; i++ {
				_ = nc.Publish(fmt.Sprintf("%s%d", p, i), nil)
			}
			_ = nc.Flush()
			eventually(t, 10*time.Second, func() error {
				if got.Load() != n {
					return fmt.Errorf("received %d of %d", got.Load(), n)
				}
				return nil
			})
			fc.Close()
			waitInterest(t, near, p+"0", false)
			waitInterest(t, near, fmt.Sprintf("%s%d", p, n-1), false)
			if near.ns != nil {
				eventually(t, 10*time.Second, func() error {
					if c := leafSubsWithPrefix(t, near, p); c != 0 {
						return fmt.Errorf("nats-server counts %d subscriptions on %s* after the close, want 0", c, p)
					}
					return nil
				})
			}
		})
	})
}

// TestLeafReconnectAfterHubRestart restarts the hub on the same port, in
// every role pairing (a nats-server leaf re-dialling a restarted leafhub
// too): the leaf reconnects, its interest is re-announced to the new hub,
// the new hub's interest reaches the leaf, and both ends' /leafz show it.
func TestLeafReconnectAfterHubRestart(t *testing.T) {
	for _, p := range pairs {
		t.Run("hub="+p[0]+"/leaf="+p[1], func(t *testing.T) {
			hub := startKind[p[0]](t, hubConf)
			port := hub.leafPort(t)
			leaf := startKind[p[1]](t, leafConf("LEAF", port, ""))
			waitLeafs(t, hub, 1)
			lc := connect(t, leaf.url)
			sub, _ := lc.SubscribeSync("again")
			_ = lc.Flush()
			waitInterest(t, hub, "again", true)

			shutdownTarget(t, hub)
			waitLeafs(t, leaf, 0)
			hub2 := startKind[p[0]](t, fmt.Sprintf("server_name: HUB\nleafnodes { listen: 127.0.0.1:%d }\n", port))
			waitLeafs(t, hub2, 1)
			waitLeafs(t, leaf, 1)
			waitInterest(t, hub2, "again", true)
			waitLeafCarries(t, hub2, "LEAF", "again", true)
			hc := connect(t, hub2.url)
			_ = hc.Publish("again", []byte("after restart"))
			if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "after restart" {
				t.Fatalf("after the restart: %v %v", m, err)
			}
			// The other way: interest made on the new hub.
			back, _ := hc.SubscribeSync("back")
			_ = hc.Flush()
			waitInterest(t, leaf, "back", true)
			waitLeafCarries(t, leaf, "HUB", "back", true)
			_ = lc.Publish("back", []byte("to the new hub"))
			if m, err := back.NextMsg(5 * time.Second); err != nil || string(m.Data) != "to the new hub" {
				t.Fatalf("leaf → new hub: %v %v", m, err)
			}
		})
	}
}

func shutdownTarget(t testing.TB, s *target) {
	if s.ns != nil {
		s.ns.Shutdown()
		s.ns.WaitForShutdown()
		return
	}
	if err := s.hub.Shutdown(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// accountInterest reports whether account acc of s has interest in subject.
func accountInterest(t testing.TB, s *target, acc, subject string) bool {
	t.Helper()
	if s.ns != nil {
		a, err := s.ns.LookupAccount(acc)
		return err == nil && a.SubscriptionInterest(subject)
	}
	ok, err := s.hub.AccountInterest(acc, subject)
	return err == nil && ok
}

// silentHub is a leafnode port that accepts dials and never speaks: each
// accepted connection is sent on conns and held open until the test ends.
type silentHub struct {
	ln    net.Listener
	name  string
	conns chan net.Conn
}

func startSilentHub(t *testing.T, name string, seen chan string) *silentHub {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &silentHub{ln: ln, name: name, conns: make(chan net.Conn, 100)}
	done := make(chan struct{})
	t.Cleanup(func() {
		ln.Close()
		<-done
		close(h.conns)
		for c := range h.conns {
			c.Close()
		}
	})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if seen != nil {
				select {
				case seen <- name:
				default:
				}
			}
			h.conns <- c
		}
	}()
	return h
}

func (h *silentHub) url() string { return "nats://" + h.ln.Addr().String() }

// next waits up to d for the next dial; nil if none came.
func (h *silentHub) next(d time.Duration) net.Conn {
	select {
	case c := <-h.conns:
		return c
	case <-time.After(d):
		return nil
	}
}

// TestLeafRemoteHubRole: a remote with hub: true solicits as the hub of
// its link. Both ends' /leafz swap is_spoke, and interest the soliciting
// server learned over another (spoke) link is announced on this one, which
// a spoke never does. nats-server in the soliciting role for reference.
func TestLeafRemoteHubRole(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		for _, hubRole := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/hub=%v", kind, hubRole), func(t *testing.T) {
				acc := startNATS(t, "server_name: ACC\nleafnodes { listen: 127.0.0.1:-1 }\n")
				other := startNATS(t, "server_name: OTHER\nleafnodes { listen: 127.0.0.1:-1 }\n")
				sol := startKind[kind](t, fmt.Sprintf("server_name: SOL\nleafnodes { reconnect: \"100ms\", remotes [ "+
					"{ url: \"nats://127.0.0.1:%d\", hub: %v }, { url: \"nats://127.0.0.1:%d\" } ] }\n", acc.leafPort(t), hubRole, other.leafPort(t)))
				waitLeafs(t, acc, 1)
				waitLeafs(t, other, 1)
				waitLeafs(t, sol, 2)
				if l := leafViews(t, acc, false); len(l) != 1 || l[0].name != "SOL" || l[0].spoke != hubRole {
					t.Fatalf("ACC's /leafz %+v: want is_spoke %v", l, hubRole)
				}
				for _, l := range leafViews(t, sol, false) {
					if l.name == "ACC" && l.spoke == hubRole {
						t.Fatalf("%s's /leafz %+v: want is_spoke %v", sol.name, l, !hubRole)
					}
				}
				oc := connect(t, other.url)
				fromOther, _ := oc.SubscribeSync("from.other")
				_ = oc.Flush()
				waitInterest(t, sol, "from.other", true)
				// SOL knew from.other before this: once ACC hears it, what
				// SOL was to announce has arrived.
				sc := connect(t, sol.url)
				_, _ = sc.SubscribeSync("from.sol")
				_ = sc.Flush()
				waitInterest(t, acc, "from.sol", true)
				if !hubRole {
					throughout(t, 200*time.Millisecond, func() error {
						if acc.hasInterest(t, "from.other") {
							return fmt.Errorf("a spoke link announced interest from another hub")
						}
						return nil
					})
					return
				}
				waitInterest(t, acc, "from.other", true)
				ac := connect(t, acc.url)
				_ = ac.Publish("from.other", []byte("two hops"))
				if m, err := fromOther.NextMsg(5 * time.Second); err != nil || string(m.Data) != "two hops" {
					t.Fatalf("ACC → OTHER through SOL: %v %v", m, err)
				}
			})
		}
	}
}

// TestLeafRemoteLocalAccount: a remote's account binds the link to that
// local account: only its interest goes to the hub, only its clients get
// the hub's messages and reach the hub's subscribers; /leafz shows it.
func TestLeafRemoteLocalAccount(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run(kind, func(t *testing.T) {
			hub := startNATS(t, hubConf)
			leaf := startKind[kind](t, "accounts { A { users [ {user: a, password: p} ] }, B { users [ {user: b, password: p} ] } }\n"+
				leafConf("LEAF", hub.leafPort(t), ", account: A"))
			waitLeafs(t, hub, 1)
			if l := leafViews(t, leaf, false); len(l) != 1 || l[0].account != "A" {
				t.Fatalf("leaf's /leafz %+v: want account A", l)
			}
			ac, bc, hc := connect(t, leaf.url, nats.UserInfo("a", "p")), connect(t, leaf.url, nats.UserInfo("b", "p")), connect(t, hub.url)
			// Toward the hub.
			bDown, _ := bc.SubscribeSync("acct.b")
			_ = bc.Flush()
			aDown, _ := ac.SubscribeSync("acct.a")
			bSame, _ := bc.SubscribeSync("acct.a")
			_ = ac.Flush()
			_ = bc.Flush()
			waitInterest(t, hub, "acct.a", true)
			waitLeafCarries(t, hub, "LEAF", "acct.a", true)
			// Toward the leaf.
			up, _ := hc.SubscribeSync("acct.up")
			_ = hc.Flush()
			eventually(t, 5*time.Second, func() error {
				if !accountInterest(t, leaf, "A", "acct.up") {
					return fmt.Errorf("account A does not know the hub's interest")
				}
				return nil
			})
			throughout(t, 200*time.Millisecond, func() error {
				if hub.hasInterest(t, "acct.b") {
					return fmt.Errorf("account B's interest reached the hub")
				}
				if accountInterest(t, leaf, "B", "acct.up") {
					return fmt.Errorf("account B was told of the hub's interest")
				}
				return nil
			})
			_ = hc.Publish("acct.a", []byte("to A"))
			if m, err := aDown.NextMsg(5 * time.Second); err != nil || string(m.Data) != "to A" {
				t.Fatalf("hub → account A: %v %v", m, err)
			}
			_ = bc.Publish("acct.up", []byte("from B"))
			_ = bc.Flush()
			_ = ac.Publish("acct.up", []byte("from A"))
			if m, err := up.NextMsg(5 * time.Second); err != nil || string(m.Data) != "from A" {
				t.Fatalf("account A → hub: %v %v", m, err)
			}
			for _, sub := range []*nats.Subscription{up, bDown, bSame} {
				if m, err := sub.NextMsg(100 * time.Millisecond); err == nil {
					t.Fatalf("%s received %q across accounts", sub.Subject, m.Data)
				}
			}
		})
	}
}

// TestLeafRemoteURLOrder: with dont_randomize (or no_randomize) the first
// URL is always dialled first; without, the list is shuffled, so over a
// few starts the second URL comes first as well.
func TestLeafRemoteURLOrder(t *testing.T) {
	firstDialled := func(t *testing.T, kind, extra string) string {
		seen := make(chan string, 2)
		a, b := startSilentHub(t, "a", seen), startSilentHub(t, "b", seen)
		startKind[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { remotes [ { urls: [%q, %q], first_info_timeout: \"10s\" %s } ] }\n", a.url(), b.url(), extra))
		select {
		case name := <-seen:
			return name
		case <-time.After(5 * time.Second):
			t.Fatal("no dial")
			return ""
		}
	}
	for _, kind := range []string{"leafhub", "nats-server"} {
		for _, key := range []string{"dont_randomize", "no_randomize"} {
			t.Run(kind+"/"+key, func(t *testing.T) {
				for i := 0; i < 3; i++ {
					t.Run(fmt.Sprint(i), func(t *testing.T) {
						if got := firstDialled(t, kind, ", "+key+": true"); got != "a" {
							t.Fatalf("dialled %s first", got)
						}
					})
				}
			})
		}
		t.Run(kind+"/shuffled", func(t *testing.T) {
			// Each start puts b first with probability 1/2: 30 starts
			// without one fail once in a billion runs.
			for i := 0; i < 30; i++ {
				var got string
				t.Run(fmt.Sprint(i), func(t *testing.T) { got = firstDialled(t, kind, "") })
				if got == "b" {
					return
				}
			}
			t.Fatal("the first URL was dialled first on every start: not shuffled")
		})
	}
}

// TestLeafRemoteFirstInfoTimeout: a hub that accepts but never sends its
// INFO is dropped after the remote's first_info_timeout (not the 1 s
// default), and dialled again.
func TestLeafRemoteFirstInfoTimeout(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run(kind, func(t *testing.T) {
			h := startSilentHub(t, "silent", nil)
			leaf := startKind[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: %q, first_info_timeout: \"300ms\" } ] }\n", h.url()))
			c := h.next(5 * time.Second)
			if c == nil {
				t.Fatal("no dial")
			}
			start := time.Now()
			_ = c.SetReadDeadline(start.Add(5 * time.Second))
			if n, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the leaf sent %d bytes or kept the connection (%v)", n, err)
			}
			if d := time.Since(start); d < 200*time.Millisecond || d > 900*time.Millisecond {
				t.Fatalf("the leaf gave up after %v, want about 300ms", d)
			}
			if h.next(5*time.Second) == nil {
				t.Fatal("no second dial")
			}
			if leaf.hub != nil {
				if st := leaf.hub.Remotes()[0]; !strings.Contains(st.Reason, "timeout") || st.State == "connected" {
					t.Fatalf("remote %+v", st)
				}
			}
		})
	}
}

// blackholePort is a loopback port whose backlog is full: a dial to it
// neither succeeds nor fails until it times out.
func blackholePort(t *testing.T) int {
	t.Helper()
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	port := sa.(*syscall.SockaddrInet4).Port
	// The one connection the backlog holds; it is never accepted.
	filler, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { filler.Close() })
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), 100*time.Millisecond); err == nil {
		c.Close()
		t.Fatal("the full backlog still takes connections")
	}
	return port
}

// TestLeafRemoteDialTimeout: a dial that hangs is given up after the
// remote's dial_timeout, or leafnodes.dial_timeout, not the 1 s default.
func TestLeafRemoteDialTimeout(t *testing.T) {
	for _, tc := range []struct{ name, top, remote string }{
		{"remote", "", ", dial_timeout: \"200ms\""},
		{"leafnodes", "dial_timeout: \"200ms\", ", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := blackholePort(t)
			start := time.Now()
			leaf := startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { %sreconnect: \"10s\", remotes [ { url: \"nats://127.0.0.1:%d\" %s } ] }\n", tc.top, port, tc.remote))
			var st *remote.Status
			eventually(t, 5*time.Second, func() error {
				if st = leaf.hub.Remotes()[0]; st.State != "waiting" {
					return fmt.Errorf("remote %+v", st)
				}
				return nil
			})
			if !strings.Contains(st.Reason, "i/o timeout") {
				t.Fatalf("reason %q, want a dial timeout", st.Reason)
			}
			if d := st.Since.Sub(start); d < 150*time.Millisecond || d > 800*time.Millisecond {
				t.Fatalf("the dial gave up after %v, want about 200ms", d)
			}
		})
	}
}

// TestLeafRemoteDisabled: a disabled remote never dials and says so in its
// status, while the enabled one next to it connects.
func TestLeafRemoteDisabled(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run(kind, func(t *testing.T) {
			hub := startNATS(t, hubConf)
			off := startSilentHub(t, "off", nil)
			leaf := startKind[kind](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: %q, disabled: true }, { url: \"nats://127.0.0.1:%d\" } ] }\n",
				off.url(), hub.leafPort(t)))
			waitLeafs(t, hub, 1)
			throughout(t, 300*time.Millisecond, func() error {
				if len(off.conns) > 0 {
					return fmt.Errorf("the disabled remote dialled")
				}
				if leaf.hub != nil {
					if st := leaf.hub.Remotes()[0]; st.State != "disabled" {
						return fmt.Errorf("disabled remote %+v", st)
					}
				}
				return nil
			})
			if leaf.hub != nil {
				if st := leaf.hub.Remotes()[1]; st.State != "connected" {
					t.Fatalf("enabled remote %+v", st)
				}
			}
		})
	}
}

// TestLeafRedialJitter: after failed dials the remote waits the interval
// plus a random part of it, as nats-server: the waits differ.
func TestLeafRedialJitter(t *testing.T) {
	const iv = 100 * time.Millisecond
	leaf := startLeafhub(t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", freePort(t)))
	waits := map[time.Time]time.Duration{}
	eventually(t, 5*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; st.State == "waiting" {
			waits[st.NextAttempt] = st.NextAttempt.Sub(st.Since)
		}
		if len(waits) < 6 {
			return fmt.Errorf("%d waits seen", len(waits))
		}
		return nil
	})
	lo, hi := time.Hour, time.Duration(0)
	for _, w := range waits {
		if w < iv-5*time.Millisecond || w > 2*iv {
			t.Fatalf("a wait of %v, want %v to %v (%v)", w, iv, 2*iv, waits)
		}
		lo, hi = min(lo, w), max(hi, w)
	}
	// Six uniform draws over 100 ms all within 5 ms of each other: about
	// one run in a hundred thousand.
	if hi-lo < 5*time.Millisecond {
		t.Fatalf("waits %v: no jitter", waits)
	}
}

// TestLeafHubSingleUser: leafnodes.authorization with a single user and
// password admits a nats-server leaf with those credentials (traffic both
// ways) and closes one with a wrong password as nats-server does.
func TestLeafHubSingleUser(t *testing.T) {
	both(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, authorization { user: lu, password: lp } }\n", func(t *testing.T, hub *target) {
		leafWith := func(name, pass string) *target {
			return startNATS(t, fmt.Sprintf("server_name: %s\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://lu:%s@127.0.0.1:%d\" } ] }\n", name, pass, hub.leafPort(t)))
		}
		good := leafWith("GOOD", "lp")
		waitLeafs(t, hub, 1)
		hc, gc, down, up := twoWay(t, hub, good, "single")
		exchangeBoth(t, hc, gc, down, up)
		leafWith("BAD", "wrong")
		eventually(t, 5*time.Second, func() error {
			reasons := closedLeafReasons(t, hub)
			if !slices.Contains(reasons, "Authentication Failure") {
				return fmt.Errorf("closed leafs %q", reasons)
			}
			return nil
		})
		if n := hub.numLeafs(t); n != 1 {
			t.Fatalf("%d leaf connections, want only the good one", n)
		}
		if l := leafViews(t, hub, false); len(l) != 1 || l[0].name != "GOOD" {
			t.Fatalf("/leafz %+v", l)
		}
	})
}

// closedLeafReasons lists why s's closed leaf connections were closed.
func closedLeafReasons(t testing.TB, s *target) []string {
	t.Helper()
	var out []string
	add := func(kind, reason string) {
		if kind == "Leafnode" {
			out = append(out, reason)
		}
	}
	if s.ns != nil {
		c, err := s.ns.Connz(&natsserver.ConnzOptions{State: natsserver.ConnClosed})
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range c.Conns {
			add(ci.Kind, ci.Reason)
		}
		return out
	}
	c, err := s.hub.Connz(connzClosed)
	if err != nil {
		t.Fatal(err)
	}
	for _, ci := range c.Conns {
		add(ci.Kind, ci.Reason)
	}
	return out
}

// leafSubsWithPrefix counts the subscriptions on subjects starting with
// prefix that a target's leaf connections carry, by its /leafz (subs=1):
// exact, unlike the server's total, which its own internal subscriptions
// move.
func leafSubsWithPrefix(t testing.TB, s *target, prefix string) int {
	t.Helper()
	n := 0
	for _, l := range leafViews(t, s, true) {
		for _, sub := range l.subs {
			if strings.HasPrefix(sub, prefix) {
				n++
			}
		}
	}
	return n
}

package tests

// The interop matrix of issue 3 (Deliver 8): every case in every role
// pairing and in both directions, checked from the clients and from what
// nats-server itself reports (its /leafz and its subscription counts).

import (
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/monitor"
)

// way is one direction across a leaf link: subscribers on the far end,
// publishers on the near end. key prefixes the subjects of its cases.
type way struct {
	name, key string
	far, near func(topology) *target
}

var ways = []way{
	{"hub→leaf", "down", func(tp topology) *target { return tp.leaf }, func(tp topology) *target { return tp.hub }},
	{"leaf→hub", "up", func(tp topology) *target { return tp.hub }, func(tp topology) *target { return tp.leaf }},
}

// eachWay runs f in both directions over one topology, as subtests.
func eachWay(t *testing.T, tp topology, f func(t *testing.T, w way, far, near *target)) {
	for _, w := range ways {
		t.Run(w.name, func(t *testing.T) { f(t, w, w.far(tp), w.near(tp)) })
	}
}

// leafView is one leaf connection as a target's /leafz shows it (with
// subs=1 when subs is set); for a nats-server target this is
// nats-server's own view.
type leafView struct {
	id      uint64
	name    string
	account string
	spoke   bool
	numSubs int
	subs    []string
}

func leafViews(t testing.TB, s *target, subs bool) []leafView {
	t.Helper()
	var out []leafView
	if s.ns != nil {
		z, err := s.ns.Leafz(&natsserver.LeafzOptions{Subscriptions: subs})
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range z.Leafs {
			out = append(out, leafView{l.ID, l.Name, l.Account, l.IsSpoke, int(l.NumSubs), l.Subs})
		}
		return out
	}
	z, err := s.hub.Leafz(monitor.LeafzOptions{Subscriptions: subs})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range z.Leafs {
		out = append(out, leafView{l.ID, l.Name, l.Account, l.IsSpoke, int(l.NumSubs), l.Subs})
	}
	return out
}

// waitLeafCarries waits until subject is (or is not) in the interest that
// s's leaf connection named peer carries, by s's /leafz.
func waitLeafCarries(t testing.TB, s *target, peer, subject string, want bool) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		var seen []leafView
		for _, l := range leafViews(t, s, true) {
			if l.name == peer {
				if slices.Contains(l.subs, subject) == want {
					return nil
				}
			}
			seen = append(seen, l)
		}
		return fmt.Errorf("%s /leafz: %q on the link with %s is not %v (%+v)", s.name, subject, peer, want, seen)
	})
}

// peerName is the server name s's leaf connections show for the other end
// of a topology.
func (tp topology) peerName(s *target) string {
	if s == tp.hub {
		return "LEAF"
	}
	return "HUB"
}

// flushAll flushes each connection: its subscriptions are in effect at
// its server.
func flushAll(ncs ...*nats.Conn) {
	for _, nc := range ncs {
		_ = nc.Flush()
	}
}

// deliveredOnce waits until the counters add up to n, then checks that they
// keep that sum for a quiet period: nothing was lost and no message came
// twice.
func deliveredOnce(t testing.TB, n int64, counters ...*atomic.Int64) {
	t.Helper()
	sum := func() int64 {
		var s int64
		for _, c := range counters {
			s += c.Load()
		}
		return s
	}
	eventually(t, 5*time.Second, func() error {
		if s := sum(); s != n {
			return fmt.Errorf("received %d of %d", s, n)
		}
		return nil
	})
	throughout(t, 100*time.Millisecond, func() error {
		if s := sum(); s != n {
			return fmt.Errorf("received %d after all %d had arrived: duplicates", s, n)
		}
		return nil
	})
}

// TestLeafUnsubscribeBothSides: interest made on either end (plain,
// wildcard, queue; two subscribers on one subject) reaches the other end
// and is removed there on unsubscribe, on the last one only; nats-server's
// /leafz and subscription count agree.
func TestLeafUnsubscribeBothSides(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		eachWay(t, tp, func(t *testing.T, w way, far, near *target) {
			p := w.key + ".unsub."
			base := 0
			if near.ns != nil {
				base = int(near.ns.NumSubscriptions())
			}
			fc, fc2, nc := connect(t, far.url), connect(t, far.url), connect(t, near.url)
			plain, _ := fc.SubscribeSync(p + "plain")
			plain2, _ := fc2.SubscribeSync(p + "plain")
			star, _ := fc.SubscribeSync(p + "w.*")
			full, _ := fc.SubscribeSync(p + "f.>")
			queue, _ := fc.QueueSubscribeSync(p+"q", "g")
			flushAll(fc, fc2)
			subjects := map[string]string{p + "plain": p + "plain", p + "w.*": p + "w.x", p + "f.>": p + "f.a.b", p + "q": p + "q"}
			for interest, subject := range subjects {
				waitInterest(t, near, subject, true)
				waitLeafCarries(t, near, tp.peerName(near), interest, true)
			}
			if near.ns != nil {
				eventually(t, 5*time.Second, func() error {
					if n := int(near.ns.NumSubscriptions()); n < base+4 {
						return fmt.Errorf("nats-server counts %d subscriptions, want at least %d", n, base+4)
					}
					return nil
				})
			}
			for _, subject := range subjects {
				_ = nc.Publish(subject, []byte(subject))
			}
			_ = nc.Flush()
			for _, sub := range []*nats.Subscription{plain, plain2, star, full, queue} {
				if _, err := sub.NextMsg(5 * time.Second); err != nil {
					t.Fatalf("%s: %v", sub.Subject, err)
				}
			}
			// One of two subscribers leaves: the interest stays, the other
			// still receives.
			_ = plain.Unsubscribe()
			_ = fc.Flush()
			_ = nc.Publish(p+"plain", []byte("still"))
			if m, err := plain2.NextMsg(5 * time.Second); err != nil || string(m.Data) != "still" {
				t.Fatalf("the remaining subscriber: %v %v", m, err)
			}
			if !near.hasInterest(t, p+"plain") {
				t.Fatal("one unsubscribe of two removed the interest")
			}
			// The rest leave: no interest is left on the near end.
			for _, sub := range []*nats.Subscription{plain2, star, full, queue} {
				_ = sub.Unsubscribe()
			}
			flushAll(fc, fc2)
			for interest, subject := range subjects {
				waitInterest(t, near, subject, false)
				waitLeafCarries(t, near, tp.peerName(near), interest, false)
			}
			if near.ns != nil {
				eventually(t, 5*time.Second, func() error {
					if n := int(near.ns.NumSubscriptions()); n != base {
						return fmt.Errorf("nats-server counts %d subscriptions, want %d as before", n, base)
					}
					return nil
				})
			}
		})
	})
}

// TestLeafChainMatrix: nats-server leaf → MID → nats-server hub, with MID
// leafhub and, for reference, nats-server: wildcards, queue groups and
// headers cross both hops in both directions, the ends' /leafz show the
// interest of the other end, and an unsubscribe at one end clears it at
// the other.
func TestLeafChainMatrix(t *testing.T) {
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run("mid="+kind, func(t *testing.T) {
			top := startNATS(t, "server_name: TOP\nleafnodes { listen: 127.0.0.1:-1 }\n")
			mid := startKind[kind](t, fmt.Sprintf("server_name: MID\nleafnodes { listen: 127.0.0.1:-1, reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", top.leafPort(t)))
			bottom := startNATS(t, leafConf("BOTTOM", mid.leafPort(t), ""))
			waitLeafs(t, top, 1)
			waitLeafs(t, mid, 2)
			waitLeafs(t, bottom, 1)
			for _, c := range []struct {
				name      string
				far, near *target
			}{{"down", bottom, top}, {"up", top, bottom}} {
				t.Run(c.name, func(t *testing.T) {
					p := "chain." + c.name + "."
					fc, fc2, nc := connect(t, c.far.url), connect(t, c.far.url), connect(t, c.near.url)
					star, _ := fc.SubscribeSync(p + "w.*")
					full, _ := fc.SubscribeSync(p + "f.>")
					var q1, q2 atomic.Int64
					_, _ = fc.QueueSubscribe(p+"q", "g", func(*nats.Msg) { q1.Add(1) })
					_, _ = fc2.QueueSubscribe(p+"q", "g", func(*nats.Msg) { q2.Add(1) })
					_, _ = fc.Subscribe(p+"svc", func(m *nats.Msg) {
						r := nats.NewMsg(m.Reply)
						r.Header.Set("X-Answer", m.Header.Get("X-Ask"))
						r.Data = m.Data
						_ = m.RespondMsg(r)
					})
					flushAll(fc, fc2)
					// Both hops carry the far end's interest; the near end's
					// nats-server lists it on its link to MID.
					for _, s := range []string{p + "w.x", p + "f.a.b", p + "q", p + "svc"} {
						waitInterest(t, c.near, s, true)
					}
					waitLeafCarries(t, c.near, "MID", p+"w.*", true)
					waitLeafCarries(t, c.near, "MID", p+"f.>", true)

					_ = nc.Publish(p+"w.x", []byte("star"))
					_ = nc.Publish(p+"w.x.y", []byte("too deep for *"))
					_ = nc.Publish(p+"f.a.b", []byte("full"))
					if m, err := star.NextMsg(5 * time.Second); err != nil || string(m.Data) != "star" {
						t.Fatalf("%s: %v %v", star.Subject, m, err)
					}
					if m, err := full.NextMsg(5 * time.Second); err != nil || string(m.Data) != "full" {
						t.Fatalf("%s: %v %v", full.Subject, m, err)
					}
					// Headers on a request and on its reply, across both hops.
					req := nats.NewMsg(p + "svc")
					req.Header.Set("X-Ask", "hops")
					req.Data = []byte("ping")
					if m, err := nc.RequestMsg(req, 5*time.Second); err != nil || m.Header.Get("X-Answer") != "hops" || string(m.Data) != "ping" {
						t.Fatalf("request with headers: %v %v", m, err)
					}
					// A queue group with its members at the far end only: each
					// message reaches exactly one of them.
					const n = 200
					for i := 0; i < n; i++ {
						_ = nc.Publish(p+"q", nil)
					}
					_ = nc.Flush()
					deliveredOnce(t, n, &q1, &q2)
					if q1.Load() == 0 || q2.Load() == 0 {
						t.Fatalf("members got %d and %d of %d: one was never chosen", q1.Load(), q2.Load(), n)
					}
					if m, err := star.NextMsg(100 * time.Millisecond); err == nil {
						t.Fatalf("%s received %q", star.Subject, m.Subject)
					}
					// Unsubscribing at the far end clears the interest at the near end.
					_ = star.Unsubscribe()
					_ = fc.Flush()
					waitInterest(t, c.near, p+"w.x", false)
					waitLeafCarries(t, c.near, "MID", p+"w.*", false)
				})
			}
		})
	}
}

// chain3 is TOP (nats-server) ← MID (leafhub: a remote to TOP and a
// leafnode port) ← BOTTOM (nats-server), with a client on each server
// subscribed to keep.<its name>: the setting of the supervision tests,
// where one of MID's links fails and the other must not notice.
type chain3 struct {
	top, mid, bottom *target
	nc               map[*target]*nats.Conn
	keep             map[*target]*nats.Subscription
}

func startChain3(t *testing.T) *chain3 {
	t.Helper()
	top := startNATS(t, "server_name: TOP\nleafnodes { listen: 127.0.0.1:-1 }\n")
	c := &chain3{top: top, nc: map[*target]*nats.Conn{}, keep: map[*target]*nats.Subscription{}}
	c.mid = startLeafhub(t, fmt.Sprintf("server_name: MID\nleafnodes { listen: 127.0.0.1:-1, reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", top.leafPort(t)))
	c.bottom = startNATS(t, leafConf("BOTTOM", c.mid.leafPort(t), ""))
	waitLeafs(t, c.top, 1)
	waitLeafs(t, c.mid, 2)
	waitLeafs(t, c.bottom, 1)
	for _, s := range c.servers() {
		c.join(t, s)
	}
	c.resynced(t)
	return c
}

func (c *chain3) servers() []*target { return []*target{c.top, c.mid, c.bottom} }

// name is the server name of one of the chain's servers.
func (c *chain3) name(s *target) string {
	return map[*target]string{c.top: "TOP", c.mid: "MID", c.bottom: "BOTTOM"}[s]
}

// join connects a client to s and subscribes keep.<name>.
func (c *chain3) join(t *testing.T, s *target) {
	t.Helper()
	c.nc[s] = connect(t, s.url)
	c.keep[s], _ = c.nc[s].SubscribeSync("keep." + c.name(s))
	_ = c.nc[s].Flush()
}

// restartTop replaces TOP by a new nats-server on the same leafnode port
// and gives it a subscribed client.
func (c *chain3) restartTop(t *testing.T) {
	t.Helper()
	port := c.top.leafPort(t)
	shutdownTarget(t, c.top)
	delete(c.nc, c.top)
	delete(c.keep, c.top)
	waitLeafs(t, c.mid, 1)
	c.top = startNATS(t, fmt.Sprintf("server_name: TOP\nleafnodes { listen: 127.0.0.1:%d }\n", port))
	c.join(t, c.top)
}

// resynced checks that every server knows the others' keep interest, that
// both nats-servers list it on their link to MID, and that a message from
// each server reaches each other server's subscriber.
func (c *chain3) resynced(t *testing.T) {
	t.Helper()
	for _, s := range c.servers() {
		for _, o := range c.servers() {
			if o != s {
				waitInterest(t, s, "keep."+c.name(o), true)
			}
		}
	}
	waitLeafCarries(t, c.top, "MID", "keep.MID", true)
	waitLeafCarries(t, c.top, "MID", "keep.BOTTOM", true)
	waitLeafCarries(t, c.bottom, "MID", "keep.MID", true)
	waitLeafCarries(t, c.bottom, "MID", "keep.TOP", true)
	for _, s := range c.servers() {
		for _, o := range c.servers() {
			if o == s {
				continue
			}
			data := c.name(s) + "→" + c.name(o)
			_ = c.nc[s].Publish("keep."+c.name(o), []byte(data))
			if m, err := c.keep[o].NextMsg(5 * time.Second); err != nil || string(m.Data) != data {
				t.Fatalf("%s: %v %v", data, m, err)
			}
		}
	}
}

// leafID is the id of s's leaf connection with peer.
func leafID(t testing.TB, s *target, peer string) uint64 {
	t.Helper()
	for _, l := range leafViews(t, s, false) {
		if l.name == peer {
			return l.id
		}
	}
	t.Fatalf("%s has no leaf connection with %s: %+v", s.name, peer, leafViews(t, s, false))
	return 0
}

// waitRelinked waits until s has a leaf connection with peer again, one
// that is not the connection old.
func waitRelinked(t testing.TB, s *target, peer string, old uint64) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		for _, l := range leafViews(t, s, false) {
			if l.name == peer && l.id != old {
				return nil
			}
		}
		return fmt.Errorf("%s has no new leaf connection with %s: %+v", s.name, peer, leafViews(t, s, false))
	})
}

// flow is a stream of requests from one client to a responder on another,
// each waiting for its reply, run in the background to show that a link
// keeps working while something else fails.
type flow struct {
	done atomic.Int64
	err  atomic.Pointer[error]
	stop chan struct{}
	end  chan struct{}
}

func startFlow(t *testing.T, from, to *target, subject string) *flow {
	t.Helper()
	fc, tc := connect(t, from.url), connect(t, to.url)
	_, _ = tc.Subscribe(subject, func(m *nats.Msg) { _ = m.Respond(m.Data) })
	_ = tc.Flush()
	waitInterest(t, from, subject, true)
	f := &flow{stop: make(chan struct{}), end: make(chan struct{})}
	go func() {
		defer close(f.end)
		for i := 0; ; i++ {
			select {
			case <-f.stop:
				return
			default:
			}
			data := []byte(fmt.Sprint(i))
			if m, err := fc.Request(subject, data, 2*time.Second); err != nil || string(m.Data) != string(data) {
				e := fmt.Errorf("request %d on %s from %s to %s: %v %v", i, subject, from.name, to.name, m, err)
				f.err.Store(&e)
				return
			}
			f.done.Add(1)
		}
	}()
	t.Cleanup(f.halt)
	f.more(t, 5)
	return f
}

func (f *flow) halt() {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	<-f.end
}

// more waits for n more answered requests, failing on the first error.
func (f *flow) more(t testing.TB, n int64) {
	t.Helper()
	want := f.done.Load() + n
	eventually(t, 5*time.Second, func() error {
		if e := f.err.Load(); e != nil {
			t.Fatal(*e)
		}
		if d := f.done.Load(); d < want {
			return fmt.Errorf("%d requests answered, want %d", d, want)
		}
		return nil
	})
}

// finish stops the flow after n more answers and checks it never failed.
func (f *flow) finish(t testing.TB) {
	t.Helper()
	f.more(t, 5)
	f.halt()
	if e := f.err.Load(); e != nil {
		t.Fatal(*e)
	}
}

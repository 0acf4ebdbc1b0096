package tests

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/actors/conn"
	lhub "github.com/leafhub/leafhub/actors/hub"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/actors/remote"
)

// TestLeafzBothSides: nats-server's /leafz describes our leaf, ours
// describes its leaf, with the same JSON keys.
func TestLeafzBothSides(t *testing.T) {
	keysOf := func(url string) (map[string]any, []map[string]any) {
		var z map[string]any
		getJSON(t, url, &z)
		var leafs []map[string]any
		for _, l := range z["leafs"].([]any) {
			leafs = append(leafs, l.(map[string]any))
		}
		return z, leafs
	}
	// nats-server hub, leafhub leaf.
	ns := startNATS(t, hubConf+monitorConf)
	ours := startLeafhub(t, leafConf("OURLEAF", ns.leafPort(t), "")+monitorConf)
	waitLeafs(t, ns, 1)
	lc := connect(t, ours.url)
	_, _ = lc.SubscribeSync("seen.by.hub")
	_ = lc.Flush()
	waitInterest(t, ns, "seen.by.hub", true)
	_, nsLeafs := keysOf(ns.monitor + "/leafz?subs=1")
	if len(nsLeafs) != 1 || nsLeafs[0]["name"] != "OURLEAF" || nsLeafs[0]["account"] != "$G" || nsLeafs[0]["is_spoke"] != false {
		t.Fatalf("nats-server sees %v", nsLeafs)
	}
	if !strings.Contains(fmt.Sprint(nsLeafs[0]["subscriptions_list"]), "seen.by.hub") {
		t.Fatalf("nats-server's subscriptions_list %v lacks our interest", nsLeafs[0]["subscriptions_list"])
	}
	// Our side of the same link.
	ourTop, ourLeafs := keysOf(ours.monitor + "/leafz?subs=1")
	if len(ourLeafs) != 1 || ourLeafs[0]["name"] != "HUB" || ourLeafs[0]["is_spoke"] != true {
		t.Fatalf("leafhub sees %v", ourLeafs)
	}
	nsTop, _ := keysOf(ns.monitor + "/leafz")
	for k := range nsTop {
		if _, ok := ourTop[k]; !ok {
			t.Errorf("leafhub /leafz lacks top-level %q", k)
		}
	}
	for k := range nsLeafs[0] {
		if _, ok := ourLeafs[0][k]; !ok {
			t.Errorf("leafhub /leafz entry lacks %q (nats-server: %v)", k, nsLeafs[0][k])
		}
	}
	for k := range ourLeafs[0] {
		if _, ok := nsLeafs[0][k]; !ok {
			t.Errorf("leafhub /leafz entry has %q, nats-server does not", k)
		}
	}
	// acc= filters.
	_, none := keysOf(ours.monitor + "/leafz?acc=OTHER")
	if len(none) != 0 {
		t.Fatalf("acc=OTHER listed %v", none)
	}
	// /varz leaf section and /remotez.
	var v struct {
		Leafnodes int `json:"leafnodes"`
		Leaf      struct {
			Remotes []struct {
				LocalAccount string   `json:"local_account"`
				URLs         []string `json:"urls"`
			} `json:"remotes"`
		} `json:"leaf"`
	}
	getJSON(t, ours.monitor+"/varz", &v)
	if v.Leafnodes != 1 || len(v.Leaf.Remotes) != 1 || v.Leaf.Remotes[0].LocalAccount != "$G" {
		t.Fatalf("varz %+v", v)
	}
	var rz struct {
		Remotes []struct {
			State    string `json:"state"`
			Connects int    `json:"connects"`
		} `json:"remotes"`
	}
	getJSON(t, ours.monitor+"/remotez", &rz)
	if len(rz.Remotes) != 1 || rz.Remotes[0].State != "connected" || rz.Remotes[0].Connects != 1 {
		t.Fatalf("remotez %+v", rz)
	}
	resp, err := http.Get(ours.monitor + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"gnatsd_leafz_conn_nodes_total", `gnatsd_leafz_conn_in_msgs{account="$G"`,
		"leafhub_leaf_interest_announced", "leafhub_leaf_ls_plus_out_total", `leafhub_remote_state{local_account="$G",remote="0",state="connected"} 1`,
		`leafhub_remote_connects_total{local_account="$G",remote="0"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestFaultLeafConnectionActor panics the actor of one of leafhub's two
// leaf connections in TOP ← MID ← BOTTOM: the one MID solicited, or the one
// it accepted from the nats-server leaf. That link comes back (our remote
// re-dials, or the nats-server leaf does), the interest re-syncs in both
// directions, and requests over MID's other link and between MID's own
// clients keep being answered throughout.
func TestFaultLeafConnectionActor(t *testing.T) {
	for _, tc := range []struct{ faulted, peer string }{{"solicited", "TOP"}, {"accepted", "BOTTOM"}} {
		t.Run(tc.faulted, func(t *testing.T) {
			c := startChain3(t)
			other := c.bottom
			if tc.faulted == "accepted" {
				other = c.top
			}
			across := startFlow(t, c.mid, other, "flow.across")
			local := startFlow(t, c.mid, c.mid, "flow.local")
			old := leafID(t, c.mid, tc.peer)
			if found, err := c.mid.hub.FaultConnection(old); err != nil || !found {
				t.Fatalf("fault: %v %v", found, err)
			}
			waitRelinked(t, c.mid, tc.peer, old)
			// The closed link names the cause: the failed actor, not a shutdown.
			if n := closedLeafs(t, c.mid, "Internal Error"); n != 1 {
				t.Fatalf("%d closed leaf connections with reason Internal Error, want 1", n)
			}
			if tc.faulted == "solicited" {
				waitRemoteRelinked(t, c.mid, old)
			}
			waitLeafs(t, c.mid, 2)
			c.resynced(t)
			across.finish(t)
			local.finish(t)
			if n := c.top.numLeafs(t) + c.bottom.numLeafs(t); n != 2 {
				t.Fatalf("the nats-servers have %d leaf connections, want one each", n)
			}
		})
	}
}

// TestFaultRemoteActor panics MID's remote actor in TOP ← MID ← BOTTOM:
// it restarts and keeps its one connection, over which traffic continues,
// while MID's accepted link is untouched. The restarted actor still owns
// that connection: when the hub restarts and the link drops, it re-dials
// and the interest re-syncs both ways.
func TestFaultRemoteActor(t *testing.T) {
	c := startChain3(t)
	below := startFlow(t, c.mid, c.bottom, "flow.below")
	old := leafID(t, c.mid, "TOP")
	faultRemote(t, c.mid)
	c.resynced(t)
	if id := leafID(t, c.mid, "TOP"); id != old {
		t.Fatalf("the link to TOP is connection %d, was %d", id, old)
	}
	if n := c.top.ns.NumLeafNodes(); n != 1 {
		t.Fatalf("hub has %d leaf connections after the remote restart, want 1", n)
	}
	if st := c.mid.hub.Remotes()[0]; st.State != "connected" || st.CID != old {
		t.Fatalf("remote %+v after the restart, want connected on %d", st, old)
	}
	// The link drops: the restarted actor dials the new hub.
	c.restartTop(t)
	waitRelinked(t, c.mid, "TOP", old)
	waitRemoteRelinked(t, c.mid, old)
	waitLeafs(t, c.top, 1)
	c.resynced(t)
	below.finish(t)
}

// remoteRestarts is how many times a leafhub's remote actors restarted.
func remoteRestarts(s *target) int {
	for _, k := range s.hub.Actors().Kinds() {
		if k.Kind == "remote" {
			return int(k.Restarts)
		}
	}
	return 0
}

// TestFaultRemoteActorKeepsItsWait: a remote actor that fails while it
// waits out the same-cluster delay restarts into the same wait (its attempt
// count and next attempt time kept, nothing dialled early) and dials once
// the time left has passed.
func TestFaultRemoteActorKeepsItsWait(t *testing.T) {
	hub := startNATS(t, fmt.Sprintf("server_name: HUB\ncluster { name: EDGE, listen: 127.0.0.1:%d }\nleafnodes { listen: 127.0.0.1:-1 }\n", freePort(t)))
	leaf := startLeafhubWith(t, leafConf("EDGE", hub.leafPort(t), ""), func(s *lhub.Server) {
		d := conn.DefaultLeafDelays()
		d.SameCluster = 3 * time.Second
		s.SetLeafDelays(d)
	})
	st := waitSameClusterWait(t, leaf)
	faultRemote(t, leaf)
	throughout(t, time.Until(st.NextAttempt)-300*time.Millisecond, func() error {
		now := leaf.hub.Remotes()[0]
		if now.State != "waiting" || now.Attempts != st.Attempts || !now.NextAttempt.Equal(st.NextAttempt) {
			return fmt.Errorf("after the restart the remote is %+v, was %+v", now, st)
		}
		return nil
	})
	eventually(t, 5*time.Second, func() error {
		if now := leaf.hub.Remotes()[0]; now.Attempts <= st.Attempts {
			return fmt.Errorf("no attempt after the wait: %+v", now)
		}
		return nil
	})
}

// TestLeafChain: nats-server leaf → leafhub (hub of it, leaf of the next) →
// nats-server hub; traffic crosses both hops in both directions.
func TestLeafChain(t *testing.T) {
	top := startNATS(t, "server_name: TOP\nleafnodes { listen: 127.0.0.1:-1 }\n")
	mid := startLeafhub(t, fmt.Sprintf("server_name: MID\nleafnodes { listen: 127.0.0.1:-1, reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", top.leafPort(t)))
	bottom := startNATS(t, leafConf("BOTTOM", mid.leafPort(t), ""))
	waitLeafs(t, top, 1)
	waitLeafs(t, mid, 2)
	waitLeafs(t, bottom, 1)
	tc, bc, down, up := twoWay(t, top, bottom, "chain")
	mc := connect(t, mid.url)
	_ = tc.Publish("chain.down", []byte("top→bottom"))
	_ = bc.Publish("chain.up", []byte("bottom→top"))
	if m, err := down.NextMsg(5 * time.Second); err != nil || string(m.Data) != "top→bottom" {
		t.Fatalf("down: %v %v", m, err)
	}
	if m, err := up.NextMsg(5 * time.Second); err != nil || string(m.Data) != "bottom→top" {
		t.Fatalf("up: %v %v", m, err)
	}
	// Request from the top answered at the bottom; the middle sees both.
	_, _ = bc.Subscribe("chain.svc", func(m *nats.Msg) { _ = m.Respond([]byte("bottom")) })
	_ = bc.Flush()
	waitInterest(t, top, "chain.svc", true)
	for _, nc := range []*nats.Conn{tc, mc} {
		if m, err := nc.Request("chain.svc", nil, 5*time.Second); err != nil || string(m.Data) != "bottom" {
			t.Fatalf("request through the chain: %v %v", m, err)
		}
	}
	// Each message arrives once: no echo around the chain.
	_ = tc.Publish("chain.down", []byte("once"))
	if _, err := down.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if m, err := down.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("duplicate %q", m.Data)
	}
}

// freePort reserves a loopback port number for a server to listen on.
func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestLeafLoopDetected wires leafhub and nats-server into a loop: each
// solicits the other. The loop is detected (by either side, with either
// check of spec 3.7), a connection at A closes for it, no link comes back
// within the reconnect interval (the looping remote waits about 30 s), and
// over what is left a message is delivered once. As between two
// nats-servers, both links may break when both sides detect at once.
func TestLeafLoopDetected(t *testing.T) {
	aPort, bPort := freePort(t), freePort(t)
	remote := func(name string, listen, dial int) string {
		return fmt.Sprintf("server_name: %s\nleafnodes { listen: 127.0.0.1:%d, reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" } ] }\n", name, listen, dial)
	}
	a := startLeafhub(t, remote("A", aPort, bPort))
	b := startNATS(t, remote("B", bPort, aPort))
	// Whoever detects, A closes a leaf connection: it sent the loop -ERR or
	// received it.
	waitClosedLeaf(t, a, "Protocol Violation", 10*time.Second)
	// The loop stays broken for many reconnect intervals.
	throughout(t, 2*time.Second, func() error {
		if n := a.hub.Varz().Leafs; n > 1 {
			return fmt.Errorf("A has %d leaf connections: the loop was not broken", n)
		}
		return nil
	})
	st := a.hub.Remotes()[0]
	if st.State == "waiting" && st.NextAttempt.Before(time.Now().Add(20*time.Second)) {
		t.Fatalf("our remote waits only until %v after the loop (want about 30 s): %+v", st.NextAttempt, st)
	}
	if a.hub.Varz().Leafs == 0 {
		// Both sides broke the loop at once: both remotes wait.
		if st.State != "waiting" {
			t.Fatalf("no link left, yet our remote is %+v", st)
		}
		return
	}
	ac, bc := connect(t, a.url), connect(t, b.url)
	sub, _ := ac.SubscribeSync("loop.x")
	_ = ac.Flush()
	waitInterest(t, b, "loop.x", true)
	_ = bc.Publish("loop.x", []byte("once"))
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if m, err := sub.NextMsg(300 * time.Millisecond); err == nil {
		t.Fatalf("duplicate %q: the message went around a loop", m.Data)
	}
}

var leafzAll = monitor.LeafzOptions{}

// faultRemote makes a leafhub's first remote actor panic and waits for
// its restart.
func faultRemote(t testing.TB, s *target) {
	t.Helper()
	before := remoteRestarts(s)
	if err := s.hub.FaultRemote(0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		if remoteRestarts(s) <= before {
			return fmt.Errorf("the remote actor did not restart: %+v", s.hub.Actors().Kinds())
		}
		return nil
	})
}

// waitSameClusterWait waits until a leafhub's first remote waits after the
// hub refused it for having the same cluster name, and returns its status.
func waitSameClusterWait(t testing.TB, s *target) *remote.Status {
	t.Helper()
	var st *remote.Status
	eventually(t, 5*time.Second, func() error {
		st = s.hub.Remotes()[0]
		if st.State != "waiting" || !strings.Contains(st.Reason, "remote leafnode has same cluster name") {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	return st
}

// waitRemoteRelinked waits until a leafhub's first remote is connected on
// a connection other than old.
func waitRemoteRelinked(t testing.TB, s *target, old uint64) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		if st := s.hub.Remotes()[0]; st.State != "connected" || st.CID == old {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
}

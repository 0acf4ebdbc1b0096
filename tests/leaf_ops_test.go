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

	"github.com/leafhub/leafhub/actors/monitor"
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
		if _, ok := ourLeafs[0][k]; !ok && k != "rtt" {
			t.Errorf("leafhub /leafz entry lacks %q (nats-server: %v)", k, nsLeafs[0][k])
		}
	}
	for k := range ourLeafs[0] {
		if _, ok := nsLeafs[0][k]; !ok && k != "rtt" {
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
		"leafhub_leaf_interest_announced", "leafhub_leaf_ls_plus_out_total", `leafhub_remote_state{local_account="$G",remote="0",state="connected"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// TestFaultLeafConnectionActor panics the actor of a solicited leaf
// connection: the remote re-dials, the interest re-syncs, clients keep flowing.
func TestFaultLeafConnectionActor(t *testing.T) {
	hub := startNATS(t, hubConf)
	leaf := startLeafhub(t, leafConf("LEAF", hub.leafPort(t), ""))
	waitLeafs(t, hub, 1)
	lc := connect(t, leaf.url)
	sub, _ := lc.SubscribeSync("keep")
	local, _ := lc.SubscribeSync("local")
	_ = lc.Flush()
	waitInterest(t, hub, "keep", true)
	z, err := leaf.hub.Leafz(leafzAll)
	if err != nil || len(z.Leafs) != 1 {
		t.Fatalf("leafz %v %v", z, err)
	}
	if found, err := leaf.hub.FaultConnection(z.Leafs[0].ID); err != nil || !found {
		t.Fatalf("fault: %v %v", found, err)
	}
	// Local traffic is not disturbed.
	_ = lc.Publish("local", []byte("x"))
	if _, err := local.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("local delivery after the fault: %v", err)
	}
	eventually(t, 10*time.Second, func() error {
		st := leaf.hub.Remotes()[0]
		if st.Connects < 2 || st.State != "connected" {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	waitLeafs(t, hub, 1)
	waitInterest(t, hub, "keep", true)
	hc := connect(t, hub.url)
	_ = hc.Publish("keep", []byte("after"))
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "after" {
		t.Fatalf("after the re-dial: %v %v", m, err)
	}
}

// TestFaultRemoteActor panics a remote actor: it restarts, keeps (or
// re-establishes) its one connection, and flow continues.
func TestFaultRemoteActor(t *testing.T) {
	hub := startNATS(t, hubConf)
	leaf := startLeafhub(t, leafConf("LEAF", hub.leafPort(t), ""))
	waitLeafs(t, hub, 1)
	lc := connect(t, leaf.url)
	sub, _ := lc.SubscribeSync("r")
	_ = lc.Flush()
	waitInterest(t, hub, "r", true)
	if err := leaf.hub.FaultRemote(0); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		for _, k := range leaf.hub.Actors().Kinds() {
			if k.Kind == "remote" && k.Restarts >= 1 {
				return nil
			}
		}
		return fmt.Errorf("no remote restart: %+v", leaf.hub.Actors().Kinds())
	})
	hc := connect(t, hub.url)
	eventually(t, 5*time.Second, func() error {
		_ = hc.Publish("r", []byte("x"))
		if _, err := sub.NextMsg(200 * time.Millisecond); err != nil {
			return err
		}
		return nil
	})
	if n := hub.ns.NumLeafNodes(); n != 1 {
		t.Fatalf("hub has %d leaf connections after the remote restart, want 1", n)
	}
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

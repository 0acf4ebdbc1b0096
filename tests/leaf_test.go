package tests

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// hubConf is a nats-server (or leafhub) hub accepting leafs on a random port.
const hubConf = "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1 }\n"

// leafConf points a leaf at a hub's leafnode port.
func leafConf(name string, hubLeafPort int, extra string) string {
	return fmt.Sprintf("server_name: %s\nleafnodes { reconnect: \"100ms\", remotes [ { url: \"nats://127.0.0.1:%d\" %s } ] }\n", name, hubLeafPort, extra)
}

// leafPort is a hub target's leafnode port.
func (s *target) leafPort(t testing.TB) int {
	if s.hub != nil {
		return s.hub.LeafAddr().Port
	}
	v, err := s.ns.Varz(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.LeafNode.Port
}

// numLeafs is how many leaf connections a target has.
func (s *target) numLeafs(t testing.TB) int {
	if s.ns != nil {
		return s.ns.NumLeafNodes()
	}
	return s.hub.Varz().Leafs
}

func waitLeafs(t testing.TB, s *target, n int) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		if got := s.numLeafs(t); got != n {
			return fmt.Errorf("%s has %d leaf connections, want %d", s.name, got, n)
		}
		return nil
	})
}

// hasInterest reports whether a target's global account has interest in subject.
func (s *target) hasInterest(t testing.TB, subject string) bool {
	if s.ns != nil {
		acc, err := s.ns.LookupAccount("$G")
		return err == nil && acc.SubscriptionInterest(subject)
	}
	st, err := s.hub.AccountInterest("$G", subject)
	return err == nil && st
}

func waitInterest(t testing.TB, s *target, subject string, want bool) {
	t.Helper()
	eventually(t, 10*time.Second, func() error {
		if got := s.hasInterest(t, subject); got != want {
			return fmt.Errorf("%s: interest in %q is %v, want %v", s.name, subject, got, want)
		}
		return nil
	})
}

// topology is a hub and a leaf, each leafhub or nats-server.
type topology struct{ hub, leaf *target }

func startTopology(t *testing.T, hubKind, leafKind string, hubExtra, leafExtra string) topology {
	start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
	hub := start[hubKind](t, hubConf+hubExtra)
	leaf := start[leafKind](t, leafConf("LEAF", hub.leafPort(t), "")+leafExtra)
	waitLeafs(t, hub, 1)
	waitLeafs(t, leaf, 1)
	return topology{hub, leaf}
}

// pairs are the role combinations every leaf test runs in.
var pairs = [][2]string{{"nats-server", "leafhub"}, {"leafhub", "nats-server"}, {"leafhub", "leafhub"}}

// eachPair runs f with a fresh hub+leaf topology for every role pairing.
func eachPair(t *testing.T, hubExtra, leafExtra string, f func(t *testing.T, tp topology)) {
	for _, p := range pairs {
		t.Run("hub="+p[0]+"/leaf="+p[1], func(t *testing.T) {
			f(t, startTopology(t, p[0], p[1], hubExtra, leafExtra))
		})
	}
}

func TestLeafBasicBothWays(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		hub, leaf := tp.hub, tp.leaf
		lc := connect(t, leaf.url)
		sub, _ := lc.SubscribeSync("down.>")
		_ = lc.Flush()
		waitInterest(t, hub, "down.x", true)
		hc := connect(t, hub.url)
		_ = hc.Publish("down.x", []byte("to leaf"))
		if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "to leaf" {
			t.Fatalf("hub → leaf: %v %v", m, err)
		}
		hsub, _ := hc.SubscribeSync("up.*")
		_ = hc.Flush()
		waitInterest(t, leaf, "up.y", true)
		_ = lc.Publish("up.y", []byte("to hub"))
		if m, err := hsub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "to hub" {
			t.Fatalf("leaf → hub: %v %v", m, err)
		}
		// Request/reply both ways.
		_, _ = lc.Subscribe("svc.leaf", func(m *nats.Msg) { _ = m.Respond([]byte("from leaf")) })
		_, _ = hc.Subscribe("svc.hub", func(m *nats.Msg) { _ = m.Respond([]byte("from hub")) })
		_ = lc.Flush()
		_ = hc.Flush()
		waitInterest(t, hub, "svc.leaf", true)
		waitInterest(t, leaf, "svc.hub", true)
		for i := 0; i < 100; i++ {
			if m, err := hc.Request("svc.leaf", nil, 5*time.Second); err != nil || string(m.Data) != "from leaf" {
				t.Fatalf("request hub → leaf %d: %v %v", i, m, err)
			}
			if m, err := lc.Request("svc.hub", nil, 5*time.Second); err != nil || string(m.Data) != "from hub" {
				t.Fatalf("request leaf → hub %d: %v %v", i, m, err)
			}
		}
		// Unsubscribing removes the interest on the other side.
		_ = sub.Unsubscribe()
		_ = lc.Flush()
		waitInterest(t, hub, "down.x", false)
	})
}

func TestLeafhubLeafToNATSHub(t *testing.T) {
	hub := startNATS(t, hubConf)
	leaf := startLeafhub(t, leafConf("LEAF", hub.leafPort(t), ""))
	waitLeafs(t, hub, 1)

	// Hub client → leaf client.
	lc := connect(t, leaf.url)
	sub, _ := lc.SubscribeSync("down.>")
	_ = lc.Flush()
	waitInterest(t, hub, "down.x", true)
	hc := connect(t, hub.url)
	_ = hc.Publish("down.x", []byte("to leaf"))
	if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "to leaf" {
		t.Fatalf("hub → leaf: %v %v", m, err)
	}
	// Leaf client → hub client, and a request answered on the leaf.
	hsub, _ := hc.SubscribeSync("up")
	_ = hc.Flush()
	eventually(t, 5*time.Second, func() error {
		_ = lc.Publish("up", []byte("to hub"))
		if m, err := hsub.NextMsg(100 * time.Millisecond); err == nil && string(m.Data) == "to hub" {
			return nil
		}
		return fmt.Errorf("leaf → hub not yet")
	})
	_, _ = lc.Subscribe("svc", func(m *nats.Msg) { _ = m.Respond([]byte("answer")) })
	_ = lc.Flush()
	waitInterest(t, hub, "svc", true)
	if m, err := hc.Request("svc", nil, 5*time.Second); err != nil || string(m.Data) != "answer" {
		t.Fatalf("request hub → leaf: %v %v", m, err)
	}
}

// twoWay connects a client to each end of a leaf path, subscribes
// PREFIX.down at the bottom and PREFIX.up at the top, and waits until each
// subscription is known at the other end. It returns the top and bottom
// connections and the down and up subscriptions.
func twoWay(t testing.TB, top, bottom *target, prefix string) (tc, bc *nats.Conn, down, up *nats.Subscription) {
	t.Helper()
	tc, bc = connect(t, top.url), connect(t, bottom.url)
	down, _ = bc.SubscribeSync(prefix + ".down")
	up, _ = tc.SubscribeSync(prefix + ".up")
	_ = bc.Flush()
	_ = tc.Flush()
	waitInterest(t, top, prefix+".down", true)
	waitInterest(t, bottom, prefix+".up", true)
	return tc, bc, down, up
}

// exchangeBoth publishes a small and a large (compressible) payload from
// top to subject down, and from bottom to subject up, and checks that
// the down and up subscriptions each receive them intact.
func exchangeBoth(t testing.TB, top, bottom *nats.Conn, down, up *nats.Subscription) {
	t.Helper()
	big := bytes.Repeat([]byte("compressible "), 50000)
	for _, p := range [][]byte{[]byte("small"), big} {
		_ = top.Publish(down.Subject, p)
		_ = bottom.Publish(up.Subject, p)
		for _, sub := range []*nats.Subscription{down, up} {
			m, err := sub.NextMsg(5 * time.Second)
			if err != nil || !bytes.Equal(m.Data, p) {
				t.Fatalf("%s: %d bytes, %v", sub.Subject, len(m.Data), err)
			}
		}
	}
}

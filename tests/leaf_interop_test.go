package tests

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestLeafQueueGroupsAcrossLeaf(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		hc, lc := connect(t, tp.hub.url), connect(t, tp.leaf.url)
		var onHub, onLeaf atomic.Int64
		_, _ = hc.QueueSubscribe("work", "q", func(*nats.Msg) { onHub.Add(1) })
		_, _ = lc.QueueSubscribe("work", "q", func(*nats.Msg) { onLeaf.Add(1) })
		_ = hc.Flush()
		_ = lc.Flush()
		waitInterest(t, tp.hub, "work", true)
		waitInterest(t, tp.leaf, "work", true)
		// Local members win: everything published on the leaf stays there.
		const n = 500
		for i := 0; i < n; i++ {
			_ = lc.Publish("work", nil)
		}
		_ = lc.Flush()
		eventually(t, 5*time.Second, func() error {
			if onLeaf.Load() != n || onHub.Load() != 0 {
				return fmt.Errorf("leaf %d hub %d", onLeaf.Load(), onHub.Load())
			}
			return nil
		})
		// With no local member, each message goes to exactly one member across the leaf.
		hc2 := connect(t, tp.hub.url)
		var other atomic.Int64
		_, _ = hc2.QueueSubscribe("only.leaf", "g", func(*nats.Msg) { other.Add(1) })
		_, _ = lc.QueueSubscribe("only.leaf", "g", func(*nats.Msg) { other.Add(1) })
		_ = hc2.Flush()
		_ = lc.Flush()
		waitInterest(t, tp.hub, "only.leaf", true)
		pub := connect(t, tp.hub.url)
		for i := 0; i < n; i++ {
			_ = pub.Publish("only.leaf", nil)
		}
		_ = pub.Flush()
		eventually(t, 5*time.Second, func() error {
			if other.Load() != n {
				return fmt.Errorf("received %d of %d", other.Load(), n)
			}
			return nil
		})
		// Remove the hub member: the leaf member gets them all.
		hc2.Close()
		onLeaf.Store(0)
		var leafOnly atomic.Int64
		_, _ = lc.QueueSubscribe("leafq", "g", func(*nats.Msg) { leafOnly.Add(1) })
		_ = lc.Flush()
		waitInterest(t, tp.hub, "leafq", true)
		for i := 0; i < n; i++ {
			_ = pub.Publish("leafq", nil)
		}
		_ = pub.Flush()
		eventually(t, 5*time.Second, func() error {
			if leafOnly.Load() != n {
				return fmt.Errorf("leaf member received %d of %d", leafOnly.Load(), n)
			}
			return nil
		})
	})
}

func TestLeafHeadersAndLargePayloads(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		hc, lc := connect(t, tp.hub.url), connect(t, tp.leaf.url)
		sub, _ := lc.SubscribeSync("big")
		_ = lc.Flush()
		waitInterest(t, tp.hub, "big", true)
		payload := bytes.Repeat([]byte("0123456789abcdef"), 1024*1024/16-64) // just under 1 MB with headers
		m := nats.NewMsg("big")
		m.Header.Set("X-Hop", "hub")
		m.Data = payload
		if err := hc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
		got, err := sub.NextMsg(10 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if got.Header.Get("X-Hop") != "hub" || !bytes.Equal(got.Data, payload) {
			t.Fatalf("header %q, %d bytes", got.Header.Get("X-Hop"), len(got.Data))
		}
	})
}

func TestLeafManySubscriptionsPropagate(t *testing.T) {
	eachPair(t, "", "", func(t *testing.T, tp topology) {
		const n = 10000
		lc := connect(t, tp.leaf.url)
		var got atomic.Int64
		for i := 0; i < n; i++ {
			if _, err := lc.Subscribe(fmt.Sprintf("many.%d", i), func(*nats.Msg) { got.Add(1) }); err != nil {
				t.Fatal(err)
			}
		}
		_ = lc.Flush()
		waitInterest(t, tp.hub, fmt.Sprintf("many.%d", n-1), true)
		waitInterest(t, tp.hub, "many.0", true)
		hc := connect(t, tp.hub.url)
		for i := 0; i < n; i++ {
			_ = hc.Publish(fmt.Sprintf("many.%d", i), nil)
		}
		_ = hc.Flush()
		eventually(t, 10*time.Second, func() error {
			if got.Load() != n {
				return fmt.Errorf("received %d of %d", got.Load(), n)
			}
			return nil
		})
	})
}

// TestLeafReconnectAfterHubRestart restarts the hub on the same port: the
// leaf reconnects and re-announces its interest.
func TestLeafReconnectAfterHubRestart(t *testing.T) {
	for _, hubKind := range []string{"nats-server", "leafhub"} {
		t.Run("hub="+hubKind, func(t *testing.T) {
			start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
			hub := start[hubKind](t, hubConf)
			port := hub.leafPort(t)
			leaf := startLeafhub(t, leafConf("LEAF", port, ""))
			waitLeafs(t, hub, 1)
			lc := connect(t, leaf.url)
			sub, _ := lc.SubscribeSync("again")
			_ = lc.Flush()
			waitInterest(t, hub, "again", true)

			shutdownTarget(t, hub)
			waitLeafs(t, leaf, 0)
			hub2 := start[hubKind](t, fmt.Sprintf("server_name: HUB\nleafnodes { listen: 127.0.0.1:%d }\n", port))
			waitLeafs(t, hub2, 1)
			waitInterest(t, hub2, "again", true)
			hc := connect(t, hub2.url)
			_ = hc.Publish("again", []byte("after restart"))
			if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "after restart" {
				t.Fatalf("after the restart: %v %v", m, err)
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

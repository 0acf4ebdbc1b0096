package tests

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestJetStreamThroughLeaf: a nats.go JetStream client on a leafhub leaf
// uses the hub's JetStream (domain "hub") across the leaf: stream creation,
// acknowledged publishes, a pull consumer with acks.
func TestJetStreamThroughLeaf(t *testing.T) {
	dir := filepath.ToSlash(t.TempDir())
	hub := startNATS(t, hubConf+fmt.Sprintf("jetstream { domain: hub, store_dir: %q }\n", dir))
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), ""))
	waitLeafs(t, hub, 1)
	waitInterest(t, leaf, "$JS.hub.API.INFO", true)

	nc := connect(t, leaf.url)
	js, err := nc.JetStream(nats.Domain("hub"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.AddStream(&nats.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}}); err != nil {
		t.Fatalf("add stream across the leaf: %v", err)
	}
	waitInterest(t, leaf, "orders.new", true)
	for i := 0; i < 20; i++ {
		ack, err := js.Publish("orders.new", []byte(fmt.Sprint(i)))
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		if ack.Stream != "ORDERS" || ack.Sequence != uint64(i+1) || ack.Domain != "hub" {
			t.Fatalf("ack %+v", ack)
		}
	}
	sub, err := js.PullSubscribe("orders.>", "worker")
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for got < 20 {
		msgs, err := sub.Fetch(20-got, nats.MaxWait(5*time.Second))
		if err != nil {
			t.Fatalf("fetch after %d: %v", got, err)
		}
		for _, m := range msgs {
			if string(m.Data) != fmt.Sprint(got) {
				t.Fatalf("message %d is %q", got, m.Data)
			}
			if err := m.AckSync(); err != nil {
				t.Fatalf("ack: %v", err)
			}
			got++
		}
	}
	info, err := js.ConsumerInfo("ORDERS", "worker")
	if err != nil {
		t.Fatal(err)
	}
	if info.AckFloor.Consumer != 20 || info.NumAckPending != 0 {
		t.Fatalf("consumer %+v", info)
	}
}

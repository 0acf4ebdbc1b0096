package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// cidOf returns the server-side connection id of a nats.go connection.
func cidOf(t testing.TB, nc *nats.Conn) uint64 {
	id, err := nc.GetClientID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestFaultConnectionActor panics one client connection actor: only that
// connection closes, every other client keeps sending and receiving.
func TestFaultConnectionActor(t *testing.T) {
	s := startLeafhub(t, "")
	victimClosed := make(chan struct{})
	victim := connect(t, s.url, nats.ClosedHandler(func(*nats.Conn) { close(victimClosed) }))
	a := connect(t, s.url)
	b := connect(t, s.url)
	sub, _ := b.SubscribeSync("flow")
	_ = b.Flush()

	found, err := s.hub.FaultConnection(cidOf(t, victim))
	if err != nil || !found {
		t.Fatalf("fault injection: found=%v err=%v", found, err)
	}
	select {
	case <-victimClosed:
	case <-time.After(5 * time.Second):
		t.Fatal("the faulted connection was not closed")
	}
	for i := 0; i < 100; i++ {
		_ = a.Publish("flow", []byte(fmt.Sprint(i)))
	}
	for i := 0; i < 100; i++ {
		m, err := sub.NextMsg(2 * time.Second)
		if err != nil || string(m.Data) != fmt.Sprint(i) {
			t.Fatalf("after the fault, message %d: %v %v", i, m, err)
		}
	}
	if !a.IsConnected() || !b.IsConnected() {
		t.Fatal("another connection was disturbed")
	}
	// The supervisor stopped (not restarted) the faulted actor.
	eventually(t, 2*time.Second, func() error {
		for _, k := range s.hub.Actors().Kinds() {
			if k.Kind == "client" && k.Stops >= 1 && k.Failures >= 1 {
				return nil
			}
		}
		return fmt.Errorf("kinds %+v", s.hub.Actors().Kinds())
	})
	// /connz says why: an internal error, not a shutdown.
	eventually(t, 2*time.Second, func() error {
		z, err := s.hub.Connz(connzClosed)
		if err != nil || len(z.Conns) != 1 || z.Conns[0].Reason != "Internal Error" {
			return fmt.Errorf("closed %+v %v", z, err)
		}
		return nil
	})
}

// TestFaultAccountActor panics the account actor: it restarts, rebuilds from
// its members, and every existing subscription still receives; new ones work.
func TestFaultAccountActor(t *testing.T) {
	s := startLeafhub(t, "")
	sub := connect(t, s.url)
	pub := connect(t, s.url)
	var subs []*nats.Subscription
	for i := 0; i < 50; i++ {
		ss, err := sub.SubscribeSync(fmt.Sprintf("acc.%d", i))
		if err != nil {
			t.Fatal(err)
		}
		subs = append(subs, ss)
	}
	qs, _ := sub.QueueSubscribeSync("acc.q", "g")
	_ = sub.Flush()
	before, err := s.hub.AccountStats("$G")
	if err != nil {
		t.Fatal(err)
	}

	if err := s.hub.FaultAccount("$G"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		for _, k := range s.hub.Actors().Kinds() {
			if k.Kind == "account" && k.Restarts >= 1 {
				return nil
			}
		}
		return fmt.Errorf("no account restart yet: %+v", s.hub.Actors().Kinds())
	})
	// A new subscription after the restart works, and proves the rebuild ran.
	late, _ := sub.SubscribeSync("acc.late")
	_ = sub.Flush()
	after, err := s.hub.AccountStats("$G")
	if err != nil {
		t.Fatal(err)
	}
	// The new instance started from an empty index: all 52 came from the rebuild.
	if after.Subscriptions != before.Subscriptions+1 {
		t.Fatalf("before %+v after %+v", before, after)
	}
	for i := range subs {
		_ = pub.Publish(fmt.Sprintf("acc.%d", i), []byte("x"))
	}
	_ = pub.Publish("acc.q", []byte("q"))
	_ = pub.Publish("acc.late", []byte("l"))
	for i, ss := range subs {
		if _, err := ss.NextMsg(2 * time.Second); err != nil {
			t.Fatalf("subscription %d lost after the account restart: %v", i, err)
		}
	}
	if _, err := qs.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("queue subscription lost: %v", err)
	}
	if _, err := late.NextMsg(2 * time.Second); err != nil {
		t.Fatalf("new subscription: %v", err)
	}
}

package tests

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestPubSubBasic(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		sub, err := nc.SubscribeSync("foo.*")
		if err != nil {
			t.Fatal(err)
		}
		nc2 := connect(t, s.url)
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := nc2.Publish("foo.bar", []byte("hello")); err != nil {
			t.Fatal(err)
		}
		m, err := sub.NextMsg(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if m.Subject != "foo.bar" || string(m.Data) != "hello" {
			t.Fatalf("got %q %q", m.Subject, m.Data)
		}
	})
}

func TestRequestReplyStyles(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		resp := connect(t, s.url)
		if _, err := resp.Subscribe("svc", func(m *nats.Msg) { _ = m.Respond(append([]byte("re:"), m.Data...)) }); err != nil {
			t.Fatal(err)
		}
		if err := resp.Flush(); err != nil {
			t.Fatal(err)
		}
		newStyle := connect(t, s.url)
		oldStyle := connect(t, s.url, nats.UseOldRequestStyle())
		const n = 10000
		for i := 0; i < n; i++ {
			nc := newStyle
			if i%2 == 1 {
				nc = oldStyle
			}
			m, err := nc.Request("svc", []byte(fmt.Sprint(i)), 2*time.Second)
			if err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
			if want := fmt.Sprintf("re:%d", i); string(m.Data) != want {
				t.Fatalf("request %d: got %q want %q", i, m.Data, want)
			}
		}
	})
}

func TestNoResponders(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		start := time.Now()
		_, err := nc.Request("nobody.home", nil, 5*time.Second)
		if !errors.Is(err, nats.ErrNoResponders) {
			t.Fatalf("got %v, want ErrNoResponders", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Fatalf("no-responders took %v", d)
		}
	})
}

func TestQueueGroupExactlyOnce(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		const members, msgs = 5, 2000
		var got atomic.Int64
		counts := make([]atomic.Int64, members)
		for i := 0; i < members; i++ {
			nc := connect(t, s.url)
			if _, err := nc.QueueSubscribe("work", "q", func(*nats.Msg) { counts[i].Add(1); got.Add(1) }); err != nil {
				t.Fatal(err)
			}
			if err := nc.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		pub := connect(t, s.url)
		for i := 0; i < msgs; i++ {
			if err := pub.Publish("work", []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		if err := pub.Flush(); err != nil {
			t.Fatal(err)
		}
		eventually(t, 5*time.Second, func() error {
			if n := got.Load(); n != msgs {
				return fmt.Errorf("received %d of %d", n, msgs)
			}
			return nil
		})
		for i := range counts {
			if counts[i].Load() == 0 {
				t.Errorf("member %d received nothing", i)
			}
		}
	})
}

func TestHeadersRoundTrip(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		sub, _ := nc.SubscribeSync("h")
		_ = nc.Flush()
		m := nats.NewMsg("h")
		m.Header.Set("X-Test", "one")
		m.Header.Add("X-Test", "two")
		m.Data = []byte("body")
		if err := nc.PublishMsg(m); err != nil {
			t.Fatal(err)
		}
		got, err := sub.NextMsg(2 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if v := got.Header.Values("X-Test"); len(v) != 2 || v[0] != "one" || v[1] != "two" || string(got.Data) != "body" {
			t.Fatalf("got headers %v data %q", got.Header, got.Data)
		}
	})
}

func TestManySubscriptionsInOrder(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		const subs, msgs = 1000, 100000
		nc := connect(t, s.url)
		var mu sync.Mutex
		next := make([]int, subs)
		var bad atomic.Int64
		var total atomic.Int64
		done := make(chan struct{})
		for i := 0; i < subs; i++ {
			subj := fmt.Sprintf("many.%d", i)
			_, err := nc.Subscribe(subj, func(m *nats.Msg) {
				var seq int
				fmt.Sscan(string(m.Data), &seq)
				mu.Lock()
				if seq != next[i] {
					bad.Add(1)
				}
				next[i] = seq + 1
				mu.Unlock()
				if total.Add(1) == msgs {
					close(done)
				}
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := nc.Flush(); err != nil {
			t.Fatal(err)
		}
		pub := connect(t, s.url)
		for i := 0; i < msgs; i++ {
			if err := pub.Publish(fmt.Sprintf("many.%d", i%subs), []byte(fmt.Sprint(i/subs))); err != nil {
				t.Fatal(err)
			}
		}
		if err := pub.Flush(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Fatalf("received %d of %d", total.Load(), msgs)
		}
		if bad.Load() != 0 {
			t.Fatalf("%d messages out of order", bad.Load())
		}
	})
}

package tests

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// jsonField decodes the JSON of an "INFO {...}" line into v.
func jsonField(line string, v any) error {
	return json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(line, "INFO "))), v)
}

func TestConcurrentClients(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		const clients = 500
		sink := connect(t, s.url)
		got := make(chan string, clients)
		if _, err := sink.Subscribe("hello.*", func(m *nats.Msg) { got <- m.Subject }); err != nil {
			t.Fatal(err)
		}
		_ = sink.Flush()
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		conns := make([]*nats.Conn, clients)
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				nc, err := nats.Connect(s.url, nats.MaxReconnects(0))
				if err != nil {
					errs <- err
					return
				}
				conns[i] = nc
				if err := nc.Publish(fmt.Sprintf("hello.%d", i), nil); err != nil {
					errs <- err
					return
				}
				if err := nc.Flush(); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		defer func() {
			for _, nc := range conns {
				if nc != nil {
					nc.Close()
				}
			}
		}()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		timeout := time.After(10 * time.Second)
		for len(seen) < clients {
			select {
			case subj := <-got:
				seen[subj] = true
			case <-timeout:
				t.Fatalf("received from %d of %d clients", len(seen), clients)
			}
		}
	})
}

func TestSlowConsumer(t *testing.T) {
	both(t, "max_pending: 65536\nmax_payload: 65536\n", func(t *testing.T, s *target) {
		// A raw subscriber that never reads.
		r := dialRaw(t, s.addr)
		r.send(defaultConnect + "SUB big 1\r\n")
		r.expectOpen()
		pub := connect(t, s.url)
		payload := make([]byte, 32*1024)
		deadline := time.Now().Add(20 * time.Second)
		for {
			for i := 0; i < 100; i++ {
				_ = pub.Publish("big", payload)
			}
			_ = pub.Flush()
			if slowConsumers(t, s) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("no slow consumer detected")
			}
		}
		if !pub.IsConnected() {
			t.Fatal("the publisher was disconnected")
		}
	})
}

// slowConsumers reads the slow consumer count of the server.
func slowConsumers(t testing.TB, s *target) int64 {
	if s.hub != nil {
		return s.hub.Varz().SlowConsumers
	}
	v, err := s.ns.Varz(nil)
	if err != nil {
		t.Fatal(err)
	}
	return v.SlowConsumers
}

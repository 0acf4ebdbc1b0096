package tests

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server/gsl"
	"github.com/nats-io/nats.go"

	"github.com/leafhub/leafhub/protocol/sublist"
)

// Benchmarks run leafhub and an embedded nats-server on the same topology in
// the same process, one after the other for each case; `make bench` pairs
// the results (tests/benchreport) and prints the leafhub/nats-server ratios.

type benchSize struct {
	name string
	size int
}

var benchSizes = []benchSize{{"16B", 16}, {"256B", 256}, {"4KiB", 4 << 10}, {"64KiB", 64 << 10}}

// benchServers starts each kind of server once per benchmark function.
func benchServers(b *testing.B, conf string) []*target {
	return []*target{startLeafhub(b, conf), startNATS(b, conf)}
}

// window bounds the bytes in flight between publisher and subscriber, so the
// subscriber's server-side queue stays well below max_pending.
const window = 8 << 20

// BenchmarkPubSub: one nats.go publisher → server → one nats.go subscriber.
func BenchmarkPubSub(b *testing.B) {
	servers := benchServers(b, "")
	for _, sz := range benchSizes {
		for _, s := range servers {
			b.Run(sz.name+"/"+s.name, func(b *testing.B) {
				runPubSub(b, s.url, s.url, sz.size)
			})
		}
	}
}

// runPubSub publishes b.N messages of size bytes on pubURL and waits until a
// subscriber on subURL received them all.
func runPubSub(b *testing.B, pubURL, subURL string, size int) {
	subConn := connect(b, subURL)
	pubConn := connect(b, pubURL)
	subject := fmt.Sprintf("bench.%d", size)
	var got, probes atomic.Int64
	progress := make(chan struct{}, 1)
	sub, err := subConn.Subscribe(subject, func(m *nats.Msg) {
		if len(m.Data) == 0 { // a probe of waitProbe, not a measured message
			probes.Add(1)
			return
		}
		got.Add(1)
		select {
		case progress <- struct{}{}:
		default:
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := subConn.Flush(); err != nil {
		b.Fatal(err)
	}
	// The subscription must have reached the publisher's server.
	waitProbe(b, pubConn, subject, &probes)
	payload := make([]byte, size)
	inFlight := int64(max(window/(size+64), 64))
	b.SetBytes(int64(size))
	b.ResetTimer()
	start := time.Now()
	for i := int64(0); i < int64(b.N); i++ {
		for i-got.Load() > inFlight {
			select {
			case <-progress:
			case <-time.After(10 * time.Second):
				b.Fatalf("stalled at %d of %d", got.Load(), b.N)
			}
		}
		if err := pubConn.Publish(subject, payload); err != nil {
			b.Fatal(err)
		}
	}
	for got.Load() < int64(b.N) {
		select {
		case <-progress:
		case <-time.After(10 * time.Second):
			b.Fatalf("received %d of %d", got.Load(), b.N)
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	if sub.IsValid() {
		_ = sub.Unsubscribe()
	}
}

// waitProbe publishes empty probes until the subscriber has counted one:
// the interest crossed every hop. Probes still in flight do not disturb
// the measurement: the subscriber counts them apart.
func waitProbe(b *testing.B, pub *nats.Conn, subject string, got *atomic.Int64) {
	deadline := time.Now().Add(10 * time.Second)
	for got.Load() == 0 {
		if time.Now().After(deadline) {
			b.Fatal("subscription never became visible to the publisher")
		}
		_ = pub.Publish(subject, nil)
		_ = pub.Flush()
		time.Sleep(5 * time.Millisecond) // the pace of the probes, not a wait for an event
	}
}

// BenchmarkRequestReply: sequential requests through the server.
func BenchmarkRequestReply(b *testing.B) {
	for _, s := range benchServers(b, "") {
		b.Run(s.name, func(b *testing.B) {
			resp := connect(b, s.url)
			_, _ = resp.Subscribe("rr", func(m *nats.Msg) { _ = m.Respond(m.Data) })
			_ = resp.Flush()
			req := connect(b, s.url)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := req.Request("rr", []byte("x"), 5*time.Second); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSubUnsub is control-plane churn: SUB, UNSUB and a round trip,
// as old-style requests do. It also measures protoactor's own metrics
// (leafhub { actor_metrics: true }), which cost per mailbox message.
func BenchmarkSubUnsub(b *testing.B) {
	servers := []*target{startLeafhub(b, ""), startLeafhub(b, "leafhub { actor_metrics: true }\n"), startNATS(b, "")}
	servers[1].name = "leafhub-actor-metrics"
	for _, s := range servers {
		b.Run(s.name, func(b *testing.B) {
			nc := connect(b, s.url)
			// An async subscription: SubscribeSync would allocate its
			// 64k-message channel per call and measure the client.
			noop := func(*nats.Msg) {}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sub, err := nc.Subscribe("churn", noop)
				if err != nil {
					b.Fatal(err)
				}
				_ = sub.Unsubscribe()
				if i%100 == 99 {
					_ = nc.Flush()
				}
			}
			_ = nc.Flush()
		})
	}
}

// BenchmarkMatch compares leafhub's subscription index with nats-server's
// generic sublist on the same subscriptions: 10,000 literal subjects and a
// few wildcards, matched uncached.
func BenchmarkMatch(b *testing.B) {
	const n = 10000
	subjects := make([]string, n)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("orders.region%d.item%d", i%50, i)
	}
	wild := []string{"orders.*.item7", "orders.>", "orders.region3.*"}
	b.Run("leafhub", func(b *testing.B) {
		bl := sublist.NewBuilder[*int]()
		for i := range subjects {
			bl.Insert(subjects[i], "", &i)
		}
		for i, w := range wild {
			bl.Insert(w, "", &i)
		}
		snap := bl.Snapshot()
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			r := snap.Match(subjects[i%n])
			if len(r.Plain) == 0 {
				b.Fatal("no match")
			}
		}
	})
	b.Run("nats-server", func(b *testing.B) {
		sl := gsl.NewSublist[int]()
		for i := range subjects {
			_ = sl.Insert(subjects[i], i)
		}
		for i, w := range wild {
			_ = sl.Insert(w, i)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			found := false
			sl.Match(subjects[i%n], func(int) { found = true })
			if !found {
				b.Fatal("no match")
			}
		}
	})
}

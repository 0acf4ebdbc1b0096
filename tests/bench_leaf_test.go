package tests

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// Leaf benchmarks: the hub is always an embedded nats-server; the leaf is
// leafhub or nats-server, so the ratio compares the leaf implementations on
// the same topology.

// BenchmarkLeafPubSub: publisher on the hub → leaf → subscriber ("down"),
// and publisher on the leaf → hub → subscriber ("up").
func BenchmarkLeafPubSub(b *testing.B) {
	hub := startNATS(b, hubConf)
	leafs := []*target{startLeafhub(b, leafConf("LH", hub.leafPort(b), "")), startNATS(b, leafConf("NS", hub.leafPort(b), ""))}
	waitLeafs(b, hub, 2)
	runLeafPubSub(b, hub, leafs, benchSizes)
}

// runLeafPubSub runs pub/sub across each leaf's link, both directions.
func runLeafPubSub(b *testing.B, hub *target, leafs []*target, sizes []benchSize) {
	for _, dir := range []string{"down", "up"} {
		for _, sz := range sizes {
			for _, leaf := range leafs {
				b.Run(dir+"/"+sz.name+"/"+leaf.name, func(b *testing.B) {
					if dir == "down" {
						runPubSub(b, hub.url, leaf.url, sz.size)
					} else {
						runPubSub(b, leaf.url, hub.url, sz.size)
					}
				})
			}
		}
	}
}

// BenchmarkLeafPubSubS2: as BenchmarkLeafPubSub with the leaf link
// compressed at s2_fast both ways (the loopback default, s2_auto, settles
// on s2_uncompressed framing).
func BenchmarkLeafPubSubS2(b *testing.B) {
	hub := startNATS(b, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, compression: s2_fast }\n")
	extra := ", compression: s2_fast"
	leafs := []*target{startLeafhub(b, leafConf("LH", hub.leafPort(b), extra)), startNATS(b, leafConf("NS", hub.leafPort(b), extra))}
	waitLeafs(b, hub, 2)
	runLeafPubSub(b, hub, leafs, benchSizes[1:])
}

// BenchmarkLeafPubSubWS: as BenchmarkLeafPubSub with the leaf link over
// WebSocket (ws://, S2 under the frames as negotiated by default).
func BenchmarkLeafPubSubWS(b *testing.B) {
	hub := startNATS(b, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1 }\nwebsocket { listen: 127.0.0.1:-1, no_tls: true }\n")
	remote := func(name string) string {
		return fmt.Sprintf("server_name: %s\nleafnodes { remotes [ { url: %q } ] }\n", name, hub.ws)
	}
	leafs := []*target{startLeafhub(b, remote("LH")), startNATS(b, remote("NS"))}
	waitLeafs(b, hub, 2)
	runLeafPubSub(b, hub, leafs, benchSizes[1:])
}

// BenchmarkLeafRequest: requests from a client on the leaf answered on the
// hub; latency percentiles over the run.
func BenchmarkLeafRequest(b *testing.B) {
	hub := startNATS(b, hubConf)
	leafs := []*target{startLeafhub(b, leafConf("LH", hub.leafPort(b), "")), startNATS(b, leafConf("NS", hub.leafPort(b), ""))}
	waitLeafs(b, hub, 2)
	resp := connect(b, hub.url)
	_, _ = resp.Subscribe("lat", func(m *nats.Msg) { _ = m.Respond(m.Data) })
	_ = resp.Flush()
	for _, leaf := range leafs {
		b.Run(leaf.name, func(b *testing.B) {
			nc := connect(b, leaf.url)
			waitInterest(b, leaf, "lat", true)
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				if _, err := nc.Request("lat", []byte("x"), 5*time.Second); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}

// leafProcess runs a leaf (leafhub or nats-server binary) as a process, so
// that its resident memory can be read.
type leafProcess struct {
	cmd  *exec.Cmd
	port int
}

func startLeafProcess(b testing.TB, bin string, conf string) *leafProcess {
	b.Helper()
	port := freePort(b)
	file := writeConf(b, fmt.Sprintf("listen: 127.0.0.1:%d\n%s", port, conf))
	cmd := exec.Command(bin, "-c", file)
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	p := &leafProcess{cmd: cmd, port: port}
	eventually(b, 10*time.Second, func() error {
		nc, err := nats.Connect(p.url())
		if err != nil {
			return err
		}
		nc.Close()
		return nil
	})
	return p
}

func (p *leafProcess) url() string { return fmt.Sprintf("nats://127.0.0.1:%d", p.port) }

var rssRe = regexp.MustCompile(`VmRSS:\s+(\d+) kB`)

// rss reads the process's resident set size in bytes.
func (p *leafProcess) rss(b testing.TB) float64 {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		b.Fatal(err)
	}
	m := rssRe.FindSubmatch(st)
	if m == nil {
		b.Fatalf("no VmRSS in /proc status")
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return float64(kb) * 1024
}

// BenchmarkLeafPropagation: 100,000 subscriptions made on the leaf, timed
// until the hub has interest in all of them; the leaf process's resident
// memory with them. One iteration is propagationRounds full propagations,
// each on fresh servers, and reports their median: a single propagation
// varies by ±25% on a loaded 2-core machine.
func BenchmarkLeafPropagation(b *testing.B) {
	const n, propagationRounds = 100000, 3
	bins := map[string]string{"leafhub": leafhubBinary(b), "nats-server": natsServerBin.get(b)}
	for _, kind := range []string{"leafhub", "nats-server"} {
		b.Run(kind, func(b *testing.B) {
			var times []time.Duration
			var rss float64
			for i := 0; i < b.N*propagationRounds; i++ {
				b.StopTimer()
				hub := startNATS(b, hubConf)
				leaf := startLeafProcess(b, bins[kind], leafConf(strings.ToUpper(kind[:2]), hub.leafPort(b), ""))
				waitLeafs(b, hub, 1)
				nc := connect(b, leaf.url())
				hc := connect(b, hub.url)
				last := fmt.Sprintf("prop.%d", n-1)
				runtime.GC() // the hub runs in this process: start each round from a collected heap
				b.StartTimer()
				start := time.Now()
				for j := 0; j < n-1; j++ {
					if _, err := nc.Subscribe(fmt.Sprintf("prop.%d", j), func(*nats.Msg) {}); err != nil {
						b.Fatal(err)
					}
				}
				// The last subscription answers: interest travels in order,
				// so the first request from the hub that gets an answer
				// (not "no responders") marks the end of the propagation.
				if _, err := nc.Subscribe(last, func(m *nats.Msg) { _ = m.Respond(nil) }); err != nil {
					b.Fatal(err)
				}
				_ = nc.Flush()
				for {
					_, err := hc.Request(last, nil, 10*time.Second)
					if err == nil {
						break
					}
					if !errors.Is(err, nats.ErrNoResponders) {
						b.Fatal(err)
					}
				}
				times = append(times, time.Since(start))
				if acc, _ := hub.ns.LookupAccount("$G"); acc.TotalSubs() < n {
					b.Fatalf("hub has %d subscriptions, want %d", acc.TotalSubs(), n)
				}
				b.StopTimer()
				rss = max(rss, leaf.rss(b))
				nc.Close()
				hc.Close()
				shutdownTarget(b, hub)
				_ = leaf.cmd.Process.Kill()
				_, _ = leaf.cmd.Process.Wait()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Milliseconds()), "ms")
			b.ReportMetric(rss/(1<<20), "rss-MiB")
		})
	}
}

package tests

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// leafConnect is what a raw fake leaf sends after the hub's INFO.
const leafConnect = `CONNECT {"version":"2.15.2","name":"RAW","cluster":"RAW","headers":true,"remote_account":"$G","protocol":1}` + "\r\n"

// dialLeafRaw opens a raw leaf connection to a hub target's leafnode port.
func dialLeafRaw(t testing.TB, s *target) *rawConn {
	t.Helper()
	return dialRaw(t, fmt.Sprintf("127.0.0.1:%d", s.leafPort(t)))
}

// handshake sends CONNECT and reads the connect_info INFO.
func (r *rawConn) leafHandshake(connect string) string {
	r.t.Helper()
	r.send(connect)
	l := r.line()
	if !strings.HasPrefix(l, "INFO ") || !strings.Contains(l, `"connect_info":true`) {
		r.t.Fatalf("after CONNECT: %q, want the connect_info INFO", l)
	}
	return l
}

// collectLS reads lines until a PONG answers our PING, returning LS lines
// sorted, with the $LDS. token replaced by LDS.
var ldsRe = regexp.MustCompile(`\$LDS\.[0-9A-Za-z]{22}`)

func (r *rawConn) lsLines() []string {
	r.t.Helper()
	var out []string
	for _, l := range r.expectOpen() {
		if strings.HasPrefix(l, "LS") {
			out = append(out, ldsRe.ReplaceAllString(l, "$$LDS"))
		}
	}
	sort.Strings(out)
	return out
}

func TestLeafWireHubINFO(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		var info struct {
			ClientID      uint64   `json:"client_id"`
			Nonce         string   `json:"nonce"`
			InfoOnConnect bool     `json:"info_on_connect"`
			URLs          []string `json:"leafnode_urls"`
			Headers       bool     `json:"headers"`
			AuthRequired  bool     `json:"auth_required"`
			MaxPayload    int      `json:"max_payload"`
		}
		if err := jsonField(r.info, &info); err != nil {
			t.Fatal(err)
		}
		if info.ClientID == 0 || len(info.Nonce) != 15 || !info.InfoOnConnect || len(info.URLs) != 1 ||
			!info.Headers || !info.AuthRequired || info.MaxPayload != 1<<20 {
			t.Fatalf("leaf INFO %+v from %q", info, r.info)
		}
		l := r.leafHandshake(leafConnect)
		if !strings.Contains(l, `"remote_account":"$G"`) {
			t.Fatalf("connect_info INFO %q lacks remote_account", l)
		}
	})
}

func TestLeafWirePreConnect(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.send("PING\r\n")
		if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Authorization Violation'") {
			t.Fatalf("PING before CONNECT: %q", lines)
		}
	})
	both(t, "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, authorization { timeout: 0.5 } }\n", func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Authentication Timeout'") {
			t.Fatalf("silent leaf: %q", lines)
		}
	})
}

func TestLeafWireConnectChecks(t *testing.T) {
	cases := []struct{ name, connect, err string }{
		{"client on the leaf port", `CONNECT {"lang":"go","version":"1.55.0","protocol":1}`, "attempted to connect to leaf node port"},
		{"cluster with spaces", `CONNECT {"cluster":"a b","protocol":1}`, "cluster name cannot contain spaces"},
		{"reserved cluster", `CONNECT {"cluster":"_","protocol":1}`, "cluster name is reserved"},
		{"same cluster", `CONNECT {"cluster":"HUB","name":"X","protocol":1}`, "remote leafnode has same cluster name"},
		{"gateway", `CONNECT {"gateway":"GW","protocol":1}`, `Rejecting connection from gateway "GW" on the leafnode port`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A hub with a remote has a cluster name: its server name.
			conf := "server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, remotes [ { url: \"nats://127.0.0.1:1\", disabled: true } ] }\n"
			both(t, conf, func(t *testing.T, s *target) {
				r := dialLeafRaw(t, s)
				r.send(tc.connect + "\r\n")
				if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR '"+tc.err+"'") {
					t.Fatalf("lines %q, want -ERR '%s'", lines, tc.err)
				}
			})
		})
	}
}

func TestLeafWireInterestDumpAndUpdates(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		_, _ = nc.SubscribeSync("foo")
		_, _ = nc.QueueSubscribeSync("foo", "q1")
		_, _ = nc.QueueSubscribeSync("foo", "q1")
		_, _ = nc.SubscribeSync("bar.*")
		_ = nc.Flush()
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		got := r.lsLines()
		// nats-server also announces the system services it imports into
		// every account ($SYS.REQ...); leafhub serves none, so announces none.
		var filtered []string
		for _, l := range got {
			if !strings.HasPrefix(l, "LS+ $SYS.") {
				filtered = append(filtered, l)
			}
		}
		want := []string{"LS+ $LDS", "LS+ bar.*", "LS+ foo", "LS+ foo q1 2"}
		if strings.Join(filtered, "|") != strings.Join(want, "|") {
			t.Fatalf("dump %q, want %q", filtered, want)
		}
		// Incremental: plain interest once, queue weight on every change.
		nc2 := connect(t, s.url)
		s1, _ := nc2.QueueSubscribeSync("baz", "g")
		s2, _ := nc2.QueueSubscribeSync("baz", "g")
		p1, _ := nc2.SubscribeSync("plain")
		p2, _ := nc2.SubscribeSync("plain")
		_ = nc2.Flush()
		_ = s1.Unsubscribe()
		_ = s2.Unsubscribe()
		_ = p1.Unsubscribe()
		_ = p2.Unsubscribe()
		_ = nc2.Flush()
		var lines []string
		for len(lines) < 6 {
			l := r.line()
			if l == "PING" {
				r.send("PONG\r\n")
				continue
			}
			lines = append(lines, l)
		}
		want = []string{"LS+ baz g 1", "LS+ baz g 2", "LS+ plain", "LS+ baz g 1", "LS- baz g", "LS- plain"}
		if strings.Join(lines, "|") != strings.Join(want, "|") {
			t.Fatalf("updates %q, want %q", lines, want)
		}
	})
}

func TestLeafWireInboundInterestAndMessages(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		r.send("LS+ foo\r\n")
		r.expectOpen()
		waitInterest(t, s, "foo", true)
		nc := connect(t, s.url)
		_ = nc.Publish("foo", []byte("hi"))
		_ = nc.Flush()
		for {
			l := r.line()
			if l == "PING" {
				r.send("PONG\r\n")
				continue
			}
			if strings.HasPrefix(l, "LS") {
				continue
			}
			if l != "LMSG foo 2" {
				t.Fatalf("got %q, want LMSG foo 2", l)
			}
			if l := r.line(); l != "hi" {
				t.Fatalf("payload %q", l)
			}
			break
		}
		// Messages from the leaf: plain-only LMSG skips queue members;
		// listed groups get one member.
		plain, _ := nc.SubscribeSync("in")
		queue, _ := nc.QueueSubscribeSync("in", "q1")
		_ = nc.Flush()
		r.send("LMSG in 1\r\na\r\nLMSG in | q1 1\r\nb\r\nLMSG in + rep q1 1\r\nc\r\n")
		for _, want := range []string{"a", "b", "c"} {
			m, err := plain.NextMsg(5 * time.Second)
			if err != nil || string(m.Data) != want {
				t.Fatalf("plain subscriber: %v %v, want %q", m, err, want)
			}
		}
		for _, want := range []string{"b", "c"} {
			m, err := queue.NextMsg(5 * time.Second)
			if err != nil || string(m.Data) != want {
				t.Fatalf("queue member: %v %v, want %q", m, err, want)
			}
			if want == "c" && m.Reply != "rep" {
				t.Fatalf("reply %q", m.Reply)
			}
		}
		// Invalid subject: -ERR, stays open. Wrong arity: closed without -ERR.
		r.send("LS+ foo..bar\r\n")
		if lines := r.expectOpen(); !contains(lines, "-ERR 'Invalid Subscription'") {
			t.Fatalf("invalid subject: %q", lines)
		}
		r.send("LS- foo\r\n")
		r.expectOpen()
		waitInterest(t, s, "foo", false)
		r.send("LS+ foo bar\r\n")
		if lines := r.expectClosed(5 * time.Second); hasErr(lines) {
			t.Fatalf("bad LS+ arity closed with %q", lines)
		}
	})
}

func TestLeafWireLimits(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		r.send("LMSG foo 2000000\r\n")
		if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Maximum Payload Violation'") {
			t.Fatalf("lines %q", lines)
		}
	})
	both(t, hubConf+"ping_interval: \"300ms\"\n", func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		if lines := r.expectClosed(10 * time.Second); !contains(lines, "-ERR 'Stale Connection'") {
			t.Fatalf("lines %q", lines)
		}
	})
}

func TestLeafWireDuplicateEvicted(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		first := dialLeafRaw(t, s)
		first.leafHandshake(leafConnect)
		first.expectOpen()
		second := dialLeafRaw(t, s)
		second.leafHandshake(leafConnect)
		if lines := first.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Duplicate Remote LeafNode Connection'") {
			t.Fatalf("older connection got %q", lines)
		}
		second.expectOpen()
	})
}

func TestLeafWireLoopDetected(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		var lds string
		for _, l := range r.expectOpen() {
			if m := ldsRe.FindString(l); m != "" {
				lds = m
			}
		}
		if lds == "" {
			t.Fatal("no $LDS. subject in the dump")
		}
		r.send("LS+ " + lds + "\r\n")
		lines := r.expectClosed(5 * time.Second)
		if !contains(lines, `-ERR 'Loop detected for leafnode account="$G". Delaying attempt to reconnect for 30s'`) {
			t.Fatalf("lines %q", lines)
		}
	})
}

// TestLeafWireJetStreamDenies (spec 14.1): on a leaf connection of a server
// without JetStream, interest in $JS.API.>, $KV.> and $OBJ.> is neither
// announced (in the dump or later) nor served: a hub client's message there
// does not reach a leaf that asked for it, while other subjects flow. A
// message from the leaf on such a subject is not checked against these
// denies.
func TestLeafWireJetStreamDenies(t *testing.T) {
	denied := func(l string) bool {
		return strings.Contains(l, "$JS.API") || strings.Contains(l, "$KV.") || strings.Contains(l, "$OBJ.")
	}
	both(t, hubConf, func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		_, _ = nc.SubscribeSync("$JS.API.INFO")
		_, _ = nc.SubscribeSync("$KV.x.y")
		_, _ = nc.SubscribeSync("$OBJ.x.y")
		_, _ = nc.SubscribeSync("ok")
		_ = nc.Flush()
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		dump := r.lsLines()
		if !contains(dump, "LS+ ok") {
			t.Fatalf("dump %q lacks LS+ ok", dump)
		}
		for _, l := range dump {
			if denied(l) {
				t.Fatalf("announced %q", l)
			}
		}
		// Later subscriptions: the denied ones are not announced either.
		_, _ = nc.SubscribeSync("$JS.API.STREAM.NAMES")
		_, _ = nc.SubscribeSync("$KV.later.k")
		_, _ = nc.SubscribeSync("ok.later")
		_ = nc.Flush()
		for l := r.line(); l != "LS+ ok.later"; l = r.line() {
			if denied(l) {
				t.Fatalf("announced %q", l)
			}
		}
		// Toward the leaf: it asks for everything, gets only what is allowed.
		r.send("LS+ $JS.API.>\r\nLS+ $KV.>\r\nLS+ $OBJ.>\r\nLS+ to.leaf\r\n")
		r.expectOpen()
		waitInterest(t, s, "to.leaf", true)
		for _, subj := range []string{"$JS.API.INFO", "$KV.x.y", "$OBJ.x.y", "to.leaf"} {
			_ = nc.Publish(subj, []byte("x"))
		}
		_ = nc.Flush()
		for l := r.line(); !strings.HasPrefix(l, "LMSG to.leaf "); l = r.line() {
			if l == "PING" {
				r.send("PONG\r\n")
			}
			if strings.HasPrefix(l, "LMSG") {
				t.Fatalf("delivered %q to the leaf", l)
			}
		}
		// From the leaf: delivered to the hub's subscribers.
		js, _ := nc.SubscribeSync("$JS.API.FROM.LEAF")
		_ = nc.Flush()
		r.send("LMSG $JS.API.FROM.LEAF 2\r\nup\r\n")
		if m, err := js.NextMsg(5 * time.Second); err != nil || string(m.Data) != "up" {
			t.Fatalf("LMSG from the leaf: %v %v", m, err)
		}
	})
}

var _ = net.Dial
var _ = nats.Connect

// TestLeafWireWriteDeadline: leafnodes.write_deadline, not the top-level
// one, bounds writes to leaf connections: a leaf that stops reading is
// closed once a write stalls past it. (nats-server's default policy for
// leafs retries instead of closing; see README "Differences".)
func TestLeafWireWriteDeadline(t *testing.T) {
	s := startLeafhub(t, "write_deadline: \"1h\"\nmax_pending: 1GB\nmax_payload: 8MB\n"+
		"server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, write_deadline: \"200ms\" }\n")
	r := dialLeafRaw(t, s)
	r.leafHandshake(leafConnect)
	r.send("LS+ stall\r\nPING\r\n")
	waitInterest(t, s, "stall", true)
	nc := connect(t, s.url)
	payload := make([]byte, 4<<20)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if nc.Publish("stall", payload) != nil {
				return
			}
		}
	}()
	waitClosedLeaf(t, s, "Slow Consumer (Write Deadline)", 15*time.Second)
}

// TestLeafWireMaxSubscriptions: a leaf's LS+ count against
// max_subscriptions like a client's SUBs: past the limit each gets
// "-ERR 'maximum subscriptions exceeded'", is not added, and the link
// stays, on both hubs; a soliciting leaf with the limit learns only part of
// a hub's interest, as a nats-server leaf does.
func TestLeafWireMaxSubscriptions(t *testing.T) {
	both(t, hubConf+"max_subscriptions: 3\n", func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		r.expectOpen()
		r.send("LS+ a1\r\nLS+ a2\r\nLS+ a3\r\nLS+ a4\r\nLS+ a5\r\n")
		n := 0
		for _, l := range r.expectOpen() {
			if l == "-ERR 'maximum subscriptions exceeded'" {
				n++
			}
		}
		if n == 0 || !s.hasInterest(t, "a1") || s.hasInterest(t, "a5") {
			t.Fatalf("%d -ERRs; interest a1 %v, a5 %v", n, s.hasInterest(t, "a1"), s.hasInterest(t, "a5"))
		}
	})
	start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
	for _, kind := range []string{"leafhub", "nats-server"} {
		t.Run("leaf="+kind, func(t *testing.T) {
			hub := startNATS(t, hubConf)
			hc := connect(t, hub.url)
			for i := 1; i <= 5; i++ {
				_, _ = hc.SubscribeSync(fmt.Sprintf("h%d", i))
			}
			_ = hc.Flush()
			leaf := start[kind](t, leafConf("LEAF", hub.leafPort(t), "")+"max_subscriptions: 3\n")
			waitLeafs(t, hub, 1)
			known := func() int {
				n := 0
				for i := 1; i <= 5; i++ {
					if leaf.hasInterest(t, fmt.Sprintf("h%d", i)) {
						n++
					}
				}
				return n
			}
			// The dump arrived: the link holds its three (the hub's dump
			// also carries $LDS. and system subjects); the rest stays out.
			eventually(t, 5*time.Second, func() error {
				if v := leafViews(t, leaf, false); len(v) != 1 || v[0].numSubs != 3 {
					return fmt.Errorf("leaf link %+v, want 3 subscriptions", v)
				}
				return nil
			})
			throughout(t, 300*time.Millisecond, func() error {
				if n := known(); n >= 5 {
					return fmt.Errorf("the leaf knows all %d of the hub's subjects despite max_subscriptions: 3", n)
				}
				return nil
			})
		})
	}
}

// TestLeafWireLSMinusExtraArgs: an LS- with a third field (a weight, as an
// LS+ carries) names no subscription in nats-server: it is ignored, the
// link and the interest stay, on both hubs.
func TestLeafWireLSMinusExtraArgs(t *testing.T) {
	both(t, hubConf, func(t *testing.T, s *target) {
		r := dialLeafRaw(t, s)
		r.leafHandshake(leafConnect)
		r.send("LS+ foo q 2\r\n")
		r.expectOpen()
		waitInterest(t, s, "foo", true)
		r.send("LS- foo q 2\r\n")
		r.expectOpen()
		if !s.hasInterest(t, "foo") {
			t.Fatal("an LS- with a weight removed the interest")
		}
	})
}

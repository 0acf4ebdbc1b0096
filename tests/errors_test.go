package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// errCase is one bad input: what is sent after the INFO (and an optional
// CONNECT), the -ERR the server must answer, and whether it closes.
type errCase struct {
	name    string
	conf    string
	connect string // sent first; "" sends the default CONNECT
	send    string
	wantErr string // full line, "" for none
	closes  bool
}

const defaultConnect = `CONNECT {"verbose":false,"pedantic":false,"protocol":1,"headers":true,"echo":true}` + "\r\n"

var errCases = []errCase{
	{name: "unknown op", send: "FOO bar\r\n", wantErr: "-ERR 'Unknown Protocol Operation'", closes: true},
	{name: "max payload", send: "PUB foo 2000000\r\n", wantErr: "-ERR 'Maximum Payload Violation'", closes: true},
	{name: "max control line", send: "SUB " + strings.Repeat("a", 5000) + " 1\r\n", wantErr: "-ERR 'maximum control line exceeded'", closes: true},
	{name: "invalid subject", send: "SUB foo..bar 1\r\n", wantErr: "-ERR 'Invalid Subject'"},
	{name: "client INFO ignored", send: "INFO {}\r\n+OK\r\n"},
	{name: "client -ERR closes", send: "-ERR 'bye'\r\n", closes: true},
	{name: "pub bad args", send: "PUB foo bar baz 1\r\n", closes: true},
	{name: "payload without CRLF", send: "PUB foo 2\r\nhiXX", closes: true, wantErr: "-ERR 'Unknown Protocol Operation'"},
	{name: "pedantic publish subject", connect: `CONNECT {"pedantic":true,"protocol":1}` + "\r\n",
		send: "PUB foo.* 2\r\nhi\r\n", wantErr: "-ERR 'Invalid Publish Subject'"},
	{name: "invalid protocol", connect: `CONNECT {"protocol":2}` + "\r\n", wantErr: "-ERR 'invalid client protocol'", closes: true},
	{name: "no responders without headers", connect: `CONNECT {"protocol":1,"no_responders":true}` + "\r\n",
		wantErr: "-ERR 'no responders requires headers support'", closes: true},
	{name: "hpub without headers", connect: `CONNECT {"protocol":1}` + "\r\n", send: "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n", closes: true},
	{name: "reserved publish subject", send: "PUB _GR_.x 2\r\nhi\r\n", wantErr: `-ERR 'Permissions Violation for Publish to "_GR_.x"'`},
	{name: "reserved reply subject", send: "PUB foo _R_.x 2\r\nhi\r\n", wantErr: `-ERR 'Permissions Violation for Publish with Reply of "_R_.x"'`},
	{name: "sys queue", send: "SUB foo _sys_ 1\r\n", wantErr: `-ERR 'Permissions Violation for Subscription to "foo" using queue "_sys_"'`},
	{name: "max subscriptions", conf: "max_subscriptions: 1\n", send: "SUB a 1\r\nSUB b 2\r\n", wantErr: "-ERR 'maximum subscriptions exceeded'"},
	{name: "bad password", conf: "authorization { user: u, password: p }\n", connect: `CONNECT {"user":"u","pass":"x","protocol":1}` + "\r\n",
		wantErr: "-ERR 'Authorization Violation'", closes: true},
	{name: "op before connect with auth", conf: "authorization { token: s3cr3t }\n", connect: "-", send: "PING\r\n",
		wantErr: "-ERR 'Authorization Violation'", closes: true},
	{name: "account field refused", conf: "authorization { user: u, password: p }\n",
		connect: `CONNECT {"user":"u","pass":"p","account":"A","protocol":1}` + "\r\n", wantErr: "-ERR 'Authorization Violation'", closes: true},
	{name: "publish permission", conf: `authorization { users [ {user: u, password: p, permissions: {publish: "ok.>"}} ] }` + "\n",
		connect: `CONNECT {"user":"u","pass":"p","protocol":1}` + "\r\n", send: "PUB no 2\r\nhi\r\n",
		wantErr: `-ERR 'Permissions Violation for Publish to "no"'`},
	{name: "subscribe permission", conf: `authorization { users [ {user: u, password: p, permissions: {subscribe: {deny: "secret.>"}}} ] }` + "\n",
		connect: `CONNECT {"user":"u","pass":"p","protocol":1}` + "\r\n", send: "SUB secret.x 1\r\n",
		wantErr: `-ERR 'Permissions Violation for Subscription to "secret.x"'`},
	{name: "queue subscribe permission", conf: `authorization { users [ {user: u, password: p, permissions: {subscribe: "foo q1"}} ] }` + "\n",
		connect: `CONNECT {"user":"u","pass":"p","protocol":1}` + "\r\n", send: "SUB foo q2 1\r\n",
		wantErr: `-ERR 'Permissions Violation for Subscription to "foo" using queue "q2"'`},
}

// TestErrParity sends each bad input to leafhub and to nats-server and checks
// both answer with the same -ERR and close (or not) the same way.
func TestErrParity(t *testing.T) {
	for _, tc := range errCases {
		t.Run(tc.name, func(t *testing.T) {
			both(t, tc.conf, func(t *testing.T, s *target) {
				r := dialRaw(t, s.addr)
				switch tc.connect {
				case "":
					r.send(defaultConnect)
				case "-":
				default:
					r.send(tc.connect)
				}
				r.send(tc.send)
				if tc.closes {
					lines := r.expectClosed(5 * time.Second)
					if tc.wantErr != "" && !contains(lines, tc.wantErr) {
						t.Fatalf("lines before close %q, want %q", lines, tc.wantErr)
					}
					if tc.wantErr == "" && hasErr(lines) {
						t.Fatalf("closed with %q, want no -ERR", lines)
					}
					return
				}
				lines := r.expectOpen()
				if tc.wantErr != "" && !contains(lines, tc.wantErr) {
					t.Fatalf("lines %q, want %q", lines, tc.wantErr)
				}
				if tc.wantErr == "" && hasErr(lines) {
					t.Fatalf("lines %q, want no -ERR", lines)
				}
			})
		})
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}

func hasErr(lines []string) bool {
	for _, l := range lines {
		if strings.HasPrefix(l, "-ERR") {
			return true
		}
	}
	return false
}

func TestAuthTimeout(t *testing.T) {
	both(t, "authorization { token: s3cr3t, timeout: 0.5 }\n", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		start := time.Now()
		lines := r.expectClosed(5 * time.Second)
		if !contains(lines, "-ERR 'Authentication Timeout'") {
			t.Fatalf("lines %q", lines)
		}
		if d := time.Since(start); d < 400*time.Millisecond || d > 3*time.Second {
			t.Fatalf("closed after %v, want about 0.5 s", d)
		}
	})
}

func TestMaxConnections(t *testing.T) {
	both(t, "max_connections: 1\n", func(t *testing.T, s *target) {
		first := dialRaw(t, s.addr)
		first.send(defaultConnect)
		first.expectOpen()
		second := dialRaw(t, s.addr)
		lines := second.expectClosed(5 * time.Second)
		if !contains(lines, "-ERR 'maximum connections exceeded'") {
			t.Fatalf("lines %q", lines)
		}
		first.expectOpen()
	})
}

func TestStaleConnection(t *testing.T) {
	both(t, "ping_interval: \"300ms\"\nping_max: 2\n", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		r.send(defaultConnect)
		start := time.Now()
		lines := r.expectClosed(10 * time.Second)
		pings := 0
		for _, l := range lines {
			if l == "PING" {
				pings++
			}
		}
		if !contains(lines, "-ERR 'Stale Connection'") || pings != 2 {
			t.Fatalf("lines %q", lines)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("stale after %v", d)
		}
	})
}

func TestVerbose(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		r.send(`CONNECT {"verbose":true,"protocol":1}` + "\r\n")
		if l := r.line(); l != "+OK" {
			t.Fatalf("after CONNECT: %q", l)
		}
		r.send("SUB foo 1\r\n")
		if l := r.line(); l != "+OK" {
			t.Fatalf("after SUB: %q", l)
		}
		r.send("PUB foo 2\r\nhi\r\n")
		got := []string{r.line(), r.line(), r.line()}
		// +OK for the PUB and the MSG itself, in either order.
		if !(contains(got, "+OK") && contains(got, "MSG foo 1 2") && contains(got, "hi")) {
			t.Fatalf("after PUB: %q", got)
		}
		r.send("UNSUB 1\r\n")
		if l := r.line(); l != "+OK" {
			t.Fatalf("after UNSUB: %q", l)
		}
	})
}

func TestUnsubMax(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		r.send(defaultConnect + "SUB foo 1\r\nUNSUB 1 3\r\n")
		r.expectOpen()
		for i := 0; i < 5; i++ {
			r.send("PUB foo 1\r\nx\r\n")
		}
		lines := r.expectOpen()
		n := 0
		for _, l := range lines {
			if strings.HasPrefix(l, "MSG foo 1") {
				n++
			}
		}
		if n != 3 {
			t.Fatalf("got %d messages, want 3 (%q)", n, lines)
		}
	})
}

func TestConnectInfoAfterFirstPong(t *testing.T) {
	both(t, "", func(t *testing.T, s *target) {
		r := dialRaw(t, s.addr)
		r.send(defaultConnect + "PING\r\n")
		if l := r.line(); l != "PONG" {
			t.Fatalf("first line %q, want PONG", l)
		}
		l := r.line()
		if !strings.HasPrefix(l, "INFO ") || !strings.Contains(l, `"connect_info":true`) || !strings.Contains(l, `"remote_account":"$G"`) {
			t.Fatalf("second line %q, want the connect_info INFO", l)
		}
	})
}

// TestBadConnectJSON: a CONNECT whose JSON does not decode closes the
// connection as a protocol violation, on the client and the leafnode port,
// as nats-server (the close reason shows in /connz?state=closed).
func TestBadConnectJSON(t *testing.T) {
	both(t, monitorConf+hubConf, func(t *testing.T, s *target) {
		c := dialRaw(t, s.addr)
		c.send("CONNECT {not json\r\nPING\r\n")
		c.expectClosed(5 * time.Second)
		l := dialLeafRaw(t, s)
		l.send("CONNECT {not json\r\n")
		l.expectClosed(5 * time.Second)
		var connz struct {
			Conns []struct {
				Kind   string `json:"kind"`
				Reason string `json:"reason"`
			} `json:"connections"`
		}
		eventually(t, 5*time.Second, func() error {
			getJSON(t, s.monitor+"/connz?state=closed", &connz)
			if len(connz.Conns) != 2 || connz.Conns[0].Reason != "Protocol Violation" || connz.Conns[1].Reason != "Protocol Violation" {
				return fmt.Errorf("closed connections %+v", connz.Conns)
			}
			return nil
		})
	})
}

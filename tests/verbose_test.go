package tests

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"
)

// transcript runs steps on one raw client connection: each step is sent
// with a PING behind it, and the lines before the PONG are recorded (INFO
// lines dropped); "|" ends a step and "<closed>" a closed connection.
func transcript(t *testing.T, s *target, steps []string) []string {
	t.Helper()
	r := dialRaw(t, s.addr)
	var out []string
	for _, st := range steps {
		r.send(st + "PING\r\n")
		for {
			l, err := r.readLine(5 * time.Second)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("no PONG after %q (lines %q)", st, out)
			}
			if err != nil {
				return append(out, "<closed>")
			}
			if l == "PONG" {
				break
			}
			if !strings.HasPrefix(l, "INFO ") {
				out = append(out, l)
			}
		}
		out = append(out, "|")
	}
	return out
}

// TestVerboseParity: where +OK goes and which options a connection has,
// line for line as nats-server: +OK before a PUB's own deliveries; verbose
// and pedantic until CONNECT says otherwise; a second CONNECT changes only
// what it names.
func TestVerboseParity(t *testing.T) {
	const (
		verbose = `CONNECT {"verbose":true,"pedantic":false,"headers":true,"no_responders":true}` + "\r\n"
		quiet   = `CONNECT {"verbose":false,"headers":true,"no_responders":true}` + "\r\n"
	)
	for _, tc := range []struct {
		name, conf string
		steps      []string
	}{
		{"ok before own delivery", "", []string{verbose, "SUB foo 1\r\n", "PUB foo 2\r\nhi\r\n", "HPUB foo 12 14\r\nNATS/1.0\r\n\r\nhi\r\n"}},
		{"ok before no responders", "", []string{verbose, "PUB nobody r 2\r\nhi\r\n"}},
		{"verbose before connect", "", []string{"SUB foo 1\r\n", "PUB foo 1\r\na\r\n", "UNSUB 1\r\n"}},
		{"pedantic before connect", "", []string{"PUB foo.* 1\r\na\r\n"}},
		{"second connect keeps options", "", []string{quiet, "CONNECT {}\r\n", "SUB foo 1\r\n"}},
		{"second connect keeps pedantic off", "", []string{`CONNECT {"verbose":false,"pedantic":false}` + "\r\n", `CONNECT {"verbose":false}` + "\r\n", "PUB foo.* 0\r\n\r\n"}},
		{"second connect keeps credentials", "authorization { user: a, password: b }\n",
			[]string{`CONNECT {"verbose":false,"user":"a","pass":"b"}` + "\r\n", `CONNECT {"verbose":false}` + "\r\n", "SUB foo 1\r\n"}},
		{"second connect keeps no_responders", "", []string{quiet, `CONNECT {"verbose":false,"headers":false}` + "\r\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]string{}
			both(t, tc.conf, func(t *testing.T, s *target) {
				got[s.name] = fmt.Sprintf("%q", transcript(t, s, tc.steps))
			})
			if got["leafhub"] != got["nats-server"] {
				t.Errorf("\n leafhub:     %s\n nats-server: %s", got["leafhub"], got["nats-server"])
			}
		})
	}
}

package tests

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest"
	"go.uber.org/zap/zaptest/observer"

	"github.com/leafhub/leafhub/actors/hub"
	"github.com/leafhub/leafhub/config"
)

// target is a server under test: leafhub or an embedded nats-server started
// from the same configuration text.
type target struct {
	name    string
	url     string // nats://127.0.0.1:port
	addr    string // host:port of the client listener
	monitor string // http://127.0.0.1:port, or "" when off
	ws      string // ws://127.0.0.1:port (or wss://), or "" when off
	hub     *hub.Server
	ns      *natsserver.Server
	nsConf  string // nats-server's configuration file
}

// baseConf is prepended to every test configuration: loopback, random ports.
const baseConf = "listen: 127.0.0.1:-1\n"

// startLeafhub runs leafhub in-process on conf (nats-server format).
func startLeafhub(t testing.TB, conf string) *target {
	t.Helper()
	return startLeafhubWith(t, conf, nil)
}

// startLeafhubWith also lets a test adjust the server before it starts.
func startLeafhubWith(t testing.TB, conf string, adjust func(*hub.Server)) *target {
	t.Helper()
	log := zap.NewNop()
	if os.Getenv("LEAFHUB_TEST_LOG") != "" {
		log = zaptest.NewLogger(t)
	}
	return startLeafhubLog(t, conf, adjust, log)
}

// startLeafhubObserved runs leafhub with its log (Debug and up) recorded,
// for tests that check what an operator is told.
func startLeafhubObserved(t testing.TB, conf string) (*target, *observer.ObservedLogs) {
	t.Helper()
	core, logs := observer.New(zapcore.DebugLevel)
	return startLeafhubLog(t, conf, nil, zap.New(core)), logs
}

// waitLog waits for a log entry at level or above whose message contains
// msg and one of whose fields contains field.
func waitLog(t testing.TB, logs *observer.ObservedLogs, level zapcore.Level, msg, field string) {
	t.Helper()
	eventually(t, 5*time.Second, func() error {
		for _, e := range logs.All() {
			if e.Level < level || !strings.Contains(e.Message, msg) {
				continue
			}
			for _, f := range e.Context {
				if strings.Contains(fmt.Sprint(f.String, f.Interface), field) {
					return nil
				}
			}
		}
		return fmt.Errorf("no %s log %q with a field containing %q", level, msg, field)
	})
}

func startLeafhubLog(t testing.TB, conf string, adjust func(*hub.Server), log *zap.Logger) *target {
	t.Helper()
	opts, err := config.Parse(baseConf + conf)
	if err != nil {
		t.Fatalf("leafhub config: %v", err)
	}
	s, err := hub.New(opts, log)
	if err != nil {
		t.Fatal(err)
	}
	if adjust != nil {
		adjust(s)
	}
	if err := s.Start(); err != nil {
		t.Fatalf("leafhub start: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("leafhub shutdown: %v", err)
		}
	})
	tg := &target{name: "leafhub", url: s.ClientURL(), addr: s.ClientAddr().String(), hub: s}
	if a := s.MonitorAddr(); a != nil {
		tg.monitor = "http://" + a.String()
	}
	if a := s.WebsocketAddr(); a != nil {
		scheme := "ws://"
		if opts.Websocket.TLS != nil {
			scheme = "wss://"
		}
		tg.ws = scheme + a.String()
	}
	return tg
}

// startNATS runs an embedded nats-server on the same configuration text.
func startNATS(t testing.TB, conf string) *target {
	t.Helper()
	file := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(file, []byte(baseConf+conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := natsserver.ProcessConfigFile(file)
	if err != nil {
		t.Fatalf("nats-server config: %v", err)
	}
	opts.NoLog, opts.NoSigs = true, true
	s, err := natsserver.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(s.Shutdown)
	addr := s.Addr().String()
	tg := &target{name: "nats-server", url: "nats://" + addr, addr: addr, ns: s, nsConf: file}
	if a := s.MonitorAddr(); a != nil {
		tg.monitor = "http://" + a.String()
	}
	if opts.Websocket.Port != 0 {
		tg.ws = s.WebsocketURL()
	}
	return tg
}

// both runs f as a subtest against leafhub and against nats-server, each
// started from conf: behaviour that must match is written once.
func both(t *testing.T, conf string, f func(t *testing.T, s *target)) {
	t.Helper()
	for _, start := range []func(testing.TB, string) *target{startLeafhub, startNATS} {
		s := start(t, conf)
		t.Run(s.name, func(t *testing.T) { f(t, s) })
	}
}

// connect opens a nats.go connection that fails the test on async errors
// unless errs is given to collect them.
func connect(t testing.TB, url string, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.Name(t.Name()), nats.MaxReconnects(0), nats.Timeout(5 * time.Second)}, opts...)
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// rawConn is a protocol-level client: write lines, read lines.
type rawConn struct {
	t    testing.TB
	c    net.Conn
	buf  []byte
	info string
}

// dialRaw connects and reads the server's INFO line.
func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r := &rawConn{t: t, c: c}
	r.info = r.line()
	if !strings.HasPrefix(r.info, "INFO ") {
		t.Fatalf("first line %q is not INFO", r.info)
	}
	return r
}

func (r *rawConn) send(s string) {
	r.t.Helper()
	if _, err := r.c.Write([]byte(s)); err != nil {
		r.t.Fatalf("write: %v", err)
	}
}

// line reads one protocol line (without CRLF), failing after 5 s.
func (r *rawConn) line() string {
	r.t.Helper()
	l, err := r.readLine(5 * time.Second)
	if err != nil {
		r.t.Fatalf("read: %v (buffered %q)", err, r.buf)
	}
	return l
}

func (r *rawConn) readLine(timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		if i := strings.Index(string(r.buf), "\r\n"); i >= 0 {
			l := string(r.buf[:i])
			r.buf = r.buf[i+2:]
			return l, nil
		}
		_ = r.c.SetReadDeadline(deadline)
		tmp := make([]byte, 64*1024)
		n, err := r.c.Read(tmp)
		r.buf = append(r.buf, tmp[:n]...)
		if err != nil {
			return "", err
		}
	}
}

// expectClosed asserts the server closes the connection (after whatever
// lines remain) within timeout, returning the lines seen before EOF.
func (r *rawConn) expectClosed(timeout time.Duration) []string {
	r.t.Helper()
	var lines []string
	for {
		l, err := r.readLine(timeout)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				r.t.Fatalf("connection still open after %v (lines %q)", timeout, lines)
			}
			return lines
		}
		lines = append(lines, l)
	}
}

// expectOpen asserts the connection answers a PING (it is still open and
// everything before the PING was processed), returning lines before the PONG.
func (r *rawConn) expectOpen() []string {
	r.t.Helper()
	r.send("PING\r\n")
	var lines []string
	for {
		l := r.line()
		if l == "PONG" {
			return lines
		}
		lines = append(lines, l)
	}
}

// eventually polls f until it returns nil or the deadline passes.
func eventually(t testing.TB, timeout time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %v: %v", timeout, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// nextErr waits for an asynchronous error on ch; none within d fails the
// test with missing.
func nextErr(t testing.TB, ch <-chan error, d time.Duration, missing string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(d):
		t.Fatal(missing)
		return nil
	}
}

// throughout checks that f keeps holding for the whole of d, looking every
// 50 ms. It is for absences (nothing re-dials, no second link appears),
// where no event marks the end of the wait; use eventually to wait for
// something to happen.
func throughout(t testing.TB, d time.Duration, f func() error) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	end := time.After(d)
	for {
		if err := f(); err != nil {
			t.Fatal(err)
		}
		select {
		case <-end:
			return
		case <-tick.C:
		}
	}
}

var _ = fmt.Sprintf

package tests

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// binary builds a Go main package once per test run and returns its path.
type binary struct {
	pkg  string
	once sync.Once
	path string
	err  error
}

func (b *binary) get(t testing.TB) string {
	t.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "leafhub-test-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, filepath.Base(b.pkg))
		if out, err := exec.Command("go", "build", "-o", b.path, b.pkg).CombinedOutput(); err != nil {
			b.err = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
		}
	})
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

var (
	leafhubBin = &binary{pkg: "../cmd/leafhub"}
	// nats-server, built from the module cache, for benchmarks that run
	// the peer as its own process.
	natsServerBin = &binary{pkg: "github.com/nats-io/nats-server/v2"}
)

func leafhubBinary(t testing.TB) string { return leafhubBin.get(t) }

func writeConf(t testing.TB, text string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "leafhub.conf")
	if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCmdVersionAndHelp(t *testing.T) {
	bin := leafhubBinary(t)
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "leafhub: v") || !strings.Contains(string(out), "nats-server v2.15.2") {
		t.Fatalf("-v: %v %q", err, out)
	}
	out, err = exec.Command(bin, "-h").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--config") {
		t.Fatalf("-h: %v %q", err, out)
	}
	// As nats-server, `version` and `help` are commands; others are refused.
	if out, err = exec.Command(bin, "version").CombinedOutput(); err != nil || !strings.Contains(string(out), "leafhub: v") {
		t.Fatalf("version: %v %q", err, out)
	}
	if out, err = exec.Command(bin, "help").CombinedOutput(); err != nil || !strings.Contains(string(out), "--config") {
		t.Fatalf("help: %v %q", err, out)
	}
	if out, err = exec.Command(bin, "bogus").CombinedOutput(); err == nil || !strings.Contains(string(out), `unrecognized command: "bogus"`) {
		t.Fatalf("bogus: %v %q", err, out)
	}
}

// TestCmdFlags: -a moves the monitoring listener too when the file gives it
// no host (nats-server defaults http's host to the client host after the
// flags); --user/--pass require credentials; --signal refuses extra
// parameters and signals by PID* glob.
func TestCmdFlags(t *testing.T) {
	cmd, stderr, addr := startBinary(t, "port: -1\n", "-a", "127.0.0.1", "-m", "-1", "--user", "u", "--pass", "p")
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("client listener on %s, want 127.0.0.1", addr)
	}
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(stderr.String(), `starting http monitor {"addr": "http://127.0.0.1:`) {
			return fmt.Errorf("monitor not on 127.0.0.1:\n%s", stderr.String())
		}
		return nil
	})
	if nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("connected without the --user/--pass credentials")
	}
	connect(t, "nats://"+addr, nats.UserInfo("u", "p"))

	bin := leafhubBinary(t)
	if out, err := exec.Command(bin, "-sl", "reload=1=2").CombinedOutput(); err == nil || !strings.Contains(string(out), "invalid signal parameters: [2]") {
		t.Fatalf("-sl reload=1=2: %v %q", err, out)
	}
	// A glob on this process's pid: every leafhub whose pid starts so.
	pid := strconv.Itoa(cmd.Process.Pid)
	if out, err := exec.Command(bin, "-sl", "reload="+pid+"*").CombinedOutput(); err != nil {
		t.Fatalf("-sl reload=%s*: %v %q", pid, err, out)
	}
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(stderr.String(), "configuration reloaded") {
			return fmt.Errorf("no reload logged:\n%s", stderr.String())
		}
		return nil
	})
}

func TestCmdCheckConfig(t *testing.T) {
	bin := leafhubBinary(t)
	good := writeConf(t, "port: 4222\nmax_payload: 2MB\n")
	out, err := exec.Command(bin, "-t", "-c", good).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "is valid (sha256:") {
		t.Fatalf("-t on a good file: %v %q", err, out)
	}
	if out, err := exec.Command(bin, "-t").CombinedOutput(); err == nil || !strings.Contains(string(out), "must specify [-c, --config] option") {
		t.Fatalf("-t without a file: %v %q", err, out)
	}
	bad := writeConf(t, "port: 4222\n\nbogus_key: 1\ncluster { port: 6222 }\n")
	cmd := exec.Command(bin, "-t", "-c", bad)
	out, err = cmd.CombinedOutput()
	if err == nil || cmd.ProcessState.ExitCode() != 1 {
		t.Fatalf("-t on a bad file exited %v: %q", err, out)
	}
	for _, want := range []string{bad + ":3", `unknown field "bogus_key"`, bad + ":4", "cluster", "unsupported by leafhub"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("-t output lacks %q:\n%s", want, out)
		}
	}
}

// TestCmdSIGTERMFlushes runs the binary, queues data for a subscriber that
// has not read yet, sends SIGTERM, and checks that the subscriber still gets
// every message before the connection closes and that leafhub exits 0.
func TestCmdSIGTERMFlushes(t *testing.T) {
	bin := leafhubBinary(t)
	conf := writeConf(t, "listen: 127.0.0.1:-1\nmax_pending: 64MB\n")
	stderr := &lockedBuffer{}
	cmd := exec.Command(bin, "-c", conf, "-D")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()
	addr := waitListening(t, stderr)

	sub := dialRaw(t, addr)
	sub.send(defaultConnect + "SUB bulk 1\r\n")
	sub.expectOpen()
	pub := dialRaw(t, addr)
	pub.send(defaultConnect)
	const n = 2000
	payload := strings.Repeat("x", 1024)
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "PUB bulk %d\r\n%s\r\n", len(payload), payload)
	}
	pub.send(b.String())
	pub.expectOpen() // every PUB was routed: the messages are queued for sub

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	got := 0
	for _, l := range sub.expectClosed(10 * time.Second) {
		if strings.HasPrefix(l, "MSG bulk 1 ") {
			got++
		}
	}
	if got != n {
		t.Fatalf("subscriber got %d of %d messages before the close", got, n)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("leafhub exited with %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("leafhub did not exit after SIGTERM")
	}
	if !strings.Contains(stderr.String(), "[INF] trapped signal") || !strings.Contains(stderr.String(), "[DBG] client connection closed") {
		t.Fatalf("log lacks the shutdown lines:\n%s", stderr.String())
	}
}

var listeningRe = regexp.MustCompile(`listening for client connections \{"addr": "([^"]+)"\}`)

// lockedBuffer is written by exec's copy goroutine and read by the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitListening reads the client address from leafhub's log.
func waitListening(t *testing.T, stderr *lockedBuffer) string {
	t.Helper()
	var addr string
	eventually(t, 10*time.Second, func() error {
		if m := listeningRe.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
			return nil
		}
		return fmt.Errorf("not listening yet: %s", stderr.String())
	})
	if _, _, err := net.SplitHostPort(addr); err != nil {
		t.Fatal(err)
	}
	return addr
}

// startBinary runs the leafhub binary on conf with extra arguments and
// returns the process, its stderr and the client address from its log.
func startBinary(t *testing.T, conf string, args ...string) (*exec.Cmd, *lockedBuffer, string) {
	t.Helper()
	stderr := &lockedBuffer{}
	cmd := exec.Command(leafhubBinary(t), append([]string{"-c", writeConf(t, conf)}, args...)...)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	return cmd, stderr, waitListening(t, stderr)
}

func waitExit(t *testing.T, cmd *exec.Cmd, within time.Duration) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(within):
		t.Fatalf("leafhub did not exit within %v", within)
		return nil
	}
}

// TestCmdTLSFlags: --tlscert/--tlskey (and --tlsverify with --tlscacert)
// give the client port TLS, as nats-server's flags do; a flag without its
// certificate is refused; a users list in the file wins over --user.
func TestCmdTLSFlags(t *testing.T) {
	p := newPKI(t)
	_, _, addr := startBinary(t, "listen: 127.0.0.1:-1\n", "--tlscert", p.cert, "--tlskey", p.key)
	connect(t, "tls://"+addr, nats.RootCAs(p.ca))
	if nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("a plain client connected to a --tls port")
	}
	_, _, addr = startBinary(t, "listen: 127.0.0.1:-1\n", "--tlsverify", "--tlscert", p.cert, "--tlskey", p.key, "--tlscacert", p.ca)
	if nc, err := nats.Connect("tls://"+addr, nats.RootCAs(p.ca), nats.MaxReconnects(0)); err == nil {
		nc.Close()
		t.Fatal("--tlsverify admitted a client without a certificate")
	}
	connect(t, "tls://"+addr, nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey))

	out, err := exec.Command(leafhubBinary(t), "-c", writeConf(t, "listen: 127.0.0.1:-1\n"), "--tls").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "TLS Server certificate must be present and valid") {
		t.Fatalf("--tls without a certificate: %v %q", err, out)
	}
	_, stderr, addr := startBinary(t, "listen: 127.0.0.1:-1\nauthorization { users [ {user: a, password: p} ] }\n", "--user", "x", "--pass", "y")
	connect(t, "nats://"+addr, nats.UserInfo("a", "p"))
	if !strings.Contains(stderr.String(), "--user, --pass and --auth are ignored") {
		t.Fatalf("no warning about the ignored --user:\n%s", stderr.String())
	}
}

// TestCmdLameDuck: -P writes the pid file; `leafhub -sl ldm=PIDFILE` puts the
// server in lame duck mode: clients are told (INFO ldm), no new connection
// is accepted, the existing ones are closed over lame_duck_duration, and the
// process exits 0 and removes its pid file.
func TestCmdLameDuck(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "leafhub.pid")
	cmd, stderr, addr := startBinary(t, "listen: 127.0.0.1:-1\nlame_duck_duration: \"30s\"\nlame_duck_grace_period: \"500ms\"\n", "-P", pidFile)
	eventually(t, 5*time.Second, func() error {
		b, err := os.ReadFile(pidFile)
		if err != nil || strings.TrimSpace(string(b)) != fmt.Sprint(cmd.Process.Pid) {
			return fmt.Errorf("pid file %q %v", b, err)
		}
		return nil
	})
	const n = 3
	ldm := make(chan struct{}, n)
	closed := make(chan time.Time, n)
	for i := 0; i < n; i++ {
		nc, err := nats.Connect("nats://"+addr, nats.MaxReconnects(0),
			nats.LameDuckModeHandler(func(*nats.Conn) { ldm <- struct{}{} }),
			nats.ClosedHandler(func(*nats.Conn) { closed <- time.Now() }))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
	}
	start := time.Now()
	if out, err := exec.Command(leafhubBinary(t), "-sl", "ldm="+pidFile).CombinedOutput(); err != nil {
		t.Fatalf("-sl ldm: %v %s", err, out)
	}
	for i := 0; i < n; i++ {
		select {
		case <-ldm:
		case <-time.After(5 * time.Second):
			t.Fatal("a client was not told about lame duck mode")
		}
	}
	// As nats-server: SIGTERM does not cut a lame duck short.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	eventually(t, 5*time.Second, func() error {
		if _, err := nats.Connect("nats://"+addr, nats.MaxReconnects(0)); err == nil {
			return fmt.Errorf("still accepting connections")
		}
		return nil
	})
	var times []time.Time
	for i := 0; i < n; i++ {
		select {
		case at := <-closed:
			times = append(times, at)
		case <-time.After(10 * time.Second):
			t.Fatal("a client was not closed")
		}
	}
	slices.SortFunc(times, func(a, b time.Time) int { return a.Compare(b) })
	if d := times[0].Sub(start); d < 500*time.Millisecond {
		t.Fatalf("the first client was closed after %v, before the grace period", d)
	}
	// Spread as nats-server spreads them: lame_duck_duration over the
	// connections, at most 1 s apart, each gap at least half of that.
	for i := 1; i < n; i++ {
		if gap := times[i].Sub(times[i-1]); gap < 450*time.Millisecond {
			t.Fatalf("closes %d and %d were %v apart, want them spread (≥ 0.5 s)", i-1, i, gap)
		}
	}
	if err := waitExit(t, cmd, 15*time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("pid file left behind: %v", err)
	}
	if !strings.Contains(stderr.String(), "entering lame duck mode") || !strings.Contains(stderr.String(), "trapped SIGTERM during lame duck mode") {
		t.Fatalf("log:\n%s", stderr.String())
	}
}

// TestCmdReloadAndReopen: SIGHUP applies a new file (debug logging, a
// removed user is disconnected); a bad file is refused and the server keeps
// running; SIGUSR1 reopens a moved log file.
func TestCmdReloadAndReopen(t *testing.T) {
	dir := t.TempDir()
	logFile := filepath.Join(dir, "leafhub.log")
	confFile := filepath.Join(dir, "leafhub.conf")
	write := func(s string) {
		if err := os.WriteFile(confFile, []byte("listen: 127.0.0.1:-1\nlogfile: \""+logFile+"\"\n"+s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("authorization { users [ {user: a, password: p}, {user: b, password: p} ] }\n")
	stderr := &lockedBuffer{}
	cmd := exec.Command(leafhubBinary(t), "-c", confFile)
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _, _ = cmd.Process.Wait() })
	logText := func() string { b, _ := os.ReadFile(logFile); return string(b) }
	var addr string
	eventually(t, 10*time.Second, func() error {
		if m := listeningRe.FindStringSubmatch(logText()); m != nil {
			addr = m[1]
			return nil
		}
		return fmt.Errorf("not listening yet")
	})
	bGone := make(chan struct{})
	b, err := nats.Connect("nats://"+addr, nats.UserInfo("b", "p"), nats.MaxReconnects(0),
		nats.ClosedHandler(func(*nats.Conn) { close(bGone) }))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	write("debug: true\nauthorization { users [ {user: a, password: p} ] }\n")
	_ = cmd.Process.Signal(syscall.SIGHUP)
	select {
	case <-bGone:
	case <-time.After(5 * time.Second):
		t.Fatalf("the removed user was not disconnected by the reload; log:\n%s\nstderr:\n%s", logText(), stderr.String())
	}
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(logText(), "configuration reloaded") || !strings.Contains(logText(), "[DBG]") {
			return fmt.Errorf("log:\n%s", logText())
		}
		return nil
	})
	write("bogus_key: 1\n")
	_ = cmd.Process.Signal(syscall.SIGHUP)
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(logText(), "configuration reload refused") {
			return fmt.Errorf("no refusal logged")
		}
		return nil
	})
	a, err := nats.Connect("nats://"+addr, nats.UserInfo("a", "p"), nats.MaxReconnects(0))
	if err != nil {
		t.Fatalf("after a refused reload: %v", err)
	}
	a.Close()

	if err := os.Rename(logFile, logFile+".1"); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Process.Signal(syscall.SIGUSR1)
	eventually(t, 5*time.Second, func() error {
		if !strings.Contains(logText(), "log file reopened") {
			return fmt.Errorf("new log file: %q", logText())
		}
		return nil
	})
}

package protocol

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestErrTextOfSentinels(t *testing.T) {
	tests := []struct {
		err  error
		text string
		ok   bool
	}{
		{ErrUnknownOp, "Unknown Protocol Operation", true},
		{ErrMaxControlLine, "maximum control line exceeded", true},
		{ErrMaxPayload, "Maximum Payload Violation", true},
		{ErrAuthViolation, "Authorization Violation", true},
		{ErrBadArgs, "", false},
		{errors.New("other"), "", false},
		{nil, "", false},
		{fmt.Errorf("wrapped: %w", ErrMaxPayload), "Maximum Payload Violation", true},
	}
	for _, tt := range tests {
		text, ok := ErrText(tt.err)
		if text != tt.text || ok != tt.ok {
			t.Errorf("ErrText(%v) = %q, %v; want %q, %v", tt.err, text, ok, tt.text, tt.ok)
		}
	}
}

func TestParseErrorsWrapSentinels(t *testing.T) {
	p := NewParser(ClientMode, Limits{})
	err := p.Parse([]byte("PUB foo bar baz 1\r\n"), NopHandler{})
	if !errors.Is(err, ErrBadArgs) {
		t.Fatalf("err = %v, want ErrBadArgs", err)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "protocol: bad arguments: PUB ") || !strings.Contains(msg, `"foo bar baz 1"`) {
		t.Errorf("error text %q lacks the operation or the snippet", msg)
	}
}

func TestModeString(t *testing.T) {
	for m, want := range map[Mode]string{ClientMode: "client", LeafMode: "leaf", ServerMode: "server", 7: "Mode(7)"} {
		if got := m.String(); got != want {
			t.Errorf("Mode(%d).String() = %q, want %q", m, got, want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewParser with an invalid mode did not panic")
		}
	}()
	NewParser(Mode(9), Limits{})
}

func TestLimitsDefaults(t *testing.T) {
	tests := []struct {
		lim              Limits
		control, payload int
	}{
		{Limits{}, DefaultMaxControlLine, DefaultMaxPayload},
		{Limits{MaxControlLine: -1, MaxPayload: -1}, DefaultMaxControlLine, MaxSize},
		{Limits{MaxControlLine: 10, MaxPayload: 20}, 10, 20},
	}
	for _, tt := range tests {
		c, p := tt.lim.resolved()
		if c != tt.control || p != tt.payload {
			t.Errorf("%+v resolved to %d, %d; want %d, %d", tt.lim, c, p, tt.control, tt.payload)
		}
	}
}

// The control line limit holds while a line arrives in pieces: the parser
// fails as soon as the gathered line is too long and does not keep growing.
func TestControlLineLimitWhileSplit(t *testing.T) {
	p := NewParser(ClientMode, Limits{})
	chunk := bytes.Repeat([]byte("a"), 100)
	if err := p.Parse([]byte("SUB "), NopHandler{}); err != nil {
		t.Fatal(err)
	}
	fed := 0
	var err error
	for fed <= DefaultMaxControlLine+len(chunk) && err == nil {
		err = p.Parse(chunk, NopHandler{})
		fed += len(chunk)
	}
	if !errors.Is(err, ErrMaxControlLine) {
		t.Fatalf("after %d bytes: err = %v, want ErrMaxControlLine", fed, err)
	}
	if fed != 4100 {
		t.Errorf("failed after %d argument bytes, want 4100 (first chunk beyond 4096)", fed)
	}
}

// Leaf connections get 16 times the control line: an LMSG naming many queue
// groups passes with the leaf limit and fails with the client one.
func TestLeafControlLineFactor(t *testing.T) {
	var queues [][]byte
	for i := range 5000 {
		queues = append(queues, fmt.Appendf(nil, "q%d", i))
	}
	wire := AppendLMsg(nil, []byte("foo"), []byte("r"), queues, -1, []byte("x"))
	if n := bytes.IndexByte(wire, '\n'); n < 4*DefaultMaxControlLine || n > LeafControlLineFactor*DefaultMaxControlLine {
		t.Fatalf("test line is %d bytes, want between the limits", n)
	}
	var got int
	h := &lmsgCounter{n: &got}
	p := NewParser(LeafMode, Limits{MaxControlLine: LeafControlLineFactor * DefaultMaxControlLine})
	if err := p.Parse(wire, h); err != nil || got != 5000 {
		t.Fatalf("leaf limit: err = %v, %d queues; want nil, 5000", err, got)
	}
	p = NewParser(LeafMode, Limits{})
	if err := p.Parse(wire, h); !errors.Is(err, ErrMaxControlLine) {
		t.Fatalf("client limit: err = %v, want ErrMaxControlLine", err)
	}
}

type lmsgCounter struct {
	NopHandler
	n *int
}

func (c *lmsgCounter) LMsg(_, _ []byte, queues [][]byte, _ int, _ []byte) error {
	*c.n = len(queues)
	return nil
}

// A handler may change the limits and clear RequireConnect; both take effect
// for the operations that follow in the same buffer.
func TestHandlerChangesParserSettings(t *testing.T) {
	p := NewParser(ClientMode, Limits{MaxPayload: 1})
	p.RequireConnect = true
	h := &connectHook{p: p}
	err := p.Parse([]byte("CONNECT {}\r\nPUB foo 5\r\nhello\r\nPUB foo 6\r\nhello!\r\n"), h)
	if !errors.Is(err, ErrMaxPayload) || h.pubs != 1 {
		t.Fatalf("err = %v after %d PUBs; want ErrMaxPayload after 1", err, h.pubs)
	}
}

type connectHook struct {
	NopHandler
	p    *Parser
	pubs int
}

func (h *connectHook) Connect([]byte) error {
	h.p.RequireConnect = false
	h.p.SetLimits(Limits{MaxPayload: 5})
	return nil
}

func (h *connectHook) Pub(_, _ []byte, _ int, _ []byte) error {
	h.pubs++
	return nil
}

// Payloads larger than the retained buffer size still arrive intact when
// split, and the big buffer is not kept afterwards.
func TestLargeSplitPayload(t *testing.T) {
	payload := bytes.Repeat([]byte("0123456789abcdef"), 8192) // 128 KiB
	wire := AppendPub(nil, []byte("big"), nil, payload)
	wire = append(wire, "PING\r\n"...)
	p := NewParser(ClientMode, Limits{MaxPayload: -1})
	r := &recorder{}
	for len(wire) > 0 {
		n := min(1000, len(wire))
		if err := p.Parse(wire[:n], r); err != nil {
			t.Fatal(err)
		}
		wire = wire[n:]
	}
	want := []string{`pub subject="big" msg=` + q(payload), "ping"}
	if strings.Join(r.lines, "\n") != strings.Join(want, "\n") {
		t.Fatalf("transcript differs (%d lines)", len(r.lines))
	}
	if cap(p.payload) > retainLimit {
		t.Errorf("kept a %d-byte payload buffer, limit %d", cap(p.payload), retainLimit)
	}
}

// allocsOps returns one buffer with every message-bearing operation of a
// mode, each whole.
func allocsOps(mode Mode) []byte {
	payload := []byte("hello world")
	hmsg := []byte("NATS/1.0\r\n\r\nhello")
	q := [][]byte{[]byte("q1"), []byte("q2")}
	var b []byte
	switch mode {
	case ClientMode:
		b = AppendPub(b, []byte("foo.bar"), nil, payload)
		b = AppendPub(b, []byte("foo.bar"), []byte("_INBOX.1"), payload)
		b = AppendHPub(b, []byte("foo.bar"), []byte("_INBOX.1"), 12, hmsg)
		b = AppendSub(b, "foo.*", "q", "1")
		b = AppendUnsub(b, "1", 5)
	case LeafMode:
		b = AppendLMsg(b, []byte("foo.bar"), nil, nil, -1, payload)
		b = AppendLMsg(b, []byte("foo.bar"), []byte("_INBOX.1"), q, -1, payload)
		b = AppendLMsg(b, []byte("foo.bar"), nil, q, 12, hmsg)
		b = AppendLSub(b, []byte("foo.*"), []byte("q"), 3)
		b = AppendLUnsub(b, []byte("foo.*"), nil)
	case ServerMode:
		b = AppendMsg(b, []byte("foo.bar"), []byte("1"), []byte("_INBOX.1"), payload)
		b = AppendHMsg(b, []byte("foo.bar"), []byte("1"), nil, 12, hmsg)
		b = append(b, OKLine...)
	}
	return append(b, PingLine+PongLine...)
}

// allocsIn counts the allocations of one call of f, after a first call to
// warm up. testing.AllocsPerRun divides by the number of runs and rounds
// down, so f does all the work in a single run.
func allocsIn(f func()) float64 { return testing.AllocsPerRun(1, f) }

func TestParseDoesNotAllocate(t *testing.T) {
	for _, mode := range []Mode{ClientMode, LeafMode, ServerMode} {
		t.Run(mode.String(), func(t *testing.T) {
			wire := allocsOps(mode)
			p := NewParser(mode, Limits{})
			var h NopHandler
			whole := allocsIn(func() {
				for range 100 {
					if err := p.Parse(wire, h); err != nil {
						t.Fatal(err)
					}
				}
			})
			if whole != 0 {
				t.Errorf("whole buffers: %v allocations, want 0", whole)
			}
			// Split at every offset: the internal buffers grow during the
			// warm-up call and are reused after that.
			split := allocsIn(func() {
				for cut := 1; cut < len(wire); cut++ {
					if err := p.Parse(wire[:cut], h); err != nil {
						t.Fatal(err)
					}
					if err := p.Parse(wire[cut:], h); err != nil {
						t.Fatal(err)
					}
				}
			})
			if split != 0 {
				t.Errorf("split buffers: %v allocations, want 0", split)
			}
		})
	}
}

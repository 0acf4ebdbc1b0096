package protocol

import (
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
)

// errHandler is what a recorder returns from the callback it is told to fail.
var errHandler = errors.New("handler failed")

// recorder is a Handler that writes each call as one line of a transcript.
type recorder struct {
	p      *Parser // when set, Connect clears p.RequireConnect
	failOn string  // name of the callback that returns errHandler
	lines  []string
}

func q(b []byte) string { return strconv.Quote(string(b)) }

func (r *recorder) add(name string, fields ...string) error {
	r.lines = append(r.lines, strings.Join(append([]string{name}, fields...), " "))
	if name == r.failOn {
		return errHandler
	}
	return nil
}

func hdrField(hdr int) []string {
	if hdr < 0 {
		return nil
	}
	return []string{"hdr=" + strconv.Itoa(hdr)}
}

func optField(name string, b []byte) []string {
	if b == nil {
		return nil
	}
	return []string{name + "=" + q(b)}
}

func (r *recorder) Connect(arg []byte) error {
	if r.p != nil {
		r.p.RequireConnect = false
	}
	return r.add("connect", q(arg))
}

func (r *recorder) Info(arg []byte) error { return r.add("info", q(arg)) }

func (r *recorder) Pub(subject, reply []byte, hdr int, msg []byte) error {
	f := append([]string{"subject=" + q(subject)}, optField("reply", reply)...)
	f = append(f, hdrField(hdr)...)
	return r.add("pub", append(f, "msg="+q(msg))...)
}

func (r *recorder) Sub(subject, queue, sid []byte) error {
	f := append([]string{"subject=" + q(subject)}, optField("queue", queue)...)
	return r.add("sub", append(f, "sid="+q(sid))...)
}

func (r *recorder) Unsub(sid []byte, max int) error {
	return r.add("unsub", "sid="+q(sid), "max="+strconv.Itoa(max))
}

func (r *recorder) Msg(subject, sid, reply []byte, hdr int, msg []byte) error {
	f := []string{"subject=" + q(subject), "sid=" + q(sid)}
	f = append(f, optField("reply", reply)...)
	f = append(f, hdrField(hdr)...)
	return r.add("msg", append(f, "msg="+q(msg))...)
}

func (r *recorder) LSub(subject, queue []byte, weight int) error {
	f := append([]string{"subject=" + q(subject)}, optField("queue", queue)...)
	return r.add("lsub", append(f, "weight="+strconv.Itoa(weight))...)
}

func (r *recorder) LUnsub(subject, queue []byte) error {
	return r.add("lunsub", append([]string{"subject=" + q(subject)}, optField("queue", queue)...)...)
}

func (r *recorder) LMsg(subject, reply []byte, queues [][]byte, hdr int, msg []byte) error {
	f := append([]string{"subject=" + q(subject)}, optField("reply", reply)...)
	if len(queues) > 0 {
		qs := make([]string, len(queues))
		for i, qn := range queues {
			qs[i] = q(qn)
		}
		f = append(f, "queues=["+strings.Join(qs, " ")+"]")
	}
	f = append(f, hdrField(hdr)...)
	return r.add("lmsg", append(f, "msg="+q(msg))...)
}

func (r *recorder) Ping() error           { return r.add("ping") }
func (r *recorder) Pong() error           { return r.add("pong") }
func (r *recorder) OK() error             { return r.add("ok") }
func (r *recorder) Err(text []byte) error { return r.add("err", q(text)) }

// errorLine describes how a Parse error ends a transcript: which sentinel,
// and the -ERR line a server sends before closing, if any.
func errorLine(err error) string {
	if err == nil {
		return ""
	}
	name := "other"
	switch {
	case errors.Is(err, errHandler):
		return "error=handler"
	case errors.Is(err, ErrUnknownOp):
		name = "unknown-op"
	case errors.Is(err, ErrMaxControlLine):
		name = "max-control-line"
	case errors.Is(err, ErrMaxPayload):
		name = "max-payload"
	case errors.Is(err, ErrAuthViolation):
		name = "auth-violation"
	case errors.Is(err, ErrBadArgs):
		name = "bad-args"
	}
	if text, ok := ErrText(err); ok {
		return "error=" + name + " send=" + strconv.Quote("-ERR '"+text+"'") + " close"
	}
	return "error=" + name + " close-silently"
}

// parseConfig is how to build the parser for a transcript.
type parseConfig struct {
	mode           Mode
	limits         Limits
	requireConnect bool
	failOn         string
}

// run feeds input to a fresh parser in chunks cut at the given offsets
// (ascending, within the input) and returns the transcript.
func (c parseConfig) run(input []byte, cuts []int) []string {
	p := NewParser(c.mode, c.limits)
	p.RequireConnect = c.requireConnect
	r := &recorder{p: p, failOn: c.failOn}
	var err error
	prev := 0
	for _, cut := range append(cuts, len(input)) {
		// Each chunk gets its own backing array, scribbled over afterwards,
		// to catch slices kept past a call.
		chunk := append([]byte(nil), input[prev:cut]...)
		prev = cut
		if err = p.Parse(chunk, r); err != nil {
			break
		}
		for i := range chunk {
			chunk[i] = '#'
		}
	}
	if err != nil {
		r.lines = append(r.lines, errorLine(err))
		// The error is sticky.
		if again := p.Parse([]byte("PING\r\n"), r); again != err {
			r.lines = append(r.lines, "error not sticky: "+errorLine(again))
		}
	}
	return r.lines
}

// everyByte returns cuts that feed the input one byte at a time.
func everyByte(n int) []int {
	cuts := make([]int, 0, n)
	for i := 1; i < n; i++ {
		cuts = append(cuts, i)
	}
	return cuts
}

// randomCuts returns up to k ascending cut points in [1, n).
func randomCuts(rnd *rand.Rand, n, k int) []int {
	if n < 2 {
		return nil
	}
	seen := map[int]bool{}
	for range k {
		seen[1+rnd.IntN(n-1)] = true
	}
	cuts := make([]int, 0, len(seen))
	for i := 1; i < n; i++ {
		if seen[i] {
			cuts = append(cuts, i)
		}
	}
	return cuts
}

package route

import (
	"bytes"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leafhub/leafhub/protocol/sublist"
)

// fixture: one account with endpoints whose outbound bytes tests can read.
type fixture struct {
	acc *Account
	b   *sublist.Builder[*Sub]
}

func newFixture() *fixture {
	return &fixture{acc: NewAccount("A"), b: sublist.NewBuilder[*Sub]()}
}

func (f *fixture) endpoint(id uint64) *Endpoint {
	e := NewEndpoint(id, KindClient, NewOutbound(0, nil))
	e.SetFlags(true, true)
	return e
}

func (f *fixture) sub(ep *Endpoint, subject, queue, sid string) *Sub {
	s := &Sub{Subject: subject, Queue: queue, SID: sid, EP: ep}
	f.b.Insert(subject, queue, s)
	f.acc.Store(f.b.Snapshot())
	return s
}

func queued(e *Endpoint) string {
	e.Out.mu.Lock()
	defer e.Out.mu.Unlock()
	return string(e.Out.buf)
}

func TestPublishPlainQueueAndEcho(t *testing.T) {
	f := newFixture()
	pubEP, a, b, c := f.endpoint(1), f.endpoint(2), f.endpoint(3), f.endpoint(4)
	f.sub(a, "foo.*", "", "1")
	f.sub(b, "foo.bar", "g", "7")
	f.sub(c, "foo.>", "g", "8")
	own := f.sub(pubEP, "foo.bar", "", "9")
	p := NewPublisher(pubEP, 1)
	p.SetAccount(f.acc)

	if n := p.Publish([]byte("foo.bar"), []byte("r"), -1, []byte("hi")); n != 3 {
		t.Fatalf("delivered to %d, want 3 (plain, own, one queue member)", n)
	}
	if got := queued(a); got != "MSG foo.bar 1 r 2\r\nhi\r\n" {
		t.Errorf("a got %q", got)
	}
	if got := queued(b) + queued(c); strings.Count(got, "MSG foo.bar") != 1 {
		t.Errorf("queue group g got %q, want exactly one message", got)
	}
	if got := queued(pubEP); got != "MSG foo.bar 9 r 2\r\nhi\r\n" {
		t.Errorf("echo got %q", got)
	}
	pubEP.SetFlags(false, true)
	own.Close()
	if n := p.Publish([]byte("foo.bar"), nil, -1, []byte("x")); n != 2 {
		t.Fatalf("after echo off and close, delivered to %d, want 2", n)
	}
}

func TestPublishHeadersStripped(t *testing.T) {
	f := newFixture()
	withH, without := f.endpoint(1), f.endpoint(2)
	without.SetFlags(true, false)
	f.sub(withH, "h", "", "1")
	f.sub(without, "h", "", "2")
	p := NewPublisher(f.endpoint(3), 1)
	p.SetAccount(f.acc)
	msg := []byte("NATS/1.0\r\n\r\nbody")
	p.Publish([]byte("h"), nil, 12, msg)
	if got := queued(withH); got != "HMSG h 1 12 16\r\nNATS/1.0\r\n\r\nbody\r\n" {
		t.Errorf("header-capable got %q", got)
	}
	if got := queued(without); got != "MSG h 2 4\r\nbody\r\n" {
		t.Errorf("header-less got %q", got)
	}
}

// TestDeliveryLimitExact races publishers against a subscription limited to
// 100 deliveries: exactly 100 arrive and the limit is reported once.
func TestDeliveryLimitExact(t *testing.T) {
	f := newFixture()
	ep := f.endpoint(1)
	var mu sync.Mutex
	notified := 0
	ep.Notify = func(*Sub) { mu.Lock(); notified++; mu.Unlock() }
	s := f.sub(ep, "lim", "", "1")
	if !s.LimitDeliveries(100) {
		t.Fatal("LimitDeliveries refused a fresh subscription")
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := NewPublisher(f.endpoint(uint64(10+w)), uint64(w))
			p.SetAccount(f.acc)
			for i := 0; i < 100; i++ {
				p.Publish([]byte("lim"), nil, -1, []byte("x"))
			}
		}()
	}
	wg.Wait()
	if n := strings.Count(queued(ep), "MSG lim"); n != 100 {
		t.Fatalf("delivered %d, want 100", n)
	}
	if notified != 1 {
		t.Fatalf("limit reported %d times", notified)
	}
	if s.LimitDeliveries(50) {
		t.Fatal("a limit below the delivered count must ask for removal")
	}
}

func TestSlowConsumerFailsOnce(t *testing.T) {
	var reasons []FailReason
	var mu sync.Mutex
	o := NewOutbound(100, func(r FailReason) { mu.Lock(); reasons = append(reasons, r); mu.Unlock() })
	for i := 0; i < 10; i++ {
		o.QueueRaw(bytes.Repeat([]byte("x"), 30))
	}
	if len(reasons) != 1 || reasons[0] != FailSlowConsumer {
		t.Fatalf("reasons %v", reasons)
	}
	if o.QueueRaw([]byte("y")) {
		t.Fatal("a failed queue still accepts data")
	}
}

func TestWriteLoopFlushesOnDone(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	o := NewOutbound(0, nil)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() { o.WriteLoop(a, time.Second, time.Second, done); close(finished) }()
	o.QueueRaw([]byte("-ERR 'bye'\r\n"))
	close(done) // no Signal: the final flush must still write it
	buf := make([]byte, 64)
	_ = b.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := b.Read(buf)
	if err != nil || string(buf[:n]) != "-ERR 'bye'\r\n" {
		t.Fatalf("read %q %v", buf[:n], err)
	}
	<-finished
}

func TestWriteDeadlineIsSlowConsumer(t *testing.T) {
	a, b := net.Pipe() // nobody reads b: writes block
	defer a.Close()
	defer b.Close()
	failed := make(chan FailReason, 1)
	o := NewOutbound(0, func(r FailReason) { failed <- r })
	done := make(chan struct{})
	defer close(done)
	go o.WriteLoop(a, 50*time.Millisecond, 0, done)
	o.QueueRaw([]byte("data"))
	o.Signal()
	select {
	case r := <-failed:
		if r != FailWriteDeadline {
			t.Fatalf("reason %v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the write deadline did not fire")
	}
}

func TestReplyPermissions(t *testing.T) {
	f := newFixture()
	svc := f.endpoint(1)
	svc.SetResponsePermission(2, time.Minute, func(s string) bool { return s == "always" })
	f.sub(svc, "svc", "", "1")
	p := NewPublisher(f.endpoint(2), 1)
	p.SetAccount(f.acc)
	p.Publish([]byte("svc"), []byte("_INBOX.a"), -1, nil)
	p.Publish([]byte("svc"), []byte("always"), -1, nil)
	if !svc.ResponseAllowed([]byte("_INBOX.a")) || !svc.ResponseAllowed([]byte("_INBOX.a")) {
		t.Fatal("two responses must be allowed")
	}
	if svc.ResponseAllowed([]byte("_INBOX.a")) {
		t.Fatal("a third response must be refused")
	}
	if svc.ResponseAllowed([]byte("_INBOX.never")) || svc.ResponseAllowed([]byte("always")) {
		t.Fatal("untracked subjects are not responses")
	}
}

func TestJSAckDeliverIndex(t *testing.T) {
	for _, tc := range []struct {
		reply string
		want  int
	}{
		{"$JS.ACK.S.C.1.1.1.123.0@orders.new", 23},
		{"$JS.ACK.S.C.1.1.1.123.0", -1},
		{"$JS.ACK.S@x.C.1.1.1.123.0@orders", 25}, // '@' in a stream name is not the separator
		{"_INBOX.abc@def", -1},
		{"", -1},
	} {
		if got := jsAckDeliverIndex([]byte(tc.reply)); got != tc.want {
			t.Errorf("jsAckDeliverIndex(%q) = %d, want %d", tc.reply, got, tc.want)
		}
	}
}

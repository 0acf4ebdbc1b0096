package conn

import (
	"net"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// controlCredits bounds the control operations a reader may have queued in
// its actor's mailbox: a flooding peer makes the reader stop reading and TCP
// pushes back.
const controlCredits = 256

// connIO is one incarnation's reader and writer goroutines. Messages from the
// reader carry it, so an actor can tell its own from stale ones.
type connIO struct {
	done    chan struct{}
	credits chan struct{}
	rwg     sync.WaitGroup
	wwg     sync.WaitGroup
	once    sync.Once
}

func newConnIO() *connIO {
	return &connIO{done: make(chan struct{}), credits: make(chan struct{}, controlCredits)}
}

// send hands a control operation to the actor, waiting for a credit. It
// reports false when the connection is shutting down.
func (x *connIO) send(root *actor.RootContext, self *actor.PID, op any) bool {
	select {
	case x.credits <- struct{}{}:
	case <-x.done:
		return false
	}
	root.Send(self, &inbound{io: x, op: op})
	return true
}

// shutdown stops both goroutines: the writer flushes what is queued (bounded
// by its final deadline), then the socket closes, which ends the reader.
func (x *connIO) shutdown(c net.Conn) {
	x.once.Do(func() {
		close(x.done)
		x.wwg.Wait()
		_ = c.Close()
		x.rwg.Wait()
	})
}

// inbound is a control operation from the reader.
type inbound struct {
	io *connIO
	op any
}

// controlBatch is the control operations (SUB, UNSUB, LS+, LS-) a reader
// parsed from one read, in order, handed over as one message. done closes
// once they are all in effect.
type controlBatch struct {
	ops  []any
	done chan struct{}
}

// readerDone: the reader stopped, because of an error or the peer closing.
type readerDone struct {
	io      *connIO
	reason  CloseReason
	errText string // -ERR text to send before closing, if any
	readErr error  // the read error that ended the connection, if any
}

// outFailed: the outbound queue failed (slow consumer, write error).
type outFailed struct{ reason CloseReason }

// autoUnsub: a subscription reached its UNSUB maximum.
type autoUnsub struct{ sid string }

// tick is a timer message; gen makes stale ticks no-ops.
type tick struct {
	kind tickKind
	gen  uint64
}

type tickKind uint8

const (
	tickPing tickKind = iota
	tickAuth
	tickConnectInfo
	tickExpired // the user's JWT (or connect time range) ended
)

// timer is a restartable timer that sends a tick to its actor.
type timer struct {
	t   *time.Timer
	gen uint64
}

func (t *timer) arm(root *actor.RootContext, self *actor.PID, kind tickKind, d time.Duration) {
	t.stop()
	t.gen++
	m := &tick{kind: kind, gen: t.gen}
	t.t = time.AfterFunc(d, func() { root.Send(self, m) })
}

func (t *timer) stop() {
	if t.t != nil {
		t.t.Stop()
		t.t = nil
	}
	t.gen++
}

func (t *timer) current(m *tick) bool { return t.t != nil && m.gen == t.gen }

// Reconfigure hands connection actors (and their supervisor) a reloaded
// configuration.
type Reconfigure struct{ Env *Env }

// LameDuck tells a client connection that the server entered lame duck mode.
type LameDuck struct{}

// Fault makes a connection actor panic. Test-only fault injection.
type Fault struct{}

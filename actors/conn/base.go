package conn

import (
	"crypto/tls"
	"math/rand/v2"
	"net"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/account"
	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol"
)

// base is what client and leaf connection actors share: the socket, its
// reader and writer goroutines, the outbound queue, the account binding,
// PINGs, and closing.
type base struct {
	env     *Env
	st      *State
	netConn net.Conn
	log     *zap.Logger

	io        *connIO
	stream    *stream
	ep        *route.Endpoint
	acc       *AccountRef
	pingTimer timer
	pings     *pingState
	readErr   error // the read error that closed the connection, if any
}

// closeFields are the close log's fields: the reason, and the read error
// behind a Read Error.
func (b *base) closeFields() []zap.Field {
	f := []zap.Field{zap.String("reason", b.st.Reason().String())}
	if b.readErr != nil {
		f = append(f, zap.NamedError("read_error", b.readErr))
	}
	if e := b.st.PeerErr(); e != "" {
		f = append(f, zap.String("error", e)) // the peer's -ERR, or why the TLS handshake failed
	}
	return f
}

// pingState is shared by the actor (sends PINGs) and the reader (PONGs).
type pingState struct {
	out  atomic.Int32
	sent atomic.Int64 // unix nanos of the last PING sent
}

// newEndpoint creates the connection's endpoint and outbound queue; a queue
// failure comes back to the actor as outFailed. maxPending <= 0: no limit.
func (b *base) newEndpoint(c actor.Context, kind route.Kind, maxPending int) {
	root, self := c.ActorSystem().Root, c.Self()
	out := route.NewOutbound(maxPending, func(r route.FailReason) {
		root.Send(self, &outFailed{reason: failReason(r)})
	})
	b.ep = route.NewEndpoint(b.st.CID, kind, out)
	b.st.ep.Store(b.ep)
	b.st.lastActivity.Store(time.Now().UnixNano())
	b.pings = &pingState{}
	b.io = newConnIO()
	b.stream = newStream(b.netConn)
}

// startWriter starts the writer goroutine; it writes once the reader has
// settled the stream (TLS or not).
func (b *base) startWriter() {
	x, out, st, final, wdl := b.io, b.ep.Out, b.stream, b.env.FinalFlush, b.writeDeadline()
	x.wwg.Add(1)
	go func() {
		defer x.wwg.Done()
		select {
		case <-st.ready:
		case <-x.done:
			// Closed at once: still flush (INFO, -ERR) if the stream is
			// ready; WriteLoop sees done and makes its final flush.
			select {
			case <-st.ready:
			default:
				return
			}
		}
		out.WriteLoop(st, wdl, final, x.done)
	}()
	out.Signal()
}

// writeDeadline bounds each write: write_deadline, or for a leaf
// connection leafnodes.write_deadline when set, as nats-server.
func (b *base) writeDeadline() time.Duration {
	if b.ep.Kind == route.KindLeaf && b.env.Opts.LeafNode.WriteDeadline > 0 {
		return b.env.Opts.LeafNode.WriteDeadline
	}
	return b.env.Opts.WriteDeadline
}

func (b *base) queueInfo(info *protocol.ServerInfo) {
	buf, err := protocol.AppendInfo(nil, info)
	if err != nil {
		b.log.Error("cannot encode INFO", zap.Error(err))
		return
	}
	b.ep.Out.QueueRaw(buf)
	b.ep.Out.Signal()
}

func (b *base) bind(c actor.Context, ref *AccountRef) {
	b.acc = ref
	c.Send(ref.PID, &account.Join{Member: c.Self()})
}

// receiveShared handles what every connection actor answers alike: its
// account's interest request, monitoring's subject list, the reader's end
// and the test-only fault. It reports whether the message was one of them.
func (b *base) receiveShared(c actor.Context, subs func() []*route.Sub) bool {
	switch m := c.Message().(type) {
	case *account.InterestRequest:
		c.Send(m.Account, &account.InterestReport{Member: c.Self(), Subs: subs()})
	case *SubjectsRequest:
		all := subs()
		list := make([]string, len(all))
		for i, s := range all {
			list[i] = s.Subject
		}
		c.Respond(&Subjects{List: list, Subs: subInfos(all)})
	case *readerDone:
		if m.io == b.io {
			if m.errText != "" {
				b.sendErr(m.errText)
			}
			b.readErr = m.readErr
			b.close(c, m.reason)
		}
	case *Fault:
		panic("conn: injected fault")
	default:
		return false
	}
	return true
}

// change collects the interest changes of one batch of control operations.
type change struct{ add, remove []*route.Sub }

// commit sends a batch's changes to the account as one delta. It is sent
// even when empty if done is set: barriers travel through the account actor
// and so complete in order, after every earlier change of this connection
// is in effect.
func (b *base) commit(c actor.Context, ch *change, done chan struct{}) {
	if b.acc == nil {
		if done != nil {
			close(done)
		}
		return
	}
	if len(ch.add) == 0 && len(ch.remove) == 0 && done == nil {
		return
	}
	c.Send(b.acc.PID, &account.Delta{Member: c.Self(), Add: ch.add, Remove: ch.remove, Done: done})
}

func (b *base) sendErr(text string) {
	b.ep.Out.QueueRaw(protocol.AppendErr(nil, text))
	b.ep.Out.Signal()
}

func (b *base) sendOK() {
	b.ep.Out.QueueRaw(okLine)
	b.ep.Out.Signal()
}

func (b *base) sendPing() {
	b.pings.out.Add(1)
	b.pings.sent.Store(time.Now().UnixNano())
	b.ep.Out.QueueRaw(pingLine)
	b.ep.Out.Signal()
}

// pingTick runs one ping interval, as nats-server: too many unanswered
// PINGs close the connection as stale (counted in the total and in kind);
// otherwise a PING goes out when always is set, the peer was silent for an
// interval, or none was sent yet; and the next tick is armed.
func (b *base) pingTick(c actor.Context, m *tick, kind *atomic.Int64, always bool) {
	if !b.pingTimer.current(m) {
		return
	}
	if b.stale(c) {
		b.env.Totals.StaleConnections.Add(1)
		kind.Add(1)
		return
	}
	interval := b.env.Opts.PingInterval
	if always || time.Since(b.st.LastActivity()) >= interval || b.pings.sent.Load() == 0 {
		b.sendPing()
	}
	b.pingTimer.arm(c.ActorSystem().Root, c.Self(), tickPing, interval)
}

// stale reports (and handles) too many unanswered PINGs.
func (b *base) stale(c actor.Context) bool {
	if b.pings.out.Load()+1 <= int32(b.env.Opts.MaxPingsOut) {
		return false
	}
	b.sendErr(protocol.ErrTextStale)
	b.close(c, StaleConnection)
	return true
}

// close records the reason and stops the actor; Stopping does the rest.
func (b *base) close(c actor.Context, r CloseReason) {
	b.st.setReason(r)
	c.Stop(c.Self())
}

// shutdown ends the I/O in Stopping: timers off, queued bytes flushed
// (bounded), socket closed, goroutines gone.
func (b *base) shutdown() {
	b.pingTimer.stop()
	b.st.setReason(ServerShutdown)
	// The close time is when the close begins, as nats-server stamps it:
	// the flush and goroutine exits below can take a while on a loaded
	// machine, and /connz?sort=stop must not reorder closes by them.
	b.st.stop.Store(time.Now().UnixNano())
	c := b.netConn
	if b.stream != nil {
		if w := b.stream.ws.Load(); w != nil {
			// A WebSocket ends with a close frame saying why.
			w.setReason(b.st.Reason().String())
			c = w
		}
	}
	if b.io != nil {
		b.io.shutdown(c)
	} else {
		_ = c.Close()
	}
}

func failReason(r route.FailReason) CloseReason {
	switch r {
	case route.FailSlowConsumer:
		return SlowConsumerPendingBytes
	case route.FailWriteDeadline:
		return SlowConsumerWriteDeadline
	default:
		return WriteError
	}
}

// jitter adds up to 20 % to d, as nats-server does for the first PING.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration(rand.Int64N(int64(d)/5+1))
}

// credentials are the CONNECT fields that authenticate, the peer's IP and
// its TLS certificate. The reader settled the stream before the CONNECT.
func (b *base) credentials(ci *protocol.ConnectInfo) auth.Credentials {
	c := auth.Credentials{User: ci.User, Pass: ci.Pass, Token: ci.Token, Nkey: ci.Nkey, Sig: ci.Sig,
		JWT: ci.JWT, Host: b.st.Remote.Addr().String()}
	if tc := b.tlsConn(); tc != nil {
		if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
			c.Cert = certs[0]
		}
	}
	return c
}

// tlsConn is the TLS under the connection's stream (under the frames of a
// wss connection), nil without TLS. The reader settled the stream before
// the CONNECT.
func (b *base) tlsConn() *tls.Conn {
	nc := b.stream.conn
	if w, ok := nc.(*wsConn); ok {
		nc = w.Conn
	}
	tc, _ := nc.(*tls.Conn)
	return tc
}

// armExpiry sets t (the auth timer, idle once CONNECT is in) to fire when
// the identity's JWT expires.
func armExpiry(c actor.Context, t *timer, id *auth.Identity) {
	if id.Expires.IsZero() {
		return
	}
	t.arm(c.ActorSystem().Root, c.Self(), tickExpired, max(time.Until(id.Expires), 0))
}

// expired closes a connection whose user JWT expired, as nats-server does.
func (b *base) expired(c actor.Context) {
	b.log.Debug("user authentication expired")
	b.sendErr(protocol.ErrTextUserAuthExpired)
	b.close(c, AuthenticationExpired)
}

// stillAuthorized applies a reload's verdict on the connection's
// credentials, as nats-server does: refused, it gets Authorization
// Violation and closes; bound to another account now, it closes. It
// reports whether the connection stays.
func (b *base) stillAuthorized(c actor.Context, env *Env, id *auth.Identity, ok bool) bool {
	if !ok {
		b.sendErr(protocol.ErrTextAuthViolation)
		b.close(c, AuthenticationViolation)
		return false
	}
	if ref := env.Accounts[id.Account]; ref == nil || ref.Route != b.acc.Route {
		b.close(c, ClientClosed)
		return false
	}
	return true
}

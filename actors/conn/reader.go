package conn

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/s2"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol"
)

// Read buffer sizes: a reader starts small and doubles while reads fill it.
const (
	minReadBuf = 4 * 1024
	maxReadBuf = 64 * 1024
)

// maxPubPermCache bounds a reader's cache of publish permission answers.
const maxPubPermCache = 1024

// errStop ends parsing because the connection is closing; nothing is sent.
var errStop = errors.New("connection closing")

// readerCore is the part of a reader goroutine that client and leaf
// connections share: the read loop, the SUB barrier, PING/PONG. A reader
// parses its socket, routes messages on the data path and hands control
// operations to its actor. Its fields are its own; what it shares with the
// actor is atomic (State, pingState) or travels in messages.
type readerCore struct {
	io     *connIO
	root   *actor.RootContext
	self   *actor.PID
	st     *State
	ep     *route.Endpoint
	pings  *pingState
	parser *protocol.Parser
	pub    *route.Publisher

	maxPayload int // also bounds a WebSocket peer's compressed messages

	// live are the limits a reload may change (client readers only, nil
	// for leafs); limits are the ones the parser has.
	live   *ClientLimits
	limits *protocol.Limits

	barrier chan struct{} // closed when the last control operation is in effect
	pending []any         // control operations not handed over yet
	stream  *stream

	// Stream set-up before the first read: an accepting TLS listener
	// (serverTLS, with the INFO to send), a TLS-first dial (clientTLS), or
	// neither. holdReady leaves marking the stream ready to the handler
	// (a soliciting leaf decides on TLS after the hub's INFO).
	serverTLS *serverTLS
	info      []byte
	firstInfo []byte // the INFO after a TLS-first handshake, when it differs from info
	clientTLS *tls.Config
	tlsTime   time.Duration
	wsDial    *wsDial // a soliciting leaf's WebSocket upgrade
	holdReady bool

	// src is what the reader reads: the stream, or an S2 decoder over it
	// once compression switched on (after the read that asked, switchS2).
	src      io.Reader
	switchS2 bool
	// firstRead bounds the wait for the first bytes (0: none); cleared by
	// the handler when the first operation it waited for was handled.
	firstRead time.Duration
}

func newReaderCore(b *base, root *actor.RootContext, self *actor.PID, mode protocol.Mode, lim protocol.Limits) readerCore {
	return readerCore{
		io: b.io, root: root, self: self, st: b.st, ep: b.ep, pings: b.pings, stream: b.stream,
		parser: protocol.NewParser(mode, lim), maxPayload: lim.MaxPayload,
		pub: route.NewPublisher(b.ep, uint64(time.Now().UnixNano())),
	}
}

// reader is a client connection's reader.
type reader struct {
	readerCore

	connected     bool
	perms         *atomic.Pointer[auth.Perms] // written by the actor (CONNECT, reload)
	permsOf       *auth.Perms                 // the permissions pubPerms caches answers of
	verbose       bool
	pedantic      bool
	headers       bool
	noResponders  bool
	connectInfo   []byte
	pingAnswered  bool
	systemAccount bool

	pubPerms map[string]bool
	// gatewayReplies: a server with remotes delivers requests that crossed
	// a gateway with their _GR_. reply unchanged, so its clients may answer
	// on _GR_. subjects (spec 3.8; nats-server strips and maps the prefix
	// instead, and refuses such publishes).
	gatewayReplies bool
}

func newReader(a *client, root *actor.RootContext, self *actor.PID) *reader {
	opts := a.env.Opts
	limits := a.env.ClientLimits.load()
	r := &reader{readerCore: newReaderCore(&a.base, root, self, protocol.ClientMode, *limits),
		perms: &a.perms, gatewayReplies: len(opts.LeafNode.Remotes) > 0,
		verbose: true, pedantic: true} // nats-server's defaults until CONNECT
	r.live, r.limits = a.env.ClientLimits, limits
	return r
}

// run reads until the socket fails or a handler error stops parsing; h is
// the reader that embeds r.
func (r *readerCore) run(h protocol.Handler) {
	defer r.io.rwg.Done()
	if err := r.setUp(); err != nil {
		r.st.noteTLSMismatch(err)
		var ue *wsUpgradeError
		if errors.As(err, &ue) {
			r.readFailed(err)
			return
		}
		r.st.peerErr.Store(ptr(err.Error()))
		r.done(TLSHandshakeError, "")
		return
	}
	buf := make([]byte, minReadBuf)
	if r.firstRead > 0 {
		_ = r.stream.conn.SetReadDeadline(time.Now().Add(r.firstRead))
	}
	r.src = r.stream.conn
	for {
		n, err := r.src.Read(buf)
		if n > 0 {
			r.st.lastActivity.Store(time.Now().UnixNano())
			r.takeLimits()
			perr := r.parser.Parse(buf[:n], h)
			if perr == nil && !r.handOver() {
				perr = errStop
			}
			r.pub.Flush()
			if r.switchS2 {
				// The peer writes S2 from the byte after the line that
				// switched; it wrote nothing more before our answer.
				r.switchS2 = false
				if w := r.stream.ws.Load(); w != nil {
					w.readS2() // S2 under the frames, as nats-server
				} else {
					r.src = s2.NewReader(r.stream.conn)
				}
			}
			if perr != nil {
				r.failed(perr)
				return
			}
			if n == len(buf) && len(buf) < maxReadBuf {
				buf = make([]byte, 2*len(buf))
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.done(ClientClosed, "")
				return
			}
			if r.src != r.stream.conn && s2DecodeError(err) {
				err = fmt.Errorf("compressed (S2) stream does not decode: %w", err)
			}
			r.readFailed(err)
			return
		}
	}
}

// setUp settles the stream before the first read: TLS as configured.
func (r *readerCore) setUp() error {
	switch {
	case r.serverTLS != nil:
		first := r.firstInfo
		if first == nil {
			first = r.info
		}
		queue, err := r.stream.acceptTLS(r.serverTLS, r.info, first)
		if err != nil {
			return err
		}
		if queue != nil {
			// The INFO still to send: the handshake came first.
			r.stream.tlsFirst = true
			r.ep.Out.QueueRaw(queue)
		}
	case r.clientTLS != nil:
		if err := r.stream.upgrade(r.clientTLS, false, r.tlsTime); err != nil {
			return err
		}
	case r.wsDial != nil:
		c, err := r.wsDial.upgrade(r.stream.raw)
		if err != nil {
			return &wsUpgradeError{err}
		}
		r.stream.useWS(c.(*wsConn))
	}
	if w := r.stream.ws.Load(); w != nil {
		w.setMaxPayload(r.maxPayload)
	}
	if !r.holdReady {
		r.stream.markReady()
	}
	return nil
}

// takeLimits gives the parser the limits a reload set, if they changed:
// one atomic load per read.
func (r *readerCore) takeLimits() {
	if r.live == nil {
		return
	}
	if l := r.live.load(); l != r.limits {
		r.limits = l
		r.parser.SetLimits(*l)
	}
}

// clearFirstRead lifts the deadline of the first read.
func (r *readerCore) clearFirstRead() {
	if r.firstRead > 0 {
		r.firstRead = 0
		_ = r.stream.conn.SetReadDeadline(time.Time{})
	}
}

// done tells the actor the reader stopped (unless the actor stopped it).
func (r *readerCore) done(reason CloseReason, errText string) {
	select {
	case <-r.io.done:
	default:
		r.root.Send(r.self, &readerDone{io: r.io, reason: reason, errText: errText})
	}
}

// readFailed ends the connection on a read error, which the close log
// names.
func (r *readerCore) readFailed(err error) {
	select {
	case <-r.io.done:
	default:
		r.st.readErr.Store(ptr(err.Error()))
		r.root.Send(r.self, &readerDone{io: r.io, reason: ReadError, readErr: err})
	}
}

func (r *readerCore) failed(err error) {
	if errors.Is(err, errStop) {
		return
	}
	text, _ := protocol.ErrText(err)
	reason := ProtocolViolation // an unknown operation too, as nats-server
	switch {
	case errors.Is(err, protocol.ErrMaxPayload):
		reason = MaxPayloadExceeded
	case errors.Is(err, protocol.ErrMaxControlLine):
		reason = MaxControlLineExceeded
	case errors.Is(err, protocol.ErrAuthViolation):
		reason = AuthenticationViolation
	case errors.Is(err, errHeaders):
		reason = MsgHeaderViolation
	case errors.Is(err, errClientErr):
		reason = ParseError
	case errors.Is(err, errLeafPermission):
		reason = ProtocolViolation
	case errors.Is(err, errTLS):
		reason = TLSHandshakeError
	}
	r.done(reason, text)
}

// errHeaders: HPUB on a connection that did not enable headers.
var errHeaders = errors.New("message headers not enabled")

// maxBatch bounds a batch of control operations.
const maxBatch = 1024

// queueOp adds a control operation to the batch being collected.
func (r *readerCore) queueOp(op any) error {
	r.pending = append(r.pending, op)
	if len(r.pending) >= maxBatch && !r.handOver() {
		return errStop
	}
	return nil
}

// handOver gives the collected operations to the actor as one batch. It
// reports false when the connection is shutting down.
func (r *readerCore) handOver() bool {
	if len(r.pending) == 0 {
		return true
	}
	b := &controlBatch{ops: r.pending, done: make(chan struct{})}
	r.pending = nil
	if !r.io.send(r.root, r.self, b) {
		return false
	}
	r.barrier = b.done
	return true
}

// wait hands over pending control operations and blocks until they are in
// effect: the next message or PING is handled after them.
func (r *readerCore) wait() bool {
	if !r.handOver() {
		return false
	}
	if r.barrier == nil {
		return true
	}
	select {
	case <-r.barrier:
		r.barrier = nil
		return true
	case <-r.io.done:
		return false
	}
}

func (r *readerCore) queue(b []byte) {
	r.ep.Out.QueueRaw(b)
	r.pub.Touch(r.ep.Out)
}

func (r *readerCore) sendErr(text string) { r.queue(protocol.AppendErr(nil, text)) }

// Connect hands CONNECT to the actor and waits for its verdict: everything
// after it depends on the account and options it settles.
func (r *reader) Connect(arg []byte) error {
	op := &connectOp{raw: bytes.Clone(arg), reply: make(chan *connectResult, 1)}
	r.pub.Flush()
	if !r.handOver() || !r.io.send(r.root, r.self, op) {
		return errStop
	}
	var res *connectResult
	select {
	case res = <-op.reply:
	case <-r.io.done:
		return errStop
	}
	if !res.ok {
		return errStop
	}
	r.parser.RequireConnect = false
	if r.pub.Account() != res.acc {
		r.pub.SetAccount(res.acc)
	}
	r.connected = true
	r.verbose, r.pedantic = res.verbose, res.pedantic
	r.headers, r.noResponders, r.connectInfo = res.headers, res.noResponders, res.connectInfo
	clear(r.pubPerms)
	return nil
}

// Pub routes one message on the data path.
func (r *reader) Pub(subject, reply []byte, hdrLen int, msg []byte) error {
	if hdrLen >= 0 && !r.headers {
		return errHeaders
	}
	if !r.wait() {
		return errStop
	}
	if r.pedantic && !protocol.ValidLiteralSubjectBytes(subject) {
		r.sendErr(protocol.ErrTextInvalidPublishSubject)
	}
	if !r.mayPublish(subject, reply) {
		return nil
	}
	if r.verbose {
		r.queue(okLine) // before the message's own deliveries, as nats-server
	}
	r.ep.InMsgs.Add(1)
	r.ep.InBytes.Add(int64(len(msg)))
	if r.pub.Publish(subject, reply, hdrLen, msg) == 0 && len(reply) > 0 && r.noResponders {
		r.pub.NoResponders(subject, reply)
	}
	return nil
}

// Reserved prefixes: subjects only servers publish on, and reply prefixes
// clients may not use.
var (
	reservedPubPrefixes   = []string{"_GR_.", "$GR."}
	reservedReplyPrefixes = []string{"_R_.", "$JS.ACK.", "_GR_.", "$GR."}
)

const nrgPrefix = "$NRG."

// mayPublish checks reserved subjects and the user's publish permissions; a
// refusal sends the -ERR and keeps the connection.
func (r *reader) mayPublish(subject, reply []byte) bool {
	for _, p := range reservedPubPrefixes {
		if bytes.HasPrefix(subject, []byte(p)) && !r.gatewayReplies {
			r.sendErr(protocol.PermPubText(string(subject)))
			return false
		}
	}
	if bytes.HasPrefix(subject, []byte(nrgPrefix)) && !r.systemAccount {
		r.sendErr(protocol.PermPubText(string(subject)))
		return false
	}
	if len(reply) > 0 {
		for _, p := range reservedReplyPrefixes {
			if bytes.HasPrefix(reply, []byte(p)) {
				r.sendErr(protocol.PermReplyText(string(reply)))
				return false
			}
		}
	}
	perms := r.perms.Load()
	if perms == nil {
		return true
	}
	if perms != r.permsOf {
		r.permsOf, r.pubPerms = perms, nil
	}
	ok, cached := r.pubPerms[string(subject)]
	if !cached {
		ok = perms.CanPublish(string(subject))
		if r.pubPerms == nil || len(r.pubPerms) >= maxPubPermCache {
			r.pubPerms = make(map[string]bool)
		}
		r.pubPerms[string(subject)] = ok
	}
	if !ok && perms.ResponsePermission() != nil && r.ep.ResponseAllowed(subject) {
		return true
	}
	if !ok {
		r.sendErr(protocol.PermPubText(string(subject)))
	}
	return ok
}

// Sub validates a subscription and hands it to the actor. It does not wait:
// the next PUB or PING does (ordering without a round trip per SUB).
func (r *reader) Sub(subject, queue, sid []byte) error {
	if !protocol.ValidSubject(string(subject)) {
		r.sendErr(protocol.ErrTextInvalidSubject)
		return nil
	}
	if perms := r.perms.Load(); perms != nil || string(queue) == sysQueue {
		if string(queue) == sysQueue || !perms.CanSubscribe(string(subject), string(queue)) {
			r.sendErr(protocol.PermSubText(string(subject), string(queue)))
			return nil
		}
	}
	return r.queueOp(&subOp{subject: string(subject), queue: string(queue), sid: string(sid)})
}

// sysQueue is the queue name clients may not use.
const sysQueue = "_sys_"

// Unsub hands UNSUB to the actor.
func (r *reader) Unsub(sid []byte, max int) error {
	return r.queueOp(&unsubOp{sid: string(sid), max: int64(max)})
}

// Ping answers PONG once every earlier SUB is in effect; the first PING after
// CONNECT is also answered with the connect_info INFO.
func (r *reader) Ping() error {
	if !r.wait() {
		return errStop
	}
	r.queue(pongLine)
	if r.connected && !r.pingAnswered {
		r.pingAnswered = true
		if r.connectInfo != nil {
			r.queue(r.connectInfo)
		}
	}
	return nil
}

// Pong resets the outstanding PING count and records the RTT.
func (r *readerCore) Pong() error {
	r.pings.out.Store(0)
	if sent := r.pings.sent.Load(); sent > 0 {
		r.st.rtt.Store(time.Now().UnixNano() - sent)
	}
	return nil
}

// Info from a client is ignored, as nats-server does.
func (r *reader) Info([]byte) error { return nil }

// Err from a client closes the connection without an answer, as nats-server does.
func (r *reader) Err([]byte) error { return errClientErr }

// errClientErr: the client sent -ERR.
var errClientErr = errors.New("client sent -ERR")

// The operations below never reach a client-mode handler: the parser
// refuses them as unknown.

func (r *reader) Msg(_, _, _ []byte, _ int, _ []byte) error           { return protocol.ErrUnknownOp }
func (r *reader) LSub(_, _ []byte, _ int) error                       { return protocol.ErrUnknownOp }
func (r *reader) LUnsub(_, _ []byte) error                            { return protocol.ErrUnknownOp }
func (r *reader) LMsg(_, _ []byte, _ [][]byte, _ int, _ []byte) error { return protocol.ErrUnknownOp }
func (r *reader) OK() error                                           { return protocol.ErrUnknownOp }

// s2DecodeError tells the decompressor's own errors from the socket's (a
// TLS alert, a reset) that reach the reader through it.
func s2DecodeError(err error) bool {
	return errors.Is(err, s2.ErrCorrupt) || errors.Is(err, s2.ErrCRC) ||
		errors.Is(err, s2.ErrTooLarge) || errors.Is(err, s2.ErrUnsupported)
}

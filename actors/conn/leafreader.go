package conn

import (
	"bytes"
	"errors"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/leafhub/leafhub/protocol"
)

// errLeafPermission: on a hub-role connection, the peer (our spoke) sent a
// message it may not publish.
var errLeafPermission = errors.New("leafnode publish permission violation")

// leafReader reads a leaf connection: LS+/LS- and the handshake go to the
// actor, LMSG is routed here on the data path.
type leafReader struct {
	readerCore
	perms *atomic.Pointer[leafPerms] // written by the actor (handshake, INFO, reload)
	bound bool
	comp  *compression // set once S2 is on (s2_auto follows the RTT)
	// permViolation asks a soliciting side's remote to wait before the
	// next dial after a publish permission violation (leaf.delay).
	permViolation func()
}

func newLeafReader(l *leaf, root *actor.RootContext, self *actor.PID) *leafReader {
	opts := l.env.Opts
	d := l.env.LeafDelays.PermViolation
	return &leafReader{
		readerCore: newReaderCore(&l.base, root, self, protocol.LeafMode, protocol.Limits{
			MaxControlLine: int(opts.MaxControlLine) * protocol.LeafControlLineFactor,
			MaxPayload:     int(opts.MaxPayload)}),
		perms:         &l.readerPerms,
		permViolation: func() { l.delay(d) }, // l.remote and l.st never change
	}
}

// verdict waits for the actor's answer to a handshake step.
func (r *leafReader) verdict(op any, reply chan *leafVerdict) error {
	_, err := r.verdictOf(op, reply)
	return err
}

func (r *leafReader) verdictOf(op any, reply chan *leafVerdict) (*leafVerdict, error) {
	r.pub.Flush()
	if !r.handOver() || !r.io.send(r.root, r.self, op) {
		return nil, errStop
	}
	var v *leafVerdict
	select {
	case v = <-reply:
	case <-r.io.done:
		return nil, errStop
	}
	if !v.ok {
		return nil, errStop
	}
	if v.acc != nil {
		r.pub.SetAccount(v.acc)
		r.bound = true
	}
	return v, nil
}

// Connect: the accept side's handshake.
func (r *leafReader) Connect(arg []byte) error {
	reply := make(chan *leafVerdict, 1)
	if err := r.verdict(&leafConnectOp{raw: bytes.Clone(arg), reply: reply}, reply); err != nil {
		return err
	}
	r.parser.RequireConnect = false
	r.parser.AllowInfo = false
	return nil
}

// Info: the solicit side's handshake and asynchronous updates. After the
// hub's first INFO the stream is settled: TLS if the remote or the hub
// wants it, before the queued CONNECT goes out.
func (r *leafReader) Info(arg []byte) error {
	reply := make(chan *leafVerdict, 1)
	v, err := r.verdictOf(&leafInfoOp{raw: bytes.Clone(arg), reply: reply}, reply)
	if err != nil {
		return err
	}
	if v.s2 {
		r.switchS2, r.comp = true, v.comp
	}
	if !v.s2 || v.clearDeadline {
		// The first-INFO deadline (solicit side only) covers the hub's
		// compressed INFO too.
		r.clearFirstRead()
	}
	if v.tls != nil {
		if err := r.stream.upgrade(v.tls, false, v.tlsTime); err != nil {
			r.st.peerErr.Store(ptr(err.Error()))
			r.st.noteTLSMismatch(err)
			return errTLS
		}
	}
	r.stream.markReady()
	return nil
}

// errTLS: the TLS handshake with the hub failed.
var errTLS = errors.New("TLS handshake failed")

func (r *leafReader) LSub(subject, queue []byte, weight int) error {
	return r.queueOp(&lsubOp{subject: string(subject), queue: string(queue), weight: weight})
}

func (r *leafReader) LUnsub(subject, queue []byte) error {
	return r.queueOp(&lunsubOp{subject: string(subject), queue: string(queue)})
}

// LMsg routes a message from the peer once its earlier LS+/LS- are in effect.
func (r *leafReader) LMsg(subject, reply []byte, queues [][]byte, hdrLen int, msg []byte) error {
	if !r.bound {
		return errStop
	}
	if !r.wait() {
		return errStop
	}
	if p := r.perms.Load(); p != nil && !p.accept(subject) {
		if p.hubRole {
			// As for an LS+ outside the permissions: a soliciting side
			// waits before it dials again.
			r.permViolation()
			r.sendErr(protocol.PermPubText(string(subject)))
			return errLeafPermission
		}
		return nil // a spoke-role connection drops it silently
	}
	r.ep.InMsgs.Add(1)
	r.ep.InBytes.Add(int64(len(msg)))
	r.pub.PublishFromLeaf(subject, reply, queues, hdrLen, msg)
	return nil
}

// Pong records the RTT; s2_auto connections change level with it.
func (r *leafReader) Pong() error {
	_ = r.readerCore.Pong()
	if r.comp != nil {
		if l, changed := r.comp.autoRTT(r.st.RTT()); changed {
			r.st.compression.Store(&l)
		}
	}
	return nil
}

// Ping answers PONG once earlier LS+/LS- are in effect.
func (r *leafReader) Ping() error {
	if !r.wait() {
		return errStop
	}
	r.queue(pongLine)
	return nil
}

// Err hands the peer's -ERR to the actor, which decides (spec 2.10).
func (r *leafReader) Err(text []byte) error {
	if !r.handOver() || !r.io.send(r.root, r.self, &leafErrOp{text: string(text)}) {
		return errStop
	}
	return nil
}

// OK is ignored on leaf connections.
func (r *leafReader) OK() error { return nil }

// Client operations never reach a leaf-mode handler: the parser refuses them.

func (r *leafReader) Pub(_, _ []byte, _ int, _ []byte) error    { return protocol.ErrUnknownOp }
func (r *leafReader) Sub(_, _, _ []byte) error                  { return protocol.ErrUnknownOp }
func (r *leafReader) Unsub(_ []byte, _ int) error               { return protocol.ErrUnknownOp }
func (r *leafReader) Msg(_, _, _ []byte, _ int, _ []byte) error { return protocol.ErrUnknownOp }

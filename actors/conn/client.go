package conn

import (
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// Fixed protocol lines, as bytes.
var (
	pingLine = []byte(protocol.PingLine)
	pongLine = []byte(protocol.PongLine)
	okLine   = []byte(protocol.OKLine)
)

// firstClientPing is the longest wait for the first server PING after
// CONNECT; later PINGs follow ping_interval.
const firstClientPing = 2 * time.Second

// client is the actor of one client connection. It owns the connection's
// subscriptions, its handshake state and its timers; its reader goroutine
// parses and routes messages, its writer goroutine drains the outbound queue.
type client struct {
	base
	overflow bool // max_connections exceeded: say so and close

	subs      map[string]*route.Sub // by sid; this actor only
	connected bool
	verbose   bool
	ci        *protocol.ConnectInfo // the options of the last CONNECT
	nonce     string
	perms     atomic.Pointer[auth.Perms] // bound by CONNECT (and reload); the reader checks them too
	creds     auth.Credentials           // re-checked on reload
	authTimer timer
}

// connectOp is CONNECT, handed from the reader; reply gets the result.
type connectOp struct {
	raw   []byte
	reply chan *connectResult
}

// connectResult tells the reader what CONNECT settled.
type connectResult struct {
	ok           bool
	acc          *route.Account
	verbose      bool
	pedantic     bool
	headers      bool
	noResponders bool
	connectInfo  []byte // INFO sent after the first PONG (protocol >= 1), or nil
}

type subOp struct {
	subject, queue, sid string
}

type unsubOp struct {
	sid string
	max int64
}

// maxConnExceeded closes a client that a reload lowering max_connections
// left above the limit (sent by the supervisor).
type maxConnExceeded struct{}

func (a *client) Receive(c actor.Context) {
	if a.receiveShared(c, a.subList) {
		return
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		a.start(c)
	case *inbound:
		<-m.io.credits
		if m.io != a.io {
			return
		}
		switch op := m.op.(type) {
		case *connectOp:
			a.connect(c, op)
		case *controlBatch:
			var ch change
			for _, o := range op.ops {
				switch o := o.(type) {
				case *subOp:
					a.sub(o, &ch)
				case *unsubOp:
					a.unsub(o, &ch)
				}
			}
			a.subsChanged()
			a.commit(c, &ch, op.done)
		}
	case *autoUnsub:
		if s := a.subs[m.sid]; s != nil {
			var ch change
			a.remove(s, &ch)
			a.subsChanged()
			a.commit(c, &ch, nil)
		}
	case *Reconfigure:
		a.reconfigure(c, m.Env)
	case *maxConnExceeded:
		a.sendErr(protocol.ErrTextMaxConnections)
		a.close(c, MaxConnectionsExceeded)
	case *LameDuck:
		// Tell the client the server is going away (nats.go reconnects
		// elsewhere); nats-server sends its full INFO with ldm set.
		info := a.env.Info
		info.ClientID = a.st.CID
		info.ClientIP = a.st.Remote.Addr().String()
		info.LameDuckMode = true
		a.queueInfo(&info)
	case *tick:
		a.onTick(c, m)
	case *outFailed:
		if a.env.Totals.countSlow(m.reason, &a.env.Totals.SlowConsumerClients) {
			a.log.Warn("slow consumer detected", zap.String("reason", m.reason.String()),
				zap.Int64("max_pending", a.env.Opts.MaxPending))
		}
		a.close(c, m.reason)
	case *actor.Stopping:
		a.stopping()
	}
}

func (a *client) start(c actor.Context) {
	root, self := c.ActorSystem().Root, c.Self()
	a.subs = make(map[string]*route.Sub)
	a.newEndpoint(c, route.KindClient, int(a.env.Opts.MaxPending))
	a.ep.Notify = func(s *route.Sub) { root.Send(self, &autoUnsub{sid: s.SID}) }

	info := a.env.Info
	info.ClientID = a.st.CID
	info.ClientIP = a.st.Remote.Addr().String()
	if a.env.Auth.NeedsNonce() {
		a.nonce = newNonce()
		info.Nonce = a.nonce
	}
	if a.overflow {
		a.queueInfo(&info)
		a.sendErr(protocol.ErrTextMaxConnections)
		a.stream.markReady()
		a.startWriter()
		a.close(c, MaxConnectionsExceeded)
		return
	}
	// Until CONNECT says otherwise a client is verbose and pedantic, as
	// nats-server starts every client (this shows when no auth is needed).
	a.verbose = true
	r := newReader(a, root, self)
	if a.stream.ws.Load() != nil {
		// WebSocket, as nats-server: the websocket port's address, and
		// tls_required/tls_available when that port is wss (the TLS ran
		// before the HTTP upgrade).
		w := &a.env.Opts.Websocket
		info.Host, info.Port = w.Host, a.env.WSPort
		info.TLSRequired, info.TLSAvailable = w.TLS != nil, w.TLS != nil
		a.queueInfo(&info)
	} else if t := a.env.ClientTLS; t != nil {
		// The reader sends the INFO and runs the handshake before reading.
		r.serverTLS = t
		r.info, _ = protocol.AppendInfo(nil, &info)
		// After a TLS-first handshake the INFO requires TLS, allow_non_tls
		// or not, as nats-server's.
		first := info
		first.TLSRequired = true
		r.firstInfo, _ = protocol.AppendInfo(nil, &first)
	} else {
		a.queueInfo(&info)
	}
	if !a.env.Auth.Required() {
		// Nothing to authenticate: the connection may PUB and SUB at once.
		a.bind(c, a.env.Accounts[auth.GlobalAccount])
		r.pub.SetAccount(a.acc.Route)
	} else {
		r.parser.RequireConnect = true
		a.authTimer.arm(root, self, tickAuth, a.env.Opts.AuthTimeout)
	}
	a.startWriter()
	a.io.rwg.Add(1)
	go r.run(r)
}

// connect processes CONNECT as nats-server does: authenticate, check the
// protocol options, bind the account, answer the reader.
func (a *client) connect(c actor.Context, op *connectOp) {
	res := &connectResult{}
	defer func() { op.reply <- res }()
	// As nats-server: verbose, pedantic and echo start true, and a CONNECT
	// is decoded over the options in force (JSON decoding leaves absent
	// fields alone): a second CONNECT changes only what it names.
	ci := protocol.ConnectInfo{Verbose: true, Pedantic: true, Echo: true}
	if a.ci != nil {
		ci = *a.ci
	}
	if err := json.Unmarshal(op.raw, &ci); err != nil {
		a.log.Debug("invalid CONNECT", zap.Error(err))
		a.close(c, ProtocolViolation) // as nats-server: a CONNECT that does not decode is a protocol violation
		return
	}
	a.authTimer.stop()
	creds := a.credentials(&ci)
	id, err := a.env.Auth.Authenticate(creds, a.nonce, a.connType())
	if err == nil && (ci.Account != "" || ci.NewAccount) {
		err = errors.New("CONNECT names an account (account, new_account)")
	}
	if err != nil {
		a.log.Debug("authorization violation", zap.String("user", ci.User), zap.Error(err))
		a.st.meta.Store(a.connectMeta(&ci, nil, ""))
		a.sendErr(protocol.ErrTextAuthViolation)
		a.close(c, AuthenticationViolation)
		return
	}
	if ci.Protocol < 0 || ci.Protocol > 1 {
		a.sendErr(protocol.ErrTextInvalidClientProtocol)
		a.close(c, BadClientProtocolVersion)
		return
	}
	headers := a.env.Info.Headers && ci.Headers
	if ci.NoResponders && !headers {
		a.sendErr(protocol.ErrTextNoRespondersNeedHeaders)
		a.close(c, NoRespondersRequiresHeaders)
		return
	}
	ref := a.env.Accounts[id.Account]
	if ref == nil {
		a.log.Error("user bound to an account that does not exist", zap.String("account", id.Account))
		a.sendErr(protocol.ErrTextAuthViolation)
		a.close(c, AuthenticationViolation)
		return
	}
	if a.acc == nil {
		a.bind(c, ref)
	}
	a.connected = true
	armExpiry(c, &a.authTimer, id)
	a.verbose, a.ci = ci.Verbose, &ci
	a.setPerms(id.Perms)
	a.creds = creds
	a.ep.SetFlags(ci.Echo, headers)
	a.st.meta.Store(a.connectMeta(&ci, id, ref.Route.Name))
	// nats-server's first RTT estimate: from accept to CONNECT.
	a.st.rtt.Store(max(int64(time.Since(a.st.Start)), 1))
	a.log = a.log.With(zap.String("account", ref.Route.Name))

	*res = connectResult{ok: true, acc: ref.Route, verbose: ci.Verbose,
		pedantic: ci.Pedantic, headers: headers, noResponders: ci.NoResponders}
	if ci.Protocol >= 1 {
		info := a.env.Info
		info.ClientID = a.st.CID
		info.ClientIP = a.st.Remote.Addr().String()
		info.ConnectInfo = true
		info.RemoteAccount = ref.Route.Name
		info.IsSystemAccount = ref.Route.Name == a.env.SystemAccount
		res.connectInfo, _ = protocol.AppendInfo(nil, &info)
	}
	if a.verbose {
		a.sendOK()
	}
	root, self := c.ActorSystem().Root, c.Self()
	first := min(a.env.Opts.PingInterval, firstClientPing)
	a.pingTimer.arm(root, self, tickPing, jitter(first))
}

// reconfigure applies a reloaded configuration as nats-server does: a user
// no longer authorized is closed with "Authorization Violation", one moved
// to another account is closed, the others get their new permissions and
// lose the subscriptions those no longer allow.
func (a *client) reconfigure(c actor.Context, env *Env) {
	old := a.env
	a.env = env
	if !a.connected {
		return
	}
	if a.stream.ws.Load() == nil && !samePins(old.Opts.TLS, env.Opts.TLS) && !pinned(env.Opts.TLS, a.creds.Cert) {
		// As nats-server: changed pinned_certs close the clients whose
		// certificate they no longer name (no -ERR).
		a.log.Debug("client certificate not in the reloaded pinned_certs")
		a.close(c, TLSHandshakeError)
		return
	}
	id, ok := env.Auth.Check(a.creds, a.nonce, a.connType())
	if !a.stillAuthorized(c, env, id, ok) {
		return
	}
	a.setPerms(id.Perms)
	var ch change
	for _, s := range a.subs {
		if id.Perms.CanSubscribe(s.Subject, s.Queue) {
			continue
		}
		a.sendErr(protocol.PermSubRemovedText(s.Subject, s.Queue, s.SID))
		a.log.Info("removed a subscription the reloaded permissions do not allow",
			zap.String("subject", s.Subject), zap.String("sid", s.SID))
		a.remove(s, &ch)
	}
	a.subsChanged()
	a.commit(c, &ch, nil)
}

// setPerms installs the connection's permissions, for the actor and its
// reader, and its allow_responses (started afresh, or turned off).
func (a *client) setPerms(p *auth.Perms) {
	a.perms.Store(p)
	if rp := p.ResponsePermission(); rp != nil {
		a.ep.SetResponsePermission(rp.MaxMsgs, rp.Expires, p.CanPublish)
	} else {
		a.ep.SetResponsePermission(0, 0, nil)
	}
}

// sub applies one SUB of a batch; the change goes into ch.
func (a *client) sub(op *subOp, ch *change) {
	if a.subs[op.sid] != nil {
		// A repeated sid is not an error; nothing changes.
		if a.verbose {
			a.sendOK()
		}
		return
	}
	if max := a.env.Opts.MaxSubs; max > 0 && len(a.subs) >= max {
		a.sendErr(protocol.ErrTextMaxSubscriptions)
		return
	}
	s := &route.Sub{Subject: op.subject, Queue: op.queue, SID: op.sid, EP: a.ep,
		DenyFilter: a.perms.Load().DenyFilter(op.subject, op.queue)}
	a.subs[op.sid] = s
	ch.add = append(ch.add, s)
	if a.verbose {
		a.sendOK()
	}
}

// unsub applies one UNSUB of a batch.
func (a *client) unsub(op *unsubOp, ch *change) {
	if s := a.subs[op.sid]; s != nil && (op.max <= 0 || !s.LimitDeliveries(op.max)) {
		a.remove(s, ch)
	}
	if a.verbose {
		a.sendOK()
	}
}

func (a *client) remove(s *route.Sub, ch *change) {
	s.Close()
	delete(a.subs, s.SID)
	ch.remove = append(ch.remove, s)
}

func (a *client) subsChanged() { a.st.numSubs.Store(int32(len(a.subs))) }

func (a *client) subList() []*route.Sub {
	out := make([]*route.Sub, 0, len(a.subs))
	for _, s := range a.subs {
		out = append(out, s)
	}
	return out
}

func (a *client) onTick(c actor.Context, m *tick) {
	switch m.kind {
	case tickAuth:
		if a.authTimer.current(m) && !a.connected {
			a.sendErr(protocol.ErrTextAuthTimeout)
			a.close(c, AuthenticationTimeout)
		}
	case tickExpired:
		if a.authTimer.current(m) {
			a.expired(c)
		}
	case tickPing:
		// Skip the PING when the client was heard from within the interval.
		a.pingTick(c, m, &a.env.Totals.StaleConnectionClients, false)
	}
}

func (a *client) stopping() {
	a.authTimer.stop()
	a.st.keepSubs(a.subList())
	for _, s := range a.subs {
		s.Close()
	}
	a.shutdown()
	a.log.Debug("client connection closed", a.closeFields()...)
}

// newNonce returns a nonce for the client to sign: 11 random bytes in
// base64 URL encoding (15 characters), as nats-server sends.
func newNonce() string {
	var b [11]byte
	_, _ = crand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// connType is the connection type users' allowed_connection_types name.
func (a *client) connType() string {
	if a.stream.ws.Load() != nil {
		return "WEBSOCKET"
	}
	return "STANDARD"
}

// pins is the pinned_certs set of a tls block (nil: none).
func pins(t *config.TLSOpts) map[string]bool {
	if t == nil || len(t.PinnedCerts) == 0 {
		return nil
	}
	m := make(map[string]bool, len(t.PinnedCerts))
	for _, p := range t.PinnedCerts {
		m[strings.ToLower(p)] = true
	}
	return m
}

func samePins(a, b *config.TLSOpts) bool { return maps.Equal(pins(a), pins(b)) }

// pinned reports whether cert is among t's pinned_certs (true when there
// are none), by the SHA-256 of its public key, as the handshake checks.
func pinned(t *config.TLSOpts, cert *x509.Certificate) bool {
	set := pins(t)
	if set == nil {
		return true
	}
	if cert == nil {
		return false
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return set[hex.EncodeToString(sum[:])]
}

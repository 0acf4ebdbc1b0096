package conn

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/account"
	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
	"github.com/leafhub/leafhub/protocol/interest"
)

// Leaf timing defaults, nats-server's (spec 5.2).
const (
	// DefaultLoopDelay is the wait before re-dialling after "Loop detected".
	DefaultLoopDelay = 30 * time.Second
	// DefaultPermViolationDelay follows a permission violation this soliciting side detected.
	DefaultPermViolationDelay = 30 * time.Second
	// DefaultSameClusterDelay follows "remote leafnode has same cluster name".
	DefaultSameClusterDelay = 30 * time.Second
	// DefaultMinVersionDelay follows a minimum-version rejection.
	DefaultMinVersionDelay = 5 * time.Second
	// connectInfoWait is how long a soliciting side waits for the hub's
	// connect_info INFO after its CONNECT.
	connectInfoWait = 2 * time.Second
	// firstLeafPing is the longest wait for the first PING on a leaf connection.
	firstLeafPing = time.Second
)

// LeafDelays are the connect delays a solicited leaf asks its remote for.
// Tests shorten them; the defaults are nats-server's.
type LeafDelays struct {
	Loop, PermViolation, SameCluster, MinVersion time.Duration
}

// DefaultLeafDelays returns nats-server's delays.
func DefaultLeafDelays() LeafDelays {
	return LeafDelays{Loop: DefaultLoopDelay, PermViolation: DefaultPermViolationDelay,
		SameCluster: DefaultSameClusterDelay, MinVersion: DefaultMinVersionDelay}
}

// LeafRemote is what a solicited leaf connection knows of the remote that
// dialled it.
type LeafRemote struct {
	PID  *actor.PID // the remote actor
	Opts *config.RemoteLeafOpts
	URL  *url.URL // the URL dialled
	// Creds are the credentials to send (from the URL, or saved from the
	// configured URLs for a discovered one).
	Creds *url.Userinfo
	// TLSName is the remote's first hostname that is not an IP: TLS to a
	// URL whose host is an IP checks the hub's certificate against it.
	TLSName string
}

// LeafReady tells a remote actor that the hub accepted its connection: the
// handshake is done and the account announced its interest.
type LeafReady struct {
	State *State
}

// DiscoveredURLs tells a remote actor the hub's leafnode URLs (INFO
// leafnode_urls), for its rotation.
type DiscoveredURLs struct {
	URLs   []string
	Scheme string // nats-leaf, or ws/wss for a websocket remote
}

// LeafMeta is the monitoring view of a leaf connection's handshake.
type LeafMeta struct {
	Name, Account, RemoteAccount string
	Spoke, Isolated, Websocket   bool
	Cluster                      string
}

// leafState is where a leaf connection is in its handshake.
type leafState uint8

const (
	leafWaitConnect        leafState = iota // accept side: INFO sent, waiting for CONNECT
	leafWaitInfo                            // solicit side: waiting for the hub's INFO
	leafWaitCompressedInfo                  // solicit side: compression settled, waiting for the hub's S2 INFO
	leafWaitConnectInfo                     // solicit side: CONNECT sent, waiting for connect_info
	leafJoining                             // asked the account to join
	leafReady
)

// leaf is the actor of one leaf connection, accepted on the leafnode port
// (remote == nil) or solicited by a remote actor.
type leaf struct {
	base
	remote *LeafRemote

	state         leafState
	nonce         string // accept side: the nonce we sent
	hubRole       bool   // we are the hub of this peer
	isolated      bool
	cluster       string // the peer's cluster
	name          string // the peer's server name
	remoteAccount string
	headers       bool
	system        bool // bound to the system account
	perms         *leafPerms
	readerPerms   atomic.Pointer[leafPerms] // what the reader checks; the same as perms
	creds         auth.Credentials          // accept side: re-checked on reload
	denyPub       []string
	keys          map[interest.Key]*route.Sub // interest received from the peer
	authTimer     timer
	infoTimer     timer
	tlsDone       bool // the stream is TLS already (handshake first)
	comp          compression
	// A handshake step that joined the account is answered once the
	// account wrote the interest dump: nothing the reader writes (a PONG)
	// may come before it.
	deferred     chan *leafVerdict
	deferredWith *leafVerdict
}

// answer replies to the reader now, or after the join when the verdict is
// for a step that asked the account to join.
func (l *leaf) answer(reply chan *leafVerdict, v *leafVerdict) {
	if v.ok && l.state == leafJoining && l.deferred == nil {
		l.deferred, l.deferredWith = reply, v
		return
	}
	reply <- v
}

// Messages from the leaf reader.
type (
	leafConnectOp struct {
		raw   []byte
		reply chan *leafVerdict
	}
	leafInfoOp struct {
		raw   []byte
		reply chan *leafVerdict
	}
	lsubOp struct {
		subject, queue string
		weight         int
	}
	lunsubOp struct {
		subject, queue string
	}
	leafErrOp struct{ text string }
)

// leafVerdict tells the reader what the actor settled (CONNECT or INFO).
type leafVerdict struct {
	ok  bool
	acc *route.Account
	// tls, on the solicit side's first INFO: start TLS now (nil: stay).
	tls     *tls.Config
	tlsTime time.Duration
	// s2: read S2 after this read; comp follows s2_auto on PONGs.
	s2   bool
	comp *compression
	// clearDeadline: the first INFO is done (after the compressed one).
	clearDeadline bool
}

func (l *leaf) Receive(c actor.Context) {
	if l.receiveShared(c, l.subList) {
		return
	}
	switch m := c.Message().(type) {
	case *actor.Started:
		l.start(c)
	case *actor.Terminated:
		// Our remote stopped (removed by a reload, or shutdown) before it
		// learned of this connection: the connection goes with it.
		if l.remote != nil && m.Who.Equal(l.remote.PID) {
			c.Stop(c.Self())
		}
	case *inbound:
		<-m.io.credits
		if m.io != l.io {
			return
		}
		switch op := m.op.(type) {
		case *leafConnectOp:
			l.answer(op.reply, l.connect(c, op.raw))
		case *leafInfoOp:
			l.answer(op.reply, l.info(c, op.raw))
		case *controlBatch:
			l.batch(c, op)
		case *leafErrOp:
			l.peerErr(c, op.text)
		}
	case *account.JoinLeafResult:
		l.joined(c, m)
	case *account.Evict:
		l.sendErr(m.ErrText)
		l.close(c, DuplicateRemoteLeafnode)
	case *Reconfigure:
		l.reconfigure(c, m.Env)
	case *tick:
		l.onTick(c, m)
	case *outFailed:
		if l.env.Totals.countSlow(m.reason, &l.env.Totals.SlowConsumerLeafs) {
			l.log.Warn("slow consumer detected", zap.String("reason", m.reason.String()),
				zap.Duration("write_deadline", l.writeDeadline()))
		}
		l.close(c, m.reason)
	case *actor.Stopping:
		l.authTimer.stop()
		l.infoTimer.stop()
		l.st.keepSubs(l.subList())
		l.shutdown()
		l.log.Info("leafnode connection closed", append(l.closeFields(), zap.String("remote_name", l.name))...)
	}
}

func (l *leaf) start(c actor.Context) {
	root, self := c.ActorSystem().Root, c.Self()
	l.keys = make(map[interest.Key]*route.Sub)
	l.newEndpoint(c, route.KindLeaf, 0) // leaf connections are exempt from max_pending
	opts := l.env.Opts
	r := newLeafReader(l, root, self)
	if l.remote == nil {
		l.comp = newCompression(opts.LeafNode.Compression)
	} else {
		l.comp = newCompression(l.remote.Opts.Compression)
		c.Watch(l.remote.PID)
	}
	if l.remote == nil {
		l.state = leafWaitConnect
		l.hubRole = true
		l.nonce = newNonce()
		info := l.env.LeafInfo
		info.ClientID = l.st.CID
		info.Nonce = l.nonce
		ws := l.stream.ws.Load() != nil
		if l.stream.deflate() {
			// No S2 over a compressing WebSocket (nats-server: off).
			info.Compression = ""
			l.recordCompression(protocol.CompressOff)
		}
		if t := l.env.LeafTLS; t != nil && !ws {
			r.serverTLS = t
			r.info, _ = protocol.AppendInfo(nil, &info)
		} else {
			l.queueInfo(&info)
		}
		r.parser.RequireConnect = true
		r.parser.AllowInfo = protocol.NeedsNegotiation(l.comp.mode) && !l.stream.deflate()
		l.authTimer.arm(root, self, tickAuth, opts.LeafNode.AuthTimeout)
	} else {
		l.state = leafWaitInfo
		r.firstRead = l.remote.Opts.FirstInfoTimeout
		if l.remote.Opts.Websocket() {
			d, err := l.wsDial()
			if err != nil {
				l.log.Error("remote TLS configuration", zap.Error(err))
				l.close(c, TLSHandshakeError)
				return
			}
			r.wsDial, l.tlsDone, r.holdReady = d, true, true
		} else if t := l.remote.Opts.TLS; t != nil && t.HandshakeFirst {
			cfg, timeout, err := l.clientTLS()
			if err != nil {
				l.log.Error("remote TLS configuration", zap.Error(err))
				l.close(c, TLSHandshakeError)
				return
			}
			r.clientTLS, r.tlsTime = cfg, timeout
			l.tlsDone = true
		} else {
			r.holdReady = true // decided by the hub's INFO
		}
	}
	l.startWriter()
	l.io.rwg.Add(1)
	go r.run(r)
}

// connect processes a leaf's CONNECT on the accept side (spec 2.5).
func (l *leaf) connect(c actor.Context, raw []byte) *leafVerdict {
	fail := &leafVerdict{}
	if l.remote != nil || l.state != leafWaitConnect {
		l.close(c, ProtocolViolation)
		return fail
	}
	var ci protocol.ConnectInfo
	if err := json.Unmarshal(raw, &ci); err != nil {
		l.close(c, ProtocolViolation)
		return fail
	}
	l.authTimer.stop()
	l.creds = l.credentials(&ci)
	id, err := l.env.Auth.AuthenticateLeaf(l.creds, l.nonce, l.connType())
	ref := (*AccountRef)(nil)
	if err == nil {
		if ref = l.env.Accounts[id.Account]; ref == nil {
			err = fmt.Errorf("account %s is not running", id.Account)
		}
	}
	if err != nil {
		l.log.Debug("leafnode authorization violation", zap.String("user", ci.User), zap.Error(err))
		return l.refuse(c, protocol.ErrTextAuthViolation, AuthenticationViolation)
	}
	switch {
	case ci.Lang != "":
		return l.refuse(c, protocol.ErrTextLeafPortClient, WrongPort)
	case strings.Contains(ci.Cluster, " "):
		return l.refuse(c, protocol.ErrTextClusterNameSpaces, ProtocolViolation)
	case ci.Cluster == "_":
		return l.refuse(c, protocol.ErrTextClusterNameReserved, ProtocolViolation)
	case ci.Cluster != "" && ci.Cluster == l.env.ClusterName:
		return l.refuse(c, protocol.ErrTextSameClusterName, ClusterNamesIdentical)
	case ci.Gateway != "":
		return l.refuse(c, protocol.GatewayRejectedText(ci.Gateway), WrongGateway)
	}
	if min := l.env.Opts.LeafNode.MinVersion; min != "" && !config.VersionAtLeast(ci.Version, min) {
		// As nats-server: the connect_info INFO first, so the peer handles
		// the rejection cleanly, then the error.
		info := l.env.LeafInfo
		info.ClientID = l.st.CID
		info.ConnectInfo = true
		info.RemoteAccount = ref.Route.Name
		l.queueInfo(&info)
		l.log.Warn("leafnode rejected: version below the minimum", zap.String("version", ci.Version), zap.String("min_version", min))
		return l.refuse(c, protocol.MinVersionText(min), MinimumVersionRequired)
	}
	if l.comp.settled == "" {
		// Not negotiated by INFO: the leaf's compress_mode is its word.
		mode := ci.Compression
		if mode == "" {
			mode = protocol.CompressNotSupported
		}
		l.recordCompression(mode)
	}
	l.hubRole = !ci.IsHub
	l.isolated = l.env.Opts.LeafNode.Isolate || ci.Isolate
	l.cluster, l.name, l.remoteAccount = ci.Cluster, ci.Name, ci.RemoteAccount
	l.headers = ci.Headers
	sys := ref.Route.Name == l.env.SystemAccount
	l.system = sys
	l.denyPub = ci.DenyPub
	l.perms = l.newPerms(id.Perms)
	l.readerPerms.Store(l.perms)
	l.setLeaf(ref)
	armExpiry(c, &l.authTimer, id)
	l.st.meta.Store(&Meta{Name: ci.Name, Version: ci.Version, User: id.User, Account: ref.Route.Name,
		JWT: id.JWT, IssuerKey: id.IssuerKey, NameTag: id.NameTag, Tags: id.Tags, TLS: l.tlsInfo()})

	info := l.env.LeafInfo
	info.ClientID = l.st.CID
	info.ConnectInfo = true
	info.RemoteAccount = ref.Route.Name
	info.IsSystemAccount = sys
	if p := id.Perms.ConfigPermissions(); p != nil {
		info.Import = wirePermission(p.Subscribe)
		info.Export = wirePermission(p.Publish)
	}
	l.queueInfo(&info)
	l.join(c, ref, false)
	l.log.Info("leafnode connection accepted", zap.String("remote_name", l.name), zap.String("account", ref.Route.Name),
		zap.Bool("is_spoke", !l.hubRole))
	return &leafVerdict{ok: true, acc: ref.Route}
}

func (l *leaf) refuse(c actor.Context, text string, r CloseReason) *leafVerdict {
	l.sendErr(text)
	l.close(c, r)
	return &leafVerdict{}
}

// setLeaf records the negotiated state on the endpoint and binds the account.
func (l *leaf) setLeaf(ref *AccountRef) {
	l.ep.Leaf = &route.LeafInfo{HubRole: l.hubRole, Cluster: l.cluster}
	l.ep.Leaf.SetDeliver(l.perms.deliver)
	l.ep.SetFlags(false, l.headers && l.env.LeafInfo.Headers)
	l.st.leafMeta.Store(&LeafMeta{Name: l.name, Account: ref.Route.Name, RemoteAccount: l.remoteAccount,
		Spoke: !l.hubRole, Isolated: l.isolated, Websocket: l.stream.ws.Load() != nil, Cluster: l.cluster})
	l.log = l.log.With(zap.String("account", ref.Route.Name))
}

// join binds the account and asks it to announce its interest to the peer.
func (l *leaf) join(c actor.Context, ref *AccountRef, checkLoop bool) {
	l.acc = ref
	l.state = leafJoining
	jl := &account.JoinLeaf{Member: c.Self(), EP: l.ep, CheckLoop: checkLoop,
		Target:   interest.Target{HubRole: l.hubRole, Cluster: l.cluster, Isolated: l.isolated},
		Announce: l.perms.announce}
	if l.remote == nil {
		jl.Name, jl.RemoteAccount = l.name, l.remoteAccount
	}
	c.Request(ref.PID, jl)
}

func (l *leaf) joined(c actor.Context, m *account.JoinLeafResult) {
	if l.state != leafJoining {
		return
	}
	reply, v := l.deferred, l.deferredWith
	l.deferred, l.deferredWith = nil, nil
	if m.Loop {
		if reply != nil {
			reply <- &leafVerdict{}
		}
		l.loop(c)
		return
	}
	if reply != nil {
		reply <- v
	}
	l.state = leafReady
	root, self := c.ActorSystem().Root, c.Self()
	l.pingTimer.arm(root, self, tickPing, jitter(min(l.env.Opts.PingInterval, firstLeafPing)))
	if l.remote != nil {
		l.log.Info("leafnode connection established", zap.String("remote_name", l.name),
			zap.String("url", redactURL(l.remote.URL)))
		c.Send(l.remote.PID, &LeafReady{State: l.st})
	}
}

// loop reports a loop to the peer and closes; a soliciting side waits.
func (l *leaf) loop(c actor.Context) {
	name := ""
	if l.acc != nil {
		name = l.acc.Route.Name
	}
	l.log.Error("loop detected for leafnode account; delaying the next connect attempt",
		zap.String("account", name), zap.Duration("delay", l.env.LeafDelays.Loop))
	l.sendErr(protocol.LoopDetectedText(name))
	l.delay(l.env.LeafDelays.Loop)
	l.close(c, ProtocolViolation)
}

// delay asks the remote to wait before dialling again (solicited only).
func (l *leaf) delay(d time.Duration) {
	if l.remote != nil {
		l.st.connectDelay.Store(int64(d))
	}
}

// info processes an INFO from the hub on the solicit side (spec 2.4.2, 2.6).
func (l *leaf) info(c actor.Context, raw []byte) *leafVerdict {
	fail := &leafVerdict{}
	if l.remote == nil {
		var probe protocol.ServerInfo
		if json.Unmarshal(raw, &probe) != nil || probe.ConnectInfo || probe.RemoteAccount != "" {
			// Only a soliciting side may receive connect_info.
			return l.refuse(c, protocol.ErrTextAuthViolation, AuthenticationViolation)
		}
		if l.state == leafWaitConnect && l.comp.settled == "" {
			return l.acceptCompression(c, &probe)
		}
		return &leafVerdict{ok: true}
	}
	var si protocol.ServerInfo
	if err := json.Unmarshal(raw, &si); err != nil {
		l.close(c, ProtocolViolation)
		return fail
	}
	switch l.state {
	case leafWaitInfo:
		if si.ClientID == 0 || (len(si.LeafNodeURLs) == 0 && !si.InfoOnConnect) {
			l.log.Error("attempted to connect to wrong port (not a leafnode port?)", zap.String("url", redactURL(l.remote.URL)))
			l.close(c, WrongPort)
			return fail
		}
		if strings.Contains(si.Cluster, " ") {
			return l.refuse(c, protocol.ErrTextClusterNameSpaces, ProtocolViolation)
		}
		if si.Cluster == "_" {
			return l.refuse(c, protocol.ErrTextClusterNameReserved, ProtocolViolation)
		}
		tlsCfg, tlsTime, err := l.remoteTLS(&si)
		if err != nil {
			l.log.Error("remote TLS configuration", zap.Error(err))
			l.st.peerErr.Store(ptr(err.Error()))
			l.close(c, TLSHandshakeError)
			return fail
		}
		result, err := protocol.NegotiateCompression(l.comp.mode, si.Compression)
		if l.stream.deflate() {
			result, err = protocol.CompressOff, nil // the WebSocket compresses
		}
		if err != nil {
			return l.refuse(c, protocol.UnsupportedCompressionText(si.Compression), ProtocolViolation)
		}
		if level := l.settleCompression(result); level != "" {
			// Our compression INFO in clear (over TLS if any), then S2 both
			// ways; the hub's next, compressed INFO continues the handshake.
			info := protocol.ServerInfo{ClientID: l.st.CID, Compression: l.comp.advertised()}
			l.queueInfo(&info)
			l.ep.Out.SwitchEncoder(l.s2Out())
			l.state = leafWaitCompressedInfo
			return &leafVerdict{ok: true, tls: tlsCfg, tlsTime: tlsTime, s2: true, comp: &l.comp}
		}
		v := l.firstInfo(c, &si)
		if v.ok {
			v.tls, v.tlsTime = tlsCfg, tlsTime
		}
		return v
	case leafWaitCompressedInfo:
		v := l.firstInfo(c, &si)
		v.clearDeadline = true
		return v
	case leafWaitConnectInfo:
		if !si.ConnectInfo {
			return &leafVerdict{ok: true}
		}
		l.infoTimer.stop()
		l.remoteAccount = si.RemoteAccount
		if si.Import != nil || si.Export != nil {
			l.setPerms(c, &si)
		}
		l.learnURLs(c, &si)
		meta := *l.st.leafMeta.Load()
		meta.RemoteAccount = si.RemoteAccount
		l.st.leafMeta.Store(&meta)
		l.join(c, l.env.Accounts[l.remote.Opts.LocalAccount], true)
		return &leafVerdict{ok: true}
	default:
		// An asynchronous INFO: new URLs, new permissions.
		l.learnURLs(c, &si)
		if si.Import != nil || si.Export != nil {
			l.setPerms(c, &si)
			if l.acc != nil && l.state == leafReady {
				c.Send(l.acc.PID, &account.SetAnnounce{Member: c.Self(), Announce: l.perms.announce})
			}
			return &leafVerdict{ok: true}
		}
		return &leafVerdict{ok: true}
	}
}

// firstInfo processes the hub's first INFO (the compressed one when
// compression was negotiated): what the hub is, our permissions, and our
// CONNECT.
func (l *leaf) firstInfo(c actor.Context, si *protocol.ServerInfo) *leafVerdict {
	fail := &leafVerdict{}
	l.name = si.Name
	if l.name == "" {
		l.name = si.ID
	}
	l.cluster = si.Cluster
	l.headers = si.Headers
	l.hubRole = l.remote.Opts.Hub
	l.isolated = l.env.Opts.LeafNode.Isolate || l.remote.Opts.Isolate
	ref := l.env.Accounts[l.remote.Opts.LocalAccount]
	if ref == nil {
		l.log.Error("remote's local account does not exist", zap.String("account", l.remote.Opts.LocalAccount))
		l.close(c, MissingAccount)
		return fail
	}
	l.system = ref.Route.Name == l.env.SystemAccount
	l.perms = l.newPerms(spokePerms(si, l.remote.Opts))
	l.readerPerms.Store(l.perms)
	l.setLeaf(ref)
	l.learnURLs(c, si)
	l.st.meta.Store(&Meta{Name: l.name, Version: si.Version, Account: ref.Route.Name})
	verdict := &leafVerdict{ok: true, acc: ref.Route}
	if err := l.sendConnect(si, ref); err != nil {
		l.log.Error("cannot authenticate to the hub; the remote retries at its interval (check the credentials)",
			zap.Error(err), zap.String("url", redactURL(l.remote.URL)))
		l.st.peerErr.Store(ptr(err.Error()))
		l.close(c, AuthenticationViolation)
		return fail
	}
	if si.InfoOnConnect {
		l.state = leafWaitConnectInfo
		l.infoTimer.arm(c.ActorSystem().Root, c.Self(), tickConnectInfo, connectInfoWait)
	} else {
		l.join(c, ref, true)
	}
	return verdict
}

// errTLSMismatch is nats-server's refusal of a proxied remote without a tls
// block whose hub requires TLS.
var errTLSMismatch = errors.New("TLS configuration mismatch: Hub requires TLS but leafnode remote is not configured for TLS. " +
	"When using a proxy, ensure TLS leafnode configuration matches the Hub requirements.")

// remoteTLS is the TLS to start after the hub's INFO: when the remote has a
// tls block or the hub requires TLS, unless the handshake came first.
// Through a proxy, a hub that requires TLS needs a tls block, as in
// nats-server.
func (l *leaf) remoteTLS(si *protocol.ServerInfo) (*tls.Config, time.Duration, error) {
	t := l.remote.Opts.TLS
	if l.tlsDone || (t == nil && !si.TLSRequired) {
		return nil, 0, nil
	}
	if t == nil && l.remote.Opts.Proxy != nil {
		return nil, 0, errTLSMismatch
	}
	return l.clientTLS()
}

// clientTLS is the TLS to the hub: the remote's tls block (or defaults
// without one), checking the hub's certificate against tlsHost, and the
// handshake's time limit.
func (l *leaf) clientTLS() (*tls.Config, time.Duration, error) {
	t := l.remote.Opts.TLS
	cfg, err := ClientTLS(t, l.tlsHost())
	if err != nil {
		return nil, 0, err
	}
	if t != nil && t.Timeout > 0 {
		return cfg, t.Timeout, nil
	}
	return cfg, config.DefaultTLSTimeout, nil
}

// acceptCompression answers a leaf's compression INFO before its CONNECT
// (spec 7.3): on a level, everything we write from now on is S2, starting
// with our INFO again (same nonce), and what we read after this INFO is S2.
func (l *leaf) acceptCompression(c actor.Context, si *protocol.ServerInfo) *leafVerdict {
	result, err := protocol.NegotiateCompression(l.comp.mode, si.Compression)
	if err != nil {
		return l.refuse(c, protocol.UnsupportedCompressionText(si.Compression), ProtocolViolation)
	}
	root, self := c.ActorSystem().Root, c.Self()
	l.authTimer.arm(root, self, tickAuth, l.env.Opts.LeafNode.AuthTimeout)
	level := l.settleCompression(result)
	if level == "" {
		return &leafVerdict{ok: true}
	}
	l.ep.Out.SwitchEncoder(l.s2Out())
	info := l.env.LeafInfo
	info.ClientID = l.st.CID
	info.Nonce = l.nonce
	info.Compression = l.comp.advertised()
	l.queueInfo(&info)
	return &leafVerdict{ok: true, s2: true, comp: &l.comp}
}

// setPerms applies the permissions a hub's INFO carries (solicit side).
func (l *leaf) setPerms(c actor.Context, si *protocol.ServerInfo) {
	l.applyPerms(l.newPerms(spokePerms(si, l.remote.Opts)))
}

// applyPerms installs new permissions for the reader, the data path and
// (once joined) the account's announcements.
func (l *leaf) applyPerms(p *leafPerms) {
	l.perms = p
	l.readerPerms.Store(p)
	l.ep.Leaf.SetDeliver(p.deliver)
}

// reconfigure applies a reloaded configuration to an accepted leaf: its
// credentials are checked again (refused: Authorization Violation), an
// account change closes it, new permissions apply at once.
func (l *leaf) reconfigure(c actor.Context, env *Env) {
	l.env = env
	if l.remote != nil || l.acc == nil {
		return
	}
	id, ok := env.Auth.CheckLeaf(l.creds, l.nonce, l.connType())
	if !l.stillAuthorized(c, env, id, ok) {
		return
	}
	l.applyPerms(l.newPerms(id.Perms))
	if l.state == leafReady {
		c.Send(l.acc.PID, &account.SetAnnounce{Member: c.Self(), Announce: l.perms.announce})
	}
}

// learnURLs hands the hub's advertised URLs to the remote: its websocket
// ones for a websocket remote (ws, or wss when it runs TLS), else its
// leafnode ones, as nats-server.
func (l *leaf) learnURLs(c actor.Context, si *protocol.ServerInfo) {
	o := l.remote.Opts
	if o.IgnoreDiscoveredServers {
		return
	}
	d := &DiscoveredURLs{URLs: si.LeafNodeURLs, Scheme: "nats-leaf"}
	if o.Websocket() {
		d.URLs, d.Scheme = si.WSConnectURLs, "ws"
		if o.TLS != nil || strings.EqualFold(l.remote.URL.Scheme, "wss") {
			d.Scheme = "wss"
		}
	}
	if len(d.URLs) > 0 {
		c.Send(l.remote.PID, d)
	}
}

// sendConnect sends the solicit side's CONNECT (spec 2.3).
func (l *leaf) sendConnect(si *protocol.ServerInfo, ref *AccountRef) error {
	ci := protocol.ConnectInfo{
		Version:       l.env.Info.Version,
		ServerID:      l.env.Info.ID,
		Name:          l.env.Info.Name,
		Cluster:       l.env.ClusterName,
		Headers:       l.env.LeafInfo.Headers && si.Headers,
		IsHub:         l.remote.Opts.Hub,
		Isolate:       l.remote.Opts.RequestIsolation,
		Compression:   l.comp.settledOr(protocol.CompressNotSupported),
		RemoteAccount: ref.Route.Name,
		DenyPub:       l.remote.Opts.DenyImports,
		Protocol:      1,
	}
	var err error
	switch r := l.remote.Opts; {
	case r.Credentials != "":
		ci.JWT, ci.Sig, err = auth.SignWithCreds(r.Credentials, si.Nonce)
	case r.Nkey != "":
		ci.Nkey, ci.Sig, err = auth.SignWithSeed(r.Nkey, si.Nonce)
	}
	if err != nil {
		return err
	}
	if u := l.remote.Creds; u != nil {
		ci.User = u.Username()
		if p, ok := u.Password(); ok {
			ci.Pass = p
		} else {
			ci.Token = ci.User
		}
	}
	b, err := protocol.AppendConnect(nil, &ci)
	if err != nil {
		return fmt.Errorf("encode CONNECT: %w", err)
	}
	l.ep.Out.QueueRaw(b)
	l.ep.Out.Signal()
	return nil
}

// lsub applies an LS+ from the peer (spec 3.4). It reports false when the
// connection is closing (the rest of the batch is dropped).
func (l *leaf) lsub(c actor.Context, op *lsubOp, ch *change) bool {
	l.st.lsPlusIn.Add(1)
	if l.acc == nil {
		l.sendErr(protocol.ErrTextAuthViolation)
		l.close(c, AuthenticationViolation)
		return false
	}
	if op.subject == l.acc.LDS {
		l.loop(c)
		return false
	}
	if !interest.Exempt(op.subject) && protocol.IsLiteral(op.subject) && !l.perms.deliver(op.subject) {
		if l.hubRole {
			l.sendErr(protocol.PermSubText(op.subject, ""))
			l.delay(l.env.LeafDelays.PermViolation)
			l.close(c, ProtocolViolation)
			return false
		}
		return true
	}
	l.perms.armDenyUp(op.subject, op.queue)
	if max := l.env.Opts.MaxSubs; max > 0 && len(l.keys) >= max {
		// As nats-server: a leaf's LS+ count against max_subscriptions
		// like a client's SUBs, in both roles; the link stays.
		l.sendErr(protocol.ErrTextMaxSubscriptions)
		return true
	}
	if !protocol.ValidSubject(op.subject) {
		l.sendErr(protocol.ErrTextInvalidSubscription)
		return true
	}
	k := interest.Key{Subject: op.subject, Queue: op.queue}
	old := l.keys[k]
	if old != nil && (op.queue == "" || old.Weight == op.weight) {
		return true
	}
	s := &route.Sub{Subject: op.subject, Queue: op.queue, EP: l.ep}
	if op.queue != "" {
		s.Weight = op.weight
	}
	l.keys[k] = s
	ch.add = append(ch.add, s)
	if old != nil {
		ch.remove = append(ch.remove, old)
	}
	return true
}

func (l *leaf) lunsub(op *lunsubOp, ch *change) {
	l.st.lsMinusIn.Add(1)
	k := interest.Key{Subject: op.subject, Queue: op.queue}
	if s := l.keys[k]; s != nil {
		delete(l.keys, k)
		ch.remove = append(ch.remove, s)
	}
}

// batch applies a reader's batch of LS+/LS- as one delta.
func (l *leaf) batch(c actor.Context, b *controlBatch) {
	var ch change
	for _, o := range b.ops {
		switch o := o.(type) {
		case *lsubOp:
			if !l.lsub(c, o, &ch) {
				close(b.done)
				return
			}
		case *lunsubOp:
			l.lunsub(o, &ch)
		}
	}
	l.keysChanged()
	l.commit(c, &ch, b.done)
}

// subList is the interest the peer announced.
func (l *leaf) subList() []*route.Sub {
	out := make([]*route.Sub, 0, len(l.keys))
	for _, s := range l.keys {
		out = append(out, s)
	}
	return out
}

func (l *leaf) keysChanged() { l.st.numSubs.Store(int32(len(l.keys))) }

// peerErr reacts to an -ERR from the peer (spec 2.10): log; loops close at
// once; some texts make the soliciting side wait before the next attempt.
func (l *leaf) peerErr(c actor.Context, text string) {
	l.log.Warn("leafnode error from the peer", zap.String("error", text), zap.String("remote_name", l.name))
	l.st.peerErr.Store(&text)
	switch protocol.LeafErrReactionOf(text) {
	case protocol.ReactLoop:
		l.delay(l.env.LeafDelays.Loop)
		l.close(c, ProtocolViolation)
	case protocol.ReactSameCluster:
		l.delay(l.env.LeafDelays.SameCluster)
	case protocol.ReactMinVersion:
		l.delay(l.env.LeafDelays.MinVersion)
	}
}

func (l *leaf) onTick(c actor.Context, m *tick) {
	switch m.kind {
	case tickAuth:
		if l.authTimer.current(m) && l.state == leafWaitConnect {
			l.sendErr(protocol.ErrTextAuthTimeout)
			l.close(c, AuthenticationTimeout)
		}
	case tickExpired:
		if l.authTimer.current(m) {
			l.expired(c)
		}
	case tickConnectInfo:
		if l.infoTimer.current(m) && l.state == leafWaitConnectInfo {
			l.sendErr(protocol.ErrTextStaleLeafConnect)
			l.close(c, StaleConnection)
		}
	case tickPing:
		// A spoke-role connection always pings; a hub-role one when idle.
		l.pingTick(c, m, &l.env.Totals.StaleConnectionLeafs, !l.hubRole)
	}
}

func ptr[T any](v T) *T { return &v }

func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Redacted()
}

// tlsHost is the name the hub's certificate is checked against (and sent
// as SNI): the dialled host, or for an IP the remote's saved hostname, as
// nats-server.
func (l *leaf) tlsHost() string {
	h := l.remote.URL.Hostname()
	if l.remote.TLSName != "" && net.ParseIP(h) != nil {
		return l.remote.TLSName
	}
	return h
}

// noteTLSMismatch records the name a failed TLS handshake checked the
// hub's certificate against when that is why it failed: the remote then
// forgets its saved hostname if it was that one, as nats-server, so the
// next dial to an IP checks the certificate's IP addresses.
func (s *State) noteTLSMismatch(err error) {
	var h x509.HostnameError
	if errors.As(err, &h) {
		s.tlsMismatch.Store(&h.Host)
	}
}

// TLSMismatch is the name the hub's certificate did not match, when that
// failed the connection's TLS handshake ("" otherwise).
func (s *State) TLSMismatch() string {
	if p := s.tlsMismatch.Load(); p != nil {
		return *p
	}
	return ""
}

// connType is the connection type users' allowed_connection_types name.
func (l *leaf) connType() string {
	if l.stream.ws.Load() != nil {
		return "LEAFNODE_WS"
	}
	return "LEAFNODE"
}

// wsDial is the WebSocket upgrade of a ws:// or wss:// remote: TLS first
// for wss:// or a remote with a tls block, the exchange bounded by the
// first INFO timeout.
func (l *leaf) wsDial() (*wsDial, error) {
	o := l.remote.Opts
	d := &wsDial{url: l.remote.URL, timeout: o.FirstInfoTimeout,
		opts: protocol.WSDialOptions{Compression: o.WSCompression, NoMasking: o.WSNoMasking}}
	if o.TLS != nil || strings.EqualFold(l.remote.URL.Scheme, "wss") {
		var err error
		if d.tls, d.tlsTime, err = l.clientTLS(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// s2Out is the outbound encoder that switches the link to S2: over the
// socket, or, on a WebSocket, between the socket and the frames.
func (l *leaf) s2Out() route.Encoder {
	if w := l.stream.ws.Load(); w != nil {
		return &wsS2{ws: w, s2: l.comp.enc}
	}
	return l.comp.enc
}

// settleCompression settles a negotiated result (the level for s2_auto
// from the connection's age) and shows it in /leafz; it returns the level
// to compress with, or "" for none.
func (l *leaf) settleCompression(result string) string {
	level := l.comp.settle(result, time.Since(l.st.Start))
	l.recordCompression(l.comp.settled)
	return level
}

// recordCompression notes the link's compression as it is, without S2.
func (l *leaf) recordCompression(mode string) {
	l.comp.settled = mode
	l.st.compression.Store(&mode)
}

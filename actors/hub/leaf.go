package hub

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/listen"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/actors/remote"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/config"
)

// startLeafListener opens the leafnode port when one is configured.
func (s *Server) startLeafListener() error {
	ln := &s.opts.LeafNode
	if ln.Port == 0 {
		return nil
	}
	addr := net.JoinHostPort(ln.Host, strconv.Itoa(max(ln.Port, 0)))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for leafnode connections on %s: %w (change leafnodes.port or listen in the config)", addr, err)
	}
	s.leafLn = l
	a := l.Addr().(*net.TCPAddr)
	host := advertiseHost(ln.Host, a)
	s.env.LeafInfo.Host = host
	s.env.LeafInfo.Port = a.Port
	hp := net.JoinHostPort(host, strconv.Itoa(a.Port))
	s.env.LeafInfo.IP = hp
	if !ln.NoAdvertise {
		s.env.LeafInfo.LeafNodeURLs = []string{hp}
	}
	pid, err := spawnUnder(s.sys.Root, s.hub, listen.Props(l, s.connsSup,
		func(nc net.Conn) any { return &conn.AcceptLeaf{Conn: nc} }, s.log.With(zap.String("listener", "leafnode"))).
		Configure(actor.WithMailbox(s.reg.Mailbox("listener"))), "listener-leafnode")
	if err != nil {
		return err
	}
	s.lnPIDs = append(s.lnPIDs, pid)
	s.log.Info("listening for leafnode connections", zap.String("addr", l.Addr().String()))
	return nil
}

// advertiseHost is the host put in the leaf INFO: the listen host, or for a
// wildcard listener the first non-loopback address (as nats-server).
func advertiseHost(host string, a *net.TCPAddr) string {
	if host != "" && host != "0.0.0.0" && host != "::" {
		return host
	}
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, ad := range addrs {
			if ipn, ok := ad.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
				return ipn.IP.String()
			}
		}
	}
	return a.IP.String()
}

// startRemotes spawns one remote actor per configured remote.
func (s *Server) startRemotes() error {
	var err error
	s.remoteSup, err = spawnUnder(s.sys.Root, s.hub, actor.PropsFromProducer(func() actor.Actor { return &parent{} },
		actor.WithSupervisor(restartPolicy(5)), actor.WithMailbox(s.reg.Mailbox("supervisor"))), "remotes")
	if err != nil {
		return err
	}
	for i, r := range s.opts.LeafNode.Remotes {
		if err := s.spawnRemote(i, r, s.opts.LeafNode.ReconnectInterval); err != nil {
			return err
		}
	}
	return nil
}

// spawnRemote starts the actor of the remote at index i of
// leafnodes.remotes. mu is held or the server is not running yet. The
// actor's name takes a sequence number instead of i: after a reload, a
// kept remote may still run under the name of the index a new one gets.
func (s *Server) spawnRemote(i int, r *config.RemoteLeafOpts, interval time.Duration) error {
	seq := s.remoteSeq
	s.remoteSeq++
	sh := &remote.Shared{}
	cfg := remote.Config{Index: i, Opts: r, Interval: interval, Conns: s.connsSup,
		Log: s.log.With(zap.String("kind", "remote"))}
	props := remote.Props(cfg, sh).Configure(actor.WithMailbox(s.reg.Mailbox("remote")))
	pid, err := spawnUnder(s.sys.Root, s.remoteSup, props, fmt.Sprintf("remote-%d", seq))
	if err != nil {
		return err
	}
	s.remotes = append(s.remotes, remoteEntry{sh: sh, pid: pid, opts: r, interval: interval, index: i})
	return nil
}

// remotez is the /remotez answer: every configured remote, connected or not.
type remotez struct {
	ID      string           `json:"server_id"`
	Now     time.Time        `json:"now"`
	Remotes []*remote.Status `json:"remotes"`
}

// Metrics lists the remotes for /metrics.
func (z *remotez) Metrics() []monitor.RemoteMetric {
	out := make([]monitor.RemoteMetric, len(z.Remotes))
	for i, r := range z.Remotes {
		out[i] = monitor.RemoteMetric{Index: r.Index, LocalAccount: r.LocalAccount, State: r.State, Attempts: r.Attempts,
			Connects: r.Connects, NextAttempt: r.NextAttempt, Reason: r.Reason}
	}
	return out
}

// Remotez reports every configured remote's state (beyond nats-server).
func (s *Server) Remotez() any {
	return &remotez{ID: s.id, Now: time.Now(), Remotes: s.Remotes()}
}

// FaultRemote makes the actor of remote i (its index in leafnodes.remotes)
// panic (test-only fault injection).
func (s *Server) FaultRemote(i int) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.remotes {
		if r.index == i {
			s.sys.Root.Send(r.pid, &remote.Fault{})
			return nil
		}
	}
	return fmt.Errorf("no remote %d", i)
}

// Remotes returns each configured remote's status in configuration order,
// Index being the remote's current position in leafnodes.remotes (the
// actor knows only the one it was started at).
func (s *Server) Remotes() []*remote.Status {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*remote.Status, len(s.remotes))
	for i, r := range s.remotes {
		st := *r.sh.Status()
		st.Index = r.index
		out[i] = &st
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// Leafz reports /leafz.
func (s *Server) Leafz(q monitor.LeafzOptions) (*monitor.Leafz, error) {
	l, err := s.connections()
	if err != nil {
		return nil, err
	}
	z := &monitor.Leafz{ID: s.id, Now: time.Now(), Leafs: []*monitor.LeafInfo{}}
	var subs map[*conn.State]*conn.Subjects
	if q.Subscriptions {
		var leafs []*conn.State
		for _, st := range l.Open {
			if st.Kind == route.KindLeaf {
				leafs = append(leafs, st)
			}
		}
		subs = s.subjectsOf(leafs)
	}
	for _, st := range l.Open {
		lm := st.Leaf()
		ep := st.Endpoint()
		if st.Kind != route.KindLeaf || lm == nil || ep == nil {
			continue
		}
		if q.Account != "" && lm.Account != q.Account {
			continue
		}
		li := &monitor.LeafInfo{ID: st.CID, Name: lm.Name, IsSpoke: lm.Spoke, IsIsolated: lm.Isolated,
			Account: lm.Account, IP: st.Remote.Addr().String(), Port: int(st.Remote.Port()),
			NumSubs: uint32(st.NumSubs()), Compression: st.Compression(), Websocket: lm.Websocket}
		li.RTT = rttString(st.RTT()) // always, "0s" before the first PONG, as nats-server
		li.InMsgs, li.InBytes = ep.InMsgs.Load(), ep.InBytes.Load()
		li.OutMsgs, li.OutBytes, _ = ep.Out.Stats()
		if sj := subs[st]; sj != nil {
			li.Subs = sj.List
		}
		li.LSPlusIn, li.LSMinusIn = st.LSIn()
		if ep.Leaf != nil {
			li.Announced = int(ep.Leaf.Announced.Load())
			li.LSPlusOut, li.LSMinusOut = ep.Leaf.LSPlusOut.Load(), ep.Leaf.LSMinusOut.Load()
		}
		z.Leafs = append(z.Leafs, li)
	}
	sort.Slice(z.Leafs, func(i, j int) bool { return z.Leafs[i].ID < z.Leafs[j].ID })
	z.NumLeafs = len(z.Leafs)
	return z, nil
}

// leafVarz is the leaf section of /varz.
func (s *Server) leafVarz(o *config.Options) monitor.LeafNodeOptsVarz {
	var v monitor.LeafNodeOptsVarz
	if a := s.LeafAddr(); a != nil {
		v.Host = o.LeafNode.Host
		v.Port = a.Port
		v.AuthTimeout = o.LeafNode.AuthTimeout.Seconds()
		v.TLSTimeout = tlsTimeout(o.LeafNode.TLS)
		if t := o.LeafNode.TLS; t != nil {
			v.TLSRequired, v.TLSVerify = true, t.Verify || t.Map
		}
	}
	for _, r := range o.LeafNode.Remotes {
		rv := monitor.RemoteLeafz{LocalAccount: r.LocalAccount, URLs: r.HostPorts()}
		if len(r.DenyImports) > 0 || len(r.DenyExports) > 0 {
			rv.Deny = &monitor.DenyRules{Imports: r.DenyImports, Exports: r.DenyExports}
		}
		v.Remotes = append(v.Remotes, rv)
	}
	return v
}

// startWebsocketListener opens the websocket port when one is configured:
// NATS clients, and leafnode connections at the /leafnode path.
func (s *Server) startWebsocketListener() error {
	w := &s.opts.Websocket
	if !w.Enabled() {
		return nil
	}
	addr := net.JoinHostPort(w.Host, strconv.Itoa(max(w.Port, 0)))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for websocket connections on %s: %w (change websocket.port or listen in the config)", addr, err)
	}
	scheme := "ws"
	if w.TLS != nil {
		cfg, err := conn.ServerTLS(w.TLS)
		if err != nil {
			_ = l.Close()
			return fmt.Errorf("websocket TLS: %w", err)
		}
		l, scheme = tls.NewListener(l, cfg), "wss"
		s.wsCertNotAfter = conn.CertNotAfter(cfg)
	}
	s.wsLn = l
	s.env.WSPort = l.Addr().(*net.TCPAddr).Port
	log := s.log.With(zap.String("listener", "websocket"))
	srv := &http.Server{
		Handler:     conn.WSHandler(w, s.opts.LeafNode.Port != 0, s.sys.Root, s.connsSup, log),
		ReadTimeout: w.HandshakeTimeout,
		ErrorLog:    zap.NewStdLog(log.WithOptions(zap.IncreaseLevel(zap.ErrorLevel))),
	}
	pid, err := spawnUnder(s.sys.Root, s.hub, listen.HTTPProps(l, srv, log).
		Configure(actor.WithMailbox(s.reg.Mailbox("listener"))), "listener-websocket")
	if err != nil {
		return err
	}
	s.lnPIDs = append(s.lnPIDs, pid)
	log.Info("listening for websocket connections", zap.String("addr", scheme+"://"+l.Addr().String()))
	if w.TLS == nil {
		log.Warn("websocket not configured with TLS: do not use in production")
	}
	return nil
}

// WebsocketAddr is the address of the websocket listener (nil when off).
func (s *Server) WebsocketAddr() *net.TCPAddr {
	if s.wsLn == nil {
		return nil
	}
	return s.wsLn.Addr().(*net.TCPAddr)
}

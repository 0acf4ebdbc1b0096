package hub

import (
	"fmt"
	"net"
	"strconv"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/listen"
	"github.com/leafhub/leafhub/actors/remote"
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
	if len(s.opts.LeafNode.Remotes) == 0 {
		return nil
	}
	var err error
	s.remoteSup, err = spawnUnder(s.sys.Root, s.hub, actor.PropsFromProducer(func() actor.Actor { return &parent{} },
		actor.WithSupervisor(restartPolicy(5)), actor.WithMailbox(s.reg.Mailbox("supervisor"))), "remotes")
	if err != nil {
		return err
	}
	for i, r := range s.opts.LeafNode.Remotes {
		sh := &remote.Shared{}
		cfg := remote.Config{Index: i, Opts: r, Interval: s.opts.LeafNode.ReconnectInterval, Conns: s.connsSup,
			Log: s.log.With(zap.String("kind", "remote"))}
		props := remote.Props(cfg, sh).Configure(actor.WithMailbox(s.reg.Mailbox("remote")))
		if _, err := spawnUnder(s.sys.Root, s.remoteSup, props, fmt.Sprintf("remote-%d", i)); err != nil {
			return err
		}
		s.remotes = append(s.remotes, sh)
	}
	return nil
}

// Remotes returns each configured remote's status.
func (s *Server) Remotes() []*remote.Status {
	out := make([]*remote.Status, len(s.remotes))
	for i, r := range s.remotes {
		out[i] = r.Status()
	}
	return out
}

package conn

import (
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/route"
)

// Accept hands an accepted client socket to the connections supervisor.
type Accept struct {
	Conn net.Conn
}

// AcceptLeaf hands a socket accepted on the leafnode port to the supervisor.
type AcceptLeaf struct {
	Conn net.Conn
}

// SpawnLeaf asks the supervisor to run a leaf connection a remote actor
// dialled; the answer (Respond) is a *LeafSpawned.
type SpawnLeaf struct {
	Conn   net.Conn
	Remote *LeafRemote
}

// LeafSpawned answers SpawnLeaf: the connection's actor and state (PID nil
// when it could not start; the socket is then closed).
type LeafSpawned struct {
	PID   *actor.PID
	State *State
}

// ListRequest asks the supervisor for its connections; the answer is a *List.
type ListRequest struct{}

// List is the supervisor's view of its connections, newest closed last.
type List struct {
	Open   []*State
	Closed []*State
}

// FaultRequest makes connection CID panic (test-only fault injection). The
// answer is a *FaultResponse.
type FaultRequest struct{ CID uint64 }

// FaultResponse reports whether the connection existed.
type FaultResponse struct{ Found bool }

// MaxClosed is how many closed connections /connz?state=closed remembers, as
// nats-server's default.
const MaxClosed = 10000

// Supervisor is the parent of every connection actor. A connection actor
// that panics is stopped, not restarted: its position in the byte stream is
// lost. The client reconnects.
type Supervisor struct {
	env         *Env
	mailbox     actor.MailboxProducer // of the client connection actors
	leafMailbox actor.MailboxProducer // of the leaf connection actors
	log         *zap.Logger
	nextCID     uint64
	open        map[string]*State // by PID id
	pids        map[uint64]*actor.PID
	clients     int             // client connections within max_connections
	refused     map[string]bool // by PID id: clients told max_connections is exceeded, closing
	closed      []*State        // ring, oldest first once full
	closedN     int
}

// SupervisorProps returns the props of the connections supervisor; its
// connection actors get mailboxes from mailbox.
func SupervisorProps(env *Env, mailbox, leafMailbox actor.MailboxProducer) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &Supervisor{env: env, mailbox: mailbox, leafMailbox: leafMailbox, log: env.Log,
			open: make(map[string]*State), pids: make(map[uint64]*actor.PID), refused: make(map[string]bool)}
	})
}

// HandleFailure is the supervisor's strategy for its connection actors (it
// runs in the supervisor's context): one that panicked is stopped, with
// "Internal Error" as its close reason, so /connz and a remote's status do
// not read as a server shutdown.
func (s *Supervisor) HandleFailure(sys *actor.ActorSystem, sup actor.Supervisor, child *actor.PID, _ *actor.RestartStatistics, reason, _ any) {
	if st := s.open[child.Id]; st != nil {
		st.setReason(InternalFault)
		s.log.Error("connection actor failed; closing its connection", zap.Uint64("cid", st.CID), zap.Any("panic", reason))
	}
	// As protoactor's own strategies do: the actor metrics count failures
	// and their directives from this event.
	sys.EventStream.Publish(&actor.SupervisorEvent{Child: child, Reason: reason, Directive: actor.StopDirective})
	sup.StopChildren(child)
}

// Receive handles one message.
func (s *Supervisor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *Accept:
		s.accept(c, m.Conn)
	case *AcceptLeaf:
		s.spawnLeaf(c, m.Conn, nil)
	case *AcceptWS:
		if m.Leaf {
			s.spawnLeaf(c, m.Conn, nil)
		} else {
			s.accept(c, m.Conn)
		}
	case *SpawnLeaf:
		pid, st := s.spawnLeaf(c, m.Conn, m.Remote)
		c.Respond(&LeafSpawned{PID: pid, State: st})
	case *actor.Terminated:
		st := s.open[m.Who.Id]
		if st == nil {
			return
		}
		delete(s.open, m.Who.Id)
		delete(s.pids, st.CID)
		if s.refused[m.Who.Id] {
			delete(s.refused, m.Who.Id)
		} else if st.Kind == route.KindClient {
			s.clients--
		}
		s.env.Totals.add(st)
		if st.Reason() == ReasonNone {
			st.setReason(InternalFault)
		}
		if st.stop.Load() == 0 {
			st.stop.Store(time.Now().UnixNano())
		}
		s.remember(st)
	case *Reconfigure:
		// New connections get the new configuration; existing ones apply it,
		// after the clients above a lowered max_connections were closed.
		s.env = m.Env
		s.enforceMaxConn(c)
		for _, pid := range s.pids {
			if !s.refused[pid.Id] {
				c.Send(pid, m)
			}
		}
	case *ListRequest:
		l := &List{Open: make([]*State, 0, len(s.open))}
		for _, st := range s.open {
			if st.Endpoint() != nil {
				l.Open = append(l.Open, st)
			}
		}
		n := min(s.closedN, MaxClosed)
		l.Closed = make([]*State, 0, n)
		for i := 0; i < n; i++ {
			l.Closed = append(l.Closed, s.closed[(s.closedN-n+i)%MaxClosed])
		}
		c.Respond(l)
	case *FaultRequest:
		pid := s.pids[m.CID]
		if pid != nil {
			c.Send(pid, &Fault{})
		}
		c.Respond(&FaultResponse{Found: pid != nil})
	}
}

func (s *Supervisor) accept(c actor.Context, nc net.Conn) {
	overflow := s.clients >= s.env.Opts.MaxConn
	pid, _ := s.spawn(c, nc, route.KindClient, "client", s.mailbox, func(b base) actor.Actor {
		return &client{base: b, overflow: overflow}
	})
	if pid == nil {
		return
	}
	if overflow {
		s.refused[pid.Id] = true // not counted, as nats-server never admits it
	} else {
		s.clients++
	}
	s.env.Totals.TotalConnections.Add(1) // clients only, as nats-server
}

// enforceMaxConn closes clients until at most max_connections remain, as
// nats-server's reload does: leaf connections are not counted, and the
// clients to close are picked at random (map order); each gets
// "-ERR 'maximum connections exceeded'".
func (s *Supervisor) enforceMaxConn(c actor.Context) {
	excess := s.clients - max(s.env.Opts.MaxConn, 0)
	if excess <= 0 {
		return
	}
	closed := 0
	for id, st := range s.open {
		if closed == excess {
			break
		}
		if st.Kind != route.KindClient || s.refused[id] {
			continue
		}
		c.Send(st.pid, &maxConnExceeded{})
		s.refused[id] = true
		s.clients--
		closed++
	}
	s.log.Info("closed connections to fall within max_connections", zap.Int("closed", closed),
		zap.Int("max_connections", s.env.Opts.MaxConn))
}

func (s *Supervisor) newState(nc net.Conn, kind route.Kind) *State {
	s.nextCID++
	st := &State{CID: s.nextCID, Kind: kind, Start: time.Now()}
	_, st.WS = nc.(*wsConn)
	if ap, err := netip.ParseAddrPort(nc.RemoteAddr().String()); err == nil {
		st.Remote = ap
	}
	return st
}

// spawnLeaf starts the actor of a leaf connection: accepted (remote nil) or
// solicited by a remote actor.
func (s *Supervisor) spawnLeaf(c actor.Context, nc net.Conn, remote *LeafRemote) (*actor.PID, *State) {
	return s.spawn(c, nc, route.KindLeaf, "leaf", s.leafMailbox, func(b base) actor.Actor {
		return &leaf{base: b, remote: remote}
	})
}

// spawn starts and registers the actor of one connection (name "client" or
// "leaf"); a connection whose actor cannot start is closed.
func (s *Supervisor) spawn(c actor.Context, nc net.Conn, kind route.Kind, name string, mb actor.MailboxProducer,
	newActor func(base) actor.Actor) (*actor.PID, *State) {
	st := s.newState(nc, kind)
	env := s.env
	log := s.log.With(zap.Uint64("cid", st.CID), zap.String("remote", nc.RemoteAddr().String()))
	if kind == route.KindLeaf {
		log = log.With(zap.String("kind", "leaf"))
	}
	props := actor.PropsFromProducer(func() actor.Actor {
		return newActor(base{env: env, st: st, netConn: nc, log: log})
	}, actor.WithMailbox(mb))
	pid, err := c.SpawnNamed(props, fmt.Sprintf("%s-%d", name, st.CID))
	if err != nil {
		log.Error("cannot start the "+name+" connection actor; closing", zap.Error(err))
		_ = nc.Close()
		return nil, nil
	}
	st.pid = pid
	s.open[pid.Id] = st
	s.pids[st.CID] = pid
	log.Debug(name + " connection created")
	return pid, st
}

func (s *Supervisor) remember(st *State) {
	if s.closed == nil {
		s.closed = make([]*State, MaxClosed)
	}
	s.closed[s.closedN%MaxClosed] = st
	s.closedN++
}

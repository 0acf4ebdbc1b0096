// Package remote implements the remote actor: one per entry of
// leafnodes.remotes. It owns the URL list and its rotation, dials, hands a
// successful dial to the connections supervisor as a solicited leaf
// connection, watches it, and when it ends schedules the next dial: one
// reconnect interval after a connection, interval plus jitter after a failed
// dial, plus the delay the connection asked for (30 s after a loop, ...).
//
// # Concurrency
//
// The dial runs in a goroutine with a context that Stopping cancels; it
// hands the socket over through an atomic slot, so a stop never leaks it.
// Timers send generation-tagged messages; stale ones are ignored. Status is
// an immutable snapshot behind an atomic pointer, read by monitoring.
//
// The URL list, the attempt count and a pending wait live in Shared, so an
// actor that fails and restarts carries on where it was: a wait it was in
// (30 s after a loop, say) is re-armed for the time left, not skipped.
package remote

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/config"
)

// State of a remote, as monitoring shows it.
const (
	StateConnecting = "connecting"
	StateConnected  = "connected"
	StateWaiting    = "waiting"
	StateDisabled   = "disabled"
	StateStopped    = "stopped" // lame duck mode: no more attempts
)

// Status is one remote's state, for monitoring.
type Status struct {
	Index        int       `json:"index"`
	LocalAccount string    `json:"local_account"`
	URLs         []string  `json:"urls"`
	State        string    `json:"state"`
	URL          string    `json:"url,omitempty"`
	Reason       string    `json:"reason,omitempty"`
	Attempts     int       `json:"attempts"`
	Connects     int       `json:"connects"`
	NextAttempt  time.Time `json:"next_attempt,omitzero"`
	Since        time.Time `json:"since"`
	CID          uint64    `json:"cid,omitempty"`
}

// Shared is the remote's state that outlives an actor incarnation. Apart
// from status, only the actor goroutine touches it.
type Shared struct {
	status   atomic.Pointer[Status]
	leaf     *actor.PID // the current connection's actor
	leafSt   *conn.State
	early    *conn.State // a LeafReady that overtook its LeafSpawned
	spawning bool        // a SpawnLeaf is not answered yet (bounded by spawnWait)
	quiet    bool        // lame duck mode: dial no more

	urls      []*url.URL // working list; nil before the first start
	last      *url.URL   // used by the last attempt
	tlsName   string     // first hostname (not an IP) among the URLs, for TLS to an IP
	attempts  int        // dials since the hub last accepted a connection
	connected bool       // accepted once (changes the logging cadence)
	gen       uint64     // tags timer and dial messages; stale ones are ignored
}

// Status returns the current status.
func (s *Shared) Status() *Status { return s.status.Load() }

// Quiesce ends a remote's dialling for lame duck mode: a pending attempt is
// cancelled and none follows, while the current connection stays until the
// server closes it, as nats-server keeps its leafs in lame duck mode.
type Quiesce struct{}

// Fault makes the remote actor panic. Test-only fault injection.
type Fault struct{}

// Config is what a remote actor needs.
type Config struct {
	Index    int
	Opts     *config.RemoteLeafOpts
	Interval time.Duration // leafnodes.reconnect
	Conns    *actor.PID    // the connections supervisor
	Log      *zap.Logger
}

// Props returns the props of a remote actor.
func Props(cfg Config, sh *Shared) *actor.Props {
	st := &Status{Index: cfg.Index, LocalAccount: cfg.Opts.LocalAccount, URLs: cfg.Opts.HostPorts(),
		State: StateConnecting, Since: time.Now()}
	if cfg.Opts.Disabled {
		st.State = StateDisabled
	}
	sh.status.CompareAndSwap(nil, st)
	return actor.PropsFromProducer(func() actor.Actor {
		return &Actor{cfg: cfg, sh: sh, log: cfg.Log.With(zap.Int("remote", cfg.Index))}
	})
}

// Actor is the remote actor.
type Actor struct {
	cfg Config
	sh  *Shared
	log *zap.Logger

	creds *url.Userinfo

	timer  *time.Timer
	cancel context.CancelFunc
	dialWG sync.WaitGroup
	slot   atomic.Pointer[dialed]
}

// dialed is a successful dial handed from the dial goroutine.
type dialed struct {
	conn net.Conn
	url  *url.URL
}

type dialDone struct {
	gen uint64
	url *url.URL
	err error
}

type redial struct{ gen uint64 }

// IgnoreDeadLetterLogging: a tick after a stop is not worth a log line.
func (*redial) IgnoreDeadLetterLogging() {}

// IgnoreDeadLetterLogging: as above for a late dial result.
func (*dialDone) IgnoreDeadLetterLogging() {}

// Receive handles one message.
func (a *Actor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		a.start(c)
	case *dialDone:
		a.dialFinished(c, m)
	case *redial:
		if m.gen != a.sh.gen {
			return
		}
		if a.sh.spawning {
			// No answer to SpawnLeaf: the connections supervisor failed
			// before it answered. Dial again rather than wait forever.
			a.sh.spawning = false
			a.log.Warn("no answer from the connections supervisor; dialling again")
			a.wait(c, "the connection did not start in time", a.cfg.Interval)
			return
		}
		a.dial(c)
	case *conn.LeafSpawned:
		if !a.sh.spawning {
			// An answer after its wait ended: a dial followed, so that
			// connection is not ours to keep.
			if m.PID != nil {
				c.Stop(m.PID)
			}
			return
		}
		a.sh.spawning = false
		a.sh.gen++ // the wait for this answer is over
		if a.timer != nil {
			a.timer.Stop()
		}
		if m.PID == nil {
			a.wait(c, "the connection could not start", a.cfg.Interval)
			return
		}
		a.sh.leaf, a.sh.leafSt = m.PID, m.State
		c.Watch(m.PID)
		a.setStatus(func(s *Status) { s.CID = m.State.CID })
		if a.sh.early == m.State {
			a.sh.early = nil
			a.accepted()
		}
	case *conn.LeafReady:
		if m.State != a.sh.leafSt {
			a.sh.early = m.State
			return
		}
		a.accepted()
	case *actor.Terminated:
		if a.sh.leaf == nil || m.Who.Id != a.sh.leaf.Id {
			return
		}
		st := a.sh.leafSt
		a.sh.leaf, a.sh.leafSt = nil, nil
		if h := st.TLSMismatch(); h != "" && h == a.sh.tlsName {
			// As nats-server: the saved hostname did not fit the hub's
			// certificate; dial IPs by IP from now on.
			a.log.Debug("the hub's certificate does not match the saved TLS hostname; dropping it", zap.String("tls_name", h))
			a.sh.tlsName = ""
		}
		reason := st.Reason().String()
		if e := st.PeerErr(); e != "" {
			reason = e + " (" + reason + ")"
		} else if e := st.ReadErr(); e != "" {
			reason += ": " + e
		}
		extra := st.ConnectDelay()
		if extra > 0 {
			a.log.Warn("leafnode connection closed; delaying the next attempt", zap.String("reason", reason),
				zap.Duration("delay", extra+a.cfg.Interval))
		} else {
			a.log.Info("leafnode connection closed; reconnecting", zap.String("reason", reason))
		}
		a.wait(c, reason, extra+a.cfg.Interval)
	case *Quiesce:
		a.sh.quiet = true
		a.stop()
		if a.sh.leaf == nil {
			a.stopped()
		}
	case *conn.DiscoveredURLs:
		a.discovered(m.URLs, m.Scheme)
	case *Fault:
		panic("remote: injected fault")
	case *actor.Restarting:
		a.stop() // the connection stays: the next incarnation watches it
	case *actor.Stopping:
		a.stop()
		a.stopped()
		if a.sh.leaf != nil {
			// Removed (reload) or shutting down: the connection goes too.
			c.Stop(a.sh.leaf)
		}
	}
}

func (a *Actor) start(c actor.Context) {
	sh := a.sh
	if sh.urls == nil {
		sh.urls = append([]*url.URL(nil), a.cfg.Opts.URLs...)
		if !a.cfg.Opts.NoRandomize {
			rand.Shuffle(len(sh.urls), func(i, j int) { sh.urls[i], sh.urls[j] = sh.urls[j], sh.urls[i] })
		}
		for _, u := range sh.urls {
			a.saveTLSName(u)
		}
	}
	for _, u := range a.cfg.Opts.URLs {
		if u.User != nil {
			a.creds = u.User
			break
		}
	}
	if a.cfg.Opts.Disabled {
		a.log.Info("remote is disabled; not connecting")
		return
	}
	if sh.leaf != nil {
		// A restart while connected: keep watching the connection.
		c.Watch(sh.leaf)
		return
	}
	if sh.quiet {
		return
	}
	if sh.spawning {
		// The answer to the last dial is on its way (or lost): wait for
		// it again, bounded.
		a.arm(c, spawnWait)
		return
	}
	if st := sh.Status(); st.State == StateWaiting && !st.NextAttempt.IsZero() {
		// A restart during a wait: only the time that is left.
		a.arm(c, max(time.Until(st.NextAttempt), 0))
		return
	}
	a.dial(c)
}

// accepted records that the hub accepted the connection (it is ready).
func (a *Actor) accepted() {
	a.sh.attempts = 0
	a.sh.connected = true
	a.setStatus(func(s *Status) {
		s.State, s.Reason, s.Attempts, s.Since = StateConnected, "", 0, time.Now()
		s.Connects++
	})
}

// saveTLSName keeps the first hostname that is not an IP, as nats-server:
// TLS to a URL whose host is an IP (a discovered one, usually) checks the
// certificate against that name.
func (a *Actor) saveTLSName(u *url.URL) {
	if a.sh.tlsName == "" && net.ParseIP(u.Hostname()) == nil {
		a.sh.tlsName = u.Hostname()
	}
}

// next applies nats-server's rotation: the URL used last moves from the head
// to the tail, then the head is used.
func (a *Actor) next() *url.URL {
	sh := a.sh
	if len(sh.urls) > 1 && sh.last != nil && sameHost(sh.urls[0], sh.last) {
		sh.urls = append(sh.urls[1:], sh.urls[0])
	}
	sh.last = sh.urls[0]
	return sh.last
}

func (a *Actor) dial(c actor.Context) {
	u := a.next()
	a.sh.attempts++
	a.sh.gen++
	gen, self, root, attempts := a.sh.gen, c.Self(), c.ActorSystem().Root, a.sh.attempts
	a.setStatus(func(s *Status) {
		s.State, s.URL, s.Attempts, s.NextAttempt, s.Since = StateConnecting, u.Host, attempts, time.Time{}, time.Now()
	})
	ctx, cancel := context.WithCancel(context.Background())
	a.cancel = cancel
	timeout, proxy := a.cfg.Opts.DialTimeout, a.cfg.Opts.Proxy
	a.dialWG.Add(1)
	go func() {
		defer a.dialWG.Done()
		var nc net.Conn
		var err error
		if proxy != nil {
			nc, err = dialProxy(ctx, proxy, u.Host)
		} else {
			d := net.Dialer{Timeout: timeout}
			nc, err = d.DialContext(ctx, "tcp", u.Host)
		}
		if err == nil {
			a.slot.Store(&dialed{conn: nc, url: u})
		}
		root.Send(self, &dialDone{gen: gen, url: u, err: err})
	}()
}

func (a *Actor) dialFinished(c actor.Context, m *dialDone) {
	d := a.slot.Swap(nil)
	if m.gen != a.sh.gen {
		if d != nil {
			_ = d.conn.Close()
		}
		return
	}
	if m.err != nil || d == nil {
		a.dialFailed(c, m)
		return
	}
	creds := d.url.User
	if creds == nil {
		creds = a.creds
	}
	a.log.Debug("dialled the hub", zap.String("url", d.url.Redacted()))
	a.sh.spawning = true
	c.Request(a.cfg.Conns, &conn.SpawnLeaf{Conn: d.conn, Remote: &conn.LeafRemote{
		PID: c.Self(), Opts: a.cfg.Opts, URL: d.url, Creds: creds, TLSName: a.sh.tlsName}})
	a.arm(c, spawnWait)
}

// spawnWait bounds the wait for the connections supervisor's answer to
// SpawnLeaf (it comes in microseconds; a supervisor that fails first loses
// it).
var spawnWait = 10 * time.Second

func (a *Actor) dialFailed(c actor.Context, m *dialDone) {
	// nats-server's cadence: the first failure and every 3600th before the
	// first success; every failure once it has been connected.
	msg := "error trying to connect to the remote hub; retrying"
	n := a.sh.attempts
	fields := []zap.Field{zap.String("url", m.url.Redacted()), zap.Int("attempt", n), zap.Error(m.err)}
	if a.sh.connected || n == 1 || n%3600 == 0 {
		a.log.Error(msg, fields...)
	} else {
		a.log.Debug(msg, fields...)
	}
	iv := a.cfg.Interval
	a.wait(c, fmt.Sprintf("dial %s: %v", m.url.Host, m.err), iv+time.Duration(rand.Int64N(int64(iv)+1)))
}

// wait schedules the next dial after d, unless the remote is quiesced.
func (a *Actor) wait(c actor.Context, reason string, d time.Duration) {
	if a.sh.quiet {
		a.setStatus(func(s *Status) { s.Reason = reason })
		a.stopped()
		return
	}
	a.arm(c, d)
	next := time.Now().Add(d)
	a.setStatus(func(s *Status) {
		s.State, s.Reason, s.NextAttempt, s.CID, s.Since = StateWaiting, reason, next, 0, time.Now()
	})
}

// arm starts the timer of the next dial.
func (a *Actor) arm(c actor.Context, d time.Duration) {
	if a.timer != nil {
		a.timer.Stop()
	}
	a.sh.gen++
	gen, self, root := a.sh.gen, c.Self(), c.ActorSystem().Root
	a.timer = time.AfterFunc(d, func() { root.Send(self, &redial{gen: gen}) })
}

// discovered rebuilds the URL list from a hub's leafnode_urls: the received
// ones (minus configured duplicates), then the configured ones.
func (a *Actor) discovered(hosts []string, scheme string) {
	configured := a.cfg.Opts.URLs
	var list []*url.URL
	seen := map[string]bool{}
	for _, u := range configured {
		seen[u.Host] = true
	}
	for _, h := range hosts {
		if seen[h] {
			continue
		}
		seen[h] = true
		u := &url.URL{Scheme: scheme, Host: h}
		a.saveTLSName(u)
		list = append(list, u)
	}
	a.sh.urls = append(list, configured...)
	a.setStatus(func(s *Status) { s.URLs = config.HostPorts(a.sh.urls) })
}

// stopped records that no attempt follows.
func (a *Actor) stopped() {
	a.setStatus(func(s *Status) { s.State, s.NextAttempt, s.CID, s.Since = StateStopped, time.Time{}, 0, time.Now() })
}

func (a *Actor) stop() {
	a.sh.gen++
	if a.timer != nil {
		a.timer.Stop()
	}
	if a.cancel != nil {
		a.cancel()
	}
	a.dialWG.Wait()
	if d := a.slot.Swap(nil); d != nil {
		_ = d.conn.Close()
	}
}

// setStatus publishes a changed copy of the status.
func (a *Actor) setStatus(f func(*Status)) {
	s := *a.sh.status.Load()
	f(&s)
	a.sh.status.Store(&s)
}

func sameHost(a, b *url.URL) bool { return a.Host == b.Host }

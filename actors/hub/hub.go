// Package hub assembles leafhub: the actor tree (hub → accounts, conns,
// listeners), the monitoring server, and the order of start and shutdown.
//
//	hub (root supervisor)
//	├── accounts   (restarts a failed account actor; it rebuilds)
//	│   └── account-$G, account-A, …
//	├── remotes    (restarts a failed remote actor; it re-dials)
//	│   └── remote-0, remote-1, …
//	├── conns      (stops a failed connection actor; the peer reconnects)
//	│   └── client-1, leaf-2, …
//	├── listener-client
//	└── listener-leafnode
//
// # Concurrency
//
// Server methods are safe for concurrent use. Monitoring queries ask actors
// with RequestFuture and a timeout; they never read actor fields.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/nats-io/nkeys"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"go.uber.org/zap/exp/zapslog"
	"go.uber.org/zap/zapcore"

	"github.com/leafhub/leafhub/actors/account"
	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/listen"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/actors/obs"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// Version is leafhub's own version.
const Version = "0.1.0"

// CompatVersion is the nats-server release whose behaviour leafhub
// implements; INFO and /varz advertise it as "version" so that clients and
// tools that check server versions treat leafhub as that server.
const CompatVersion = config.CompatVersion

// askTimeout bounds every request monitoring sends to an actor.
const askTimeout = 2 * time.Second

// Server is one running leafhub.
type Server struct {
	opts  *config.Options
	log   *zap.Logger
	id    string
	name  string
	start time.Time
	// loadTime is when the configuration in effect was loaded: at Start,
	// then at each successful Reload (guarded by mu).
	loadTime time.Time
	// wsCertNotAfter is when the websocket port's certificate expires.
	wsCertNotAfter time.Time

	sys       *actor.ActorSystem
	reg       *obs.Registry
	hub       *actor.PID
	accSup    *actor.PID
	connsSup  *actor.PID
	remoteSup *actor.PID
	lnPIDs    []*actor.PID
	accounts  map[string]*conn.AccountRef
	remotes   []remoteEntry // guarded by mu (reload changes them)
	stopping  bool          // lame duck or shutdown under way; guarded by mu
	remoteSeq int
	env       *conn.Env
	delays    conn.LeafDelays

	clientLn net.Listener
	leafLn   net.Listener
	wsLn     net.Listener
	mon      *monitor.Server
	prof     *http.Server // prof_port
	pidFiles []string     // pid files written, removed at shutdown (guarded by mu after Start)
	profLn   net.Listener
	prom     *prometheus.Registry
	metrics  *actorMetrics
	cpu      cpuSampler

	// mu guards what a reload replaces: opts, env and the remotes; the
	// monitoring handlers read them through current.
	mu sync.RWMutex

	healthy      atomic.Bool
	shutdownOnce sync.Once
	shutdownErr  error
}

// New prepares a server for opts; Start runs it.
func New(opts *config.Options, log *zap.Logger) (*Server, error) {
	kp, err := nkeys.CreateServer()
	if err != nil {
		return nil, fmt.Errorf("create server identity: %w", err)
	}
	id, err := kp.PublicKey()
	if err != nil {
		return nil, fmt.Errorf("create server identity: %w", err)
	}
	name := opts.ServerName
	if name == "" {
		name = id
	}
	return &Server{opts: opts, log: log, id: id, name: name, prom: prometheus.NewRegistry(),
		delays: conn.DefaultLeafDelays()}, nil
}

// SetLeafDelays replaces nats-server's leaf connect delays (30 s after a
// loop, ...). For tests; call it before Start.
func (s *Server) SetLeafDelays(d conn.LeafDelays) { s.delays = d }

// LeafAddr is the address of the leafnode listener (nil when off).
func (s *Server) LeafAddr() *net.TCPAddr {
	if s.leafLn == nil {
		return nil
	}
	return s.leafLn.Addr().(*net.TCPAddr)
}

// ID is the server's public nkey, as INFO server_id.
func (s *Server) ID() string { return s.id }

// Name is the server name (the id when none is configured).
func (s *Server) Name() string { return s.name }

// ClientAddr is the address of the client listener.
func (s *Server) ClientAddr() *net.TCPAddr { return s.clientLn.Addr().(*net.TCPAddr) }

// ClientURL is a nats:// URL for the client listener.
func (s *Server) ClientURL() string {
	a := s.ClientAddr()
	return "nats://" + net.JoinHostPort(a.IP.String(), strconv.Itoa(a.Port))
}

// MonitorAddr is the address of the monitoring listener (nil when off).
func (s *Server) MonitorAddr() net.Addr {
	if s.mon == nil {
		return nil
	}
	return s.mon.Addr()
}

// Actors is the actor registry (live actors, restarts by kind).
func (s *Server) Actors() *obs.Registry { return s.reg }

// Start builds the actor tree and opens the listeners. On error everything
// started so far is shut down again.
func (s *Server) Start() (err error) {
	s.start = time.Now()
	s.loadTime = s.start
	defer func() {
		if err != nil {
			_ = s.Shutdown(context.Background())
		}
	}()
	if s.opts.PidFile != "" {
		if err = s.writePidFile(s.opts.PidFile); err != nil {
			return err
		}
	}
	s.metrics, err = newActorMetrics(s.opts.ActorMetrics, s.prom)
	if err != nil {
		return err
	}
	s.sys = actor.NewActorSystem(s.systemOptions()...)
	s.reg = obs.New(s.sys)
	root := s.sys.Root

	s.hub, err = root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &parent{} },
		actor.WithGuardian(restartPolicy(3)), actor.WithSupervisor(restartPolicy(10)),
		actor.WithMailbox(s.reg.Mailbox("hub"))), "hub")
	if err != nil {
		return fmt.Errorf("start the hub actor: %w", err)
	}
	s.accSup, err = spawnUnder(root, s.hub, actor.PropsFromProducer(func() actor.Actor { return &parent{} },
		actor.WithSupervisor(restartPolicy(10)), actor.WithMailbox(s.reg.Mailbox("supervisor"))), "accounts")
	if err != nil {
		return err
	}
	if err = s.startAccounts(); err != nil {
		return err
	}
	if s.env, err = s.newEnvChecked(); err != nil {
		return err
	}
	s.connsSup, err = spawnUnder(root, s.hub, conn.SupervisorProps(s.env, s.reg.Mailbox("client"), s.reg.Mailbox("leaf")).
		Configure(actor.WithMailbox(s.reg.Mailbox("supervisor"))), "conns")
	if err != nil {
		return err
	}
	if err = s.startLeafListener(); err != nil {
		return err
	}
	if err = s.startWebsocketListener(); err != nil {
		return err
	}

	addr := net.JoinHostPort(s.opts.Host, strconv.Itoa(max(s.opts.Port, 0)))
	s.clientLn, err = net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen for clients on %s: %w (is another server using the port? set port or listen in the config)", addr, err)
	}
	s.env.Info.Port = s.ClientAddr().Port
	pid, err := spawnUnder(root, s.hub, listen.Props(s.clientLn, s.connsSup,
		func(nc net.Conn) any { return &conn.Accept{Conn: nc} }, s.log.With(zap.String("listener", "client"))).
		Configure(actor.WithMailbox(s.reg.Mailbox("listener"))), "listener-client")
	if err != nil {
		return err
	}
	s.lnPIDs = append(s.lnPIDs, pid)
	s.log.Info("listening for client connections", zap.String("addr", s.clientLn.Addr().String()))

	if err = s.startRemotes(); err != nil {
		return err
	}

	if s.opts.HTTPPort != 0 {
		maddr := net.JoinHostPort(s.opts.MonitorHost(), strconv.Itoa(max(s.opts.HTTPPort, 0)))
		ln, err := net.Listen("tcp", maddr)
		if err != nil {
			return fmt.Errorf("listen for monitoring on %s: %w (change http/http_port in the config)", maddr, err)
		}
		s.mon = monitor.New(ln, s, s.prom, s.opts.MetricsPrefix, s.opts.PerActorMetrics, s.log.With(zap.String("listener", "monitor")))
		s.mon.Serve()
		s.log.Info("starting http monitor", zap.String("addr", "http://"+ln.Addr().String()))
	}
	if s.opts.ProfPort != 0 {
		if err := s.startProfiler(); err != nil {
			return err
		}
	}
	s.healthy.Store(true)
	s.log.Info("server is ready", zap.String("server_id", s.id), zap.String("server_name", s.name),
		zap.String("version", Version), zap.String("compat_version", CompatVersion))
	return nil
}

// systemOptions wires protoactor's logs into zap (library chatter at Warn and
// above) and, when configured, its OpenTelemetry metrics.
func (s *Server) systemOptions() []actor.ConfigOption {
	core, err := zapcore.NewIncreaseLevelCore(s.log.Core(), zapcore.WarnLevel)
	if err != nil {
		core = s.log.Core()
	}
	opts := []actor.ConfigOption{
		actor.WithLoggerFactory(func(sys *actor.ActorSystem) *slog.Logger {
			return slog.New(zapslog.NewHandler(core, zapslog.WithName("protoactor")))
		}),
		actor.WithDeadLetterRequestLogging(false),
		actor.WithDeadLetterThrottleInterval(time.Second),
	}
	if s.metrics.provider != nil {
		opts = append(opts, actor.WithMetricProviders(s.metrics.provider))
	}
	return opts
}

func (s *Server) startAccounts() error {
	s.accounts = make(map[string]*conn.AccountRef)
	names := []string{auth.GlobalAccount}
	for _, a := range s.opts.Accounts {
		names = append(names, a.Name)
	}
	if s.opts.SystemAccount != "" && !s.opts.NoSystemAccount {
		names = append(names, s.opts.SystemAccount)
	}
	for _, name := range names {
		if _, dup := s.accounts[name]; dup {
			continue
		}
		if err := s.startAccount(name); err != nil {
			return err
		}
	}
	return nil
}

func actorMailbox(reg *obs.Registry, kind string) actor.PropsOption {
	return actor.WithMailbox(reg.Mailbox(kind))
}

// actorName keeps '/' out of actor names: the tree view splits ids on it.
func actorName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}

func (s *Server) newEnv() *conn.Env {
	a := auth.New(s.opts)
	info := protocol.ServerInfo{
		ID:           s.id,
		Name:         s.name,
		Version:      CompatVersion,
		Proto:        1,
		GoVersion:    runtime.Version(),
		Host:         s.opts.Host,
		Headers:      true,
		AuthRequired: a.AdvertiseAuthRequired(),
		MaxPayload:   int(s.opts.MaxPayload),
		JSAPILevel:   jsAPILevel,
	}
	if t := s.opts.TLS; t != nil {
		info.TLSRequired = !s.opts.AllowNonTLS
		info.TLSAvailable = s.opts.AllowNonTLS
		info.TLSVerify = t.Verify || t.Map
	}
	sysAcc := ""
	if !s.opts.NoSystemAccount {
		sysAcc = s.opts.SystemAccount
	}
	cluster := ""
	if len(s.opts.LeafNode.Remotes) > 0 {
		// As nats-server without a cluster block: a server with remotes
		// presents its server name as its cluster name.
		cluster = s.name
	}
	leafInfo := info
	leafInfo.TLSRequired, leafInfo.TLSAvailable, leafInfo.TLSVerify = false, false, false
	if t := s.opts.LeafNode.TLS; t != nil {
		leafInfo.TLSRequired = true
		leafInfo.TLSVerify = t.Verify || t.Map
	}
	leafInfo.AuthRequired = true
	if m := s.opts.LeafNode.Compression.EffectiveMode(); m != config.CompressionNotSupported {
		leafInfo.Compression = m
	}
	leafInfo.InfoOnConnect = true
	leafInfo.Cluster = cluster
	return &conn.Env{
		Opts: s.opts, Auth: a, Accounts: maps.Clone(s.accounts), SystemAccount: sysAcc, Info: info,
		Log: s.log, Totals: &conn.Totals{}, FinalFlush: finalFlush,
		LeafInfo: leafInfo, ClusterName: cluster, LeafDelays: s.delays,
		ClientLimits: conn.NewClientLimits(s.opts),
	}
}

// newEnvChecked builds the connection environment, with the listeners'
// TLS; a TLS block that cannot be set up is an error naming it.
func (s *Server) newEnvChecked() (*conn.Env, error) {
	env := s.newEnv()
	var err error
	if env.ClientTLS, err = conn.NewServerTLS(s.opts.TLS, s.opts.AllowNonTLS); err != nil {
		return nil, fmt.Errorf("tls (client port): %w", err)
	}
	if env.LeafTLS, err = conn.NewServerTLS(s.opts.LeafNode.TLS, false); err != nil {
		return nil, fmt.Errorf("leafnodes.tls: %w", err)
	}
	return env, nil
}

// jsAPILevel is the JetStream API level nats-server advertises; leafhub's
// clients reach JetStream through the leaf.
const jsAPILevel = 5

// finalFlush bounds the last write of a closing connection.
const finalFlush = time.Second

// Shutdown stops accepting, closes every connection after flushing what is
// queued for it, and stops the actor tree. It is idempotent.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shutdownOnce.Do(func() { s.shutdownErr = s.shutdown(ctx) })
	return s.shutdownErr
}

func (s *Server) shutdown(ctx context.Context) error {
	s.healthy.Store(false)
	var errs []error
	if s.sys != nil {
		root := s.sys.Root
		stop := func(pid *actor.PID, what string) {
			if pid == nil {
				return
			}
			if err := root.StopFuture(pid).Wait(); err != nil {
				errs = append(errs, fmt.Errorf("stop %s: %w", what, err))
			}
		}
		s.mu.Lock()
		listeners, remotes := s.lnPIDs, s.remoteSup
		s.lnPIDs, s.remoteSup, s.stopping = nil, nil, true
		s.mu.Unlock()
		for _, pid := range listeners {
			stop(pid, "listener")
		}
		if s.clientLn != nil {
			_ = s.clientLn.Close() // a no-op when its listener actor closed it
		}
		stop(remotes, "remotes")
		stop(s.connsSup, "connections")
		stop(s.accSup, "accounts")
		stop(s.hub, "hub")
		s.sys.Shutdown()
	} else if s.clientLn != nil {
		_ = s.clientLn.Close()
	}
	if s.mon != nil {
		if err := s.mon.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop monitoring: %w", err))
		}
	}
	if s.prof != nil {
		_ = s.prof.Close()
	}
	if s.metrics != nil {
		if err := s.metrics.shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	s.mu.Lock()
	s.removePidFiles()
	s.mu.Unlock()
	s.log.Info("server shut down")
	return errors.Join(errs...)
}

// current returns the running options and connection environment.
func (s *Server) current() (*config.Options, *conn.Env) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.opts, s.env
}

// Healthz reports whether every listener is up.
func (s *Server) Healthz() error {
	if !s.healthy.Load() {
		return s.notReady()
	}
	return nil
}

// connections asks the connections supervisor for its list.
func (s *Server) connections() (*conn.List, error) {
	res, err := s.sys.Root.RequestFuture(s.connsSup, &conn.ListRequest{}, askTimeout).Result()
	if err != nil {
		return nil, fmt.Errorf("ask the connections supervisor: %w", err)
	}
	return res.(*conn.List), nil
}

// subjectsOf asks the actors of the open connections among sts for their
// subscriptions, all requests at once: a connection that does not answer
// (it is closing) costs the call one timeout, not one per connection. A
// connection without an answer has no entry.
func (s *Server) subjectsOf(sts []*conn.State) map[*conn.State]*conn.Subjects {
	asks := make(map[*conn.State]*actor.Future, len(sts))
	for _, st := range sts {
		if st.PID() != nil && st.Stop().IsZero() {
			asks[st] = s.sys.Root.RequestFuture(st.PID(), &conn.SubjectsRequest{}, askTimeout)
		}
	}
	out := make(map[*conn.State]*conn.Subjects, len(asks))
	for st, f := range asks {
		if res, err := f.Result(); err == nil {
			out[st] = res.(*conn.Subjects)
		}
	}
	return out
}

// FaultConnection makes the actor of connection cid panic (test-only fault
// injection). It reports whether the connection existed.
func (s *Server) FaultConnection(cid uint64) (bool, error) {
	res, err := s.sys.Root.RequestFuture(s.connsSup, &conn.FaultRequest{CID: cid}, askTimeout).Result()
	if err != nil {
		return false, err
	}
	return res.(*conn.FaultResponse).Found, nil
}

// FaultAccount makes the actor of an account panic (test-only fault injection).
func (s *Server) FaultAccount(name string) error {
	ref := s.accountRef(name)
	if ref == nil {
		return fmt.Errorf("no account %q", name)
	}
	s.sys.Root.Send(ref.PID, &account.Fault{})
	return nil
}

// AccountInterest reports whether subject has interest in an account's
// current routing snapshot.
func (s *Server) AccountInterest(name, subject string) (bool, error) {
	ref := s.accountRef(name)
	if ref == nil {
		return false, fmt.Errorf("no account %q", name)
	}
	return ref.Route.Snapshot().HasInterest(subject), nil
}

// AccountStats asks an account actor for its figures.
func (s *Server) AccountStats(name string) (*account.Stats, error) {
	ref := s.accountRef(name)
	if ref == nil {
		return nil, fmt.Errorf("no account %q", name)
	}
	res, err := s.sys.Root.RequestFuture(ref.PID, &account.StatsRequest{}, askTimeout).Result()
	if err != nil {
		return nil, err
	}
	return res.(*account.Stats), nil
}

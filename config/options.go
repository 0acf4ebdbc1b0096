package config

import (
	"crypto/tls"
	"net/url"
	"time"

	"github.com/nats-io/jwt/v2"
)

// Defaults, the same as nats-server v2.15.2.
const (
	DefaultHost           = "0.0.0.0"
	DefaultPort           = 4222
	DefaultLeafNodePort   = 7422 // port added to remote URLs that have none
	DefaultMaxPayload     = 1024 * 1024
	DefaultMaxControlLine = 4096
	DefaultMaxPending     = 64 * 1024 * 1024
	DefaultMaxConn        = 64 * 1024
	DefaultPingInterval   = 2 * time.Minute
	// DefaultLameDuckDuration and DefaultLameDuckGracePeriod are nats-server's.
	DefaultLameDuckDuration    = 2 * time.Minute
	DefaultLameDuckGracePeriod = 10 * time.Second
	DefaultPingMaxOut          = 2
	DefaultWriteDeadline       = 10 * time.Second
	DefaultAuthTimeout         = 2 * time.Second
	DefaultTLSTimeout          = 2 * time.Second
	DefaultLeafReconnect       = time.Second
	DefaultLeafDial            = time.Second
	DefaultLeafFirstInfo       = time.Second
	DefaultMetricsPrefix       = "gnatsd"

	// DefaultResponseMaxMsgs and DefaultResponseExpires are the limits of
	// allow_responses when not given.
	DefaultResponseMaxMsgs = 1
	DefaultResponseExpires = 2 * time.Minute

	// MaxPayloadWarn is the max_payload above which a warning is given.
	MaxPayloadWarn = 8 * 1024 * 1024

	// RandomPort as a port asks for a random free port (listen on port 0).
	RandomPort = -1

	// GlobalAccount is the account of users that are not in any account.
	GlobalAccount = "$G"
	// DefaultSystemAccount is the system account created unless disabled.
	DefaultSystemAccount = "$SYS"
)

// Options is the validated configuration of a leafhub daemon.
type Options struct {
	ConfigFile   string // file given to Load, empty for Parse and Default
	ConfigDigest string // "sha256:<hex>" of the parsed file, as nats-server's config_digest (Load only)
	ServerName   string

	Host string
	Port int // RandomPort (-1) = random

	HTTPHost string // from `http: host:port`; empty = Host (see MonitorHost)
	HTTPPort int    // 0 = no monitoring, RandomPort = random

	ProfPort      int // 0 = no profiling port (net/http/pprof on Host), RandomPort = random
	ProfBlockRate int // runtime.SetBlockProfileRate; <= 0 = off

	MaxPayload     int32
	MaxControlLine int32
	MaxPending     int64
	MaxConn        int // < 0 = refuse all connections (max_connections: 0 gives -1)
	MaxSubs        int // 0 = unlimited

	PingInterval  time.Duration
	MaxPingsOut   int
	WriteDeadline time.Duration

	Debug, Trace, Logtime bool
	LogFile               string
	PidFile               string

	// TLS of the client port (the top-level tls block); AllowNonTLS lets
	// clients that do not start TLS in as well.
	TLS         *TLSOpts
	AllowNonTLS bool

	// Lame duck mode: how long closing all connections takes, and how long
	// to wait after telling clients before the first ones are closed.
	LameDuckDuration    time.Duration
	LameDuckGracePeriod time.Duration

	// Client authentication of the authorization block.
	Username, Password, Token string
	AuthTimeout               time.Duration

	// Users holds every configured user: those of the authorization block
	// (Account "$G") followed by those of the accounts block.
	Users []*User
	// Accounts holds "$G" first, then the configured accounts in file
	// order, then the system account if it was not configured.
	Accounts   []*Account
	NoAuthUser string
	// SystemAccount is the name of the system account, "" only when
	// no_system_account is set (and no account is called "$SYS").
	SystemAccount   string
	NoSystemAccount bool
	// NoAuthGlobal is set when only the system account has users and there
	// is no authorization block: nats-server then lets clients without
	// credentials in, bound to "$G" (with an internal no_auth_user).
	NoAuthGlobal bool
	// DefaultPermissions are the authorization block's default
	// permissions; they are already applied to its users that have none.
	DefaultPermissions *Permissions

	LeafNode  LeafNodeOpts
	Websocket WebsocketOpts

	// Operator mode: the trusted operators, the account resolver
	// (ResolverMemory) and its preloaded account JWTs by public key.
	Operators       []*Operator
	Resolver        string
	ResolverPreload map[string]*jwt.AccountClaims

	// leafhub's own settings (leafhub { ... } block).
	MetricsPrefix   string
	ActorMetrics    bool
	PerActorMetrics bool

	// Warnings are non-fatal remarks about the configuration, each
	// formatted like an Error.
	Warnings []string

	sysExplicit   bool                // system_account was given
	authUsersSet  bool                // authorization had a users key (even empty)
	authBlockSeen bool                // an authorization block was present
	positions     map[string]position // key path -> where it was configured
}

// User is one client user, either with user name and password or with an
// nkey (then Username and Password are empty).
type User struct {
	Username string
	Password string // plain text or a bcrypt hash ("$2a$..."), kept as is
	Nkey     string // user public nkey
	// Permissions are the user's own or, when it has none, its block's
	// default permissions; nil = everything allowed.
	Permissions *Permissions
	Account     string // "$G" for authorization block users
	// AllowedConnectionTypes (upper case, e.g. "STANDARD", "LEAFNODE");
	// nil or empty = all types.
	AllowedConnectionTypes map[string]bool

	src string // key path of the entry, for error positions
}

// Account is a configured (or implied) account.
type Account struct {
	Name               string
	DefaultPermissions *Permissions // applied to its users without permissions
	// Claims is the account's JWT in operator mode (nil otherwise).
	Claims *jwt.AccountClaims
}

// Permissions of a user.
type Permissions struct {
	Publish   *SubjectPermission // nil = all allowed
	Subscribe *SubjectPermission // nil = all allowed
	Response  *ResponsePermission
}

// SubjectPermission lists allowed and denied subjects. A nil Allow allows
// everything; a non-nil empty Allow allows nothing (this is what
// allow_responses without a publish allow list gives). Subscribe entries may
// be "subject queue" to apply to one queue group only.
type SubjectPermission struct {
	Allow []string
	Deny  []string
}

// ResponsePermission lets a user publish to reply subjects of messages it
// received: at most MaxMsgs responses within Expires (negative = no limit).
type ResponsePermission struct {
	MaxMsgs int
	Expires time.Duration
}

// LeafNodeOpts is the leafnodes { } block.
type LeafNodeOpts struct {
	Host        string
	Port        int // 0 = no leafnode listener, RandomPort = random
	Advertise   string
	NoAdvertise bool

	// Accept-side authorization (leafnodes.authorization).
	Username, Password string
	Nkey               string
	Account            string // account to bind single-user/nkey leafs to ("" = "$G")
	Users              []*LeafUser
	AuthTimeout        time.Duration
	ProxyRequired      bool

	TLS         *TLSOpts
	Compression CompressionOpts // s2_auto when a port is set and nothing is configured
	MinVersion  string
	Isolate     bool

	ReconnectInterval time.Duration
	DialTimeout       time.Duration
	WriteDeadline     time.Duration // defaults to the top-level write_deadline
	WriteTimeout      string        // "", "default", "close" or "retry"

	Remotes []*RemoteLeafOpts
}

// LeafUser is a user of leafnodes.authorization.users.
type LeafUser struct {
	Username      string
	Password      string
	Account       string // "" = "$G"
	ProxyRequired bool

	src string
}

// RemoteLeafOpts is one entry of leafnodes.remotes.
type RemoteLeafOpts struct {
	URLs         []*url.URL // port 7422 added when missing, userinfo kept
	NoRandomize  bool
	LocalAccount string // "$G" when not given
	Credentials  string // path, "~" and $VARS expanded
	Nkey         string // user seed
	TLS          *TLSOpts
	Hub          bool
	DenyImports  []string
	DenyExports  []string

	WSCompression bool
	WSNoMasking   bool

	// Compression defaults to s2_auto, like nats-server; see
	// CompressionOpts.EffectiveMode for what the runtime uses.
	Compression CompressionOpts

	FirstInfoTimeout time.Duration
	DialTimeout      time.Duration // defaults to leafnodes.dial_timeout

	Isolate                 bool // isolate_leafnode_interest
	RequestIsolation        bool
	Disabled                bool
	IgnoreDiscoveredServers bool

	Proxy *ProxyOpts // nil when not configured

	JetStreamClusterMigrate      bool
	JetStreamClusterMigrateDelay time.Duration

	src string
}

// HostPorts are the remote's URLs as host:port (for monitoring and logs).
func (r *RemoteLeafOpts) HostPorts() []string { return HostPorts(r.URLs) }

// HostPorts lists URLs as host:port.
func HostPorts(us []*url.URL) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.Host
	}
	return out
}

// ProxyOpts is a remote's HTTP CONNECT proxy.
type ProxyOpts struct {
	URL      string
	Username string
	Password string
	Timeout  time.Duration // defaults to the remote's dial timeout
	TLS      *TLSOpts      // TLS to the proxy itself (https proxy)
}

// TLSOpts is a tls { } block of the leafnode listener, a remote or a proxy.
type TLSOpts struct {
	CertFile, KeyFile string
	Certificates      []TLSCertPair // certs / certificates
	CaFile            string
	Insecure          bool
	Verify            bool
	Map               bool // verify_and_map
	CipherSuites      []uint16
	CurvePreferences  []tls.CurveID
	AllowInsecure     bool   // allow_insecure_cipher_suites
	MinVersion        uint16 // 0 = TLS 1.2
	Timeout           time.Duration
	RateLimit         int64 // connection_rate_limit: refused at the top level, ignored elsewhere (as nats-server)
	PinnedCerts       []string
	HandshakeFirst    bool
	FallbackDelay     time.Duration // TLS-first fallback delay, 0 = none
}

// TLSCertPair is one entry of tls.certs.
type TLSCertPair struct {
	CertFile, KeyFile string
}

// Default returns the options of an empty configuration: nats-server's
// defaults plus leafhub's own.
func Default() *Options {
	o := &Options{Logtime: true}
	o.fillDefaults()
	return o
}

// AuthRequired reports whether clients must authenticate: a user, a token or
// any users are configured (nats-server's notion of auth_required).
func (o *Options) AuthRequired() bool {
	return o.Username != "" || o.Token != "" || len(o.Users) > 0
}

// LookupAccount returns the account with that name, or nil.
func (o *Options) LookupAccount(name string) *Account {
	for _, a := range o.Accounts {
		if a.Name == name {
			return a
		}
	}
	return nil
}

// LookupUser returns the user with that user name or nkey, or nil.
func (o *Options) LookupUser(name string) *User {
	for _, u := range o.Users {
		if (u.Nkey == "" && u.Username == name) || (u.Nkey != "" && u.Nkey == name) {
			return u
		}
	}
	return nil
}

// MonitorHost is the host the monitoring listener binds: the host of
// `http: host:port`, else the client host. It is resolved at use, after the
// command line has had its say, so `-a` moves the monitor too.
func (o *Options) MonitorHost() string {
	if o.HTTPHost != "" {
		return o.HTTPHost
	}
	return o.Host
}

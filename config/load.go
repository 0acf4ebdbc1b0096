package config

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nats-io/nats-server/v2/conf"
)

// stringName is the file name shown for configurations given to Parse.
const stringName = "<string>"

// Load reads the configuration file at path (includes, variables and
// environment references resolved by the nats-server conf parser), checks
// it and returns the options with all defaults filled in. Configuration
// problems are returned together as *Errors.
func Load(path string) (*Options, error) {
	m, digest, err := conf.ParseFileWithChecksDigest(path)
	if err != nil {
		return nil, parseFailure(path, err)
	}
	o, err := build(m, path)
	if err != nil {
		return nil, err
	}
	o.ConfigFile, o.ConfigDigest = path, digest
	return o, nil
}

// Parse is Load for a configuration given as a string; errors name the file
// "<string>". Includes are relative to the working directory.
func Parse(data string) (*Options, error) {
	m, err := conf.ParseWithChecks(data)
	if err != nil {
		return nil, parseFailure(stringName, err)
	}
	return build(m, stringName)
}

var (
	reInclude = regexp.MustCompile(`^error parsing include file '([^']*)', (?s:(.*))$`)
	reOnLine  = regexp.MustCompile(`on line (\d+)`)
	reInvalid = regexp.MustCompile(`\(.*:(\d+):(\d+)\)$`)
)

// parseFailure turns an error of the conf parser into *Errors, locating it
// as well as the message allows.
func parseFailure(file string, err error) error {
	e := &Error{File: file, Reason: printable(err.Error()), cause: err}
	var pe *fs.PathError
	if errors.As(err, &pe) && pe.Path == file {
		e.Reason = fmt.Sprintf("error opening config file: %v", err)
		return &Errors{List: []*Error{e}}
	}
	// Errors inside included files name the include chain; point at the
	// innermost file that could be opened.
	msg := err.Error()
	for {
		m := reInclude.FindStringSubmatch(msg)
		if m == nil || strings.HasPrefix(m[2], "open ") {
			break
		}
		if e.File == stringName {
			e.File = m[1]
		} else {
			e.File = filepath.Join(filepath.Dir(e.File), m[1])
		}
		msg = m[2]
	}
	if m := reOnLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
	} else if m := reInvalid.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		e.Col, _ = strconv.Atoi(m[2])
	}
	return &Errors{List: []*Error{e}}
}

// printable escapes control characters (the lexer reports EOF as one).
func printable(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r == '\n' || unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// loader collects what is needed while walking the parsed configuration.
type loader struct {
	errs      []*Error
	warns     []string
	positions map[string]position

	authUsers    []*User // authorization.users
	accountUsers []*User // accounts.*.users
	accounts     []*Account
	accountNames map[string]bool
}

func (l *loader) errorf(n *node, path, format string, args ...any) {
	l.errs = append(l.errs, newError(n.pos, path, fmt.Sprintf(format, args...)))
}

func (l *loader) warnf(n *node, path, format string, args ...any) {
	l.warns = append(l.warns, newError(n.pos, path, fmt.Sprintf(format, args...)).Error())
}

// note remembers where a setting was configured so that Validate can point
// at it. canon is the canonical key path Validate asks for.
func (l *loader) note(canon string, n *node) {
	l.positions[canon] = n.pos
}

// build turns the parser output into validated options.
func build(m map[string]any, file string) (*Options, error) {
	l := &loader{
		positions:    map[string]position{},
		accountNames: map[string]bool{},
	}
	root := unwrap(m, position{file: file}, stringName)
	fields, _ := root.val.([]*field)
	o := &Options{Logtime: true}
	if len(fields) == 0 {
		l.warns = append(l.warns, newError(root.pos, "", "config has no values or is empty").Error())
	}
	for _, f := range fields {
		l.top(o, f)
	}
	l.finish(o)
	errs := l.errs
	if err := o.Validate(); err != nil {
		errs = append(errs, err.(*Errors).List...)
	}
	if len(errs) > 0 {
		return nil, &Errors{List: errs}
	}
	o.Warnings = append(o.Warnings, l.warns...)
	return o, nil
}

// listenKey handles the keys that set a listener's address (listen, port,
// host/net) into host and port, noting where the port was set under
// noteKey; it reports whether f was one of them.
func (l *loader) listenKey(f *field, path, noteKey string, host *string, port *int) bool {
	switch f.lkey {
	case "listen":
		if h, p, ok := l.hostPort(f.node, path); ok {
			*host, *port = h, p
			l.note(noteKey, f.node)
		}
	case "port":
		if i, ok := l.integer(f.node, path); ok {
			*port = int(i)
			l.note(noteKey, f.node)
		}
	case "host", "net":
		if s, ok := l.str(f.node, path); ok {
			*host = s
		}
	default:
		return false
	}
	return true
}

// top handles one top-level key.
func (l *loader) top(o *Options, f *field) {
	n, path := f.node, f.key
	if unsupportedTop[f.lkey] {
		l.unsupported(n, path)
		return
	}
	if l.listenKey(f, path, "port", &o.Host, &o.Port) {
		return
	}
	switch f.lkey {
	case "server_name":
		if s, ok := l.str(n, path); ok {
			o.ServerName = s
			l.note("server_name", n)
		}
	case "http":
		host, port, ok := l.hostPort(n, path)
		if ok {
			o.HTTPHost, o.HTTPPort = host, port
			l.note("http_port", n)
		}
	case "http_port", "monitor_port":
		if i, ok := l.integer(n, path); ok {
			o.HTTPPort = int(i)
			l.note("http_port", n)
		}
	case "prof_port":
		if i, ok := l.integer(n, path); ok {
			o.ProfPort = int(i)
			l.note("prof_port", n)
		}
	case "prof_block_rate":
		if i, ok := l.integer(n, path); ok {
			o.ProfBlockRate = int(i)
			l.note("prof_block_rate", n)
		}
	case "max_payload":
		if i, ok := l.int32(n, path); ok {
			o.MaxPayload = i
			l.note("max_payload", n)
		}
	case "max_control_line":
		if i, ok := l.int32(n, path); ok {
			o.MaxControlLine = i
			l.note("max_control_line", n)
		}
	case "max_pending":
		if i, ok := l.integer(n, path); ok {
			o.MaxPending = i
			l.note("max_pending", n)
		}
	case "max_connections", "max_conn":
		if i, ok := l.integer(n, path); ok {
			o.MaxConn = int(i)
			if o.MaxConn == 0 {
				o.MaxConn = -1 // 0 refuses all connections
			}
		}
	case "max_subscriptions", "max_subs":
		if i, ok := l.integer(n, path); ok {
			o.MaxSubs = int(i)
		}
	case "ping_interval":
		if d, ok := l.duration(n, path); ok {
			o.PingInterval = d
			l.note("ping_interval", n)
		}
	case "ping_max":
		if i, ok := l.integer(n, path); ok {
			o.MaxPingsOut = int(i)
		}
	case "write_deadline":
		if d, ok := l.duration(n, path); ok {
			o.WriteDeadline = d
			l.note("write_deadline", n)
		}
	case "debug":
		if b, ok := l.boolean(n, path); ok {
			o.Debug = b
		}
	case "trace":
		if b, ok := l.boolean(n, path); ok {
			o.Trace = b
		}
	case "logtime":
		if b, ok := l.boolean(n, path); ok {
			o.Logtime = b
		}
	case "logfile", "log_file":
		if s, ok := l.str(n, path); ok {
			o.LogFile = s
		}
	case "tls":
		o.TLS = l.tls(n, path, nil)
	case "allow_non_tls":
		if b, ok := l.boolean(n, path); ok {
			o.AllowNonTLS = b
		}
	case "pidfile", "pid_file":
		if s, ok := l.str(n, path); ok {
			o.PidFile = s
		}
	case "lame_duck_duration":
		if d, ok := l.duration(n, path); ok {
			if d < minLameDuckDuration {
				l.errorf(n, path, "invalid lame_duck_duration of %v, minimum is 30 seconds", d)
				return
			}
			o.LameDuckDuration = d
			l.note("lame_duck_duration", n)
		}
	case "lame_duck_grace_period":
		if d, ok := l.duration(n, path); ok {
			if d < 0 {
				l.errorf(n, path, "invalid lame_duck_grace_period, needs to be positive")
				return
			}
			o.LameDuckGracePeriod = d
			l.note("lame_duck_grace_period", n)
		}
	case "authorization":
		l.authorization(o, n, path)
	case "accounts":
		l.accountsBlock(n, path)
	case "no_auth_user":
		if s, ok := l.str(n, path); ok {
			o.NoAuthUser = s
			l.note("no_auth_user", n)
		}
	case "system_account", "system":
		s, ok := n.val.(string)
		if !ok {
			l.errorf(n, path, "system account name must be a string")
			return
		}
		o.SystemAccount = s
		o.sysExplicit = true
		l.note("system_account", n)
	case "operator", "operators", "roots", "root", "root_operators", "root_operator":
		l.operators(o, n, path)
	case "resolver", "account_resolver", "accounts_resolver":
		l.resolver(o, n, path)
	case "resolver_preload":
		l.resolverPreload(o, n, path)
	case "no_system_account", "no_system", "no_sys_acc":
		if b, ok := l.boolean(n, path); ok {
			o.NoSystemAccount = b
		}
	case "leafnodes", "leaf":
		l.leafnodes(o, n, path)
	case "websocket", "ws":
		l.websocket(o, n, path)
	case "leafhub":
		l.leafhub(o, n, path)
	default:
		l.unknown(f, path)
	}
}

// leafhub parses leafhub's own block.
func (l *loader) leafhub(o *Options, n *node, path string) {
	fields, ok := l.mapping(n, path)
	if !ok {
		return
	}
	for _, f := range fields {
		fp := join(path, f.key)
		switch f.lkey {
		case "metrics_prefix":
			if s, ok := l.str(f.node, fp); ok {
				o.MetricsPrefix = s
				l.note("leafhub.metrics_prefix", f.node)
			}
		case "actor_metrics":
			if b, ok := l.boolean(f.node, fp); ok {
				o.ActorMetrics = b
			}
		case "per_actor_metrics":
			if b, ok := l.boolean(f.node, fp); ok {
				o.PerActorMetrics = b
			}
		default:
			l.unknown(f, fp)
		}
	}
}

// int32 reads an integer that must fit an int32.
func (l *loader) int32(n *node, path string) (int32, bool) {
	i, ok := l.integer(n, path)
	if !ok {
		return 0, false
	}
	if i > math.MaxInt32 {
		l.errorf(n, path, "%s value is too big", lastKey(path))
		return 0, false
	}
	if i < math.MinInt32 {
		l.errorf(n, path, "%s value is too small", lastKey(path))
		return 0, false
	}
	return int32(i), true
}

// hostPort reads a port number or a "host:port" string.
func (l *loader) hostPort(n *node, path string) (string, int, bool) {
	switch v := n.val.(type) {
	case int64:
		return "", int(v), true
	case string:
		host, port, err := net.SplitHostPort(v)
		if err != nil {
			l.errorf(n, path, "could not parse address string %q", v)
			return "", 0, false
		}
		p, err := strconv.Atoi(port)
		if err != nil {
			l.errorf(n, path, "could not parse port %q", port)
			return "", 0, false
		}
		return host, p, true
	default:
		l.errorf(n, path, "expected port or host:port, got %s", kind(n.val))
		return "", 0, false
	}
}

// finish assembles users and accounts, fills in the defaults and gives
// the warnings that need the whole configuration.
func (l *loader) finish(o *Options) {
	o.authUsersSet = o.authUsersSet || len(l.authUsers) > 0
	o.Users = append(append([]*User(nil), l.authUsers...), l.accountUsers...)
	o.Accounts = append([]*Account{{Name: GlobalAccount}}, l.accounts...)
	if !o.sysExplicit && !o.OperatorMode() {
		o.SystemAccount = ""
		if !o.NoSystemAccount || l.accountNames[DefaultSystemAccount] {
			o.SystemAccount = DefaultSystemAccount
		}
	}
	l.finishOperator(o)
	// nats-server lets clients without credentials into $G when only the
	// system account has users and there is no authorization block.
	sysConfigured := o.sysExplicit || l.accountNames[DefaultSystemAccount]
	o.NoAuthGlobal = o.SystemAccount != "" && sysConfigured && len(l.accounts) == 1 &&
		o.NoAuthUser == "" && !o.authBlockSeen
	o.fillDefaults()
	if o.MaxPayload > MaxPayloadWarn {
		l.warns = append(l.warns, newError(l.positions["max_payload"], "max_payload",
			"Maximum payloads over 8.00 MB are generally discouraged and could lead to poor performance").Error())
	}
	o.positions = l.positions
}

// fillDefaults replaces unset (zero) settings by their defaults, like
// nats-server does before starting.
func (o *Options) fillDefaults() {
	if o.LameDuckDuration == 0 {
		o.LameDuckDuration = DefaultLameDuckDuration
	}
	if o.LameDuckGracePeriod == 0 {
		o.LameDuckGracePeriod = DefaultLameDuckGracePeriod
	}
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if o.Port == 0 {
		o.Port = DefaultPort
	}
	if o.MaxConn == 0 {
		o.MaxConn = DefaultMaxConn
	}
	if o.PingInterval == 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.MaxPingsOut == 0 {
		o.MaxPingsOut = DefaultPingMaxOut
	}
	if o.TLS != nil && o.TLS.Timeout == 0 {
		o.TLS.Timeout = DefaultTLSTimeout
	}
	if o.AuthTimeout == 0 {
		o.AuthTimeout = DefaultAuthTimeout
		if o.TLS != nil {
			// As nats-server: a TLS listener gives authentication the TLS
			// timeout plus one second.
			o.AuthTimeout = o.TLS.Timeout + time.Second
		}
	}
	if o.MaxControlLine == 0 {
		o.MaxControlLine = DefaultMaxControlLine
	}
	if o.MaxPayload == 0 {
		o.MaxPayload = DefaultMaxPayload
	}
	if o.MaxPending == 0 {
		o.MaxPending = DefaultMaxPending
	}
	if o.WriteDeadline == 0 {
		o.WriteDeadline = DefaultWriteDeadline
	}
	if o.MetricsPrefix == "" {
		o.MetricsPrefix = DefaultMetricsPrefix
	}
	if !o.sysExplicit && o.SystemAccount == "" && !o.NoSystemAccount && !o.OperatorMode() {
		// In operator mode nats-server's default $SYS fails the trusted
		// issuer check: no system account unless one is named.
		o.SystemAccount = DefaultSystemAccount
	}
	if o.LookupAccount(GlobalAccount) == nil {
		o.Accounts = append([]*Account{{Name: GlobalAccount}}, o.Accounts...)
	}
	if o.SystemAccount != "" && !o.sysExplicit && !o.OperatorMode() && o.LookupAccount(o.SystemAccount) == nil {
		o.Accounts = append(o.Accounts, &Account{Name: o.SystemAccount})
	}
	for _, u := range o.Users {
		if u.Account == "" {
			u.Account = GlobalAccount
		}
	}
	o.LeafNode.fillDefaults(o.WriteDeadline)
	if o.Websocket.Port != 0 && o.Websocket.Host == "" {
		o.Websocket.Host = DefaultHost
	}
}

func (ln *LeafNodeOpts) fillDefaults(writeDeadline time.Duration) {
	if ln.Port != 0 {
		if ln.Host == "" {
			ln.Host = DefaultHost
		}
		if ln.Compression.Mode == "" {
			ln.Compression = CompressionOpts{Mode: CompressionS2Auto}
			ln.Compression.RTTThresholds, _ = checkThresholds(CompressionS2Auto, nil)
		}
	}
	if ln.TLS != nil && ln.TLS.Timeout == 0 {
		ln.TLS.Timeout = DefaultTLSTimeout
	}
	if ln.AuthTimeout == 0 {
		ln.AuthTimeout = DefaultAuthTimeout
		if ln.TLS != nil {
			ln.AuthTimeout = ln.TLS.Timeout + time.Second
		}
	}
	if ln.ReconnectInterval == 0 {
		ln.ReconnectInterval = DefaultLeafReconnect
	}
	if ln.DialTimeout <= 0 {
		ln.DialTimeout = DefaultLeafDial
	}
	if ln.WriteDeadline == 0 {
		ln.WriteDeadline = writeDeadline
	}
	for _, r := range ln.Remotes {
		if r.LocalAccount == "" {
			r.LocalAccount = GlobalAccount
		}
		for _, u := range r.URLs {
			if u.Port() == "" {
				u.Host = net.JoinHostPort(u.Hostname(), strconv.Itoa(DefaultLeafNodePort))
			}
		}
		if r.Compression.Mode == "" {
			r.Compression = CompressionOpts{Mode: CompressionS2Auto}
			r.Compression.RTTThresholds, _ = checkThresholds(CompressionS2Auto, nil)
		}
		if r.FirstInfoTimeout <= 0 {
			r.FirstInfoTimeout = DefaultLeafFirstInfo
		}
		if r.DialTimeout <= 0 {
			r.DialTimeout = ln.DialTimeout
		}
		if r.TLS != nil && r.TLS.Timeout == 0 {
			r.TLS.Timeout = DefaultTLSTimeout
		}
		if r.Proxy != nil && r.Proxy.Timeout == 0 {
			r.Proxy.Timeout = r.DialTimeout
		}
	}
}

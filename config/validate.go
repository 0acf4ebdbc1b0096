package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Validate checks the settings that depend on each other or on ranges. Load
// and Parse call it; cmd/leafhub calls it again after applying command-line
// flags. Problems are returned together as *Errors, located in the
// configuration file when the setting came from there.
func (o *Options) Validate() error {
	v := &validator{o: o}
	v.ports()
	v.limits()
	v.lameDuck()
	v.auth()
	v.systemAccount()
	v.operator()
	v.leafnodes()
	v.websocket()
	v.leafhub()
	return errorList(v.errs)
}

type validator struct {
	o    *Options
	errs []*Error
}

// errorf reports a problem with the setting at the canonical key path.
func (v *validator) errorf(key, format string, args ...any) {
	v.errs = append(v.errs, newError(v.o.positions[key], key, fmt.Sprintf(format, args...)))
}

func (v *validator) ports() {
	check := func(key string, port int) {
		if port < RandomPort || port > 65535 {
			v.errorf(key, "invalid port %d: must be between 0 and 65535, or -1 for a random port", port)
		}
	}
	check("port", v.o.Port)
	check("http_port", v.o.HTTPPort)
	check("prof_port", v.o.ProfPort)
	check("leafnodes.port", v.o.LeafNode.Port)
}

func (v *validator) limits() {
	o := v.o
	if o.MaxPayload <= 0 {
		v.errorf("max_payload", "max_payload must be positive, got %d", o.MaxPayload)
	}
	if o.MaxControlLine <= 0 {
		v.errorf("max_control_line", "max_control_line must be positive, got %d", o.MaxControlLine)
	}
	if o.MaxPending <= 0 {
		v.errorf("max_pending", "max_pending must be positive, got %d", o.MaxPending)
	}
	if int64(o.MaxPayload) > o.MaxPending {
		v.errorf("max_payload", "max_payload (%v) cannot be higher than max_pending (%v)", o.MaxPayload, o.MaxPending)
	}
	if o.PingInterval <= 0 {
		v.errorf("ping_interval", "ping_interval must be positive, got %v", o.PingInterval)
	}
	if o.WriteDeadline <= 0 {
		v.errorf("write_deadline", "write_deadline must be positive, got %v", o.WriteDeadline)
	}
	if strings.Contains(o.ServerName, " ") {
		v.errorf("server_name", "server name cannot contain spaces")
	}
}

// minLameDuckDuration is the shortest lame_duck_duration accepted, as
// nats-server.
const minLameDuckDuration = 30 * time.Second

// lameDuck: the grace period must end before lame duck mode does (checked
// with the defaults filled in, as nats-server does).
func (v *validator) lameDuck() {
	o := v.o
	if o.LameDuckDuration > 0 && o.LameDuckGracePeriod >= o.LameDuckDuration {
		key := "lame_duck_grace_period"
		if _, ok := o.positions[key]; !ok {
			key = "lame_duck_duration"
		}
		v.errorf(key, "lame duck grace period (%v) should be strictly lower than lame duck duration (%v)",
			o.LameDuckGracePeriod, o.LameDuckDuration)
	}
}

// auth checks the client users: single user, token and users lists are
// exclusive, names are unique, accounts exist, no_auth_user is a user.
func (v *validator) auth() {
	o := v.o
	var blockUsers, accountUsers []*User
	for _, u := range o.Users {
		if strings.HasPrefix(u.src, "accounts.") {
			accountUsers = append(accountUsers, u)
		} else {
			blockUsers = append(blockUsers, u)
		}
	}
	if (o.Username != "" || o.Password != "") && o.Token != "" {
		v.errorf("authorization.token", "Cannot have a user/pass and token")
	}
	usersArray := o.authUsersSet || len(blockUsers) > 0
	switch {
	case o.Username != "" && usersArray:
		v.errorf("authorization.user", "Can not have a single user/pass and a users array")
	case o.Username != "" && len(accountUsers) > 0:
		v.errorf(accountUsers[0].src, "Can not have a single user/pass and accounts")
	}
	switch {
	case o.Token != "" && usersArray:
		v.errorf("authorization.token", "Can not have a token and a users array")
	case o.Token != "" && len(accountUsers) > 0:
		v.errorf(accountUsers[0].src, "Can not have a token and accounts")
	}
	names := map[string]bool{}
	for _, u := range o.Users {
		switch {
		case u.Nkey != "" && names[u.Nkey]:
			v.errorf(u.src, "Duplicate nkey %q detected", u.Nkey)
		case u.Nkey == "" && names[u.Username]:
			v.errorf(u.src, "Duplicate user %q detected", u.Username)
		}
		if u.Nkey != "" {
			names[u.Nkey] = true
		} else {
			names[u.Username] = true
		}
		if u.Account != "" && o.LookupAccount(u.Account) == nil {
			v.errorf(u.src, "account %q of user %q is not defined", u.Account, userName(u))
		}
	}
	if o.NoAuthUser != "" {
		switch {
		case len(o.Users) == 0:
			v.errorf("no_auth_user", `no_auth_user: "%s" present, but users/nkeys are not defined`, o.NoAuthUser)
		case o.LookupUser(o.NoAuthUser) == nil:
			v.errorf("no_auth_user", `no_auth_user: "%s" not present as user or nkey in authorization block or account configuration`, o.NoAuthUser)
		}
	}
}

func userName(u *User) string {
	if u.Nkey != "" {
		return u.Nkey
	}
	return u.Username
}

// systemAccount checks that an explicitly named system account exists.
func (v *validator) systemAccount() {
	o := v.o
	if o.SystemAccount != "" && o.LookupAccount(o.SystemAccount) == nil {
		v.errorf("system_account", "error resolving system account %q: account missing", o.SystemAccount)
	}
}

// leafnodes checks the leafnode authorization and the remotes.
func (v *validator) leafnodes() {
	o, ln := v.o, &v.o.LeafNode
	if len(ln.Users) > 0 {
		if ln.Username != "" {
			v.errorf("leafnodes.authorization.user", "can not have a single user/pass and a users array")
		}
		if ln.Nkey != "" {
			v.errorf("leafnodes.authorization.nkey", "can not have a single nkey and a users array")
		}
		seen := map[string]bool{}
		for _, u := range ln.Users {
			if seen[u.Username] {
				v.errorf(u.src, "duplicate user %q detected in leafnode authorization", u.Username)
			}
			seen[u.Username] = true
		}
	}
	exists := func(name string) bool { return name == "" || o.LookupAccount(name) != nil }
	if !exists(ln.Account) {
		v.errorf("leafnodes.authorization.account", "cannot find local account %q specified in leafnode authorization", ln.Account)
	}
	for _, u := range ln.Users {
		if !exists(u.Account) {
			v.errorf(u.src+".account", "cannot find local account %q specified in leafnode authorization", u.Account)
		}
	}
	names := map[string]bool{}
	for _, r := range ln.Remotes {
		if len(r.URLs) == 0 {
			v.errorf(r.src, "remote leafnode requires at least one url")
		}
		if !exists(r.LocalAccount) {
			v.errorf(r.src+".account", "cannot find local account %q specified in leafnode remote", r.LocalAccount)
		}
		if err := checkSubjects(r.DenyImports, false); err != nil {
			v.errorf(r.src, "invalid deny_imports for remote %s: %v", remoteName(r, true), err)
		}
		if err := checkSubjects(r.DenyExports, false); err != nil {
			v.errorf(r.src, "invalid deny_exports for remote %s: %v", remoteName(r, true), err)
		}
		if name := remoteName(r, false); names[name] {
			v.errorf(r.src, "duplicate remote %s", remoteName(r, true))
		} else {
			names[name] = true
		}
		if mixedWebsocket(r.URLs) {
			v.errorf(r.src+".url", "remote leaf node configuration cannot have a mix of websocket and non-websocket urls: %q", redactedURLs(r.URLs))
		}
	}
}

// remoteName identifies a remote by its URLs, account and credentials, as
// nats-server does to find duplicates.
func remoteName(r *RemoteLeafOpts, redacted bool) string {
	acc := r.LocalAccount
	if acc == "" {
		acc = GlobalAccount
	}
	var extra string
	switch {
	case r.Credentials != "":
		extra = fmt.Sprintf(", credentials=%q", r.Credentials)
	case r.Nkey != "" && redacted:
		extra = `, nkey="[REDACTED]"`
	case r.Nkey != "":
		extra = fmt.Sprintf(", nkey=%q", r.Nkey)
	}
	urls := make([]string, len(r.URLs))
	for i, u := range r.URLs {
		if redacted {
			urls[i] = u.Redacted()
		} else {
			urls[i] = u.String()
		}
	}
	return fmt.Sprintf("urls=%q, account=%q%s", urls, acc, extra)
}

func redactedURLs(urls []*url.URL) []string {
	out := make([]string, len(urls))
	for i, u := range urls {
		out[i] = u.Redacted()
	}
	return out
}

// mixedWebsocket reports whether some but not all URLs are websocket ones.
func mixedWebsocket(urls []*url.URL) bool {
	ws := 0
	for _, u := range urls {
		if s := strings.ToLower(u.Scheme); s == "ws" || s == "wss" {
			ws++
		}
	}
	return ws > 0 && ws < len(urls)
}

// leafhub checks leafhub's own settings.
func (v *validator) leafhub() {
	if !validMetricName(v.o.MetricsPrefix) {
		v.errorf("leafhub.metrics_prefix", "metrics_prefix %q is not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)", v.o.MetricsPrefix)
	}
}

// validMetricName reports whether s is a valid Prometheus metric name.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

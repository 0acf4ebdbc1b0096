package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/nats-io/nkeys"
)

// leafnodes parses the leafnodes block. Every key nats-server knows is
// parsed and validated; the ones leafhub does not implement yet are then
// refused by checkUnsupported.
func (l *loader) leafnodes(o *Options, n *node, path string) {
	fields, ok := n.val.([]*field)
	if !ok {
		l.errorf(n, path, "Expected map to define a leafnode, got %s", kind(n.val))
		return
	}
	ln := &o.LeafNode
	var seen []seenKey
	for _, f := range fields {
		fp := join(path, f.key)
		seen = append(seen, seenKey{f, fp})
		if l.listenKey(f, fp, "leafnodes.port", &ln.Host, &ln.Port) {
			continue
		}
		switch f.lkey {
		case "authorization":
			l.leafAuthorization(ln, f.node, fp)
		case "remotes":
			ln.Remotes = l.remotes(f.node, fp)
		case "reconnect", "reconnect_delay", "reconnect_interval":
			if d, ok := l.duration(f.node, fp); ok {
				ln.ReconnectInterval = d
			}
		case "dial_timeout":
			if d, ok := l.duration(f.node, fp); ok {
				ln.DialTimeout = d
			}
		case "tls":
			ln.TLS = l.tls(f.node, fp, nil)
		case "advertise", "leafnode_advertise":
			if s, ok := l.str(f.node, fp); ok {
				ln.Advertise = s
			}
		case "no_advertise":
			if b, ok := l.boolean(f.node, fp); ok {
				ln.NoAdvertise = b
			}
		case "min_version", "minimum_version":
			if s, ok := l.str(f.node, fp); ok {
				if err := checkMinVersion(s); err != nil {
					l.errorf(f.node, fp, "%v", err)
				} else {
					ln.MinVersion = s
				}
			}
		case "compression":
			if c, ok := l.compression(f.node, fp); ok {
				ln.Compression = c
			}
		case "isolate_leafnode_interest", "isolate":
			if b, ok := l.boolean(f.node, fp); ok {
				ln.Isolate = b
			}
		case "write_deadline":
			if d, ok := l.duration(f.node, fp); ok {
				ln.WriteDeadline = d
			}
		case "write_timeout":
			if s, ok := l.writeTimeout(f.node, fp); ok {
				ln.WriteTimeout = s
			}
		default:
			l.unknown(f, fp)
		}
	}
	l.checkUnsupported(unsupportedLeafnodes, seen)
}

// writeTimeout parses a write_timeout policy.
func (l *loader) writeTimeout(n *node, path string) (string, bool) {
	s, ok := l.str(n, path)
	if !ok {
		return "", false
	}
	switch s {
	case "default", "close", "retry":
		return s, true
	}
	l.errorf(n, path, "write_timeout must be 'default', 'close' or 'retry'")
	return "", false
}

// checkMinVersion checks leafnodes.min_version: a semantic version of at
// least 2.8.0.
func checkMinVersion(v string) error {
	major, minor, _, ok := parseSemver(v)
	if !ok {
		return errors.New("invalid leafnode's minimum version: invalid semver")
	}
	if major < 2 || (major == 2 && minor < 8) {
		return errors.New("the minimum version should be at least 2.8.0")
	}
	return nil
}

// VersionAtLeast reports whether the semantic version v is min or later;
// an empty or unparsable v is not (leafnodes.min_version at CONNECT).
func VersionAtLeast(v, min string) bool {
	a1, b1, c1, ok1 := parseSemver(v)
	a2, b2, c2, ok2 := parseSemver(min)
	if !ok1 || !ok2 {
		return false
	}
	if a1 != a2 {
		return a1 > a2
	}
	if b1 != b2 {
		return b1 > b2
	}
	return c1 >= c2
}

// parseSemver parses MAJOR.MINOR.PATCH with the optional pre-release and
// build metadata parts defined by semver.org.
func parseSemver(v string) (major, minor, patch int, ok bool) {
	if i := strings.IndexByte(v, '+'); i >= 0 {
		if !semverIdents(v[i+1:], false) {
			return 0, 0, 0, false
		}
		v = v[:i]
	}
	if i := strings.IndexByte(v, '-'); i >= 0 {
		if !semverIdents(v[i+1:], true) {
			return 0, 0, 0, false
		}
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var nums [3]int
	for i, p := range parts {
		if !semverNumber(p) {
			return 0, 0, 0, false
		}
		n, err := strconv.Atoi(p)
		if err != nil {
			return 0, 0, 0, false
		}
		nums[i] = n
	}
	return nums[0], nums[1], nums[2], true
}

// semverNumber: digits without a leading zero (except "0" itself).
func semverNumber(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// semverIdents checks dot-separated identifiers of [0-9A-Za-z-]; in a
// pre-release, purely numeric identifiers must not have leading zeros.
func semverIdents(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for _, c := range id {
			switch {
			case c >= '0' && c <= '9':
			case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '-':
				numeric = false
			default:
				return false
			}
		}
		if pre && numeric && !semverNumber(id) {
			return false
		}
	}
	return true
}

// leafAuthorization parses leafnodes.authorization.
func (l *loader) leafAuthorization(ln *LeafNodeOpts, n *node, path string) {
	fields, ok := l.mapping(n, path)
	if !ok {
		return
	}
	const canon = "leafnodes.authorization"
	var seen []seenKey
	for _, f := range fields {
		fp := join(path, f.key)
		seen = append(seen, seenKey{f, fp})
		switch f.lkey {
		case "user", "username":
			if s, ok := l.str(f.node, fp); ok {
				ln.Username = s
				l.note(canon+".user", f.node)
			}
		case "pass", "password":
			if s, ok := l.str(f.node, fp); ok {
				ln.Password = s
			}
		case "nkey":
			if s, ok := l.str(f.node, fp); ok {
				if !nkeys.IsValidPublicUserKey(s) {
					l.errorf(f.node, fp, "Not a valid public nkey for leafnode authorization")
				}
				ln.Nkey = s
				l.note(canon+".nkey", f.node)
			}
		case "timeout":
			if d, ok := l.seconds(f.node, fp, "leafnode authorization"); ok {
				ln.AuthTimeout = d
			}
		case "users":
			ln.Users = l.leafUsers(f.node, fp)
			l.note(canon+".users", f.node)
		case "account":
			if s, ok := l.str(f.node, fp); ok {
				ln.Account = s
				l.note(canon+".account", f.node)
			}
		case "proxy_required":
			if b, ok := l.boolean(f.node, fp); ok {
				ln.ProxyRequired = b
			}
		default:
			l.unknown(f, fp)
		}
	}
	l.checkUnsupported(unsupportedLeafAuth, seen)
}

// leafUsers parses leafnodes.authorization.users.
func (l *loader) leafUsers(n *node, path string) []*LeafUser {
	items, ok := n.val.([]*node)
	if !ok {
		l.errorf(n, path, "Expected users field to be an array, got %s", kind(n.val))
		return nil
	}
	users := []*LeafUser{}
	for i, it := range items {
		ip := index(path, i)
		fields, ok := it.val.([]*field)
		if !ok {
			l.errorf(it, ip, "Expected user entry to be a map/struct, got %s", kind(it.val))
			continue
		}
		u := &LeafUser{src: index("leafnodes.authorization.users", i)}
		l.note(u.src, it)
		var seen []seenKey
		for _, f := range fields {
			fp := join(ip, f.key)
			seen = append(seen, seenKey{f, fp})
			switch f.lkey {
			case "user", "username":
				if s, ok := l.str(f.node, fp); ok {
					u.Username = s
					l.note(u.src, f.node)
				}
			case "pass", "password":
				if s, ok := l.str(f.node, fp); ok {
					u.Password = s
				}
			case "account":
				if s, ok := l.str(f.node, fp); ok {
					u.Account = s
					l.note(u.src+".account", f.node)
				}
			case "proxy_required":
				if b, ok := l.boolean(f.node, fp); ok {
					u.ProxyRequired = b
				}
			default:
				l.unknown(f, fp)
			}
		}
		l.checkUnsupported(unsupportedLeafUser, seen)
		users = append(users, u)
	}
	return users
}

// remotes parses leafnodes.remotes.
func (l *loader) remotes(n *node, path string) []*RemoteLeafOpts {
	items, ok := n.val.([]*node)
	if !ok {
		l.errorf(n, path, "Expected remotes field to be an array, got %s", kind(n.val))
		return nil
	}
	var remotes []*RemoteLeafOpts
	for i, it := range items {
		ip := index(path, i)
		fields, ok := it.val.([]*field)
		if !ok {
			l.errorf(it, ip, "Expected remote leafnode entry to be a map/struct, got %s", kind(it.val))
			continue
		}
		r := &RemoteLeafOpts{src: index("leafnodes.remotes", i)}
		l.note(r.src, it)
		l.remote(r, fields, ip)
		remotes = append(remotes, r)
	}
	return remotes
}

// remote parses one remote.
func (l *loader) remote(r *RemoteLeafOpts, fields []*field, path string) {
	var seen []seenKey
	var proxy *field
	for _, f := range fields {
		fp := join(path, f.key)
		seen = append(seen, seenKey{f, fp})
		switch f.lkey {
		case "url", "urls":
			l.note(r.src+".url", f.node)
			l.remoteURLs(r, f.node, fp)
		case "no_randomize", "dont_randomize":
			if b, ok := l.boolean(f.node, fp); ok {
				r.NoRandomize = b
			}
		case "account", "local":
			if s, ok := l.str(f.node, fp); ok {
				r.LocalAccount = s
				l.note(r.src+".account", f.node)
			}
		case "credentials", "creds":
			s, ok := l.str(f.node, fp)
			if !ok {
				continue
			}
			p, err := expandPath(s)
			if err != nil {
				l.errorf(f.node, fp, "%v", err)
				continue
			}
			if r.Nkey != "" {
				l.errorf(f.node, fp, "Remote leafnode can not have both creds and nkey defined")
				continue
			}
			r.Credentials = p
		case "nkey", "seed":
			s, ok := l.str(f.node, fp)
			if !ok {
				continue
			}
			if prefix, _, err := nkeys.DecodeSeed([]byte(s)); err != nil || prefix != nkeys.PrefixByteUser {
				l.errorf(f.node, fp, "Remote leafnode nkey is not a valid seed: %q", s)
				continue
			}
			if r.Credentials != "" {
				l.errorf(f.node, fp, "Remote leafnode can not have both creds and nkey defined")
				continue
			}
			r.Nkey = s
		case "tls":
			r.TLS = l.tls(f.node, fp, nil)
		case "hub":
			if b, ok := l.boolean(f.node, fp); ok {
				r.Hub = b
			}
		case "deny_imports", "deny_import":
			if s, ok := l.permSubjects(f.node, fp, false); ok {
				r.DenyImports = s
			}
		case "deny_exports", "deny_export":
			if s, ok := l.permSubjects(f.node, fp, false); ok {
				r.DenyExports = s
			}
		case "ws_compression", "ws_compress", "websocket_compression", "websocket_compress":
			if b, ok := l.boolean(f.node, fp); ok {
				r.WSCompression = b
			}
		case "ws_no_masking", "websocket_no_masking":
			if b, ok := l.boolean(f.node, fp); ok {
				r.WSNoMasking = b
			}
		case "jetstream_cluster_migrate", "js_cluster_migrate":
			l.clusterMigrate(r, f.node, fp)
		case "isolate_leafnode_interest", "isolate":
			if b, ok := l.boolean(f.node, fp); ok {
				r.Isolate = b
			}
		case "request_isolation":
			if b, ok := l.boolean(f.node, fp); ok {
				r.RequestIsolation = b
			}
		case "compression":
			if c, ok := l.compression(f.node, fp); ok {
				r.Compression = c
			}
		case "first_info_timeout":
			if d, ok := l.duration(f.node, fp); ok {
				r.FirstInfoTimeout = d
			}
		case "dial_timeout":
			if d, ok := l.duration(f.node, fp); ok {
				r.DialTimeout = d
			}
		case "disabled":
			if b, ok := l.boolean(f.node, fp); ok {
				r.Disabled = b
			}
		case "ignore_discovered_servers":
			if b, ok := l.boolean(f.node, fp); ok {
				r.IgnoreDiscoveredServers = b
			}
		case "proxy":
			proxy = f
			r.Proxy = l.proxy(f.node, fp)
		default:
			l.unknown(f, fp)
		}
	}
	if proxy != nil && r.Proxy != nil {
		if err := validateProxy(r); err != nil {
			l.errorf(proxy.node, join(path, proxy.key), "%v", err)
		}
		if r.Proxy.URL == "" {
			r.Proxy = nil // an empty proxy block has no effect
		}
	}
	l.checkUnsupported(unsupportedRemote, seen)
}

// remoteURLs parses url/urls: a string (added) or an array (replacing).
// Repeated URLs are dropped with a warning.
func (l *loader) remoteURLs(r *RemoteLeafOpts, n *node, path string) {
	switch v := n.val.(type) {
	case string:
		if u, ok := l.leafURL(n, path, v); ok {
			r.URLs = append(r.URLs, u)
		}
	case []*node:
		urls := []*url.URL{}
		seen := map[string]bool{}
		for i, e := range v {
			ip := index(path, i)
			s, ok := l.str(e, ip)
			if !ok {
				continue
			}
			if seen[s] {
				l.warnf(e, ip, "duplicate leafnode url %q ignored", redact(s))
				continue
			}
			seen[s] = true
			if u, ok := l.leafURL(e, ip, s); ok {
				urls = append(urls, u)
			}
		}
		r.URLs = urls
	default:
		l.errorf(n, path, "Expected remote leafnode url to be an array or string, got %s", kind(n.val))
	}
}

// leafURL parses one remote URL.
func (l *loader) leafURL(n *node, path, s string) (*url.URL, bool) {
	s = strings.TrimSpace(s)
	u, err := url.Parse(s)
	if err != nil {
		l.errorf(n, path, "error parsing leafnode url [%q]", redact(s))
		return nil, false
	}
	if u.Host == "" {
		l.warnf(n, path, "leafnode url %q has no host (use scheme://host:port)", u.Redacted())
	}
	return u, true
}

// redact hides the password of a URL string, if it parses.
func redact(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return s
}

// clusterMigrate parses jetstream_cluster_migrate: a boolean or
// { leader_migrate_delay }.
func (l *loader) clusterMigrate(r *RemoteLeafOpts, n *node, path string) {
	switch v := n.val.(type) {
	case bool:
		r.JetStreamClusterMigrate = v
	case []*field:
		// Like nats-server, only leader_migrate_delay is looked at.
		r.JetStreamClusterMigrate = true
		for _, f := range v {
			if f.key == "leader_migrate_delay" {
				if d, ok := l.duration(f.node, join(path, f.key)); ok {
					r.JetStreamClusterMigrateDelay = d
				}
			}
		}
	default:
		l.errorf(n, path, "Expected boolean or map for jetstream_cluster_migrate, got %s", kind(n.val))
	}
}

// proxyTLSKeys are the tls keys that apply to the connection to a proxy.
var proxyTLSKeys = map[string]bool{
	"cert_file":                    true,
	"key_file":                     true,
	"ca_file":                      true,
	"insecure":                     true,
	"cipher_suites":                true,
	"allow_insecure_cipher_suites": true,
	"curve_preferences":            true,
	"min_version":                  true,
	"timeout":                      true,
	"cert_store":                   true,
	"cert_match_by":                true,
	"cert_match":                   true,
	"cert_match_skip_invalid":      true,
	"ca_certs_match":               true,
	"certs":                        true,
	"certificates":                 true,
}

// proxy parses a remote's proxy block.
func (l *loader) proxy(n *node, path string) *ProxyOpts {
	fields, ok := n.val.([]*field)
	if !ok {
		l.errorf(n, path, "Expected proxy to be a map, got %s", kind(n.val))
		return nil
	}
	p := &ProxyOpts{}
	for _, f := range fields {
		fp := join(path, f.key)
		switch f.lkey {
		case "url":
			if s, ok := l.str(f.node, fp); ok {
				p.URL = s
			}
		case "username":
			if s, ok := l.str(f.node, fp); ok {
				p.Username = s
			}
		case "password":
			if s, ok := l.str(f.node, fp); ok {
				p.Password = s
			}
		case "timeout":
			if d, ok := l.duration(f.node, fp); ok {
				p.Timeout = d
			}
		case "tls":
			p.TLS = l.tls(f.node, fp, proxyTLSKeys)
		default:
			l.unknown(f, fp)
		}
	}
	return p
}

// validateProxy checks a remote's proxy settings like nats-server.
func validateProxy(r *RemoteLeafOpts) error {
	p := r.Proxy
	if p.URL == "" {
		if p.Username != "" || p.Password != "" || p.Timeout != 0 || p.TLS != nil {
			return errors.New("proxy URL must be specified when other proxy options are set")
		}
		return nil
	}
	u, err := url.Parse(p.URL)
	if err != nil {
		return fmt.Errorf("invalid proxy URL: %v", err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("proxy URL scheme must be http or https, got: %s", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("proxy URL must specify a host")
	}
	if p.TLS != nil && u.Scheme != "https" {
		return fmt.Errorf("proxy TLS configuration requires an https proxy URL, got: %s", u.Scheme)
	}
	if p.Timeout < 0 {
		return errors.New("proxy timeout must be >= 0")
	}
	if p.TLS != nil && p.TLS.Timeout < 0 {
		return errors.New("proxy TLS timeout must be >= 0")
	}
	if (p.Username == "") != (p.Password == "") {
		return errors.New("proxy username and password must both be specified or both be empty")
	}
	for _, ru := range r.URLs {
		if ru.Scheme == "wss" && r.TLS == nil {
			return fmt.Errorf("proxy is configured but remote URL %s requires TLS and no TLS configuration is provided. When using proxy with TLS endpoints, ensure TLS is properly configured for the leafnode remote", ru.Redacted())
		}
	}
	return nil
}

// expandPath expands $VARS and a leading "~" in a file name.
func expandPath(p string) (string, error) {
	p = os.ExpandEnv(p)
	if !strings.HasPrefix(p, "~") {
		return p, nil
	}
	home := os.Getenv("HOME")
	if home == "" {
		return "", errors.New("failed to get home dir, require $HOME")
	}
	return filepath.Join(home, p[1:]), nil
}

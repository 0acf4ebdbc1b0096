package config

// unsupportedReason is the reason given for settings nats-server knows but
// leafhub does not implement yet.
const unsupportedReason = "unsupported by leafhub (not implemented yet)"

// The tables below list, per block, the keys (all spellings, lower case)
// that nats-server accepts but leafhub does not implement yet. When a
// feature lands, delete its entries (and, for blocks that are not parsed
// yet, add the parsing). Keys in no table and not parsed are unknown.

// unsupportedTop are top-level keys.
var unsupportedTop = map[string]bool{
	"client_advertise":         true,
	"trace_verbose":            true,
	"trace_headers":            true,
	"logtime_utc":              true,
	"mappings":                 true,
	"maps":                     true,
	"disable_sublist_cache":    true,
	"no_sublist_cache":         true,
	"default_sentinel":         true,
	"https":                    true,
	"https_port":               true,
	"http_base_path":           true,
	"cluster":                  true,
	"gateway":                  true,
	"store_dir":                true,
	"storedir":                 true,
	"jetstream":                true,
	"logfile_size_limit":       true,
	"log_size_limit":           true,
	"logfile_max_num":          true,
	"log_max_num":              true,
	"syslog":                   true,
	"remote_syslog":            true,
	"ports_file_dir":           true,
	"proxy_protocol":           true,
	"max_traced_msg_len":       true,
	"max_sub_tokens":           true,
	"max_subscription_tokens":  true,
	"ocsp":                     true,
	"write_timeout":            true,
	"resolver_tls":             true,
	"resolver_pinned_accounts": true,
	"no_header_support":        true,
	"trusted":                  true,
	"trusted_keys":             true,
	"connect_error_reports":    true,
	"reconnect_error_reports":  true,
	"mqtt":                     true,
	"server_tags":              true,
	"server_metadata":          true,
	"feature_flags":            true,
	"default_js_domain":        true,
	"ocsp_cache":               true,
	"no_fast_producer_stall":   true,
	"max_closed_clients":       true,
	"proxies":                  true,
}

// unsupportedAuthorization are keys of the top-level authorization block.
var unsupportedAuthorization = map[string]bool{
	"auth_callout":   true,
	"auth_hook":      true,
	"proxy_required": true,
}

// unsupportedUser are keys of a users entry (authorization or account).
var unsupportedUser = map[string]bool{
	"proxy_required": true,
}

// unsupportedAccount are keys of an account block.
var unsupportedAccount = map[string]bool{
	"nkey":       true,
	"imports":    true,
	"exports":    true,
	"jetstream":  true,
	"mappings":   true,
	"maps":       true,
	"limits":     true,
	"msg_trace":  true,
	"trace_dest": true,
}

// unsupportedLeafnodes are keys of the leafnodes block. They are parsed
// and validated; this table only decides whether they are refused.
var unsupportedLeafnodes = map[string]bool{
	"advertise":          true,
	"leafnode_advertise": true,
	"write_timeout":      true,
}

// unsupportedLeafAuth are keys of leafnodes.authorization (parsed).
var unsupportedLeafAuth = map[string]bool{
	"proxy_required": true,
}

// unsupportedLeafUser are keys of leafnodes.authorization.users entries
// (parsed).
var unsupportedLeafUser = map[string]bool{
	"proxy_required": true,
}

// unsupportedRemote are keys of a leafnodes.remotes entry (parsed).
var unsupportedRemote = map[string]bool{
	"jetstream_cluster_migrate": true,
	"js_cluster_migrate":        true,
}

// unsupportedTLS are keys of a tls block that are not parsed at all
// (Windows certificate store and OCSP peer verification).
var unsupportedTLS = map[string]bool{
	"cert_store":              true,
	"cert_match_by":           true,
	"cert_match":              true,
	"ca_certs_match":          true,
	"cert_match_skip_invalid": true,
	"ocsp_peer":               true,
}

// seenKey is a key met while parsing a block, kept for the unsupported
// check that runs after the block is parsed.
type seenKey struct {
	f    *field
	path string
}

// checkUnsupported reports the keys of a parsed block that are in table.
func (l *loader) checkUnsupported(table map[string]bool, seen []seenKey) {
	for _, s := range seen {
		if table[s.f.lkey] {
			l.unsupported(s.f.node, s.path)
		}
	}
}

// unsupported reports a key leafhub does not implement yet.
func (l *loader) unsupported(n *node, path string) {
	l.errorf(n, path, "%s", unsupportedReason)
}

// unknown reports a key nats-server does not know either, unless it only
// defines a variable used elsewhere.
func (l *loader) unknown(f *field, path string) {
	if f.node.used {
		return
	}
	l.errorf(f.node, path, "unknown field %q", f.key)
}

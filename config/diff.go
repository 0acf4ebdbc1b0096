package config

import "reflect"

// diffKeys maps top-level configuration keys to the options they set.
var diffKeys = []struct {
	name string
	get  func(o *Options) any
}{
	{"server_name", func(o *Options) any { return o.ServerName }},
	{"host", func(o *Options) any { return o.Host }},
	{"port", func(o *Options) any { return o.Port }},
	{"http", func(o *Options) any { return [2]any{o.HTTPHost, o.HTTPPort} }},
	{"prof_port", func(o *Options) any { return o.ProfPort }},
	{"prof_block_rate", func(o *Options) any { return o.ProfBlockRate }},
	{"max_payload", func(o *Options) any { return o.MaxPayload }},
	{"max_control_line", func(o *Options) any { return o.MaxControlLine }},
	{"max_pending", func(o *Options) any { return o.MaxPending }},
	{"max_connections", func(o *Options) any { return o.MaxConn }},
	{"max_subscriptions", func(o *Options) any { return o.MaxSubs }},
	{"ping_interval", func(o *Options) any { return o.PingInterval }},
	{"ping_max", func(o *Options) any { return o.MaxPingsOut }},
	{"write_deadline", func(o *Options) any { return o.WriteDeadline }},
	{"debug", func(o *Options) any { return o.Debug }},
	{"trace", func(o *Options) any { return o.Trace }},
	{"logtime", func(o *Options) any { return o.Logtime }},
	{"logfile", func(o *Options) any { return o.LogFile }},
	{"pid_file", func(o *Options) any { return o.PidFile }},
	{"tls", func(o *Options) any { return o.TLS }},
	{"allow_non_tls", func(o *Options) any { return o.AllowNonTLS }},
	{"lame_duck_duration", func(o *Options) any { return o.LameDuckDuration }},
	{"lame_duck_grace_period", func(o *Options) any { return o.LameDuckGracePeriod }},
	{"authorization", func(o *Options) any {
		return []any{o.Username, o.Password, o.Token, o.AuthTimeout, o.DefaultPermissions, blockUsers(o, false)}
	}},
	{"accounts", func(o *Options) any { return []any{o.Accounts, blockUsers(o, true)} }},
	{"no_auth_user", func(o *Options) any { return o.NoAuthUser }},
	{"system_account", func(o *Options) any { return o.SystemAccount }},
	{"no_system_account", func(o *Options) any { return o.NoSystemAccount }},
	{"operator", func(o *Options) any { return []any{o.Operators, o.Resolver, o.ResolverPreload} }},
	{"leafnodes", func(o *Options) any { return o.LeafNode }},
	{"websocket", func(o *Options) any { return o.Websocket }},
	{"leafhub", func(o *Options) any { return []any{o.MetricsPrefix, o.ActorMetrics, o.PerActorMetrics} }},
}

// Diff lists the top-level configuration keys whose settings differ between
// old and new (for configuration reload), in a fixed order. Users are
// reported under "authorization" or "accounts", depending on where they
// are defined.
func Diff(old, new *Options) []string {
	a, b := stripped(old), stripped(new)
	var changed []string
	for _, k := range diffKeys {
		if !reflect.DeepEqual(k.get(a), k.get(b)) {
			changed = append(changed, k.name)
		}
	}
	return changed
}

// stripped is a copy without the bookkeeping that does not change
// behaviour (where settings were found in the file).
func stripped(o *Options) *Options {
	if o == nil {
		o = &Options{}
	}
	c := o.Clone()
	for _, u := range c.Users {
		u.src = ""
	}
	for _, u := range c.LeafNode.Users {
		u.src = ""
	}
	for _, r := range c.LeafNode.Remotes {
		r.src = ""
	}
	return c
}

// SameRemote reports whether two remotes are configured alike, every
// setting compared (for reload: an unchanged remote keeps its connection).
func SameRemote(a, b *RemoteLeafOpts) bool {
	ac, bc := *a, *b
	ac.src, bc.src = "", ""
	return reflect.DeepEqual(&ac, &bc)
}

// blockUsers returns the users of the accounts block (fromAccounts) or of
// the authorization block.
func blockUsers(o *Options, fromAccounts bool) []*User {
	var out []*User
	for _, u := range o.Users {
		if u.Account != GlobalAccount && !fromAccounts {
			continue
		}
		if u.Account == GlobalAccount && fromAccounts {
			continue
		}
		out = append(out, u)
	}
	return out
}

package hub

import (
	"fmt"
	"reflect"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/account"
	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/actors/remote"
	"github.com/leafhub/leafhub/config"
)

// Reload applies a new configuration (SIGHUP), as nats-server does for
// what leafhub supports:
//   - remotes: added ones start, removed ones stop (with their connection),
//     changed ones restart; unchanged remotes and their connections are
//     not touched;
//   - users, passwords, permissions and accounts: every connection is
//     checked again: no longer authorized → "Authorization Violation",
//     moved to another account → closed, else new permissions apply;
//   - max_payload and max_control_line apply to open client connections at
//     once; a lower max_connections closes clients at random down to it
//     ("maximum connections exceeded"); changed pinned_certs close the
//     clients whose certificate they no longer name;
//   - a new pid_file is written;
//   - ping_interval and ping_max apply from each connection's next PING
//     tick; everything else applies to new connections.
//
// What nats-server cannot change at run time (see reloadable) is refused
// and nothing changes. It returns the names of the changed settings.
func (s *Server) Reload(o *config.Options) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return nil, fmt.Errorf("config reload refused: leafhub is shutting down (lame duck mode)")
	}
	old := s.opts
	if err := reloadable(old, o); err != nil {
		return nil, err
	}
	changed := config.Diff(old, o)
	for _, a := range o.Accounts {
		if _, ok := s.accounts[a.Name]; !ok {
			if err := s.startAccount(a.Name); err != nil {
				return nil, err
			}
		}
	}
	prev := s.opts
	s.opts = o
	env, err := s.newEnvFrom(s.env)
	if err != nil {
		s.opts = prev
		return nil, err
	}
	s.env = env
	s.loadTime = time.Now()
	env.ClientLimits.Set(o) // open client connections too, before their next read
	if old.ProfBlockRate != o.ProfBlockRate {
		s.setBlockProfileRate(o.ProfBlockRate)
	}
	if o.PidFile != "" && o.PidFile != old.PidFile {
		// As nats-server: the new file gets our pid; a failure is logged
		// and the reload stands.
		if err := s.writePidFile(o.PidFile); err != nil {
			s.log.Error("cannot write the pid file", zap.String("pid_file", o.PidFile), zap.Error(err))
		}
	}
	s.sys.Root.Send(s.connsSup, &conn.Reconfigure{Env: env})
	if err := s.reconcileRemotes(o); err != nil {
		return changed, err
	}
	return changed, nil
}

// reloadable refuses changes leafhub (like nats-server) cannot make at run time.
func reloadable(old, o *config.Options) error {
	switch {
	case old.Host != o.Host || old.Port != o.Port:
		return fmt.Errorf("config reload not supported for listen (client address %s:%d → %s:%d): restart leafhub",
			old.Host, old.Port, o.Host, o.Port)
	case old.MonitorHost() != o.MonitorHost() || old.HTTPPort != o.HTTPPort:
		return fmt.Errorf("config reload not supported for http (monitoring address): restart leafhub")
	case old.ProfPort != o.ProfPort:
		return fmt.Errorf("config reload not supported for prof_port: restart leafhub")
	case old.ServerName != o.ServerName:
		return fmt.Errorf("config reload not supported for server_name: restart leafhub")
	case !reflect.DeepEqual(old.Websocket, o.Websocket):
		return fmt.Errorf("config reload not supported for websocket: restart leafhub")
	case old.LeafNode.Host != o.LeafNode.Host || old.LeafNode.Port != o.LeafNode.Port:
		return fmt.Errorf("config reload not supported for leafnodes listen: restart leafhub")
	case !reflect.DeepEqual(operatorJWTs(old), operatorJWTs(o)) || old.Resolver != o.Resolver ||
		!reflect.DeepEqual(old.ResolverPreload, o.ResolverPreload):
		return fmt.Errorf("config reload not supported for operator, resolver or resolver_preload: restart leafhub")
	case old.Logtime != o.Logtime || old.LogFile != o.LogFile:
		return fmt.Errorf("config reload not supported for logtime or logfile: restart leafhub (SIGUSR1 reopens the log file)")
	case old.SystemAccount != o.SystemAccount || old.NoSystemAccount != o.NoSystemAccount:
		return fmt.Errorf("config reload not supported for system_account: restart leafhub")
	case (len(old.LeafNode.Remotes) > 0) != (len(o.LeafNode.Remotes) > 0):
		// The cluster name leaf peers know us by is the server name when
		// remotes exist: it cannot appear or vanish under live connections.
		return fmt.Errorf("config reload cannot add the first remote or remove the last one: restart leafhub")
	}
	// The rest of what nats-server's diffOptions refuses, among the
	// settings leafhub has.
	for _, k := range []struct {
		key      string
		old, new any
	}{
		{"max_pending", old.MaxPending, o.MaxPending},
		{"max_subscriptions", old.MaxSubs, o.MaxSubs},
		{"allow_non_tls", old.AllowNonTLS, o.AllowNonTLS},
		{"lame_duck_duration", old.LameDuckDuration, o.LameDuckDuration},
		{"lame_duck_grace_period", old.LameDuckGracePeriod, o.LameDuckGracePeriod},
		{"tls verify_and_map", old.TLS != nil && old.TLS.Map, o.TLS != nil && o.TLS.Map},
	} {
		if k.old != k.new {
			return notSupported(k.key, k.old, k.new)
		}
	}
	if old.NoAuthUser != o.NoAuthUser {
		// nats-server lets no_auth_user go only together with its user.
		if old.NoAuthUser == "" || o.NoAuthUser != "" || hasUserName(o, old.NoAuthUser) {
			return notSupported("no_auth_user", old.NoAuthUser, o.NoAuthUser)
		}
	}
	return nil
}

// notSupported is the refusal of a changed setting, in nats-server's words
// (with the configuration key where nats-server names its Options field).
func notSupported(key string, old, new any) error {
	return fmt.Errorf("config reload not supported for %s: old=%v, new=%v", key, old, new)
}

// hasUserName reports whether o has a user of that name.
func hasUserName(o *config.Options, name string) bool {
	for _, u := range o.Users {
		if u.Username == name {
			return true
		}
	}
	return false
}

// newEnvFrom builds the connection environment of the current options,
// keeping the counters and the listener details of the running one.
func (s *Server) newEnvFrom(old *conn.Env) (*conn.Env, error) {
	env, err := s.newEnvChecked() // certificates are read again: renewed ones apply to new connections
	if err != nil {
		return nil, err
	}
	env.Totals, env.ClientLimits = old.Totals, old.ClientLimits
	env.Info.Port, env.WSPort = old.Info.Port, old.WSPort
	env.LeafInfo.Host, env.LeafInfo.Port = old.LeafInfo.Host, old.LeafInfo.Port
	env.LeafInfo.IP, env.LeafInfo.LeafNodeURLs = old.LeafInfo.IP, old.LeafInfo.LeafNodeURLs
	return env, nil
}

// remoteEntry is one running remote: its actor and the configuration it
// runs with.
type remoteEntry struct {
	sh       *remote.Shared
	pid      *actor.PID
	opts     *config.RemoteLeafOpts
	interval time.Duration // leafnodes.reconnect
	index    int           // position in leafnodes.remotes (/remotez, /metrics)
}

// reconcileRemotes keeps remotes whose configuration did not change, stops
// those that were removed or changed, and starts the new ones. mu is held.
func (s *Server) reconcileRemotes(o *config.Options) error {
	interval := o.LeafNode.ReconnectInterval
	taken := make([]bool, len(o.LeafNode.Remotes)) // new remotes an old one carries on
	var kept []remoteEntry
	for _, e := range s.remotes {
		j := -1
		for i, r := range o.LeafNode.Remotes {
			if !taken[i] && e.interval == interval && config.SameRemote(e.opts, r) {
				j = i
				break
			}
		}
		if j >= 0 {
			taken[j] = true
			e.index = j
			kept = append(kept, e)
			continue
		}
		s.log.Info("remote removed or changed by the reload; stopping it", zap.Int("remote", e.index))
		_ = s.sys.Root.StopFuture(e.pid).Wait()
	}
	s.remotes = kept
	for j, r := range o.LeafNode.Remotes {
		if taken[j] {
			continue
		}
		s.log.Info("remote added by the reload", zap.Strings("urls", r.HostPorts()))
		if err := s.spawnRemote(j, r, interval); err != nil {
			return err
		}
	}
	return nil
}

// startAccount starts the actor of one account.
func (s *Server) startAccount(name string) error {
	sh := account.NewShared(name)
	props := account.Props(sh, s.log).Configure(actorMailbox(s.reg, "account"))
	pid, err := spawnUnder(s.sys.Root, s.accSup, props, "account-"+actorName(name))
	if err != nil {
		return err
	}
	s.accounts[name] = &conn.AccountRef{Route: sh.Route, PID: pid, LDS: sh.LDS}
	return nil
}

// Options returns the running configuration.
func (s *Server) Options() (*config.Options, error) {
	o, _ := s.current()
	return o, nil
}

// operatorJWTs are the trusted operators' JWTs.
func operatorJWTs(o *config.Options) []string {
	var out []string
	for _, op := range o.Operators {
		out = append(out, op.JWT)
	}
	return out
}

package conn

import (
	"strings"
	"sync/atomic"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// leafPerms are the three permission questions of a leaf connection (spec
// 12): may we deliver a subject to the peer, may we announce interest in it,
// may we accept a message on it from the peer. Immutable (but for the
// denyUp filter); a change of
// permissions builds a new one.
type leafPerms struct {
	user    *auth.Perms // nil: no limits
	denyPub []string    // CONNECT deny_pub (accept side)
	js      []string    // JetStream denies, both directions
	// accepted: user is the bound user's permissions, read in reverse (the
	// user describes the leaf as our client), whatever the role. Else user
	// is what the hub lets us do (its INFO import and export).
	accepted bool
	hubRole  bool
	// subAllow and subDeny are what nats-server calls the connection's
	// subscribe permission, which decides the interest we announce: the
	// user's publish permission on an accepted connection, the hub's import
	// on a solicited one. Plain entries only (a "subject queue" entry does
	// not apply to plain interest); subAllow nil allows everything.
	subAllow, subDeny []string
	// denyUp: on a solicited link, messages whose subject the subscribe
	// deny list names are no longer sent up. nats-server arms this filter
	// once the hub sends a wildcard or queue LS+ that collides with a deny
	// entry (until then a literal LS+ gets its messages). Set by the actor,
	// read by publishers.
	denyUp atomic.Bool
}

// jsDenies are the subjects a server without JetStream denies on its leaf
// connections in both directions (spec 14.1); sysJSDenies are added when the
// connection is bound to the system account.
var (
	jsDenies    = []string{"$JS.API.>", "$KV.>", "$OBJ.>"}
	sysJSDenies = []string{"$JS.API.>", "$KV.>", "$OBJ.>", "$JSC.>", "$NRG.>"}
)

// Prefixes whose inbound messages bypass the acceptance check.
var leafAcceptBypass = []string{"_R_.", "$JS.ACK.", "_GR_.", "$GR."}

// newPerms builds the connection's permissions from user: on an accepted
// connection the bound user's, on a solicited one what the hub's INFO
// allows (with our deny_imports and deny_exports, see spokePerms). The role
// only decides how an inbound message is checked and what a violation does.
func (l *leaf) newPerms(user *auth.Perms) *leafPerms {
	p := &leafPerms{user: user, denyPub: l.denyPub, js: jsDenies, accepted: l.remote == nil, hubRole: l.hubRole}
	if l.system {
		p.js = sysJSDenies
	}
	if c := user.ConfigPermissions(); c != nil {
		sp := c.Subscribe
		if p.accepted {
			sp = c.Publish
		}
		if sp != nil {
			p.subAllow, p.subDeny = plainEntries(sp.Allow), plainEntries(sp.Deny)
		}
	}
	return p
}

func matchAny(patterns []string, subject string) bool {
	for _, p := range patterns {
		if protocol.SubjectMatches(p, subject) {
			return true
		}
	}
	return false
}

// deliver: may a message on subject be sent to the peer.
func (p *leafPerms) deliver(subject string) bool {
	if matchAny(p.js, subject) || matchAny(p.denyPub, subject) {
		return false
	}
	if p.accepted {
		return p.user.CanSubscribe(subject, "")
	}
	if p.denyUp.Load() && matchAny(p.subDeny, subject) {
		return false
	}
	return p.user.CanPublish(subject)
}

// armDenyUp arms the solicited link's deny filter when the hub's LS+ is a
// wildcard or queue subscription that collides with a subscribe deny entry,
// as nats-server loads its deny filter.
func (p *leafPerms) armDenyUp(subject, queue string) {
	if p.accepted || p.denyUp.Load() || (queue == "" && protocol.IsLiteral(subject)) {
		return
	}
	for _, d := range p.subDeny {
		if protocol.SubjectsCollide(d, subject) {
			p.denyUp.Store(true)
			return
		}
	}
}

// announce: may interest in subject be announced to the peer. As
// nats-server checks a leaf connection's subscribe permission: a subject
// that an allow entry matches, or a wildcard that overlaps one (">" or
// "*.x" against "sub.>": the peer sends only what it allows), and that no
// deny entry matches.
func (p *leafPerms) announce(subject string) bool {
	if matchAny(p.js, subject) || matchAny(p.subDeny, subject) {
		return false
	}
	if p.subAllow == nil || matchAny(p.subAllow, subject) {
		return true
	}
	if !protocol.IsLiteral(subject) {
		for _, a := range p.subAllow {
			if protocol.SubjectsCollide(a, subject) {
				return true
			}
		}
	}
	return false
}

// plainEntries are the entries of a subscribe permission list that name no
// queue group (nil stays nil: no list).
func plainEntries(entries []string) []string {
	if entries == nil {
		return nil
	}
	out := []string{}
	for _, e := range entries {
		if f := strings.Fields(e); len(f) == 1 {
			out = append(out, f[0])
		}
	}
	return out
}

// accept: may a message from the peer on subject be delivered here. As
// nats-server: a hub-role connection checks the publish permission as
// configured (the user's, or the hub's export); a spoke-role one what we
// may receive (the reversed user's publish, or the hub's import) and the
// JetStream denies.
func (p *leafPerms) accept(subject []byte) bool {
	s := string(subject)
	for _, b := range leafAcceptBypass {
		if strings.HasPrefix(s, b) {
			return true
		}
	}
	if p.hubRole {
		return p.user.CanPublish(s)
	}
	if s != "" && s[0] == '$' && matchAny(p.js, s) { // every JetStream deny starts with $
		return false
	}
	if p.accepted {
		return p.user.CanPublish(s)
	}
	return p.user.CanSubscribe(s, "")
}

// spokePerms are a soliciting connection's permissions (spec 12.2): publish
// = the hub's INFO export plus our deny_exports, subscribe = its import
// plus our deny_imports. si may be nil (nothing from the hub yet).
func spokePerms(si *protocol.ServerInfo, r *config.RemoteLeafOpts) *auth.Perms {
	var imp, exp *protocol.SubjectPermission
	if si != nil {
		imp, exp = si.Import, si.Export
	}
	if imp == nil && exp == nil && len(r.DenyImports) == 0 && len(r.DenyExports) == 0 {
		return nil
	}
	conv := func(sp *protocol.SubjectPermission, deny []string) *config.SubjectPermission {
		if sp == nil && len(deny) == 0 {
			return nil
		}
		out := &config.SubjectPermission{Deny: append([]string(nil), deny...)}
		if sp != nil {
			out.Allow = sp.Allow
			out.Deny = append(out.Deny, sp.Deny...)
		}
		return out
	}
	return auth.Compile(&config.Permissions{Publish: conv(exp, r.DenyExports), Subscribe: conv(imp, r.DenyImports)})
}

// wirePermission is a configured permission as INFO import/export carry it.
func wirePermission(sp *config.SubjectPermission) *protocol.SubjectPermission {
	if sp == nil {
		return nil
	}
	return &protocol.SubjectPermission{Allow: sp.Allow, Deny: sp.Deny}
}

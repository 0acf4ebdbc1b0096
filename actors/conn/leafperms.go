package conn

import (
	"strings"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// leafPerms are the three permission questions of a leaf connection (spec
// 12): may we deliver a subject to the peer, may we announce interest in it,
// may we accept a message on it from the peer. Immutable; a change of
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

// newLeafPerms builds a connection's permissions: on an accepted connection
// user is the bound user's, on a solicited one what the hub's INFO allows
// (with our deny_imports and deny_exports). The role only decides how an
// inbound message is checked and what a violation does.
func newLeafPerms(user *auth.Perms, denyPub []string, system, accepted, hubRole bool) *leafPerms {
	js := jsDenies
	if system {
		js = sysJSDenies
	}
	return &leafPerms{user: user, denyPub: denyPub, js: js, accepted: accepted, hubRole: hubRole}
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
	return p.user.CanPublish(subject)
}

// announce: may interest in subject be announced to the peer.
func (p *leafPerms) announce(subject string) bool {
	if matchAny(p.js, subject) {
		return false
	}
	if p.accepted {
		return p.user.CanAnnounce(subject)
	}
	return p.user.CanSubscribe(subject, "")
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

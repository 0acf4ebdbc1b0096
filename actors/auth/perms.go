package auth

import (
	"strings"

	"github.com/leafhub/leafhub/config"
	"github.com/leafhub/leafhub/protocol"
)

// Perms are one user's compiled publish and subscribe permissions.
type Perms struct {
	pubAllow, pubDeny []string // nil allow = everything allowed
	subAllow, subDeny []rule
	hasPubAllow       bool
	hasSubAllow       bool
	// Response is allow_responses (nil when off).
	Response *config.ResponsePermission
	// Config is what the permissions were compiled from.
	Config *config.Permissions
}

// rule is a subscribe permission entry: "subject" or "subject queue".
type rule struct{ subject, queue string }

// Compile turns configured permissions into Perms. nil gives nil (no limits).
// As nats-server, it takes the permissions as they are: the empty publish
// allow list that allow_responses implies is set where permissions are
// made (the configuration parser, permsFromJWT).
func Compile(p *config.Permissions) *Perms {
	if p == nil || (p.Publish == nil && p.Subscribe == nil && p.Response == nil) {
		return nil
	}
	c := &Perms{Response: p.Response, Config: p}
	if p.Publish != nil {
		c.pubAllow, c.pubDeny = p.Publish.Allow, p.Publish.Deny
		c.hasPubAllow = p.Publish.Allow != nil
	}
	if p.Subscribe != nil {
		c.subAllow, c.subDeny = rules(p.Subscribe.Allow), rules(p.Subscribe.Deny)
		c.hasSubAllow = p.Subscribe.Allow != nil
	}
	return c
}

func rules(entries []string) []rule {
	if entries == nil {
		return nil
	}
	out := make([]rule, 0, len(entries))
	for _, e := range entries {
		f := strings.Fields(e)
		switch len(f) {
		case 0:
			continue
		case 1:
			out = append(out, rule{subject: f[0]})
		default:
			out = append(out, rule{subject: f[0], queue: f[1]})
		}
	}
	return out
}

// ConfigPermissions returns the configuration the permissions came from
// (nil when p is nil).
func (p *Perms) ConfigPermissions() *config.Permissions {
	if p == nil {
		return nil
	}
	return p.Config
}

// ResponsePermission returns allow_responses (nil when off or p is nil).
func (p *Perms) ResponsePermission() *config.ResponsePermission {
	if p == nil {
		return nil
	}
	return p.Response
}

// CanPublish reports whether the subject may be published.
func (p *Perms) CanPublish(subject string) bool {
	if p == nil {
		return true
	}
	if p.hasPubAllow && !anyMatch(p.pubAllow, subject) {
		return false
	}
	return !anyMatch(p.pubDeny, subject)
}

// CanSubscribe reports whether a subscription (queue "" for plain) is allowed.
// As in nats-server, the subscription subject's tokens are matched against
// the permission patterns token by token, wildcards in the subject being
// plain tokens: allow "foo.>" permits "foo.*".
func (p *Perms) CanSubscribe(subject, queue string) bool {
	if p == nil {
		return true
	}
	allowed := true
	if p.hasSubAllow {
		plain, queues := matchRules(p.subAllow, subject)
		allowed = plain
		if queue != "" && len(queues) > 0 {
			allowed = queueIn(queue, queues)
		}
	}
	if allowed && len(p.subDeny) > 0 {
		plain, queues := matchRules(p.subDeny, subject)
		allowed = !plain
		if allowed && queue != "" && len(queues) > 0 {
			allowed = !queueIn(queue, queues)
		}
	}
	return allowed
}

// DenyFilter returns the subscribe-deny subjects that a subscription may
// still see messages of (a wildcard subscription overlapping a deny entry, or
// a queue subscription): those messages must not be delivered to it.
func (p *Perms) DenyFilter(subject, queue string) []string {
	if p == nil || len(p.subDeny) == 0 || (queue == "" && !hasWildcard(subject)) {
		return nil
	}
	var out []string
	for _, r := range p.subDeny {
		if r.queue == "" && protocol.SubjectsCollide(r.subject, subject) {
			out = append(out, r.subject)
		}
	}
	return out
}

func matchRules(rs []rule, subject string) (plain bool, queues []string) {
	for _, r := range rs {
		if !match(r.subject, subject) {
			continue
		}
		if r.queue == "" {
			plain = true
		} else {
			queues = append(queues, r.queue)
		}
	}
	return plain, queues
}

func queueIn(queue string, queues []string) bool {
	for _, q := range queues {
		if match(q, queue) {
			return true
		}
	}
	return false
}

func anyMatch(patterns []string, subject string) bool {
	for _, p := range patterns {
		if match(p, subject) {
			return true
		}
	}
	return false
}

func hasWildcard(subject string) bool { return !protocol.IsLiteral(subject) }

// match is nats-server's permission test: the subject's tokens against the
// pattern's, wildcards in the subject being plain tokens.
func match(pattern, subject string) bool { return protocol.SubjectMatches(pattern, subject) }

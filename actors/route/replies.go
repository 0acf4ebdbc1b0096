package route

import "time"

// replyPerms implements allow_responses: a connection may publish on the
// reply subject of a message it received, maxMsgs times within ttl, even if
// its publish permissions do not allow that subject. Guarded by the
// endpoint's Out.mu: publishers record replies while they deliver.
type replyPerms struct {
	maxMsgs    int
	ttl        time.Duration
	static     func(subject string) bool // the publish permission without replies
	m          map[string]replyUse
	sincePrune int
	lastPrune  time.Time
}

type replyUse struct {
	at time.Time
	n  int
}

// Pruning of expired or used-up replies, as nats-server does it: after this
// many new replies or this much time.
const (
	replyPruneEvery = 4096
	replyPruneAfter = time.Second
)

// SetResponsePermission enables allow_responses for the endpoint, with no
// reply recorded yet; a nil static turns it off. static is the connection's
// publish permission check; replies it allows anyway are not tracked.
func (e *Endpoint) SetResponsePermission(maxMsgs int, ttl time.Duration, static func(string) bool) {
	var r *replyPerms
	if static != nil {
		r = &replyPerms{maxMsgs: maxMsgs, ttl: ttl, static: static, m: make(map[string]replyUse), lastPrune: time.Now()}
	}
	e.Out.mu.Lock()
	e.replies = r
	e.Out.mu.Unlock()
}

// recordLocked notes a reply subject delivered to the endpoint. Out.mu held.
func (r *replyPerms) recordLocked(reply []byte) {
	key := string(reply) // one conversion: the map keeps it
	if r.static(key) {
		return
	}
	now := time.Now()
	r.m[key] = replyUse{at: now}
	r.sincePrune++
	if r.sincePrune > replyPruneEvery || now.Sub(r.lastPrune) > replyPruneAfter {
		for k, u := range r.m {
			if (r.maxMsgs > 0 && u.n >= r.maxMsgs) || (r.ttl > 0 && now.Sub(u.at) > r.ttl) {
				delete(r.m, k)
			}
		}
		r.sincePrune, r.lastPrune = 0, now
	}
}

// ResponseAllowed reports whether the endpoint may publish on subject as a
// response, and counts the use.
func (e *Endpoint) ResponseAllowed(subject []byte) bool {
	o := e.Out
	o.mu.Lock()
	defer o.mu.Unlock()
	r := e.replies
	if r == nil {
		return false
	}
	u, ok := r.m[string(subject)]
	if !ok {
		return false
	}
	u.n++
	if (r.maxMsgs > 0 && u.n > r.maxMsgs) || (r.ttl > 0 && time.Since(u.at) > r.ttl) {
		delete(r.m, string(subject))
		return false
	}
	r.m[string(subject)] = u
	return true
}

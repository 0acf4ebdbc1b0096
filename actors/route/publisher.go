package route

import (
	"math/rand/v2"

	"github.com/leafhub/leafhub/protocol"
	"github.com/leafhub/leafhub/protocol/sublist"
)

// maxCachedSubjects bounds a publisher's match cache; it is emptied when full.
const maxCachedSubjects = 4096

// Publisher delivers the messages one reader goroutine parsed. It is not safe
// for concurrent use.
type Publisher struct {
	from *Endpoint
	acc  *Account

	snap  *sublist.Snapshot[*Sub]
	cache map[string]*sublist.Result[*Sub]

	touched    []*Outbound
	touchedSet map[*Outbound]struct{} // used once touched is long
	rng        *rand.Rand
}

// NewPublisher returns the publisher of the reader of from.
func NewPublisher(from *Endpoint, seed uint64) *Publisher {
	return &Publisher{
		from:  from,
		cache: make(map[string]*sublist.Result[*Sub]),
		rng:   rand.New(rand.NewPCG(seed, from.ID)),
	}
}

// SetAccount binds the publisher to the account its connection is bound to.
func (p *Publisher) SetAccount(a *Account) {
	p.acc = a
	p.snap = nil
	clear(p.cache)
}

// Account returns the bound account (nil before binding).
func (p *Publisher) Account() *Account { return p.acc }

// Match returns the current result for a literal subject, from the cache when
// the snapshot did not change.
func (p *Publisher) Match(subject []byte) *sublist.Result[*Sub] {
	snap := p.acc.Snapshot()
	if snap != p.snap {
		p.snap = snap
		clear(p.cache)
	}
	if r, ok := p.cache[string(subject)]; ok {
		return r
	}
	key := string(subject)
	r := snap.Match(key)
	if len(p.cache) >= maxCachedSubjects {
		clear(p.cache)
	}
	p.cache[key] = &r
	return &r
}

// Publish delivers a message to every matching plain subscription and to one
// member of each matching queue group. hdrLen is -1 for a message without
// headers; msg holds headers and payload. It returns how many subscriptions
// received it.
func (p *Publisher) Publish(subject, reply []byte, hdrLen int, msg []byte) int {
	r := p.Match(subject)
	n := 0
	for _, s := range r.Plain {
		if p.deliver(s, subject, reply, hdrLen, msg) {
			n++
		}
	}
	for i := range r.Groups {
		members := r.Groups[i].Members
		start := 0
		if len(members) > 1 {
			start = p.rng.IntN(len(members))
		}
		for j := range members {
			if p.deliver(members[(start+j)%len(members)], subject, reply, hdrLen, msg) {
				n++
				break
			}
		}
	}
	return n
}

// deliver appends one message for s to its endpoint's queue.
func (p *Publisher) deliver(s *Sub, subject, reply []byte, hdrLen int, msg []byte) bool {
	ep := s.EP
	if ep == p.from && !ep.Echo() {
		return false
	}
	if len(s.DenyFilter) > 0 && deniedBy(s.DenyFilter, subject) {
		return false
	}
	withHeaders := hdrLen >= 0 && ep.Headers()
	if hdrLen > 0 && !withHeaders {
		msg = msg[hdrLen:]
	}
	o := ep.Out
	o.mu.Lock()
	if o.closed || s.closed || (s.max > 0 && s.delivered >= s.max) {
		o.mu.Unlock()
		return false
	}
	s.delivered++
	reachedMax := s.max > 0 && s.delivered == s.max
	if !withHeaders {
		hdrLen = -1
	}
	o.buf = protocol.AppendMsgSID(o.buf, subject, s.SID, reply, hdrLen, msg)
	o.outMsgs++
	o.outBytes += int64(len(msg))
	if ep.replies != nil && len(reply) > 0 {
		ep.replies.recordLocked(reply)
	}
	slow := o.overLimitLocked()
	o.mu.Unlock()
	if slow {
		o.fail(FailSlowConsumer)
		return false
	}
	if reachedMax && ep.Notify != nil {
		ep.Notify(s)
	}
	p.touch(o)
	return true
}

func deniedBy(deny []string, subject []byte) bool {
	for _, d := range deny {
		if protocol.SubjectMatches(d, string(subject)) {
			return true
		}
	}
	return false
}

// touchScanMax is how many touched queues are searched linearly before the
// publisher switches to a set (large fan-outs).
const touchScanMax = 16

func (p *Publisher) touch(o *Outbound) {
	if len(p.touched) < touchScanMax {
		for _, t := range p.touched {
			if t == o {
				return
			}
		}
		p.touched = append(p.touched, o)
		return
	}
	if p.touchedSet == nil {
		p.touchedSet = make(map[*Outbound]struct{})
	}
	if len(p.touchedSet) == 0 {
		for _, t := range p.touched {
			p.touchedSet[t] = struct{}{}
		}
	}
	if _, ok := p.touchedSet[o]; ok {
		return
	}
	p.touchedSet[o] = struct{}{}
	p.touched = append(p.touched, o)
}

// Touch records that o has new bytes to be flushed by Flush.
func (p *Publisher) Touch(o *Outbound) { p.touch(o) }

// Flush wakes the writers of every queue touched since the last Flush.
func (p *Publisher) Flush() {
	for i, o := range p.touched {
		o.Signal()
		p.touched[i] = nil
	}
	p.touched = p.touched[:0]
	clear(p.touchedSet)
}

// NoResponders sends the publisher the no-responders status (503) on its own
// subscription that matches reply, as nats-server does for a request nobody
// received. It reports whether such a subscription existed.
func (p *Publisher) NoResponders(subject, reply []byte) bool {
	r := p.Match(reply)
	for _, s := range r.Plain {
		if s.EP != p.from {
			continue
		}
		o := p.from.Out
		o.mu.Lock()
		if o.closed || s.closed {
			o.mu.Unlock()
			return false
		}
		o.buf = protocol.AppendNoResponders(o.buf, reply, s.SID, subject)
		o.mu.Unlock()
		p.touch(o)
		return true
	}
	return false
}

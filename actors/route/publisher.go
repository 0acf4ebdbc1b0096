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
	targets    []leafTarget           // leaf connections of the message being routed
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
	p.acc.Matches.Add(1)
	if len(p.cache) >= maxCachedSubjects {
		clear(p.cache)
	}
	p.cache[key] = &r
	return &r
}

// Publish delivers a message from a client to every matching plain
// subscription and to one member of each matching queue group (a local
// member when the group has one, else a leaf chosen by weight). hdrLen is -1
// for a message without headers; msg holds headers and payload. It returns
// how many destinations received it; a leaf connection counts once.
func (p *Publisher) Publish(subject, reply []byte, hdrLen int, msg []byte) int {
	return p.route(subject, reply, nil, false, hdrLen, msg)
}

// PublishFromLeaf delivers an LMSG received on the publisher's leaf
// connection: plain subscriptions always, queue groups only when the sender
// listed them, never back to the sender or to its cluster.
func (p *Publisher) PublishFromLeaf(subject, reply []byte, queues [][]byte, hdrLen int, msg []byte) int {
	return p.route(subject, reply, queues, true, hdrLen, msg)
}

// leafTarget collects what one leaf connection gets of a message: a line
// carries every queue group chosen for it.
type leafTarget struct {
	ep     *Endpoint
	groups []string
}

func (p *Publisher) route(subject, reply []byte, queues [][]byte, fromLeaf bool, hdrLen int, msg []byte) int {
	r := p.Match(subject)
	p.targets = p.targets[:0]
	// Clients get a JetStream delivery that crossed a leaf on its deliver
	// subject, with the bare ack reply; leafs get it as it came.
	csubject, creply := subject, reply
	if fromLeaf {
		if i := jsAckDeliverIndex(reply); i > 0 && i < len(reply)-1 {
			csubject, creply = reply[i+1:], reply[:i]
		}
	}
	n := 0
	for _, s := range r.Plain {
		if s.EP.Kind == KindLeaf {
			if p.eligibleLeaf(s.EP) {
				p.target(s.EP, "")
			}
			continue
		}
		if p.deliver(s, csubject, creply, hdrLen, msg) {
			n++
		}
	}
	for i := range r.Groups {
		g := &r.Groups[i]
		if fromLeaf && !listed(g.Name, queues) {
			continue
		}
		if p.deliverGroup(g, csubject, creply, hdrLen, msg) {
			n++
		}
	}
	for i := range p.targets {
		if p.deliverLeaf(&p.targets[i], subject, reply, hdrLen, msg) {
			n++
		}
		p.targets[i].ep = nil // the group list's storage stays for the next message
	}
	return n
}

// jsAckPrefix starts JetStream acknowledgement subjects.
const jsAckPrefix = "$JS.ACK."

// jsAckDeliverIndex finds the '@' that separates a JetStream ack reply from
// the deliver subject appended to it when the message crossed a leaf or a
// route ($JS.ACK.<stream>.<consumer>.<n>.<sseq>.<cseq>.<ts>.<pending>@subj):
// the first '@' after the eighth dot. -1 when reply is not in that form.
func jsAckDeliverIndex(reply []byte) int {
	if len(reply) <= len(jsAckPrefix) || string(reply[:len(jsAckPrefix)]) != jsAckPrefix {
		return -1
	}
	dots := 0
	for i, b := range reply {
		switch b {
		case '.':
			dots++
		case '@':
			if dots >= 8 {
				return i
			}
		}
	}
	return -1
}

func listed(name string, queues [][]byte) bool {
	for _, q := range queues {
		if string(q) == name {
			return true
		}
	}
	return false
}

// eligibleLeaf: never back to the sending leaf, nor to a leaf of the
// sender's cluster.
func (p *Publisher) eligibleLeaf(ep *Endpoint) bool {
	if ep == p.from {
		return false
	}
	if from := p.from.Leaf; from != nil && from.Cluster != "" && ep.Leaf.Cluster == from.Cluster {
		return false
	}
	return true
}

// target adds group (or plain interest, "") for a leaf to this message's targets.
func (p *Publisher) target(ep *Endpoint, group string) {
	for i := range p.targets {
		if p.targets[i].ep == ep {
			if group != "" {
				p.targets[i].groups = append(p.targets[i].groups, group)
			}
			return
		}
	}
	// Reuse a slot of an earlier message, and its group list's storage.
	n := len(p.targets)
	if n == cap(p.targets) {
		p.targets = append(p.targets, leafTarget{})
	}
	p.targets = p.targets[:n+1]
	t := &p.targets[n]
	t.ep, t.groups = ep, t.groups[:0]
	if group != "" {
		t.groups = append(t.groups, group)
	}
}

// deliverGroup gives the message to one member of a queue group: the first
// local member (from a random start) that takes it; if none, a leaf member
// drawn with probability proportional to its weight.
func (p *Publisher) deliverGroup(g *sublist.Group[*Sub], subject, reply []byte, hdrLen int, msg []byte) bool {
	members := g.Members
	start := 0
	if len(members) > 1 {
		start = p.rng.IntN(len(members))
	}
	leafWeight := 0
	for j := range members {
		s := members[(start+j)%len(members)]
		if s.EP.Kind == KindLeaf {
			if p.eligibleLeaf(s.EP) && !s.Closed() {
				leafWeight += s.Members()
			}
			continue
		}
		if p.deliver(s, subject, reply, hdrLen, msg) {
			return true
		}
	}
	if leafWeight == 0 {
		return false
	}
	pick := p.rng.IntN(leafWeight)
	for _, s := range members {
		if s.EP.Kind != KindLeaf || !p.eligibleLeaf(s.EP) || s.Closed() {
			continue
		}
		if pick -= s.Members(); pick < 0 {
			p.target(s.EP, g.Name)
			return false // counted when the leaf line is written
		}
	}
	return false
}

// deliverLeaf writes one LMSG (or leaf HMSG) for a leaf target.
func (p *Publisher) deliverLeaf(t *leafTarget, subject, reply []byte, hdrLen int, msg []byte) bool {
	ep := t.ep
	withHeaders := hdrLen >= 0 && ep.Headers()
	if hdrLen > 0 && !withHeaders {
		msg = msg[hdrLen:]
	}
	if !withHeaders {
		hdrLen = -1
	}
	o := ep.Out
	o.mu.Lock()
	if o.closed || !ep.Leaf.mayDeliverLocked(subject) {
		o.mu.Unlock()
		return false
	}
	o.buf = protocol.AppendLMsgGroups(o.buf, subject, reply, t.groups, hdrLen, msg)
	o.outMsgs++
	o.outBytes += int64(len(msg)) // leafs have no allow_responses: nothing to record
	o.mu.Unlock()
	p.touch(o)
	return true
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

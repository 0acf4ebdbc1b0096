package route

import (
	"sync/atomic"

	"github.com/leafhub/leafhub/protocol/sublist"
)

// Kind is the kind of a connection.
type Kind uint8

const (
	// KindClient is a NATS client connection.
	KindClient Kind = iota
	// KindLeaf is a leafnode connection (accepted or solicited).
	KindLeaf
)

// String returns the kind as /connz names it.
func (k Kind) String() string {
	if k == KindLeaf {
		return "Leafnode"
	}
	return "Client"
}

// Endpoint is one connection as the data path sees it.
type Endpoint struct {
	ID   uint64 // connection id (cid)
	Kind Kind
	Out  *Outbound

	echo    atomic.Bool // deliver own publishes back (client CONNECT echo)
	headers atomic.Bool // peer understands HMSG

	// Notify is called by a publisher when a subscription of this endpoint
	// reached its UNSUB maximum; it must not block (it sends to the actor).
	Notify func(*Sub)

	InMsgs, InBytes atomic.Int64 // written by this connection's reader only

	replies *replyPerms // allow_responses; guarded by Out.mu

	// Leaf describes a leaf connection (nil for clients). It is set once,
	// before the endpoint's first subscription or message, and never changed.
	Leaf *LeafInfo
}

// LeafInfo is what the data path needs to know of a leaf connection.
type LeafInfo struct {
	// HubRole: we are the hub of this peer (spoke-role when false).
	HubRole bool
	// Cluster is the peer's cluster name ("" if none).
	Cluster string
	deliver atomic.Pointer[DeliverFunc]

	// Interest announced to the peer, written by the account actor.
	LSPlusOut, LSMinusOut atomic.Int64
	Announced             atomic.Int64 // keys currently announced

	cacheOf      *DeliverFunc    // the function deliverCache holds answers of; guarded by Out.mu
	deliverCache map[string]bool // guarded by the endpoint's Out.mu
}

// DeliverFunc reports whether a message on subject may be sent to a leaf
// peer (its permissions and the JetStream denies).
type DeliverFunc func(subject string) bool

// SetDeliver replaces the delivery check (new permissions from the hub).
func (l *LeafInfo) SetDeliver(f DeliverFunc) { l.deliver.Store(&f) }

// maxDeliverCache bounds a leaf's cache of delivery permission answers.
const maxDeliverCache = 1024

// mayDeliverLocked applies Deliver with a cache. The endpoint's Out.mu is held.
func (l *LeafInfo) mayDeliverLocked(subject []byte) bool {
	f := l.deliver.Load()
	if f == nil {
		return true
	}
	if f != l.cacheOf {
		l.cacheOf, l.deliverCache = f, nil
	}
	if ok, hit := l.deliverCache[string(subject)]; hit {
		return ok
	}
	ok := (*f)(string(subject))
	if l.deliverCache == nil || len(l.deliverCache) >= maxDeliverCache {
		l.deliverCache = make(map[string]bool)
	}
	l.deliverCache[string(subject)] = ok
	return ok
}

// NewEndpoint returns an endpoint with echo and headers on, as a client
// connection is before its CONNECT.
func NewEndpoint(id uint64, kind Kind, out *Outbound) *Endpoint {
	e := &Endpoint{ID: id, Kind: kind, Out: out}
	e.echo.Store(true)
	return e
}

// SetFlags records the delivery flags negotiated in CONNECT.
func (e *Endpoint) SetFlags(echo, headers bool) {
	e.echo.Store(echo)
	e.headers.Store(headers)
}

// Echo reports whether the connection wants its own messages.
func (e *Endpoint) Echo() bool { return e.echo.Load() }

// Headers reports whether the connection receives HMSG.
func (e *Endpoint) Headers() bool { return e.headers.Load() }

// Sub is one subscription in an account's index.
type Sub struct {
	Subject string
	Queue   string
	SID     string // client subscriptions only
	EP      *Endpoint
	// Weight is the queue weight of interest learned from a leaf (the
	// number of members behind it); 0 counts as 1.
	Weight int
	// DenyFilter lists subscribe-deny subjects that a wildcard subscription
	// overlaps: messages matching one of them are not delivered.
	DenyFilter []string

	max       int64 // guarded by EP.Out.mu; 0 = no limit
	delivered int64 // guarded by EP.Out.mu
	closed    bool  // guarded by EP.Out.mu
	gone      atomic.Bool
}

// Members is the weight of the subscription: how many subscribers it stands for.
func (s *Sub) Members() int {
	if s.Weight > 0 {
		return s.Weight
	}
	return 1
}

// Close stops deliveries to the subscription at once, before the account
// actor has removed it from the index.
func (s *Sub) Close() {
	o := s.EP.Out
	o.mu.Lock()
	s.closed = true
	o.mu.Unlock()
	s.gone.Store(true)
}

// Closed reports whether Close was called (a hint without the lock).
func (s *Sub) Closed() bool { return s.gone.Load() }

// Deliveries is how many messages the subscription received and its UNSUB
// maximum (0: none), for monitoring.
func (s *Sub) Deliveries() (msgs, max int64) {
	o := s.EP.Out
	o.mu.Lock()
	defer o.mu.Unlock()
	return s.delivered, s.max
}

// LimitDeliveries applies UNSUB with a maximum: it reports false when max
// messages were already delivered (the caller removes the subscription now).
func (s *Sub) LimitDeliveries(max int64) bool {
	o := s.EP.Out
	o.mu.Lock()
	defer o.mu.Unlock()
	if max <= s.delivered {
		s.max = 0
		return false
	}
	s.max = max
	return true
}

// Account is the data path's handle on one account.
type Account struct {
	Name string
	snap atomic.Pointer[sublist.Snapshot[*Sub]]
	// Matches counts lookups in the index (publishers' cache misses).
	Matches atomic.Uint64
}

// NewAccount returns an account with an empty routing snapshot.
func NewAccount(name string) *Account {
	a := &Account{Name: name}
	a.snap.Store(sublist.NewBuilder[*Sub]().Snapshot())
	return a
}

// Snapshot returns the current routing snapshot.
func (a *Account) Snapshot() *sublist.Snapshot[*Sub] { return a.snap.Load() }

// Store publishes a new routing snapshot. Only the account actor calls it.
func (a *Account) Store(s *sublist.Snapshot[*Sub]) { a.snap.Store(s) }

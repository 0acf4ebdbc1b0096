// Package account implements the account actor: the single writer of one
// account's routing state.
//
// Connection actors join the account they are bound to and send it interest
// deltas. The account actor applies them to its sublist.Builder and, once per
// batch (a flush message it sends itself, which runs after every delta queued
// before it), publishes a new immutable snapshot through route.Account. Each
// delta may carry a Done channel, closed once a snapshot containing the delta
// is published: a reader waits on it before handling the connection's next
// PUB or PING, so a SUB is in effect before them.
//
// The index is derived state. After a restart the new instance asks every
// member for its full interest (InterestRequest), rebuilds, and only then
// publishes: readers keep the previous snapshot meanwhile, so no subscription
// stops receiving.
//
// # Concurrency
//
// Everything here runs on the actor's mailbox goroutine. The state that must
// survive a restart (the route.Account handle, the members and the Done
// channels not yet closed) lives in Shared, captured by the props producer.
package account

import (
	"slices"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol/sublist"
)

// Join makes a connection actor a member of the account. The account watches
// it and withdraws its interest when it terminates.
type Join struct {
	Member *actor.PID
}

// Delta adds and removes subscriptions of one member.
type Delta struct {
	Member *actor.PID
	Add    []*route.Sub
	Remove []*route.Sub
	Done   chan struct{} // optional: closed when a snapshot with this delta is published
}

// InterestRequest asks a member for its full interest; it answers with an
// InterestReport sent to Account.
type InterestRequest struct {
	Account *actor.PID
}

// InterestReport is a member's full interest. It replaces what the account
// knew of that member.
type InterestReport struct {
	Member *actor.PID
	Subs   []*route.Sub
}

// Fault makes the receiving actor panic. Test-only fault injection.
type Fault struct{}

// StatsRequest asks for the account's figures; the answer is a Stats.
type StatsRequest struct{}

// Stats describes the account.
type Stats struct {
	Name          string
	Members       int
	Leafs         int
	Subscriptions int
	Generation    uint64
	Inserts       uint64 // subscriptions added since the account started
	Removes       uint64 // subscriptions removed since the account started
}

// flush publishes the snapshot after a batch of changes.
type flush struct{}

// rebuildTimeout ends a restart's wait for members that do not answer.
type rebuildTimeout struct{ gen uint64 }

// RebuildWait is how long a restarted account waits for its members'
// interest reports before it publishes what it has.
const RebuildWait = 2 * time.Second

// Shared is the account state that outlives an actor incarnation.
type Shared struct {
	Route *route.Account
	// LDS is the account's loop-detection subject, fixed for its lifetime.
	LDS     string
	members map[string]*actor.PID // by PID id
	leafs   map[string]*leafView  // joined leaf connections, by PID id
	waiting []chan struct{}       // Done channels of applied deltas not yet published
	inserts uint64                // lifetime counters (actor goroutine only)
	removes uint64
}

// NewShared returns the shared state of account name.
func NewShared(name string) *Shared {
	return &Shared{Route: route.NewAccount(name), LDS: newLDS(),
		members: make(map[string]*actor.PID), leafs: make(map[string]*leafView)}
}

// Props returns the props of the account actor over sh.
func Props(sh *Shared, log *zap.Logger) *actor.Props {
	return actor.PropsFromProducer(func() actor.Actor {
		return &Actor{sh: sh, log: log.With(zap.String("account", sh.Route.Name))}
	})
}

// Actor is the account actor.
type Actor struct {
	sh  *Shared
	log *zap.Logger

	b          *sublist.Builder[*route.Sub]
	subs       map[string]map[*route.Sub]struct{} // member id → its subscriptions
	flushing   bool                               // a flush message is queued
	pending    map[string]bool                    // members yet to report after a restart
	rebuildGen uint64
	timer      *time.Timer
}

// Receive handles one message.
func (a *Actor) Receive(c actor.Context) {
	defer a.recoverDelta(c)
	switch m := c.Message().(type) {
	case *actor.Started:
		a.start(c)
	case *Join:
		if _, ok := a.sh.members[m.Member.Id]; !ok {
			a.sh.members[m.Member.Id] = m.Member
			c.Watch(m.Member)
		}
	case *Delta:
		// A delta can arrive after its member's Terminated (a system message
		// overtakes queued user messages): a dead member's adds are dropped.
		if _, ok := a.sh.members[m.Member.Id]; ok {
			add, remove := a.apply(m.Member.Id, m.Add, m.Remove)
			a.propagate(add, remove)
		}
		if m.Done != nil {
			a.sh.waiting = append(a.sh.waiting, m.Done)
		}
		a.queueFlush(c)
	case *InterestReport:
		if _, ok := a.sh.members[m.Member.Id]; ok {
			a.replace(m.Member.Id, m.Subs)
		}
		if a.pending[m.Member.Id] {
			delete(a.pending, m.Member.Id)
			if len(a.pending) == 0 {
				a.rebuilt()
			}
		}
		a.queueFlush(c)
	case *actor.Terminated:
		id := m.Who.Id
		delete(a.sh.members, id)
		delete(a.sh.leafs, id)
		delete(a.pending, id)
		_, gone := a.replace(id, nil)
		delete(a.subs, id)
		a.propagate(nil, gone)
		a.queueFlush(c)
	case *JoinLeaf:
		a.joinLeaf(c, m)
	case *SetAnnounce:
		if lv := a.sh.leafs[m.Member.Id]; lv != nil {
			lv.announce = m.Announce
			a.resync(lv)
		}
	case *flush:
		a.flushing = false
		if len(a.pending) == 0 {
			a.publish()
		}
	case *rebuildTimeout:
		if m.gen == a.rebuildGen && len(a.pending) > 0 {
			a.log.Warn("members did not report their interest after an account restart; publishing what was rebuilt",
				zap.Int("missing", len(a.pending)))
			clear(a.pending)
			a.rebuilt()
		}
	case *StatsRequest:
		c.Respond(&Stats{Name: a.sh.Route.Name, Members: len(a.sh.members), Leafs: len(a.sh.leafs),
			Subscriptions: a.b.Count(), Generation: a.sh.Route.Snapshot().Gen(),
			Inserts: a.sh.inserts, Removes: a.sh.removes})
	case *Fault:
		panic("account: injected fault")
	case *actor.Stopping, *actor.Restarting:
		if a.timer != nil {
			a.timer.Stop()
		}
	}
}

// recoverDelta keeps a failing message's Done channel for the next
// incarnation to close, logs the panic with its stack and re-panics so the
// supervisor decides.
func (a *Actor) recoverDelta(c actor.Context) {
	r := recover()
	if r == nil {
		return
	}
	if d, ok := c.Message().(*Delta); ok && d.Done != nil && !slices.Contains(a.sh.waiting, d.Done) {
		a.sh.waiting = append(a.sh.waiting, d.Done)
	}
	a.log.Error("account actor panic; it restarts and rebuilds from its members",
		zap.Any("reason", r), zap.Stack("stack"))
	panic(r)
}

func (a *Actor) start(c actor.Context) {
	a.b = sublist.NewBuilder[*route.Sub]()
	a.subs = make(map[string]map[*route.Sub]struct{})
	a.pending = make(map[string]bool)
	if len(a.sh.members) == 0 {
		a.publish()
		return
	}
	// A restart: ask every member for its interest and wait for the answers.
	a.rebuildGen++
	for id, pid := range a.sh.members {
		a.pending[id] = true
		c.Watch(pid)
		c.Send(pid, &InterestRequest{Account: c.Self()})
	}
	gen, self, root := a.rebuildGen, c.Self(), c.ActorSystem().Root
	a.timer = time.AfterFunc(RebuildWait, func() { root.Send(self, &rebuildTimeout{gen: gen}) })
	a.log.Info("account restarted; rebuilding its routing state", zap.Int("members", len(a.pending)))
}

// apply changes a member's subscriptions and returns what really changed
// (duplicate adds and unknown removes are dropped).
func (a *Actor) apply(member string, add, remove []*route.Sub) (added, removed []*route.Sub) {
	set := a.subs[member]
	if set == nil && len(add) > 0 {
		set = make(map[*route.Sub]struct{})
		a.subs[member] = set
	}
	for _, s := range add {
		if _, dup := set[s]; dup {
			continue
		}
		set[s] = struct{}{}
		a.b.Insert(s.Subject, s.Queue, s)
		a.sh.inserts++
		added = append(added, s)
	}
	for _, s := range remove {
		if _, ok := set[s]; !ok {
			continue
		}
		delete(set, s)
		a.b.Remove(s.Subject, s.Queue, s)
		a.sh.removes++
		removed = append(removed, s)
	}
	return added, removed
}

// rebuilt ends a restart's rebuild: publish the index and correct what each
// leaf's peer was told while the account was down.
func (a *Actor) rebuilt() {
	a.publish()
	for _, lv := range a.sh.leafs {
		a.resync(lv)
	}
}

// replace makes subs the member's whole interest; it returns what changed.
func (a *Actor) replace(member string, subs []*route.Sub) (added, removed []*route.Sub) {
	old := a.subs[member]
	keep := make(map[*route.Sub]struct{}, len(subs))
	for _, s := range subs {
		keep[s] = struct{}{}
	}
	var gone []*route.Sub
	for s := range old {
		if _, ok := keep[s]; !ok {
			gone = append(gone, s)
		}
	}
	return a.apply(member, subs, gone)
}

func (a *Actor) queueFlush(c actor.Context) {
	if !a.flushing {
		a.flushing = true
		c.Send(c.Self(), &flush{})
	}
}

func (a *Actor) publish() {
	a.sh.Route.Store(a.b.Snapshot())
	for _, d := range a.sh.waiting {
		close(d)
	}
	clear(a.sh.waiting)
	a.sh.waiting = a.sh.waiting[:0]
}

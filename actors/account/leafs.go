package account

import (
	crand "crypto/rand"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol"
	"github.com/leafhub/leafhub/protocol/interest"
)

// JoinLeaf registers a leaf connection that finished its handshake: from
// now on the account announces its interest to the peer. The account answers
// with a *JoinLeafResult (Respond) after writing the initial interest.
type JoinLeaf struct {
	Member *actor.PID
	EP     *route.Endpoint
	Target interest.Target
	// Announce is the connection's interest permission: may interest in a
	// subject be announced to the peer (nil: everything).
	Announce func(subject string) bool
	// CheckLoop (solicit side): refuse the connection when the account
	// already accepts a hub-role leaf of the hub's cluster.
	CheckLoop bool
	// Name and RemoteAccount of an accepted connection, for duplicate
	// detection (both non-empty to apply).
	Name, RemoteAccount string
}

// JoinLeafResult answers JoinLeaf.
type JoinLeafResult struct {
	Loop bool // the connection closes a loop: the leaf must close
}

// SetAnnounce replaces a leaf's interest permission (new permissions from
// the hub); the account re-syncs what the peer was told.
type SetAnnounce struct {
	Member   *actor.PID
	Announce func(subject string) bool
}

// Evict tells an older leaf connection to close: a newer connection from
// the same server replaced it.
type Evict struct {
	ErrText string
}

// leafView is what the account knows of one joined leaf connection, and
// what it told the peer (smap). It lives in Shared: it must survive a
// restart, because the peer still knows what we announced.
type leafView struct {
	pid      *actor.PID
	ep       *route.Endpoint
	target   interest.Target
	announce func(string) bool
	smap     *interest.Map
	name     string
	remote   string // remote account (accepted connections)
}

// ldsLen is the length of the random part of an account's $LDS. subject.
const ldsLen = 22

// newLDS returns a loop-detection subject: $LDS. and 22 random characters.
func newLDS() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var b [ldsLen]byte
	_, _ = crand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return interest.LDSPrefix + string(b[:])
}

func sourceOf(s *route.Sub) interest.Source {
	if s.EP.Leaf == nil {
		return interest.Source{}
	}
	return interest.Source{Leaf: true, HubRole: s.EP.Leaf.HubRole, Cluster: s.EP.Leaf.Cluster}
}

func keyOf(s *route.Sub) interest.Key { return interest.Key{Subject: s.Subject, Queue: s.Queue} }

// allowed applies a leaf's interest permission to a positive change.
func (lv *leafView) allowed(subject string) bool {
	return lv.announce == nil || interest.Exempt(subject) || lv.announce(subject)
}

// propagate announces a batch of changes to every joined leaf except the
// one they came from, writing the due LS+/LS- lines into its queue. Client
// subscriptions are applied one by one, so each queue member change gives
// its own line as with nats-server; interest learned from a leaf is summed
// per key (a weight update is a remove and an add: one line).
func (a *Actor) propagate(add, remove []*route.Sub) {
	if len(a.sh.leafs) == 0 || (len(add) == 0 && len(remove) == 0) {
		return
	}
	for _, lv := range a.sh.leafs {
		var buf []byte
		var agg map[interest.Key]int
		apply := func(k interest.Key, d int) {
			if d > 0 && !lv.allowed(k.Subject) {
				return
			}
			if l, ok := lv.smap.Apply(k, d); ok {
				lv.count(l)
				buf = appendLine(buf, l)
			}
		}
		each := func(subs []*route.Sub, sign int) {
			for _, s := range subs {
				if s.EP == lv.ep || !interest.Propagate(s.Subject, sourceOf(s), lv.target) {
					continue
				}
				if s.EP.Leaf == nil {
					apply(keyOf(s), sign)
					continue
				}
				if agg == nil {
					agg = make(map[interest.Key]int)
				}
				agg[keyOf(s)] += sign * s.Members()
			}
		}
		each(add, 1)
		each(remove, -1)
		for k, d := range agg {
			apply(k, d)
		}
		lv.write(buf)
	}
}

func (lv *leafView) count(l interest.Line) {
	if l.Add {
		lv.ep.Leaf.LSPlusOut.Add(1)
	} else {
		lv.ep.Leaf.LSMinusOut.Add(1)
	}
}

func appendLine(buf []byte, l interest.Line) []byte {
	if l.Add {
		return protocol.AppendLSubString(buf, l.Key.Subject, l.Key.Queue, l.Weight)
	}
	return protocol.AppendLUnsubString(buf, l.Key.Subject, l.Key.Queue)
}

func (lv *leafView) write(buf []byte) {
	lv.ep.Leaf.Announced.Store(int64(lv.smap.Len()))
	if len(buf) == 0 {
		return
	}
	lv.ep.Out.QueueRaw(buf)
	lv.ep.Out.Signal()
}

// wanted is the interest a leaf should know of: the initial dump's rules
// over the whole index, plus the account's loop-detection subject.
func (a *Actor) wanted(lv *leafView) map[interest.Key]int {
	want := map[interest.Key]int{{Subject: a.sh.LDS}: 1}
	for _, set := range a.subs {
		for s := range set {
			if s.EP == lv.ep || !interest.InDump(sourceOf(s), lv.target) || !lv.allowed(s.Subject) {
				continue
			}
			want[keyOf(s)] += s.Members()
		}
	}
	return want
}

// resync brings a leaf's peer in line with what it should know.
func (a *Actor) resync(lv *leafView) {
	var buf []byte
	for _, l := range lv.smap.Sync(a.wanted(lv)) {
		lv.count(l)
		buf = appendLine(buf, l)
	}
	lv.write(buf)
}

func (a *Actor) joinLeaf(c actor.Context, m *JoinLeaf) {
	if _, member := a.sh.members[m.Member.Id]; !member {
		a.sh.members[m.Member.Id] = m.Member
		c.Watch(m.Member)
	}
	if m.CheckLoop && m.Target.Cluster != "" {
		for _, other := range a.sh.leafs {
			if other.target.HubRole && other.target.Cluster == m.Target.Cluster {
				c.Respond(&JoinLeafResult{Loop: true})
				return
			}
		}
	}
	if m.Name != "" && m.RemoteAccount != "" {
		for id, other := range a.sh.leafs {
			if other.target.HubRole && other.name == m.Name && other.remote == m.RemoteAccount &&
				other.target.Cluster == m.Target.Cluster {
				a.log.Warn("replacing connection from same server", zap.String("name", m.Name))
				c.Send(other.pid, &Evict{ErrText: protocol.ErrTextDuplicateLeaf})
				delete(a.sh.leafs, id)
			}
		}
	}
	lv := &leafView{pid: m.Member, ep: m.EP, target: m.Target, announce: m.Announce,
		smap: interest.NewMap(), name: m.Name, remote: m.RemoteAccount}
	a.sh.leafs[m.Member.Id] = lv
	a.resync(lv)
	c.Respond(&JoinLeafResult{})
}

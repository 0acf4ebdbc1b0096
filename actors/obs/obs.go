// Package obs observes the actor system at no cost per message: a mailbox
// wrapper records each actor's PID, kind and a mailbox-depth probe once, when
// the actor starts; supervision events count restarts, stops and failures;
// everything is aggregated per kind when monitoring asks.
//
// # Concurrency
//
// Registry methods are safe for concurrent use. Event-stream handlers only
// touch atomics and a sync.Map, as they run on whatever goroutine published
// the event.
package obs

import (
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// Registry tracks live actors by kind.
type Registry struct {
	sys    *actor.ActorSystem
	actors sync.Map // PID id → *entry
	kinds  sync.Map // kind → *kindCounters
}

type entry struct {
	pid      *actor.PID
	kind     string
	depth    func() int
	started  time.Time
	fails    atomic.Int64
	restarts atomic.Int64 // restarts its supervisor decided
}

type kindCounters struct {
	restarts, stops, failures atomic.Int64
}

// New returns a registry observing sys's supervision events.
func New(sys *actor.ActorSystem) *Registry {
	r := &Registry{sys: sys}
	sys.EventStream.Subscribe(func(evt any) {
		e, ok := evt.(*actor.SupervisorEvent)
		if !ok || e.Child == nil {
			return
		}
		kind := "unknown"
		var ent *entry
		if v, ok := r.actors.Load(e.Child.Id); ok {
			ent = v.(*entry)
			kind = ent.kind
			ent.fails.Add(1)
		}
		k := r.counters(kind)
		k.failures.Add(1)
		switch e.Directive {
		case actor.RestartDirective:
			k.restarts.Add(1)
			if ent != nil {
				ent.restarts.Add(1)
			}
		case actor.StopDirective:
			k.stops.Add(1)
		}
	})
	return r
}

func (r *Registry) counters(kind string) *kindCounters {
	if v, ok := r.kinds.Load(kind); ok {
		return v.(*kindCounters)
	}
	v, _ := r.kinds.LoadOrStore(kind, &kindCounters{})
	return v.(*kindCounters)
}

// Mailbox returns a mailbox producer for actors of kind: an unbounded mailbox
// that registers the actor when the library attaches it.
func (r *Registry) Mailbox(kind string) actor.MailboxProducer {
	inner := actor.Unbounded()
	r.counters(kind)
	return func() actor.Mailbox {
		return &probed{Mailbox: inner(), reg: r, kind: kind}
	}
}

type probed struct {
	actor.Mailbox
	reg  *Registry
	kind string
}

// RegisterHandlers runs once the PID exists; the invoker is the actor's context.
func (m *probed) RegisterHandlers(inv actor.MessageInvoker, d actor.Dispatcher) {
	m.Mailbox.RegisterHandlers(inv, d)
	if c, ok := inv.(actor.Context); ok {
		m.reg.actors.Store(c.Self().Id, &entry{pid: c.Self(), kind: m.kind, depth: m.Mailbox.UserMessageCount, started: time.Now()})
	}
}

// KindStats are the figures of one actor kind.
type KindStats struct {
	Kind         string `json:"kind"`
	Live         int    `json:"live"`
	MailboxDepth int    `json:"mailbox_depth"`
	MaxDepth     int    `json:"mailbox_depth_max"`
	Restarts     int64  `json:"restarts"`
	Stops        int64  `json:"stops"`
	Failures     int64  `json:"failures"`
}

// Actor is one live actor as /actorz shows it.
type Actor struct {
	ID       string    `json:"id"`
	Parent   string    `json:"parent"`
	Kind     string    `json:"kind"`
	Mailbox  int       `json:"mailbox_depth"`
	Failures int64     `json:"failures"`
	Restarts int64     `json:"restarts"`
	Started  time.Time `json:"started"`
}

// live calls f for each registered actor that is still alive, dropping
// those the actor system no longer knows.
func (r *Registry) live(f func(*entry)) {
	r.actors.Range(func(k, v any) bool {
		e := v.(*entry)
		if _, ok := r.sys.ProcessRegistry.GetLocal(e.pid.Id); !ok {
			r.actors.Delete(k)
			return true
		}
		f(e)
		return true
	})
}

// Kinds aggregates live actors and supervision counters per kind, sorted by kind.
func (r *Registry) Kinds() []KindStats {
	byKind := map[string]*KindStats{}
	r.kinds.Range(func(k, v any) bool {
		c := v.(*kindCounters)
		byKind[k.(string)] = &KindStats{Kind: k.(string), Restarts: c.restarts.Load(), Stops: c.stops.Load(), Failures: c.failures.Load()}
		return true
	})
	r.live(func(e *entry) {
		s := byKind[e.kind]
		if s == nil {
			s = &KindStats{Kind: e.kind}
			byKind[e.kind] = s
		}
		d := e.depth()
		s.Live++
		s.MailboxDepth += d
		s.MaxDepth = max(s.MaxDepth, d)
	})
	out := make([]KindStats, 0, len(byKind))
	for _, s := range byKind {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Kind < out[j].Kind })
	return out
}

// Actors lists the live actors, sorted by id.
func (r *Registry) Actors() []Actor {
	var out []Actor
	r.live(func(e *entry) {
		parent := ""
		if i := strings.LastIndexByte(e.pid.Id, '/'); i >= 0 {
			parent = e.pid.Id[:i]
		}
		out = append(out, Actor{ID: e.pid.Id, Parent: parent, Kind: e.kind, Mailbox: e.depth(),
			Failures: e.fails.Load(), Restarts: e.restarts.Load(), Started: e.started})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Package interest holds the pure rules of leafnode interest propagation:
// the per-connection subject map (smap) that decides when LS+ and LS- are
// due, and the filters that decide which subscriptions a leaf connection
// hears about (split horizon, hub/spoke roles, isolation, origin cluster).
//
// Nothing here sends anything: the rules return decisions (lines to write)
// and the caller performs them.
//
// # Concurrency
//
// A Map is owned by one goroutine.
package interest

import (
	"strings"
)

// LDSPrefix starts the loop-detection subject of every account.
const LDSPrefix = "$LDS."

// IsLDS reports whether subject is a loop-detection subject.
func IsLDS(subject string) bool { return strings.HasPrefix(subject, LDSPrefix) }

// Exempt reports whether interest in subject bypasses interest permissions:
// loop detection and gateway-routed replies.
func Exempt(subject string) bool {
	return IsLDS(subject) || strings.HasPrefix(subject, "_GR_.") || strings.HasPrefix(subject, "$GR.")
}

// Key identifies an smap entry: a subject, or a subject and a queue group.
type Key struct {
	Subject, Queue string
}

// Line is one LS+ or LS- to write. Weight is the queue weight of an LS+ for a
// queue key (0 for plain keys).
type Line struct {
	Key    Key
	Add    bool
	Weight int
}

// Map counts, per key, what stands behind the interest announced to a peer:
// the number of subscriptions for a plain key, the sum of queue weights for a
// queue key.
type Map struct {
	m map[Key]int
}

// NewMap returns an empty map.
func NewMap() *Map { return &Map{m: make(map[Key]int)} }

// Len is the number of keys announced.
func (m *Map) Len() int { return len(m.m) }

// Count returns the count behind key (0 when absent).
func (m *Map) Count(k Key) int { return m.m[k] }

// Apply changes key by delta and returns the line that is due, if any: plain
// keys announce on 0→1 and withdraw on 1→0; every change of a queue key is
// announced with its new weight (or withdrawn at 0).
func (m *Map) Apply(k Key, delta int) (Line, bool) {
	if delta == 0 {
		return Line{}, false
	}
	n, ok := m.m[k]
	if delta < 0 && !ok {
		return Line{}, false
	}
	after := n + delta
	due := k.Queue != "" || (n <= 0 && after > 0) || (n > 0 && after <= 0)
	if after <= 0 {
		delete(m.m, k)
	} else {
		m.m[k] = after
	}
	if !due {
		return Line{}, false
	}
	if after > 0 {
		l := Line{Key: k, Add: true}
		if k.Queue != "" {
			l.Weight = after
		}
		return l, true
	}
	return Line{Key: k}, true
}

// Sync makes the map equal to want and returns the lines that bring a peer
// that knew the old map up to date: LS- for keys no longer wanted, LS+ for
// new keys and for queue keys whose weight changed.
func (m *Map) Sync(want map[Key]int) []Line {
	var lines []Line
	for k := range m.m {
		if want[k] <= 0 {
			delete(m.m, k)
			lines = append(lines, Line{Key: k})
		}
	}
	for k, n := range want {
		if n <= 0 {
			continue
		}
		old, had := m.m[k]
		m.m[k] = n
		if !had || (k.Queue != "" && old != n) {
			l := Line{Key: k, Add: true}
			if k.Queue != "" {
				l.Weight = n
			}
			lines = append(lines, l)
		}
	}
	return lines
}

// Source describes where a subscription comes from.
type Source struct {
	// Leaf is true for interest learned from a leaf connection.
	Leaf bool
	// HubRole is true when that leaf connection is hub-role (we are the hub
	// of the peer that announced it).
	HubRole bool
	// Cluster is the remote cluster of that leaf connection ("" if none).
	Cluster string
}

// Target describes a leaf connection interest may be announced on.
type Target struct {
	HubRole  bool   // we are the hub of this peer
	Cluster  string // the peer's cluster name
	Isolated bool   // the connection hears only local (north-south) interest
}

// Propagate reports whether a change of a subscription from src is forwarded
// to target (nats-server's rules; the subscription's own connection is
// excluded by the caller): isolation, the spoke-role restriction (interest
// learned from one hub is never announced to another hub) and the origin
// cluster filter. Interest permissions are the caller's.
func Propagate(subject string, src Source, t Target) bool {
	if t.Isolated && src.Leaf {
		return false
	}
	if !t.HubRole && !IsLDS(subject) && src.Leaf && !src.HubRole {
		return false
	}
	return src.Cluster == "" || src.Cluster != t.Cluster
}

// InDump reports whether a subscription from src is part of the initial
// interest a new leaf connection receives.
func InDump(src Source, t Target) bool {
	switch {
	case t.HubRole && t.Isolated && src.Leaf:
		return false
	case !t.HubRole && src.Leaf && !src.HubRole:
		return false
	}
	return src.Cluster == "" || src.Cluster != t.Cluster
}

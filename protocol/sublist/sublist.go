package sublist

import (
	"slices"
	"strings"
)

// Group is the set of matching members of one queue group. Groups of the same
// name from different subscription subjects are merged into one Group.
type Group[T comparable] struct {
	Name    string
	Members []T
}

// Result is what a literal subject matches: plain subscriptions and queue
// groups. Its slices may alias snapshot memory: read only.
type Result[T comparable] struct {
	Plain  []T
	Groups []Group[T]
}

// Empty reports whether nothing matched.
func (r *Result[T]) Empty() bool { return len(r.Plain) == 0 && len(r.Groups) == 0 }

// node is one token level. A node belongs to at most one open batch (txn);
// nodes from an older txn are frozen because a snapshot may reference them.
type node[T comparable] struct {
	txn    uint64
	next   children[T] // literal tokens
	pwc    *node[T]    // "*"
	fwc    *node[T]    // ">"
	plain  []T
	groups []Group[T]
}

func (n *node[T]) empty() bool {
	return n.next.len() == 0 && n.pwc == nil && n.fwc == nil && len(n.plain) == 0 && len(n.groups) == 0
}

// Snapshot is an immutable view of the index.
type Snapshot[T comparable] struct {
	root  *node[T]
	gen   uint64
	count int
}

// Gen is the snapshot's generation: it grows with every Builder.Snapshot call
// that followed a change. Caches of Match results are keyed by it.
func (s *Snapshot[T]) Gen() uint64 { return s.gen }

// Count is the number of subscriptions in the snapshot.
func (s *Snapshot[T]) Count() int { return s.count }

// Builder is the single writer of the index.
type Builder[T comparable] struct {
	root    *node[T]
	txn     uint64 // nodes with this txn may be changed in place
	gen     uint64
	count   int
	changed bool
	last    *Snapshot[T]
}

// NewBuilder returns an empty index.
func NewBuilder[T comparable]() *Builder[T] {
	b := &Builder[T]{txn: 1}
	b.root = &node[T]{txn: b.txn}
	return b
}

// Count is the number of subscriptions currently in the builder.
func (b *Builder[T]) Count() int { return b.count }

// Snapshot freezes the current state and returns it. When nothing changed since
// the previous call, the previous snapshot is returned.
func (b *Builder[T]) Snapshot() *Snapshot[T] {
	if b.last != nil && !b.changed {
		return b.last
	}
	b.gen++
	b.last = &Snapshot[T]{root: b.root, gen: b.gen, count: b.count}
	b.txn++
	b.changed = false
	return b.last
}

// own returns n itself when it belongs to the open batch, else a copy that does.
func (b *Builder[T]) own(n *node[T]) *node[T] {
	if n == nil {
		return &node[T]{txn: b.txn}
	}
	if n.txn == b.txn {
		return n
	}
	c := &node[T]{txn: b.txn, pwc: n.pwc, fwc: n.fwc, next: n.next}
	c.plain = slices.Clone(n.plain)
	if len(n.groups) > 0 {
		c.groups = make([]Group[T], len(n.groups))
		for i, g := range n.groups {
			c.groups[i] = Group[T]{Name: g.Name, Members: slices.Clone(g.Members)}
		}
	}
	return c
}

// child returns a pointer to the slot of token tok below n (creating the map
// entry's slot lazily through set).
func (b *Builder[T]) descend(n *node[T], tok string) *node[T] {
	var cur *node[T]
	switch tok {
	case "*":
		cur = n.pwc
	case ">":
		cur = n.fwc
	default:
		cur = n.next.get(tok)
	}
	c := b.own(cur)
	if c != cur {
		switch tok {
		case "*":
			n.pwc = c
		case ">":
			n.fwc = c
		default:
			n.next.set(tok, c, b.txn)
		}
	}
	return c
}

// Insert adds item under subject (and queue, "" for a plain subscription). The
// subject must be valid; Insert does not check it. Inserting the same item
// twice under the same key stores it twice.
func (b *Builder[T]) Insert(subject, queue string, item T) {
	b.root = b.own(b.root)
	n := b.root
	for tok := range tokens(subject) {
		n = b.descend(n, tok)
	}
	if queue == "" {
		n.plain = append(n.plain, item)
	} else {
		i := groupIndex(n.groups, queue)
		if i < 0 {
			n.groups = append(n.groups, Group[T]{Name: queue})
			i = len(n.groups) - 1
		}
		n.groups[i].Members = append(n.groups[i].Members, item)
	}
	b.count++
	b.changed = true
}

// Remove deletes one occurrence of item stored under subject and queue. It
// reports whether the item was found.
func (b *Builder[T]) Remove(subject, queue string, item T) bool {
	if !b.contains(subject, queue, item) {
		return false
	}
	b.root = b.own(b.root)
	path := make([]*node[T], 0, 8)
	toks := make([]string, 0, 8)
	n := b.root
	for tok := range tokens(subject) {
		path = append(path, n)
		toks = append(toks, tok)
		n = b.descend(n, tok)
	}
	if queue == "" {
		i := slices.Index(n.plain, item)
		n.plain = slices.Delete(n.plain, i, i+1)
	} else {
		gi := groupIndex(n.groups, queue)
		g := &n.groups[gi]
		i := slices.Index(g.Members, item)
		g.Members = slices.Delete(g.Members, i, i+1)
		if len(g.Members) == 0 {
			n.groups = slices.Delete(n.groups, gi, gi+1)
		}
	}
	// Prune empty nodes bottom up.
	for i := len(path) - 1; i >= 0 && n.empty(); i-- {
		parent := path[i]
		switch toks[i] {
		case "*":
			parent.pwc = nil
		case ">":
			parent.fwc = nil
		default:
			parent.next.del(toks[i], b.txn)
		}
		n = parent
	}
	b.count--
	b.changed = true
	return true
}

func (b *Builder[T]) contains(subject, queue string, item T) bool {
	n := b.root
	for tok := range tokens(subject) {
		switch tok {
		case "*":
			n = n.pwc
		case ">":
			n = n.fwc
		default:
			n = n.next.get(tok)
		}
		if n == nil {
			return false
		}
	}
	if queue == "" {
		return slices.Contains(n.plain, item)
	}
	gi := groupIndex(n.groups, queue)
	return gi >= 0 && slices.Contains(n.groups[gi].Members, item)
}

func groupIndex[T comparable](groups []Group[T], name string) int {
	for i := range groups {
		if groups[i].Name == name {
			return i
		}
	}
	return -1
}

// tokens yields the dot-separated tokens of subject without allocating.
func tokens(subject string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for {
			i := strings.IndexByte(subject, '.')
			if i < 0 {
				yield(subject)
				return
			}
			if !yield(subject[:i]) {
				return
			}
			subject = subject[i+1:]
		}
	}
}

// maxStackTokens is how many tokens Match splits on the stack.
const maxStackTokens = 32

// Match returns everything that matches the literal subject.
func (s *Snapshot[T]) Match(subject string) Result[T] {
	var res Result[T]
	var arr [maxStackTokens]string
	toks := arr[:0]
	for tok := range tokens(subject) {
		toks = append(toks, tok)
	}
	matchLevel(s.root, toks, &res)
	return res
}

// HasInterest reports whether anything matches the literal subject.
func (s *Snapshot[T]) HasInterest(subject string) bool {
	r := s.Match(subject)
	return !r.Empty()
}

func matchLevel[T comparable](n *node[T], toks []string, res *Result[T]) {
	for i, tok := range toks {
		if n.fwc != nil {
			collect(n.fwc, res)
		}
		if n.pwc != nil {
			matchLevel(n.pwc, toks[i+1:], res)
		}
		n = n.next.get(tok)
		if n == nil {
			return
		}
	}
	collect(n, res)
}

func collect[T comparable](n *node[T], res *Result[T]) {
	if len(n.plain) > 0 {
		if res.Plain == nil {
			// Share the frozen slice; the cap limit makes a later append copy.
			res.Plain = n.plain[:len(n.plain):len(n.plain)]
		} else {
			res.Plain = append(res.Plain, n.plain...)
		}
	}
	for _, g := range n.groups {
		i := groupIndex(res.Groups, g.Name)
		if i < 0 {
			if res.Groups == nil {
				res.Groups = make([]Group[T], 0, len(n.groups))
			}
			res.Groups = append(res.Groups, Group[T]{Name: g.Name, Members: g.Members[:len(g.Members):len(g.Members)]})
			continue
		}
		res.Groups[i].Members = append(res.Groups[i].Members, g.Members...)
	}
}

// Each calls f for every subscription in the snapshot, in no particular order,
// with its subject and queue. Returning false stops the walk.
func (s *Snapshot[T]) Each(f func(subject, queue string, item T) bool) {
	var buf []byte
	each(s.root, buf, f)
}

func each[T comparable](n *node[T], prefix []byte, f func(subject, queue string, item T) bool) bool {
	if len(n.plain) > 0 || len(n.groups) > 0 {
		subj := string(prefix)
		for _, it := range n.plain {
			if !f(subj, "", it) {
				return false
			}
		}
		for _, g := range n.groups {
			for _, it := range g.Members {
				if !f(subj, g.Name, it) {
					return false
				}
			}
		}
	}
	step := func(tok string, c *node[T]) bool {
		p := prefix
		if len(p) > 0 {
			p = append(p, '.')
		}
		p = append(p, tok...)
		return each(c, p, f)
	}
	if !n.next.each(step) {
		return false
	}
	if n.pwc != nil && !step("*", n.pwc) {
		return false
	}
	if n.fwc != nil && !step(">", n.fwc) {
		return false
	}
	return true
}

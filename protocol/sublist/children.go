package sublist

import "math/bits"

// children maps tokens to child nodes: a persistent hash array mapped trie
// (32-way, 5 hash bits per level). Copying a children value is O(1); a
// change copies only the trie nodes on its path, unless they already belong
// to the open batch (txn), which then mutates them in place. Nodes with a
// hundred thousand children (subjects like "orders.<id>") thus cost the same
// per change as nodes with three.
type children[T comparable] struct {
	root *hnode[T]
	n    int
}

type hnode[T comparable] struct {
	txn    uint64
	bitmap uint32     // which of the 32 slots are used (below maxDepth)
	slots  []hslot[T] // in bit order; at maxDepth, an unordered collision list
}

// hslot is an entry (key, val) or a sub-trie (sub != nil).
type hslot[T comparable] struct {
	key string
	val *node[T]
	sub *hnode[T]
}

const (
	hashBits = 5
	maxDepth = 7 // 7·5 = 35 bits > 32: the last level holds full collisions
)

// fnv32 hashes a token (FNV-1a).
func fnv32(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

func slotBit(h uint32, depth int) uint32 { return 1 << ((h >> (uint(depth) * hashBits)) & 31) }

func (hn *hnode[T]) index(bit uint32) int { return bits.OnesCount32(hn.bitmap & (bit - 1)) }

func (c *children[T]) len() int { return c.n }

func (c *children[T]) get(key string) *node[T] {
	hn := c.root
	if hn == nil {
		return nil
	}
	h := fnv32(key)
	for depth := 0; ; depth++ {
		if depth == maxDepth {
			for i := range hn.slots {
				if hn.slots[i].key == key {
					return hn.slots[i].val
				}
			}
			return nil
		}
		bit := slotBit(h, depth)
		if hn.bitmap&bit == 0 {
			return nil
		}
		s := &hn.slots[hn.index(bit)]
		if s.sub == nil {
			if s.key == key {
				return s.val
			}
			return nil
		}
		hn = s.sub
	}
}

// owned returns hn itself when it belongs to txn, else a copy that does.
func owned[T comparable](hn *hnode[T], txn uint64) *hnode[T] {
	if hn == nil {
		return &hnode[T]{txn: txn}
	}
	if hn.txn == txn {
		return hn
	}
	cp := &hnode[T]{txn: txn, bitmap: hn.bitmap, slots: make([]hslot[T], len(hn.slots), len(hn.slots)+1)}
	copy(cp.slots, hn.slots)
	return cp
}

// set stores key → val within batch txn.
func (c *children[T]) set(key string, val *node[T], txn uint64) {
	c.root = owned(c.root, txn)
	if c.root.set(fnv32(key), key, val, 0, txn) {
		c.n++
	}
}

// set reports whether the key is new. hn is owned by txn.
func (hn *hnode[T]) set(h uint32, key string, val *node[T], depth int, txn uint64) bool {
	if depth == maxDepth {
		for i := range hn.slots {
			if hn.slots[i].key == key {
				hn.slots[i].val = val
				return false
			}
		}
		hn.slots = append(hn.slots, hslot[T]{key: key, val: val})
		return true
	}
	bit := slotBit(h, depth)
	i := hn.index(bit)
	if hn.bitmap&bit == 0 {
		hn.slots = append(hn.slots, hslot[T]{})
		copy(hn.slots[i+1:], hn.slots[i:])
		hn.slots[i] = hslot[T]{key: key, val: val}
		hn.bitmap |= bit
		return true
	}
	s := &hn.slots[i]
	if s.sub != nil {
		s.sub = owned(s.sub, txn)
		return s.sub.set(h, key, val, depth+1, txn)
	}
	if s.key == key {
		s.val = val
		return false
	}
	// Two keys in one slot: push both one level down.
	sub := &hnode[T]{txn: txn}
	sub.set(fnv32(s.key), s.key, s.val, depth+1, txn)
	sub.set(h, key, val, depth+1, txn)
	*s = hslot[T]{sub: sub}
	return true
}

// del removes key within batch txn.
func (c *children[T]) del(key string, txn uint64) {
	if c.get(key) == nil {
		return
	}
	c.root = owned(c.root, txn)
	c.root.del(fnv32(key), key, 0, txn)
	c.n--
	if c.n == 0 {
		c.root = nil
	}
}

// del removes a key known to be present. hn is owned by txn.
func (hn *hnode[T]) del(h uint32, key string, depth int, txn uint64) {
	if depth == maxDepth {
		for i := range hn.slots {
			if hn.slots[i].key == key {
				hn.slots = append(hn.slots[:i], hn.slots[i+1:]...)
				return
			}
		}
		return
	}
	bit := slotBit(h, depth)
	i := hn.index(bit)
	s := &hn.slots[i]
	if s.sub != nil {
		s.sub = owned(s.sub, txn)
		s.sub.del(h, key, depth+1, txn)
		// A sub-trie left with one entry collapses back into the slot.
		if len(s.sub.slots) == 1 && s.sub.slots[0].sub == nil {
			*s = s.sub.slots[0]
		} else if len(s.sub.slots) == 0 {
			hn.remove(i, bit)
		}
		return
	}
	hn.remove(i, bit)
}

func (hn *hnode[T]) remove(i int, bit uint32) {
	copy(hn.slots[i:], hn.slots[i+1:])
	hn.slots[len(hn.slots)-1] = hslot[T]{}
	hn.slots = hn.slots[:len(hn.slots)-1]
	hn.bitmap &^= bit
}

// each calls f for every entry; false stops the walk.
func (c *children[T]) each(f func(string, *node[T]) bool) bool {
	if c.root == nil {
		return true
	}
	return c.root.each(f)
}

func (hn *hnode[T]) each(f func(string, *node[T]) bool) bool {
	for i := range hn.slots {
		s := &hn.slots[i]
		if s.sub != nil {
			if !s.sub.each(f) {
				return false
			}
			continue
		}
		if !f(s.key, s.val) {
			return false
		}
	}
	return true
}

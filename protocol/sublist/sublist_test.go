package sublist

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

type sub struct {
	subject, queue string
	id             int
}

// naiveMatch is the reference: pattern tokens against literal tokens.
func naiveMatch(pattern, literal string) bool {
	p, l := strings.Split(pattern, "."), strings.Split(literal, ".")
	for i, t := range p {
		if t == ">" {
			return len(l) > i
		}
		if i >= len(l) || (t != "*" && t != l[i]) {
			return false
		}
	}
	return len(p) == len(l)
}

// flatten renders a result as sorted "id" and "queue:id" strings.
func flatten(r Result[*sub]) []string {
	var out []string
	for _, s := range r.Plain {
		out = append(out, fmt.Sprint(s.id))
	}
	for _, g := range r.Groups {
		for _, s := range g.Members {
			if s.queue != g.Name {
				out = append(out, "WRONG-GROUP")
			}
			out = append(out, g.Name+":"+fmt.Sprint(s.id))
		}
	}
	sort.Strings(out)
	return out
}

func expected(subs []*sub, literal string) []string {
	var out []string
	for _, s := range subs {
		if !naiveMatch(s.subject, literal) {
			continue
		}
		if s.queue == "" {
			out = append(out, fmt.Sprint(s.id))
		} else {
			out = append(out, s.queue+":"+fmt.Sprint(s.id))
		}
	}
	sort.Strings(out)
	return out
}

func TestMatchTable(t *testing.T) {
	subs := []*sub{
		{"foo", "", 1}, {"foo.bar", "", 2}, {"foo.*", "", 3}, {"foo.>", "", 4},
		{">", "", 5}, {"*.bar", "", 6}, {"foo.bar", "q1", 7}, {"foo.*", "q1", 8},
		{"foo.bar", "q2", 9}, {"a*.b", "", 10}, {"foo.bar.baz", "", 11},
	}
	b := NewBuilder[*sub]()
	for _, s := range subs {
		b.Insert(s.subject, s.queue, s)
	}
	snap := b.Snapshot()
	for _, lit := range []string{"foo", "foo.bar", "foo.baz", "foo.bar.baz", "bar", "x.bar", "a*.b", "ab.b", "foo.bar.baz.qux"} {
		got, want := flatten(snap.Match(lit)), expected(subs, lit)
		if !slices.Equal(got, want) {
			t.Errorf("Match(%q) = %v, want %v", lit, got, want)
		}
	}
	// q1 members from "foo.bar" and "foo.*" are one group.
	r := snap.Match("foo.bar")
	n := 0
	for _, g := range r.Groups {
		if g.Name == "q1" {
			n++
			if len(g.Members) != 2 {
				t.Errorf("q1 group has %d members, want 2", len(g.Members))
			}
		}
	}
	if n != 1 {
		t.Errorf("q1 appears in %d groups, want 1", n)
	}
	if snap.Count() != len(subs) {
		t.Errorf("Count = %d, want %d", snap.Count(), len(subs))
	}
}

func TestSnapshotsAreImmutable(t *testing.T) {
	b := NewBuilder[*sub]()
	a := &sub{"foo.bar", "", 1}
	c := &sub{"foo.*", "", 2}
	b.Insert(a.subject, "", a)
	s1 := b.Snapshot()
	b.Insert(c.subject, "", c)
	s2 := b.Snapshot()
	if !b.Remove(a.subject, "", a) {
		t.Fatal("Remove reported not found")
	}
	s3 := b.Snapshot()
	if got := flatten(s1.Match("foo.bar")); !slices.Equal(got, []string{"1"}) {
		t.Errorf("s1 = %v", got)
	}
	if got := flatten(s2.Match("foo.bar")); !slices.Equal(got, []string{"1", "2"}) {
		t.Errorf("s2 = %v", got)
	}
	if got := flatten(s3.Match("foo.bar")); !slices.Equal(got, []string{"2"}) {
		t.Errorf("s3 = %v", got)
	}
	if !(s1.Gen() < s2.Gen() && s2.Gen() < s3.Gen()) {
		t.Errorf("generations not increasing: %d %d %d", s1.Gen(), s2.Gen(), s3.Gen())
	}
	if b.Snapshot() != s3 {
		t.Error("Snapshot without changes must return the previous snapshot")
	}
}

func TestRemoveUnknownAndPrune(t *testing.T) {
	b := NewBuilder[*sub]()
	a := &sub{"a.b.c", "q", 1}
	if b.Remove("a.b.c", "q", a) {
		t.Fatal("Remove of absent item reported found")
	}
	b.Insert(a.subject, a.queue, a)
	if b.Remove("a.b.c", "", a) || b.Remove("a.b.c", "other", a) {
		t.Fatal("Remove with the wrong queue reported found")
	}
	if !b.Remove("a.b.c", "q", a) {
		t.Fatal("Remove did not find the item")
	}
	if !b.root.empty() {
		t.Fatal("empty nodes were not pruned")
	}
	if b.Count() != 0 {
		t.Fatalf("Count = %d", b.Count())
	}
}

// TestRandomAgainstNaive applies random inserts and removes in batches and
// checks every snapshot, old and new, against the reference matcher.
func TestRandomAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	toks := []string{"a", "b", "c", "*", ">"}
	randSubject := func() string {
		n := 1 + rng.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = toks[rng.IntN(len(toks))]
			if parts[i] == ">" && i != n-1 {
				parts[i] = "a"
			}
		}
		return strings.Join(parts, ".")
	}
	randLiteral := func() string {
		n := 1 + rng.IntN(5)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = toks[rng.IntN(3)]
		}
		return strings.Join(parts, ".")
	}
	b := NewBuilder[*sub]()
	var live []*sub
	type frozen struct {
		snap *Snapshot[*sub]
		subs []*sub
	}
	var history []frozen
	id := 0
	for batch := 0; batch < 200; batch++ {
		for op := 0; op < 1+rng.IntN(10); op++ {
			if len(live) > 0 && rng.IntN(3) == 0 {
				i := rng.IntN(len(live))
				s := live[i]
				if !b.Remove(s.subject, s.queue, s) {
					t.Fatalf("Remove(%v) not found", s)
				}
				live = slices.Delete(live, i, i+1)
				continue
			}
			id++
			q := ""
			if rng.IntN(3) == 0 {
				q = []string{"q1", "q2"}[rng.IntN(2)]
			}
			s := &sub{randSubject(), q, id}
			b.Insert(s.subject, s.queue, s)
			live = append(live, s)
		}
		history = append(history, frozen{b.Snapshot(), slices.Clone(live)})
	}
	for _, h := range history {
		if h.snap.Count() != len(h.subs) {
			t.Fatalf("gen %d: Count = %d, want %d", h.snap.Gen(), h.snap.Count(), len(h.subs))
		}
		for i := 0; i < 20; i++ {
			lit := randLiteral()
			if got, want := flatten(h.snap.Match(lit)), expected(h.subs, lit); !slices.Equal(got, want) {
				t.Fatalf("gen %d Match(%q) = %v, want %v", h.snap.Gen(), lit, got, want)
			}
		}
		n := 0
		h.snap.Each(func(subject, queue string, s *sub) bool {
			if subject != s.subject || queue != s.queue {
				t.Fatalf("Each gave %q %q for %v", subject, queue, s)
			}
			n++
			return true
		})
		if n != len(h.subs) {
			t.Fatalf("Each visited %d, want %d", n, len(h.subs))
		}
	}
}

// TestConcurrentReaders runs readers against published snapshots while the
// writer keeps changing the builder (meaningful under -race).
func TestConcurrentReaders(t *testing.T) {
	b := NewBuilder[*sub]()
	var cur struct {
		sync.Mutex
		s *Snapshot[*sub]
	}
	cur.s = b.Snapshot()
	load := func() *Snapshot[*sub] { cur.Lock(); defer cur.Unlock(); return cur.s }
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s := load()
				res := s.Match("foo.bar")
				for _, x := range res.Plain {
					_ = x.id
				}
			}
		}()
	}
	var subs []*sub
	for i := 0; i < 2000; i++ {
		s := &sub{fmt.Sprintf("foo.%s", []string{"bar", "*", ">"}[i%3]), "", i}
		b.Insert(s.subject, "", s)
		subs = append(subs, s)
		if i%2 == 1 {
			b.Remove(subs[i-1].subject, "", subs[i-1])
		}
		snap := b.Snapshot()
		cur.Lock()
		cur.s = snap
		cur.Unlock()
	}
	close(stop)
	wg.Wait()
	if got := load().Count(); got != 1000 {
		t.Fatalf("Count = %d, want 1000", got)
	}
}

func BenchmarkMatch(b *testing.B) {
	for _, n := range []int{1, 1000, 100000} {
		bl := NewBuilder[*sub]()
		for i := 0; i < n; i++ {
			s := &sub{fmt.Sprintf("bench.%d.x", i), "", i}
			bl.Insert(s.subject, "", s)
		}
		bl.Insert("bench.*.x", "", &sub{"bench.*.x", "", -1})
		bl.Insert("bench.>", "q", &sub{"bench.>", "q", -2})
		snap := bl.Snapshot()
		b.Run(fmt.Sprintf("subs=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				r := snap.Match("bench.0.x")
				if len(r.Plain) != 2 {
					b.Fatal(len(r.Plain))
				}
			}
		})
	}
}

func BenchmarkInsertBatch(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		bl := NewBuilder[*sub]()
		for i := 0; i < 1000; i++ {
			bl.Insert(fmt.Sprintf("x.%d", i), "", &sub{id: i})
		}
		bl.Snapshot()
	}
}

// TestChildrenAgainstMap drives the hash trie with many keys (forcing
// sub-tries and collisions at every depth) across batches, checking every
// frozen version against a plain map.
func TestChildrenAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	var c children[*sub]
	want := map[string]*node[*sub]{}
	type version struct {
		c    children[*sub]
		want map[string]*node[*sub]
	}
	var versions []version
	txn := uint64(1)
	for batch := 0; batch < 300; batch++ {
		for op := 0; op < 1+rng.IntN(50); op++ {
			k := fmt.Sprint(rng.IntN(3000))
			if rng.IntN(3) == 0 {
				c.del(k, txn)
				delete(want, k)
				continue
			}
			v := &node[*sub]{}
			c.set(k, v, txn)
			want[k] = v
		}
		cp := make(map[string]*node[*sub], len(want))
		for k, v := range want {
			cp[k] = v
		}
		versions = append(versions, version{c, cp})
		txn++ // freeze: later batches must not change this version
	}
	for i, v := range versions {
		if v.c.len() != len(v.want) {
			t.Fatalf("version %d: len %d, want %d", i, v.c.len(), len(v.want))
		}
		seen := 0
		v.c.each(func(k string, n *node[*sub]) bool {
			if v.want[k] != n {
				t.Fatalf("version %d: key %q has the wrong node", i, k)
			}
			seen++
			return true
		})
		if seen != len(v.want) {
			t.Fatalf("version %d: each saw %d, want %d", i, seen, len(v.want))
		}
		for k, n := range v.want {
			if v.c.get(k) != n {
				t.Fatalf("version %d: get(%q) wrong", i, k)
			}
		}
		if v.c.get("absent") != nil {
			t.Fatalf("version %d: absent key found", i)
		}
	}
}

// BenchmarkInsertWideNode inserts into a node with 100,000 children, one
// snapshot per insert (the worst case for copy on write).
func BenchmarkInsertWideNode(b *testing.B) {
	bl := NewBuilder[*sub]()
	for i := 0; i < 100000; i++ {
		bl.Insert(fmt.Sprintf("wide.%d", i), "", &sub{id: i})
	}
	bl.Snapshot()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		bl.Insert(fmt.Sprintf("wide.x%d", i), "", &sub{id: i})
		bl.Snapshot()
		i++
	}
}

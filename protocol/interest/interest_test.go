package interest

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

func render(l Line) string {
	if !l.Add {
		if l.Key.Queue != "" {
			return "LS- " + l.Key.Subject + " " + l.Key.Queue
		}
		return "LS- " + l.Key.Subject
	}
	if l.Key.Queue != "" {
		return fmt.Sprintf("LS+ %s %s %d", l.Key.Subject, l.Key.Queue, l.Weight)
	}
	return "LS+ " + l.Key.Subject
}

// TestMapTranscripts replays nats-server's observed sequences (spec 3.2).
func TestMapTranscripts(t *testing.T) {
	plain, q := Key{Subject: "foo"}, Key{Subject: "foo", Queue: "bar"}
	cases := []struct {
		name  string
		steps []struct {
			k Key
			d int
		}
		want []string
	}{
		{"plain counts", []struct {
			k Key
			d int
		}{{plain, 1}, {plain, 1}, {plain, -1}, {plain, -1}}, []string{"LS+ foo", "LS- foo"}},
		{"queue members", []struct {
			k Key
			d int
		}{{q, 1}, {q, 1}, {q, 1}, {q, -1}, {q, -1}, {q, -1}},
			[]string{"LS+ foo bar 1", "LS+ foo bar 2", "LS+ foo bar 3", "LS+ foo bar 2", "LS+ foo bar 1", "LS- foo bar"}},
		{"queue weight delta", []struct {
			k Key
			d int
		}{{q, 5}, {q, 3}, {q, -8}}, []string{"LS+ foo bar 5", "LS+ foo bar 8", "LS- foo bar"}},
		{"remove unknown", []struct {
			k Key
			d int
		}{{plain, -1}, {q, -2}}, nil},
	}
	for _, tc := range cases {
		m := NewMap()
		var got []string
		for _, s := range tc.steps {
			if l, ok := m.Apply(s.k, s.d); ok {
				got = append(got, render(l))
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		if m.Len() != 0 && tc.name != "remove unknown" {
			t.Errorf("%s: %d keys left", tc.name, m.Len())
		}
	}
}

func TestSync(t *testing.T) {
	m := NewMap()
	m.Apply(Key{Subject: "a"}, 1)
	m.Apply(Key{Subject: "b"}, 2)
	m.Apply(Key{Subject: "q", Queue: "g"}, 2)
	m.Apply(Key{Subject: "r", Queue: "g"}, 1)
	lines := m.Sync(map[Key]int{{Subject: "b"}: 1, {Subject: "c"}: 1, {Subject: "q", Queue: "g"}: 3, {Subject: "r", Queue: "g"}: 1})
	var got []string
	for _, l := range lines {
		got = append(got, render(l))
	}
	sort.Strings(got)
	want := []string{"LS+ c", "LS+ q g 3", "LS- a"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if m.Count(Key{Subject: "b"}) != 1 || m.Len() != 4 {
		t.Fatalf("map not synced: len %d", m.Len())
	}
}

func TestPropagateAndDump(t *testing.T) {
	local := Source{}
	fromHubRole := Source{Leaf: true, HubRole: true, Cluster: "C1"}
	fromSpoke := Source{Leaf: true, HubRole: false, Cluster: "HUB"}
	hubTarget := Target{HubRole: true, Cluster: "C2"}
	spokeTarget := Target{HubRole: false, Cluster: "HUB2"}
	isolated := Target{HubRole: true, Cluster: "C3", Isolated: true}
	cases := []struct {
		name    string
		subject string
		src     Source
		t       Target
		prop    bool
		dump    bool
	}{
		{"local to a leaf of ours", "foo", local, hubTarget, true, true},
		{"local to our hub", "foo", local, spokeTarget, true, true},
		{"leaf to another leaf", "foo", fromHubRole, hubTarget, true, true},
		{"leaf interest to our hub", "foo", fromHubRole, spokeTarget, true, true},
		{"one hub's interest to another hub", "foo", fromSpoke, spokeTarget, false, false},
		{"hub's interest to our leafs", "foo", fromSpoke, hubTarget, true, true},
		{"LDS crosses hubs", "$LDS.x", fromSpoke, spokeTarget, true, false},
		{"isolated hears no leaf interest", "foo", fromHubRole, isolated, false, false},
		{"isolated hears local interest", "foo", local, isolated, true, true},
		{"same origin cluster", "foo", fromHubRole, Target{HubRole: true, Cluster: "C1"}, false, false},
		{"same origin LDS", "$LDS.x", fromHubRole, Target{HubRole: true, Cluster: "C1"}, false, false},
	}
	for _, tc := range cases {
		if got := Propagate(tc.subject, tc.src, tc.t); got != tc.prop {
			t.Errorf("%s: Propagate = %v, want %v", tc.name, got, tc.prop)
		}
		if got := InDump(tc.src, tc.t); got != tc.dump {
			t.Errorf("%s: InDump = %v, want %v", tc.name, got, tc.dump)
		}
	}
}

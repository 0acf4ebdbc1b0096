package remote

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/leafhub/leafhub/config"
)

func urls(hosts ...string) []*url.URL {
	out := make([]*url.URL, len(hosts))
	for i, h := range hosts {
		out[i] = &url.URL{Scheme: "nats", Host: h}
	}
	return out
}

// TestRotation (spec 5.3): the URL used last moves from the head to the
// tail, so attempts go round robin and the first attempt after a
// disconnect tries another URL.
func TestRotation(t *testing.T) {
	a := &Actor{sh: &Shared{urls: urls("a:1", "b:1", "c:1")}}
	var got []string
	for i := 0; i < 5; i++ {
		got = append(got, a.next().Host)
	}
	if want := []string{"a:1", "b:1", "c:1", "a:1", "b:1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("rotation %v, want %v", got, want)
	}
	single := &Actor{sh: &Shared{urls: urls("only:1")}}
	if single.next().Host != "only:1" || single.next().Host != "only:1" {
		t.Fatal("a single URL must be reused")
	}
}

// TestDiscovered (spec 5.3): the hub's leafnode_urls come first, in received
// order, minus configured ones, then the configured URLs in configured order.
func TestDiscovered(t *testing.T) {
	cfg := Config{Opts: &config.RemoteLeafOpts{URLs: urls("conf1:7422", "conf2:7422")}}
	a := &Actor{cfg: cfg, sh: &Shared{}}
	a.sh.status.Store(&Status{})
	a.discovered([]string{"new1:7422", "conf2:7422", "new2:7422", "new1:7422"}, "nats-leaf")
	var got []string
	for _, u := range a.sh.urls {
		got = append(got, u.Host)
	}
	if want := []string{"new1:7422", "new2:7422", "conf1:7422", "conf2:7422"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("list %v, want %v", got, want)
	}
	if st := a.sh.Status(); !reflect.DeepEqual(st.URLs, got) {
		t.Fatalf("status URLs %v", st.URLs)
	}
	// A websocket remote learns the hub's websocket URLs, with its scheme.
	ws := &Actor{cfg: Config{Opts: &config.RemoteLeafOpts{URLs: urls("conf1:443")}}, sh: &Shared{}}
	ws.sh.status.Store(&Status{})
	ws.discovered([]string{"new1:443"}, "wss")
	if u := ws.sh.urls[0]; u.Scheme != "wss" || u.Host != "new1:443" {
		t.Fatalf("websocket remote learned %v", u)
	}
}

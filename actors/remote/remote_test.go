package remote

import (
	"net"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/conn"
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

// fakeConns stands in for the connections supervisor: it hands each
// SpawnLeaf to the test (closing its socket) and answers nothing itself.
func fakeConns(t *testing.T, sys *actor.ActorSystem) (*actor.PID, chan *actor.PID) {
	asks := make(chan *actor.PID, 16)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
		if m, ok := c.Message().(*conn.SpawnLeaf); ok {
			_ = m.Conn.Close()
			asks <- c.Sender()
		}
	}))
	return pid, asks
}

// startRemote runs a remote actor dialling a local listener that accepts
// every dial.
func startRemote(t *testing.T, sys *actor.ActorSystem, conns *actor.PID, sh *Shared) *actor.PID {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	cfg := Config{Opts: &config.RemoteLeafOpts{URLs: urls(ln.Addr().String()), DialTimeout: time.Second},
		Interval: 10 * time.Millisecond, Conns: conns, Log: zap.NewNop()}
	return sys.Root.Spawn(Props(cfg, sh))
}

func nextAsk(t *testing.T, asks chan *actor.PID, what string) *actor.PID {
	t.Helper()
	select {
	case p := <-asks:
		return p
	case <-time.After(5 * time.Second):
		t.Fatalf("no SpawnLeaf %s", what)
		return nil
	}
}

// TestSpawnAnswerLost (reaudit34 #12): when the answer to SpawnLeaf never
// comes (the connections supervisor failed first), the remote dials again
// after a bounded wait, also when it restarted in between; an answer that
// comes after that wait ended stops the connection it names.
func TestSpawnAnswerLost(t *testing.T) {
	old := spawnWait
	spawnWait = 100 * time.Millisecond
	t.Cleanup(func() { spawnWait = old })
	sys := actor.NewActorSystem()
	t.Cleanup(sys.Shutdown)
	conns, asks := fakeConns(t, sys)
	sh := &Shared{}
	r := startRemote(t, sys, conns, sh)

	late := nextAsk(t, asks, "at start")
	nextAsk(t, asks, "after a lost answer")
	sys.Root.Send(r, &Fault{}) // restarts while the second is unanswered
	current := nextAsk(t, asks, "after a restart during the wait")

	// The current request is answered, then the first one, late.
	stopped := make(chan string, 2)
	leaf := func(name string) *actor.PID {
		return sys.Root.Spawn(actor.PropsFromFunc(func(c actor.Context) {
			if _, ok := c.Message().(*actor.Stopping); ok {
				stopped <- name
			}
		}))
	}
	sys.Root.Send(current, &conn.LeafSpawned{PID: leaf("current"), State: &conn.State{CID: 7}})
	sys.Root.Send(late, &conn.LeafSpawned{PID: leaf("late"), State: &conn.State{CID: 8}})
	select {
	case name := <-stopped:
		if name != "late" {
			t.Fatalf("stopped the %s connection", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a connection from a late answer was not stopped")
	}
	if st := sh.Status(); st.CID != 7 {
		t.Fatalf("status %+v, want the current connection's", st)
	}
}

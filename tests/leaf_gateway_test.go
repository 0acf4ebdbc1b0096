package tests

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

// TestLeafBehindGateway (L-32): leafhub is a leaf of one cluster of a
// nats-server supercluster; a client in the other cluster sends a request
// that crosses the gateway (its reply carries the _GR_. prefix) to a
// responder on leafhub, and gets the answer.
func TestLeafBehindGateway(t *testing.T) {
	aGW, bGW := freePort(t), freePort(t)
	gw := func(name string, own int) string {
		return fmt.Sprintf("server_name: %s\ngateway { name: %s, listen: 127.0.0.1:%d, gateways [ {name: A, url: \"nats://127.0.0.1:%d\"}, {name: B, url: \"nats://127.0.0.1:%d\"} ] }\n",
			name, name, own, aGW, bGW)
	}
	a := startNATS(t, gw("A", aGW)+"accounts { SYS { users [ {user: sys, password: p} ] } }\nsystem_account: SYS\nleafnodes { listen: 127.0.0.1:-1 }\n")
	// b has the same system account so the gateways agree.
	b := startNATS(t, gw("B", bGW)+"accounts { SYS { users [ {user: sys, password: p} ] } }\nsystem_account: SYS\n")
	eventually(t, 10*time.Second, func() error {
		if a.ns.NumOutboundGateways() == 0 || b.ns.NumOutboundGateways() == 0 {
			return fmt.Errorf("gateways not connected yet")
		}
		return nil
	})
	leaf := startLeafhub(t, leafConf("EDGE", a.leafPort(t), ""))
	waitLeafs(t, a, 1)
	waitInterest(t, leaf, "_GR_.x.y.z", true) // the hub announces _GR_.>
	lc := connect(t, leaf.url)
	replies := make(chan string, 100)
	_, _ = lc.Subscribe("edge.svc", func(m *nats.Msg) { replies <- m.Reply; _ = m.Respond([]byte("from the edge")) })
	_ = lc.Flush()
	waitInterest(t, a, "edge.svc", true)
	bc := connect(t, b.url)
	// Until B's gateway knows the inbox interest, the request reaches the
	// edge with a _GR_. reply: that one must be answered too.
	m, err := bc.Request("edge.svc", nil, 5*time.Second)
	if err != nil || string(m.Data) != "from the edge" {
		t.Fatalf("first request across the gateway: %v %v", m, err)
	}
	if r := <-replies; !strings.HasPrefix(r, "_GR_.") {
		t.Fatalf("the first request's reply was %q, not gateway-routed: this test needs a _GR_. reply", r)
	}
}

package tests

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nkeys"
)

// TestLeafNkeySeedRemote (L-37): our leaf signs the hub's nonce with a user
// seed; a nats-server hub with that nkey user accepts it.
func TestLeafNkeySeedRemote(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	hub := startNATS(t, fmt.Sprintf("server_name: HUB\nauthorization { users [ {nkey: %s} ] }\nleafnodes { listen: 127.0.0.1:-1 }\n", pub))
	startLeafhub(t, leafConf("EDGE", hub.leafPort(t), fmt.Sprintf(", nkey: %q", seed)))
	waitLeafs(t, hub, 1)
}

// TestLeafNkeyOnLeafPort: the leafnode port's own nkey authorization
// (`leafnodes.authorization.nkey`) admits a nats-server leaf that signs the
// nonce with the matching seed, and refuses one with another seed, on both
// hubs.
func TestLeafNkeyOnLeafPort(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	wrong, _ := nkeys.CreateUser()
	wrongSeed, _ := wrong.Seed()
	both(t, fmt.Sprintf("server_name: HUB\nleafnodes { listen: 127.0.0.1:-1, authorization { nkey: %s } }\n", pub), func(t *testing.T, hub *target) {
		bad := startNATS(t, leafConf("BAD", hub.leafPort(t), fmt.Sprintf(", nkey: %q", wrongSeed)))
		if hub.hub != nil {
			waitClosedLeaf(t, hub, "Authentication Failure", 5*time.Second)
		}
		if n := hubLeafCount(t, hub); n != 0 {
			t.Fatalf("a leaf with the wrong seed was admitted (%d leafs)", n)
		}
		shutdownTarget(t, bad)
		startNATS(t, leafConf("GOOD", hub.leafPort(t), fmt.Sprintf(", nkey: %q", seed)))
		waitLeafs(t, hub, 1)
	})
}

// TestLeafCredsRemote (L-37, L-38): a .creds file authenticates our leaf to
// a nats-server operator-mode hub, binding the JWT's account. The file is
// read at every dial: an expired user is refused (the remote keeps
// retrying), and rewriting the file with a valid user connects without a
// restart. A file that does not parse is reported and retried.
func TestLeafCredsRemote(t *testing.T) {
	op := newOperator(t)
	hub := startNATS(t, op.conf)
	file := filepath.Join(t.TempDir(), "edge.creds")
	if err := os.WriteFile(file, op.creds(t, time.Now().Add(-time.Hour)), 0o600); err != nil {
		t.Fatal(err)
	}
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), fmt.Sprintf(", credentials: %q", file)))
	eventually(t, 5*time.Second, func() error {
		if st := leaf.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "Authorization Violation") {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
	if hub.ns.NumLeafNodes() != 0 {
		t.Fatal("an expired user was accepted")
	}
	if err := os.WriteFile(file, op.creds(t, time.Time{}), 0o600); err != nil {
		t.Fatal(err)
	}
	waitLeafs(t, hub, 1)
	z, err := hub.ns.Leafz(nil)
	if err != nil || len(z.Leafs) != 1 || z.Leafs[0].Account != op.accPub {
		t.Fatalf("hub leafz %+v %v", z, err)
	}

	bad := filepath.Join(t.TempDir(), "bad.creds")
	if err := os.WriteFile(bad, []byte("not a creds file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	other := startLeafhub(t, leafConf("OTHER", hub.leafPort(t), fmt.Sprintf(", credentials: %q", bad)))
	eventually(t, 5*time.Second, func() error {
		if st := other.hub.Remotes()[0]; st.Attempts < 2 || !strings.Contains(st.Reason, "credentials file "+bad) {
			return fmt.Errorf("remote %+v", st)
		}
		return nil
	})
}

package tests

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"

	"github.com/leafhub/leafhub/actors/monitor"
)

// operatorSetup is an operator-mode configuration (operator, system
// account, MEMORY resolver with the account JWTs preloaded) with one
// application account, and a way to issue its users. The same text runs
// nats-server and leafhub.
type operatorSetup struct {
	conf    string
	account nkeys.KeyPair // the application account's identity key
	signer  nkeys.KeyPair // one of its signing keys
	accPub  string

	op            nkeys.KeyPair
	opJWT, sysPub string
	sysJWT        string
	claims        *jwt.AccountClaims
}

func newOperator(t testing.TB) *operatorSetup {
	t.Helper()
	op, _ := nkeys.CreateOperator()
	opPub, _ := op.PublicKey()
	oc := jwt.NewOperatorClaims(opPub)
	sys, _ := nkeys.CreateAccount()
	sysPub, _ := sys.PublicKey()
	oc.SystemAccount = sysPub
	opJWT, err := oc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	sc := jwt.NewAccountClaims(sysPub)
	sc.Name = "SYS"
	sysJWT, err := sc.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	acc, _ := nkeys.CreateAccount()
	accPub, _ := acc.PublicKey()
	signer, _ := nkeys.CreateAccount()
	signerPub, _ := signer.PublicKey()
	ac := jwt.NewAccountClaims(accPub)
	ac.Name = "EDGE_ACC"
	ac.SigningKeys.Add(signerPub)
	o := &operatorSetup{account: acc, signer: signer, accPub: accPub, op: op, opJWT: opJWT,
		sysPub: sysPub, sysJWT: sysJWT, claims: ac}
	o.encode(t)
	return o
}

// encode (re)writes conf from the current account claims.
func (o *operatorSetup) encode(t testing.TB) {
	t.Helper()
	accJWT, err := o.claims.Encode(o.op)
	if err != nil {
		t.Fatal(err)
	}
	o.conf = fmt.Sprintf(`server_name: HUB
operator: %s
system_account: %s
resolver: MEMORY
resolver_preload: { %s: %s, %s: %s }
leafnodes { listen: 127.0.0.1:-1 }
`, o.opJWT, o.sysPub, o.accPub, accJWT, o.sysPub, o.sysJWT)
}

// user issues a user of the account, signed by signer (the account key
// when nil), after edit adjusted its claims; it returns the .creds text
// and the user's public key.
func (o *operatorSetup) user(t testing.TB, signer nkeys.KeyPair, edit func(*jwt.UserClaims)) ([]byte, string) {
	t.Helper()
	u, _ := nkeys.CreateUser()
	upub, _ := u.PublicKey()
	uc := jwt.NewUserClaims(upub)
	if signer == nil {
		signer = o.account
	} else {
		uc.IssuerAccount = o.accPub
	}
	if edit != nil {
		edit(uc)
	}
	ujwt, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := u.Seed()
	b, err := jwt.FormatUserConfig(ujwt, seed)
	if err != nil {
		t.Fatal(err)
	}
	return b, upub
}

// creds issues a user of the account (expiring at expires, or never) as a
// .creds file's text.
func (o *operatorSetup) creds(t testing.TB, expires time.Time) []byte {
	t.Helper()
	b, _ := o.user(t, nil, func(uc *jwt.UserClaims) {
		if !expires.IsZero() {
			uc.Expires = expires.Unix()
		}
	})
	return b
}

// credsFile writes creds text to a file in a test directory.
func credsFile(t testing.TB, creds []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "user.creds")
	if err := os.WriteFile(f, creds, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// dialCreds connects a nats.go client with a creds file, without retries.
func dialCreds(url, file string, opts ...nats.Option) (*nats.Conn, error) {
	return nats.Connect(url, append([]nats.Option{nats.UserCredentials(file), nats.NoReconnect(), nats.Timeout(5 * time.Second)}, opts...)...)
}

// TestOperatorClients (issue 4 item 2): in operator mode, clients
// authenticate with user JWTs issued by a preloaded account, directly or
// through one of its signing keys, and land in that account; no JWT, an
// expired user, a revoked user, a seed that does not match the JWT, an
// unknown signer or a forbidden connection type are refused with
// Authorization Violation; the JWT's permissions apply.
func TestOperatorClients(t *testing.T) {
	op := newOperator(t)
	// A user whose JWT was issued before the account revoked it.
	revokedCreds, revokedUser := op.user(t, nil, nil)
	op.claims.Revoke(revokedUser)
	op.encode(t)
	mismatched := func() []byte {
		// A creds file whose seed is not the JWT's user: the signature of
		// the nonce does not verify.
		good, _ := op.user(t, nil, nil)
		other, _ := nkeys.CreateUser()
		seed, _ := other.Seed()
		j, err := jwt.ParseDecoratedJWT(good)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Appendf(nil, "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", j, seed)
	}()
	stranger, _ := nkeys.CreateAccount()
	refused := map[string][]byte{
		"expired":          op.creds(t, time.Now().Add(-time.Hour)),
		"revoked":          revokedCreds,
		"wrong signature":  mismatched,
		"unknown signer":   mustCreds(op.user(t, stranger, nil)),
		"leafnode only":    mustCreds(op.user(t, nil, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeLeafnode) })),
		"outside src cidr": mustCreds(op.user(t, nil, func(uc *jwt.UserClaims) { uc.Src.Add("10.99.0.0/16") })),
	}
	both(t, op.conf, func(t *testing.T, s *target) {
		for _, signer := range []nkeys.KeyPair{nil, op.signer} {
			nc, err := dialCreds(s.url, credsFile(t, mustCreds(op.user(t, signer, nil))))
			if err != nil {
				t.Fatalf("valid user (signing key %v): %v", signer != nil, err)
			}
			sub, _ := nc.SubscribeSync("op.x")
			_ = nc.Publish("op.x", []byte("hi"))
			if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "hi" {
				t.Fatalf("round trip: %v %v", m, err)
			}
			if acc := connAccount(t, s, nc); acc != op.accPub {
				t.Fatalf("client bound to %q, want the account %s", acc, op.accPub)
			}
			nc.Close()
		}
		if _, err := nats.Connect(s.url, nats.NoReconnect()); err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
			t.Fatalf("no JWT: %v", err)
		}
		for name, creds := range refused {
			if _, err := dialCreds(s.url, credsFile(t, creds)); err == nil || !strings.Contains(err.Error(), "Authorization Violation") {
				t.Errorf("%s: %v, want Authorization Violation", name, err)
			}
		}
		limited := mustCreds(op.user(t, nil, func(uc *jwt.UserClaims) {
			uc.Pub.Allow.Add("ok.>")
			uc.Sub.Allow.Add("ok.>", "_INBOX.>")
		}))
		errs := make(chan error, 4)
		nc, err := dialCreds(s.url, credsFile(t, limited), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		_ = nc.Publish("no.x", nil)
		if err := nextErr(t, errs, 5*time.Second, "publish outside the JWT's permissions was not refused"); !strings.Contains(err.Error(), `Permissions Violation for Publish to "no.x"`) {
			t.Fatalf("publish outside the JWT's permissions: %v", err)
		}
	})
}

// TestOperatorUserExpires: a connected user whose JWT expires is closed
// with "User Authentication Expired", as nats-server does.
func TestOperatorUserExpires(t *testing.T) {
	op := newOperator(t)
	both(t, op.conf, func(t *testing.T, s *target) {
		creds := op.creds(t, time.Now().Add(2*time.Second))
		errs := make(chan error, 4)
		nc, err := dialCreds(s.url, credsFile(t, creds), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		if err := nextErr(t, errs, 10*time.Second, "the expired user is still connected"); !errors.Is(err, nats.ErrAuthExpired) {
			t.Fatalf("got %v, want %v", err, nats.ErrAuthExpired)
		}
	})
}

// TestOperatorLeaf (issue 4 item 2): an operator-mode hub accepts a leaf
// whose remote presents a user JWT of a preloaded account, in every role
// pairing; the leaf is bound to that account and messages flow; an expired
// leaf user is refused and its remote keeps retrying.
func TestOperatorLeaf(t *testing.T) {
	op := newOperator(t)
	for _, pr := range pairs {
		t.Run("hub="+pr[0]+"/leaf="+pr[1], func(t *testing.T) {
			start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
			hub := start[pr[0]](t, op.conf)
			file := credsFile(t, mustCreds(op.user(t, op.signer, nil)))
			leaf := start[pr[1]](t, leafConf("EDGE", hub.leafPort(t), fmt.Sprintf(", credentials: %q", file)))
			waitLeafs(t, hub, 1)
			if acc, _ := onlyLeaf(t, hub); acc != op.accPub {
				t.Fatalf("leaf bound to %q, want %s", acc, op.accPub)
			}
			hubFile := credsFile(t, op.creds(t, time.Time{}))
			hc, err := dialCreds(hub.url, hubFile)
			if err != nil {
				t.Fatal(err)
			}
			defer hc.Close()
			lc := connect(t, leaf.url)
			sub, _ := hc.SubscribeSync("op.up")
			_ = hc.Flush()
			waitInterest(t, leaf, "op.up", true)
			_ = lc.Publish("op.up", []byte("from the edge"))
			if m, err := sub.NextMsg(5 * time.Second); err != nil || string(m.Data) != "from the edge" {
				t.Fatalf("up: %v %v", m, err)
			}
		})
	}
	hub := startLeafhub(t, op.conf)
	file := credsFile(t, op.creds(t, time.Now().Add(-time.Hour)))
	leaf := startNATS(t, leafConf("EXPIRED", hub.leafPort(t), fmt.Sprintf(", credentials: %q", file)))
	waitClosedLeaf(t, hub, "Authentication Failure", 5*time.Second)
	if n := leaf.ns.NumLeafNodes(); n != 0 {
		t.Fatalf("expired leaf user connected (%d)", n)
	}
}

// TestOperatorLeafRefused (issue 4 items 2 and 7): on the leafnode port of
// an operator-mode hub, leaf users that an operator-mode nats-server refuses
// are refused too (expired, revoked, a seed that does not match the JWT,
// an unknown signer, a user not allowed to be a leafnode), in every role
// pairing: the hub has no leaf and the leaf keeps dialling.
func TestOperatorLeafRefused(t *testing.T) {
	op := newOperator(t)
	revokedCreds, revokedUser := op.user(t, nil, nil)
	op.claims.Revoke(revokedUser)
	op.encode(t)
	good, _ := op.user(t, nil, nil)
	j, err := jwt.ParseDecoratedJWT(good)
	if err != nil {
		t.Fatal(err)
	}
	other, _ := nkeys.CreateUser()
	otherSeed, _ := other.Seed()
	mismatched := fmt.Appendf(nil, "-----BEGIN NATS USER JWT-----\n%s\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n%s\n------END USER NKEY SEED------\n", j, otherSeed)
	stranger, _ := nkeys.CreateAccount()
	refused := []struct {
		name  string
		creds []byte
	}{
		{"expired", op.creds(t, time.Now().Add(-time.Hour))},
		{"revoked", revokedCreds},
		{"wrong signature", mismatched},
		{"unknown signer", mustCreds(op.user(t, stranger, nil))},
		{"clients only", mustCreds(op.user(t, nil, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add(jwt.ConnectionTypeStandard) }))},
	}
	start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
	for _, pr := range pairs {
		t.Run("hub="+pr[0]+"/leaf="+pr[1], func(t *testing.T) {
			hub := start[pr[0]](t, op.conf)
			for _, tc := range refused {
				before := 0
				if hub.hub != nil {
					before = closedLeafs(t, hub, "Authentication Failure")
				}
				leaf := start[pr[1]](t, leafConf("EDGE", hub.leafPort(t), fmt.Sprintf(", credentials: %q", credsFile(t, tc.creds))))
				if leaf.hub != nil {
					// Our remote says why and keeps dialling.
					eventually(t, 10*time.Second, func() error {
						st := leaf.hub.Remotes()[0]
						if st.Attempts < 2 || !strings.Contains(st.Reason, "Authorization Violation") || st.Connects != 0 {
							return fmt.Errorf("%s: remote %+v", tc.name, st)
						}
						return nil
					})
				} else if hub.hub != nil {
					// A nats-server leaf keeps dialling: the hub closes it again and again.
					eventually(t, 10*time.Second, func() error {
						if n := closedLeafs(t, hub, "Authentication Failure") - before; n < 2 {
							return fmt.Errorf("%s: %d refused leaf connections so far", tc.name, n)
						}
						return nil
					})
				}
				if n := hubLeafCount(t, hub); n != 0 {
					t.Fatalf("%s: the hub has %d leafs", tc.name, n)
				}
				shutdownTarget(t, leaf)
			}
		})
	}
}

// TestOperatorLeafExpires: a connected leaf whose user JWT expires is
// closed by the hub and not let back in, in every role pairing. The leaf
// re-dials after 1.5 s: within the second a JWT ends it is still valid
// (one-second granularity), and nats-server's expiry timer races with its
// CONNECT handling when a leaf comes back inside that second.
func TestOperatorLeafExpires(t *testing.T) {
	op := newOperator(t)
	start := map[string]func(testing.TB, string) *target{"leafhub": startLeafhub, "nats-server": startNATS}
	for _, pr := range pairs {
		t.Run("hub="+pr[0]+"/leaf="+pr[1], func(t *testing.T) {
			t.Parallel() // mostly waiting for the JWT to run out
			hub := start[pr[0]](t, op.conf)
			file := credsFile(t, op.creds(t, time.Now().Add(2*time.Second)))
			leaf := start[pr[1]](t, fmt.Sprintf("server_name: EDGE\nleafnodes { reconnect: \"1500ms\", remotes [ { url: \"nats://127.0.0.1:%d\", credentials: %q } ] }\n", hub.leafPort(t), file))
			waitLeafs(t, hub, 1)
			eventually(t, 10*time.Second, func() error {
				if n := hubLeafCount(t, hub); n != 0 {
					return fmt.Errorf("the hub still has %d leafs", n)
				}
				return nil
			})
			// The re-dial (and, for our remote, the one after) is refused.
			throughout(t, 3500*time.Millisecond, func() error {
				if n := hubLeafCount(t, hub); n != 0 {
					return fmt.Errorf("the expired leaf came back (%d leafs)", n)
				}
				return nil
			})
			if leaf.hub != nil {
				if st := leaf.hub.Remotes()[0]; st.State == "connected" || st.Attempts < 1 || !strings.Contains(st.Reason, "Authorization Violation") {
					t.Fatalf("remote %+v", st)
				}
			}
		})
	}
}

// closedLeafs counts a target's closed leaf connections with reason.
func closedLeafs(t testing.TB, s *target, reason string) int {
	t.Helper()
	n := 0
	for _, r := range closedLeafReasons(t, s) {
		if r == reason {
			n++
		}
	}
	return n
}

// hubLeafCount is the number of leaf connections a target has.
func hubLeafCount(t testing.TB, s *target) int {
	t.Helper()
	if s.ns != nil {
		return s.ns.NumLeafNodes()
	}
	z, err := s.hub.Leafz(leafzAll)
	if err != nil {
		t.Fatal(err)
	}
	return len(z.Leafs)
}

func mustCreds(b []byte, _ string) []byte { return b }

// connAccount is the account a client connection is bound to, from the
// server's /connz (auth=1).
func connAccount(t testing.TB, s *target, nc *nats.Conn) string {
	t.Helper()
	cid := cidOf(t, nc)
	if s.ns != nil {
		z, err := s.ns.Connz(&server.ConnzOptions{CID: cid, Username: true})
		if err != nil || len(z.Conns) != 1 {
			t.Fatalf("connz cid %d: %v", cid, err)
		}
		return z.Conns[0].Account
	}
	z, err := s.hub.Connz(monitor.ConnzOptions{CID: cid, Username: true})
	if err != nil || len(z.Conns) != 1 {
		t.Fatalf("connz cid %d: %v", cid, err)
	}
	return z.Conns[0].Account
}

// onlyLeaf describes a target's only leaf connection as /leafz shows it.
func onlyLeaf(t testing.TB, s *target) (account, compression string) {
	t.Helper()
	if s.ns != nil {
		z, err := s.ns.Leafz(nil)
		if err != nil || len(z.Leafs) != 1 {
			t.Fatalf("leafz %+v %v", z, err)
		}
		return z.Leafs[0].Account, z.Leafs[0].Compression
	}
	z, err := s.hub.Leafz(leafzAll)
	if err != nil || len(z.Leafs) != 1 {
		t.Fatalf("leafz %+v %v", z, err)
	}
	return z.Leafs[0].Account, z.Leafs[0].Compression
}

// TestOperatorMalformedJWT (issue 4 item 7): a CONNECT whose JWT does not
// decode gets Authorization Violation and is closed; nothing else moves.
func TestOperatorMalformedJWT(t *testing.T) {
	op := newOperator(t)
	both(t, op.conf, func(t *testing.T, s *target) {
		good, err := dialCreds(s.url, credsFile(t, op.creds(t, time.Time{})))
		if err != nil {
			t.Fatal(err)
		}
		defer good.Close()
		r := dialRaw(t, s.addr)
		r.send(`CONNECT {"jwt":"eyJhbGciOiJub3RoaW5n.garbage.x","sig":"AAAA","protocol":1}` + "\r\nPING\r\n")
		if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Authorization Violation'") {
			t.Fatalf("malformed JWT: %q", lines)
		}
		r = dialLeafRaw(t, s)
		r.send(`CONNECT {"jwt":"not a jwt","sig":"AAAA","name":"X","protocol":1}` + "\r\n")
		if lines := r.expectClosed(5 * time.Second); !contains(lines, "-ERR 'Authorization Violation'") {
			t.Fatalf("malformed leaf JWT: %q", lines)
		}
		if err := good.Flush(); err != nil {
			t.Fatalf("a valid user was disturbed: %v", err)
		}
	})
}

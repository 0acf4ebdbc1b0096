package tests

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"
)

func TestAuthUserPassword(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("hashed"), bcrypt.MinCost)
	conf := fmt.Sprintf(`authorization { users [ {user: a, password: pa}, {user: b, password: "%s"} ] }`, hash)
	both(t, conf, func(t *testing.T, s *target) {
		connect(t, s.url, nats.UserInfo("a", "pa"))
		connect(t, s.url, nats.UserInfo("b", "hashed"))
		_, err := nats.Connect(s.url, nats.UserInfo("a", "wrong"), nats.MaxReconnects(0))
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("wrong password: %v, want ErrAuthorization", err)
		}
		_, err = nats.Connect(s.url, nats.MaxReconnects(0))
		if !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("no credentials: %v, want ErrAuthorization", err)
		}
	})
}

func TestAuthToken(t *testing.T) {
	both(t, "authorization { token: s3cr3t }", func(t *testing.T, s *target) {
		connect(t, s.url, nats.Token("s3cr3t"))
		if _, err := nats.Connect(s.url, nats.Token("nope"), nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("wrong token: %v", err)
		}
	})
}

func TestAuthNkey(t *testing.T) {
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	seed, _ := kp.Seed()
	other, _ := nkeys.CreateUser()
	conf := fmt.Sprintf("authorization { users [ {nkey: %s} ] }", pub)
	both(t, conf, func(t *testing.T, s *target) {
		opt, err := nkeyOption(seed)
		if err != nil {
			t.Fatal(err)
		}
		connect(t, s.url, opt)
		// A signature by another key for our public key is refused.
		bad := nats.Nkey(pub, func(nonce []byte) ([]byte, error) { return other.Sign(nonce) })
		if _, err := nats.Connect(s.url, bad, nats.MaxReconnects(0)); !errors.Is(err, nats.ErrAuthorization) {
			t.Fatalf("bad signature: %v", err)
		}
		var info struct{ Nonce string }
		r := dialRaw(t, s.addr)
		_ = jsonField(r.info, &info)
		if len(info.Nonce) != 15 {
			t.Fatalf("INFO nonce %q, want 15 characters", info.Nonce)
		}
	})
}

func nkeyOption(seed []byte) (nats.Option, error) {
	kp, err := nkeys.FromSeed(seed)
	if err != nil {
		return nil, err
	}
	pub, _ := kp.PublicKey()
	return nats.Nkey(pub, func(nonce []byte) ([]byte, error) { return kp.Sign(nonce) }), nil
}

func TestAccountsIsolation(t *testing.T) {
	conf := `accounts {
		A { users [ {user: a1, password: p}, {user: a2, password: p} ] }
		B { users [ {user: b1, password: p} ] }
	}`
	both(t, conf, func(t *testing.T, s *target) {
		a1 := connect(t, s.url, nats.UserInfo("a1", "p"))
		a2 := connect(t, s.url, nats.UserInfo("a2", "p"))
		b1 := connect(t, s.url, nats.UserInfo("b1", "p"))
		subA, _ := a1.SubscribeSync("x")
		subB, _ := b1.SubscribeSync("x")
		_ = a1.Flush()
		_ = b1.Flush()
		_ = a2.Publish("x", []byte("from A"))
		_ = a2.Flush()
		if m, err := subA.NextMsg(2 * time.Second); err != nil || string(m.Data) != "from A" {
			t.Fatalf("same account: %v %v", m, err)
		}
		// Nothing crosses to B: prove it with a later message that must arrive first.
		_ = b1.Publish("x", []byte("from B"))
		m, err := subB.NextMsg(2 * time.Second)
		if err != nil || string(m.Data) != "from B" {
			t.Fatalf("account B got %v %v, want only its own message", m, err)
		}
	})
}

func TestNoAuthUser(t *testing.T) {
	conf := `accounts { A { users [ {user: a, password: p} ] } }
	no_auth_user: a`
	both(t, conf, func(t *testing.T, s *target) {
		anon := connect(t, s.url)
		named := connect(t, s.url, nats.UserInfo("a", "p"))
		sub, _ := named.SubscribeSync("x")
		_ = named.Flush()
		_ = anon.Publish("x", []byte("anon"))
		if _, err := sub.NextMsg(2 * time.Second); err != nil {
			t.Fatalf("anonymous client is not in account A: %v", err)
		}
	})
}

func TestPermissionsAsync(t *testing.T) {
	conf := `authorization { users [ {user: u, password: p, permissions: {publish: {allow: ["ok.>"]}, subscribe: {allow: ["ok.>", "_INBOX.>"], deny: ["ok.secret"]}}} ] }`
	both(t, conf, func(t *testing.T, s *target) {
		errs := make(chan error, 10)
		nc := connect(t, s.url, nats.UserInfo("u", "p"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		sub, _ := nc.SubscribeSync("ok.>")
		_ = nc.Flush()
		_ = nc.Publish("ok.secret", []byte("hidden"))
		_ = nc.Publish("ok.open", []byte("seen"))
		if m, err := sub.NextMsg(2 * time.Second); err != nil || m.Subject != "ok.open" {
			t.Fatalf("wildcard subscription over a deny: got %v %v, want ok.open only", m, err)
		}
		_ = nc.Publish("not.ok", nil)
		if err := nextErr(t, errs, 2*time.Second, "no async permissions error"); !strings.Contains(strings.ToLower(err.Error()), `permissions violation for publish to "not.ok"`) {
			t.Fatalf("async error %v", err)
		}
		if !nc.IsConnected() {
			t.Fatal("a permissions violation closed the connection")
		}
	})
}

// TestDefaultPermissionsScope: authorization.default_permissions apply to
// the authorization block's users only; an account's users get their
// account's default_permissions, or none (as nats-server).
func TestDefaultPermissionsScope(t *testing.T) {
	conf := `authorization { default_permissions: { publish: "x" }, users [ {user: a, password: p} ] }
accounts { B { users [ {user: b, password: p} ] }, C { default_permissions: { publish: "c" }, users [ {user: c, password: p} ] } }
`
	both(t, conf, func(t *testing.T, s *target) {
		for _, tc := range []struct {
			user    string
			refused bool
		}{{"a", true}, {"b", false}, {"c", true}} {
			errs := make(chan error, 4)
			nc := connect(t, s.url, nats.UserInfo(tc.user, "p"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
			sub, _ := nc.SubscribeSync("y")
			_ = nc.Publish("y", []byte("hi"))
			if tc.refused {
				if err := nextErr(t, errs, 2*time.Second, "no permissions error for "+tc.user); !strings.Contains(err.Error(), `Publish to "y"`) {
					t.Errorf("user %s: %v", tc.user, err)
				}
			} else if _, err := sub.NextMsg(2 * time.Second); err != nil {
				t.Errorf("user %s: publish to y not delivered: %v", tc.user, err)
			}
			nc.Close()
		}
	})
}

func TestAllowResponses(t *testing.T) {
	conf := `authorization { users [
		{user: svc, password: p, permissions: {subscribe: "svc", allow_responses: true}}
		{user: cli, password: p}
	] }`
	both(t, conf, func(t *testing.T, s *target) {
		errs := make(chan error, 10)
		svc := connect(t, s.url, nats.UserInfo("svc", "p"), nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { errs <- err }))
		cli := connect(t, s.url, nats.UserInfo("cli", "p"))
		_, err := svc.Subscribe("svc", func(m *nats.Msg) {
			_ = m.Respond([]byte("first"))
			_ = m.Respond([]byte("second")) // beyond max 1: refused
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = svc.Flush()
		inbox := nats.NewInbox()
		replies, _ := cli.SubscribeSync(inbox)
		_ = cli.PublishRequest("svc", inbox, nil)
		m, err := replies.NextMsg(2 * time.Second)
		if err != nil || string(m.Data) != "first" {
			t.Fatalf("response: %v %v", m, err)
		}
		if err := nextErr(t, errs, 2*time.Second, "the second response was not refused"); !strings.Contains(strings.ToLower(err.Error()), "permissions violation for publish to") {
			t.Fatalf("async error %v", err)
		}
		// Publishing anywhere else is refused too (empty publish allow list).
		_ = svc.Publish("elsewhere", nil)
		if err := nextErr(t, errs, 2*time.Second, "publish outside the responses was not refused"); !strings.Contains(err.Error(), `"elsewhere"`) {
			t.Fatalf("async error %v", err)
		}
		if _, err := replies.NextMsg(200 * time.Millisecond); err == nil {
			t.Fatal("a refused response was delivered")
		}
	})
}

func TestSystemAccountOnlyUsers(t *testing.T) {
	conf := `accounts { $SYS { users [ {user: admin, password: p} ] } }`
	both(t, conf, func(t *testing.T, s *target) {
		anon := connect(t, s.url)
		sub, _ := anon.SubscribeSync("x")
		_ = anon.Flush()
		other := connect(t, s.url)
		_ = other.Publish("x", nil)
		if _, err := sub.NextMsg(2 * time.Second); err != nil {
			t.Fatalf("anonymous clients are not in the global account: %v", err)
		}
		connect(t, s.url, nats.UserInfo("admin", "p"))
	})
}

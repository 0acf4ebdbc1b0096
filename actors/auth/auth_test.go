package auth

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"testing"

	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/leafhub/leafhub/config"
)

func mustParse(t *testing.T, conf string) *config.Options {
	t.Helper()
	o, err := config.Parse(conf)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestCheck(t *testing.T) {
	hash, _ := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	kp, _ := nkeys.CreateUser()
	pub, _ := kp.PublicKey()
	nonce := "abcdefghijklmno"
	sig, _ := kp.Sign([]byte(nonce))
	goodSig := base64.RawURLEncoding.EncodeToString(sig)
	stdSig := base64.StdEncoding.EncodeToString(sig)

	cases := []struct {
		name    string
		conf    string
		creds   Credentials
		ok      bool
		account string
		user    string
	}{
		{"no auth", "", Credentials{}, true, "$G", ""},
		{"single user", "authorization { user: u, password: p }", Credentials{User: "u", Pass: "p"}, true, "$G", "u"},
		{"single user wrong", "authorization { user: u, password: p }", Credentials{User: "u", Pass: "x"}, false, "", ""},
		{"token", "authorization { token: t }", Credentials{Token: "t"}, true, "$G", ""},
		{"token wrong", "authorization { token: t }", Credentials{Token: "u"}, false, "", ""},
		{"bcrypt", `authorization { users [ {user: b, password: "` + string(hash) + `"} ] }`, Credentials{User: "b", Pass: "secret"}, true, "$G", "b"},
		{"bcrypt wrong", `authorization { users [ {user: b, password: "` + string(hash) + `"} ] }`, Credentials{User: "b", Pass: "nope"}, false, "", ""},
		{"unknown user", "authorization { users [ {user: a, password: p} ] }", Credentials{User: "z", Pass: "p"}, false, "", ""},
		{"account user", "accounts { A { users [ {user: a, password: p} ] } }", Credentials{User: "a", Pass: "p"}, true, "A", "a"},
		{"anonymous refused", "accounts { A { users [ {user: a, password: p} ] } }", Credentials{}, false, "", ""},
		{"no_auth_user", "accounts { A { users [ {user: a, password: p} ] } }\nno_auth_user: a", Credentials{}, true, "A", "a"},
		{"nkey", "authorization { users [ {nkey: " + pub + "} ] }", Credentials{Nkey: pub, Sig: goodSig}, true, "$G", pub},
		{"nkey std base64", "authorization { users [ {nkey: " + pub + "} ] }", Credentials{Nkey: pub, Sig: stdSig}, true, "$G", pub},
		{"nkey no sig", "authorization { users [ {nkey: " + pub + "} ] }", Credentials{Nkey: pub}, false, "", ""},
		{"nkey bad sig", "authorization { users [ {nkey: " + pub + "} ] }", Credentials{Nkey: pub, Sig: "AAAA"}, false, "", ""},
		{"connection type", `authorization { users [ {user: a, password: p, allowed_connection_types: ["LEAFNODE"]} ] }`,
			Credentials{User: "a", Pass: "p"}, false, "", ""},
		{"system-only users", "accounts { $SYS { users [ {user: s, password: p} ] } }", Credentials{}, true, "$G", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := New(mustParse(t, tc.conf))
			id, ok := a.Check(tc.creds, nonce, "STANDARD")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if ok && (id.Account != tc.account || id.User != tc.user) {
				t.Fatalf("identity %+v, want account %q user %q", id, tc.account, tc.user)
			}
		})
	}
}

func TestAdvertise(t *testing.T) {
	for _, tc := range []struct {
		conf                string
		required, advertise bool
		nonce               bool
	}{
		{"", false, false, false},
		{"authorization { token: t }", true, true, false},
		{"accounts { A { users [ {user: a, password: p} ] } }\nno_auth_user: a", true, false, false},
		{"authorization { users [ {nkey: UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4} ] }", true, true, true},
	} {
		a := New(mustParse(t, tc.conf))
		if a.Required() != tc.required || a.AdvertiseAuthRequired() != tc.advertise || a.NeedsNonce() != tc.nonce {
			t.Errorf("%q: required %v advertise %v nonce %v", tc.conf, a.Required(), a.AdvertiseAuthRequired(), a.NeedsNonce())
		}
	}
}

func TestPermissions(t *testing.T) {
	conf := `authorization { users [ {user: u, password: p, permissions: {
		publish: {allow: ["pub.>", "x"], deny: ["pub.secret"]}
		subscribe: {allow: ["sub.>", "q.* grp"], deny: ["sub.hidden", "sub.q bad"]}
	}} ] }`
	a := New(mustParse(t, conf))
	id, ok := a.Check(Credentials{User: "u", Pass: "p"}, "", "STANDARD")
	if !ok {
		t.Fatal("not authenticated")
	}
	p := id.Perms
	for subject, want := range map[string]bool{"pub.a": true, "pub.a.b": true, "pub.secret": false, "x": true, "y": false, "pub": false} {
		if got := p.CanPublish(subject); got != want {
			t.Errorf("CanPublish(%q) = %v, want %v", subject, got, want)
		}
	}
	for _, tc := range []struct {
		subject, queue string
		want           bool
	}{
		{"sub.a", "", true},
		{"sub.*", "", true}, // a subset of sub.>
		{"sub.hidden", "", false},
		{"other", "", false},
		{"q.x", "grp", true},
		{"q.x", "other", false},
		{"q.x", "", false},
		{"sub.q", "bad", false},
		{"sub.q", "good", true},
	} {
		if got := p.CanSubscribe(tc.subject, tc.queue); got != tc.want {
			t.Errorf("CanSubscribe(%q, %q) = %v, want %v", tc.subject, tc.queue, got, tc.want)
		}
	}
	if f := p.DenyFilter("sub.>", ""); len(f) != 1 || f[0] != "sub.hidden" {
		t.Errorf("DenyFilter(sub.>) = %v", f)
	}
	if f := p.DenyFilter("sub.a", ""); f != nil {
		t.Errorf("DenyFilter(sub.a) = %v, want none for a literal subscription", f)
	}
	var none *Perms
	if !none.CanPublish("any") || !none.CanSubscribe("any.>", "q") || none.DenyFilter("a.>", "") != nil {
		t.Error("nil permissions must allow everything")
	}
}

func TestAllowResponsesOnly(t *testing.T) {
	conf := `authorization { users [ {user: u, password: p, permissions: {subscribe: "svc", allow_responses: {max: 3, expires: "1m"}}} ] }`
	id, ok := New(mustParse(t, conf)).Check(Credentials{User: "u", Pass: "p"}, "", "STANDARD")
	if !ok {
		t.Fatal("not authenticated")
	}
	if id.Perms.CanPublish("anything") {
		t.Error("allow_responses without a publish allow list must allow nothing else")
	}
	rp := id.Perms.ResponsePermission()
	if rp == nil || rp.MaxMsgs != 3 || rp.Expires.Minutes() != 1 {
		t.Errorf("response permission %+v", rp)
	}
}

// TestVerifyAndMapPassword: with verify_and_map the certificate names the
// user, and, as in nats-server, a password configured for that user must
// be sent too (a user without one takes none), on the leafnode port and on
// the client port.
func TestVerifyAndMapPassword(t *testing.T) {
	cert := &x509.Certificate{Subject: pkix.Name{CommonName: "client"}}
	mapped := &config.TLSOpts{Map: true}
	lo := mustParse(t, `leafnodes { port: -1
  authorization { users [ {user: "CN=client", password: s3cret, account: B}, {user: "CN=other"} ] } }
accounts { B {} }`)
	lo.LeafNode.TLS = mapped
	leaf := New(lo)
	co := mustParse(t, `accounts { A { users [ {user: "CN=client", password: s3cret} ] } }`)
	co.TLS = mapped
	client := New(co)
	for _, tc := range []struct {
		name string
		pass string
		ok   bool
	}{{"right password", "s3cret", true}, {"wrong password", "nope", false}, {"no password", "", false}} {
		t.Run(tc.name, func(t *testing.T) {
			c := Credentials{User: "ignored", Pass: tc.pass, Cert: cert}
			id, err := leaf.AuthenticateLeaf(c, "", "LEAFNODE")
			if (err == nil) != tc.ok || (tc.ok && id.Account != "B") {
				t.Fatalf("leaf: %+v %v", id, err)
			}
			id, err = client.Authenticate(c, "", "STANDARD")
			if (err == nil) != tc.ok || (tc.ok && id.Account != "A") {
				t.Fatalf("client: %+v %v", id, err)
			}
		})
	}
	// A mapped leaf user without a password: a leaf that sends one is refused.
	other := &x509.Certificate{Subject: pkix.Name{CommonName: "other"}}
	if _, err := leaf.AuthenticateLeaf(Credentials{Cert: other}, "", "LEAFNODE"); err != nil {
		t.Fatalf("no password configured, none sent: %v", err)
	}
	if _, err := leaf.AuthenticateLeaf(Credentials{Pass: "x", Cert: other}, "", "LEAFNODE"); err == nil {
		t.Fatal("no password configured, one sent: accepted")
	}
}

package auth

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"

	"github.com/leafhub/leafhub/config"
)

// jwtWorld is an operator with one account (identity key, a plain signing
// key, a scoped one and a scoped one whose template requires a proxy)
// loaded through the configuration.
type jwtWorld struct {
	op, acc, signer, scoped, proxyScoped nkeys.KeyPair
	accPub                               string
	claims                               *jwt.AccountClaims
	scope                                *jwt.UserScope
}

func newJWTWorld(t *testing.T) *jwtWorld {
	t.Helper()
	w := &jwtWorld{}
	w.op, _ = nkeys.CreateOperator()
	w.acc, _ = nkeys.CreateAccount()
	w.signer, _ = nkeys.CreateAccount()
	w.scoped, _ = nkeys.CreateAccount()
	w.proxyScoped, _ = nkeys.CreateAccount()
	w.accPub, _ = w.acc.PublicKey()
	signerPub, _ := w.signer.PublicKey()
	scopedPub, _ := w.scoped.PublicKey()
	w.claims = jwt.NewAccountClaims(w.accPub)
	w.claims.SigningKeys.Add(signerPub)
	w.scope = jwt.NewUserScope()
	w.scope.Key = scopedPub
	w.scope.Template.Pub.Allow.Add("scoped.>")
	w.claims.SigningKeys.AddScopedSigner(w.scope)
	proxyScope := jwt.NewUserScope()
	proxyScope.Key, _ = w.proxyScoped.PublicKey()
	proxyScope.Template.ProxyRequired = true
	w.claims.SigningKeys.AddScopedSigner(proxyScope)
	return w
}

// auth builds the authenticator of the world's current account claims.
func (w *jwtWorld) auth(t *testing.T) *Authenticator {
	t.Helper()
	opPub, _ := w.op.PublicKey()
	opJWT, err := jwt.NewOperatorClaims(opPub).Encode(w.op)
	if err != nil {
		t.Fatal(err)
	}
	accJWT, err := w.claims.Encode(w.op)
	if err != nil {
		t.Fatal(err)
	}
	o, err := config.Parse(fmt.Sprintf("operator: %s\nresolver: MEMORY\nresolver_preload: { %s: %s }\n", opJWT, w.accPub, accJWT))
	if err != nil {
		t.Fatal(err)
	}
	return New(o)
}

// user issues a user JWT and returns the credentials that present it,
// signing nonce with the user's key.
func (w *jwtWorld) user(t *testing.T, signer nkeys.KeyPair, nonce string, edit func(*jwt.UserClaims)) Credentials {
	t.Helper()
	u, _ := nkeys.CreateUser()
	upub, _ := u.PublicKey()
	uc := jwt.NewUserClaims(upub)
	if signer != w.acc {
		uc.IssuerAccount = w.accPub
	}
	if signer == w.scoped || signer == w.proxyScoped {
		uc.UserPermissionLimits = jwt.UserPermissionLimits{} // the scope decides
	}
	if edit != nil {
		edit(uc)
	}
	token, err := uc.Encode(signer)
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := u.Sign([]byte(nonce))
	return Credentials{JWT: token, Sig: base64.RawURLEncoding.EncodeToString(sig), Host: "127.0.0.1"}
}

// TestOperatorModeChecks: each refusal of a user JWT names its reason, in
// nats-server's terms; accepted users get the account, the permissions of
// the JWT (or the scope, or the account's defaults) and an expiry.
func TestOperatorModeChecks(t *testing.T) {
	const nonce = "nonce-to-sign"
	w := newJWTWorld(t)
	stranger, _ := nkeys.CreateAccount()
	now := time.Now()
	hhmmss := func(d time.Duration) string { return now.Add(d).Format("15:04:05") }
	revokedCreds := w.user(t, w.acc, nonce, nil)
	revokedUC, _ := jwt.DecodeUserClaims(revokedCreds.JWT)
	w.claims.Revoke(revokedUC.Subject)
	w.claims.DefaultPermissions.Sub.Deny.Add("secret.>")
	a := w.auth(t)
	if !a.Required() || !a.NeedsNonce() || !a.OperatorMode() {
		t.Fatal("operator mode must require authentication and a nonce")
	}
	refused := []struct {
		name  string
		creds Credentials
		conn  string
		want  string
	}{
		{"no JWT", Credentials{User: "u", Pass: "p"}, "STANDARD", "authentication requires a user JWT"},
		{"garbage", Credentials{JWT: "eyJnot.a.jwt"}, "STANDARD", "user JWT not valid"},
		{"expired", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.Expires = now.Add(-time.Hour).Unix() }), "STANDARD", "user JWT no longer valid: claim is expired"},
		{"unknown account", w.user(t, stranger, nonce, func(uc *jwt.UserClaims) { uc.IssuerAccount = "" }), "STANDARD", "account JWT lookup error"},
		{"unknown signer", w.user(t, stranger, nonce, nil), "STANDARD", "user JWT issuer is not known"},
		{"revoked", revokedCreds, "STANDARD", "user authentication revoked"},
		{"wrong nonce", w.user(t, w.acc, "another nonce", nil), "STANDARD", "signature not verified"},
		{"no signature", func() Credentials { c := w.user(t, w.acc, nonce, nil); c.Sig = ""; return c }(), "STANDARD", "signature missing"},
		{"connection type", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add("LEAFNODE") }), "STANDARD", "connection type not allowed"},
		{"unknown connection types only", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add("CARRIER_PIGEON") }), "STANDARD", "no known connection type"},
		// As nats-server, connection types are upper-cased: "leafnode" is known.
		{"lower-case connection type", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add("leafnode") }), "STANDARD", "connection type not allowed"},
		{"proxy required", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.ProxyRequired = true }), "STANDARD", "proxy connection required"},
		// The scope's template is checked again, after it replaced the user's limits.
		{"scope requires a proxy", w.user(t, w.proxyScoped, nonce, nil), "STANDARD", "proxy connection required"},
		{"src", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.Src.Add("192.0.2.0/24") }), "STANDARD", "bad src IP 127.0.0.1"},
		{"times", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) {
			uc.Times = []jwt.TimeRange{{Start: hhmmss(time.Hour), End: hhmmss(2 * time.Hour)}}
		}), "STANDARD", "outside connect times"},
		{"limits", w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.Limits.Payload = 100 }), "STANDARD", "which leafhub does not implement yet"},
		{"scoped user with own permissions", w.user(t, w.scoped, nonce, func(uc *jwt.UserClaims) { uc.Pub.Allow.Add("x") }), "STANDARD", "user JWT is not valid"},
	}
	for _, tc := range refused {
		id, err := a.Authenticate(tc.creds, nonce, tc.conn)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %+v %v, want an error containing %q", tc.name, id, err, tc.want)
		}
		if strings.Contains(tc.want, "proxy") && !errors.Is(err, ErrProxyRequired) {
			t.Errorf("%s: %v is not ErrProxyRequired", tc.name, err)
		}
	}
	if _, err := a.Authenticate(w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add("standard") }), nonce, "STANDARD"); err != nil {
		t.Errorf("lower-case connection type of the connection: %v", err)
	}
	// allow_responses alone: only responses may be published.
	id, err := a.Authenticate(w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.Resp = &jwt.ResponsePermission{} }), nonce, "STANDARD")
	if err != nil || id.Perms.CanPublish("anything") || id.Perms.ResponsePermission() == nil {
		t.Errorf("user with allow_responses only: %+v %v", id, err)
	}

	id, err = a.Authenticate(w.user(t, w.signer, nonce, func(uc *jwt.UserClaims) { uc.AllowedConnectionTypes.Add("LEAFNODE") }), nonce, "LEAFNODE")
	if err != nil || id.Account != w.accPub || !id.Expires.IsZero() {
		t.Fatalf("signing-key user: %+v %v", id, err)
	}
	if id.Perms.CanSubscribe("secret.x", "") || !id.Perms.CanPublish("anything") {
		t.Error("a user without permissions gets the account's default permissions")
	}
	id, err = a.Authenticate(w.user(t, w.scoped, nonce, nil), nonce, "STANDARD")
	if err != nil || !id.Perms.CanPublish("scoped.x") || id.Perms.CanPublish("other") {
		t.Fatalf("scoped user gets the scope's template: %+v %v", id, err)
	}
	exp := now.Add(time.Hour).Truncate(time.Second)
	id, err = a.Authenticate(w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) {
		uc.Expires = exp.Unix()
		uc.Pub.Allow.Add("ok.>")
		uc.Resp = &jwt.ResponsePermission{MaxMsgs: 1}
	}), nonce, "STANDARD")
	if err != nil || !id.Expires.Equal(exp) || !id.Perms.CanPublish("ok.1") || id.Perms.CanPublish("no") || id.Perms.ResponsePermission() == nil {
		t.Fatalf("user with expiry and permissions: %+v %v", id, err)
	}
	// Inside a connect time range: the connection expires at its end.
	id, err = a.Authenticate(w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) {
		uc.Times = []jwt.TimeRange{{Start: hhmmss(-time.Minute), End: hhmmss(time.Minute)}}
	}), nonce, "STANDARD")
	if err != nil || id.Expires.IsZero() || id.Expires.After(now.Add(2*time.Minute)) {
		t.Fatalf("user inside a time range: %+v %v", id, err)
	}
	bearer := w.user(t, w.acc, nonce, func(uc *jwt.UserClaims) { uc.BearerToken = true })
	bearer.Sig = ""
	if _, err := a.Authenticate(bearer, nonce, "STANDARD"); err != nil {
		t.Fatalf("bearer token without a signature: %v", err)
	}
	w.claims.Limits.DisallowBearer = true
	if _, err := w.auth(t).Authenticate(bearer, nonce, "STANDARD"); err == nil || !strings.Contains(err.Error(), "does not allow bearer tokens") {
		t.Fatalf("bearer token in an account that disallows them: %v", err)
	}
	w.claims.Limits.DisallowBearer = false
	w.claims.Expires = now.Add(-time.Minute).Unix()
	if _, err := w.auth(t).Authenticate(w.user(t, w.acc, nonce, nil), nonce, "STANDARD"); err == nil || !strings.Contains(err.Error(), "account JWT has expired") {
		t.Fatalf("expired account: %v", err)
	}
}

package auth

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/nats-io/jwt/v2"

	"github.com/leafhub/leafhub/config"
)

// Operator mode: a connection presents a user JWT issued by an account (or
// one of its signing keys) whose JWT a trusted operator signed, and signs
// the INFO nonce with the user's key (unless the JWT is a bearer token).

// operatorAuth holds what operator mode checks against.
type operatorAuth struct {
	trusted  map[string]bool
	accounts map[string]*jwt.AccountClaims
	now      func() time.Time
}

func newOperatorAuth(o *config.Options) *operatorAuth {
	oa := &operatorAuth{trusted: map[string]bool{}, accounts: map[string]*jwt.AccountClaims{}, now: time.Now}
	for _, k := range o.TrustedKeys() {
		oa.trusted[k] = true
	}
	for _, a := range o.Accounts {
		if a.Claims != nil {
			oa.accounts[a.Name] = a.Claims
		}
	}
	return oa
}

// ErrNotAuthorized is the reason of a refusal that needs no detail.
var ErrNotAuthorized = errors.New("authorization violation")

// ErrProxyRequired refuses a user JWT (or the scope template of its signing
// key) that requires a trusted proxy: leafhub has none, so such a user can
// never connect. nats-server closes these connections as "Proxy Required".
var ErrProxyRequired = errors.New("proxy connection required")

// check authenticates by user JWT, in nats-server's order; the error says
// why a connection was refused (for the debug log; the peer only gets
// Authorization Violation).
func (oa *operatorAuth) check(c Credentials, nonce, connType string) (*Identity, error) {
	if c.JWT == "" {
		return nil, errors.New("authentication requires a user JWT")
	}
	uc, err := jwt.DecodeUserClaims(c.JWT)
	if err != nil {
		return nil, fmt.Errorf("user JWT not valid: %v", err)
	}
	if uc.ProxyRequired {
		return nil, ErrProxyRequired
	}
	vr := jwt.CreateValidationResults()
	uc.Validate(vr)
	if vr.IsBlocking(true) {
		var why []string
		for _, i := range vr.Issues {
			why = append(why, i.Description)
		}
		return nil, fmt.Errorf("user JWT no longer valid: %s", strings.Join(why, "; "))
	}
	issuer := uc.Issuer
	if uc.IssuerAccount != "" {
		issuer = uc.IssuerAccount
	}
	ac := oa.accounts[issuer]
	if ac == nil {
		return nil, fmt.Errorf("account JWT lookup error: account %s not found in resolver_preload", issuer)
	}
	if !oa.trusted[ac.Issuer] {
		return nil, errors.New("account JWT not signed by trusted operator")
	}
	limits := uc.UserPermissionLimits
	if uc.Issuer != ac.Subject {
		scope, ok := ac.SigningKeys.GetScope(uc.Issuer)
		if !ok {
			return nil, errors.New("user JWT issuer is not known")
		}
		if scope != nil {
			if err := scope.ValidateScopedSigner(uc); err != nil {
				return nil, fmt.Errorf("user JWT is not valid: %v", err)
			}
			var us *jwt.UserScope
			switch v := scope.(type) {
			case *jwt.UserScope:
				us = v
			case jwt.UserScope:
				us = &v
			default:
				return nil, errors.New("user JWT is not valid")
			}
			if hasTemplate(&us.Template.Permissions) {
				return nil, errors.New("user JWT signed by a scoped key with permission templates, which leafhub does not implement yet")
			}
			limits = us.Template
			// The scope's template may require a proxy the user JWT did not.
			if limits.ProxyRequired {
				return nil, ErrProxyRequired
			}
		}
	}
	now := oa.now()
	if ac.Expires != 0 && ac.Expires <= now.Unix() {
		return nil, errors.New("account JWT has expired")
	}
	if limits.BearerToken && ac.Limits.DisallowBearer {
		return nil, errors.New("account does not allow bearer tokens")
	}
	if len(limits.AllowedConnectionTypes) > 0 {
		allowed := map[string]bool{}
		for _, t := range limits.AllowedConnectionTypes {
			if ct, ok := config.ConnectionType(t); ok {
				allowed[ct] = true
			}
		}
		if len(allowed) == 0 {
			return nil, fmt.Errorf("no known connection type in %v", limits.AllowedConnectionTypes)
		}
		if !allowed[connType] {
			return nil, errors.New("connection type not allowed")
		}
	}
	if !limits.BearerToken {
		if err := verifySig(uc.Subject, c.Sig, nonce); err != nil {
			return nil, err
		}
	}
	if revoked(ac.Revocations, uc.Subject, uc.IssuedAt) {
		return nil, errors.New("user authentication revoked")
	}
	if !srcAllowed(limits.Src, c.Host) {
		return nil, fmt.Errorf("bad src IP %s", c.Host)
	}
	ok, validFor := timesAllow(&limits.UserLimits, now)
	if !ok {
		return nil, errors.New("outside connect times")
	}
	if l := limits.NatsLimits; l.Subs != jwt.NoLimit || l.Data != jwt.NoLimit || l.Payload != jwt.NoLimit {
		return nil, errors.New("user JWT limits (subs, data, payload), which leafhub does not implement yet")
	}
	perms := permsFromJWT(&limits.Permissions)
	if perms == nil {
		perms = permsFromJWT(&ac.DefaultPermissions)
	}
	id := &Identity{User: uc.Subject, Account: ac.Subject, Perms: Compile(perms),
		IssuerKey: uc.Issuer, NameTag: uc.Name, Tags: uc.Tags}
	if !uc.BearerToken {
		id.JWT = c.JWT
	}
	if uc.Expires != 0 {
		id.Expires = time.Unix(uc.Expires, 0)
	}
	if validFor > 0 && (id.Expires.IsZero() || now.Add(validFor).Before(id.Expires)) {
		id.Expires = now.Add(validFor)
	}
	return id, nil
}

// hasTemplate reports template functions ({{...}}) in permissions.
func hasTemplate(p *jwt.Permissions) bool {
	for _, l := range [][]string{p.Pub.Allow, p.Pub.Deny, p.Sub.Allow, p.Sub.Deny} {
		for _, s := range l {
			if strings.Contains(s, "{{") {
				return true
			}
		}
	}
	return false
}

// revoked: the account revoked the user (or everyone, "*") at or after the
// user JWT was issued.
func revoked(list jwt.RevocationList, subject string, issuedAt int64) bool {
	if t, ok := list[subject]; ok && t >= issuedAt {
		return true
	}
	t, ok := list[jwt.All]
	return ok && t >= issuedAt
}

// srcAllowed: no source restriction, or host is in one of the CIDRs.
func srcAllowed(src jwt.CIDRList, host string) bool {
	if len(src) == 0 {
		return true
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return false
	}
	for _, c := range src {
		_, n, err := net.ParseCIDR(c)
		if err == nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// timesAllow: no connect times, or now is inside one of the daily ranges
// (in the JWT's time zone, or the local one); validFor is how long the
// best range still lasts.
func timesAllow(l *jwt.UserLimits, now time.Time) (ok bool, validFor time.Duration) {
	if len(l.Times) == 0 {
		return true, 0
	}
	loc := time.Local
	if l.Locale != "" {
		var err error
		if loc, err = time.LoadLocation(l.Locale); err != nil {
			return false, 0
		}
	}
	now = now.In(loc)
	y, m, d := now.Date()
	at := func(clock string) (time.Time, bool) {
		t, err := time.ParseInLocation("15:04:05", clock, loc)
		if err != nil {
			return time.Time{}, false
		}
		return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), 0, loc), true
	}
	for _, r := range l.Times {
		start, ok1 := at(r.Start)
		end, ok2 := at(r.End)
		if !ok1 || !ok2 {
			return false, 0
		}
		var left time.Duration
		switch {
		case start.Before(now) && end.After(now):
			left = end.Sub(now)
		case start.After(end) && end.After(now):
			left = end.Sub(now) // a range over midnight, after midnight
		case start.After(end) && start.Before(now):
			left = end.AddDate(0, 0, 1).Sub(now) // over midnight, before it
		default:
			continue
		}
		if !ok || left > validFor {
			ok, validFor = true, left
		}
	}
	return ok, validFor
}

// permsFromJWT converts JWT permissions (nil when they say nothing).
func permsFromJWT(p *jwt.Permissions) *config.Permissions {
	var out *config.Permissions
	if len(p.Pub.Allow) > 0 || len(p.Pub.Deny) > 0 {
		out = &config.Permissions{Publish: subjectPerm(p.Pub)}
	}
	if len(p.Sub.Allow) > 0 || len(p.Sub.Deny) > 0 {
		if out == nil {
			out = &config.Permissions{}
		}
		out.Subscribe = subjectPerm(p.Sub)
	}
	if p.Resp != nil {
		if out == nil {
			out = &config.Permissions{}
		}
		rp := &config.ResponsePermission{MaxMsgs: p.Resp.MaxMsgs, Expires: p.Resp.Expires}
		if rp.MaxMsgs == 0 {
			rp.MaxMsgs = config.DefaultResponseMaxMsgs
		}
		if rp.Expires == 0 {
			rp.Expires = config.DefaultResponseExpires
		}
		out.Response = rp
		// As nats-server: allowing responses turns off the implicit
		// "publish anything" (as the configuration parser does).
		if out.Publish == nil {
			out.Publish = &config.SubjectPermission{}
		}
		if out.Publish.Allow == nil {
			out.Publish.Allow = []string{}
		}
	}
	return out
}

// subjectPerm converts one direction; an empty allow list allows all.
func subjectPerm(p jwt.Permission) *config.SubjectPermission {
	sp := &config.SubjectPermission{Deny: []string(p.Deny)}
	if len(p.Allow) > 0 {
		sp.Allow = []string(p.Allow)
	}
	return sp
}

// Package auth decides who a connection is: it checks CONNECT credentials
// (user/password, token, nkey signatures of the nonce) against the configured
// users, picks the account, and compiles each user's permissions.
//
// It is pure: no goroutines, no I/O. An Authenticator is immutable once built
// and safe for concurrent use.
package auth

import (
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nkeys"
	"golang.org/x/crypto/bcrypt"

	"github.com/leafhub/leafhub/config"
)

// Identity is the result of a successful authentication.
type Identity struct {
	User    string // user name, nkey, or "" for anonymous/token connections
	Account string
	Perms   *Perms // nil: everything allowed
	// Expires is when the user's JWT (or its connect time range) ends:
	// the connection is then closed with User Authentication Expired.
	// Zero: never.
	Expires time.Time
	// For /connz: the user JWT (empty for a bearer token), the key that
	// issued it (a configured nkey user: its account), its name and tags.
	JWT, IssuerKey, NameTag string
	Tags                    []string
}

// Credentials are the CONNECT fields that authenticate a connection, and
// the address it comes from (user JWTs may restrict it).
type Credentials struct {
	User, Pass, Token, Nkey, Sig string
	JWT                          string
	Host                         string            // the peer's IP address
	Cert                         *x509.Certificate // the peer's verified TLS certificate, if any
}

// Authenticator checks credentials against one configuration.
type Authenticator struct {
	users      map[string]*entry // by user name
	nkeys      map[string]*entry // by public nkey
	user, pass string            // authorization { user, password }
	token      string
	noAuthUser string
	// noAuthGlobal: only the system account has users, so clients without
	// credentials belong to the global account (nats-server's rule).
	noAuthGlobal bool
	required     bool
	leaf         config.LeafNodeOpts
	op           *operatorAuth // operator mode, else nil
	// verify_and_map on the client port and on the leafnode port: the
	// user is the one the client certificate names.
	tlsMap     map[string]bool // verify_and_map by connection type: the tls block of the port it came in on
	leafTLSMap bool            // verify_and_map of the leafnode port (its users list)
}

type entry struct {
	name, password, nkey string
	account              string
	perms                *Perms
	connTypes            map[string]bool
}

// New builds the authenticator of opts.
func New(opts *config.Options) *Authenticator {
	a := &Authenticator{
		users:        make(map[string]*entry),
		nkeys:        make(map[string]*entry),
		user:         opts.Username,
		pass:         opts.Password,
		token:        opts.Token,
		noAuthUser:   opts.NoAuthUser,
		noAuthGlobal: opts.NoAuthGlobal,
		leaf:         opts.LeafNode,
	}
	for _, u := range opts.Users {
		// u.Permissions already holds its block's defaults when it has
		// none of its own (config applies them, per block, as nats-server).
		p := u.Permissions
		e := &entry{name: u.Username, password: u.Password, nkey: u.Nkey, account: u.Account,
			perms: Compile(p), connTypes: u.AllowedConnectionTypes}
		if e.account == "" {
			e.account = GlobalAccount
		}
		if u.Nkey != "" {
			a.nkeys[u.Nkey] = e
		} else {
			a.users[u.Username] = e
		}
	}
	a.required = a.user != "" || a.token != "" || len(a.users) > 0 || len(a.nkeys) > 0
	if opts.OperatorMode() {
		a.op = newOperatorAuth(opts)
		a.required = true
	}
	mapped := func(t *config.TLSOpts) bool { return t != nil && t.Map }
	a.leafTLSMap = mapped(opts.LeafNode.TLS)
	// As nats-server: a client uses its port's setting (websocket or not);
	// a leaf that authenticates as a client user, the leafnode port's.
	a.tlsMap = map[string]bool{"STANDARD": mapped(opts.TLS), "WEBSOCKET": mapped(opts.Websocket.TLS),
		"LEAFNODE": a.leafTLSMap, "LEAFNODE_WS": a.leafTLSMap}
	return a
}

// GlobalAccount is the account of connections that name none.
const GlobalAccount = "$G"

// Required reports whether connections must authenticate (INFO auth_required
// and the "CONNECT first" rule).
func (a *Authenticator) Required() bool { return a.required }

// AdvertiseAuthRequired is the INFO auth_required flag: with a no_auth_user,
// clients need not send credentials.
func (a *Authenticator) AdvertiseAuthRequired() bool {
	return a.required && a.noAuthUser == "" && !a.noAuthGlobal
}

// NeedsNonce reports whether the INFO must carry a nonce to sign.
func (a *Authenticator) NeedsNonce() bool { return len(a.nkeys) > 0 || a.op != nil }

// OperatorMode reports whether users authenticate with JWTs.
func (a *Authenticator) OperatorMode() bool { return a.op != nil }

// Check authenticates a client connection. nonce is the nonce sent in the
// INFO (empty if none); connType is "STANDARD" for plain clients.
func (a *Authenticator) Check(c Credentials, nonce, connType string) (*Identity, bool) {
	id, err := a.Authenticate(c, nonce, connType)
	return id, err == nil
}

// Authenticate is Check with the reason of a refusal (for the log: the
// peer only learns Authorization Violation).
func (a *Authenticator) Authenticate(c Credentials, nonce, connType string) (*Identity, error) {
	if a.op != nil {
		return a.op.check(c, nonce, connType)
	}
	id, ok := a.checkConfigured(c, nonce, connType)
	if !ok {
		return nil, ErrNotAuthorized
	}
	return id, nil
}

// checkConfigured authenticates against the users of the configuration.
func (a *Authenticator) checkConfigured(c Credentials, nonce, connType string) (*Identity, bool) {
	if !a.required {
		return &Identity{Account: GlobalAccount}, true
	}
	anonymous := c.User == "" && c.Pass == "" && c.Token == "" && c.Nkey == ""
	if anonymous && a.noAuthGlobal {
		return &Identity{Account: GlobalAccount}, true
	}
	if len(a.nkeys) > 0 {
		nk := c.Nkey
		if anonymous && a.noAuthUser != "" {
			if _, ok := a.nkeys[a.noAuthUser]; ok {
				nk = a.noAuthUser
			}
		}
		if nk != "" {
			e, ok := a.nkeys[nk]
			if !ok || !typeAllowed(e.connTypes, connType) {
				return nil, false
			}
			if nk != a.noAuthUser && !verifyNonce(nk, c.Sig, nonce) {
				return nil, false
			}
			return &Identity{User: nk, Account: e.account, Perms: e.perms, IssuerKey: e.account}, true
		}
	}
	if len(a.users) > 0 && a.tlsMap[connType] {
		var found *entry
		certNames(c.Cert, func(n string) bool {
			e, ok := a.users[n]
			if ok && typeAllowed(e.connTypes, connType) {
				found = e
			}
			return found != nil
		})
		if found == nil || !ComparePasswords(found.password, c.Pass) {
			return nil, false
		}
		return &Identity{User: found.name, Account: found.account, Perms: found.perms}, true
	}
	if len(a.users) > 0 {
		name, pass := c.User, c.Pass
		if anonymous && a.noAuthUser != "" {
			if e, ok := a.users[a.noAuthUser]; ok {
				name, pass = e.name, e.password
			}
		}
		if name != "" {
			e, ok := a.users[name]
			if !ok || !typeAllowed(e.connTypes, connType) {
				return nil, false
			}
			if !ComparePasswords(e.password, pass) {
				return nil, false
			}
			return &Identity{User: name, Account: e.account, Perms: e.perms}, true
		}
	}
	switch {
	case a.token != "":
		if ComparePasswords(a.token, c.Token) {
			return &Identity{Account: GlobalAccount}, true
		}
	case a.user != "":
		if c.User == a.user && ComparePasswords(a.pass, c.Pass) {
			return &Identity{User: a.user, Account: GlobalAccount}, true
		}
	}
	return nil, false
}

// CheckLeaf authenticates a leaf connection on the leafnode port, in
// nats-server's order: the leafnodes block's single user, its nkey, its
// users list; otherwise client authentication with connection type
// LEAFNODE (the user's permissions then apply to the leaf); with no
// authentication at all, the leaf binds to leafnodes.authorization.account.
func (a *Authenticator) CheckLeaf(c Credentials, nonce, connType string) (*Identity, bool) {
	id, err := a.AuthenticateLeaf(c, nonce, connType)
	return id, err == nil
}

// AuthenticateLeaf is CheckLeaf with the reason of a refusal.
func (a *Authenticator) AuthenticateLeaf(c Credentials, nonce, connType string) (*Identity, error) {
	ln := &a.leaf
	acc := ln.Account
	if acc == "" {
		acc = GlobalAccount
	}
	switch {
	case ln.Username != "":
		if c.User == ln.Username && ComparePasswords(ln.Password, c.Pass) {
			return &Identity{User: c.User, Account: acc}, nil
		}
		return nil, ErrNotAuthorized
	case ln.Nkey != "":
		if c.Nkey == ln.Nkey && verifyNonce(c.Nkey, c.Sig, nonce) {
			return &Identity{User: c.Nkey, Account: acc}, nil
		}
		return nil, ErrNotAuthorized
	case len(ln.Users) > 0 && a.leafTLSMap:
		var found *config.LeafUser
		certNames(c.Cert, func(n string) bool {
			for _, u := range ln.Users {
				if u.Username == n {
					found = u
				}
			}
			return found != nil
		})
		// As nats-server, the mapped user's password (none: an empty one)
		// must match too.
		if found == nil || !ComparePasswords(found.Password, c.Pass) {
			return nil, ErrNotAuthorized
		}
		ua := found.Account
		if ua == "" {
			ua = GlobalAccount
		}
		return &Identity{User: found.Username, Account: ua}, nil
	case len(ln.Users) > 0:
		for _, u := range ln.Users {
			if u.Username == c.User && ComparePasswords(u.Password, c.Pass) {
				ua := u.Account
				if ua == "" {
					ua = GlobalAccount
				}
				return &Identity{User: u.Username, Account: ua}, nil
			}
		}
		return nil, ErrNotAuthorized
	case !a.required:
		return &Identity{Account: acc}, nil
	}
	return a.Authenticate(c, nonce, connType)
}

func typeAllowed(types map[string]bool, t string) bool {
	return len(types) == 0 || types[t]
}

// verifyNonce checks an Ed25519 signature of the nonce by the public nkey.
func verifyNonce(pubKey, sig, nonce string) bool {
	return nonce != "" && verifySig(pubKey, sig, nonce) == nil
}

// verifySig checks the signature of the nonce by the public key, saying
// what failed. The signature is base64 URL encoding without padding;
// standard base64 is accepted too.
func verifySig(pubKey, sig, nonce string) error {
	if sig == "" {
		return errors.New("signature missing")
	}
	raw, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		if raw, err = base64.StdEncoding.DecodeString(sig); err != nil {
			return errors.New("signature not valid base64")
		}
	}
	pub, err := nkeys.FromPublicKey(pubKey)
	if err != nil {
		return fmt.Errorf("user nkey not valid: %v", err)
	}
	if err := pub.Verify([]byte(nonce), raw); err != nil {
		return errors.New("signature not verified")
	}
	return nil
}

// ComparePasswords compares a configured password (plain, or a bcrypt hash
// starting with $2a$, $2b$, $2x$ or $2y$) with the one a client sent.
func ComparePasswords(configured, given string) bool {
	if isBcrypt(configured) {
		return bcrypt.CompareHashAndPassword([]byte(configured), []byte(given)) == nil
	}
	return subtle.ConstantTimeCompare([]byte(configured), []byte(given)) == 1
}

func isBcrypt(s string) bool {
	for _, p := range []string{"$2a$", "$2b$", "$2x$", "$2y$"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

package config

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/nats-io/jwt/v2"
	"github.com/nats-io/nkeys"
)

// Operator mode: accounts and users come from JWTs signed by a trusted
// operator instead of the configuration file.

// CompatVersion is the nats-server version whose behaviour leafhub
// implements (INFO, /varz, operator assert_server_version).
const CompatVersion = "2.15.2"

// ResolverMemory is the only account resolver leafhub implements: the
// accounts are the resolver_preload JWTs, fixed for the process lifetime.
const ResolverMemory = "MEMORY"

// Operator is one trusted operator.
type Operator struct {
	JWT    string
	Claims *jwt.OperatorClaims
}

// OperatorMode reports whether accounts and users come from JWTs.
func (o *Options) OperatorMode() bool { return len(o.Operators) > 0 }

// TrustedKeys are the keys that may sign account JWTs: each operator's
// identity key and its signing keys.
func (o *Options) TrustedKeys() []string {
	var keys []string
	for _, op := range o.Operators {
		keys = append(keys, op.Claims.Subject)
		keys = append(keys, op.Claims.SigningKeys...)
	}
	return keys
}

// jwtPrefix starts every JWT (base64 of `{"`): an operator value that is
// not a readable file but starts so is the JWT itself.
const jwtPrefix = "eyJ"

// operators parses operator: a file name or an inline JWT, or a list.
func (l *loader) operators(o *Options, n *node, path string) {
	values, ok := l.stringList(n, path)
	if !ok {
		return
	}
	l.note("operator", n)
	for _, v := range values {
		op, err := readOperator(v)
		if err != nil {
			l.errorf(n, path, "error parsing operator JWT: %v", err)
			continue
		}
		o.Operators = append(o.Operators, op)
	}
	if len(o.Operators) == 1 && !o.sysExplicit && o.SystemAccount == "" {
		o.SystemAccount = o.Operators[0].Claims.SystemAccount
	}
}

func readOperator(v string) (*Operator, error) {
	data, err := os.ReadFile(v)
	if err != nil {
		if !strings.HasPrefix(v, jwtPrefix) {
			return nil, err
		}
		data = []byte(v)
	}
	token, err := jwt.ParseDecoratedJWT(data)
	if err != nil {
		return nil, err
	}
	claims, err := jwt.DecodeOperatorClaims(token)
	if err != nil {
		return nil, err
	}
	return &Operator{JWT: token, Claims: claims}, nil
}

var (
	reMemResolver = regexp.MustCompile(`(?i)^\s*(MEM|MEMORY)\s*$`)
	reURLResolver = regexp.MustCompile(`(?i)^\s*URL`)
)

// resolver parses resolver: MEMORY (or MEM), URL(...) or a map with a type.
func (l *loader) resolver(o *Options, n *node, path string) {
	l.note("resolver", n)
	switch v := n.val.(type) {
	case string:
		switch {
		case reMemResolver.MatchString(v):
			o.Resolver = ResolverMemory
		case reURLResolver.MatchString(v):
			l.errorf(n, path, "URL account resolver %s", unsupportedReason)
		default:
			l.errorf(n, path, "error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir and type state=[FULL|CACHE])")
		}
	case []*field:
		typ := ""
		for _, f := range v {
			if f.lkey == "type" {
				typ, _ = f.node.val.(string)
			}
		}
		switch strings.ToUpper(typ) {
		case "MEM", "MEMORY":
			for _, f := range v {
				if f.lkey != "type" {
					l.errorf(f.node, join(path, f.key), "%s (the MEMORY resolver takes no settings)", unsupportedReason)
				}
			}
			o.Resolver = ResolverMemory
		case "FULL", "CACHE":
			l.errorf(n, path, "%s account resolver %s", strings.ToUpper(typ), unsupportedReason)
		default:
			l.errorf(n, path, "error parsing account resolver, should be MEM or  URL(\"url\") or a map containing dir and type state=[FULL|CACHE])")
		}
	default:
		l.errorf(n, path, "error parsing operator resolver, wrong type %s", kind(n.val))
	}
}

// resolverPreload parses resolver_preload: account public key → JWT.
func (l *loader) resolverPreload(o *Options, n *node, path string) {
	fields, ok := n.val.([]*field)
	if !ok {
		l.errorf(n, path, "preload should be a map of account_public_key:account_jwt")
		return
	}
	l.note("resolver_preload", n)
	if o.ResolverPreload == nil {
		o.ResolverPreload = map[string]*jwt.AccountClaims{}
	}
	for _, f := range fields {
		fp := join(path, f.key)
		s, ok := f.node.val.(string)
		if !ok {
			l.errorf(f.node, fp, "preload map value should be a string JWT")
			continue
		}
		ac, err := jwt.DecodeAccountClaims(s)
		if err != nil {
			l.errorf(f.node, fp, "invalid account JWT")
			continue
		}
		if reason := unsupportedAccountClaims(ac); reason != "" {
			l.errorf(f.node, fp, "account %s: %s %s", f.key, reason, unsupportedReason)
			continue
		}
		o.ResolverPreload[f.key] = ac
		l.note("resolver_preload."+f.key, f.node)
	}
}

// unsupportedAccountClaims names what an account JWT uses that leafhub
// does not implement yet ("" if nothing).
func unsupportedAccountClaims(ac *jwt.AccountClaims) string {
	switch {
	case len(ac.Imports) > 0:
		return "imports"
	case len(ac.Exports) > 0:
		return "exports"
	case len(ac.Mappings) > 0:
		return "mappings"
	case ac.HasExternalAuthorization():
		return "external authorization (auth callout)"
	case ac.Trace != nil:
		return "message tracing"
	case ac.Limits.Conn >= 0:
		return "limits.conn"
	case ac.Limits.LeafNodeConn >= 0:
		return "limits.leaf"
	case ac.Limits.Subs >= 0:
		return "limits.subs"
	case ac.Limits.Data >= 0:
		return "limits.data"
	case ac.Limits.Payload >= 0:
		return "limits.payload"
	}
	return ""
}

// finishOperator adds the operator-mode accounts: every preloaded account
// whose JWT names it. The system account must be one of them.
func (l *loader) finishOperator(o *Options) {
	if !o.OperatorMode() {
		return
	}
	keys := make([]string, 0, len(o.ResolverPreload))
	for k := range o.ResolverPreload {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ac := o.ResolverPreload[k]
		if ac.Subject != k {
			l.warns = append(l.warns, newError(l.positions["resolver_preload."+k], "resolver_preload."+k,
				fmt.Sprintf("account JWT subject %s does not match its key: the account is not usable", ac.Subject)).Error())
			delete(o.ResolverPreload, k)
			continue
		}
		o.Accounts = append(o.Accounts, &Account{Name: k, Claims: ac})
	}
	if o.Username != "" || o.Token != "" {
		l.warns = append(l.warns, newError(l.positions["authorization"], "authorization",
			"operator mode: the authorization block's user and token are ignored (users authenticate with JWTs)").Error())
	}
}

// operator checks operator mode against the rest of the configuration, as
// nats-server does.
func (v *validator) operator() {
	o := v.o
	if !o.OperatorMode() {
		return // nats-server ignores a resolver without operators
	}
	if o.Resolver == "" {
		v.errorf("operator", "operators require an account resolver to be configured")
	}
	// As nats-server, no exception: not even the system account may be
	// configured directly ($G is always there, and never configured).
	for _, a := range o.Accounts {
		if a.Name != GlobalAccount && a.Claims == nil {
			v.errorf("operator", "operators do not allow Accounts to be configured directly")
			break
		}
	}
	if len(o.Users) > 0 {
		v.errorf("operator", "operators do not allow users to be configured directly")
	}
	if o.SystemAccount != "" {
		found, nonEmpty := false, false
		for _, op := range o.Operators {
			if op.Claims.SystemAccount != "" {
				nonEmpty = true
			}
			if op.Claims.SystemAccount == o.SystemAccount {
				found = true
			}
		}
		if nonEmpty && !found {
			v.errorf("system_account", "system_account in config and operator JWT must be identical")
		}
		if !nkeys.IsValidPublicAccountKey(o.SystemAccount) {
			v.errorf("system_account", "system account %q is not a valid account public key", o.SystemAccount)
		}
	}
	for _, op := range o.Operators {
		if err := checkServerVersion(op.Claims, CompatVersion); err != nil {
			v.errorf("operator", "%v", err)
		}
	}
}

// checkServerVersion applies an operator's assert_server_version.
func checkServerVersion(oc *jwt.OperatorClaims, ours string) error {
	major, minor, update, err := jwt.ParseServerVersion(oc.AssertServerVersion)
	if err != nil {
		return fmt.Errorf("operator %s expects version %s got error instead: %s", oc.Subject, oc.AssertServerVersion, err)
	}
	parts := strings.SplitN(ours, ".", 3)
	var have [3]int
	for i := range parts {
		have[i], _ = strconv.Atoi(strings.SplitN(parts[i], "-", 2)[0])
	}
	want := [3]int{major, minor, update}
	names := [3]string{"major", "minor", "update"}
	for i := range want {
		if have[i] > want[i] {
			return nil
		}
		if want[i] > have[i] {
			return fmt.Errorf("operator %s expected %s version %d > server %s version %d", oc.Subject, names[i], want[i], names[i], have[i])
		}
	}
	return nil
}

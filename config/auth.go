package config

import (
	"fmt"
	"strings"

	"github.com/nats-io/nkeys"
)

// connectionTypes are the values allowed in allowed_connection_types.
var connectionTypes = map[string]bool{
	"STANDARD":    true,
	"WEBSOCKET":   true,
	"LEAFNODE":    true,
	"LEAFNODE_WS": true,
	"MQTT":        true,
	"MQTT_WS":     true,
	"IN_PROCESS":  true,
}

// ConnectionType returns the upper-case name of a connection type that
// nats-server knows (as allowed_connection_types and user JWTs list them,
// in any case), and whether it is one.
func ConnectionType(name string) (string, bool) {
	ct := strings.ToUpper(name)
	return ct, connectionTypes[ct]
}

// authorization parses the top-level authorization block.
func (l *loader) authorization(o *Options, n *node, path string) {
	fields, ok := l.mapping(n, path)
	if !ok {
		return
	}
	o.authBlockSeen = true
	var defaults *Permissions
	for _, f := range fields {
		fp := join(path, f.key)
		if unsupportedAuthorization[f.lkey] {
			l.unsupported(f.node, fp)
			continue
		}
		switch f.lkey {
		case "user", "username":
			if s, ok := l.str(f.node, fp); ok {
				o.Username = s
				l.note("authorization.user", f.node)
			}
		case "pass", "password":
			if s, ok := l.str(f.node, fp); ok {
				o.Password = s
			}
		case "token":
			if s, ok := l.str(f.node, fp); ok {
				o.Token = s
				l.note("authorization.token", f.node)
			}
		case "timeout":
			if d, ok := l.seconds(f.node, fp, "authorization"); ok {
				o.AuthTimeout = d
			}
		case "users":
			o.authUsersSet = true
			l.note("authorization.users", f.node)
			l.authUsers = l.users(f.node, fp, "authorization.users", GlobalAccount)
		case "permissions", "default_permissions", "default_permission":
			if p, ok := l.permissions(f.node, fp); ok {
				defaults = p
			}
		default:
			l.unknown(f, fp)
		}
	}
	o.DefaultPermissions = defaults
	applyDefaultPermissions(l.authUsers, defaults)
}

// applyDefaultPermissions gives users without permissions the defaults.
func applyDefaultPermissions(users []*User, defaults *Permissions) {
	if defaults == nil {
		return
	}
	for _, u := range users {
		if u.Permissions == nil {
			u.Permissions = defaults
		}
	}
}

// users parses a users array of the authorization block or an account.
// canon is the canonical key path used for the entries' positions.
func (l *loader) users(n *node, path, canon, account string) []*User {
	items, ok := n.val.([]*node)
	if !ok {
		l.errorf(n, path, "Expected users field to be an array, got %s", kind(n.val))
		return nil
	}
	var users []*User
	for i, it := range items {
		ip := index(path, i)
		fields, ok := it.val.([]*field)
		if !ok {
			l.errorf(it, ip, "Expected user entry to be a map/struct, got %s", kind(it.val))
			continue
		}
		u := &User{Account: account, src: index(canon, i)}
		l.note(u.src, it)
		good := true
		for _, f := range fields {
			fp := join(ip, f.key)
			if unsupportedUser[f.lkey] {
				l.unsupported(f.node, fp)
				continue
			}
			switch f.lkey {
			case "user", "username":
				s, ok := l.str(f.node, fp)
				good = good && ok
				u.Username = s
				l.note(u.src, f.node)
			case "pass", "password":
				s, ok := l.str(f.node, fp)
				good = good && ok
				u.Password = s
			case "nkey":
				s, ok := l.str(f.node, fp)
				good = good && ok
				u.Nkey = s
				l.note(u.src, f.node)
			case "permissions", "permission", "authorization":
				p, ok := l.permissions(f.node, fp)
				good = good && ok
				u.Permissions = p
			case "allowed_connection_types", "connection_types", "clients":
				m, ok := l.connectionTypes(f.node, fp)
				good = good && ok
				u.AllowedConnectionTypes = m
			default:
				l.unknown(f, fp)
			}
		}
		if !good {
			continue
		}
		switch {
		case u.Nkey == "" && u.Username == "":
			l.errorf(it, ip, "User entry requires a user")
			continue
		case u.Nkey != "" && !nkeys.IsValidPublicUserKey(u.Nkey):
			l.errorf(it, ip, "Not a valid public nkey for a user")
			continue
		case u.Nkey != "" && (u.Username != "" || u.Password != ""):
			l.errorf(it, ip, "Nkey users do not take usernames or passwords")
			continue
		}
		users = append(users, u)
	}
	return users
}

// connectionTypes parses allowed_connection_types into upper case names.
func (l *loader) connectionTypes(n *node, path string) (map[string]bool, bool) {
	list, ok := l.stringList(n, path)
	if !ok {
		return nil, false
	}
	m := make(map[string]bool, len(list))
	var unknown []string
	for _, name := range list {
		ct, known := ConnectionType(name)
		if !known {
			unknown = append(unknown, ct)
			continue
		}
		m[ct] = true
	}
	if len(unknown) > 0 {
		l.errorf(n, path, "invalid connection types %q", unknown)
		return nil, false
	}
	return m, true
}

// accountsBlock parses accounts: a map of account blocks or an array of
// account names.
func (l *loader) accountsBlock(n *node, path string) {
	switch v := n.val.(type) {
	case []*node:
		for i, e := range v {
			ip := index(path, i)
			name, ok := l.str(e, ip)
			if !ok {
				continue
			}
			l.addAccount(&Account{Name: name}, e, ip)
		}
	case []*field:
		for _, f := range v {
			if f.node.used {
				continue // a variable defined inside the block
			}
			l.account(f, join(path, f.key))
		}
	default:
		l.typeError(n, path, "a map or an array")
	}
}

// addAccount registers an account unless its name is reserved or taken.
func (l *loader) addAccount(a *Account, n *node, path string) bool {
	if a.Name == GlobalAccount {
		l.errorf(n, path, "%q is a Reserved Account", a.Name)
		return false
	}
	if l.accountNames[a.Name] {
		l.errorf(n, path, "Duplicate Account Entry: %s", a.Name)
		return false
	}
	l.accountNames[a.Name] = true
	l.accounts = append(l.accounts, a)
	l.note("accounts."+a.Name, n)
	return true
}

// account parses one account block.
func (l *loader) account(f *field, path string) {
	fields, ok := f.node.val.([]*field)
	if !ok {
		l.errorf(f.node, path, "Expected map entries for accounts")
		return
	}
	acc := &Account{Name: f.key}
	if !l.addAccount(acc, f.node, path) {
		return
	}
	var users []*User
	for _, af := range fields {
		fp := join(path, af.key)
		if unsupportedAccount[af.lkey] {
			l.unsupported(af.node, fp)
			continue
		}
		switch af.lkey {
		case "users":
			users = l.users(af.node, fp, fmt.Sprintf("accounts.%s.users", acc.Name), acc.Name)
		case "default_permissions":
			if p, ok := l.permissions(af.node, fp); ok {
				acc.DefaultPermissions = p
			}
		default:
			l.unknown(af, fp)
		}
	}
	applyDefaultPermissions(users, acc.DefaultPermissions)
	l.accountUsers = append(l.accountUsers, users...)
}

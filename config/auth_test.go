package config

import (
	"reflect"
	"testing"
	"time"
)

func TestAuthorizationUsers(t *testing.T) {
	o := mustParse(t, `
authorization {
  timeout: 5
  default_permissions {
    publish: "pub.>"
    subscribe: ["sub.>", "_INBOX.>"]
  }
  users: [
    { user: a, password: pa }
    { user: b, password: pb, permissions: {
        publish: { allow: ["x.>"], deny: ["x.secret"] }
        subscribe: { allow: "jobs.* workers", deny: ["jobs.secret"] }
        allow_responses: { max: 5, expires: "1m" } } }
    { user: c, password: pc, allowed_connection_types: ["STANDARD", "leafnode"] }
    { nkey: `+testNkey+` }
  ]
}
no_auth_user: a
`)
	if !o.AuthRequired() || o.AuthTimeout != 5*time.Second || o.NoAuthUser != "a" {
		t.Errorf("auth required %v timeout %v no_auth_user %q", o.AuthRequired(), o.AuthTimeout, o.NoAuthUser)
	}
	if len(o.Users) != 4 {
		t.Fatalf("users = %d", len(o.Users))
	}
	defaults := &Permissions{
		Publish:   &SubjectPermission{Allow: []string{"pub.>"}},
		Subscribe: &SubjectPermission{Allow: []string{"sub.>", "_INBOX.>"}},
	}
	if !reflect.DeepEqual(o.DefaultPermissions, defaults) {
		t.Errorf("default permissions = %+v", o.DefaultPermissions)
	}
	a, b, c, n := o.Users[0], o.Users[1], o.Users[2], o.Users[3]
	if a.Username != "a" || a.Password != "pa" || a.Account != GlobalAccount || !reflect.DeepEqual(a.Permissions, defaults) {
		t.Errorf("user a = %+v", a)
	}
	wantB := &Permissions{
		Publish:   &SubjectPermission{Allow: []string{"x.>"}, Deny: []string{"x.secret"}},
		Subscribe: &SubjectPermission{Allow: []string{"jobs.* workers"}, Deny: []string{"jobs.secret"}},
		Response:  &ResponsePermission{MaxMsgs: 5, Expires: time.Minute},
	}
	if !reflect.DeepEqual(b.Permissions, wantB) {
		t.Errorf("user b permissions = %+v", b.Permissions)
	}
	if !reflect.DeepEqual(c.AllowedConnectionTypes, map[string]bool{"STANDARD": true, "LEAFNODE": true}) {
		t.Errorf("user c connection types = %v", c.AllowedConnectionTypes)
	}
	if n.Nkey != testNkey || n.Username != "" || n.Account != GlobalAccount {
		t.Errorf("nkey user = %+v", n)
	}
	if o.LookupUser(testNkey) != n || o.LookupUser("b") != b || o.LookupUser("zz") != nil {
		t.Errorf("LookupUser does not find users")
	}
}

func TestSingleUserAndToken(t *testing.T) {
	o := mustParse(t, "authorization { user: alice, password: s3cret }")
	if o.Username != "alice" || o.Password != "s3cret" || !o.AuthRequired() || len(o.Users) != 0 {
		t.Errorf("options = %+v", o)
	}
	o = mustParse(t, "authorization { token: abc }")
	if o.Token != "abc" || !o.AuthRequired() {
		t.Errorf("options = %+v", o)
	}
	o = mustParse(t, "authorization { timeout: 1 }")
	if o.AuthRequired() {
		t.Errorf("an authorization block without credentials requires auth")
	}
}

func TestAllowResponses(t *testing.T) {
	tests := []struct {
		perms string
		want  *Permissions
	}{
		// allow_responses alone turns the implicit "publish anything" off.
		{`{ allow_responses: true }`, &Permissions{
			Publish:  &SubjectPermission{Allow: []string{}},
			Response: &ResponsePermission{MaxMsgs: 1, Expires: 2 * time.Minute}}},
		{`{ allow_responses: true, publish: { deny: "a" } }`, &Permissions{
			Publish:  &SubjectPermission{Allow: []string{}, Deny: []string{"a"}},
			Response: &ResponsePermission{MaxMsgs: 1, Expires: 2 * time.Minute}}},
		{`{ publish: "a", allow_responses: { max: -1 } }`, &Permissions{
			Publish:  &SubjectPermission{Allow: []string{"a"}},
			Response: &ResponsePermission{MaxMsgs: -1, Expires: 2 * time.Minute}}},
		{`{ allow_responses: { max: 0, expires: "0s" } }`, &Permissions{
			Publish:  &SubjectPermission{Allow: []string{}},
			Response: &ResponsePermission{MaxMsgs: 1, Expires: 2 * time.Minute}}},
		{`{ allow_responses: false }`, &Permissions{}},
		{`{ publish: [] }`, &Permissions{Publish: &SubjectPermission{}}},
		{`{ publish: {} }`, &Permissions{}},
		{`{ subscribe: "> x" }`, &Permissions{Subscribe: &SubjectPermission{Allow: []string{"> x"}}}},
	}
	for _, tt := range tests {
		o := mustParse(t, "authorization { users [ {user: a, permissions: "+tt.perms+"} ] }")
		if got := o.Users[0].Permissions; !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: permissions = %+v, want %+v", tt.perms, got, tt.want)
		}
	}
}

func TestValidSubject(t *testing.T) {
	valid := []string{"a", "a.b", "*", ">", "a.*.c", "a.>", "foo>", "a*b", "$SYS.>", "_INBOX.x"}
	invalid := []string{"", ".", "a.", ".a", "a..b", ">.a", "a.>.b", "a b", "a\tb", " ", "a. .b"}
	for _, s := range valid {
		if !validSubject(s) {
			t.Errorf("%q should be valid", s)
		}
	}
	for _, s := range invalid {
		if validSubject(s) {
			t.Errorf("%q should be invalid", s)
		}
	}
}

func TestAccounts(t *testing.T) {
	o := mustParse(t, `
accounts {
  A { users: [ {user: a1, password: p} ] }
  B {
    default_permissions { publish: "b.>" }
    users: [ {user: b1, password: p}, {user: b2, password: p, permissions: {publish: ">"}} ]
  }
  $SYS { users: [ {user: admin, password: admin} ] }
}
authorization { users: [ {user: g, password: p} ] }
`)
	if got := accountNames(o); !reflect.DeepEqual(got, []string{"$G", "A", "B", "$SYS"}) {
		t.Errorf("accounts = %v", got)
	}
	var users []string
	for _, u := range o.Users {
		users = append(users, u.Username+"@"+u.Account)
	}
	if want := []string{"g@$G", "a1@A", "b1@B", "b2@B", "admin@$SYS"}; !reflect.DeepEqual(users, want) {
		t.Errorf("users = %v, want %v", users, want)
	}
	if p := o.LookupUser("b1").Permissions; p == nil || !reflect.DeepEqual(p.Publish.Allow, []string{"b.>"}) {
		t.Errorf("b1 permissions = %+v", p)
	}
	if p := o.LookupUser("b2").Permissions; !reflect.DeepEqual(p.Publish.Allow, []string{">"}) {
		t.Errorf("b2 permissions = %+v", p)
	}
	if o.LookupUser("a1").Permissions != nil {
		t.Errorf("a1 has permissions")
	}
	if a := o.LookupAccount("B"); a == nil || a.DefaultPermissions == nil {
		t.Errorf("account B = %+v", a)
	}
	if o.SystemAccount != "$SYS" || o.NoAuthGlobal {
		t.Errorf("system account %q, no-auth-global %v", o.SystemAccount, o.NoAuthGlobal)
	}

	o = mustParse(t, "accounts: [A, B]")
	if got := accountNames(o); !reflect.DeepEqual(got, []string{"$G", "A", "B", "$SYS"}) {
		t.Errorf("accounts = %v", got)
	}
}

func TestSystemAccount(t *testing.T) {
	tests := []struct {
		conf     string
		sys      string
		accounts []string
		noAuth   bool
	}{
		{"port: 4222", "$SYS", []string{"$G", "$SYS"}, false},
		{"no_system_account: true", "", []string{"$G"}, false},
		{"system_account: OPS\naccounts { OPS {}, APP {} }", "OPS", []string{"$G", "OPS", "APP"}, false},
		{"system_account: \"$G\"", "$G", []string{"$G"}, false},
		{"no_system_account: true\naccounts { $SYS {} }", "$SYS", []string{"$G", "$SYS"}, true},
		// Only the system account has users: clients without credentials
		// land in $G, as with nats-server.
		{"accounts { $SYS { users [ {user: s, password: s} ] } }", "$SYS", []string{"$G", "$SYS"}, true},
		{"system_account: OPS\naccounts { OPS { users [ {user: s, password: s} ] } }", "OPS", []string{"$G", "OPS"}, true},
		{"accounts { $SYS { users [ {user: s, password: s} ] } }\nauthorization { timeout: 2 }", "$SYS", []string{"$G", "$SYS"}, false},
		{"accounts { A { users [ {user: s, password: s} ] } }", "$SYS", []string{"$G", "A", "$SYS"}, false},
	}
	for _, tt := range tests {
		o := mustParse(t, tt.conf)
		if o.SystemAccount != tt.sys || !reflect.DeepEqual(accountNames(o), tt.accounts) || o.NoAuthGlobal != tt.noAuth {
			t.Errorf("%q: system %q accounts %v no-auth-global %v", tt.conf, o.SystemAccount, accountNames(o), o.NoAuthGlobal)
		}
	}
}

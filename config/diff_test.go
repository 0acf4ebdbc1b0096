package config

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

const fullConf = `
server_name: hub
port: 4333
authorization {
  default_permissions { publish: { allow: [] } }
  users [ {user: a, password: b, allowed_connection_types: [STANDARD], permissions: { allow_responses: true }} ]
}
accounts { A { users [ {user: x, password: y} ] } }
leafnodes {
  port: 7422
  authorization { users [ {user: l, password: p, account: A} ] }
  remotes [ {urls: ["nats://u:p@h1", "nats://h2"], account: A} ]
}
`

func TestCloneIsDeep(t *testing.T) {
	o := mustParse(t, fullConf)
	c := o.Clone()
	if d := Diff(o, c); len(d) != 0 {
		t.Fatalf("clone differs in %v", d)
	}
	if !reflect.DeepEqual(o, c) {
		t.Fatalf("clone is not equal")
	}
	// Change everything reachable in the clone; the original must not move.
	c.Users[0].Username = "changed"
	c.Users[0].AllowedConnectionTypes["LEAFNODE"] = true
	c.Users[0].Permissions.Publish.Allow = append(c.Users[0].Permissions.Publish.Allow, "x")
	c.Users[0].Permissions.Response.MaxMsgs = 9
	c.Accounts[1].Name = "Z"
	c.LeafNode.Users[0].Account = "Z"
	c.LeafNode.Remotes[0].URLs[0].Host = "other:1"
	c.LeafNode.Remotes[0].URLs[0].User = nil
	c.LeafNode.Remotes[0].Compression.RTTThresholds[0] = 0
	c.LeafNode.Compression.RTTThresholds[1] = 0
	if err := o.Validate(); err != nil {
		t.Errorf("original broken by clone changes: %v", err)
	}
	u := o.Users[0]
	if u.Username != "a" || len(u.AllowedConnectionTypes) != 1 || len(u.Permissions.Publish.Allow) != 0 ||
		u.Permissions.Response.MaxMsgs != 1 {
		t.Errorf("original user changed: %+v", u)
	}
	r := o.LeafNode.Remotes[0]
	if r.URLs[0].Host != "h1:7422" || r.URLs[0].User == nil || r.Compression.RTTThresholds[0] == 0 {
		t.Errorf("original remote changed: %+v", r)
	}
	if o.Accounts[1].Name != "A" || o.LeafNode.Users[0].Account != "A" || o.LeafNode.Compression.RTTThresholds[1] == 0 {
		t.Errorf("original changed")
	}
	// An empty allow list stays empty (allow nothing), not nil (allow all).
	if p := o.Clone().Users[0].Permissions.Publish; p.Allow == nil || len(p.Allow) != 0 {
		t.Errorf("empty allow list became nil")
	}
	if (*Options)(nil).Clone() != nil {
		t.Errorf("nil clone")
	}
}

func TestDiff(t *testing.T) {
	base := mustParse(t, fullConf)
	tests := []struct {
		change func(o *Options)
		want   []string
	}{
		{func(o *Options) {}, nil},
		{func(o *Options) { o.Port = 1 }, []string{"port"}},
		{func(o *Options) { o.Debug, o.MaxPayload = true, 5 }, []string{"max_payload", "debug"}},
		{func(o *Options) { o.Users[0].Password = "new" }, []string{"authorization"}},
		{func(o *Options) { o.Users[1].Password = "new" }, []string{"accounts"}},
		{func(o *Options) { o.LeafNode.Remotes[0].Disabled = true }, []string{"leafnodes"}},
		{func(o *Options) { o.MetricsPrefix = "x" }, []string{"leafhub"}},
		{func(o *Options) { o.HTTPPort = 8222 }, []string{"http"}},
		{func(o *Options) { o.PidFile = "/run/x.pid" }, []string{"pid_file"}},
		{func(o *Options) { o.TLS = &TLSOpts{CertFile: "c", KeyFile: "k"} }, []string{"tls"}},
		{func(o *Options) { o.AllowNonTLS = true }, []string{"allow_non_tls"}},
		{func(o *Options) { o.LameDuckDuration, o.LameDuckGracePeriod = time.Minute, time.Second },
			[]string{"lame_duck_duration", "lame_duck_grace_period"}},
		{func(o *Options) { o.ProfBlockRate = 3 }, []string{"prof_block_rate"}},
		{func(o *Options) { o.NoAuthUser = "a" }, []string{"no_auth_user"}},
		{func(o *Options) { o.Warnings = []string{"w"}; o.ConfigFile = "other" }, nil},
	}
	for i, tt := range tests {
		n := base.Clone()
		tt.change(n)
		if got := Diff(base, n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("case %d: Diff = %v, want %v", i, got, tt.want)
		}
	}
	// Reloading the same text gives no difference.
	if d := Diff(base, mustParse(t, fullConf)); len(d) != 0 {
		t.Errorf("same config differs in %v", d)
	}
}

// TestDiffCoversEveryOption: a change to any setting of Options shows in
// Diff, so the reload's "changed" log line names everything that changed.
func TestDiffCoversEveryOption(t *testing.T) {
	skip := map[string]bool{
		"ConfigFile": true, "ConfigDigest": true, "Warnings": true, // bookkeeping
		"NoAuthGlobal": true, // derived from the users, which are reported
	}
	base := mustParse(t, fullConf)
	typ := reflect.TypeOf(*base)
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		if !f.IsExported() || skip[f.Name] {
			continue
		}
		n := base.Clone()
		if !perturb(reflect.ValueOf(n).Elem().Field(i)) {
			t.Errorf("%s: the test cannot change a %s", f.Name, f.Type)
			continue
		}
		if d := Diff(base, n); len(d) == 0 {
			t.Errorf("a change of %s is not in Diff", f.Name)
		}
	}
}

// perturb changes v to another value (the first field, for a struct).
func perturb(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		} else {
			v.Set(reflect.Zero(v.Type()))
		}
	case reflect.Slice:
		e := reflect.New(v.Type().Elem()).Elem()
		if e.Kind() == reflect.Pointer {
			e = reflect.New(e.Type().Elem())
		}
		v.Set(reflect.Append(v, e))
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		m.SetMapIndex(reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem())
		v.Set(m)
	case reflect.Struct:
		return v.NumField() > 0 && perturb(v.Field(0))
	default:
		return false
	}
	return true
}

func TestValidateAfterFlags(t *testing.T) {
	o := Default()
	o.Port = 70000
	o.HTTPPort = -3
	o.MaxPayload = 128 << 20
	o.ServerName = "a b"
	o.NoAuthUser = "nobody"
	err := o.Validate()
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("expected *Errors, got %v", err)
	}
	var got []string
	for _, e := range errs.List {
		got = append(got, e.Error())
	}
	want := []string{
		"port: invalid port 70000: must be between 0 and 65535, or -1 for a random port",
		"http_port: invalid port -3: must be between 0 and 65535, or -1 for a random port",
		"max_payload: max_payload (134217728) cannot be higher than max_pending (67108864)",
		"server_name: server name cannot contain spaces",
		`no_auth_user: no_auth_user: "nobody" present, but users/nkeys are not defined`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors =\n%q\nwant\n%q", got, want)
	}

	// A flag that sets a single user next to configured users.
	o = mustParse(t, "authorization { users [ {user: a, password: b} ] }")
	o.Username, o.Password = "flag", "flag"
	err = o.Validate()
	if !errors.As(err, &errs) || errs.List[0].Reason != "Can not have a single user/pass and a users array" {
		t.Errorf("got %v", err)
	}
	// Positions of the file are kept for errors found after loading.
	o = mustParse(t, "\n\nmax_payload: 1MB\nmax_pending: 2MB")
	o.MaxPayload = 4 << 20
	if err := o.Validate(); !errors.As(err, &errs) || errs.List[0].Line != 3 || errs.List[0].Key != "max_payload" {
		t.Errorf("got %v", err)
	}
}

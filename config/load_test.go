package config

import (
	"errors"
	"io/fs"
	"reflect"
	"strings"
	"testing"
	"time"
)

// mustParse parses a configuration that must be valid.
func mustParse(t *testing.T, conf string) *Options {
	t.Helper()
	o, err := Parse(conf)
	if err != nil {
		t.Fatalf("unexpected error for\n%s\n%v", conf, err)
	}
	return o
}

// parseErrors parses a configuration that must be invalid.
func parseErrors(t *testing.T, conf string) []*Error {
	t.Helper()
	o, err := Parse(conf)
	if err == nil {
		t.Fatalf("expected an error for\n%s\ngot options %+v", conf, o)
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("expected *Errors, got %T: %v", err, err)
	}
	if len(errs.List) == 0 {
		t.Fatalf("empty *Errors")
	}
	return errs.List
}

func TestDefault(t *testing.T) {
	o := Default()
	checks := []struct {
		name      string
		got, want any
	}{
		{"Host", o.Host, "0.0.0.0"},
		{"Port", o.Port, 4222},
		{"MonitorHost", o.MonitorHost(), "0.0.0.0"},
		{"HTTPPort", o.HTTPPort, 0},
		{"MaxPayload", o.MaxPayload, int32(1 << 20)},
		{"MaxControlLine", o.MaxControlLine, int32(4096)},
		{"MaxPending", o.MaxPending, int64(64 << 20)},
		{"MaxConn", o.MaxConn, 65536},
		{"MaxSubs", o.MaxSubs, 0},
		{"PingInterval", o.PingInterval, 2 * time.Minute},
		{"MaxPingsOut", o.MaxPingsOut, 2},
		{"WriteDeadline", o.WriteDeadline, 10 * time.Second},
		{"Logtime", o.Logtime, true},
		{"Debug", o.Debug, false},
		{"Trace", o.Trace, false},
		{"AuthTimeout", o.AuthTimeout, 2 * time.Second},
		{"SystemAccount", o.SystemAccount, "$SYS"},
		{"MetricsPrefix", o.MetricsPrefix, "gnatsd"},
		{"ActorMetrics", o.ActorMetrics, false},
		{"PerActorMetrics", o.PerActorMetrics, false},
		{"LeafNode.Port", o.LeafNode.Port, 0},
		{"LeafNode.ReconnectInterval", o.LeafNode.ReconnectInterval, time.Second},
		{"LeafNode.DialTimeout", o.LeafNode.DialTimeout, time.Second},
		{"LeafNode.WriteDeadline", o.LeafNode.WriteDeadline, 10 * time.Second},
		{"LeafNode.AuthTimeout", o.LeafNode.AuthTimeout, 2 * time.Second},
		{"AuthRequired", o.AuthRequired(), false},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if names := accountNames(o); !reflect.DeepEqual(names, []string{"$G", "$SYS"}) {
		t.Errorf("accounts = %v", names)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
}

func accountNames(o *Options) []string {
	var names []string
	for _, a := range o.Accounts {
		names = append(names, a.Name)
	}
	return names
}

func TestEmptyConfigIsDefault(t *testing.T) {
	o := mustParse(t, "# nothing here\n")
	if d := Diff(Default(), o); len(d) != 0 {
		t.Errorf("empty config differs from Default in %v", d)
	}
	if len(o.Warnings) != 1 || !strings.Contains(o.Warnings[0], "config has no values or is empty") {
		t.Errorf("warnings = %q", o.Warnings)
	}
}

func TestSupportedTopLevelKeys(t *testing.T) {
	conf := `
server_name: hub-1
listen: "127.0.0.1:4333"
http: "127.0.0.2:8333"
max_payload: 2MB
max_control_line: 8KB
max_pending: 32MB
max_connections: 100
max_subscriptions: 1000
ping_interval: "30s"
ping_max: 3
write_deadline: "5s"
debug: true
trace: true
logtime: false
logfile: "/var/log/leafhub.log"
no_system_account: true
leafhub {
  metrics_prefix: "leafhub"
  actor_metrics: true
  per_actor_metrics: true
}
`
	o := mustParse(t, conf)
	checks := []struct {
		name      string
		got, want any
	}{
		{"ServerName", o.ServerName, "hub-1"},
		{"Host", o.Host, "127.0.0.1"},
		{"Port", o.Port, 4333},
		{"HTTPHost", o.MonitorHost(), "127.0.0.2"},
		{"HTTPPort", o.HTTPPort, 8333},
		{"MaxPayload", o.MaxPayload, int32(2 << 20)},
		{"MaxControlLine", o.MaxControlLine, int32(8 << 10)},
		{"MaxPending", o.MaxPending, int64(32 << 20)},
		{"MaxConn", o.MaxConn, 100},
		{"MaxSubs", o.MaxSubs, 1000},
		{"PingInterval", o.PingInterval, 30 * time.Second},
		{"MaxPingsOut", o.MaxPingsOut, 3},
		{"WriteDeadline", o.WriteDeadline, 5 * time.Second},
		{"LeafNode.WriteDeadline", o.LeafNode.WriteDeadline, 5 * time.Second},
		{"Debug", o.Debug, true},
		{"Trace", o.Trace, true},
		{"Logtime", o.Logtime, false},
		{"LogFile", o.LogFile, "/var/log/leafhub.log"},
		{"NoSystemAccount", o.NoSystemAccount, true},
		{"SystemAccount", o.SystemAccount, ""},
		{"MetricsPrefix", o.MetricsPrefix, "leafhub"},
		{"ActorMetrics", o.ActorMetrics, true},
		{"PerActorMetrics", o.PerActorMetrics, true},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if names := accountNames(o); !reflect.DeepEqual(names, []string{"$G"}) {
		t.Errorf("accounts = %v, want only $G", names)
	}
	if len(o.Warnings) != 0 {
		t.Errorf("unexpected warnings %q", o.Warnings)
	}
}

func TestSpecialValues(t *testing.T) {
	tests := []struct {
		conf  string
		check func(o *Options) bool
	}{
		{"port: -1", func(o *Options) bool { return o.Port == RandomPort }},
		{"port: 0", func(o *Options) bool { return o.Port == DefaultPort }},
		{"host: 10.0.0.1\nport: 5000", func(o *Options) bool { return o.Host == "10.0.0.1" && o.Port == 5000 && o.MonitorHost() == "10.0.0.1" }},
		{"http: 8222", func(o *Options) bool { return o.MonitorHost() == "0.0.0.0" && o.HTTPPort == 8222 }},
		{"http_port: -1", func(o *Options) bool { return o.HTTPPort == RandomPort }},
		{"max_connections: 0", func(o *Options) bool { return o.MaxConn == -1 }},
		{"max_payload: 0", func(o *Options) bool { return o.MaxPayload == DefaultMaxPayload }},
		{"max_payload: 1048576", func(o *Options) bool { return o.MaxPayload == 1<<20 }},
		{"ping_interval: 90", func(o *Options) bool { return o.PingInterval == 90*time.Second }},
		{"write_deadline: \"250ms\"", func(o *Options) bool { return o.WriteDeadline == 250*time.Millisecond }},
		{"leafnodes { port: 7422 }", func(o *Options) bool {
			return o.LeafNode.Host == "0.0.0.0" && o.LeafNode.Compression.Mode == CompressionS2Auto &&
				reflect.DeepEqual(o.LeafNode.Compression.RTTThresholds, DefaultRTTThresholds)
		}},
	}
	for _, tt := range tests {
		o := mustParse(t, tt.conf)
		if !tt.check(o) {
			t.Errorf("%q: unexpected options %+v", tt.conf, o)
		}
	}
}

func TestAliases(t *testing.T) {
	pairs := [][2]string{
		{"host: 1.2.3.4", "net: 1.2.3.4"},
		{"listen: \"1.2.3.4:5\"", "host: 1.2.3.4\nport: 5"},
		{"http: 5", "http_port: 5"},
		{"http_port: 8222", "monitor_port: 8222"},
		{"max_connections: 7", "max_conn: 7"},
		{"max_subscriptions: 7", "max_subs: 7"},
		{"logfile: x", "log_file: x"},
		{"system_account: A\naccounts { A {} }", "system: A\naccounts { A {} }"},
		{"no_system_account: true", "no_system: true"},
		{"no_system_account: true", "no_sys_acc: true"},
		{"PORT: 5", "port: 5"},
		{"leafnodes { port: 7422 }", "leaf { port: 7422 }"},
		{"leafnodes { port: 7422 }", "LeafNodes { PORT: 7422 }"},
		{"leafnodes { host: h }", "leafnodes { net: h }"},
		{"leafnodes { reconnect: \"3s\" }", "leafnodes { reconnect_delay: \"3s\" }"},
		{"leafnodes { reconnect: \"3s\" }", "leafnodes { reconnect_interval: \"3s\" }"},
		{"leafnodes { isolate_leafnode_interest: true }", "leafnodes { isolate: true }"},
		{"leafnodes { authorization { user: a, pass: b } }", "leafnodes { authorization { username: a, password: b } }"},
		{"leafnodes { authorization { users [ {user: a, pass: b} ] } }", "leafnodes { authorization { users [ {username: a, password: b} ] } }"},
		{"leafnodes { remotes [ {url: \"nats://h\"} ] }", "leafnodes { remotes [ {urls: [\"nats://h\"]} ] }"},
		{"leafnodes { remotes [ {url: \"nats://h\", no_randomize: true} ] }", "leafnodes { remotes [ {url: \"nats://h\", dont_randomize: true} ] }"},
		{"leafnodes { remotes [ {url: \"nats://h\", account: \"$SYS\"} ] }", "leafnodes { remotes [ {url: \"nats://h\", local: \"$SYS\"} ] }"},
		{"leafnodes { remotes [ {url: \"nats://h\", isolate_leafnode_interest: true} ] }", "leafnodes { remotes [ {url: \"nats://h\", isolate: true} ] }"},
		{"leafnodes { remotes [ {url: \"nats://h\"} ] }", "leafnodes { remotes [ {url: \"nats://h:7422\"} ] }"},
		{"authorization { user: a, password: b }", "authorization { username: a, pass: b }"},
		{"authorization { users [ {user: a, password: b} ] }", "authorization { users [ {username: a, pass: b} ] }"},
		{"authorization { default_permissions { publish: a } }", "authorization { permissions { pub: a } }"},
		{"authorization { default_permissions { publish: a } }", "authorization { default_permission { import: a } }"},
		{"authorization { default_permissions { subscribe: a } }", "authorization { default_permissions { sub: a } }"},
		{"authorization { default_permissions { subscribe: a } }", "authorization { default_permissions { export: a } }"},
		{"authorization { default_permissions { subscribe: [a] } }", "authorization { default_permissions { subscribe: { allow: a } } }"},
		{"authorization { default_permissions { allow_responses: true } }", "authorization { default_permissions { publish_allow_responses: true } }"},
		{"authorization { default_permissions { allow_responses: true } }", "authorization { default_permissions { allow_responses: { max: 1, expires: \"2m\" } } }"},
		{"authorization { users [ {user: a, permissions: {publish: x}} ] }", "authorization { users [ {user: a, permission: {publish: x}} ] }"},
		{"authorization { users [ {user: a, permissions: {publish: x}} ] }", "authorization { users [ {user: a, authorization: {publish: x}} ] }"},
		{"authorization { users [ {user: a, allowed_connection_types: STANDARD} ] }", "authorization { users [ {user: a, connection_types: [standard]} ] }"},
		{"authorization { users [ {user: a, allowed_connection_types: STANDARD} ] }", "authorization { users [ {user: a, clients: [Standard]} ] }"},
		{"authorization { timeout: 3 }", "authorization { timeout: \"3s\" }"},
		{"authorization { timeout: 1.5 }", "authorization { timeout: \"1500ms\" }"},
	}
	for _, p := range pairs {
		a, b := mustParse(t, p[0]), mustParse(t, p[1])
		if d := Diff(a, b); len(d) != 0 {
			t.Errorf("%q and %q differ in %v", p[0], p[1], d)
		}
	}
}

func TestInclude(t *testing.T) {
	o, err := Load("testdata/include/main.conf")
	if err != nil {
		t.Fatal(err)
	}
	if o.ConfigFile != "testdata/include/main.conf" {
		t.Errorf("ConfigFile = %q", o.ConfigFile)
	}
	if o.Port != 4555 || o.ServerName != "included" {
		t.Errorf("port %d, name %q", o.Port, o.ServerName)
	}
	if u := o.LookupUser("inc"); u == nil || u.Password != "secret" || u.Account != GlobalAccount {
		t.Errorf("included user = %+v", u)
	}
	if len(o.LeafNode.Remotes) != 1 || o.LeafNode.Remotes[0].URLs[0].Host != "hub.example.com:7422" {
		t.Errorf("remotes = %+v", o.LeafNode.Remotes)
	}

	// An error inside the included file names that file and line.
	_, err = Load("testdata/include/bad_main.conf")
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("expected *Errors, got %v", err)
	}
	e := errs.List[0]
	if e.File != "testdata/include/bad_part.conf" || e.Line != 3 || e.Key != "authorization.bogus" ||
		e.Reason != `unknown field "bogus"` {
		t.Errorf("error = %#v", e)
	}
}

func TestEnvironmentVariable(t *testing.T) {
	t.Setenv("LEAFHUB_TEST_PORT", "4777")
	t.Setenv("LEAFHUB_TEST_HUB", "nats://u:p@hub:7000")
	o := mustParse(t, "port: $LEAFHUB_TEST_PORT\nleafnodes { remotes [ {url: $LEAFHUB_TEST_HUB} ] }")
	if o.Port != 4777 {
		t.Errorf("port = %d", o.Port)
	}
	if u := o.LeafNode.Remotes[0].URLs[0]; u.String() != "nats://u:p@hub:7000" {
		t.Errorf("url = %v", u)
	}
	errs := parseErrors(t, "port: $LEAFHUB_TEST_UNSET_VARIABLE")
	if errs[0].Line != 1 || !strings.Contains(errs[0].Reason, "LEAFHUB_TEST_UNSET_VARIABLE") {
		t.Errorf("error = %#v", errs[0])
	}
}

func TestVariables(t *testing.T) {
	o := mustParse(t, `
ACC = "APP"
PW = "pw"
accounts {
  APP { users [ {user: a, password: $PW} ] }
}
leafnodes {
  DELAY = "5s"
  reconnect: $DELAY
  remotes [ {url: "nats://h", account: $ACC} ]
}
`)
	if u := o.LookupUser("a"); u == nil || u.Password != "pw" || u.Account != "APP" {
		t.Errorf("user = %+v", u)
	}
	if o.LeafNode.ReconnectInterval != 5*time.Second || o.LeafNode.Remotes[0].LocalAccount != "APP" {
		t.Errorf("leafnodes = %+v", o.LeafNode)
	}
	// An unused variable is an unknown field, like in nats-server.
	errs := parseErrors(t, "UNUSED = 5\nport: 4222")
	if errs[0].Key != "UNUSED" || errs[0].Reason != `unknown field "UNUSED"` {
		t.Errorf("error = %#v", errs[0])
	}
}

func TestBcryptPassword(t *testing.T) {
	const hash = "$2a$11$W2zko751KUvVy59mUTWmpOdWjpEm5qhcCZRd05GjI/sSOT.xtiHyG"
	o := mustParse(t, "authorization { user: a, password: "+hash+" }")
	if o.Password != hash {
		t.Errorf("password = %q", o.Password)
	}
	o = mustParse(t, `authorization { users [ {user: a, password: "`+hash+`"} ] }`)
	if o.Users[0].Password != hash {
		t.Errorf("password = %q", o.Users[0].Password)
	}
}

func TestWarnings(t *testing.T) {
	o := mustParse(t, "\nping_interval: 2m\nmax_payload: 16MB\nmax_pending: 64MB\nauthorization { timeout: 90 }\nleafnodes { remotes [ {urls: [\"nats://a\", \"nats://a\"]} ] }")
	want := []string{
		`<string>:2:1: ping_interval: plain number for duration read as seconds (555h33m20s)`,
		`<string>:5:17: authorization.timeout: timeout of 90 (90.000000 seconds) is high`,
		`<string>:6:44: leafnodes.remotes[0].urls[1]: duplicate leafnode url "nats://a" ignored`,
		`<string>:3:1: max_payload: Maximum payloads over 8.00 MB are generally discouraged`,
	}
	if len(o.Warnings) != len(want) {
		t.Fatalf("warnings = %q", o.Warnings)
	}
	for i, w := range want {
		if !strings.HasPrefix(o.Warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, o.Warnings[i], w)
		}
	}
	if len(o.LeafNode.Remotes[0].URLs) != 1 {
		t.Errorf("duplicate url kept: %v", o.LeafNode.Remotes[0].URLs)
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/does-not-exist.conf")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("expected a not-exist error, got %v", err)
	}
	var errs *Errors
	if !errors.As(err, &errs) || errs.List[0].File != "testdata/does-not-exist.conf" {
		t.Errorf("expected *Errors naming the file, got %v", err)
	}
}

func TestSyntaxError(t *testing.T) {
	errs := parseErrors(t, "port: 4222\nleafnodes {\n  remotes [ {url: \"nats://h\"}\n  port: 5\n}\n")
	if len(errs) != 1 || errs[0].File != "<string>" || errs[0].Line == 0 || errs[0].Key != "" {
		t.Errorf("errors = %#v", errs)
	}
	if strings.ContainsAny(errs[0].Error(), "\x00") {
		t.Errorf("control character in %q", errs[0].Error())
	}
}

func TestErrorFormat(t *testing.T) {
	e := &Error{File: "a.conf", Line: 3, Col: 5, Key: "leafnodes.port", Reason: "boom"}
	if got := e.Error(); got != "a.conf:3:5: leafnodes.port: boom" {
		t.Errorf("Error() = %q", got)
	}
	if got := (&Error{Key: "port", Reason: "boom"}).Error(); got != "port: boom" {
		t.Errorf("Error() without position = %q", got)
	}
	errs := &Errors{List: []*Error{e, {File: "b.conf", Line: 1, Col: 1, Key: "x", Reason: "y"}}}
	if got := errs.Error(); got != "a.conf:3:5: leafnodes.port: boom\nb.conf:1:1: x: y" {
		t.Errorf("Errors.Error() = %q", got)
	}
	var target *Error
	if !errors.As(errs, &target) || target != e {
		t.Errorf("errors.As does not find the first *Error")
	}
}

func TestAllErrorsCollected(t *testing.T) {
	errs := parseErrors(t, `
port: "x"
bogus: 1
cluster { port: 6222 }
leafnodes {
  port: true
  remotes [ {url: "nats://h", account: 5}, {url: "nats://h2", what: 1} ]
}
authorization { users [ {user: a, permissions: { publish: "a..b" }} ] }
`)
	want := []struct {
		line int
		key  string
	}{
		{2, "port"},
		{3, "bogus"},
		{4, "cluster"},
		{6, "leafnodes.port"},
		{7, "leafnodes.remotes[0].account"},
		{7, "leafnodes.remotes[1].what"},
		{9, "authorization.users[0].permissions.publish"},
	}
	if len(errs) != len(want) {
		t.Fatalf("got %d errors:\n%v", len(errs), (&Errors{List: errs}).Error())
	}
	for i, w := range want {
		if errs[i].Line != w.line || errs[i].Key != w.key {
			t.Errorf("error %d = %v, want line %d key %s", i, errs[i], w.line, w.key)
		}
	}
}

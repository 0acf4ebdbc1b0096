package config

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

const (
	testNkey = "UDXU4RCSJNZOIQHZNWXHXORDPRTGNJAHAHFRGZNEEJCPQTT2M7NLCNF4"   // user public key
	testSeed = "SUAO55HRBLCDRJIP6MPM6NRWQPX6HTR4ML46MSYQATHSV6TUEYNSSCH26U" // user seed
	accSeed  = "SAADCME3F24RB47AKZT6PF7YNNU5CWT33UMDOZXEKETJTUISDKNSQB36DQ" // account seed
)

// errorCase is a configuration with one expected error (there may be
// others, such as "unsupported" for the same key).
type errorCase struct {
	conf   string
	line   int
	key    string
	reason string
}

// checkErrorCases parses each case and looks for an error with the key and
// reason, then checks its line.
func checkErrorCases(t *testing.T, cases []errorCase) {
	t.Helper()
	for _, c := range cases {
		errs := parseErrors(t, c.conf)
		var found *Error
		for _, e := range errs {
			if e.Key == c.key && e.Reason == c.reason {
				found = e
				break
			}
		}
		if found == nil {
			t.Errorf("config:\n%s\nwant error %s: %s\ngot:\n%s", c.conf, c.key, c.reason, (&Errors{List: errs}).Error())
			continue
		}
		if found.Line != c.line || found.File != "<string>" {
			t.Errorf("config:\n%s\nerror %q is at %s:%d, want line %d", c.conf, c.reason, found.File, found.Line, c.line)
		}
	}
}

func TestTopLevelErrors(t *testing.T) {
	checkErrorCases(t, []errorCase{
		{"# top\nserver_name: \"my hub\"", 2, "server_name", "server name cannot contain spaces"},
		{"max_pending: 10MB\nmax_payload: 100MB", 2, "max_payload", "max_payload (104857600) cannot be higher than max_pending (10485760)"},
		{"\nmax_payload: 3GB", 2, "max_payload", "max_payload value is too big"},
		{"\n\nmax_control_line: 3GB", 3, "max_control_line", "max_control_line value is too big"},
		{"\nmax_payload: -1", 2, "max_payload", "max_payload must be positive, got -1"},
		{"\nmax_pending: -5", 2, "max_pending", "max_pending must be positive, got -5"},
		{"\nport: 70000", 2, "port", "invalid port 70000: must be between 0 and 65535, or -1 for a random port"},
		{"\nlisten: \"0.0.0.0:-2\"", 2, "port", "invalid port -2: must be between 0 and 65535, or -1 for a random port"},
		{"\nhttp_port: -5", 2, "http_port", "invalid port -5: must be between 0 and 65535, or -1 for a random port"},
		{"\nleafnodes {\n  port: 99999\n}", 3, "leafnodes.port", "invalid port 99999: must be between 0 and 65535, or -1 for a random port"},
		{"\nlisten: \"nope\"", 2, "listen", `could not parse address string "nope"`},
		{"\nlisten: \"h:x\"", 2, "listen", `could not parse port "x"`},
		{"\nhttp: true", 2, "http", "expected port or host:port, got boolean"},
		{"\nport: \"4222\"", 2, "port", "expected an integer, got string"},
		{"\ndebug: 1", 2, "debug", "expected a boolean, got integer"},
		{"\nlogfile: [a]", 2, "logfile", "expected a string, got array"},
		{"\nping_interval: \"2x\"", 2, "ping_interval", `error parsing ping_interval: time: unknown unit "x" in duration "2x"`},
		{"\nwrite_deadline: true", 2, "write_deadline", "expected a duration, got boolean"},
		{"\nping_interval: \"-1s\"", 2, "ping_interval", "ping_interval must be positive, got -1s"},
		{"\nlame_duck_duration: \"0s\"", 2, "lame_duck_duration", "invalid lame_duck_duration of 0s, minimum is 30 seconds"},
		{"\nlame_duck_duration: \"-1m\"", 2, "lame_duck_duration", "invalid lame_duck_duration of -1m0s, minimum is 30 seconds"},
		{"\nlame_duck_grace_period: \"-1s\"", 2, "lame_duck_grace_period", "invalid lame_duck_grace_period, needs to be positive"},
		{"lame_duck_duration: \"60s\"\nlame_duck_grace_period: \"60s\"", 2, "lame_duck_grace_period", "lame duck grace period (1m0s) should be strictly lower than lame duck duration (1m0s)"},
		{"\nlame_duck_grace_period: \"3m\"", 2, "lame_duck_grace_period", "lame duck grace period (3m0s) should be strictly lower than lame duck duration (2m0s)"},
		{"\nlame_duck_duration: \"5s\"", 2, "lame_duck_duration", "invalid lame_duck_duration of 5s, minimum is 30 seconds"},
		{"lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"45s\"", 2, "lame_duck_grace_period", "lame duck grace period (45s) should be strictly lower than lame duck duration (30s)"},
		{"\nsystem_account: 5", 2, "system_account", "system account name must be a string"},
		{"\nsystem: NOPE", 2, "system_account", `error resolving system account "NOPE": account missing`},
		{"\nsystem_account: \"$SYS\"", 2, "system_account", `error resolving system account "$SYS": account missing`},
		{"leafhub {\n  metrics_prefix: \"1bad\"\n}", 2, "leafhub.metrics_prefix", `metrics_prefix "1bad" is not a valid metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)`},
		{"leafhub {\n  actor_metrics: \"maybe\"\n}", 2, "leafhub.actor_metrics", "expected a boolean, got string"},
		{"leafhub: 5", 1, "leafhub", "expected a map, got integer"},
	})
}

func TestAuthErrors(t *testing.T) {
	checkErrorCases(t, []errorCase{
		{"authorization {\n  user: a\n  token: t\n}", 3, "authorization.token", "Cannot have a user/pass and token"},
		{"authorization {\n  user: a\n  password: b\n  users: [ {user: c, password: d} ]\n}", 2, "authorization.user", "Can not have a single user/pass and a users array"},
		{"authorization {\n  user: a, password: b\n  users: []\n}", 2, "authorization.user", "Can not have a single user/pass and a users array"},
		{"authorization {\n  token: t\n  users: [ {user: c, password: d} ]\n}", 2, "authorization.token", "Can not have a token and a users array"},
		{"authorization { user: a, password: b }\naccounts {\n  A { users [\n    {user: x, password: y}\n  ] }\n}", 4, "accounts.A.users[0]", "Can not have a single user/pass and accounts"},
		{"authorization { token: t }\naccounts {\n  A { users [ {user: x, password: y} ] }\n}", 3, "accounts.A.users[0]", "Can not have a token and accounts"},
		{"authorization { users [\n  {user: a, password: b}\n  {user: a, password: c}\n] }", 3, "authorization.users[1]", `Duplicate user "a" detected`},
		{"authorization { users [ {user: a, password: b} ] }\naccounts {\n  A { users [ {user: a, password: c} ] }\n}", 3, "accounts.A.users[0]", `Duplicate user "a" detected`},
		{"accounts {\n  A { users [ {user: a} ] }\n  B { users [ {user: a} ] }\n}", 3, "accounts.B.users[0]", `Duplicate user "a" detected`},
		{"authorization { users [\n  {nkey: " + testNkey + "}\n  {nkey: " + testNkey + "}\n] }", 3, "authorization.users[1]", fmt.Sprintf("Duplicate nkey %q detected", testNkey)},
		{"authorization { users [\n  {nkey: UABC}\n] }", 2, "authorization.users[0]", "Not a valid public nkey for a user"},
		{"authorization { users [\n  {nkey: " + testSeed + "}\n] }", 2, "authorization.users[0]", "Not a valid public nkey for a user"},
		{"authorization { users [\n  {nkey: " + testNkey + ", user: x}\n] }", 2, "authorization.users[0]", "Nkey users do not take usernames or passwords"},
		{"authorization { users [\n  {password: x}\n] }", 2, "authorization.users[0]", "User entry requires a user"},
		{"authorization {\n  users: {user: a}\n}", 2, "authorization.users", "Expected users field to be an array, got map"},
		{"authorization { users: [\n  \"bob\"\n] }", 2, "authorization.users[0]", "Expected user entry to be a map/struct, got string"},
		{"authorization {\n  timeout: \"x\"\n}", 2, "authorization.timeout", `error parsing authorization config, 'timeout' time: invalid duration "x"`},
		{"authorization {\n  timeout: true\n}", 2, "authorization.timeout", "error parsing authorization config, 'timeout' wrong type"},
		{"authorization {\n  user: 5\n}", 2, "authorization.user", "expected a string, got integer"},
		{"authorization: true", 1, "authorization", "expected a map, got boolean"},
		{"authorization { users [ {user: a,\n  allowed_connection_types: [\"STANDARD\", \"bogus\", \"mqtt\"]} ] }", 2, "authorization.users[0].allowed_connection_types", `invalid connection types ["BOGUS"]`},
		{"authorization { users [ {user: a,\n  allowed_connection_types: 5} ] }", 2, "authorization.users[0].allowed_connection_types", "expected a string or an array of strings, got integer"},
		{"\nno_auth_user: bob", 2, "no_auth_user", `no_auth_user: "bob" present, but users/nkeys are not defined`},
		{"no_auth_user: bob\nauthorization { users [ {user: alice} ] }", 1, "no_auth_user", `no_auth_user: "bob" not present as user or nkey in authorization block or account configuration`},
		{"accounts {\n  $G { }\n}", 2, "accounts.$G", `"$G" is a Reserved Account`},
		{"accounts: [\n  A\n  A\n]", 3, "accounts[1]", "Duplicate Account Entry: A"},
		{"accounts: [\n  \"$G\"\n]", 2, "accounts[0]", `"$G" is a Reserved Account`},
		{"accounts: [\n  5\n]", 2, "accounts[0]", "expected a string, got integer"},
		{"accounts {\n  A: 5\n}", 2, "accounts.A", "Expected map entries for accounts"},
		{"\naccounts: 5", 2, "accounts", "expected a map or an array, got integer"},
	})
}

func TestPermissionErrors(t *testing.T) {
	user := func(perms string) string {
		return "authorization {\n  users [\n    {user: a, permissions: " + perms + "}\n  ]\n}"
	}
	const p = "authorization.users[0].permissions"
	checkErrorCases(t, []errorCase{
		{user(`"pub.>"`), 3, p, "Expected permissions to be a map/struct, got string"},
		{user(`{ publish: "a..b" }`), 3, p + ".publish", `subject "a..b" is not a valid subject`},
		{user(`{ publish: ["ok", "a.>.b"] }`), 3, p + ".publish[1]", `subject "a.>.b" is not a valid subject`},
		{user(`{ publish: "a q" }`), 3, p + ".publish", `subject "a q" is not a valid subject`},
		{user(`{ publish: "" }`), 3, p + ".publish", `subject "" is not a valid subject`},
		{user(`{ subscribe: "a b c" }`), 3, p + ".subscribe", `subject "a b c" is not a valid subject`},
		{user(`{ subscribe: "foo bar.." }`), 3, p + ".subscribe", `queue "bar.." is not a valid queue`},
		{user(`{ subscribe: ">.x q" }`), 3, p + ".subscribe", `subject ">.x" is not a valid subject`},
		{user(`{ subscribe: { deny: ["ok", "x..y"] } }`), 3, p + ".subscribe.deny[1]", `subject "x..y" is not a valid subject`},
		{user(`{ publish: 5 }`), 3, p + ".publish", "Expected subject permissions to be a subject, or array of subjects, got integer"},
		{user(`{ publish: [a, 5 ] }`), 3, p + ".publish[1]", "Subject in permissions array cannot be cast to string"},
		{user(`{ publish: { allow: a, nope: b } }`), 3, p + ".publish.nope", `Unknown field name "nope" parsing subject permissions, only 'allow' or 'deny' are permitted`},
		{user(`{ bogus: 1 }`), 3, p + ".bogus", `Unknown field "bogus" parsing permissions`},
		{user(`{ allow_responses: "x" }`), 3, p + ".allow_responses", "error parsing response permissions, expected a boolean or a map"},
		{user(`{ allow_responses: { expires: 5 } }`), 3, p + ".allow_responses.expires", "error parsing expires, not a duration string"},
		{user(`{ allow_responses: { expires: "x" } }`), 3, p + ".allow_responses.expires", `error parsing expires: time: invalid duration "x"`},
		{user(`{ allow_responses: { max: "x" } }`), 3, p + ".allow_responses.max", "expected an integer, got string"},
		{user(`{ allow_responses: { bogus: 1 } }`), 3, p + ".allow_responses.bogus", `Unknown field "bogus" parsing permissions`},
		{"authorization {\n  default_permissions: { subscribe: [\">.a\"] }\n}", 2, "authorization.default_permissions.subscribe[0]", `subject ">.a" is not a valid subject`},
		{"accounts { A {\n  default_permissions: { publish: \"a b\" }\n} }", 2, "accounts.A.default_permissions.publish", `subject "a b" is not a valid subject`},
	})
}

func TestLeafnodeErrors(t *testing.T) {
	remote := func(fields string) string {
		return "leafnodes {\n  remotes: [\n    {url: \"nats://h\", " + fields + "}\n  ]\n}"
	}
	const r = "leafnodes.remotes[0]"
	checkErrorCases(t, []errorCase{
		{"\nleafnodes: 7422", 2, "leafnodes", "Expected map to define a leafnode, got integer"},
		{"leafnodes {\n  port: \"x\"\n}", 2, "leafnodes.port", "expected an integer, got string"},
		{"leafnodes {\n  reconnect: \"soon\"\n}", 2, "leafnodes.reconnect", `error parsing reconnect: time: invalid duration "soon"`},
		{"leafnodes {\n  dial_timeout: true\n}", 2, "leafnodes.dial_timeout", "expected a duration, got boolean"},
		{"leafnodes {\n  min_version: \"2.7.9\"\n}", 2, "leafnodes.min_version", "the minimum version should be at least 2.8.0"},
		{"leafnodes {\n  min_version: \"v2\"\n}", 2, "leafnodes.min_version", "invalid leafnode's minimum version: invalid semver"},
		{"leafnodes {\n  minimum_version: \"2.10.01\"\n}", 2, "leafnodes.minimum_version", "invalid leafnode's minimum version: invalid semver"},
		{"leafnodes {\n  write_timeout: \"sometimes\"\n}", 2, "leafnodes.write_timeout", "write_timeout must be 'default', 'close' or 'retry'"},
		{"leafnodes {\n  compression: bogus\n}", 2, "leafnodes.compression", `unsupported compression mode "bogus"`},
		{"leafnodes { authorization {\n  nkey: UBAD\n} }", 2, "leafnodes.authorization.nkey", "Not a valid public nkey for leafnode authorization"},
		{"leafnodes { authorization {\n  user: a, password: b\n  users [ {user: c, password: d} ]\n} }", 2, "leafnodes.authorization.user", "can not have a single user/pass and a users array"},
		{"leafnodes { authorization {\n  nkey: " + testNkey + "\n  users [ {user: c, password: d} ]\n} }", 2, "leafnodes.authorization.nkey", "can not have a single nkey and a users array"},
		{"leafnodes { authorization { users [\n  {user: c, password: d}\n  {user: c, password: e}\n] } }", 3, "leafnodes.authorization.users[1]", `duplicate user "c" detected in leafnode authorization`},
		{"leafnodes { authorization {\n  account: NOPE\n} }", 2, "leafnodes.authorization.account", `cannot find local account "NOPE" specified in leafnode authorization`},
		{"leafnodes { authorization { users [\n  {user: a, password: b, account: NOPE}\n] } }", 2, "leafnodes.authorization.users[0].account", `cannot find local account "NOPE" specified in leafnode authorization`},
		{"leafnodes { authorization {\n  timeout: [ 1 ]\n} }", 2, "leafnodes.authorization.timeout", "error parsing leafnode authorization config, 'timeout' wrong type"},
		{"leafnodes { authorization {\n  users: 5\n} }", 2, "leafnodes.authorization.users", "Expected users field to be an array, got integer"},
		{"leafnodes { authorization { users: [\n  5\n] } }", 2, "leafnodes.authorization.users[0]", "Expected user entry to be a map/struct, got integer"},
		{"leafnodes {\n  remotes: {url: \"nats://h\"}\n}", 2, "leafnodes.remotes", "Expected remotes field to be an array, got map"},
		{"leafnodes { remotes: [\n  \"nats://h\"\n] }", 2, "leafnodes.remotes[0]", "Expected remote leafnode entry to be a map/struct, got string"},
		{remote(`account: NOPE`), 3, r + ".account", `cannot find local account "NOPE" specified in leafnode remote`},
		{"no_system_account: true\n" + remote(`account: "$SYS"`), 4, r + ".account", `cannot find local account "$SYS" specified in leafnode remote`},
		{"system_account: A\naccounts { A {} }\n" + remote(`account: "$SYS"`), 5, r + ".account", `cannot find local account "$SYS" specified in leafnode remote`},
		{"leafnodes { remotes: [\n  {account: A}\n] }\naccounts { A {} }", 2, r, "remote leafnode requires at least one url"},
		{"leafnodes { remotes: [\n  {url: 5}\n] }", 2, r + ".url", "Expected remote leafnode url to be an array or string, got integer"},
		{"leafnodes { remotes: [\n  {urls: [\"nats://h\", 5 ]}\n] }", 2, r + ".urls[1]", "expected a string, got integer"},
		{"leafnodes { remotes: [\n  {url: \"nats://h:bad port\"}\n] }", 2, r + ".url", `error parsing leafnode url ["nats://h:bad port"]`},
		{"leafnodes { remotes: [\n  {url: \"nats://h\"}\n  {url: \"nats://h\"}\n] }", 3, "leafnodes.remotes[1]", `duplicate remote urls=["nats://h:7422"], account="$G"`},
		{"leafnodes { remotes: [\n  {url: \"nats://u:p@h\"}\n  {url: \"nats://u:p@h:7422\"}\n] }", 3, "leafnodes.remotes[1]", `duplicate remote urls=["nats://u:xxxxx@h:7422"], account="$G"`},
		{"leafnodes { remotes: [\n  {urls: [\"nats://h\", \"ws://h2\"]}\n] }", 2, r + ".url", `remote leaf node configuration cannot have a mix of websocket and non-websocket urls: ["nats://h:7422" "ws://h2:7422"]`},
		{remote(`no_randomize: 1`), 3, r + ".no_randomize", "expected a boolean, got integer"},
		{remote(`first_info_timeout: "x"`), 3, r + ".first_info_timeout", `error parsing first_info_timeout: time: invalid duration "x"`},
		{remote(`compression: 5`), 3, r + ".compression", `field "compression" should be a boolean or a structure, got integer`},
		{remote(`compression: {mode: s2_auto, rtt_thresholds: ["50ms", "10ms"]}`), 3, r + ".compression", "RTT threshold values [50ms 10ms] should be in ascending order"},
		{remote(`compression: {mode: auto, rtt: ["0s", "-1s"]}`), 3, r + ".compression", `compression mode "auto" requires at least one RTT threshold`},
		{remote(`compression: {mode: s2_auto, rtts: ["1ms","2ms","3ms","4ms","5ms"]}`), 3, r + ".compression", `compression mode "s2_auto" should have no more than 4 RTT thresholds: [1ms 2ms 3ms 4ms 5ms]`},
		{remote(`compression: {mode: "off", level: 3}`), 3, r + ".compression.level", `unknown field "level"`},
		{remote(`compression: {mode: s2_auto, thresholds: ["x"]}`), 3, r + ".compression.thresholds[0]", `time: invalid duration "x"`},
		{remote(`nkey: "SUnotaseed"`), 3, r + ".nkey", `Remote leafnode nkey is not a valid seed: "SUnotaseed"`},
		{remote(`seed: ` + accSeed), 3, r + ".seed", fmt.Sprintf("Remote leafnode nkey is not a valid seed: %q", accSeed)},
		{remote(`credentials: "/tmp/u.creds",` + "\n" + `nkey: ` + testSeed), 4, r + ".nkey", "Remote leafnode can not have both creds and nkey defined"},
		{remote(`seed: ` + testSeed + ",\n" + `creds: "/tmp/u.creds"`), 4, r + ".creds", "Remote leafnode can not have both creds and nkey defined"},
		{remote(`deny_imports: ["foo..bar"]`), 3, r + ".deny_imports[0]", `subject "foo..bar" is not a valid subject`},
		{remote(`deny_exports: "a b"`), 3, r + ".deny_exports", `subject "a b" is not a valid subject`},
		{remote(`jetstream_cluster_migrate: 5`), 3, r + ".jetstream_cluster_migrate", "Expected boolean or map for jetstream_cluster_migrate, got integer"},
		{remote(`proxy: "http://p"`), 3, r + ".proxy", "Expected proxy to be a map, got string"},
		{remote(`proxy: {username: a, password: b}`), 3, r + ".proxy", "proxy URL must be specified when other proxy options are set"},
		{remote(`proxy: {url: "socks5://p:1080"}`), 3, r + ".proxy", "proxy URL scheme must be http or https, got: socks5"},
		{remote(`proxy: {url: "http://"}`), 3, r + ".proxy", "proxy URL must specify a host"},
		{remote(`proxy: {url: "http://p:3128", username: a}`), 3, r + ".proxy", "proxy username and password must both be specified or both be empty"},
		{remote(`proxy: {url: "http://p:3128", timeout: "-1s"}`), 3, r + ".proxy", "proxy timeout must be >= 0"},
		{remote(`proxy: {url: "http://p:3128", tls: {timeout: 1}}`), 3, r + ".proxy", "proxy TLS configuration requires an https proxy URL, got: http"},
		{remote(`proxy: {url: "https://p:3128", tls: {verify: true}}`), 3, r + ".proxy.tls.verify", `"verify" is not supported for proxy TLS`},
		{remote(`proxy: {url: "https://p:3128", bogus: 1}`), 3, r + ".proxy.bogus", `unknown field "bogus"`},
		{"leafnodes { remotes: [\n  {url: \"wss://h\", proxy: {url: \"http://p:3128\"}}\n] }", 2, r + ".proxy", "proxy is configured but remote URL wss://h requires TLS and no TLS configuration is provided. When using proxy with TLS endpoints, ensure TLS is properly configured for the leafnode remote"},
	})
}

func TestTLSErrors(t *testing.T) {
	tlsBlock := func(fields string) string {
		return "leafnodes {\n  port: 7422\n  tls {\n    " + fields + "\n  }\n}"
	}
	const k = "leafnodes.tls"
	checkErrorCases(t, []errorCase{
		{tlsBlock(`bogus: 1`), 4, k + ".bogus", `error parsing tls config, unknown field "bogus"`},
		{tlsBlock(`cert_file: "/nonexistent/cert.pem"`), 3, k, "missing 'key_file' in TLS configuration"},
		{tlsBlock(`key_file: "/nonexistent/key.pem"`), 3, k, "missing 'cert_file' in TLS configuration"},
		{tlsBlock(`cert_file: 5`), 4, k + ".cert_file", "error parsing tls config, expected 'cert_file' to be filename"},
		{tlsBlock(`verify: "x"`), 4, k + ".verify", "error parsing tls config, expected 'verify' to be a boolean"},
		{tlsBlock(`cipher_suites: ["TLS_NOPE"]`), 4, k + ".cipher_suites[0]", "unrecognized cipher TLS_NOPE"},
		{tlsBlock(`cipher_suites: []`), 4, k + ".cipher_suites", "error parsing tls config, 'cipher_suites' cannot be empty"},
		{tlsBlock(`cipher_suites: ["TLS_RSA_WITH_RC4_128_SHA"]`), 3, k, "insecure cipher suites configured without 'allow_insecure_cipher_suites' option set: TLS_RSA_WITH_RC4_128_SHA"},
		{tlsBlock(`curve_preferences: ["P999"]`), 4, k + ".curve_preferences[0]", "unrecognized curve preference P999"},
		{tlsBlock(`curve_preferences: []`), 4, k + ".curve_preferences", "error parsing tls config, 'curve_preferences' cannot be empty"},
		{tlsBlock(`min_version: "1.1"`), 4, k + ".min_version", "error parsing tls config: unsupported TLS version: TLS 1.1"},
		{tlsBlock(`min_version: "2.0"`), 4, k + ".min_version", "error parsing tls config: unknown version: 2.0"},
		{tlsBlock(`timeout: true`), 4, k + ".timeout", "error parsing tls config, 'timeout' wrong type"},
		{tlsBlock(`timeout: "x"`), 4, k + ".timeout", `error parsing tls config, 'timeout' time: invalid duration "x"`},
		{tlsBlock(`connection_rate_limit: "x"`), 4, k + ".connection_rate_limit", "error parsing tls config, 'connection_rate_limit' wrong type"},
		{tlsBlock(`pinned_certs: ["abc"]`), 4, k + ".pinned_certs[0]", "error parsing tls config, 'pinned_certs' key abc does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"},
		{tlsBlock(`pinned_certs: "abc"`), 4, k + ".pinned_certs", "error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo"},
		{tlsBlock(`handshake_first: "maybe"`), 4, k + ".handshake_first", `field "handshake_first"'s value "maybe" is invalid`},
		{tlsBlock(`first: 5`), 4, k + ".first", `field "first" should be a boolean or a string, got integer`},
		{tlsBlock(`verify_cert_and_check_known_urls: true`), 4, k + ".verify_cert_and_check_known_urls", "verify_cert_and_check_known_urls not supported in this context"},
		{tlsBlock(`certs: [ {cert_file: "c.pem"} ]`), 4, k + ".certs[0]", "error parsing certificates config: both 'cert_file' and 'cert_key' options are required"},
		{tlsBlock(`certs: [ {cert_file: "c.pem", key_file: "k.pem", other: "x"} ]`), 4, k + ".certs[0].other", `error parsing tls certs config, unknown field "other"`},
		{tlsBlock(`cert_file: "c.pem", key_file: "k.pem", certs: [ {cert_file: "c.pem", key_file: "k.pem"} ]`), 3, k, "error parsing tls config, cannot combine 'cert_file' option with 'certs' option"},
		{tlsBlock(`ca_file: "/nonexistent/ca.pem"`), 3, k, "open /nonexistent/ca.pem: no such file or directory"},
		{tlsBlock(`ocsp_peer: true`), 4, k + ".ocsp_peer", unsupportedReason},
		{tlsBlock(`cert_store: "WindowsCurrentUser"`), 4, k + ".cert_store", unsupportedReason},
		{"leafnodes {\n  tls: 5\n}", 2, k, "expected a map, got integer"},
	})
}

func TestUnsupportedKeys(t *testing.T) {
	// Every top-level key of the table, with a value of the wrong type:
	// the key is refused before its value is looked at.
	keys := make([]string, 0, len(unsupportedTop))
	for k := range unsupportedTop {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		errs := parseErrors(t, "port: 4222\n"+k+": 1\n")
		if len(errs) != 1 || errs[0].Key != k || errs[0].Line != 2 || errs[0].Reason != unsupportedReason {
			t.Errorf("%s: errors = %v", k, (&Errors{List: errs}).Error())
		}
	}
	remote := func(fields string) string {
		return "leafnodes {\n  remotes: [\n    {url: \"nats://h\", " + fields + "}\n  ]\n}"
	}
	const r = "leafnodes.remotes[0]"
	checkErrorCases(t, []errorCase{
		{"tls {\n  connection_rate_limit: 10\n}", 2, "tls.connection_rate_limit", unsupportedReason},
		{"authorization {\n  auth_callout { issuer: x }\n}", 2, "authorization.auth_callout", unsupportedReason},
		{"authorization {\n  user: a, password: b\n  proxy_required: true\n}", 3, "authorization.proxy_required", unsupportedReason},
		{"authorization { users [\n  {user: a, proxy_required: true}\n] }", 2, "authorization.users[0].proxy_required", unsupportedReason},
		{"accounts { A {\n  imports: []\n} }", 2, "accounts.A.imports", unsupportedReason},
		{"accounts { A {\n  exports: []\n} }", 2, "accounts.A.exports", unsupportedReason},
		{"accounts { A {\n  jetstream: enabled\n} }", 2, "accounts.A.jetstream", unsupportedReason},
		{"accounts { A {\n  mappings: {}\n} }", 2, "accounts.A.mappings", unsupportedReason},
		{"accounts { A {\n  limits: {}\n} }", 2, "accounts.A.limits", unsupportedReason},
		{"leafnodes {\n  port: 7422\n  advertise: \"h:7422\"\n}", 3, "leafnodes.advertise", unsupportedReason},
		{"leafnodes {\n  write_timeout: retry\n}", 2, "leafnodes.write_timeout", unsupportedReason},
		{"leafnodes { authorization {\n  proxy_required: true\n} }", 2, "leafnodes.authorization.proxy_required", unsupportedReason},
		{"leafnodes { authorization { users [\n  {user: a, password: b, proxy_required: true}\n] } }", 2, "leafnodes.authorization.users[0].proxy_required", unsupportedReason},
		{remote(`jetstream_cluster_migrate: true`), 3, r + ".jetstream_cluster_migrate", unsupportedReason},
		{remote(`js_cluster_migrate: {leader_migrate_delay: "1s"}`), 3, r + ".js_cluster_migrate", unsupportedReason},
	})
	// Compression off / not supported are fine.
	for _, c := range []string{"off", "false", "disabled", "\"not supported\"", "not_supported"} {
		mustParse(t, "leafnodes {\n  port: 7422\n  compression: "+c+"\n  remotes [ {url: \"nats://h\", compression: "+c+"} ]\n}")
	}
}

func TestUnknownKeys(t *testing.T) {
	checkErrorCases(t, []errorCase{
		{"# unknown\nbogus_key: 1", 2, "bogus_key", `unknown field "bogus_key"`},
		{"leafnodes {\n  bogus: true\n}", 2, "leafnodes.bogus", `unknown field "bogus"`},
		{"leafnodes { remotes [\n  {url: \"nats://h\", bogus: 1}\n] }", 2, "leafnodes.remotes[0].bogus", `unknown field "bogus"`},
		{"leafnodes { authorization {\n  bogus: 1\n} }", 2, "leafnodes.authorization.bogus", `unknown field "bogus"`},
		{"leafnodes { authorization { users [\n  {user: a, bogus: 1}\n] } }", 2, "leafnodes.authorization.users[0].bogus", `unknown field "bogus"`},
		{"authorization {\n  bogus: 1\n}", 2, "authorization.bogus", `unknown field "bogus"`},
		{"authorization { users [\n  {user: a, account: A}\n] }", 2, "authorization.users[0].account", `unknown field "account"`},
		{"accounts { A {\n  bogus: 1\n} }", 2, "accounts.A.bogus", `unknown field "bogus"`},
		{"leafhub {\n  bogus: 1\n}", 2, "leafhub.bogus", `unknown field "bogus"`},
	})
}

func TestUnsupportedReasonMentionsKey(t *testing.T) {
	errs := parseErrors(t, "\n\ngateway { name: x }")
	if got := errs[0].Error(); got != "<string>:3:1: gateway: "+unsupportedReason {
		t.Errorf("Error() = %q", got)
	}
	if !strings.Contains(errs[0].Error(), "gateway") {
		t.Errorf("error does not name the key")
	}
}

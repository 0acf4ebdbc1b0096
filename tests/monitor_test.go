package tests

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/jwt/v2"
	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/leafhub/leafhub/actors/hub"
	"github.com/leafhub/leafhub/actors/monitor"
	"github.com/leafhub/leafhub/config"
)

const monitorConf = "http: 127.0.0.1:-1\n"

func getJSON(t testing.TB, url string, v any) int {
	t.Helper()
	code, _, b := httpGet(t, url)
	if err := json.Unmarshal([]byte(b), v); err != nil {
		t.Fatalf("%s: %v in %s", url, err, b)
	}
	return code
}

func keys(m map[string]any) []string {
	var k []string
	for key := range m {
		k = append(k, key)
	}
	sort.Strings(k)
	return k
}

// TestVarzKeysMatchNATS runs the same topology on both servers and compares
// the /varz key sets: every key leafhub reports is one nats-server reports,
// and nats-server's keys leafhub leaves out are only those of features it
// does not have.
func TestVarzKeysMatchNATS(t *testing.T) {
	var ours, theirs map[string]any
	both(t, monitorConf, func(t *testing.T, s *target) {
		nc := connect(t, s.url)
		_, _ = nc.SubscribeSync("x")
		_ = nc.Flush()
		var v map[string]any
		if code := getJSON(t, s.monitor+"/varz", &v); code != 200 {
			t.Fatalf("status %d", code)
		}
		if v["connections"].(float64) != 1 || v["subscriptions"].(float64) < 1 {
			t.Fatalf("connections %v subscriptions %v", v["connections"], v["subscriptions"])
		}
		if s.hub != nil {
			ours = v
		} else {
			theirs = v
		}
	})
	// Features leafhub does not have (routes, gateways, JetStream, MQTT,
	// ...), and sections leafhub shows only when configured (websocket,
	// the trusted operators).
	absent := map[string]bool{"cluster": true, "gateway": true, "mqtt": true, "websocket": true, "jetstream": true,
		"tls_required": true, "tls_verify": true, "ip": true, "connect_urls": true, "ws_connect_urls": true,
		"trusted_operators_jwt": true, "trusted_operators_claim": true, "ocsp_peer_cache": true, "tags": true,
		"metadata": true, "feature_flags": true, "pinned_account_fails": true, "disk_io_wait_stats": true,
		"tls_ocsp_peer_verify": true, "write_timeout": true, "gomemlimit": true,
		"git_commit": true}
	for _, k := range keys(ours) {
		if _, ok := theirs[k]; !ok {
			t.Errorf("leafhub /varz has %q, nats-server does not", k)
		}
	}
	for _, k := range keys(theirs) {
		if _, ok := ours[k]; !ok && !absent[k] {
			t.Errorf("nats-server /varz has %q, leafhub does not", k)
		}
	}
}

// TestVarzTLSFields: with tls blocks on the client, leafnode and websocket
// ports, /varz reports the same TLS figures on both servers, the
// certificates' expiry included.
func TestVarzTLSFields(t *testing.T) {
	p := newPKI(t)
	conf := monitorConf + p.serverTLS(", verify: true, timeout: 3") + "\nleafnodes { listen: 127.0.0.1:-1, " + p.serverTLS(", timeout: 4") + " }\n" +
		"websocket { listen: 127.0.0.1:-1, " + p.serverTLS("") + " }\n"
	pick := func(v map[string]any) []any {
		leaf, _ := v["leaf"].(map[string]any)
		ws, _ := v["websocket"].(map[string]any)
		return []any{v["tls_required"], v["tls_verify"], v["tls_timeout"], leaf["tls_required"], leaf["tls_verify"], leaf["tls_timeout"],
			v["tls_cert_not_after"], leaf["tls_cert_not_after"], ws["tls_cert_not_after"]}
	}
	var got [][]any
	both(t, conf, func(t *testing.T, s *target) {
		var v map[string]any
		if code := getJSON(t, s.monitor+"/varz", &v); code != 200 {
			t.Fatalf("status %d", code)
		}
		got = append(got, pick(v))
	})
	if len(got) != 2 || fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Fatalf("TLS figures differ (leafhub, nats-server): %v", got)
	}
	if want := fmt.Sprint([]any{true, true, 3.0, true, nil, 4.0}); fmt.Sprint(got[0][:6]) != want {
		t.Fatalf("TLS figures %v, want %v", got[0], want)
	}
	cert, err := tls.LoadX509KeyPair(p.cert, p.key)
	if err != nil {
		t.Fatal(err)
	}
	notAfter := cert.Leaf.NotAfter.UTC().Format(time.RFC3339)
	for i, what := range []string{"tls_cert_not_after", "leaf.tls_cert_not_after", "websocket.tls_cert_not_after"} {
		if got[0][6+i] != notAfter {
			t.Errorf("%s %v, want the certificate's %s", what, got[0][6+i], notAfter)
		}
	}
}

func TestConnzAndHealthz(t *testing.T) {
	both(t, monitorConf, func(t *testing.T, s *target) {
		nc := connect(t, s.url, nats.Name("monitored"))
		_, _ = nc.SubscribeSync("a.b")
		_ = nc.Publish("a.b", []byte("hi"))
		_ = nc.Flush()
		var h map[string]any
		if code := getJSON(t, s.monitor+"/healthz", &h); code != 200 || h["status"] != "ok" {
			t.Fatalf("healthz %d %v", code, h)
		}
		var c struct {
			NumConns int `json:"num_connections"`
			Conns    []struct {
				Cid     uint64   `json:"cid"`
				Kind    string   `json:"kind"`
				Name    string   `json:"name"`
				Lang    string   `json:"lang"`
				Subs    int      `json:"subscriptions"`
				List    []string `json:"subscriptions_list"`
				InMsgs  int64    `json:"in_msgs"`
				Account string   `json:"account"`
			} `json:"connections"`
		}
		eventually(t, 2*time.Second, func() error {
			getJSON(t, s.monitor+"/connz?subs=1", &c)
			if c.NumConns != 1 || len(c.Conns) != 1 || c.Conns[0].InMsgs != 1 {
				return fmt.Errorf("connz %+v", c)
			}
			return nil
		})
		ci := c.Conns[0]
		if ci.Kind != "Client" || ci.Name != "monitored" || ci.Lang != "go" || ci.Subs != 1 ||
			len(ci.List) != 1 || ci.List[0] != "a.b" || ci.Account != "" {
			t.Fatalf("connection %+v", ci)
		}
		nc.Close()
		var closed struct {
			Conns []struct {
				Reason string `json:"reason"`
			} `json:"connections"`
		}
		eventually(t, 2*time.Second, func() error {
			getJSON(t, s.monitor+"/connz?state=closed", &closed)
			if len(closed.Conns) != 1 || closed.Conns[0].Reason != "Client Closed" {
				return fmt.Errorf("closed %+v", closed)
			}
			return nil
		})
	})
}

// TestMetricsNames scrapes /metrics and checks the prometheus-nats-exporter
// names and leafhub's actor series.
func TestMetricsNames(t *testing.T) {
	s := startLeafhub(t, monitorConf+"leafhub { metrics_prefix: gnatsd }\n")
	nc := connect(t, s.url)
	_ = nc.Publish("x", nil)
	_ = nc.Flush()
	resp, err := http.Get(s.monitor + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	id := s.hub.ID()
	for _, want := range []string{
		fmt.Sprintf(`gnatsd_varz_connections{server_id="%s"} 1`, id),
		fmt.Sprintf(`gnatsd_varz_in_msgs{server_id="%s"} 1`, id),
		fmt.Sprintf(`gnatsd_varz_max_payload{server_id="%s"} 1.048576e+06`, id),
		fmt.Sprintf(`gnatsd_varz_version{server_id="%s",value="2.15.2"} 1`, id),
		"# TYPE gnatsd_varz_mem gauge",
		`leafhub_actors{kind="client"} 1`,
		`leafhub_actors{kind="account"}`,
		`leafhub_actor_mailbox_depth{kind="client"}`,
		`leafhub_actor_restarts_total{kind="account"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(text, "protoactor_") {
		t.Error("protoactor's OpenTelemetry series are on by default")
	}
	if strings.Contains(text, "_by_actor") {
		t.Error("per-actor series are on by default")
	}
}

// TestPerActorMetrics: the opt-in adds one series per actor, labelled by id.
func TestPerActorMetrics(t *testing.T) {
	s := startLeafhub(t, monitorConf+"leafhub { per_actor_metrics: true }\n")
	nc := connect(t, s.url)
	cid := cidOf(t, nc)
	resp, err := http.Get(s.monitor + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := fmt.Sprintf(`leafhub_actor_mailbox_depth_by_actor{actor="hub/conns/client-%d",kind="client"} 0`, cid)
	if !strings.Contains(string(body), want) {
		t.Fatalf("/metrics lacks %q", want)
	}
}

// TestActorMetricsSwitch turns on protoactor's own instruments.
func TestActorMetricsSwitch(t *testing.T) {
	s := startLeafhub(t, monitorConf+"leafhub { actor_metrics: true }\n")
	nc := connect(t, s.url)
	_, _ = nc.SubscribeSync("x")
	_ = nc.Flush()
	resp, err := http.Get(s.monitor + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "protoactor_actor_spawn_count_total") {
		t.Fatalf("no protoactor series with actor_metrics on:\n%.2000s", body)
	}
}

// TestActorz: /actorz lists the actor tree with snake_case keys, per-kind
// totals, and each actor's own restart count, which a fault raises.
func TestActorz(t *testing.T) {
	s := startLeafhub(t, monitorConf)
	connect(t, s.url)
	type actorz struct {
		Kinds  []map[string]any `json:"kinds"`
		Actors []map[string]any `json:"actors"`
	}
	var a actorz
	getJSON(t, s.monitor+"/actorz", &a)
	wantKeys := func(what string, m map[string]any, want ...string) {
		t.Helper()
		if got := keys(m); !slices.Equal(got, want) {
			t.Errorf("%s keys %v, want %v", what, got, want)
		}
	}
	if len(a.Kinds) == 0 || len(a.Actors) == 0 {
		t.Fatalf("actorz %+v", a)
	}
	wantKeys("kinds entry", a.Kinds[0], "failures", "kind", "live", "mailbox_depth", "mailbox_depth_max", "restarts", "stops")
	wantKeys("actors entry", a.Actors[0], "failures", "id", "kind", "mailbox_depth", "parent", "restarts", "started")
	kinds := map[string]int{}
	for _, x := range a.Actors {
		kinds[x["kind"].(string)]++
		if x["kind"] == "client" && x["parent"] != "hub/conns" {
			t.Errorf("client actor %s has parent %q", x["id"], x["parent"])
		}
		if x["restarts"] != 0.0 {
			t.Errorf("actor %s restarted %v times before any fault", x["id"], x["restarts"])
		}
	}
	if kinds["client"] != 1 || kinds["account"] < 2 || kinds["listener"] != 1 || kinds["hub"] != 1 {
		t.Fatalf("actor kinds %v", kinds)
	}
	// A panic in the account actor of $G restarts it: its own count and the
	// kind's go to 1, the other accounts' stay 0.
	if err := s.hub.FaultAccount("$G"); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, func() error {
		var a actorz
		getJSON(t, s.monitor+"/actorz", &a)
		restarted := map[string]float64{}
		for _, x := range a.Actors {
			if x["kind"] == "account" {
				restarted[x["id"].(string)] = x["restarts"].(float64)
			}
		}
		seen := false
		for id, n := range restarted {
			want := 0.0
			if strings.HasSuffix(id, "/account-$G") {
				seen, want = true, 1
			}
			if n != want {
				return fmt.Errorf("account actor restarts %v", restarted)
			}
		}
		if !seen {
			return fmt.Errorf("no actor for account $G among %v", restarted)
		}
		for _, k := range a.Kinds {
			if k["kind"] == "account" && k["restarts"] == 1.0 && k["failures"] == 1.0 {
				return nil
			}
		}
		return fmt.Errorf("account kind after the fault: %v", a.Kinds)
	})
}

// TestSubszAccountzKeysMatchNATS: the same topology on both servers gives
// /subsz, /subsz?subs=1 and /accountz(?acc=) with the same keys.
func TestSubszAccountzKeysMatchNATS(t *testing.T) {
	conf := monitorConf + "accounts { A { users [ {user: a, password: p} ] } }\n"
	type shot struct{ subsz, detail, accountz, accDetail map[string]any }
	var got = map[string]shot{}
	both(t, conf, func(t *testing.T, s *target) {
		nc := connect(t, s.url, nats.UserInfo("a", "p"))
		_, _ = nc.SubscribeSync("foo.bar")
		_, _ = nc.QueueSubscribeSync("foo.*", "q")
		_ = nc.Flush()
		var sh shot
		getJSON(t, s.monitor+"/subsz", &sh.subsz)
		getJSON(t, s.monitor+"/subsz?subs=1&acc=A&test=foo.bar", &sh.detail)
		getJSON(t, s.monitor+"/accountz", &sh.accountz)
		getJSON(t, s.monitor+"/accountz?acc=A", &sh.accDetail)
		list, _ := sh.detail["subscriptions_list"].([]any)
		if len(list) != 2 {
			t.Fatalf("subsz?subs=1&acc=A&test=foo.bar listed %v", sh.detail["subscriptions_list"])
		}
		if !strings.Contains(fmt.Sprint(sh.accountz["accounts"]), "A") {
			t.Fatalf("accountz %v", sh.accountz)
		}
		got[s.name] = sh
	})
	ours, theirs := got["leafhub"], got["nats-server"]
	compare := func(what string, o, n map[string]any, absent map[string]bool) {
		for k := range n {
			if _, ok := o[k]; !ok && !absent[k] {
				t.Errorf("%s: leafhub lacks %q", what, k)
			}
		}
		for k := range o {
			if _, ok := n[k]; !ok {
				t.Errorf("%s: leafhub has %q, nats-server does not", what, k)
			}
		}
	}
	compare("subsz", ours.subsz, theirs.subsz, nil)
	compare("subsz?subs=1", ours.detail, theirs.detail, nil)
	compare("accountz", ours.accountz, theirs.accountz, nil)
	od, _ := ours.accDetail["account_detail"].(map[string]any)
	nd, _ := theirs.accDetail["account_detail"].(map[string]any)
	// nats-server's account detail also carries JetStream, JWT, mapping and
	// import/export fields leafhub does not have.
	compare("accountz?acc=A", od, nd, map[string]bool{"update_time": true, "imports": true, "exports": true,
		"mappings": true, "responses": true, "jwt": true, "issuer_key": true, "name_tag": true, "tags": true,
		"decoded_jwt": true, "validation_result_jwt": true, "revoked_user": true})
	for _, k := range []string{"client_connections", "leafnode_connections"} {
		if fmt.Sprint(od[k]) != fmt.Sprint(nd[k]) {
			t.Errorf("account detail %s: leafhub %v, nats-server %v", k, od[k], nd[k])
		}
	}
	// nats-server also counts one internal subscription per import of the
	// system account's services, which leafhub does not have.
	imports, _ := nd["imports"].([]any)
	if ours, theirs := od["subscriptions"], nd["subscriptions"].(float64)-float64(len(imports)); ours != theirs {
		t.Errorf("account detail subscriptions: leafhub %v, nats-server %v less %d system imports", ours, nd["subscriptions"], len(imports))
	}
}

// TestHealthzHelmOptions: the probes the nats Helm chart uses (and the
// other JetStream options) answer 200 on a server without JetStream, on
// both servers.
func TestHealthzHelmOptions(t *testing.T) {
	both(t, monitorConf, func(t *testing.T, s *target) {
		for _, q := range []string{"", "?js-enabled-only=true", "?js-server-only=true", "?js-meta-only=1", "?details=true",
			"?account=A&stream=S", "?account=A&stream=S&consumer=C"} {
			if code, _, body := httpGet(t, s.monitor+"/healthz"+q); code != 200 || body != `{"status":"ok"}` {
				t.Errorf("/healthz%s: %d %s", q, code, body)
			}
		}
	})
}

// TestConnzType: /connz type is nats for a client, websocket for a
// WebSocket client and absent for a leaf, as nats-server sets it.
func TestConnzType(t *testing.T) {
	conf := monitorConf + hubConf + "websocket { listen: 127.0.0.1:-1, no_tls: true }\n"
	both(t, conf, func(t *testing.T, s *target) {
		connect(t, s.url)
		connect(t, s.ws)
		startLeafhub(t, leafConf("SPOKE", s.leafPort(t), ""))
		waitLeafs(t, s, 1)
		var z struct {
			Conns []map[string]any `json:"connections"`
		}
		getJSON(t, s.monitor+"/connz", &z)
		var types []string
		for _, ci := range z.Conns {
			types = append(types, fmt.Sprintf("%v:%v", ci["kind"], ci["type"]))
		}
		if fmt.Sprint(types) != "[Client:nats Client:websocket Leafnode:<nil>]" {
			t.Fatalf("connection types %v", types)
		}
	})
}

// TestConnzKeysMatchNATS compares /connz entries with nats-server's on the
// same topology, key for key both ways: open (subs=1 and subs=detail, with
// auth) and closed connections, of a TLS client with a certificate and a
// password, and of an operator-mode user (JWT, issuer, name and tags) whose
// TLS handshake comes first.
func TestConnzKeysMatchNATS(t *testing.T) {
	p := newPKI(t)
	op := newOperator(t)
	userCreds, _ := op.user(t, op.signer, func(uc *jwt.UserClaims) {
		uc.Name = "edge-user"
		uc.Tags.Add("site:edge")
	})
	creds := credsFile(t, userCreds)
	cases := []struct {
		name, conf string
		opts       []nats.Option
	}{
		{"tls verify and password", monitorConf + p.serverTLS(", verify: true") + "\nauthorization { users [ {user: u, password: p} ] }\n",
			[]nats.Option{nats.RootCAs(p.ca), nats.ClientCert(p.clientCert, p.clientKey), nats.UserInfo("u", "p")}},
		{"operator and tls first", op.conf + monitorConf + p.serverTLS(", handshake_first: true") + "\n",
			[]nats.Option{nats.RootCAs(p.ca), nats.TLSHandshakeFirst(), nats.UserCredentials(creds)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string][]map[string]any{}
			both(t, tc.conf, func(t *testing.T, s *target) {
				url := strings.Replace(s.url, "nats://", "tls://", 1)
				nc := connect(t, url, append(tc.opts, nats.Name("keys"))...)
				_, _ = nc.SubscribeSync("k")
				_ = nc.Publish("k", nil)
				_ = nc.Flush()
				var open, detail map[string]any
				getJSON(t, s.monitor+"/connz?subs=1&auth=1", &open)
				getJSON(t, s.monitor+"/connz?subs=detail&auth=1", &detail)
				other := connect(t, url, tc.opts...)
				_, _ = other.SubscribeSync("gone")
				_ = other.Flush()
				other.Close()
				var closed, closedDetail map[string]any
				eventually(t, 5*time.Second, func() error {
					getJSON(t, s.monitor+"/connz?state=closed&auth=1&subs=1", &closed)
					if l, _ := closed["connections"].([]any); len(l) != 1 {
						return fmt.Errorf("closed %v", closed["connections"])
					}
					return nil
				})
				getJSON(t, s.monitor+"/connz?state=closed&subs=detail", &closedDetail)
				got[s.name] = []map[string]any{open, detail, closed, closedDetail}
			})
			for i, what := range []string{"open", "open subs=detail", "closed", "closed subs=detail"} {
				o, n := got["leafhub"][i], got["nats-server"][i]
				sameKeys(t, what+" /connz", o, n)
				oc := o["connections"].([]any)[0].(map[string]any)
				nc := n["connections"].([]any)[0].(map[string]any)
				sameKeys(t, what+" /connz entry", oc, nc)
				if l, ok := nc["subscriptions_list_detail"].([]any); ok {
					ol, _ := oc["subscriptions_list_detail"].([]any)
					if len(ol) != len(l) {
						t.Fatalf("%s: leafhub lists %v, nats-server %v", what, ol, l)
					}
					sameKeys(t, what+" subscription detail", ol[0].(map[string]any), l[0].(map[string]any))
				}
				for _, k := range []string{"type", "tls_version", "tls_first", "name_tag", "tags", "issuer_key", "jwt", "authorized_user", "subscriptions_list"} {
					if fmt.Sprint(oc[k]) != fmt.Sprint(nc[k]) {
						t.Errorf("%s /connz %s: leafhub %v, nats-server %v", what, k, oc[k], nc[k])
					}
				}
				if fmt.Sprint(oc["tls_peer_certs"]) != fmt.Sprint(nc["tls_peer_certs"]) {
					t.Errorf("%s /connz tls_peer_certs: leafhub %v, nats-server %v", what, oc["tls_peer_certs"], nc["tls_peer_certs"])
				}
			}
		})
	}
}

// sameKeys reports the keys one of leafhub's and nats-server's objects has
// and the other lacks.
func sameKeys(t *testing.T, what string, ours, theirs map[string]any) {
	t.Helper()
	for k := range theirs {
		if _, ok := ours[k]; !ok {
			t.Errorf("%s: leafhub lacks %q (nats-server: %v)", what, k, theirs[k])
		}
	}
	for k := range ours {
		if _, ok := theirs[k]; !ok {
			t.Errorf("%s: leafhub has %q (%v), nats-server does not", what, k, ours[k])
		}
	}
}

// httpGet returns a monitoring answer's status, headers and body.
func httpGet(t testing.TB, url string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// TestMonitorBadQuery: a bad query value is a 400 on both servers, with the
// same text.
func TestMonitorBadQuery(t *testing.T) {
	paths := []string{"/connz?subs=bogus", "/connz?limit=x", "/connz?offset=1.5", "/connz?cid=-1", "/connz?auth=yes",
		"/connz?state=bogus", "/connz?sort=bogus", "/connz?sort=stop", "/connz?sort=reason", "/connz?sort=stop&state=any",
		"/connz?sort=reason&state=open", "/connz?auth=x&subs=y", "/leafz?subs=bogus", "/subsz?offset=x", "/subsz?subs=maybe",
		"/healthz?js-enabled-only=x", "/healthz?js-server-only=2", "/healthz?details=x", "/healthz?js-enabled=no",
		"/healthz?stream=S", "/healthz?stream=S&details=true", "/healthz?consumer=C", "/healthz?account=A&consumer=C"}
	got := map[string][]string{}
	both(t, monitorConf, func(t *testing.T, s *target) {
		for _, path := range paths {
			code, _, body := httpGet(t, s.monitor+path)
			if code != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", path, code)
			}
			got[s.name] = append(got[s.name], body)
		}
	})
	for i, path := range paths {
		if o, n := got["leafhub"][i], got["nats-server"][i]; o != n {
			t.Errorf("%s: leafhub answers %q, nats-server %q", path, o, n)
		}
	}
}

// TestProfPort: prof_port serves Go's runtime profiles under /debug/pprof/,
// on leafhub as on nats-server.
func TestProfPort(t *testing.T) {
	both(t, "prof_port: -1\n", func(t *testing.T, s *target) {
		var addr *net.TCPAddr
		if s.hub != nil {
			addr = s.hub.ProfAddr()
		} else {
			addr = s.ns.ProfilerAddr()
		}
		if addr == nil {
			t.Fatal("no profiling listener")
		}
		code, _, body := httpGet(t, fmt.Sprintf("http://%s/debug/pprof/goroutine?debug=1", addr))
		if code != 200 || !strings.Contains(body, "goroutine profile:") {
			t.Fatalf("goroutine profile: %d %.200q", code, body)
		}
	})
}

// TestConnzQueryMatchesNATS runs /connz's sort, paging and filter options
// on both servers over the same raw connections and compares the answers:
// which connections come back in which order (named by their place in the
// test), total, offset, limit and count, and with subs or auth their
// subscriptions and user. Every sorted figure differs between the
// connections, so an order is never decided by a tie.
func TestConnzQueryMatchesNATS(t *testing.T) {
	conf := monitorConf + "authorization { users [ {user: a, password: p}, {user: b, password: p} ] }\n"
	queries := []string{"", "sort=cid", "sort=start", "sort=subs", "sort=msgs_to", "sort=msgs_from", "sort=bytes_to",
		"sort=bytes_from", "sort=last", "sort=idle", "sort=uptime", "offset=1&limit=2", "sort=subs&offset=1&limit=2",
		"offset=3", "offset=10", "offset=-1&limit=0", "limit=1", "cid=@c2", "cid=@c3&user=a", "cid=@c2&user=a", "cid=999",
		"user=a", "user=b&sort=msgs_from", "user=nobody", "auth=1&user=b", "acc=$G&sort=subs", "acc=NOPE", "state=OPEN",
		"subs=1&sort=subs", "subs=DETAIL&sort=msgs_to", "auth=true&subs=t&cid=@c1",
		// After the closing phase:
		"state=closed", "state=Closed&sort=stop", "state=closed&sort=reason", "state=closed&user=a&auth=1",
		"state=closed&cid=@x3", "state=any&cid=@x1", "state=all", "state=any&sort=subs&limit=2", "state=closed&acc=$G",
		"state=closed&offset=1&limit=1", "state=closed&subs=1", "state=closed&subs=detail&auth=1"}
	type result struct {
		code int
		text string
	}
	got := map[string][]result{}
	both(t, conf, func(t *testing.T, s *target) {
		labels := map[string]string{} // cid → label
		cids := map[string]string{}   // label → cid
		dial := func(label string) *rawConn {
			r := dialRaw(t, s.addr)
			var info struct {
				CID uint64 `json:"client_id"`
			}
			if err := json.Unmarshal([]byte(strings.TrimPrefix(r.info, "INFO ")), &info); err != nil || info.CID == 0 {
				t.Fatalf("INFO %q: %v", r.info, err)
			}
			cid := fmt.Sprint(info.CID)
			labels[cid], cids[label] = label, cid
			return r
		}
		connectAs := func(r *rawConn, user, pass, name string) {
			r.send(fmt.Sprintf(`CONNECT {"verbose":false,"pedantic":false,"user":%q,"pass":%q,"name":%q}`+"\r\n", user, pass, name))
		}
		// c1..c4 (users a, b, a, b) with 1, 2, 3 and 0 subscriptions.
		var c []*rawConn
		for i := 1; i <= 4; i++ {
			r := dial(fmt.Sprintf("c%d", i))
			connectAs(r, map[bool]string{true: "a", false: "b"}[i%2 == 1], "p", fmt.Sprintf("c%d", i))
			for j := 1; j < i && i < 4; j++ {
				r.send(fmt.Sprintf("SUB s.%d.%d %d\r\n", i, j, j))
			}
			if i < 4 {
				r.send(fmt.Sprintf("SUB s.%d %d\r\n", i, i))
			}
			r.expectOpen()
			c = append(c, r)
		}
		// c4 sends c1 three messages of 1 byte, c2 one of 10, c3 two of 2;
		// c2 publishes 100 bytes and c3 two single bytes to nobody.
		c[3].send(strings.Repeat("PUB s.1 1\r\nx\r\n", 3) + "PUB s.2 10\r\n0123456789\r\n" + strings.Repeat("PUB s.3 2\r\nyy\r\n", 2))
		c[3].expectOpen()
		c[1].send("PUB nobody 100\r\n" + strings.Repeat("z", 100) + "\r\n")
		c[1].expectOpen()
		c[2].send(strings.Repeat("PUB nobody 1\r\nz\r\n", 2))
		c[2].expectOpen()
		eventually(t, 5*time.Second, func() error {
			var z struct {
				Conns []struct {
					Cid     uint64 `json:"cid"`
					OutMsgs int    `json:"out_msgs"`
				} `json:"connections"`
			}
			getJSON(t, s.monitor+"/connz", &z)
			var out []string
			for _, ci := range z.Conns {
				out = append(out, fmt.Sprintf("%s:%d", labels[fmt.Sprint(ci.Cid)], ci.OutMsgs))
			}
			if fmt.Sprint(out) != "[c1:3 c2:1 c3:2 c4:0]" {
				return fmt.Errorf("deliveries %v", out)
			}
			return nil
		})
		// Last activity in the order c3, c1, c4, c2 (messages to nobody).
		for _, i := range []int{2, 0, 3, 1} {
			c[i].send("PUB idle 0\r\n\r\n")
			c[i].expectOpen()
		}
		run := func(q string) {
			for label, cid := range cids {
				q = strings.ReplaceAll(q, "@"+label, cid)
			}
			code, _, body := httpGet(t, s.monitor+"/connz?"+q)
			got[s.name] = append(got[s.name], result{code, connzSummary(t, body, labels)})
		}
		closing := slices.Index(queries, "state=closed")
		for _, q := range queries[:closing] {
			run(q)
		}
		// The rtt and pending orders are not the same on both servers (no
		// two RTTs are equal; nothing is pending): each answer must be sorted.
		for _, q := range []string{"sort=rtt", "sort=pending"} {
			var z struct {
				Conns []struct {
					RTT     string `json:"rtt"`
					Pending int    `json:"pending_bytes"`
				} `json:"connections"`
			}
			if code := getJSON(t, s.monitor+"/connz?"+q, &z); code != 200 || len(z.Conns) != 4 {
				t.Fatalf("%s: %d %+v", q, code, z)
			}
			for i := 1; i < len(z.Conns); i++ {
				a, _ := time.ParseDuration(z.Conns[i-1].RTT)
				b, err := time.ParseDuration(z.Conns[i].RTT)
				if err != nil || (q == "sort=rtt" && a < b) || z.Conns[i-1].Pending < z.Conns[i].Pending {
					t.Errorf("%s: not in order: %+v", q, z.Conns)
				}
			}
		}
		// Closed: x2 fails to authenticate, then x3 breaks the protocol,
		// then x1 (one subscription) hangs up.
		x1, x2, x3 := dial("x1"), dial("x2"), dial("x3")
		connectAs(x1, "a", "p", "x1")
		x1.send("SUB k 1\r\n")
		x1.expectOpen()
		connectAs(x3, "b", "p", "x3")
		x3.expectOpen()
		// Each close is listed before the next one starts, so the servers'
		// stop times are in this order (sort=stop) whatever the load.
		closedN := func(n int) {
			t.Helper()
			eventually(t, 5*time.Second, func() error {
				var z struct {
					Total int `json:"total"`
				}
				getJSON(t, s.monitor+"/connz?state=closed", &z)
				if z.Total != n {
					return fmt.Errorf("%d closed connections, want %d", z.Total, n)
				}
				return nil
			})
		}
		connectAs(x2, "a", "wrong", "x2")
		x2.expectClosed(5 * time.Second)
		closedN(1)
		x3.send("BOGUS\r\n")
		x3.expectClosed(5 * time.Second)
		closedN(2)
		x1.c.Close()
		closedN(3)
		for _, q := range queries[closing:] {
			run(q)
		}
	})
	ours, theirs := got["leafhub"], got["nats-server"]
	for i, q := range queries {
		if ours[i] != theirs[i] {
			t.Errorf("/connz?%s:\n leafhub     %d %s\n nats-server %d %s", q, ours[i].code, ours[i].text, theirs[i].code, theirs[i].text)
		}
	}
	// The setup gives each option its own order (on nats-server too).
	for q, want := range map[string]string{"sort=subs": "c3 c2 c1 c4", "sort=msgs_to": "c1 c3 c2 c4",
		"sort=msgs_from": "c4 c3 c2 c1", "sort=bytes_from": "c2 c4 c3 c1", "sort=last": "c2 c4 c1 c3",
		"sort=idle": "c3 c1 c4 c2", "sort=uptime": "c4 c3 c2 c1", "state=Closed&sort=stop": "x1 x3 x2",
		"state=closed&sort=reason": "x2 x1 x3"} {
		for name, res := range got {
			if r := res[slices.Index(queries, q)]; orderOf(r.text) != want {
				t.Errorf("%s /connz?%s: %s, want the order %s", name, q, r.text, want)
			}
		}
	}
}

// connzSummary is what TestConnzQueryMatchesNATS compares of a /connz
// answer: the figures, and each connection by its label, with its user and
// subscriptions when present.
func connzSummary(t *testing.T, body string, labels map[string]string) string {
	var z struct {
		Total  int `json:"total"`
		Offset int `json:"offset"`
		Limit  int `json:"limit"`
		Num    int `json:"num_connections"`
		Conns  []struct {
			Cid    uint64   `json:"cid"`
			User   string   `json:"authorized_user"`
			Reason string   `json:"reason"`
			Subs   []string `json:"subscriptions_list"`
			Detail []struct {
				Account, Subject, Sid string
				Msgs, Max             int64
			} `json:"subscriptions_list_detail"`
		} `json:"connections"`
	}
	if err := json.Unmarshal([]byte(body), &z); err != nil {
		return "not JSON: " + body
	}
	var conns []string
	for _, ci := range z.Conns {
		e := labels[fmt.Sprint(ci.Cid)]
		if ci.User != "" {
			e += "/" + ci.User
		}
		if ci.Reason != "" {
			e += "(" + ci.Reason + ")"
		}
		if ci.Subs != nil {
			sort.Strings(ci.Subs)
			e += fmt.Sprint(ci.Subs)
		}
		var d []string
		for _, sd := range ci.Detail {
			d = append(d, fmt.Sprintf("%s:%s:%s:%d:%d", sd.Account, sd.Subject, sd.Sid, sd.Msgs, sd.Max))
		}
		if d != nil {
			sort.Strings(d)
			e += fmt.Sprint(d)
		}
		conns = append(conns, e)
	}
	return fmt.Sprintf("total %d offset %d limit %d num %d order [%s]", z.Total, z.Offset, z.Limit, z.Num, strings.Join(conns, ", "))
}

// orderOf is the labels of a connzSummary, in order.
func orderOf(summary string) string {
	_, list, _ := strings.Cut(summary, "order [")
	var labels []string
	for _, e := range strings.Split(strings.TrimSuffix(list, "]"), ", ") {
		labels = append(labels, e[:strings.IndexFunc(e+"/", func(r rune) bool { return r == '/' || r == '(' || r == '[' })])
	}
	return strings.Join(labels, " ")
}

// TestHealthzLameDuck: in lame duck mode the listeners are closed, and
// /healthz answers 500 with nats-server's error (plain and with details).
func TestHealthzLameDuck(t *testing.T) {
	conf := monitorConf + "lame_duck_duration: \"30s\"\nlame_duck_grace_period: \"1s\"\n"
	got := map[string][]string{}
	both(t, conf, func(t *testing.T, s *target) {
		if code, _, body := httpGet(t, s.monitor+"/healthz?details=true"); code != 200 || body != `{"status":"ok"}` {
			t.Fatalf("before lame duck mode: %d %s", code, body)
		}
		connect(t, s.url) // keeps the server in lame duck mode through the grace period
		done := make(chan struct{})
		go func() {
			defer close(done)
			if s.hub != nil {
				_ = s.hub.LameDuck(context.Background())
			} else {
				s.ns.LameDuckShutdown()
			}
		}()
		var plain string
		eventually(t, 5*time.Second, func() error {
			code, hdr, body := httpGet(t, s.monitor+"/healthz")
			if code != http.StatusInternalServerError {
				return fmt.Errorf("healthz %d %s", code, body)
			}
			plain = fmt.Sprint(code, " ", hdr.Get("Content-Type"), " ", body)
			return nil
		})
		code, _, detail := httpGet(t, s.monitor+"/healthz?details=1")
		got[s.name] = []string{plain, fmt.Sprint(code, " ", detail)}
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatal("lame duck mode did not end")
		}
	})
	if fmt.Sprint(got["leafhub"]) != fmt.Sprint(got["nats-server"]) {
		t.Fatalf("healthz in lame duck mode:\n leafhub     %q\n nats-server %q", got["leafhub"], got["nats-server"])
	}
	if want := `500 application/json {"status":"error","error":"failed to be ready for connections after 1ms: server"}`; got["leafhub"][0] != want {
		t.Fatalf("healthz %q, want %q", got["leafhub"][0], want)
	}
}

// TestMonitorCORS: JSON answers carry Access-Control-Allow-Origin: * (so
// browser dashboards can read them), a 400 does not, as in nats-server.
func TestMonitorCORS(t *testing.T) {
	paths := []string{"/varz", "/connz", "/leafz", "/subsz", "/accountz", "/healthz", "/healthz?stream=S", "/connz?sort=x"}
	got := map[string][]string{}
	both(t, monitorConf, func(t *testing.T, s *target) {
		for _, path := range paths {
			code, hdr, _ := httpGet(t, s.monitor+path)
			got[s.name] = append(got[s.name], fmt.Sprintf("%s %d %q %q", path, code, hdr.Get("Access-Control-Allow-Origin"), hdr.Get("Content-Type")))
		}
	})
	for i := range paths {
		if o, n := got["leafhub"][i], got["nats-server"][i]; o != n {
			t.Errorf("leafhub %s, nats-server %s", o, n)
		}
	}
	if !strings.Contains(got["leafhub"][0], `"*"`) {
		t.Fatalf("/varz: %s", got["leafhub"][0])
	}
}

// TestVarzConfigLoadTimeAndDigest: both servers run from the same file and
// report its config_digest; a successful reload of a changed file updates
// config_load_time and config_digest, a refused one changes neither.
func TestVarzConfigLoadTimeAndDigest(t *testing.T) {
	dir := t.TempDir()
	write := func(name, conf string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(baseConf+monitorConf+conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	lf, nf := write("leafhub.conf", "max_payload: 100000\n"), write("nats.conf", "max_payload: 100000\n")
	o, err := config.Load(lf)
	if err != nil {
		t.Fatal(err)
	}
	lh, err := hub.New(o, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if err := lh.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lh.Shutdown(context.Background()) })
	nso, err := natsserver.ProcessConfigFile(nf)
	if err != nil {
		t.Fatal(err)
	}
	nso.NoLog, nso.NoSigs = true, true
	ns, err := natsserver.NewServer(nso)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(ns.Shutdown)
	type figures struct {
		Load   time.Time `json:"config_load_time"`
		Digest string    `json:"config_digest"`
	}
	varz := func() (ours, theirs figures) {
		getJSON(t, "http://"+lh.MonitorAddr().String()+"/varz", &ours)
		getJSON(t, "http://"+ns.MonitorAddr().String()+"/varz", &theirs)
		return ours, theirs
	}
	first, nFirst := varz()
	if first.Digest == "" || first.Digest != nFirst.Digest {
		t.Fatalf("config_digest: leafhub %q, nats-server %q", first.Digest, nFirst.Digest)
	}
	reload := func(conf string) error {
		o, err := config.Load(write("leafhub.conf", conf))
		if err != nil {
			t.Fatal(err)
		}
		cur, _ := lh.Options()
		o.Port, o.HTTPPort = cur.Port, cur.HTTPPort
		_, err = lh.Reload(o)
		return err
	}
	before := time.Now().UTC()
	if err := reload("max_payload: 200000\n"); err != nil {
		t.Fatal(err)
	}
	write("nats.conf", "max_payload: 200000\n")
	if err := ns.Reload(); err != nil {
		t.Fatal(err)
	}
	second, nSecond := varz()
	if second.Digest == first.Digest || second.Digest != nSecond.Digest {
		t.Fatalf("config_digest after reload: leafhub %q (was %q), nats-server %q", second.Digest, first.Digest, nSecond.Digest)
	}
	if second.Load.Before(before) || !second.Load.After(first.Load) {
		t.Fatalf("config_load_time after reload %v, reload at %v, before %v", second.Load, before, first.Load)
	}
	if err := reload("server_name: OTHER\n"); err == nil {
		t.Fatal("a reload changing server_name was accepted")
	}
	if third, _ := varz(); third != second {
		t.Fatalf("a refused reload changed /varz: %+v, was %+v", third, second)
	}
}

// scrape returns /metrics of a server with a monitoring port.
func scrape(t testing.TB, s *target) string {
	t.Helper()
	_, _, b := httpGet(t, s.monitor+"/metrics")
	return b
}

// seriesLabels maps each metric name in a Prometheus text answer to the
// label names of its first series.
func seriesLabels(text string) map[string][]string {
	labelName := regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="`)
	out := map[string][]string{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, rest := line, ""
		if i := strings.IndexAny(line, "{ "); i >= 0 {
			name, rest = line[:i], line[i:]
		}
		if _, ok := out[name]; ok {
			continue
		}
		var labels []string
		if strings.HasPrefix(rest, "{") {
			for _, m := range labelName.FindAllStringSubmatch(rest[:strings.LastIndexByte(rest, '}')], -1) {
				labels = append(labels, m[1])
			}
		}
		sort.Strings(labels)
		out[name] = labels
	}
	return out
}

// documentedMetrics reads the names (with their labels, where given) from
// README's metric table, the one headed "| metric | type |".
func documentedMetrics(t *testing.T) map[string][]string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(b), "\n| metric | type |\n")
	if !ok {
		t.Fatal("README has no metric table")
	}
	code := regexp.MustCompile("`([^`]+)`")
	out := map[string][]string{}
	for _, row := range strings.Split(table, "\n") {
		if !strings.HasPrefix(row, "|") {
			break
		}
		cells := strings.Split(row, "|")
		if strings.HasPrefix(cells[1], "---") {
			continue
		}
		for _, m := range code.FindAllStringSubmatch(cells[1], -1) {
			name, labels, _ := strings.Cut(strings.TrimSuffix(m[1], "}"), "{")
			if !strings.HasPrefix(name, "gnatsd_") && !strings.HasPrefix(name, "leafhub_") {
				t.Errorf("README's metric table names %q: not a whole gnatsd_ or leafhub_ name", m[1])
				continue
			}
			var ls []string
			if labels != "" {
				ls = strings.Split(labels, ",")
				sort.Strings(ls)
			}
			out[name] = ls
		}
	}
	return out
}

// dashboardMetrics reads the metric names the Grafana dashboards query
// (panel exprs and template variable queries).
func dashboardMetrics(t *testing.T) map[string]string {
	t.Helper()
	files, _ := filepath.Glob("../deploy/grafana/*.json")
	if len(files) == 0 {
		t.Fatal("no dashboards in deploy/grafana")
	}
	name := regexp.MustCompile(`\b(?:gnatsd|leafhub)_[a-zA-Z0-9_:]+`)
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var walk func(v any)
		walk = func(v any) {
			switch x := v.(type) {
			case map[string]any:
				for k, e := range x {
					if s, ok := e.(string); ok && (k == "expr" || k == "query" || k == "definition") {
						for _, n := range name.FindAllString(s, -1) {
							out[n] = filepath.Base(f)
						}
					}
					walk(e)
				}
			case []any:
				for _, e := range x {
					walk(e)
				}
			}
		}
		walk(doc)
	}
	return out
}

// TestMetricsDocumented: every metric README's table names and every one
// the Grafana dashboard queries is in /metrics of a leafhub with a remote,
// its leaf connection and per-actor series, with the labels README gives.
// The exporter's names take the configured prefix in place of gnatsd.
func TestMetricsDocumented(t *testing.T) {
	hub := startNATS(t, hubConf)
	leaf := startLeafhub(t, leafConf("EDGE", hub.leafPort(t), "")+monitorConf+
		"leafhub { metrics_prefix: edge, per_actor_metrics: true }\n")
	waitLeafs(t, hub, 1)
	eventually(t, 5*time.Second, func() error {
		if z, err := leaf.hub.Leafz(monitor.LeafzOptions{}); err != nil || z.NumLeafs != 1 {
			return fmt.Errorf("leafz %+v %v", z, err)
		}
		return nil
	})
	served := seriesLabels(scrape(t, leaf))
	prefixed := func(name string) string {
		if rest, ok := strings.CutPrefix(name, "gnatsd_"); ok {
			return "edge_" + rest
		}
		return name
	}
	readme := documentedMetrics(t)
	dash := dashboardMetrics(t)
	if len(readme) < 20 || len(dash) < 20 {
		t.Fatalf("found %d names in README's table and %d in the dashboards: the extraction is broken", len(readme), len(dash))
	}
	for name, labels := range readme {
		got, ok := served[prefixed(name)]
		switch {
		case !ok:
			t.Errorf("README's metric %s is not in /metrics (as %s)", name, prefixed(name))
		case labels != nil && !slices.Equal(got, labels):
			t.Errorf("README gives %s the labels %v; /metrics has %v", name, labels, got)
		}
	}
	for name, file := range dash {
		if _, ok := served[prefixed(name)]; !ok {
			t.Errorf("%s queries %s, which /metrics lacks (as %s)", file, name, prefixed(name))
		}
	}
	for name := range served {
		if strings.HasPrefix(name, "gnatsd_") {
			t.Errorf("%s ignores metrics_prefix", name)
		}
	}
}

// promValue escapes a label value as the Prometheus text format does.
func promValue(v string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(v)
}

// TestRemoteMetricsFollowConfig: /metrics has each remote's state,
// attempts, next attempt time and last disconnect reason, as /remotez
// shows them, labelled by the remote's position in leafnodes.remotes.
// A reload that changes remote 0 keeps it remote="0"; one that removes it
// makes the next remote remote="0", with no series left for remote="1".
func TestRemoteMetricsFollowConfig(t *testing.T) {
	h := startNATS(t, hubConf)
	good := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d" }`, h.leafPort(t))
	changed := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d", compression: { mode: s2_auto, rtt_thresholds: [5ms, 20ms, 60ms] } }`, h.leafPort(t))
	refused := fmt.Sprintf(`{ url: "nats://127.0.0.1:%d" }`, freePort(t))
	conf := func(remotes ...string) string {
		// A long reconnect keeps the refused remote waiting while the test looks.
		return monitorConf + "server_name: EDGE\nleafnodes { reconnect: \"1m\", remotes [ " + strings.Join(remotes, ", ") + " ] }\n"
	}
	leaf := startLeafhub(t, baseConf+conf(good, refused))
	// check compares /remotez with /metrics once the remotes are in states.
	check := func(states ...string) {
		t.Helper()
		eventually(t, 10*time.Second, func() error {
			var rz struct {
				Remotes []struct {
					Index       int       `json:"index"`
					State       string    `json:"state"`
					Reason      string    `json:"reason"`
					NextAttempt time.Time `json:"next_attempt"`
				} `json:"remotes"`
			}
			getJSON(t, leaf.monitor+"/remotez", &rz)
			if len(rz.Remotes) != len(states) {
				return fmt.Errorf("remotez %+v, want states %v", rz.Remotes, states)
			}
			text := scrape(t, leaf)
			for i, r := range rz.Remotes {
				if r.Index != i || r.State != states[i] {
					return fmt.Errorf("remotez %+v, want states %v", rz.Remotes, states)
				}
				if r.State == "waiting" && (r.Reason == "" || r.NextAttempt.IsZero()) {
					return fmt.Errorf("waiting remote %+v has no reason or next attempt", r)
				}
				lv := fmt.Sprintf(`local_account="$G",remote="%d"`, i)
				for _, want := range []string{
					fmt.Sprintf(`leafhub_remote_state{%s,state="%s"} 1`, lv, r.State),
					fmt.Sprintf(`leafhub_remote_last_disconnect{local_account="$G",reason="%s",remote="%d"} 1`, promValue(r.Reason), i),
				} {
					if !strings.Contains(text, want+"\n") {
						return fmt.Errorf("/metrics lacks %s", want)
					}
				}
				_, after, ok := strings.Cut(text, "leafhub_remote_next_attempt_timestamp_seconds{"+lv+"} ")
				if !ok {
					return fmt.Errorf("/metrics has no next attempt of remote %d", i)
				}
				v, err := strconv.ParseFloat(strings.SplitN(after, "\n", 2)[0], 64)
				want := 0.0
				if !r.NextAttempt.IsZero() {
					want = float64(r.NextAttempt.UnixNano()) / 1e9
				}
				if err != nil || math.Abs(v-want) > 1e-3 {
					return fmt.Errorf("next attempt of remote %d: /metrics %v (%v), /remotez %v", i, v, err, r.NextAttempt)
				}
			}
			// One series per remote and metric: none left from a former numbering.
			for _, m := range []string{"state", "attempts", "connects_total", "next_attempt_timestamp_seconds", "last_disconnect"} {
				if n := strings.Count(text, "\nleafhub_remote_"+m+"{"); n != len(states) {
					return fmt.Errorf("%d leafhub_remote_%s series for %d remotes", n, m, len(states))
				}
			}
			return nil
		})
	}
	check("connected", "waiting")
	if err := reloadWith(t, leaf, conf(changed, refused)); err != nil {
		t.Fatal(err)
	}
	check("connected", "waiting")
	if err := reloadWith(t, leaf, conf(refused)); err != nil {
		t.Fatal(err)
	}
	check("waiting")
}

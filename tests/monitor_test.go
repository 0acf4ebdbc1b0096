package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

const monitorConf = "http: 127.0.0.1:-1\n"

func getJSON(t testing.TB, url string, v any) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v in %s", url, err, b)
	}
	return resp.StatusCode
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
		"stalled_clients": true, "tls_ocsp_peer_verify": true, "write_timeout": true, "gomemlimit": true,
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

// TestVarzTLSFields: with tls blocks on the client and leafnode ports,
// /varz reports the same TLS figures on both servers.
func TestVarzTLSFields(t *testing.T) {
	p := newPKI(t)
	conf := monitorConf + p.serverTLS(", verify: true, timeout: 3") + "\nleafnodes { listen: 127.0.0.1:-1, " + p.serverTLS(", timeout: 4") + " }\n"
	pick := func(v map[string]any) []any {
		leaf, _ := v["leaf"].(map[string]any)
		return []any{v["tls_required"], v["tls_verify"], v["tls_timeout"], leaf["tls_required"], leaf["tls_verify"], leaf["tls_timeout"]}
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
	if want := fmt.Sprint([]any{true, true, 3.0, true, nil, 4.0}); fmt.Sprint(got[0]) != want {
		t.Fatalf("TLS figures %v, want %v", got[0], want)
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

func TestActorz(t *testing.T) {
	s := startLeafhub(t, monitorConf)
	connect(t, s.url)
	var a struct {
		Actors []struct {
			ID, Parent, Kind string
		} `json:"actors"`
	}
	getJSON(t, s.monitor+"/actorz", &a)
	kinds := map[string]int{}
	for _, x := range a.Actors {
		kinds[x.Kind]++
		if x.Kind == "client" && x.Parent != "hub/conns" {
			t.Errorf("client actor %s has parent %q", x.ID, x.Parent)
		}
	}
	if kinds["client"] != 1 || kinds["account"] < 2 || kinds["listener"] != 1 || kinds["hub"] != 1 {
		t.Fatalf("actor kinds %v", kinds)
	}
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
	if od["subscriptions"] != nd["subscriptions"] && fmt.Sprint(od["client_connections"]) != "1" {
		t.Errorf("account detail: leafhub %v, nats-server %v", od, nd)
	}
}

// TestHealthzHelmOptions: the probes the nats Helm chart uses answer 200 on
// a server without JetStream.
func TestHealthzHelmOptions(t *testing.T) {
	s := startLeafhub(t, monitorConf)
	for _, q := range []string{"", "?js-enabled-only=true", "?js-server-only=true"} {
		var h map[string]any
		if code := getJSON(t, s.monitor+"/healthz"+q, &h); code != 200 || h["status"] != "ok" {
			t.Errorf("/healthz%s: %d %v", q, code, h)
		}
	}
}

// TestConnzKeysMatchNATS compares /connz entries (open and closed, with
// subs and auth) with nats-server's on the same topology.
func TestConnzKeysMatchNATS(t *testing.T) {
	got := map[string][2]map[string]any{}
	both(t, monitorConf+"authorization { users [ {user: u, password: p} ] }\n", func(t *testing.T, s *target) {
		nc := connect(t, s.url, nats.UserInfo("u", "p"), nats.Name("keys"))
		_, _ = nc.SubscribeSync("k")
		_ = nc.Publish("k", nil)
		_ = nc.Flush()
		var open map[string]any
		getJSON(t, s.monitor+"/connz?subs=1&auth=1", &open)
		other := connect(t, s.url, nats.UserInfo("u", "p"))
		other.Close()
		var closed map[string]any
		eventually(t, 5*time.Second, func() error {
			getJSON(t, s.monitor+"/connz?state=closed&auth=1", &closed)
			if l, _ := closed["connections"].([]any); len(l) != 1 {
				return fmt.Errorf("closed %v", closed["connections"])
			}
			return nil
		})
		got[s.name] = [2]map[string]any{open, closed}
	})
	for i, what := range []string{"open", "closed"} {
		o, n := got["leafhub"][i], got["nats-server"][i]
		for k := range n {
			if _, ok := o[k]; !ok {
				t.Errorf("%s /connz: leafhub lacks top-level %q", what, k)
			}
		}
		oc := o["connections"].([]any)[0].(map[string]any)
		nc := n["connections"].([]any)[0].(map[string]any)
		for k := range nc {
			// TLS and proxy details, JWT and tag fields are features leafhub does not have.
			if _, ok := oc[k]; !ok && !strings.HasPrefix(k, "tls_") && k != "rtt" {
				t.Errorf("%s /connz entry: leafhub lacks %q (nats-server: %v)", what, k, nc[k])
			}
		}
		for k := range oc {
			if _, ok := nc[k]; !ok && k != "rtt" {
				t.Errorf("%s /connz entry: leafhub has %q, nats-server does not", what, k)
			}
		}
	}
}

// TestMonitorBadQuery: a bad query value is a 400 on both servers.
func TestMonitorBadQuery(t *testing.T) {
	both(t, monitorConf, func(t *testing.T, s *target) {
		for _, path := range []string{"/connz?subs=bogus", "/connz?limit=x", "/connz?sort=bogus", "/leafz?subs=bogus", "/subsz?offset=x"} {
			resp, err := http.Get(s.monitor + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d, want 400", path, resp.StatusCode)
			}
		}
	})
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
		resp, err := http.Get(fmt.Sprintf("http://%s/debug/pprof/goroutine?debug=1", addr))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine profile:") {
			t.Fatalf("goroutine profile: %d %.200q", resp.StatusCode, body)
		}
	})
}

package tests

import (
	"encoding/json"
	"fmt"
	"io"
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
	// websocket, operator mode, ...).
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

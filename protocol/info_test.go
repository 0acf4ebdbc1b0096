package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Lines observed from nats-server v2.15.2 (spec 1.2, 2.2, 2.3, 2.5); ids shortened.
const (
	observedLeafInfo    = `{"server_id":"NCKB","server_name":"HUB1","version":"2.15.2","proto":3,"go":"go1.26.8","host":"127.0.0.1","port":17422,"headers":true,"auth_required":true,"max_payload":1048576,"ip":"127.0.0.1:17422","client_id":6,"nonce":"QXLdYPq5Dk-6Yd4","compression":"s2_auto","api_lvl":5,"info_on_connect":true,"leafnode_urls":["127.0.0.1:17422"]}`
	observedClientInfo  = `{"server_id":"NCKB","server_name":"HUB1","version":"2.15.2","proto":1,"go":"go1.26.8","host":"127.0.0.1","port":14222,"headers":true,"max_payload":1048576,"client_id":5,"client_ip":"127.0.0.1","api_lvl":5,"xkey":"XAAA"}`
	observedConnectInfo = `{"server_id":"NCKB","server_name":"HUB1","version":"2.15.2","proto":3,"go":"go1.26.8","host":"127.0.0.1","port":17426,"headers":true,"auth_required":true,"max_payload":1048576,"ip":"127.0.0.1:17426","client_id":7,"connect_info":true,"remote_account":"A","api_lvl":5,"import":{"allow":["sub.\u003e"],"deny":["sub.secret"]},"export":{"allow":["pub.ok","_INBOX.\u003e"]},"info_on_connect":true,"leafnode_urls":["127.0.0.1:17426"]}`
	observedLeafConnect = `{"version":"2.15.2","user":"u","pass":"p","server_id":"NC4D","name":"LEAF1","cluster":"LEAF1","headers":true,"compress_mode":"not supported","remote_account":"$G","protocol":3}`
)

// Decoding nats-server's INFO and encoding it again gives the same bytes:
// same field names, order, omissions and escaping.
func TestServerInfoMatchesNatsServer(t *testing.T) {
	for _, observed := range []string{observedLeafInfo, observedClientInfo, observedConnectInfo} {
		var info ServerInfo
		if err := json.Unmarshal([]byte(observed), &info); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(info)
		if err != nil || string(got) != observed {
			t.Errorf("re-encoded INFO differs (%v):\n got %s\nwant %s", err, got, observed)
		}
	}
}

func TestServerInfoFields(t *testing.T) {
	var info ServerInfo
	if err := json.Unmarshal([]byte(observedConnectInfo), &info); err != nil {
		t.Fatal(err)
	}
	if !info.ConnectInfo || info.RemoteAccount != "A" || info.ClientID != 7 || !info.InfoOnConnect ||
		!reflect.DeepEqual(info.Import, &SubjectPermission{Allow: []string{"sub.>"}, Deny: []string{"sub.secret"}}) ||
		!reflect.DeepEqual(info.Export, &SubjectPermission{Allow: []string{"pub.ok", "_INBOX.>"}}) {
		t.Errorf("decoded %+v", info)
	}
	// The fields nats-server always writes are written even when zero.
	got, _ := json.Marshal(ServerInfo{})
	if want := `{"server_id":"","server_name":"","version":"","proto":0,"go":"","host":"","port":0,"headers":false,"max_payload":0}`; string(got) != want {
		t.Errorf("zero INFO = %s, want %s", got, want)
	}
	// Every other field is omitted when empty: a client INFO built from the
	// zero value cannot carry leafnode_urls or info_on_connect by accident.
	full := ServerInfo{GitCommit: "g", AuthRequired: true, TLSRequired: true, TLSVerify: true, TLSAvailable: true,
		JetStream: true, IP: "i", ClientID: 1, ClientIP: "c", Nonce: "n", Cluster: "c", Domain: "d",
		ConnectURLs: []string{"u"}, WSConnectURLs: []string{"w"}, LameDuckMode: true, Compression: "off",
		ConnectInfo: true, RemoteAccount: "A", IsSystemAccount: true, JSAPILevel: 5,
		Import: &SubjectPermission{}, Export: &SubjectPermission{}, InfoOnConnect: true,
		LeafNodeURLs: []string{"l"}, XKey: "x"}
	var keys map[string]any
	b, _ := json.Marshal(full)
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"git_commit", "auth_required", "tls_required", "tls_verify", "tls_available",
		"jetstream", "ip", "client_id", "client_ip", "nonce", "cluster", "domain", "connect_urls",
		"ws_connect_urls", "ldm", "compression", "connect_info", "remote_account", "acc_is_sys", "api_lvl",
		"import", "export", "info_on_connect", "leafnode_urls", "xkey"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("field %q missing from a full INFO", k)
		}
	}
	if len(keys) != 34 {
		t.Errorf("full INFO has %d fields, want 34", len(keys))
	}
}

func TestConnectInfoMatchesNatsServer(t *testing.T) {
	var c ConnectInfo
	if err := json.Unmarshal([]byte(observedLeafConnect), &c); err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(c)
	if err != nil || string(got) != observedLeafConnect {
		t.Errorf("re-encoded leaf CONNECT differs (%v):\n got %s\nwant %s", err, got, observedLeafConnect)
	}
	// nats.go's CONNECT (nats.go v1.55.0 connectProto field set).
	client := `{"verbose":true,"pedantic":false,"user":"u","pass":"p","tls_required":false,"name":"app","lang":"go","version":"1.55.0","protocol":1,"echo":true,"headers":true,"no_responders":true,"nkey":"UA","jwt":"J","sig":"S","auth_token":"T"}`
	c = ConnectInfo{}
	if err := json.Unmarshal([]byte(client), &c); err != nil {
		t.Fatal(err)
	}
	want := ConnectInfo{Verbose: true, User: "u", Pass: "p", Name: "app", Lang: "go", Version: "1.55.0", Protocol: 1,
		Echo: true, Headers: true, NoResponders: true, Nkey: "UA", JWT: "J", Sig: "S", Token: "T"}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("client CONNECT decoded as %+v, want %+v", c, want)
	}
	leaf := `{"is_hub":true,"domain":"d","jetstream":true,"deny_pub":["a","b"],"isolate":true,"gateway":"G","account":"X","new_account":true}`
	c = ConnectInfo{}
	if err := json.Unmarshal([]byte(leaf), &c); err != nil {
		t.Fatal(err)
	}
	if !c.IsHub || c.Domain != "d" || !c.JetStream || !reflect.DeepEqual(c.DenyPub, []string{"a", "b"}) ||
		!c.Isolate || c.Gateway != "G" || c.Account != "X" || !c.NewAccount {
		t.Errorf("leaf CONNECT decoded as %+v", c)
	}
	// An encoded leaf CONNECT carries no client field.
	got, _ = json.Marshal(ConnectInfo{Name: "L"})
	if string(got) != `{"name":"L"}` {
		t.Errorf("minimal CONNECT = %s", got)
	}
}

package config

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestLeafnodeAcceptSide(t *testing.T) {
	o := mustParse(t, `
accounts { A {} }
leafnodes {
  listen: "127.0.0.1:7500"
  no_advertise: true
  isolate_leafnode_interest: true
  write_deadline: "3s"
  reconnect: "4s"
  dial_timeout: "2s"
  compression: off
  authorization {
    timeout: 2.5
    users: [
      {user: leaf1, password: p1, account: A}
      {user: leaf2, password: p2}
    ]
  }
}
`)
	ln := o.LeafNode
	if ln.Host != "127.0.0.1" || ln.Port != 7500 || !ln.NoAdvertise || !ln.Isolate {
		t.Errorf("leafnodes = %+v", ln)
	}
	if ln.WriteDeadline != 3*time.Second || ln.ReconnectInterval != 4*time.Second || ln.DialTimeout != 2*time.Second {
		t.Errorf("timers = %v %v %v", ln.WriteDeadline, ln.ReconnectInterval, ln.DialTimeout)
	}
	if ln.Compression.Mode != CompressionOff || ln.Compression.EffectiveMode() != CompressionOff {
		t.Errorf("compression = %+v", ln.Compression)
	}
	if ln.AuthTimeout != 2500*time.Millisecond || len(ln.Users) != 2 {
		t.Fatalf("auth timeout %v users %d", ln.AuthTimeout, len(ln.Users))
	}
	if u := ln.Users[0]; u.Username != "leaf1" || u.Password != "p1" || u.Account != "A" {
		t.Errorf("leaf user = %+v", u)
	}
	if u := ln.Users[1]; u.Username != "leaf2" || u.Account != "" {
		t.Errorf("leaf user = %+v", u)
	}

	o = mustParse(t, "leafnodes { port: 7422, authorization { user: l, password: p, account: \"$SYS\" } }")
	if ln := o.LeafNode; ln.Username != "l" || ln.Password != "p" || ln.Account != "$SYS" || ln.AuthTimeout != 2*time.Second {
		t.Errorf("leafnodes = %+v", ln)
	}
	o = mustParse(t, "leafnodes { port: 7422, authorization { nkey: "+testNkey+" } }")
	if o.LeafNode.Nkey != testNkey {
		t.Errorf("nkey = %q", o.LeafNode.Nkey)
	}
	// Only the leafnode listener's port counts for the compression default.
	o = mustParse(t, "leafnodes { remotes [ {url: \"nats://h\"} ] }")
	if o.LeafNode.Compression.Mode != "" || o.LeafNode.Host != "" {
		t.Errorf("no listener but %+v", o.LeafNode)
	}
}

func TestRemotes(t *testing.T) {
	o := mustParse(t, `
accounts { A {} }
leafnodes {
  dial_timeout: "3s"
  remotes: [
    { url: "nats://user:p%40ss@hub1:7000", first_info_timeout: "2s" }
    { urls: ["nats://hub2", "tls://hub3:4443", " nats://[::1] "], no_randomize: true, local: A, hub: true, compression: false }
    { url: "nats://hub4", isolate: true, request_isolation: true, disabled: true, ignore_discovered_servers: true, dial_timeout: "500ms" }
  ]
}
`)
	rs := o.LeafNode.Remotes
	if len(rs) != 3 {
		t.Fatalf("remotes = %d", len(rs))
	}
	r0 := rs[0]
	if len(r0.URLs) != 1 || r0.URLs[0].Host != "hub1:7000" || r0.URLs[0].User.Username() != "user" {
		t.Errorf("remote 0 urls = %v", r0.URLs)
	}
	if pw, _ := r0.URLs[0].User.Password(); pw != "p@ss" {
		t.Errorf("password = %q", pw)
	}
	if r0.LocalAccount != GlobalAccount || r0.FirstInfoTimeout != 2*time.Second || r0.DialTimeout != 3*time.Second {
		t.Errorf("remote 0 = %+v", r0)
	}
	if r0.Compression.Mode != CompressionS2Auto || !reflect.DeepEqual(r0.Compression.RTTThresholds, DefaultRTTThresholds) {
		t.Errorf("remote 0 compression = %+v", r0.Compression)
	}
	if r0.Compression.EffectiveMode() != CompressionS2Auto {
		t.Errorf("effective compression = %q", r0.Compression.EffectiveMode())
	}
	r1 := rs[1]
	var hosts []string
	for _, u := range r1.URLs {
		hosts = append(hosts, u.Scheme+"://"+u.Host)
	}
	if want := []string{"nats://hub2:7422", "tls://hub3:4443", "nats://[::1]:7422"}; !reflect.DeepEqual(hosts, want) {
		t.Errorf("remote 1 urls = %v, want %v", hosts, want)
	}
	if !r1.NoRandomize || r1.LocalAccount != "A" || !r1.Hub || r1.Compression.Mode != CompressionOff {
		t.Errorf("remote 1 = %+v", r1)
	}
	r2 := rs[2]
	if !r2.Isolate || !r2.RequestIsolation || !r2.Disabled || !r2.IgnoreDiscoveredServers || r2.DialTimeout != 500*time.Millisecond {
		t.Errorf("remote 2 = %+v", r2)
	}
	if r2.FirstInfoTimeout != time.Second || o.LeafNode.ReconnectInterval != time.Second {
		t.Errorf("defaults: first info %v reconnect %v", r2.FirstInfoTimeout, o.LeafNode.ReconnectInterval)
	}
}

// withSupported removes entries of an unsupported table for one test, as a
// feature landing would. A key not in the table is a stale call.
func withSupported(t *testing.T, table map[string]bool, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if !table[k] {
			t.Fatalf("withSupported: %q is not in the table (supported already?)", k)
		}
		delete(table, k)
		t.Cleanup(func() { table[k] = true })
	}
}

func TestRemoteSettingsParsedWhileUnsupported(t *testing.T) {
	withSupported(t, unsupportedRemote, "jetstream_cluster_migrate")
	t.Setenv("LEAFHUB_TEST_CREDS_DIR", "/etc/creds")
	o := mustParse(t, `
leafnodes { remotes: [
  { url: "nats://h1", credentials: "$LEAFHUB_TEST_CREDS_DIR/u.creds", deny_imports: "a.>", deny_exports: ["b.>", "c"],
    ws_compression: true, ws_no_masking: true, compression: fast,
    jetstream_cluster_migrate: { leader_migrate_delay: "5s" },
    proxy: { url: "http://proxy:3128", username: u, password: p } }
  { url: "nats://h2", seed: `+testSeed+` }
] }
`)
	r := o.LeafNode.Remotes[0]
	if r.Credentials != "/etc/creds/u.creds" || !reflect.DeepEqual(r.DenyImports, []string{"a.>"}) ||
		!reflect.DeepEqual(r.DenyExports, []string{"b.>", "c"}) || !r.WSCompression || !r.WSNoMasking {
		t.Errorf("remote = %+v", r)
	}
	if r.Compression.Mode != CompressionS2Fast || !r.JetStreamClusterMigrate || r.JetStreamClusterMigrateDelay != 5*time.Second {
		t.Errorf("remote = %+v", r)
	}
	if p := r.Proxy; p == nil || p.URL != "http://proxy:3128" || p.Username != "u" || p.Password != "p" || p.Timeout != time.Second {
		t.Errorf("proxy = %+v", p)
	}
	if o.LeafNode.Remotes[1].Nkey != testSeed {
		t.Errorf("seed = %q", o.LeafNode.Remotes[1].Nkey)
	}
	// The two remotes differ only by credentials: not duplicates.
	o = mustParse(t, "leafnodes { remotes: [ {url: \"nats://h\"}, {url: \"nats://h\", credentials: \"/x.creds\"} ] }")
	if len(o.LeafNode.Remotes) != 2 {
		t.Errorf("remotes = %d", len(o.LeafNode.Remotes))
	}
	t.Setenv("HOME", "/home/leafhub")
	o = mustParse(t, "leafnodes { remotes: [ {url: \"nats://h\", creds: \"~/u.creds\"} ] }")
	if got := o.LeafNode.Remotes[0].Credentials; got != "/home/leafhub/u.creds" {
		t.Errorf("credentials = %q", got)
	}
}

func TestLeafnodeSettingsParsedWhileUnsupported(t *testing.T) {
	withSupported(t, unsupportedLeafnodes, "advertise", "write_timeout")
	o := mustParse(t, `leafnodes {
  port: 7422
  min_version: "2.10.0-beta.1+build.5"
  advertise: "hub.example.com:7422"
  write_timeout: close
  compression: { mode: s2_auto, rtt_thresholds: ["10ms", "0ms", "100ms", "0s"] }
}`)
	ln := o.LeafNode
	if ln.MinVersion != "2.10.0-beta.1+build.5" || ln.Advertise != "hub.example.com:7422" || ln.WriteTimeout != "close" {
		t.Errorf("leafnodes = %+v", ln)
	}
	want := CompressionOpts{Mode: CompressionS2Auto, RTTThresholds: []time.Duration{10 * time.Millisecond, 0, 100 * time.Millisecond}}
	if !reflect.DeepEqual(ln.Compression, want) {
		t.Errorf("compression = %+v", ln.Compression)
	}
}

func TestMinVersion(t *testing.T) {
	good := []string{"2.8.0", "2.8.1", "2.10.0", "3.0.0", "2.10.0-RC.1", "2.9.0+abc", "10.0.0-0.3.7"}
	bad := map[string]string{
		"2.7.9":     "the minimum version should be at least 2.8.0",
		"1.99.99":   "the minimum version should be at least 2.8.0",
		"2.8":       "invalid leafnode's minimum version: invalid semver",
		"v2.8.0":    "invalid leafnode's minimum version: invalid semver",
		"02.8.0":    "invalid leafnode's minimum version: invalid semver",
		"2.8.0-01":  "invalid leafnode's minimum version: invalid semver",
		"2.8.0-":    "invalid leafnode's minimum version: invalid semver",
		"2.8.0+a..": "invalid leafnode's minimum version: invalid semver",
	}
	for _, v := range good {
		if err := checkMinVersion(v); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
	for v, want := range bad {
		if err := checkMinVersion(v); err == nil || err.Error() != want {
			t.Errorf("%q: got %v, want %q", v, err, want)
		}
	}
}

// writeCert writes a self-signed certificate and its key into dir.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "leafhub test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSParsedWhileUnsupported(t *testing.T) {
	dir := t.TempDir()
	cert, key := writeCert(t, dir)
	o := mustParse(t, `leafnodes {
  port: 7422
  tls {
    cert_file: "`+cert+`"
    key_file: "`+key+`"
    ca_file: "`+cert+`"
    verify_and_map: true
    cipher_suites: ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"]
    curve_preferences: ["CurveP256"]
    min_version: "1.3"
    timeout: 3
    pinned_certs: ["`+strings.Repeat("AB", 32)+`"]
    handshake_first: auto
    connection_rate_limit: 10
  }
  remotes [ { url: "tls://hub:7422", tls { ca_file: "`+cert+`", certs: [ {cert_file: "`+cert+`", key_file: "`+key+`"} ], handshake_first: "300ms" } } ]
}`)
	lt := o.LeafNode.TLS
	if lt == nil {
		t.Fatal("no leafnode tls")
	}
	if lt.CertFile != cert || lt.KeyFile != key || lt.CaFile != cert || !lt.Verify || !lt.Map {
		t.Errorf("tls = %+v", lt)
	}
	if !reflect.DeepEqual(lt.CipherSuites, []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}) ||
		!reflect.DeepEqual(lt.CurvePreferences, []tls.CurveID{tls.CurveP256}) || lt.MinVersion != tls.VersionTLS13 {
		t.Errorf("tls = %+v", lt)
	}
	if lt.Timeout != 3*time.Second || lt.RateLimit != 10 || lt.PinnedCerts[0] != strings.Repeat("ab", 32) ||
		!lt.HandshakeFirst || lt.FallbackDelay != 50*time.Millisecond {
		t.Errorf("tls = %+v", lt)
	}
	if o.LeafNode.AuthTimeout != 4*time.Second {
		t.Errorf("auth timeout with tls = %v", o.LeafNode.AuthTimeout)
	}
	rt := o.LeafNode.Remotes[0].TLS
	if rt == nil || len(rt.Certificates) != 1 || rt.Timeout != 2*time.Second || !rt.HandshakeFirst || rt.FallbackDelay != 300*time.Millisecond {
		t.Fatalf("remote tls = %+v", rt)
	}
	if len(rt.CipherSuites) == 0 || len(rt.CurvePreferences) == 0 {
		t.Errorf("remote tls defaults missing: %+v", rt)
	}

	bad := filepath.Join(dir, "bad.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	checkErrorCases(t, []errorCase{
		{"leafnodes {\n  tls {\n    ca_file: \"" + bad + "\"\n  }\n}", 2, "leafnodes.tls", "failed to parse root ca certificate"},
		{"leafnodes {\n  tls {\n    cert_file: \"" + bad + "\", key_file: \"" + key + "\"\n  }\n}", 2, "leafnodes.tls",
			"error parsing X509 certificate/key pair: tls: failed to find any PEM data in certificate input"},
		{"leafnodes {\n  tls {\n    certs: [ {cert_file: \"" + cert + "\", key_file: \"" + bad + "\"} ]\n  }\n}", 2, "leafnodes.tls",
			"error parsing X509 certificate/key pair 1/1: tls: failed to find any PEM data in key input"},
	})
}

func TestEffectiveCompression(t *testing.T) {
	for mode, want := range map[string]string{
		"":                      CompressionS2Auto,
		CompressionNotSupported: CompressionNotSupported,
		CompressionOff:          CompressionOff,
		CompressionAccept:       CompressionAccept,
		CompressionS2Auto:       CompressionS2Auto,
		CompressionS2Best:       CompressionS2Best,
	} {
		if got := (CompressionOpts{Mode: mode}).EffectiveMode(); got != want {
			t.Errorf("%q: effective %q, want %q", mode, got, want)
		}
	}
	for in, want := range map[string]string{
		"on": CompressionS2Auto, "Enabled": CompressionS2Auto, "true": CompressionS2Auto, "auto": CompressionS2Auto,
		"s2_fast": CompressionS2Fast, "fast": CompressionS2Fast, "BETTER": CompressionS2Better, "s2_best": CompressionS2Best,
		"accept": CompressionAccept, "disabled": CompressionOff, "false": CompressionOff, "Not_Supported": CompressionNotSupported,
	} {
		c := CompressionOpts{Mode: in}
		if err := normalizeCompression(&c); err != nil || c.Mode != want {
			t.Errorf("%q: got %q (%v), want %q", in, c.Mode, err, want)
		}
	}
}

package config

import (
	"strconv"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
)

// TestWebsocketAllowedOrigins checks allowed_origins validation, row by
// row, against the expected reason and nats-server's verdict on the same
// origin. An origin without a port takes its scheme's default one.
func TestWebsocketAllowedOrigins(t *testing.T) {
	const key = "websocket.allowed_origins"
	for _, tc := range []struct {
		origin string
		reason string // "": accepted
	}{
		{"http://example.com", ""},
		{"https://example.com:8443", ""},
		{"http://[::1]", ""},
		{"https://[::1]", ""},
		{"http://[::1]:8080", ""},
		{"http://[fe80::1%25en0]", ""},
		{"http://127.0.0.1", ""},
		{"ftp://example.com", `unable to parse allowed origin "ftp://example.com": allowed origins must be absolute URLs with http or https scheme`},
		{"http:opaque", `unable to parse allowed origin "http:opaque": host is required`},
		{"example.com", `unable to parse allowed origin: parse "example.com": invalid URI for request`},
		{"http://[::1]:80:90", `unable to parse allowed origin: parse "http://[::1]:80:90": invalid port ":80:90" after host`},
	} {
		t.Run(tc.origin, func(t *testing.T) {
			conf := "websocket {\n  port: 8080\n  no_tls: true\n  allowed_origins: [" + strconv.Quote(tc.origin) + "]\n}"
			nsErr := func() error {
				s, err := server.NewServer(&server.Options{Websocket: server.WebsocketOpts{
					Port: 8080, NoTLS: true, AllowedOrigins: []string{tc.origin}}})
				if err == nil {
					s.Shutdown()
				}
				return err
			}()
			if (nsErr == nil) != (tc.reason == "") {
				t.Errorf("nats-server verdict %v, want accepted=%v", nsErr, tc.reason == "")
			}
			if tc.reason == "" {
				o := mustParse(t, conf)
				if got := o.Websocket.AllowedOrigins; len(got) != 1 || got[0] != tc.origin {
					t.Errorf("allowed origins %q", got)
				}
				return
			}
			checkErrorCases(t, []errorCase{{conf, 4, key, tc.reason}})
		})
	}
}

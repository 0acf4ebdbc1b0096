package config

import (
	"errors"
	"net"
	"net/url"
	"strings"
	"time"
)

// WebsocketOpts is the websocket { } block: a listener for NATS clients
// and, at the /leafnode path, leafnode connections over WebSocket.
type WebsocketOpts struct {
	Host             string
	Port             int // 0 = no websocket listener, RandomPort = random
	NoTLS            bool
	TLS              *TLSOpts
	SameOrigin       bool
	AllowedOrigins   []string
	HandshakeTimeout time.Duration // 0 = none
	Compression      bool
	Headers          map[string]string // extra headers of the 101 response
}

// Enabled reports whether a websocket listener is configured.
func (w *WebsocketOpts) Enabled() bool { return w.Port != 0 }

// unsupportedWebsocket are keys of the websocket block leafhub does not
// implement yet.
var unsupportedWebsocket = map[string]bool{
	"advertise":      true,
	"authorization":  true,
	"authentication": true,
	"jwt_cookie":     true,
	"user_cookie":    true,
	"pass_cookie":    true,
	"token_cookie":   true,
	"no_auth_user":   true,
	"ping_interval":  true,
}

// websocket parses the websocket block.
func (l *loader) websocket(o *Options, n *node, path string) {
	fields, ok := n.val.([]*field)
	if !ok {
		l.errorf(n, path, "Expected websocket to be a map, got %s", kind(n.val))
		return
	}
	w := &o.Websocket
	for _, f := range fields {
		fp := join(path, f.key)
		if unsupportedWebsocket[f.lkey] {
			l.unsupported(f.node, fp)
			continue
		}
		if l.listenKey(f, fp, "websocket.port", &w.Host, &w.Port) {
			continue
		}
		switch f.lkey {
		case "no_tls":
			if b, ok := l.boolean(f.node, fp); ok {
				w.NoTLS = b
			}
		case "tls":
			w.TLS = l.tls(f.node, fp, nil)
		case "same_origin":
			if b, ok := l.boolean(f.node, fp); ok {
				w.SameOrigin = b
			}
		case "allowed_origins", "allowed_origin", "allow_origins", "allow_origin", "origins", "origin":
			if s, ok := l.stringList(f.node, fp); ok {
				w.AllowedOrigins = s
				l.note("websocket.allowed_origins", f.node)
			}
		case "handshake_timeout":
			switch v := f.node.val.(type) {
			case int64:
				w.HandshakeTimeout = time.Duration(v) * time.Second
			case string:
				d, err := time.ParseDuration(v)
				if err != nil {
					l.errorf(f.node, fp, "%v", err)
					continue
				}
				w.HandshakeTimeout = d
			default:
				l.errorf(f.node, fp, "error parsing handshake timeout: unsupported type %s", kind(f.node.val))
			}
		case "compress", "compression":
			if b, ok := l.boolean(f.node, fp); ok {
				w.Compression = b
			}
		case "headers":
			hf, ok := f.node.val.([]*field)
			if !ok {
				l.errorf(f.node, fp, "error parsing headers: unsupported type %s", kind(f.node.val))
				continue
			}
			w.Headers = map[string]string{}
			for _, h := range hf {
				s, ok := h.node.val.(string)
				if !ok {
					l.errorf(h.node, join(fp, h.key), "error parsing header key %s: unsupported type %s", h.key, kind(h.node.val))
					continue
				}
				w.Headers[h.key] = s
			}
			l.note("websocket.headers", f.node)
		default:
			l.unknown(f, fp)
		}
	}
}

// websocket checks the websocket block as nats-server does.
func (v *validator) websocket() {
	w := &v.o.Websocket
	if w.Port == 0 {
		return
	}
	if w.TLS == nil && !w.NoTLS {
		v.errorf("websocket.port", "websocket requires TLS configuration")
	}
	for _, ao := range w.AllowedOrigins {
		u, err := url.ParseRequestURI(ao)
		switch {
		case err != nil:
			v.errorf("websocket.allowed_origins", "unable to parse allowed origin: %v", err)
		case u.Scheme != "http" && u.Scheme != "https":
			v.errorf("websocket.allowed_origins", "unable to parse allowed origin %q: allowed origins must be absolute URLs with http or https scheme", ao)
		case u.Host == "":
			v.errorf("websocket.allowed_origins", "unable to parse allowed origin %q: host is required", ao)
		default:
			// A missing port is the scheme's default one, as nats-server
			// has it ("http://[::1]" is port 80): only other split
			// errors refuse the origin.
			_, _, err := net.SplitHostPort(u.Host)
			var ae *net.AddrError
			if errors.As(err, &ae) && !strings.Contains(ae.Err, "missing port") {
				v.errorf("websocket.allowed_origins", "unable to parse allowed origin: %v", err)
			}
		}
	}
	for key := range w.Headers {
		k := strings.ToLower(key)
		switch {
		case k == "host" || k == "content-length" || k == "connection" || k == "upgrade" || k == "nats-no-masking":
			v.errorf("websocket.headers", "websocket: invalid header %q not allowed", key)
		case strings.HasPrefix(k, "sec-websocket-"):
			v.errorf("websocket.headers", "websocket: invalid header %q, %q prefix not allowed", key, "Sec-WebSocket-")
		}
	}
	if w.Port < RandomPort || w.Port > 65535 {
		v.errorf("websocket.port", "invalid port %d: must be between 0 and 65535, or -1 for a random port", w.Port)
	}
}

// Websocket reports whether the remote's URLs are ws:// or wss:// (they
// are all of one kind: validation refuses a mix).
func (r *RemoteLeafOpts) Websocket() bool {
	if len(r.URLs) == 0 {
		return false
	}
	s := strings.ToLower(r.URLs[0].Scheme)
	return s == "ws" || s == "wss"
}

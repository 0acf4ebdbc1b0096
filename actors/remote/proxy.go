package remote

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/leafhub/leafhub/actors/conn"
	"github.com/leafhub/leafhub/config"
)

// dialProxy opens a TCP tunnel to target (host:port) through an HTTP
// CONNECT proxy, as nats-server does for a remote with proxy { url }: TLS
// to the proxy itself for an https URL, Basic authentication when a user
// name is set, the CONNECT exchange bounded by the proxy timeout. Bytes
// the target sent along with the proxy's answer are kept for the first
// reads.
func dialProxy(ctx context.Context, p *config.ProxyOpts, target string) (net.Conn, error) {
	pu, err := url.Parse(p.URL)
	if err != nil {
		return nil, fmt.Errorf("proxy URL: %v", err)
	}
	addr := pu.Host
	if pu.Port() == "" {
		port := "80"
		if pu.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(pu.Hostname(), port)
	}
	d := net.Dialer{Timeout: p.Timeout}
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("failed to connect to proxy: %v", err)
	}
	if pu.Scheme == "https" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: pu.Hostname()}
		timeout := config.DefaultTLSTimeout
		if p.TLS != nil {
			if cfg, err = conn.ClientTLS(p.TLS, pu.Hostname()); err != nil {
				nc.Close()
				return nil, fmt.Errorf("proxy TLS configuration: %v", err)
			}
			if p.TLS.Timeout > 0 {
				timeout = p.TLS.Timeout
			}
		}
		tc := tls.Client(nc, cfg)
		_ = tc.SetDeadline(time.Now().Add(timeout))
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return nil, fmt.Errorf("proxy TLS handshake failed: %v", err)
		}
		nc = tc
	}
	_ = nc.SetDeadline(time.Now().Add(p.Timeout))
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Opaque: target}, Host: target, Header: http.Header{}}
	if p.Username != "" {
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(p.Username+":"+p.Password)))
	}
	if err := req.Write(nc); err != nil {
		nc.Close()
		return nil, fmt.Errorf("failed to write CONNECT request: %v", err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("failed to read proxy response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		nc.Close()
		return nil, fmt.Errorf("proxy CONNECT failed: %s", resp.Status)
	}
	_ = nc.SetDeadline(time.Time{})
	if _, isTLS := nc.(*tls.Conn); !isTLS && br.Buffered() == 0 {
		return nc, nil
	}
	t := &tunnel{Conn: nc}
	if n := br.Buffered(); n > 0 {
		early, _ := br.Peek(n)
		t.early = bytes.NewReader(append([]byte(nil), early...))
	}
	return t, nil
}

// tunnel is a connection through a proxy. It is not a *tls.Conn even when
// TLS runs to the proxy, so TLS to the hub is layered on top rather than
// mistaken for done; early holds what the hub sent with the proxy's answer.
type tunnel struct {
	net.Conn
	early *bytes.Reader
}

func (t *tunnel) Read(b []byte) (int, error) {
	if t.early != nil {
		n, _ := t.early.Read(b)
		if t.early.Len() == 0 {
			t.early = nil
		}
		return n, nil
	}
	return t.Conn.Read(b)
}

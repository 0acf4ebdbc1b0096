package conn

import (
	"crypto/tls"
	"crypto/x509"
	"time"

	"github.com/leafhub/leafhub/actors/auth"
	"github.com/leafhub/leafhub/actors/route"
	"github.com/leafhub/leafhub/protocol"
)

// What /connz shows of a connection beyond its counters: its TLS, its
// subscriptions in detail (kept when it closes), the user it authenticated
// as.

// TLSInfo is a connection's TLS as /connz shows it.
type TLSInfo struct {
	Version, CipherSuite uint16
	PeerCerts            []*x509.Certificate
	First                bool // the handshake came before the INFO (handshake_first)
}

// SubInfo is one subscription as /connz lists it in detail.
type SubInfo struct {
	Subject, Queue, SID string
	Msgs, Max           int64 // delivered so far; the UNSUB maximum (0: none)
}

func subInfos(all []*route.Sub) []SubInfo {
	out := make([]SubInfo, len(all))
	for i, s := range all {
		out[i] = SubInfo{Subject: s.Subject, Queue: s.Queue, SID: s.SID}
		out[i].Msgs, out[i].Max = s.Deliveries()
	}
	return out
}

// keepSubs records a closing connection's subscriptions, which nats-server
// lists for closed connections too.
func (s *State) keepSubs(all []*route.Sub) {
	l := subInfos(all)
	s.closedSubs.Store(&l)
}

// ClosedSubs are the subscriptions a closed connection had (nil while open).
func (s *State) ClosedSubs() []SubInfo {
	if p := s.closedSubs.Load(); p != nil {
		return *p
	}
	return nil
}

// tlsInfo reads the TLS state of the connection's stream (nil without TLS).
func (b *base) tlsInfo() *TLSInfo {
	tc := b.tlsConn()
	if tc == nil {
		return nil
	}
	cs := tc.ConnectionState()
	return &TLSInfo{Version: cs.Version, CipherSuite: cs.CipherSuite, PeerCerts: cs.PeerCertificates, First: b.stream.tlsFirst}
}

// connectMeta is what /connz shows of a client from its CONNECT and the
// identity it authenticated as (nil: refused).
func (b *base) connectMeta(ci *protocol.ConnectInfo, id *auth.Identity, account string) *Meta {
	m := &Meta{Name: ci.Name, Lang: ci.Lang, Version: ci.Version, Account: account, TLS: b.tlsInfo()}
	// The user as nats-server names it: the nkey, the user name, the JWT's
	// user key, or a token hidden.
	switch {
	case id != nil && id.User != "":
		m.User = id.User
	case ci.Nkey != "":
		m.User = ci.Nkey
	case ci.User != "":
		m.User = ci.User
	case ci.JWT != "":
	case ci.Token != "":
		m.User = "[REDACTED]"
	}
	if id != nil {
		m.JWT, m.IssuerKey, m.NameTag, m.Tags = id.JWT, id.IssuerKey, id.NameTag, id.Tags
	}
	return m
}

// CertNotAfter is when cfg's first certificate expires (zero without one),
// as /varz tls_cert_not_after reports it.
func CertNotAfter(cfg *tls.Config) time.Time {
	if cfg == nil || len(cfg.Certificates) == 0 {
		return time.Time{}
	}
	c := cfg.Certificates[0]
	leaf := c.Leaf
	if leaf == nil {
		if len(c.Certificate) == 0 {
			return time.Time{}
		}
		var err error
		if leaf, err = x509.ParseCertificate(c.Certificate[0]); err != nil {
			return time.Time{}
		}
	}
	return leaf.NotAfter
}

// CertNotAfter is when the listener's certificate expires (zero: no TLS).
func (t *serverTLS) CertNotAfter() time.Time {
	if t == nil {
		return time.Time{}
	}
	return CertNotAfter(t.cfg)
}

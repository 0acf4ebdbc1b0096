package conn

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/leafhub/leafhub/config"
)

// ServerTLS builds the TLS configuration of a listener from a tls block:
// its certificates, client-certificate verification against ca_file when
// verify (or verify_and_map) is set, versions, ciphers, curves and pinned
// certificates. Certificates are read now: a reload builds a new one, so
// new connections get renewed certificates.
func ServerTLS(t *config.TLSOpts) (*tls.Config, error) {
	c, err := baseTLS(t)
	if err != nil {
		return nil, err
	}
	if len(c.Certificates) == 0 {
		return nil, errors.New("tls: a listener needs cert_file and key_file")
	}
	if t.Verify || t.Map {
		c.ClientAuth = tls.RequireAndVerifyClientCert
		if t.CaFile != "" {
			pool, err := loadPool(t.CaFile)
			if err != nil {
				return nil, err
			}
			c.ClientCAs = pool
		}
	}
	return c, nil
}

// ClientTLS builds the TLS configuration of a dial to host: the remote's
// tls block (ca_file as roots, an optional client certificate, insecure),
// with the host as server name (SNI and verification).
func ClientTLS(t *config.TLSOpts, host string) (*tls.Config, error) {
	if t == nil {
		t = &config.TLSOpts{}
	}
	c, err := baseTLS(t)
	if err != nil {
		return nil, err
	}
	c.ServerName = host
	c.InsecureSkipVerify = t.Insecure
	if t.CaFile != "" {
		pool, err := loadPool(t.CaFile)
		if err != nil {
			return nil, err
		}
		c.RootCAs = pool
	}
	return c, nil
}

func baseTLS(t *config.TLSOpts) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12, CipherSuites: t.CipherSuites, CurvePreferences: t.CurvePreferences}
	if t.MinVersion != 0 {
		c.MinVersion = t.MinVersion
	}
	pairs := append([]config.TLSCertPair(nil), t.Certificates...)
	if t.CertFile != "" {
		pairs = append(pairs, config.TLSCertPair{CertFile: t.CertFile, KeyFile: t.KeyFile})
	}
	for _, p := range pairs {
		cert, err := tls.LoadX509KeyPair(p.CertFile, p.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("tls: load certificate %s: %w", p.CertFile, err)
		}
		c.Certificates = append(c.Certificates, cert)
	}
	if len(t.PinnedCerts) > 0 {
		pinned := make(map[string]bool, len(t.PinnedCerts))
		for _, p := range t.PinnedCerts {
			pinned[strings.ToLower(p)] = true
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: peer sent no certificate to check against pinned_certs")
			}
			sum := sha256.Sum256(cs.PeerCertificates[0].RawSubjectPublicKeyInfo)
			if !pinned[hex.EncodeToString(sum[:])] {
				return errors.New("tls: peer certificate is not in pinned_certs")
			}
			return nil
		}
	}
	return c, nil
}

func loadPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls: read ca_file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("tls: ca_file %s holds no PEM certificate", file)
	}
	return pool, nil
}

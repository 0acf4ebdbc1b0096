package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"
)

// handshakeFirstFallback is the fallback delay of handshake_first: "auto".
const handshakeFirstFallback = 50 * time.Millisecond

// curveNames are the accepted curve_preferences names.
var curveNames = map[string]tls.CurveID{
	"X25519MLKEM768":     tls.X25519MLKEM768,
	"SecP256r1MLKEM768":  tls.SecP256r1MLKEM768,
	"SecP384r1MLKEM1024": tls.SecP384r1MLKEM1024,
	"X25519":             tls.X25519,
	"CurveP256":          tls.CurveP256,
	"CurveP384":          tls.CurveP384,
	"CurveP521":          tls.CurveP521,
}

// defaultCurves is the curve preference order used when none is given.
var defaultCurves = []tls.CurveID{
	tls.X25519MLKEM768, tls.SecP384r1MLKEM1024, tls.SecP256r1MLKEM768,
	tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521,
}

var pinnedCertRe = regexp.MustCompile(`^[a-f0-9]{64}$`)

// cipherByName finds a cipher suite (secure or insecure) by its Go name.
func cipherByName(name string) (*tls.CipherSuite, bool) {
	for _, cs := range tls.CipherSuites() {
		if cs.Name == name {
			return cs, true
		}
	}
	for _, cs := range tls.InsecureCipherSuites() {
		if cs.Name == name {
			return cs, true
		}
	}
	return nil, false
}

// tls parses a tls block of the leafnode listener, a remote or (with
// allowed set) a proxy. Certificate, key and CA files are loaded to check
// them, as nats-server does. It returns nil when the block is invalid.
func (l *loader) tls(n *node, path string, allowed map[string]bool) *TLSOpts {
	fields, ok := l.mapping(n, path)
	if !ok {
		return nil
	}
	if allowed != nil {
		bad := false
		for _, f := range fields {
			if !allowed[f.lkey] {
				l.errorf(f.node, join(path, f.key), "%q is not supported for proxy TLS", f.key)
				bad = true
			}
		}
		if bad {
			return nil
		}
	}
	t := &TLSOpts{}
	var insecure []string
	good := true
	fail := func(f *field, format string, args ...any) {
		l.errorf(f.node, join(path, f.key), format, args...)
		good = false
	}
	for _, f := range fields {
		fp := join(path, f.key)
		// nats-server rate-limits TLS handshakes on the client port only
		// (it ignores the key in the other blocks, and so does leafhub);
		// leafhub has no limiter yet.
		if unsupportedTLS[f.lkey] || (f.lkey == "connection_rate_limit" && path == "tls") {
			l.unsupported(f.node, fp)
			good = false
			continue
		}
		switch f.lkey {
		case "cert_file", "key_file", "ca_file":
			s, ok := f.node.val.(string)
			if !ok {
				fail(f, "error parsing tls config, expected '%s' to be filename", f.lkey)
				continue
			}
			switch f.lkey {
			case "cert_file":
				t.CertFile = s
			case "key_file":
				t.KeyFile = s
			default:
				t.CaFile = s
			}
		case "insecure", "verify", "verify_and_map", "allow_insecure_cipher_suites", "verify_cert_and_check_known_urls":
			b, ok := f.node.val.(bool)
			if !ok {
				fail(f, "error parsing tls config, expected '%s' to be a boolean", f.lkey)
				continue
			}
			switch f.lkey {
			case "insecure":
				t.Insecure = b
			case "verify":
				t.Verify = b
			case "verify_and_map":
				t.Map = b
				t.Verify = t.Verify || b
			case "allow_insecure_cipher_suites":
				t.AllowInsecure = b
			default:
				if b {
					fail(f, "verify_cert_and_check_known_urls not supported in this context")
				}
			}
		case "cipher_suites":
			items, ok := l.array(f.node, fp)
			if !ok {
				good = false
				continue
			}
			if len(items) == 0 {
				fail(f, "error parsing tls config, 'cipher_suites' cannot be empty")
				continue
			}
			for i, it := range items {
				name, ok := l.str(it, index(fp, i))
				if !ok {
					good = false
					continue
				}
				cs, found := cipherByName(name)
				if !found {
					l.errorf(it, index(fp, i), "unrecognized cipher %s", name)
					good = false
					continue
				}
				t.CipherSuites = append(t.CipherSuites, cs.ID)
				if cs.Insecure {
					insecure = append(insecure, cs.Name)
				}
			}
		case "curve_preferences":
			items, ok := l.array(f.node, fp)
			if !ok {
				good = false
				continue
			}
			if len(items) == 0 {
				fail(f, "error parsing tls config, 'curve_preferences' cannot be empty")
				continue
			}
			for i, it := range items {
				name, ok := l.str(it, index(fp, i))
				if !ok {
					good = false
					continue
				}
				id, found := curveNames[name]
				if !found {
					l.errorf(it, index(fp, i), "unrecognized curve preference %s", name)
					good = false
					continue
				}
				t.CurvePreferences = append(t.CurvePreferences, id)
			}
		case "timeout":
			switch v := f.node.val.(type) {
			case int64:
				t.Timeout = time.Duration(v) * time.Second
			case float64:
				t.Timeout = time.Duration(v * float64(time.Second))
			case string:
				d, err := time.ParseDuration(v)
				if err != nil {
					fail(f, "error parsing tls config, 'timeout' %s", err)
					continue
				}
				t.Timeout = d
			default:
				fail(f, "error parsing tls config, 'timeout' wrong type")
			}
		case "connection_rate_limit":
			i, ok := f.node.val.(int64)
			if !ok {
				fail(f, "error parsing tls config, 'connection_rate_limit' wrong type")
				continue
			}
			t.RateLimit = i
		case "pinned_certs":
			items, ok := f.node.val.([]*node)
			if !ok {
				fail(f, "error parsing tls config, expected 'pinned_certs' to be a list of hex-encoded sha256 of DER encoded SubjectPublicKeyInfo")
				continue
			}
			for i, it := range items {
				s, ok := l.str(it, index(fp, i))
				if !ok {
					good = false
					continue
				}
				s = strings.ToLower(s)
				if !pinnedCertRe.MatchString(s) {
					l.errorf(it, index(fp, i), "error parsing tls config, 'pinned_certs' key %s does not look like hex-encoded sha256 of DER encoded SubjectPublicKeyInfo", s)
					good = false
					continue
				}
				t.PinnedCerts = append(t.PinnedCerts, s)
			}
		case "handshake_first", "first", "immediate":
			switch v := f.node.val.(type) {
			case bool:
				t.HandshakeFirst = v
			case string:
				switch strings.ToLower(v) {
				case "true", "on":
					t.HandshakeFirst = true
				case "false", "off":
					t.HandshakeFirst = false
				case "auto", "auto_fallback":
					t.HandshakeFirst = true
					t.FallbackDelay = handshakeFirstFallback
				default:
					d, err := time.ParseDuration(v)
					if err != nil {
						fail(f, "field %q's value %q is invalid", f.key, v)
						continue
					}
					t.HandshakeFirst = true
					t.FallbackDelay = d
				}
			default:
				fail(f, "field %q should be a boolean or a string, got %s", f.key, kind(f.node.val))
			}
		case "certs", "certificates":
			pairs, ok := l.certPairs(f.node, fp)
			good = good && ok
			t.Certificates = pairs
		case "min_version":
			s, ok := f.node.val.(string)
			if !ok {
				fail(f, "error parsing tls config: 'min_version' wrong type: %v", f.node.val)
				continue
			}
			v, err := tlsVersion(s)
			if err != nil {
				fail(f, "error parsing tls config: %v", err)
				continue
			}
			t.MinVersion = v
		default:
			fail(f, "error parsing tls config, unknown field %q", f.key)
		}
	}
	if !good {
		return nil
	}
	if len(t.Certificates) > 0 && t.CertFile != "" {
		l.errorf(n, path, "error parsing tls config, cannot combine 'cert_file' option with 'certs' option")
		return nil
	}
	if len(insecure) > 0 && !t.AllowInsecure {
		l.errorf(n, path, "insecure cipher suites configured without 'allow_insecure_cipher_suites' option set: %s", strings.Join(insecure, ", "))
		return nil
	}
	if t.CipherSuites == nil {
		for _, cs := range tls.CipherSuites() {
			t.CipherSuites = append(t.CipherSuites, cs.ID)
		}
	}
	if t.CurvePreferences == nil {
		t.CurvePreferences = append([]tls.CurveID(nil), defaultCurves...)
	}
	if err := checkTLSFiles(t); err != nil {
		l.errorf(n, path, "%v", err)
		return nil
	}
	return t
}

// certPairs parses certs: [ { cert_file, key_file } ... ].
func (l *loader) certPairs(n *node, path string) ([]TLSCertPair, bool) {
	items, ok := n.val.([]*node)
	if !ok {
		l.errorf(n, path, "error parsing certificates config: unsupported type %s", kind(n.val))
		return nil, false
	}
	pairs := make([]TLSCertPair, 0, len(items))
	for i, it := range items {
		ip := index(path, i)
		fields, ok := it.val.([]*field)
		if !ok {
			l.errorf(it, ip, "error parsing certificates config: unsupported type %s", kind(it.val))
			return nil, false
		}
		var p TLSCertPair
		for _, f := range fields {
			s, ok := f.node.val.(string)
			if !ok {
				l.errorf(f.node, join(ip, f.key), "error parsing certificates config: unsupported type %s", kind(f.node.val))
				return nil, false
			}
			switch f.key {
			case "cert_file":
				p.CertFile = s
			case "key_file":
				p.KeyFile = s
			default:
				l.errorf(f.node, join(ip, f.key), "error parsing tls certs config, unknown field %q", f.key)
				return nil, false
			}
		}
		if p.CertFile == "" || p.KeyFile == "" {
			l.errorf(it, ip, "error parsing certificates config: both 'cert_file' and 'cert_key' options are required")
			return nil, false
		}
		pairs = append(pairs, p)
	}
	return pairs, true
}

// tlsVersion parses a TLS version such as "1.2"; versions below 1.2 are
// refused.
func tlsVersion(s string) (uint16, error) {
	versions := map[string]uint16{
		"1.0": tls.VersionTLS10,
		"1.1": tls.VersionTLS11,
		"1.2": tls.VersionTLS12,
		"1.3": tls.VersionTLS13,
	}
	v, ok := versions[s]
	if !ok {
		return 0, fmt.Errorf("unknown version: %v", s)
	}
	if v < tls.VersionTLS12 {
		return 0, fmt.Errorf("unsupported TLS version: %s", tls.VersionName(v))
	}
	return v, nil
}

// checkTLSFiles loads the certificates, keys and CA file to make sure they
// are usable.
func checkTLSFiles(t *TLSOpts) error {
	switch {
	case t.CertFile != "" && t.KeyFile == "":
		return fmt.Errorf("missing 'key_file' in TLS configuration")
	case t.CertFile == "" && t.KeyFile != "":
		return fmt.Errorf("missing 'cert_file' in TLS configuration")
	case t.CertFile != "":
		if err := loadPair(t.CertFile, t.KeyFile, ""); err != nil {
			return err
		}
	}
	for i, p := range t.Certificates {
		if err := loadPair(p.CertFile, p.KeyFile, fmt.Sprintf(" %d/%d", i+1, len(t.Certificates))); err != nil {
			return err
		}
	}
	if t.CaFile != "" {
		pem, err := os.ReadFile(t.CaFile)
		if err != nil {
			return err
		}
		if !x509.NewCertPool().AppendCertsFromPEM(pem) {
			return fmt.Errorf("failed to parse root ca certificate")
		}
	}
	return nil
}

// loadPair loads a certificate and its key; which is " i/n" for lists.
func loadPair(certFile, keyFile, which string) error {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return fmt.Errorf("error parsing X509 certificate/key pair%s: %v", which, err)
	}
	if _, err := x509.ParseCertificate(cert.Certificate[0]); err != nil {
		return fmt.Errorf("error parsing certificate%s: %v", which, err)
	}
	return nil
}

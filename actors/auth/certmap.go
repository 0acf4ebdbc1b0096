package auth

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"strings"
)

// certNames offers the identities a client certificate carries to match,
// in nats-server's order (verify_and_map): its email addresses, DNS names
// and URIs, then its subject as an RDN sequence with the domain
// components appended, then the subject alone. It stops when match says
// so. (nats-server also matches a user whose name is a DN equal to the
// subject up to attribute order; leafhub compares the strings only.)
func certNames(cert *x509.Certificate, match func(string) bool) {
	if cert == nil {
		return
	}
	for _, e := range cert.EmailAddresses {
		if match(e) {
			return
		}
	}
	for _, d := range cert.DNSNames {
		if match(d) {
			return
		}
	}
	for _, u := range cert.URIs {
		if match(u.String()) {
			return
		}
	}
	rdn := cert.Subject.ToRDNSequence().String()
	var seq pkix.RDNSequence
	if _, err := asn1.Unmarshal(cert.RawSubject, &seq); err == nil {
		if dcs := domainComponents(seq); dcs != "" && match(rdn+","+dcs) {
			return
		}
	}
	match(rdn)
}

// oidDomainComponent is the DC attribute (0.9.2342.19200300.100.1.25).
var oidDomainComponent = asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}

// domainComponents lists a subject's DC attributes as "DC=a,DC=b".
func domainComponents(seq pkix.RDNSequence) string {
	var dcs []string
	for _, rdn := range seq {
		for _, atv := range rdn {
			if atv.Type.Equal(oidDomainComponent) {
				if v, ok := atv.Value.(string); ok {
					dcs = append(dcs, "DC="+v)
				}
			}
		}
	}
	return strings.Join(dcs, ",")
}

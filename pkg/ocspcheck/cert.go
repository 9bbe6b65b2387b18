package ocspcheck

import (
	"crypto/x509"
	"encoding/asn1"
	"time"

	"github.com/certgate/certgate/pkg/result"
)

// OIDTLSFeature is the TLS feature extension (RFC 7633) that makes a
// certificate must-staple when it lists status_request.
var OIDTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}

// OIDCertificateSCTs is the certificate extension that embeds a list of
// signed certificate timestamps (RFC 6962 section 3.3).
var OIDCertificateSCTs = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}

// statusRequest is the TLS extension number of status_request (RFC 6066).
const statusRequest = 5

// MustStaple reports whether c carries the TLS feature extension listing
// status_request: a client that honours it refuses the connection when
// the server staples no OCSP response.
func MustStaple(c *x509.Certificate) bool {
	if c == nil {
		return false
	}
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(OIDTLSFeature) {
			continue
		}
		var features []int
		if rest, err := asn1.Unmarshal(ext.Value, &features); err != nil || len(rest) > 0 {
			return false
		}
		for _, f := range features {
			if f == statusRequest {
				return true
			}
		}
	}
	return false
}

// CertificateSCTs counts the signed certificate timestamps embedded in c;
// 0 when it has none or the list does not parse.
func CertificateSCTs(c *x509.Certificate) int {
	if c == nil {
		return 0
	}
	n := 0
	for _, ext := range c.Extensions {
		if ext.Id.Equal(OIDCertificateSCTs) {
			n += CountSCTs(ext.Value)
		}
	}
	return n
}

// Fill writes what the leaf and its stapled response say into f: whether
// a response was stapled, the checked staple, must-staple, and the SCTs
// of the certificate and of the staple. staple is the response the server
// sent (nil when none); issuer is the leaf's issuer, nil when unknown.
// SCTs from the TLS extension are the handshake's to count.
func Fill(f *result.Features, staple []byte, leaf, issuer *x509.Certificate, at time.Time) {
	f.MustStaple = MustStaple(leaf)
	f.SCTs.Certificate = CertificateSCTs(leaf)
	f.OCSPStapling = len(staple) > 0
	f.OCSP = nil
	f.SCTs.OCSP = 0
	if len(staple) == 0 || leaf == nil {
		return
	}
	r := Check(staple, leaf, issuer, at)
	f.OCSP = r.Staple()
	f.SCTs.OCSP = r.SCTs
}

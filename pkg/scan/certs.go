package scan

import (
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certgate/certgate/pkg/tlswire"
)

var (
	oidSCTList    = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
	oidTLSFeature = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}
)

// MustStaple reports whether the certificate carries the TLS feature
// extension (RFC 7633) with status_request.
func MustStaple(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if rest, err := asn1.Unmarshal(e.Value, &features); err == nil && len(rest) == 0 {
			return slices.Contains(features, int(tlswire.ExtStatusRequest))
		}
	}
	return false
}

// CertificateSCTs counts the signed certificate timestamps embedded in the
// certificate (RFC 6962 section 3.3); 0 when none or unreadable.
func CertificateSCTs(c *x509.Certificate) int {
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidSCTList) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(e.Value, &list); err == nil && len(rest) == 0 {
			n, _ := ParseSCTList(list)
			return n
		}
	}
	return 0
}

// ParseSCTList counts the entries of a TLS-encoded
// SignedCertificateTimestampList (RFC 6962 section 3.3), as the certificate
// extension and the TLS extension carry it.
func ParseSCTList(b []byte) (int, error) {
	s := cryptobyte.String(b)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return 0, fmt.Errorf("SCT list: bad length")
	}
	n := 0
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return 0, fmt.Errorf("SCT list: entry %d: bad length", n)
		}
		n++
	}
	return n, nil
}

// groupLabel names the key exchange group of a negotiation for a client
// simulation: the group's name, or "DH <bits>" for a DHE prime.
func groupLabel(group uint16, dhBits int) string {
	switch {
	case group != 0:
		return tlswire.GroupName(group)
	case dhBits > 0:
		return fmt.Sprintf("DH %d", dhBits)
	}
	return ""
}

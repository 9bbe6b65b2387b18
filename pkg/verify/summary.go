package verify

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"

	"github.com/certgate/certgate/pkg/result"
)

// Summarize turns presented certificates into their result summaries, in
// the order presented.
func Summarize(certs []*x509.Certificate) []result.Cert {
	out := make([]result.Cert, 0, len(certs))
	for _, c := range certs {
		out = append(out, SummarizeOne(c))
	}
	return out
}

// SummarizeOne summarises one certificate.
func SummarizeOne(c *x509.Certificate) result.Cert {
	sum := sha256.Sum256(c.Raw)
	ips := make([]string, 0, len(c.IPAddresses))
	for _, ip := range c.IPAddresses {
		ips = append(ips, ip.String())
	}
	dns := c.DNSNames
	if dns == nil {
		dns = []string{}
	}
	serial := ""
	if c.SerialNumber != nil {
		serial = hex.EncodeToString(c.SerialNumber.Bytes())
	}
	return result.Cert{
		Subject:     c.Subject.String(),
		Issuer:      c.Issuer.String(),
		Serial:      serial,
		NotBefore:   c.NotBefore.UTC(),
		NotAfter:    c.NotAfter.UTC(),
		SHA256:      hex.EncodeToString(sum[:]),
		Key:         KeyDescription(c),
		Signature:   c.SignatureAlgorithm.String(),
		DNSNames:    dns,
		IPAddresses: ips,
		IsCA:        c.IsCA,
		X509:        c,
	}
}

// KeyDescription names a certificate's public key: "RSA 2048", "ECDSA P-256",
// "Ed25519".
func KeyDescription(c *x509.Certificate) string {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	}
	return c.PublicKeyAlgorithm.String()
}

package testpki

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"time"
)

// Option edits a certificate template before it is signed. Any function of
// this type works; the ones below cover the usual edits.
type Option func(*x509.Certificate)

// WithKey gives the certificate a fresh key of kind spec instead of ECDSA
// P-256.
func WithKey(spec KeySpec) Option {
	return func(c *x509.Certificate) { c.PublicKey = spec }
}

// UseKey gives the certificate the public half of key, and the CA or Leaf
// made keeps key as its Key.
func UseKey(key crypto.Signer) Option {
	return func(c *x509.Certificate) { c.PublicKey = key }
}

// Validity sets the validity window.
func Validity(notBefore, notAfter time.Time) Option {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = notBefore, notAfter }
}

// DNS sets the DNS subjectAltNames, and the subject CN to the first of
// them, as public CAs issue them.
func DNS(names ...string) Option {
	return func(c *x509.Certificate) {
		c.DNSNames = names
		if len(names) > 0 {
			c.Subject.CommonName = names[0]
		}
	}
}

// RawDNS sets the DNS subjectAltNames as given and leaves the subject
// alone: no check is made, so names may hold NUL bytes or anything else
// IA5String allows.
func RawDNS(names ...string) Option {
	return func(c *x509.Certificate) { c.DNSNames = names }
}

// IPs sets the IP subjectAltNames, and drops the default DNS name; give
// DNS after IPs for a certificate with both.
func IPs(ips ...string) Option {
	return func(c *x509.Certificate) {
		c.IPAddresses = nil
		c.DNSNames = nil
		if len(ips) > 0 {
			c.Subject.CommonName = ips[0]
		}
		for _, s := range ips {
			c.IPAddresses = append(c.IPAddresses, net.ParseIP(s))
		}
	}
}

// CN sets the subject common name.
func CN(name string) Option {
	return func(c *x509.Certificate) { c.Subject.CommonName = name }
}

// Subject replaces the whole subject name, as given.
func Subject(name pkix.Name) Option {
	return func(c *x509.Certificate) { c.Subject = name }
}

// Serial sets the serial number.
func Serial(n int64) Option {
	return func(c *x509.Certificate) { c.SerialNumber = big.NewInt(n) }
}

// AIA sets the CA Issuers URL.
func AIA(url string) Option {
	return func(c *x509.Certificate) { c.IssuingCertificateURL = []string{url} }
}

// OCSP sets the OCSP responder URL.
func OCSP(url string) Option {
	return func(c *x509.Certificate) { c.OCSPServer = []string{url} }
}

// CRL sets the CRL distribution point URL.
func CRL(url string) Option {
	return func(c *x509.Certificate) { c.CRLDistributionPoints = []string{url} }
}

// IsCA sets the basicConstraints cA flag (and makes basicConstraints
// present).
func IsCA(ca bool) Option {
	return func(c *x509.Certificate) { c.IsCA, c.BasicConstraintsValid = ca, true }
}

// MaxPathLen sets the basicConstraints pathLenConstraint; n < 0 removes it.
func MaxPathLen(n int) Option {
	return func(c *x509.Certificate) {
		c.BasicConstraintsValid = true
		c.MaxPathLen, c.MaxPathLenZero = n, n == 0
	}
}

// KeyUsage sets the key usage bits.
func KeyUsage(ku x509.KeyUsage) Option {
	return func(c *x509.Certificate) { c.KeyUsage = ku }
}

// EKU sets the extended key usages; none removes the extension.
func EKU(ekus ...x509.ExtKeyUsage) Option {
	return func(c *x509.Certificate) { c.ExtKeyUsage = ekus }
}

// PermitDNS adds a critical name constraint permitting the given DNS
// subtrees.
func PermitDNS(domains ...string) Option {
	return func(c *x509.Certificate) {
		c.PermittedDNSDomains = append(c.PermittedDNSDomains, domains...)
		c.PermittedDNSDomainsCritical = true
	}
}

// ExcludeDNS adds a name constraint excluding the given DNS subtrees.
func ExcludeDNS(domains ...string) Option {
	return func(c *x509.Certificate) { c.ExcludedDNSDomains = append(c.ExcludedDNSDomains, domains...) }
}

// SignatureAlgorithm sets the algorithm the issuer signs with (it must fit
// the issuer's key).
func SignatureAlgorithm(alg x509.SignatureAlgorithm) Option {
	return func(c *x509.Certificate) { c.SignatureAlgorithm = alg }
}

// Extension adds a raw extension with the given OID and DER value.
func Extension(id asn1.ObjectIdentifier, critical bool, value []byte) Option {
	return func(c *x509.Certificate) {
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{Id: id, Critical: critical, Value: value})
	}
}

package faultserver

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"time"

	"github.com/certgate/certgate/internal/testpki"
)

// Epoch is the "now" around which certificates get their default validity
// window: package testpki's Epoch, so tests pin --at to one value.
var Epoch = testpki.Epoch

// Option edits a certificate template before it is signed: package
// testpki's options all apply.
type Option = testpki.Option

// Validity sets the validity window.
func Validity(notBefore, notAfter time.Time) Option {
	return testpki.Validity(notBefore, notAfter)
}

// DNS sets the DNS subjectAltNames, as given: no check is made, so names may
// hold NUL bytes or anything else IA5String allows.
func DNS(names ...string) Option { return testpki.RawDNS(names...) }

// Subject sets the subject's common name, organization and organizational
// unit, as given: they may hold escape sequences, carriage returns or
// bidirectional overrides.
func Subject(cn, org, unit string) Option {
	return testpki.Subject(pkix.Name{CommonName: cn, Organization: []string{org}, OrganizationalUnit: []string{unit}})
}

// paddingOID is a private-arc OID for the padding extension.
var paddingOID = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1}

// Padding adds a non-critical private extension of size bytes, to make a
// certificate as large as wanted.
func Padding(size int) Option { return testpki.Extension(paddingOID, false, make([]byte, size)) }

// URLs points every URL a client could fetch on its own at u: the CA
// Issuers (AIA), OCSP responder and CRL distribution point.
func URLs(u string) Option {
	return func(c *x509.Certificate) {
		testpki.AIA(u + "/issuer.crt")(c)
		testpki.OCSP(u + "/ocsp")(c)
		testpki.CRL(u + "/crl")(c)
	}
}

// CA is a certificate authority made here.
type CA struct {
	// Cert is the CA's certificate.
	Cert *x509.Certificate
	ca   *testpki.CA
}

// NewRoot makes a self-signed root CA named name, valid from five years
// before Epoch to ten years after.
func NewRoot(name string) (*CA, error) {
	ca, err := testpki.MakeRoot(name, testpki.Subject(pkix.Name{CommonName: name, Organization: []string{"certgate faultserver"}}))
	if err != nil {
		return nil, fmt.Errorf("faultserver: %w", err)
	}
	return &CA{Cert: ca.Cert, ca: ca}, nil
}

// Intermediate returns a CA certificate named name issued by ca.
func (ca *CA) Intermediate(name string) (*CA, error) {
	next, err := ca.ca.MakeIntermediate(name, testpki.Subject(pkix.Name{CommonName: name, Organization: []string{"certgate faultserver"}}))
	if err != nil {
		return nil, fmt.Errorf("faultserver: %w", err)
	}
	return &CA{Cert: next.Cert, ca: next}, nil
}

// Leaf returns a server certificate issued by ca for "example.test", valid
// from 30 days before Epoch to 60 days after, edited by opts, presented
// with nothing after it.
func (ca *CA) Leaf(opts ...Option) (tls.Certificate, error) {
	l, err := ca.ca.MakeLeaf(opts...)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("faultserver: %w", err)
	}
	return l.TLSCert(), nil
}

// Chain returns a leaf for "example.test" under a line of n-1 intermediates
// below ca (each issuing the next), presented leaf first, then the
// intermediates from the lowest up: n certificates in all.
func (ca *CA) Chain(n int) (tls.Certificate, error) {
	issuer := ca
	var inters []*x509.Certificate
	for i := 1; i < n; i++ {
		next, err := issuer.Intermediate(fmt.Sprintf("Chain Intermediate %d", i))
		if err != nil {
			return tls.Certificate{}, err
		}
		inters = append(inters, next.Cert)
		issuer = next
	}
	leaf, err := issuer.Leaf()
	if err != nil {
		return tls.Certificate{}, err
	}
	for i := len(inters) - 1; i >= 0; i-- {
		leaf.Certificate = append(leaf.Certificate, inters[i].Raw)
	}
	return leaf, nil
}

// Malformed returns a certificate whose DER is garbage: a SEQUENCE header
// followed by bytes that are not a certificate. crypto/tls's server sends
// Certificate entries as given, so the client receives it as is. The key is
// real, so a TLS 1.3 server can still sign its CertificateVerify.
func Malformed() (tls.Certificate, error) {
	key, err := testpki.GenerateKey(testpki.KeySpec{})
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("faultserver: %w", err)
	}
	garbage := append([]byte{0x30, 0x82, 0x01, 0x00}, []byte("\x02\x01\x00not a certificate \x1b[31m\xff\xfe")...)
	for len(garbage) < 0x104 {
		garbage = append(garbage, 0xA5)
	}
	return tls.Certificate{Certificate: [][]byte{garbage}, PrivateKey: key}, nil
}

// Config returns a TLS server configuration presenting cert. Session
// tickets are off: a TLS 1.3 server sends them right after its first flight,
// and a client that closes without reading them makes the kernel reset the
// connection, which would hide what the client sent last.
func Config(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: true}
}

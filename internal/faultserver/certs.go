package faultserver

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"
)

var serial atomic.Int64

// Epoch is the "now" around which certificates get their default validity
// window: the same instant as package testpki's Epoch, so tests pin --at to
// one value.
var Epoch = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// Option edits a certificate template before it is signed.
type Option func(*x509.Certificate)

// Validity sets the validity window.
func Validity(notBefore, notAfter time.Time) Option {
	return func(c *x509.Certificate) { c.NotBefore, c.NotAfter = notBefore, notAfter }
}

// DNS sets the DNS subjectAltNames, as given: no check is made, so names may
// hold NUL bytes or anything else IA5String allows.
func DNS(names ...string) Option {
	return func(c *x509.Certificate) { c.DNSNames = names }
}

// Subject sets the subject's common name, organization and organizational
// unit, as given: they may hold escape sequences, carriage returns or
// bidirectional overrides.
func Subject(cn, org, unit string) Option {
	return func(c *x509.Certificate) {
		c.Subject = pkix.Name{CommonName: cn, Organization: []string{org}, OrganizationalUnit: []string{unit}}
	}
}

// Padding adds a non-critical private extension of size bytes, to make a
// certificate as large as wanted.
func Padding(size int) Option {
	return func(c *x509.Certificate) {
		c.ExtraExtensions = append(c.ExtraExtensions, pkix.Extension{
			Id:    asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 1},
			Value: make([]byte, size),
		})
	}
}

// URLs points every URL a client could fetch on its own at u: the CA
// Issuers (AIA), OCSP responder and CRL distribution point.
func URLs(u string) Option {
	return func(c *x509.Certificate) {
		c.IssuingCertificateURL = []string{u + "/issuer.crt"}
		c.OCSPServer = []string{u + "/ocsp"}
		c.CRLDistributionPoints = []string{u + "/crl"}
	}
}

// CA is a certificate authority made here.
type CA struct {
	// Cert is the CA's certificate.
	Cert *x509.Certificate
	key  crypto.Signer
}

// NewRoot makes a self-signed root CA named name, valid from five years
// before Epoch to ten years after.
func NewRoot(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("faultserver: generate key: %w", err)
	}
	tmpl := caTemplate(name)
	cert, err := sign(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, key: key}, nil
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"certgate faultserver"}},
		NotBefore:             Epoch.AddDate(-5, 0, 0),
		NotAfter:              Epoch.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func sign(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("faultserver: sign %q: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("faultserver: parse %q: %w", tmpl.Subject.CommonName, err)
	}
	return c, nil
}

// Intermediate returns a CA certificate named name issued by ca.
func (ca *CA) Intermediate(name string) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("faultserver: generate key: %w", err)
	}
	c, err := sign(caTemplate(name), ca.Cert, key.Public(), ca.key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, key: key}, nil
}

// Leaf returns a server certificate issued by ca for "example.test", valid
// from 30 days before Epoch to 60 days after, edited by opts, presented
// with nothing after it.
func (ca *CA) Leaf(opts ...Option) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("faultserver: generate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: "example.test"},
		DNSNames:     []string{"example.test"},
		NotBefore:    Epoch.AddDate(0, 0, -30),
		NotAfter:     Epoch.AddDate(0, 0, 60),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, o := range opts {
		o(tmpl)
	}
	c, err := sign(tmpl, ca.Cert, key.Public(), ca.key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{c.Raw}, PrivateKey: key, Leaf: c}, nil
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
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("faultserver: generate key: %w", err)
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

// Package testpki makes certificate hierarchies and TLS servers for tests
// and test tools: roots, intermediates and leaves minted with crypto/x509,
// and real TLS listeners on 127.0.0.1:0.
//
// The Make* functions and methods return errors and suit programs (fault
// servers, benchmarks); NewRoot, CA.Intermediate, CA.Leaf, SelfSigned and
// Key wrap them for tests and fail the test on an error. Every certificate
// is shaped by Options, applied in order to a template with sensible
// defaults; the subject key is ECDSA P-256 unless WithKey or UseKey says
// otherwise.
package testpki

import (
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync/atomic"
	"time"
)

// Epoch is the fixed "now" of tests: certificates default to a validity
// window around it.
var Epoch = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var serial atomic.Int64

// CA is a certificate authority: a root or an intermediate.
type CA struct {
	// Cert is the CA's certificate.
	Cert *x509.Certificate
	// Key is the CA's private key, which signs what it issues.
	Key crypto.Signer
}

// Leaf is an end-entity certificate with its key.
type Leaf struct {
	// Cert is the certificate.
	Cert *x509.Certificate
	// Key is the private key of the certificate's public key.
	Key crypto.Signer
}

func caTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: name, Organization: []string{"certgate test"}},
		NotBefore:             Epoch.AddDate(-5, 0, 0),
		NotAfter:              Epoch.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
}

func leafTemplate() *x509.Certificate {
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial.Add(1)),
		Subject:      pkix.Name{CommonName: "example.test"},
		DNSNames:     []string{"example.test"},
		NotBefore:    Epoch.AddDate(0, 0, -30),
		NotAfter:     Epoch.AddDate(0, 0, 60),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
}

// issue applies opts to tmpl, finds or makes the subject key, and signs
// the certificate with signerKey under parent (tmpl itself and the subject
// key when parent is nil).
func issue(tmpl, parent *x509.Certificate, signerKey crypto.Signer, opts []Option) (*x509.Certificate, crypto.Signer, error) {
	for _, o := range opts {
		o(tmpl)
	}
	key, err := subjectKey(tmpl)
	if err != nil {
		return nil, nil, err
	}
	if parent == nil {
		parent, signerKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signerKey)
	if err != nil {
		return nil, nil, fmt.Errorf("testpki: sign %q: %w", tmpl.Subject.CommonName, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("testpki: parse %q: %w", tmpl.Subject.CommonName, err)
	}
	return c, key, nil
}

// MakeRoot makes a self-signed root CA named name, valid from five years
// before Epoch to ten years after, edited by opts.
func MakeRoot(name string, opts ...Option) (*CA, error) {
	c, key, err := issue(caTemplate(name), nil, nil, opts)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key}, nil
}

// MakeIntermediate makes a CA certificate named name issued by ca, valid
// from two years before Epoch to five years after, edited by opts.
func (ca *CA) MakeIntermediate(name string, opts ...Option) (*CA, error) {
	tmpl := caTemplate(name)
	tmpl.NotBefore, tmpl.NotAfter = Epoch.AddDate(-2, 0, 0), Epoch.AddDate(5, 0, 0)
	c, key, err := issue(tmpl, ca.Cert, ca.Key, opts)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: c, Key: key}, nil
}

// MakeLeaf makes a server certificate issued by ca, valid by default for
// "example.test" from 30 days before Epoch to 60 days after, edited by opts.
func (ca *CA) MakeLeaf(opts ...Option) (*Leaf, error) {
	c, key, err := issue(leafTemplate(), ca.Cert, ca.Key, opts)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: c, Key: key}, nil
}

// MakeSelfSigned makes a self-signed server certificate, by default for
// "example.test" with the validity of MakeLeaf, edited by opts.
func MakeSelfSigned(opts ...Option) (*Leaf, error) {
	tmpl := leafTemplate()
	tmpl.KeyUsage |= x509.KeyUsageCertSign
	tmpl.BasicConstraintsValid = true
	c, key, err := issue(tmpl, nil, nil, opts)
	if err != nil {
		return nil, err
	}
	return &Leaf{Cert: c, Key: key}, nil
}

// TLSCert returns a tls.Certificate that presents the leaf followed by chain.
func (l *Leaf) TLSCert(chain ...*x509.Certificate) tls.Certificate {
	tc := tls.Certificate{PrivateKey: l.Key, Leaf: l.Cert, Certificate: [][]byte{l.Cert.Raw}}
	for _, c := range chain {
		tc.Certificate = append(tc.Certificate, c.Raw)
	}
	return tc
}

// PEM encodes certificates as one PEM bundle.
func PEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM encodes a private key as a PKCS#8 "PRIVATE KEY" PEM block.
func KeyPEM(key crypto.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("testpki: encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

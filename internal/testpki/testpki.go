// Package testpki makes certificate hierarchies and TLS servers for tests:
// roots, intermediates and leaves minted in the test with crypto/x509, and
// real TLS listeners on 127.0.0.1:0. It is for tests only.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// Epoch is the fixed "now" of tests: certificates default to a validity
// window around it.
var Epoch = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

var serial atomic.Int64

// Option edits a certificate template before it is signed.
type Option func(*x509.Certificate)

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

// AIA sets the CA Issuers URL.
func AIA(url string) Option {
	return func(c *x509.Certificate) { c.IssuingCertificateURL = []string{url} }
}

// CA is a certificate authority: a root or an intermediate.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Leaf is an end-entity certificate with its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

func newKey(t testing.TB) crypto.Signer {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
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

// NewRoot makes a self-signed root CA.
func NewRoot(t testing.TB, name string, opts ...Option) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := caTemplate(name)
	for _, o := range opts {
		o(tmpl)
	}
	return &CA{Cert: sign(t, tmpl, tmpl, key.Public(), key), Key: key}
}

// Intermediate makes a CA certificate issued by ca.
func (ca *CA) Intermediate(t testing.TB, name string, opts ...Option) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := caTemplate(name)
	tmpl.NotBefore, tmpl.NotAfter = Epoch.AddDate(-2, 0, 0), Epoch.AddDate(5, 0, 0)
	for _, o := range opts {
		o(tmpl)
	}
	return &CA{Cert: sign(t, tmpl, ca.Cert, key.Public(), ca.Key), Key: key}
}

// Leaf makes a server certificate issued by ca, valid by default for
// "example.test" from 30 days before Epoch to 60 days after.
func (ca *CA) Leaf(t testing.TB, opts ...Option) *Leaf {
	t.Helper()
	key := newKey(t)
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
	return &Leaf{Cert: sign(t, tmpl, ca.Cert, key.Public(), ca.Key), Key: key}
}

// SelfSigned makes a self-signed server certificate for the given names.
func SelfSigned(t testing.TB, opts ...Option) *Leaf {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial.Add(1)),
		Subject:               pkix.Name{CommonName: "example.test"},
		DNSNames:              []string{"example.test"},
		NotBefore:             Epoch.AddDate(0, 0, -30),
		NotAfter:              Epoch.AddDate(0, 0, 60),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, o := range opts {
		o(tmpl)
	}
	return &Leaf{Cert: sign(t, tmpl, tmpl, key.Public(), key), Key: key}
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

// WritePEM writes certificates to a PEM file in a test temp dir and returns
// its path.
func WritePEM(t testing.TB, name string, certs ...*x509.Certificate) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, PEM(certs...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Serve starts a TLS server on 127.0.0.1:0 that completes handshakes with
// cfg and then closes the connection. It returns the listener address.
func Serve(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	return ln.Addr().String()
}

// ServeCert starts a TLS server presenting the leaf and chain.
func ServeCert(t testing.TB, l *Leaf, chain ...*x509.Certificate) string {
	t.Helper()
	return Serve(t, &tls.Config{Certificates: []tls.Certificate{l.TLSCert(chain...)}})
}

// ServeRaw starts a TCP server on 127.0.0.1:0 that hands each connection to
// handle (for peers that do not speak TLS).
func ServeRaw(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// ClosedPort returns a loopback address that refuses connections.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

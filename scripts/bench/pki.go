package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"runtime"
	"sync"
	"time"
)

// pki is the bench's CA hierarchy, shaped like a public CA's: an RSA-4096
// root, an ECDSA P-384 intermediate, and ECDSA P-256 leaves, one per target
// address (each target is a distinct endpoint with its own certificate behind
// the same CA, as a fleet is).
type pki struct {
	root, inter *x509.Certificate
	interKey    crypto.Signer
	serial      int64
	mu          sync.Mutex
}

func newPKI() (*pki, error) {
	rootKey, err := rsa.GenerateKey(rand.Reader, 4096)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	rootTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "certgate bench root", Organization: []string{"certgate bench"}},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(10 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	root, err := signCert(rootTmpl, rootTmpl, rootKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	interKey, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		return nil, err
	}
	interTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(2),
		Subject:               pkix.Name{CommonName: "certgate bench E1", Organization: []string{"certgate bench"}},
		NotBefore:             now.Add(-24 * time.Hour),
		NotAfter:              now.Add(3 * 365 * 24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	inter, err := signCert(interTmpl, root, interKey.Public(), rootKey)
	if err != nil {
		return nil, err
	}
	return &pki{root: root, inter: inter, interKey: interKey, serial: 100}, nil
}

func signCert(tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer) (*x509.Certificate, error) {
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		return nil, fmt.Errorf("create certificate %q: %w", tmpl.Subject.CommonName, err)
	}
	return x509.ParseCertificate(der)
}

// leaf mints a 90-day leaf for ip, served with the intermediate.
func (p *pki) leaf(ip net.IP) (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.serial++
	serial := p.serial
	p.mu.Unlock()
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(serial),
		Subject:               pkix.Name{CommonName: ip.String()},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(90 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IPAddresses:           []net.IP{ip},
		IssuingCertificateURL: []string{"http://bench.invalid/e1.der"},
	}
	c, err := signCert(tmpl, p.inter, key.Public(), p.interKey)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{c.Raw, p.inter.Raw}, PrivateKey: key, Leaf: c}, nil
}

// leaves mints one leaf per address, on every CPU.
func (p *pki) leaves(ips []net.IP) (map[string]*tls.Certificate, error) {
	out := make(map[string]*tls.Certificate, len(ips))
	var mu sync.Mutex
	var firstErr error
	work := make(chan net.IP)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for ip := range work {
				c, err := p.leaf(ip)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				out[ip.String()] = c
				mu.Unlock()
			}
		})
	}
	for _, ip := range ips {
		work <- ip
	}
	close(work)
	wg.Wait()
	return out, firstErr
}

func pemOf(certs ...*x509.Certificate) []byte {
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return b
}

func keyPEM(key crypto.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

package main

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net"
	"runtime"
	"sync"
	"time"

	"github.com/certgate/certgate/internal/testpki"
)

// pki is the bench's CA hierarchy, shaped like a public CA's: an RSA-4096
// root, an ECDSA P-384 intermediate, and ECDSA P-256 leaves, one per target
// address (each target is a distinct endpoint with its own certificate behind
// the same CA, as a fleet is). It is valid around the real clock, as the
// bench runs certgate without --at.
type pki struct {
	root, inter *x509.Certificate
	issuer      *testpki.CA
}

// benchSubject names a bench CA.
func benchSubject(cn string) testpki.Option {
	return testpki.Subject(pkix.Name{CommonName: cn, Organization: []string{"certgate bench"}})
}

func newPKI() (*pki, error) {
	now := time.Now()
	root, err := testpki.MakeRoot("certgate bench root", benchSubject("certgate bench root"),
		testpki.WithKey(testpki.RSA(4096)),
		testpki.Validity(now.Add(-24*time.Hour), now.Add(10*365*24*time.Hour)))
	if err != nil {
		return nil, err
	}
	inter, err := root.MakeIntermediate("certgate bench E1", benchSubject("certgate bench E1"),
		testpki.WithKey(testpki.ECDSA(384)),
		testpki.Validity(now.Add(-24*time.Hour), now.Add(3*365*24*time.Hour)),
		testpki.MaxPathLen(0),
		testpki.KeyUsage(x509.KeyUsageCertSign|x509.KeyUsageCRLSign|x509.KeyUsageDigitalSignature),
		testpki.EKU(x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth))
	if err != nil {
		return nil, err
	}
	return &pki{root: root.Cert, inter: inter.Cert, issuer: inter}, nil
}

// leaf mints a 90-day leaf for ip, served with the intermediate.
func (p *pki) leaf(ip net.IP) (*tls.Certificate, error) {
	now := time.Now()
	l, err := p.issuer.MakeLeaf(
		testpki.IPs(ip.String()),
		testpki.Validity(now.Add(-time.Hour), now.Add(90*24*time.Hour)),
		testpki.IsCA(false),
		testpki.AIA("http://bench.invalid/e1.der"))
	if err != nil {
		return nil, err
	}
	c := l.TLSCert(p.inter)
	return &c, nil
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

// pemOf and keyPEM encode what the bench writes for certgate to read.
var (
	pemOf  = testpki.PEM
	keyPEM = testpki.KeyPEM
)

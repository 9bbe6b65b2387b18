package main

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"net"
	"testing"
	"time"
)

// TestPKIShape checks the bench hierarchy is what it claims to be: an
// RSA-4096 root, a P-384 intermediate with pathlen 0, and P-256 IP leaves
// that verify now.
func TestPKIShape(t *testing.T) {
	p, err := newPKI()
	if err != nil {
		t.Fatal(err)
	}
	ip := net.IPv4(127, 1, 0, 1).To4()
	leaf, err := p.leaf(ip)
	if err != nil {
		t.Fatal(err)
	}
	if k, ok := p.root.PublicKey.(*rsa.PublicKey); !ok || k.N.BitLen() != 4096 {
		t.Errorf("root key %T, want RSA 4096", p.root.PublicKey)
	}
	if k, ok := p.inter.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve.Params().BitSize != 384 {
		t.Errorf("intermediate key %T, want ECDSA P-384", p.inter.PublicKey)
	}
	if !p.inter.MaxPathLenZero || p.inter.MaxPathLen != 0 {
		t.Errorf("intermediate pathlen %d (zero %v), want 0", p.inter.MaxPathLen, p.inter.MaxPathLenZero)
	}
	if k, ok := leaf.Leaf.PublicKey.(*ecdsa.PublicKey); !ok || k.Curve.Params().BitSize != 256 {
		t.Errorf("leaf key %T, want ECDSA P-256", leaf.Leaf.PublicKey)
	}
	if len(leaf.Certificate) != 2 {
		t.Errorf("leaf presents %d certificates, want leaf and intermediate", len(leaf.Certificate))
	}
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(p.root)
	inters.AddCert(p.inter)
	if _, err := leaf.Leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: time.Now()}); err != nil {
		t.Errorf("leaf does not verify now: %v", err)
	}
	if err := leaf.Leaf.VerifyHostname(ip.String()); err != nil {
		t.Errorf("leaf does not name %s: %v", ip, err)
	}
	if _, err := keyPEM(leaf.PrivateKey); err != nil {
		t.Error(err)
	}
}

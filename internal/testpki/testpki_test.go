package testpki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"
)

func TestKeySpecs(t *testing.T) {
	tests := []struct {
		spec KeySpec
		want string
	}{
		{KeySpec{}, "ECDSA P-256"},
		{ECDSA(384), "ECDSA P-384"},
		{ECDSA(521), "ECDSA P-521"},
		{RSA(1024), "RSA 1024"},
		{RSA(0), "RSA 2048"},
		{Ed25519, "Ed25519"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.spec.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			l := SelfSigned(t, WithKey(tt.spec))
			var got string
			switch k := l.Cert.PublicKey.(type) {
			case *rsa.PublicKey:
				got = RSA(k.N.BitLen()).String()
			case *ecdsa.PublicKey:
				got = "ECDSA " + k.Curve.Params().Name
			case ed25519.PublicKey:
				got = "Ed25519"
			}
			if got != tt.want {
				t.Errorf("certificate key %s, want %s", got, tt.want)
			}
			if !l.Key.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(l.Cert.PublicKey) {
				t.Error("Leaf.Key does not match the certificate")
			}
		})
	}
}

func TestGenerateKeyErrors(t *testing.T) {
	for _, spec := range []KeySpec{ECDSA(224), {Algorithm: x509.DSA}} {
		if _, err := GenerateKey(spec); err == nil {
			t.Errorf("GenerateKey(%+v) succeeded, want an error", spec)
		}
		if _, err := MakeRoot("bad key", WithKey(spec)); err == nil {
			t.Errorf("MakeRoot(WithKey(%+v)) succeeded, want an error", spec)
		}
	}
}

func TestOptions(t *testing.T) {
	root := NewRoot(t, "Options Root", WithKey(RSA(2048)), MaxPathLen(1), PermitDNS("test"), ExcludeDNS("bad.test"))
	inter := root.Intermediate(t, "Options CA", MaxPathLen(0), SignatureAlgorithm(x509.SHA384WithRSA), EKU(x509.ExtKeyUsageServerAuth))
	own := Key(t, Ed25519)
	oid := asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 55555, 9}
	nb, na := Epoch.Add(-time.Hour), Epoch.Add(time.Hour)
	leaf := inter.Leaf(t, UseKey(own), Serial(4242), Validity(nb, na), IPs("127.0.0.1"), DNS("a.test", "b.test"),
		Subject(pkix.Name{CommonName: "subject.test", Organization: []string{"Org"}}), RawDNS("raw\x00.test"),
		AIA("http://ca.test/ca.crt"), OCSP("http://ca.test/ocsp"), CRL("http://ca.test/crl"),
		KeyUsage(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment), EKU(), IsCA(false),
		Extension(oid, false, []byte{5, 0}))

	if !root.Cert.IsCA || root.Cert.MaxPathLen != 1 || len(root.Cert.PermittedDNSDomains) != 1 || !root.Cert.PermittedDNSDomainsCritical || len(root.Cert.ExcludedDNSDomains) != 1 {
		t.Errorf("root constraints: CA %v pathlen %d permitted %v excluded %v", root.Cert.IsCA, root.Cert.MaxPathLen, root.Cert.PermittedDNSDomains, root.Cert.ExcludedDNSDomains)
	}
	if _, ok := root.Key.(*rsa.PrivateKey); !ok {
		t.Errorf("root key %T, want RSA", root.Key)
	}
	if inter.Cert.MaxPathLen != 0 || !inter.Cert.MaxPathLenZero || inter.Cert.SignatureAlgorithm != x509.SHA384WithRSA {
		t.Errorf("intermediate pathlen %d zero %v sigalg %v", inter.Cert.MaxPathLen, inter.Cert.MaxPathLenZero, inter.Cert.SignatureAlgorithm)
	}
	c := leaf.Cert
	checks := []struct {
		what string
		ok   bool
	}{
		{"own key kept", bytes.Equal(c.PublicKey.(ed25519.PublicKey), own.Public().(ed25519.PublicKey)) && bytes.Equal(leaf.Key.(ed25519.PrivateKey), own.(ed25519.PrivateKey))},
		{"serial", c.SerialNumber.Int64() == 4242},
		{"validity", c.NotBefore.Equal(nb) && c.NotAfter.Equal(na)},
		{"IP SAN", len(c.IPAddresses) == 1 && c.IPAddresses[0].String() == "127.0.0.1"},
		{"raw DNS SAN", len(c.DNSNames) == 1 && c.DNSNames[0] == "raw\x00.test"},
		{"subject", c.Subject.CommonName == "subject.test" && len(c.Subject.Organization) == 1},
		{"URLs", len(c.IssuingCertificateURL) == 1 && len(c.OCSPServer) == 1 && len(c.CRLDistributionPoints) == 1},
		{"key usage", c.KeyUsage == x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment},
		{"no EKU", len(c.ExtKeyUsage) == 0},
		{"basic constraints", c.BasicConstraintsValid && !c.IsCA},
		{"issuer", c.CheckSignatureFrom(inter.Cert) == nil},
	}
	for _, ch := range checks {
		if !ch.ok {
			t.Errorf("%s: not as set", ch.what)
		}
	}
	found := false
	for _, e := range c.Extensions {
		found = found || e.Id.Equal(oid)
	}
	if !found {
		t.Error("raw extension missing")
	}
}

func TestDefaults(t *testing.T) {
	root := NewRoot(t, "Default Root")
	leaf := root.Leaf(t)
	self := SelfSigned(t)
	if root.Cert.Subject.CommonName != "Default Root" || !root.Cert.IsCA || root.Cert.CheckSignatureFrom(root.Cert) != nil {
		t.Errorf("root: %v CA %v", root.Cert.Subject, root.Cert.IsCA)
	}
	if leaf.Cert.Subject.CommonName != "example.test" || leaf.Cert.VerifyHostname("example.test") != nil || leaf.Cert.IsCA {
		t.Errorf("leaf: %v", leaf.Cert.Subject)
	}
	if !leaf.Cert.NotBefore.Before(Epoch) || !leaf.Cert.NotAfter.After(Epoch) {
		t.Errorf("leaf validity %v–%v does not cover Epoch", leaf.Cert.NotBefore, leaf.Cert.NotAfter)
	}
	if self.Cert.CheckSignature(self.Cert.SignatureAlgorithm, self.Cert.RawTBSCertificate, self.Cert.Signature) != nil {
		t.Error("self-signed certificate does not verify with its own key")
	}
	if _, ok := leaf.Key.(*ecdsa.PrivateKey); !ok {
		t.Errorf("default key %T, want ECDSA", leaf.Key)
	}
	if leaf.Cert.SerialNumber.Cmp(root.Cert.SerialNumber) == 0 {
		t.Error("two certificates share a serial number")
	}
	if p, err := KeyPEM(leaf.Key); err != nil || !bytes.Contains(p, []byte("PRIVATE KEY")) {
		t.Errorf("KeyPEM: %v", err)
	}
}

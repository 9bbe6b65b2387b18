package ocspcheck

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/internal/testocsp"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// TestCertificateExtensions: must-staple and embedded SCTs read from
// certificates made in the test.
func TestCertificateExtensions(t *testing.T) {
	ca := testpki.NewRoot(t, "Extensions CA")
	feature := func(fs ...int) []byte {
		der, err := asn1.Marshal(fs)
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	tests := []struct {
		name       string
		opts       []testpki.Option
		mustStaple bool
		scts       int
	}{
		{"plain", nil, false, 0},
		{"must-staple", []testpki.Option{testpki.Extension(OIDTLSFeature, false, feature(5))}, true, 0},
		{"tls feature without status_request", []testpki.Option{testpki.Extension(OIDTLSFeature, false, feature(17))}, false, 0},
		{"malformed tls feature", []testpki.Option{testpki.Extension(OIDTLSFeature, false, []byte{0x04, 0x00})}, false, 0},
		{"two SCTs", []testpki.Option{testpki.Extension(OIDCertificateSCTs, false, testocsp.SCTListExtension(t, 2))}, false, 2},
		{"both", []testpki.Option{testpki.Extension(OIDTLSFeature, false, feature(5, 17)), testpki.Extension(OIDCertificateSCTs, false, testocsp.SCTListExtension(t, 3))}, true, 3},
	}
	for _, tt := range tests {
		c := ca.Leaf(t, tt.opts...).Cert
		if got := MustStaple(c); got != tt.mustStaple {
			t.Errorf("%s: MustStaple = %v, want %v", tt.name, got, tt.mustStaple)
		}
		if got := CertificateSCTs(c); got != tt.scts {
			t.Errorf("%s: CertificateSCTs = %d, want %d", tt.name, got, tt.scts)
		}
	}
	if MustStaple(nil) || CertificateSCTs(nil) != 0 {
		t.Error("nil certificate")
	}
}

// TestFill: the features of a must-staple leaf with and without a staple.
func TestFill(t *testing.T) {
	ca := testpki.NewRoot(t, "Fill CA")
	must, _ := asn1.Marshal([]int{5})
	leaf := ca.Leaf(t, testpki.OCSP("http://ocsp.example.test"), testpki.Extension(OIDTLSFeature, false, must),
		testpki.Extension(OIDCertificateSCTs, false, testocsp.SCTListExtension(t, 2))).Cert
	s := testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key}
	staple := s.Response(t, ocsp.Response{SerialNumber: leaf.SerialNumber, Status: ocsp.Good, ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: OIDSCTList, Value: testocsp.SCTListExtension(t, 1)}}})

	var f result.Features
	Fill(&f, staple, leaf, ca.Cert, at)
	if !f.OCSPStapling || !f.MustStaple || f.OCSP == nil || !f.OCSP.Valid || f.OCSP.Status != Good || f.SCTs.Certificate != 2 || f.SCTs.OCSP != 1 {
		t.Errorf("with staple: %+v (ocsp %+v)", f, f.OCSP)
	}
	Fill(&f, nil, leaf, ca.Cert, at)
	if f.OCSPStapling || f.OCSP != nil || f.SCTs.OCSP != 0 || !f.MustStaple {
		t.Errorf("without staple: %+v", f)
	}
}

package ocspcheck

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/internal/testocsp"
	"github.com/certgate/certgate/internal/testpki"
)

var at = testpki.Epoch

// TestCheck: every branch of a stapled response's check, with responses
// made in the test by ocsp.CreateResponse.
func TestCheck(t *testing.T) {
	root := testpki.NewRoot(t, "OCSP Test Root")
	ca := root.Intermediate(t, "OCSP Test CA")
	leaf := ca.Leaf(t, testpki.OCSP("http://ocsp.example.test"))
	other := ca.Leaf(t)
	delegate := ca.Leaf(t, testpki.CN("OCSP responder"), testpki.EKU(x509.ExtKeyUsageOCSPSigning))
	notDelegated := ca.Leaf(t, testpki.CN("not a responder"))
	stranger := root.Intermediate(t, "Other CA")
	strangerDelegate := stranger.Leaf(t, testpki.CN("stranger responder"), testpki.EKU(x509.ExtKeyUsageOCSPSigning))

	byIssuer := testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key}
	good := ocsp.Response{SerialNumber: leaf.Cert.SerialNumber, Status: ocsp.Good, ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(24 * time.Hour)}
	with := func(f func(*ocsp.Response)) ocsp.Response { r := good; f(&r); return r }

	tests := []struct {
		name   string
		der    []byte
		issuer *x509.Certificate
		status string
		err    error
		scts   int
	}{
		{name: "good, signed by the issuer", der: byIssuer.Response(t, good), issuer: ca.Cert, status: Good},
		{name: "revoked", der: byIssuer.Response(t, with(func(r *ocsp.Response) {
			r.Status, r.RevokedAt, r.RevocationReason = ocsp.Revoked, at.Add(-48*time.Hour), ocsp.KeyCompromise
		})), issuer: ca.Cert, status: Revoked},
		{name: "unknown", der: byIssuer.Response(t, with(func(r *ocsp.Response) { r.Status = ocsp.Unknown })), issuer: ca.Cert, status: Unknown},
		{name: "issuer embeds its own certificate", der: testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key, EmbedIssuer: true}.Response(t, good), issuer: ca.Cert, status: Good},
		{name: "issuer certificate embedded, other key", der: testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: stranger.Key, EmbedIssuer: true}.Response(t, good),
			issuer: ca.Cert, err: ErrMalformed},
		{name: "delegated responder", der: testocsp.Signer{Issuer: ca.Cert, Cert: delegate.Cert, Key: delegate.Key}.Response(t, good), issuer: ca.Cert, status: Good},
		{name: "responder without OCSPSigning", der: testocsp.Signer{Issuer: ca.Cert, Cert: notDelegated.Cert, Key: notDelegated.Key}.Response(t, good),
			issuer: ca.Cert, status: Good, err: ErrNotDelegated},
		{name: "responder of another CA", der: testocsp.Signer{Issuer: ca.Cert, Cert: strangerDelegate.Cert, Key: strangerDelegate.Key}.Response(t, good),
			issuer: ca.Cert, status: Good, err: ErrBadSignature},
		{name: "signed by another key, no certificate", der: testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: stranger.Key}.Response(t, good),
			issuer: ca.Cert, status: Good, err: ErrBadSignature},
		{name: "for another serial", der: byIssuer.Response(t, with(func(r *ocsp.Response) { r.SerialNumber = other.Cert.SerialNumber })),
			issuer: ca.Cert, status: Good, err: ErrWrongSerial},
		{name: "not yet valid", der: byIssuer.Response(t, with(func(r *ocsp.Response) { r.ThisUpdate = at.Add(time.Hour) })),
			issuer: ca.Cert, status: Good, err: ErrStale},
		{name: "expired", der: byIssuer.Response(t, with(func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = at.Add(-72*time.Hour), at.Add(-time.Hour)
		})), issuer: ca.Cert, status: Good, err: ErrStale},
		{name: "within skew", der: byIssuer.Response(t, with(func(r *ocsp.Response) {
			r.ThisUpdate, r.NextUpdate = at.Add(2*time.Minute), at.Add(time.Hour)
		})), issuer: ca.Cert, status: Good},
		{name: "no nextUpdate", der: byIssuer.Response(t, with(func(r *ocsp.Response) { r.NextUpdate = time.Time{} })), issuer: ca.Cert, status: Good},
		{name: "issuer unknown", der: byIssuer.Response(t, good), status: Good, err: ErrNoIssuer},
		{name: "garbage", der: []byte("not an OCSP response"), issuer: ca.Cert, err: ErrMalformed},
		{name: "empty", der: nil, issuer: ca.Cert, err: ErrMalformed},
		{name: "try later", der: ocsp.TryLaterErrorResponse, issuer: ca.Cert, err: ErrMalformed},
		{name: "three SCTs", der: byIssuer.Response(t, with(func(r *ocsp.Response) {
			r.ExtraExtensions = []pkix.Extension{{Id: OIDSCTList, Value: testocsp.SCTListExtension(t, 3)}}
		})), issuer: ca.Cert, status: Good, scts: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.der, leaf.Cert, tt.issuer, at)
			if tt.err == nil && got.Err != nil || tt.err != nil && !errors.Is(got.Err, tt.err) {
				t.Fatalf("err = %v, want %v", got.Err, tt.err)
			}
			if got.Status != tt.status {
				t.Errorf("status %q, want %q", got.Status, tt.status)
			}
			if got.SCTs != tt.scts {
				t.Errorf("SCTs %d, want %d", got.SCTs, tt.scts)
			}
			s := got.Staple()
			if s.Valid != (tt.err == nil) || s.Stale != errors.Is(tt.err, ErrStale) || (s.Error == "") != (tt.err == nil) {
				t.Errorf("staple %+v does not match err %v", s, tt.err)
			}
		})
	}
}

// TestCheckNoLeaf: without a certificate there is nothing to check a
// response for.
func TestCheckNoLeaf(t *testing.T) {
	if r := Check([]byte{0x30}, nil, nil, at); !errors.Is(r.Err, ErrMalformed) {
		t.Errorf("err = %v", r.Err)
	}
}

func TestCountSCTs(t *testing.T) {
	bad, _ := asn1.Marshal([]byte{0, 5, 0, 1})
	empty, _ := asn1.Marshal([]byte{0, 0})
	tests := []struct {
		name  string
		value []byte
		want  int
	}{
		{"none", testocsp.SCTListExtension(t, 0), 0},
		{"one", testocsp.SCTListExtension(t, 1), 1},
		{"five", testocsp.SCTListExtension(t, 5), 5},
		{"empty list", empty, 0},
		{"truncated", bad, 0},
		{"not an octet string", []byte{0x02, 0x01, 0x00}, 0},
		{"nothing", nil, 0},
	}
	for _, tt := range tests {
		if got := CountSCTs(tt.value); got != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestFresh(t *testing.T) {
	h := time.Hour
	tests := []struct {
		this, next time.Time
		want       bool
	}{
		{at.Add(-h), at.Add(h), true},
		{at.Add(-h), time.Time{}, true},
		{at.Add(Skew + time.Second), at.Add(h), false},
		{at.Add(-2 * h), at.Add(-Skew - time.Second), false},
		{at.Add(-2 * h), at.Add(-Skew), true},
	}
	for i, tt := range tests {
		if got := Fresh(tt.this, tt.next, at); got != tt.want {
			t.Errorf("%d: Fresh = %v, want %v", i, got, tt.want)
		}
	}
}

// FuzzCheck: no response, however malformed, makes Check panic, and a
// response that holds always says good, revoked or unknown.
func FuzzCheck(f *testing.F) {
	ca := testpki.NewRoot(f, "Fuzz CA")
	leaf := ca.Leaf(f)
	s := testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key}
	f.Add(s.Response(f, ocsp.Response{SerialNumber: leaf.Cert.SerialNumber, Status: ocsp.Good, ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(time.Hour),
		ExtraExtensions: []pkix.Extension{{Id: OIDSCTList, Value: testocsp.SCTListExtension(f, 2)}}}))
	f.Add(s.Response(f, ocsp.Response{SerialNumber: big.NewInt(7), Status: ocsp.Revoked, ThisUpdate: at, RevokedAt: at}))
	f.Add(ocsp.TryLaterErrorResponse)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, der []byte) {
		r := Check(der, leaf.Cert, ca.Cert, at)
		if r.Err == nil && r.Status != Good && r.Status != Revoked && r.Status != Unknown {
			t.Fatalf("valid response with status %q", r.Status)
		}
		_ = r.Staple()
		_ = Check(der, leaf.Cert, nil, at)
		_ = CountSCTs(der)
	})
}

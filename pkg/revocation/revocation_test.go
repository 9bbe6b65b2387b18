package revocation

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/internal/testocsp"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

var at = testpki.Epoch

// answer is a responder's answer: status for every request, signed by the
// issuer.
func answer(t *testing.T, s testocsp.Signer, status int) func(*ocsp.Request) []byte {
	return func(req *ocsp.Request) []byte {
		return s.Response(t, ocsp.Response{SerialNumber: req.SerialNumber, Status: status, ThisUpdate: at.Add(-time.Hour), NextUpdate: at.Add(time.Hour), RevokedAt: at.Add(-24 * time.Hour)})
	}
}

// TestCheck: OCSP through a real responder on loopback, the CRL when the
// responder fails or is not named, and every reason the status stays
// unknown.
func TestCheck(t *testing.T) {
	ca := testpki.NewRoot(t, "Revocation Test CA")
	other := testpki.NewRoot(t, "Other CA")
	s := testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key}
	good := testocsp.NewResponder(t, answer(t, s, ocsp.Good))
	revoked := testocsp.NewResponder(t, answer(t, s, ocsp.Revoked))
	failing := testocsp.NewResponder(t, func(*ocsp.Request) []byte { return nil })
	garbage := testocsp.NewResponder(t, func(*ocsp.Request) []byte { return []byte("garbage") })
	longPath := testocsp.NewResponder(t, answer(t, s, ocsp.Good))

	revokedLeaf := ca.Leaf(t)
	crlRevoked := testocsp.ServeCRL(t, s.CRL(t, at.Add(-time.Hour), at.Add(24*time.Hour), map[*big.Int]time.Time{revokedLeaf.Cert.SerialNumber: at.Add(-time.Hour)}))
	crlEmpty := testocsp.ServeCRL(t, s.CRL(t, at.Add(-time.Hour), at.Add(24*time.Hour), nil))
	crlStale := testocsp.ServeCRL(t, s.CRL(t, at.Add(-72*time.Hour), at.Add(-24*time.Hour), nil))
	crlForeign := testocsp.ServeCRL(t, testocsp.Signer{Issuer: other.Cert, Cert: other.Cert, Key: other.Key}.CRL(t, at.Add(-time.Hour), at.Add(time.Hour), nil))

	tests := []struct {
		name   string
		leaf   *x509.Certificate
		issuer *x509.Certificate
		status string
		source string // a prefix of Result.Source
		err    error
		method string // the method the responder saw
		r      *testocsp.Responder
	}{
		{name: "ocsp good by GET", leaf: ca.Leaf(t, testpki.OCSP(good.URL)).Cert, status: Good, source: "OCSP " + good.URL, method: http.MethodGet, r: good},
		{name: "ocsp revoked", leaf: ca.Leaf(t, testpki.OCSP(revoked.URL)).Cert, status: Revoked, source: "OCSP "},
		{name: "ocsp by POST when the GET URL is long", leaf: ca.Leaf(t, testpki.OCSP(longPath.URL+"/"+strings.Repeat("p", 240))).Cert,
			status: Good, source: "OCSP ", method: http.MethodPost, r: longPath},
		{name: "responder fails, CRL revoked", leaf: revokedWithOCSP(t, ca, revokedLeaf, failing.URL, crlRevoked), status: Revoked, source: "CRL " + crlRevoked},
		{name: "CRL only, good", leaf: ca.Leaf(t, testpki.CRL(crlEmpty)).Cert, status: Good, source: "CRL "},
		{name: "CRL only, revoked", leaf: withCRL(t, revokedLeaf, ca, crlRevoked), status: Revoked, source: "CRL "},
		{name: "responder garbage", leaf: ca.Leaf(t, testpki.OCSP(garbage.URL)).Cert, status: Unknown},
		{name: "stale CRL", leaf: ca.Leaf(t, testpki.CRL(crlStale)).Cert, status: Unknown},
		{name: "CRL of another CA", leaf: ca.Leaf(t, testpki.CRL(crlForeign)).Cert, status: Unknown},
		{name: "responder 500", leaf: ca.Leaf(t, testpki.OCSP(failing.URL)).Cert, status: Unknown},
		{name: "no source", leaf: ca.Leaf(t).Cert, status: Unknown, err: ErrNoSource},
		{name: "ldap CRL only", leaf: ca.Leaf(t, testpki.CRL("ldap://ldap.example.test/cn=crl")).Cert, status: Unknown, err: ErrNoSource},
		{name: "no issuer", leaf: ca.Leaf(t, testpki.OCSP(good.URL)).Cert, issuer: nil, status: Unknown, err: ErrNoIssuer},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issuer := ca.Cert
			if tt.err == ErrNoIssuer {
				issuer = tt.issuer
			}
			got := Check(context.Background(), &http.Client{Timeout: 10 * time.Second}, tt.leaf, issuer, at)
			if got.Status != tt.status || !strings.HasPrefix(got.Source, tt.source) {
				t.Errorf("status %s from %q, want %s from %q (err %v)", got.Status, got.Source, tt.status, tt.source, got.Err)
			}
			if (got.Status == Unknown) != (got.Err != nil) {
				t.Errorf("status %s with err %v", got.Status, got.Err)
			}
			if tt.err != nil && !errors.Is(got.Err, tt.err) {
				t.Errorf("err %v, want %v", got.Err, tt.err)
			}
			if got.Status == Revoked && got.RevokedAt.IsZero() {
				t.Error("revoked without a time")
			}
			if tt.r != nil {
				if m := tt.r.Methods(); len(m) == 0 || m[len(m)-1] != tt.method {
					t.Errorf("responder saw %v, want %s", m, tt.method)
				}
			}
		})
	}
}

// revokedWithOCSP is a certificate with revoked's serial that names the
// responder and the CRL.
func revokedWithOCSP(t *testing.T, ca *testpki.CA, revoked *testpki.Leaf, responder, crl string) *x509.Certificate {
	t.Helper()
	return ca.Leaf(t, testpki.OCSP(responder), testpki.CRL(crl), testpki.Serial(revoked.Cert.SerialNumber.Int64())).Cert
}

// withCRL is a certificate with leaf's serial that names the CRL.
func withCRL(t *testing.T, leaf *testpki.Leaf, ca *testpki.CA, crl string) *x509.Certificate {
	t.Helper()
	return ca.Leaf(t, testpki.CRL(crl), testpki.Serial(leaf.Cert.SerialNumber.Int64())).Cert
}

// TestCheckThroughProxy: the requests go through the caller's client, its
// proxy included.
func TestCheckThroughProxy(t *testing.T) {
	ca := testpki.NewRoot(t, "Proxy Test CA")
	s := testocsp.Signer{Issuer: ca.Cert, Cert: ca.Cert, Key: ca.Key}
	responder := testocsp.NewResponder(t, answer(t, s, ocsp.Good))
	var proxied atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		proxied.Add(1)
		out := req.Clone(req.Context())
		out.RequestURI = ""
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	defer proxy.Close()
	pu, _ := url.Parse(proxy.URL)
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}, Timeout: 10 * time.Second}
	leaf := ca.Leaf(t, testpki.OCSP(responder.URL)).Cert
	if got := Check(context.Background(), client, leaf, ca.Cert, at); got.Status != Good {
		t.Fatalf("status %s (%v)", got.Status, got.Err)
	}
	if proxied.Load() == 0 {
		t.Error("the request did not go through the proxy")
	}
}

// TestCheckTimeout: a responder that never answers leaves the status
// unknown once the context ends.
func TestCheckTimeout(t *testing.T) {
	ca := testpki.NewRoot(t, "Timeout Test CA")
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-block:
		case <-req.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	leaf := ca.Leaf(t, testpki.OCSP(srv.URL)).Cert
	got := Check(ctx, nil, leaf, ca.Cert, at)
	if got.Status != Unknown || !errors.Is(got.Err, context.Canceled) {
		t.Errorf("status %s, err %v; want unknown, context canceled", got.Status, got.Err)
	}
}

// TestProblems: revoked is an error (11237) for a browser client and a
// warning for the Java sender; unknown is a note; good is nothing.
func TestProblems(t *testing.T) {
	tests := []struct {
		status, client string
		id             string
		sev            result.Severity
		code           result.Code
	}{
		{Revoked, "", result.ProblemRevoked, result.SeverityWarn, 0},
		{Revoked, "java-17", result.ProblemRevoked, result.SeverityWarn, 0},
		{Revoked, "curl-7.88", result.ProblemRevoked, result.SeverityWarn, 0},
		{Revoked, "firefox-140", result.ProblemRevoked, result.SeverityError, result.CodeNoPath},
		{Revoked, "chromium-148", result.ProblemRevoked, result.SeverityError, result.CodeNoPath},
		{Unknown, "firefox-140", result.ProblemRevocationUnknown, result.SeverityInfo, 0},
		{Good, "firefox-140", "", "", 0},
	}
	for _, tt := range tests {
		ps := Problems(Result{Status: tt.status, Source: "OCSP http://ocsp.example.test", RevokedAt: at, Err: errors.New("x")}, tt.client)
		if tt.id == "" {
			if len(ps) != 0 {
				t.Errorf("%s/%s: %v, want none", tt.status, tt.client, ps)
			}
			continue
		}
		if len(ps) != 1 || ps[0].ID != tt.id || ps[0].Severity != tt.sev || ps[0].Code != tt.code || ps[0].Message == "" {
			t.Errorf("%s/%s: %+v, want %s %s %d", tt.status, tt.client, ps, tt.id, tt.sev, tt.code)
		}
	}
}

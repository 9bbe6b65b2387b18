// Package testocsp makes OCSP responses and CRLs in tests and serves them
// from real HTTP servers on the loopback interface, as a CA's OCSP
// responder and CRL distribution point do.
package testocsp

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"
)

// Signer signs OCSP responses and CRLs: the issuer itself, or a responder
// it delegated.
type Signer struct {
	// Issuer is the certificate of the CA whose certificates the
	// responses are about.
	Issuer *x509.Certificate
	// Cert is the certificate of the key that signs: Issuer, or a
	// delegated responder's certificate (embedded in the responses).
	Cert *x509.Certificate
	// Key signs.
	Key crypto.Signer
	// EmbedIssuer embeds the issuer's own certificate in responses it
	// signs itself, as openssl ocsp does by default.
	EmbedIssuer bool
}

// Response makes a DER OCSP response from tmpl (SerialNumber, Status,
// ThisUpdate, NextUpdate, RevokedAt, ExtraExtensions).
func (s Signer) Response(t testing.TB, tmpl ocsp.Response) []byte {
	t.Helper()
	if s.Cert != nil && (s.Cert != s.Issuer || s.EmbedIssuer) {
		tmpl.Certificate = s.Cert
	}
	cert := s.Cert
	if cert == nil {
		cert = s.Issuer
	}
	der, err := ocsp.CreateResponse(s.Issuer, cert, tmpl, s.Key)
	if err != nil {
		t.Fatalf("testocsp: create response: %v", err)
	}
	return der
}

// CRL makes a DER CRL signed by the signer (which must be a CA with
// cRLSign) listing the revoked serials.
func (s Signer) CRL(t testing.TB, thisUpdate, nextUpdate time.Time, revoked map[*big.Int]time.Time) []byte {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: thisUpdate, NextUpdate: nextUpdate}
	for serial, at := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: serial, RevocationTime: at})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, s.Cert, s.Key)
	if err != nil {
		t.Fatalf("testocsp: create CRL: %v", err)
	}
	return der
}

// SCTListExtension is the OCSP single extension holding n made-up signed
// certificate timestamps (RFC 6962 section 3.3).
func SCTListExtension(t testing.TB, n int) []byte {
	t.Helper()
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(list *cryptobyte.Builder) {
		for i := range n {
			list.AddUint16LengthPrefixed(func(sct *cryptobyte.Builder) {
				sct.AddUint8(0) // v1
				sct.AddBytes(make([]byte, 32))
				sct.AddUint64(uint64(i))
			})
		}
	})
	inner, err := b.Bytes()
	if err != nil {
		t.Fatalf("testocsp: SCT list: %v", err)
	}
	der, err := asn1.Marshal(inner)
	if err != nil {
		t.Fatalf("testocsp: SCT list: %v", err)
	}
	return der
}

// Responder is an OCSP responder on loopback.
type Responder struct {
	// URL is the responder's URL, for a certificate's OCSPServer.
	URL string

	mu      sync.Mutex
	methods []string
}

// Methods returns the HTTP method of each request received so far.
func (r *Responder) Methods() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.methods...)
}

// NewResponder serves OCSP on loopback, by GET (RFC 6960 appendix A.1)
// and POST: answer gives the DER response to each parsed request, or nil
// for an HTTP 500. The server stops at the end of the test.
func NewResponder(t testing.TB, answer func(*ocsp.Request) []byte) *Responder {
	t.Helper()
	r := &Responder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.methods = append(r.methods, req.Method)
		r.mu.Unlock()
		var der []byte
		switch req.Method {
		case http.MethodGet:
			p, err := url.PathUnescape(strings.TrimPrefix(req.URL.EscapedPath(), "/"))
			if err == nil {
				der, err = base64.StdEncoding.DecodeString(p)
			}
			if err != nil {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
		case http.MethodPost:
			var err error
			if der, err = io.ReadAll(io.LimitReader(req.Body, 1<<16)); err != nil {
				http.Error(w, "bad request", http.StatusBadRequest)
				return
			}
		default:
			http.Error(w, "method", http.StatusMethodNotAllowed)
			return
		}
		parsed, err := ocsp.ParseRequest(der)
		if err != nil {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		resp := answer(parsed)
		if resp == nil {
			http.Error(w, "unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/ocsp-response")
		_, _ = w.Write(resp)
	}))
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// ServeCRL serves der at URL/ca.crl on loopback until the end of the
// test, and returns that URL.
func ServeCRL(t testing.TB, der []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/ca.crl" {
			http.NotFound(w, req)
			return
		}
		w.Header().Set("Content-Type", "application/pkix-crl")
		_, _ = w.Write(der)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/ca.crl"
}

// Package revocation asks a certificate's CA whether it is revoked, for
// --revocation: by OCSP at the responder the certificate names (its
// authority information access), else by the CRL of its CRL distribution
// points. The requests go to the CA, never to the server checked, through
// the *http.Client the caller builds (with its proxy and timeout).
//
// Problems turns a status into the problem the result carries: a revoked
// certificate is an error (11237) for a browser client, which checks
// revocation, and a warning for the Java sender, whose client does not
// check revocation by default.
package revocation

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/pkg/ocspcheck"
	"github.com/certgate/certgate/pkg/result"
)

// Statuses a check gives.
const (
	Good    = ocspcheck.Good
	Revoked = ocspcheck.Revoked
	Unknown = ocspcheck.Unknown
)

// Limits on what a responder or CRL server may send.
const (
	// MaxOCSPResponse is the largest OCSP response read.
	MaxOCSPResponse = 64 << 10
	// MaxCRL is the largest CRL read.
	MaxCRL = 20 << 20
	// maxGET is the longest request URL sent by GET (RFC 6960 appendix
	// A.1 allows GET for requests under 255 bytes once encoded).
	maxGET = 255
)

// Result is what the CA says about one certificate.
type Result struct {
	// Status is Good, Revoked or Unknown.
	Status string
	// Source names where the status came from ("OCSP http://…",
	// "CRL http://…", "stapled OCSP response").
	Source string
	// RevokedAt is when the CA revoked the certificate, when Revoked.
	RevokedAt time.Time
	// Err says why the status is Unknown; nil otherwise.
	Err error
}

// ErrNoSource results when the certificate names neither an OCSP responder
// nor an http CRL distribution point.
var ErrNoSource = errors.New("the certificate names no OCSP responder and no http CRL distribution point")

// ErrNoIssuer results when the issuer's certificate is not known: neither
// an OCSP request nor a CRL signature can be checked without it.
var ErrNoIssuer = errors.New("the issuer's certificate was not presented")

// Check asks the CA of leaf, issued by issuer, for its status at the
// validation time at: OCSP at each responder of the certificate first,
// else the first CRL that answers. client carries the proxy and the
// timeout; ctx bounds the whole check. It never returns an error: what
// went wrong is in Result.Err with status Unknown.
func Check(ctx context.Context, client *http.Client, leaf, issuer *x509.Certificate, at time.Time) Result {
	if leaf == nil {
		return Result{Status: Unknown, Err: errors.New("no certificate was presented")}
	}
	if issuer == nil {
		return Result{Status: Unknown, Err: ErrNoIssuer}
	}
	if client == nil {
		client = http.DefaultClient
	}
	var errs []error
	for _, u := range httpURLs(leaf.OCSPServer) {
		r := checkOCSP(ctx, client, u, leaf, issuer, at)
		if r.Status != Unknown || r.Err == nil {
			return r
		}
		errs = append(errs, r.Err)
	}
	for _, u := range httpURLs(leaf.CRLDistributionPoints) {
		r := checkCRL(ctx, client, u, leaf, issuer, at)
		if r.Status != Unknown || r.Err == nil {
			return r
		}
		errs = append(errs, r.Err)
	}
	if len(errs) == 0 {
		return Result{Status: Unknown, Err: ErrNoSource}
	}
	return Result{Status: Unknown, Err: errors.Join(errs...)}
}

// httpURLs keeps the http and https URLs of us.
func httpURLs(us []string) []string {
	var out []string
	for _, u := range us {
		if p, err := url.Parse(u); err == nil && (p.Scheme == "http" || p.Scheme == "https") && p.Host != "" {
			out = append(out, u)
		}
	}
	return out
}

// checkOCSP asks one responder: by GET when the encoded request is short
// enough (RFC 6960 appendix A.1), else by POST.
func checkOCSP(ctx context.Context, client *http.Client, responder string, leaf, issuer *x509.Certificate, at time.Time) Result {
	src := "OCSP " + responder
	der, err := ocsp.CreateRequest(leaf, issuer, &ocsp.RequestOptions{Hash: crypto.SHA1})
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("OCSP request for %s: %w", responder, err)}
	}
	var req *http.Request
	get := strings.TrimSuffix(responder, "/") + "/" + url.PathEscape(base64.StdEncoding.EncodeToString(der))
	if len(get) <= maxGET {
		req, err = http.NewRequestWithContext(ctx, http.MethodGet, get, nil)
	} else {
		req, err = http.NewRequestWithContext(ctx, http.MethodPost, responder, bytes.NewReader(der))
		if err == nil {
			req.Header.Set("Content-Type", "application/ocsp-request")
		}
	}
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("OCSP responder %s: %w", responder, err)}
	}
	req.Header.Set("Accept", "application/ocsp-response")
	body, err := fetch(client, req, MaxOCSPResponse)
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("OCSP responder %s: %w", responder, err)}
	}
	resp := ocspcheck.Check(body, leaf, issuer, at)
	if resp.Err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("OCSP responder %s: %w", responder, resp.Err)}
	}
	return Result{Status: resp.Status, Source: src, RevokedAt: resp.RevokedAt}
}

// checkCRL fetches one CRL, checks the issuer signed it and that it is
// current, and looks the leaf's serial up in it.
func checkCRL(ctx context.Context, client *http.Client, dp string, leaf, issuer *x509.Certificate, at time.Time) Result {
	src := "CRL " + dp
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, dp, nil)
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("CRL %s: %w", dp, err)}
	}
	body, err := fetch(client, req, MaxCRL)
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("CRL %s: %w", dp, err)}
	}
	crl, err := x509.ParseRevocationList(body)
	if err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("CRL %s does not parse: %w", dp, err)}
	}
	if err := crl.CheckSignatureFrom(issuer); err != nil {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("CRL %s is not signed by the issuer: %w", dp, err)}
	}
	if !ocspcheck.Fresh(crl.ThisUpdate, crl.NextUpdate, at) {
		return Result{Status: Unknown, Source: src, Err: fmt.Errorf("CRL %s is not current (%s to %s)", dp, crl.ThisUpdate.UTC().Format(time.RFC3339), crl.NextUpdate.UTC().Format(time.RFC3339))}
	}
	for _, e := range crl.RevokedCertificateEntries {
		if e.SerialNumber != nil && leaf.SerialNumber != nil && e.SerialNumber.Cmp(leaf.SerialNumber) == 0 && !e.RevocationTime.After(at) {
			return Result{Status: Revoked, Source: src, RevokedAt: e.RevocationTime}
		}
	}
	return Result{Status: Good, Source: src}
}

// StatusError results when a responder or CRL server answers with a
// status other than 200.
type StatusError struct {
	URL    string
	Status int
}

// Error names the URL and the status.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s answered HTTP %d", e.URL, e.Status)
}

// fetch does req and reads at most limit bytes of a 200 answer.
func fetch(client *http.Client, req *http.Request, limit int64) ([]byte, error) {
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &StatusError{URL: req.URL.Redacted(), Status: resp.StatusCode}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("answer larger than %d bytes", limit)
	}
	return body, nil
}

// Browser reports whether the recorded client profile is a browser, which
// checks revocation ("chromium-148", "firefox-140"). The default sender
// ("", every Java client) and other clients are not.
func Browser(client string) bool {
	c := strings.ToLower(client)
	for _, b := range []string{"chrom", "firefox", "safari", "edge"} {
		if strings.HasPrefix(c, b) {
			return true
		}
	}
	return false
}

// Problems are the problems a revocation check gives for the verdict of
// client ("" for the default Java sender): for a revoked certificate, an
// error with code 11237 when client is a browser and a warning otherwise;
// for an unknown status a note; none for a good one.
func Problems(r Result, client string) []result.Problem {
	p := result.Problem{Cert: 0}
	switch r.Status {
	case Revoked:
		p.ID = result.ProblemRevoked
		when := ""
		if !r.RevokedAt.IsZero() {
			when = " on " + r.RevokedAt.UTC().Format(time.DateOnly)
		}
		if Browser(client) {
			p.Severity, p.Code = result.SeverityError, result.CodeNoPath
			p.Message = fmt.Sprintf("the certificate was revoked%s (%s), and %s checks revocation: replace the certificate", when, r.Source, client)
		} else {
			p.Severity = result.SeverityWarn
			p.Message = fmt.Sprintf("the certificate was revoked%s (%s): browsers refuse it; the Java sender does not check revocation by default and still connects; replace the certificate", when, r.Source)
		}
	case Unknown:
		p.ID, p.Severity = result.ProblemRevocationUnknown, result.SeverityInfo
		p.Message = "the revocation status is not known"
		if r.Err != nil {
			p.Message += ": " + r.Err.Error()
		}
	default:
		return nil
	}
	return []result.Problem{p}
}

// Package ocspcheck checks an OCSP response (RFC 6960) for one
// certificate: that it is for the certificate's serial, fresh at the
// validation time, and signed by the certificate's issuer or by a
// responder the issuer delegated (id-kp-OCSPSigning), and what it says:
// good, revoked or unknown. It also counts the signed certificate
// timestamps (RFC 6962) a response carries.
//
// The response comes from the server (a stapled response) or from a CA's
// responder (pkg/revocation); either way it is outside input, parsed by
// golang.org/x/crypto/ocsp.
package ocspcheck

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/pkg/result"
)

// Statuses of a certificate as an OCSP response or a CRL gives it.
const (
	Good    = "good"
	Revoked = "revoked"
	Unknown = "unknown"
)

// Skew is the clock difference allowed between certgate and the responder
// when checking thisUpdate and nextUpdate.
const Skew = 5 * time.Minute

// OIDSCTList is the OCSP single extension that carries a list of signed
// certificate timestamps (RFC 6962 section 3.3).
var OIDSCTList = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 5}

// Errors of a response that does not hold. Check wraps them; test with
// errors.Is.
var (
	// ErrMalformed: the response does not parse, or is not a successful
	// basic response.
	ErrMalformed = errors.New("malformed OCSP response")
	// ErrWrongSerial: the response is not about the certificate.
	ErrWrongSerial = errors.New("OCSP response is for another certificate")
	// ErrBadSignature: the response is signed by neither the issuer nor
	// a responder the issuer delegated.
	ErrBadSignature = errors.New("OCSP response not signed by the issuer or its delegated responder")
	// ErrNotDelegated: the response is signed by a certificate the issuer
	// issued without id-kp-OCSPSigning.
	ErrNotDelegated = errors.New("OCSP responder certificate lacks id-kp-OCSPSigning")
	// ErrStale: the validation time is outside thisUpdate and nextUpdate.
	ErrStale = errors.New("OCSP response is not fresh")
	// ErrNoIssuer: the issuer's certificate is not known, so the
	// signature cannot be checked.
	ErrNoIssuer = errors.New("issuer certificate not presented, so the OCSP signature cannot be checked")
)

// Response is a checked OCSP response.
type Response struct {
	// Status is Good, Revoked or Unknown; "" when the response did not
	// parse.
	Status string
	// ThisUpdate and NextUpdate are the response's validity window;
	// NextUpdate is zero when the responder gave none.
	ThisUpdate, NextUpdate time.Time
	// RevokedAt is set for a revoked certificate.
	RevokedAt time.Time
	// SCTs counts the signed certificate timestamps in the response.
	SCTs int
	// Err is nil when the response holds; else it wraps one of the Err*
	// values.
	Err error
}

// Check parses der as an OCSP response for leaf, issued by issuer, at the
// validation time at. It never panics on hostile input: whatever is wrong
// is in the returned Response's Err.
func Check(der []byte, leaf, issuer *x509.Certificate, at time.Time) Response {
	if leaf == nil {
		return Response{Err: fmt.Errorf("%w: no certificate to check it for", ErrMalformed)}
	}
	if issuer == nil {
		// Parse without checking the signature, to report what it says.
		resp, err := ocsp.ParseResponse(der, nil)
		if err != nil {
			return Response{Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
		}
		out := fromResponse(resp)
		out.Err = ErrNoIssuer
		if resp.SerialNumber == nil || leaf.SerialNumber == nil || resp.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
			out.Err = ErrWrongSerial
		}
		return out
	}
	resp, err := ocsp.ParseResponseForCert(der, leaf, issuer)
	if err != nil {
		// Tell a response about another certificate from a bad signature
		// and from a response that does not parse at all.
		unchecked, perr := ocsp.ParseResponse(der, nil)
		if perr != nil {
			return Response{Err: fmt.Errorf("%w: %v", ErrMalformed, perr)}
		}
		out := fromResponse(unchecked)
		switch {
		case unchecked.SerialNumber == nil || leaf.SerialNumber == nil || unchecked.SerialNumber.Cmp(leaf.SerialNumber) != 0:
			out.Err = fmt.Errorf("%w (serial %s, not %s)", ErrWrongSerial, serial(unchecked), leafSerial(leaf))
			return out
		case unchecked.Certificate != nil && bytes.Equal(unchecked.Certificate.Raw, issuer.Raw):
			// The issuer signed and embedded its own certificate (what
			// openssl ocsp does by default): ParseResponse checked the
			// signature with that certificate's key, the issuer's. x/crypto
			// rejects it only because it checks the embedded certificate
			// as if the issuer had issued it.
			resp = unchecked
		default:
			out.Err = fmt.Errorf("%w: %v", ErrBadSignature, err)
			return out
		}
	}
	out := fromResponse(resp)
	if c := resp.Certificate; c != nil && !bytes.Equal(c.Raw, issuer.Raw) && !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageOCSPSigning) {
		out.Err = ErrNotDelegated
		return out
	}
	if !Fresh(resp.ThisUpdate, resp.NextUpdate, at) {
		out.Err = fmt.Errorf("%w: valid %s to %s, checked at %s", ErrStale, stamp(resp.ThisUpdate), stamp(resp.NextUpdate), stamp(at))
	}
	return out
}

// Fresh reports whether at lies between thisUpdate and nextUpdate, Skew
// allowed on both sides; a zero nextUpdate only bounds it below.
func Fresh(thisUpdate, nextUpdate, at time.Time) bool {
	if at.Add(Skew).Before(thisUpdate) {
		return false
	}
	return nextUpdate.IsZero() || !at.Add(-Skew).After(nextUpdate)
}

// Staple is what a stapled response says, as the scan reports it.
func (r Response) Staple() *result.OCSPStaple {
	s := &result.OCSPStaple{Status: r.Status, Valid: r.Err == nil, ThisUpdate: stamp(r.ThisUpdate), NextUpdate: stamp(r.NextUpdate)}
	if s.Status == "" {
		s.Status = Unknown
	}
	if r.Err != nil {
		s.Error = r.Err.Error()
		s.Stale = errors.Is(r.Err, ErrStale)
	}
	return s
}

func fromResponse(resp *ocsp.Response) Response {
	out := Response{ThisUpdate: resp.ThisUpdate, NextUpdate: resp.NextUpdate}
	switch resp.Status {
	case ocsp.Good:
		out.Status = Good
	case ocsp.Revoked:
		out.Status = Revoked
		out.RevokedAt = resp.RevokedAt
	default:
		out.Status = Unknown
	}
	for _, ext := range resp.Extensions {
		if ext.Id.Equal(OIDSCTList) {
			out.SCTs += CountSCTs(ext.Value)
		}
	}
	return out
}

// CountSCTs counts the timestamps in the DER value of an SCT list
// extension: an OCTET STRING holding a SignedCertificateTimestampList (a
// 16-bit length, then each SCT with its own 16-bit length). A list that
// does not parse counts 0.
func CountSCTs(value []byte) int {
	var inner []byte
	rest, err := asn1.Unmarshal(value, &inner)
	if err != nil || len(rest) > 0 {
		return 0
	}
	s := cryptobyte.String(inner)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() {
		return 0
	}
	n := 0
	for !list.Empty() {
		var sct cryptobyte.String
		if !list.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return 0
		}
		n++
	}
	return n
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func serial(r *ocsp.Response) string {
	if r.SerialNumber == nil {
		return "none"
	}
	return r.SerialNumber.Text(16)
}

func leafSerial(c *x509.Certificate) string {
	if c.SerialNumber == nil {
		return "none"
	}
	return c.SerialNumber.Text(16)
}

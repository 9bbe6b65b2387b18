package grade

import (
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/revocation"
)

// Context is what Weaknesses needs beyond the scan.
type Context struct {
	// Leaf is the server's certificate, nil when none was presented: the
	// OCSP checks read its responder URLs and must-staple.
	Leaf *x509.Certificate
	// Client is the recorded client profile the verdict is for ("" for
	// the default Java sender): a revoked staple is an error for a
	// browser and a warning for the Java sender (revocation.Problems).
	Client string
}

// Weaknesses returns every weakness of the scanned configuration as a
// problem with a stable id (pkg/result problems_scan.go and
// problems_grade2.go), warnings and notes, in a fixed order; every cap of
// the rating that applies has one of them. When every client simulation
// that ran fails, it also returns no-client-connects, an error with code
// 11220. A missing OCSP staple is never reported for a
// certificate that names no OCSP responder.
func Weaknesses(s *result.Scan, c Context) []result.Problem {
	if s == nil {
		return nil
	}
	ps := []result.Problem{}
	add := func(id string, sev result.Severity, format string, args ...any) {
		ps = append(ps, result.Problem{ID: id, Severity: sev, Cert: -1, Message: fmt.Sprintf(format, args...)})
	}
	r := &result.Result{Scan: s}
	f := factsOf(r)
	spoken := len(f.protocols) > 0

	for _, p := range []struct{ version, id string }{{SSL2, result.ProblemProtocolSSL2}, {SSL3, result.ProblemProtocolSSL3}, {TLS10, result.ProblemProtocolTLS10}, {TLS11, result.ProblemProtocolTLS11}} {
		if f.protocols[p.version] {
			add(p.id, result.SeverityWarn, "the server speaks %s, which no current client needs: disable it", p.version)
		}
	}
	if noTLS12(f) {
		add(result.ProblemNoTLS12, result.SeverityWarn, "the server does not speak TLS 1.2, only older protocols: enable TLS 1.2 and TLS 1.3")
	}
	if spoken && !f.protocols[TLS13] {
		add(result.ProblemNoTLS13, result.SeverityInfo, "the server does not speak TLS 1.3: enable it")
	}
	if names := suiteNames(f, isRC4); names != "" {
		add(result.ProblemCipherRC4, result.SeverityWarn, "the server accepts RC4 (%s): disable it", names)
	}
	if names := suiteNames(f, is3DES); names != "" {
		add(result.ProblemCipher3DES, result.SeverityWarn, "the server accepts 3DES (%s): disable it", names)
	}
	if names := suiteNames(f, isExport); names != "" {
		add(result.ProblemCipherExport, result.SeverityWarn, "the server accepts export suites (%s): disable them", names)
	}
	if names := suiteNames(f, isAnonymous); names != "" {
		add(result.ProblemCipherAnonymous, result.SeverityWarn, "the server accepts anonymous suites, which authenticate no server (%s): disable them", names)
	}
	if names := suiteNames(f, weakSuite); names != "" {
		add(result.ProblemCipherWeak, result.SeverityWarn, "the server accepts suites of less than 112 bits (%s): disable them", names)
	}
	var tls12, cbc12 int
	for _, su := range f.suites {
		if su.Protocol == TLS12 {
			tls12++
			if isCBC(su) {
				cbc12++
			}
		}
	}
	if tls12 > 0 && cbc12 == tls12 {
		add(result.ProblemCipherCBCOnly, result.SeverityWarn, "every TLS 1.2 suite the server accepts is CBC: enable AES-GCM or ChaCha20-Poly1305 suites")
	}
	if len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.ForwardSecret }) {
		add(result.ProblemNoForwardSecrecy, result.SeverityWarn, "no suite the server accepts has forward secrecy: enable ECDHE suites")
	}
	if len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.AEAD }) {
		add(result.ProblemNoAEAD, result.SeverityWarn, "no suite the server accepts is AEAD: enable AES-GCM or ChaCha20-Poly1305 suites")
	}
	if f.keyFinite && f.keyBits > 0 && f.keyBits < 2048 {
		add(result.ProblemKeyWeak, result.SeverityWarn, "the server key is %s, below 2048 bits: use an RSA key of 2048 bits or more, or ECDSA", s.ServerKey)
	}
	if s.DHBits > 0 && s.DHBits < 2048 {
		add(result.ProblemDHWeak, result.SeverityWarn, "the server's DH prime has %d bits (Java refuses below 1024, browsers below 2048 are gone): use 2048-bit DH parameters or ECDHE only", s.DHBits)
	}
	if spoken && f.hasPre13() && !s.Features.SecureRenegotiation {
		add(result.ProblemNoSecureRenegotiation, result.SeverityWarn, "the server does not support secure renegotiation (RFC 5746): enable it")
	}
	if s.Features.InsecureRenegotiation {
		add(result.ProblemInsecureRenegotiation, result.SeverityWarn, "the server accepts renegotiation without RFC 5746: disable it")
	}
	if len(f.protocols) > 1 && !s.Features.FallbackSCSV {
		add(result.ProblemNoFallbackSCSV, result.SeverityInfo, "the server speaks several protocols and ignores TLS_FALLBACK_SCSV, so a downgrade goes unnoticed: enable it")
	}
	if s.Features.Compression {
		add(result.ProblemCompression, result.SeverityWarn, "the server accepts TLS compression (CRIME): disable it")
	}
	if spoken && s.HTTPS {
		switch h := s.Features.HSTS; {
		case h == nil && !s.Features.HSTSChecked:
			add(result.ProblemHSTSNotChecked, result.SeverityInfo, "%s", hstsNotChecked(s.Features.HSTSNotChecked))
		case h == nil:
			add(result.ProblemHSTSMissing, result.SeverityInfo, "the server sends no Strict-Transport-Security header")
		case h.MaxAge < HSTSMinAge:
			add(result.ProblemHSTSMissing, result.SeverityInfo, "the Strict-Transport-Security max-age is %d seconds, under 180 days (15552000)", h.MaxAge)
		}
	}
	var failing []string
	for _, cl := range s.Clients {
		if !cl.OK {
			failing = append(failing, cl.Name)
		}
	}
	if len(failing) > 0 {
		add(result.ProblemClientFails, result.SeverityInfo, "%d of %d simulated clients cannot connect: %s", len(failing), len(s.Clients), strings.Join(failing, ", "))
	}
	if len(failing) > 0 && len(failing) == len(s.Clients) {
		ps = append(ps, result.Problem{ID: result.ProblemNoClientConnects, Severity: result.SeverityError, Code: result.CodeHandshake, Cert: -1,
			Message: "no simulated client can complete a handshake with the server (" + clientFailures(s.Clients) + "): enable TLS 1.2 or TLS 1.3 with ECDHE and AES-GCM suites and a 2048-bit key"})
	}
	ps = append(ps, ocspWeaknesses(s, c)...)
	return ps
}

// hstsNotChecked says why an https target's Strict-Transport-Security
// header was not asked for.
func hstsNotChecked(why string) string {
	switch why {
	case result.HSTSUntrustedChain:
		return "HSTS was not checked: certgate sends no HTTP request over a chain no selected store trusts"
	case result.HSTSNoResponse:
		return "HSTS was not checked: the server sent no HTTP response to GET /"
	}
	return "HSTS was not checked: no handshake Go's TLS client supports (TLS 1.2 or TLS 1.3) completed, so no HTTP request could be sent"
}

// clientFailures lists the failing simulated clients with their reasons.
func clientFailures(cs []result.ClientSimulation) string {
	var out []string
	for _, c := range cs {
		if c.OK {
			continue
		}
		if c.Message != "" {
			out = append(out, c.Name+": "+c.Message)
		} else {
			out = append(out, c.Name)
		}
	}
	return strings.Join(out, "; ")
}

// ocspWeaknesses are the problems of the stapled OCSP response, or of its
// absence where the leaf names a responder or demands a staple.
func ocspWeaknesses(s *result.Scan, c Context) []result.Problem {
	var ps []result.Problem
	add := func(id string, sev result.Severity, msg string) {
		ps = append(ps, result.Problem{ID: id, Severity: sev, Cert: 0, Message: msg})
	}
	staple := s.Features.OCSP
	mustStaple := s.Features.MustStaple
	hasResponder := c.Leaf != nil && len(c.Leaf.OCSPServer) > 0
	switch {
	case staple == nil && mustStaple:
		add(result.ProblemMustStapleMissing, result.SeverityWarn, "the certificate demands OCSP stapling (must-staple) and the server staples no response: Firefox refuses the connection; enable stapling")
	case staple == nil && hasResponder:
		add(result.ProblemOCSPNotStapled, result.SeverityInfo, "the certificate names an OCSP responder and the server staples no response: enable OCSP stapling")
	case staple == nil:
	case staple.Stale:
		add(result.ProblemOCSPStale, result.SeverityWarn, "the stapled OCSP response is out of date ("+staple.ThisUpdate+" to "+staple.NextUpdate+"): the server must refresh it")
	case !staple.Valid:
		add(result.ProblemOCSPInvalid, result.SeverityWarn, "the stapled OCSP response does not hold: "+staple.Error)
	case staple.Status == revocation.Revoked:
		ps = append(ps, revocation.Problems(revocation.Result{Status: revocation.Revoked, Source: "stapled OCSP response"}, c.Client)...)
	}
	return ps
}

// suiteNames lists the distinct names of the suites that satisfy ok,
// comma-separated; "" when none does.
func suiteNames(f *facts, ok func(result.Suite) bool) string {
	var names []string
	seen := map[string]bool{}
	for _, s := range f.suites {
		if ok(s) && !seen[s.Name] {
			seen[s.Name] = true
			names = append(names, s.Name)
		}
	}
	return strings.Join(names, ", ")
}

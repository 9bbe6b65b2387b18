package report

import (
	"fmt"
	"time"

	"github.com/certgate/certgate/pkg/result"
)

// validatedAt is the pinned validation time of every fixture.
var validatedAt = time.Date(2026, 11, 28, 15, 0, 0, 0, time.UTC)

// testStores is the store order the fixtures are rendered with.
var testStores = []string{"mozilla", "java"}

func days(n float64) time.Time {
	return validatedAt.Add(time.Duration(n * float64(24*time.Hour)))
}

func tlsInfo() *result.TLSInfo {
	return &result.TLSInfo{Version: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", ALPN: "h2"}
}

func leaf(cn, issuer string, notAfter time.Time, names ...string) result.Cert {
	return result.Cert{
		Subject:     "CN=" + cn,
		Issuer:      issuer,
		Serial:      "04ab" + fmt.Sprintf("%02x", len(cn)),
		NotBefore:   notAfter.Add(-90 * 24 * time.Hour),
		NotAfter:    notAfter,
		SHA256:      "5f1c0e2d9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d",
		Key:         "ECDSA P-256",
		Signature:   "ECDSA-SHA384",
		DNSNames:    names,
		IPAddresses: []string{},
	}
}

const (
	issuerR11  = "CN=R11,O=Let's Encrypt,C=US"
	issuerISRG = "CN=ISRG Root X1,O=Internet Security Research Group,C=US"
)

func r11(notAfter time.Time) result.Cert {
	c := leaf("R11", issuerISRG, notAfter)
	c.Subject = issuerR11
	c.IsCA = true
	c.DNSNames = []string{}
	return c
}

// fixtures returns one result of each kind, Index set to input order.
func fixtures() []result.Result {
	rs := []result.Result{
		{ // ok
			Target: "https://api.example.com/hooks/sms", Host: "api.example.com", Port: 443,
			Address: "203.0.113.7:443", Status: result.StatusOK,
			DurationMS: 41.2, TLS: tlsInfo(),
			Chain: []result.Cert{leaf("api.example.com", issuerR11, days(89.25), "api.example.com"), r11(days(400))},
			Trust: map[string]result.Verdict{
				"mozilla": {Trusted: true, Root: "ISRG Root X1", StoreVersion: "2026-10-01"},
				"java":    {Trusted: true, Root: "ISRG Root X1", StoreVersion: "jdk-25"},
			},
		},
		{ // warn: expires soon, trusted by java only
			Target: "soon.example.com", Host: "soon.example.com", Port: 443,
			Address: "198.51.100.4:443", Status: result.StatusWarn,
			Detail:     "leaf certificate expires in 3 days (not after 2026-12-01T17:00:00Z); renew it",
			DurationMS: 12.5, TLS: tlsInfo(),
			Chain: []result.Cert{leaf("soon.example.com", "CN=Example Issuing CA,O=Example", days(3).Add(2*time.Hour), "soon.example.com")},
			Trust: map[string]result.Verdict{
				"mozilla": {Trusted: false, Code: result.CodeNoPath},
				"java":    {Trusted: true, Root: "Example Java Root", StoreVersion: "jdk-25"},
			},
			Problems: []result.Problem{{ID: result.ProblemExpiresSoon, Severity: result.SeverityWarn, Cert: 0,
				Message: "leaf certificate expires in 3 days (not after 2026-12-01T17:00:00Z); renew it"}},
		},
		{ // fail 11236 with two problems
			Target: "https://expired.example.com", Host: "expired.example.com", Port: 443,
			Address: "192.0.2.10:443", Status: result.StatusFail, Code: result.CodeExpired,
			Message:    result.CodeExpired.Message(),
			Detail:     "leaf certificate expired 3 days ago (not after 2026-11-25T12:00:00Z)",
			DurationMS: 40.1, TLS: tlsInfo(),
			Chain: []result.Cert{leaf("old.example.com", issuerR11, validatedAt.Add(-75*time.Hour), "old.example.com"), r11(days(400))},
			Trust: map[string]result.Verdict{
				"mozilla": {Trusted: false, Code: result.CodeExpired, Root: "ISRG Root X1"},
				"java":    {Trusted: false, Code: result.CodeExpired, Root: "ISRG Root X1"},
			},
			Problems: []result.Problem{
				{ID: result.ProblemExpired, Severity: result.SeverityError, Code: result.CodeExpired, Cert: 0,
					Message: "leaf certificate expired 3 days ago (not after 2026-11-25T12:00:00Z)"},
				{ID: result.ProblemHostnameMismatch, Severity: result.SeverityError, Code: result.CodeDomainMismatch, Cert: 0,
					Message: "certificate is valid for old.example.com, not expired.example.com"},
			},
		},
		{ // fail 11235
			Target: "wrong.example.com:8443", Host: "wrong.example.com", Port: 8443,
			Address: "192.0.2.11:8443", Status: result.StatusFail, Code: result.CodeDomainMismatch,
			Message:    result.CodeDomainMismatch.Message(),
			Detail:     "certificate is valid for www.example.com, example.com, not wrong.example.com",
			DurationMS: 22, TLS: tlsInfo(),
			Chain: []result.Cert{leaf("www.example.com", issuerR11, days(30.5), "www.example.com", "example.com"), r11(days(400))},
			Trust: map[string]result.Verdict{
				"mozilla": {Trusted: false, Code: result.CodeDomainMismatch, Root: "ISRG Root X1"},
				"java":    {Trusted: false, Code: result.CodeDomainMismatch, Root: "ISRG Root X1"},
			},
			Problems: []result.Problem{{ID: result.ProblemHostnameMismatch, Severity: result.SeverityError, Code: result.CodeDomainMismatch, Cert: 0,
				Message: "certificate is valid for www.example.com, example.com, not wrong.example.com"}},
		},
		{ // error 11220, no chain
			Target: "legacy.example.com", Host: "legacy.example.com", Port: 443,
			Address: "192.0.2.12:443", Status: result.StatusError, Code: result.CodeHandshake,
			Message:    result.CodeHandshake.Message(),
			Detail:     "peer offers only TLS 1.0; a strict client needs TLS 1.2 or newer",
			DurationMS: 8.75,
			Problems: []result.Problem{{ID: result.ProblemLegacyTLS, Severity: result.SeverityError, Code: result.CodeHandshake, Cert: -1,
				Message: "peer offers only TLS 1.0; a strict client needs TLS 1.2 or newer"}},
		},
		{ // error 11100, invalid target
			Target: "http://plain.example.com", Status: result.StatusError, Code: result.CodeInvalidURL,
			Message: result.CodeInvalidURL.Message(),
			Detail:  `"http://plain.example.com": scheme http is not TLS; use https://`,
			Problems: []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError, Code: result.CodeInvalidURL, Cert: -1,
				Message: `"http://plain.example.com": scheme http is not TLS; use https://`}},
		},
		{ // hostile strings from the server
			Target: "evil.example.com\x1b[2J", Host: "evil.example.com", Port: 443,
			Address: "192.0.2.66:443", Status: result.StatusFail, Code: result.CodeNoPath,
			Message:    result.CodeNoPath.Message(),
			Detail:     "self-signed \x1b[31mred\x1b[0m \u202egnp.exe\u202c\x9b31m\x7f",
			DurationMS: 3, TLS: tlsInfo(),
			Chain: []result.Cert{leaf("\x1b[31mevil\u202eCA", `CN=\1b]0;pwned\07Evil `+"\u202e"+`CA\,Inc,O=Evil`, days(365), "evil.example.com")},
			Trust: map[string]result.Verdict{
				"mozilla": {Trusted: false, Code: result.CodeNoPath},
				"java":    {Trusted: false, Code: result.CodeNoPath},
			},
			Problems: []result.Problem{{ID: result.ProblemSelfSigned, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: 0,
				Message: "self-signed \x1b[31mred\x1b[0m \u202egnp.exe\u202c"}},
		},
	}
	for i := range rs {
		rs[i].Schema = result.Schema
		rs[i].Index = i
		rs[i].ValidatedAt = validatedAt
	}
	return rs
}

// shuffleOrder is the fixed order the fixtures are added in, as results
// arrive from concurrent workers.
var shuffleOrder = []int{4, 0, 6, 2, 5, 1, 3}

// manyResults returns n results cycling through the fixtures, for benchmarks.
func manyResults(n int) []result.Result {
	base := fixtures()
	rs := make([]result.Result, n)
	for i := range rs {
		rs[i] = base[i%len(base)]
		rs[i].Index = n - 1 - i
	}
	return rs
}

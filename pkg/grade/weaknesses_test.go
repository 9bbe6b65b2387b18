package grade

import (
	"crypto/x509"
	"slices"
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

// TestWeaknesses: each weakness gives its problem id at its severity, and
// the modern server gives none but the absent ones.
func TestWeaknesses(t *testing.T) {
	withOCSP := &x509.Certificate{OCSPServer: []string{"http://ocsp.example.test"}}
	withoutOCSP := &x509.Certificate{}
	tests := []struct {
		name   string
		mutate func(r *result.Result)
		ctx    Context
		id     string
		sev    result.Severity
		code   result.Code
	}{
		{"ssl2", func(r *result.Result) { r.Scan.Protocols[5].Supported = true }, Context{}, result.ProblemProtocolSSL2, result.SeverityWarn, 0},
		{"ssl3", func(r *result.Result) { r.Scan.Protocols[4].Supported = true }, Context{}, result.ProblemProtocolSSL3, result.SeverityWarn, 0},
		{"tls10", func(r *result.Result) { r.Scan.Protocols[3].Supported = true }, Context{}, result.ProblemProtocolTLS10, result.SeverityWarn, 0},
		{"tls11", func(r *result.Result) { r.Scan.Protocols[2].Supported = true }, Context{}, result.ProblemProtocolTLS11, result.SeverityWarn, 0},
		{"no tls13", func(r *result.Result) { setProtocols(r, TLS12) }, Context{}, result.ProblemNoTLS13, result.SeverityInfo, 0},
		{"rc4", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_RC4_128_SHA", Enc: "RC4_128", Bits: 128})
		}, Context{}, result.ProblemCipherRC4, result.SeverityWarn, 0},
		{"3des", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Enc: "3DES_EDE_CBC", Bits: 112})
		}, Context{}, result.ProblemCipher3DES, result.SeverityWarn, 0},
		{"export", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_EXPORT_WITH_RC4_40_MD5", Bits: 40})
		}, Context{}, result.ProblemCipherExport, result.SeverityWarn, 0},
		{"weak", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_DES_CBC_SHA", Bits: 56})
		}, Context{}, result.ProblemCipherWeak, result.SeverityWarn, 0},
		{"cbc only", func(r *result.Result) {
			r.Scan.CipherSuites = []result.Suite{suite(TLS13, "TLS_AES_128_GCM_SHA256", 128, true, true), suite(TLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true)}
		}, Context{}, result.ProblemCipherCBCOnly, result.SeverityWarn, 0},
		{"no forward secrecy", func(r *result.Result) {
			setProtocols(r, TLS12)
			r.Scan.CipherSuites = []result.Suite{{Protocol: TLS12, Name: "TLS_RSA_WITH_AES_128_GCM_SHA256", Bits: 128, AEAD: true}}
		}, Context{}, result.ProblemNoForwardSecrecy, result.SeverityWarn, 0},
		{"no aead", func(r *result.Result) {
			setProtocols(r, TLS12)
			r.Scan.CipherSuites = []result.Suite{suite(TLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true)}
		}, Context{}, result.ProblemNoAEAD, result.SeverityWarn, 0},
		{"dh weak", func(r *result.Result) { r.Scan.DHBits = 1024 }, Context{}, result.ProblemDHWeak, result.SeverityWarn, 0},
		{"no secure renegotiation", func(r *result.Result) { r.Scan.Features.SecureRenegotiation = false }, Context{}, result.ProblemNoSecureRenegotiation, result.SeverityWarn, 0},
		{"insecure renegotiation", func(r *result.Result) { r.Scan.Features.InsecureRenegotiation = true }, Context{}, result.ProblemInsecureRenegotiation, result.SeverityWarn, 0},
		{"no fallback scsv", func(r *result.Result) { r.Scan.Features.FallbackSCSV = false }, Context{}, result.ProblemNoFallbackSCSV, result.SeverityInfo, 0},
		{"compression", func(r *result.Result) { r.Scan.Features.Compression = true }, Context{}, result.ProblemCompression, result.SeverityWarn, 0},
		{"hsts missing", func(r *result.Result) { r.Scan.Features.HSTS = nil }, Context{}, result.ProblemHSTSMissing, result.SeverityInfo, 0},
		{"hsts short", func(r *result.Result) { r.Scan.Features.HSTS.MaxAge = 86400 }, Context{}, result.ProblemHSTSMissing, result.SeverityInfo, 0},
		{"no tls12", func(r *result.Result) {
			addSuite(r, suite(TLS11, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true))
			setProtocols(r, TLS11)
		}, Context{}, result.ProblemNoTLS12, result.SeverityWarn, 0},
		{"anonymous", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_ECDH_anon_WITH_AES_128_CBC_SHA", Auth: "anon", Bits: 128})
		}, Context{}, result.ProblemCipherAnonymous, result.SeverityWarn, 0},
		{"key weak", func(r *result.Result) { r.Scan.ServerKey = "RSA 1024" }, Context{}, result.ProblemKeyWeak, result.SeverityWarn, 0},
		{"hsts not checked", func(r *result.Result) {
			r.Scan.Features.HSTS, r.Scan.Features.HSTSChecked, r.Scan.Features.HSTSNotChecked = nil, false, result.HSTSUntrustedChain
		}, Context{}, result.ProblemHSTSNotChecked, result.SeverityInfo, 0},
		{"no client connects", func(r *result.Result) {
			r.Scan.Clients = []result.ClientSimulation{{Name: "OpenSSL 3", Code: result.CodeHandshake, Message: "DH 1024 below the security level"}}
		}, Context{}, result.ProblemNoClientConnects, result.SeverityError, result.CodeHandshake},
		{"client fails", func(r *result.Result) {
			r.Scan.Clients = []result.ClientSimulation{{Name: "Java 17", OK: true}, {Name: "Old client", Code: result.CodeHandshake}}
		}, Context{}, result.ProblemClientFails, result.SeverityInfo, 0},
		{"ocsp not stapled", func(*result.Result) {}, Context{Leaf: withOCSP}, result.ProblemOCSPNotStapled, result.SeverityInfo, 0},
		{"must staple missing", func(r *result.Result) { r.Scan.Features.MustStaple = true }, Context{Leaf: withoutOCSP}, result.ProblemMustStapleMissing, result.SeverityWarn, 0},
		{"ocsp stale", func(r *result.Result) {
			r.Scan.Features.OCSP = &result.OCSPStaple{Status: "good", Stale: true, Error: "not fresh"}
		}, Context{Leaf: withOCSP}, result.ProblemOCSPStale, result.SeverityWarn, 0},
		{"ocsp invalid", func(r *result.Result) {
			r.Scan.Features.OCSP = &result.OCSPStaple{Status: "good", Error: "bad signature"}
		}, Context{Leaf: withOCSP}, result.ProblemOCSPInvalid, result.SeverityWarn, 0},
		{"stapled revoked, java sender", func(r *result.Result) {
			r.Scan.Features.OCSP = &result.OCSPStaple{Status: "revoked", Valid: true}
		}, Context{Leaf: withOCSP}, result.ProblemRevoked, result.SeverityWarn, 0},
		{"stapled revoked, browser", func(r *result.Result) {
			r.Scan.Features.OCSP = &result.OCSPStaple{Status: "revoked", Valid: true}
		}, Context{Leaf: withOCSP, Client: "firefox-140"}, result.ProblemRevoked, result.SeverityError, result.CodeNoPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := modernResult()
			tt.mutate(r)
			ps := Weaknesses(r.Scan, tt.ctx)
			i := slices.IndexFunc(ps, func(p result.Problem) bool { return p.ID == tt.id })
			if i < 0 {
				t.Fatalf("no %s among %v", tt.id, ps)
			}
			if p := ps[i]; p.Severity != tt.sev || p.Code != tt.code || p.Message == "" {
				t.Errorf("%s: severity %s code %d message %q, want %s %d", tt.id, p.Severity, p.Code, p.Message, tt.sev, tt.code)
			}
		})
	}
}

// TestWeaknessesNone: the modern server has no weakness, and a leaf that
// names no OCSP responder is never flagged for a missing staple.
func TestWeaknessesNone(t *testing.T) {
	for _, leaf := range []*x509.Certificate{nil, {}, {CRLDistributionPoints: []string{"http://crl.example.test/ca.crl"}}} {
		r := modernResult()
		if ps := Weaknesses(r.Scan, Context{Leaf: leaf}); len(ps) != 0 {
			t.Errorf("leaf %v: weaknesses %v, want none", leaf, ps)
		}
	}
	if Weaknesses(nil, Context{}) != nil {
		t.Error("weaknesses of no scan")
	}
}

package grade

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

func suite(proto, name string, bits int, aead, fs bool) result.Suite {
	return result.Suite{Protocol: proto, Name: name, Bits: bits, AEAD: aead, ForwardSecret: fs, Kex: "ECDHE", Auth: "ECDSA"}
}

// modern is a server that earns A+: TLS 1.2 and 1.3, ECDSA P-256, x25519,
// AEAD suites with forward secrecy, secure renegotiation, a year of HSTS.
func modernResult() *result.Result {
	return &result.Result{
		Status: result.StatusOK,
		Scan: &result.Scan{
			HTTPS:     true,
			Protocols: []result.ProtocolSupport{{Version: TLS13, Supported: true}, {Version: TLS12, Supported: true}, {Version: TLS11}, {Version: TLS10}, {Version: SSL3}, {Version: SSL2}},
			CipherSuites: []result.Suite{
				suite(TLS13, "TLS_AES_128_GCM_SHA256", 128, true, true),
				suite(TLS13, "TLS_AES_256_GCM_SHA384", 256, true, true),
				suite(TLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", 128, true, true),
			},
			Groups:    []string{"X25519MLKEM768", "x25519", "secp256r1"},
			ServerKey: "ECDSA P-256",
			Features: result.Features{SecureRenegotiation: true, FallbackSCSV: true,
				HSTS: &result.HSTS{MaxAge: 31536000}, HSTSChecked: true},
		},
	}
}

func setProtocols(r *result.Result, versions ...string) {
	r.Scan.Protocols = nil
	for _, v := range []string{TLS13, TLS12, TLS11, TLS10, SSL3, SSL2} {
		r.Scan.Protocols = append(r.Scan.Protocols, result.ProtocolSupport{Version: v, Supported: slices.Contains(versions, v)})
	}
	var kept []result.Suite
	for _, s := range r.Scan.CipherSuites {
		if slices.Contains(versions, s.Protocol) {
			kept = append(kept, s)
		}
	}
	r.Scan.CipherSuites = kept
}

func addSuite(r *result.Result, s result.Suite) { r.Scan.CipherSuites = append(r.Scan.CipherSuites, s) }

// TestRules: one case per rule of the table; each makes the modern server
// break that rule and checks the cap is listed and the grade it gives.
func TestRules(t *testing.T) {
	tests := []struct {
		rule   string
		grade  string
		ignore string // the grade ignoring trust, for T and M
		mutate func(r *result.Result)
	}{
		{"untrusted", "T", "A+", func(r *result.Result) { r.Status, r.Code = result.StatusFail, result.CodeNoPath }},
		{"name-mismatch", "M", "A+", func(r *result.Result) { r.Status, r.Code = result.StatusFail, result.CodeDomainMismatch }},
		{"ssl2", "F", "", func(r *result.Result) {
			r.Scan.Protocols[5].Supported = true
		}},
		{"insecure-renegotiation", "F", "", func(r *result.Result) { r.Scan.Features.InsecureRenegotiation = true }},
		{"ssl3-best", "F", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: SSL3, Name: "TLS_RSA_WITH_AES_128_CBC_SHA", Bits: 128})
			setProtocols(r, SSL3)
		}},
		{"key-below-1024", "F", "", func(r *result.Result) { r.Scan.ServerKey = "RSA 768" }},
		{"dh-below-1024", "F", "", func(r *result.Result) { r.Scan.DHBits = 768 }},
		{"export-suites", "F", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", Bits: 40})
		}},
		{"anonymous-suites", "F", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_DH_anon_WITH_AES_128_GCM_SHA256", Auth: "anon", Bits: 128, AEAD: true, ForwardSecret: true})
		}},
		{"weak-suites", "F", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_DES_CBC_SHA", Bits: 56})
		}},
		{"no-tls12", "C", "", func(r *result.Result) {
			addSuite(r, suite(TLS11, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true))
			setProtocols(r, TLS13, TLS11)
		}},
		{"rc4-tls11", "C", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_RC4_128_SHA", Enc: "RC4_128", Bits: 128})
		}},
		{"3des-tls11", "C", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Enc: "3DES_EDE_CBC", Bits: 112})
		}},
		{"compression", "C", "", func(r *result.Result) { r.Scan.Features.Compression = true }},
		{"ssl3", "C", "", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: SSL3, Name: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Bits: 128, ForwardSecret: true})
			setProtocols(r, TLS13, TLS12, SSL3)
		}},
		{"tls10-tls11", "B", "", func(r *result.Result) {
			addSuite(r, suite(TLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true))
			setProtocols(r, TLS13, TLS12, TLS10)
		}},
		{"no-forward-secrecy", "B", "", func(r *result.Result) {
			setProtocols(r, TLS12)
			r.Scan.CipherSuites = []result.Suite{{Protocol: TLS12, Name: "TLS_RSA_WITH_AES_128_GCM_SHA256", Kex: "RSA", Bits: 128, AEAD: true}}
		}},
		{"no-aead", "B", "", func(r *result.Result) {
			setProtocols(r, TLS12)
			r.Scan.CipherSuites = []result.Suite{suite(TLS12, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", 128, false, true)}
		}},
		{"key-below-2048", "B", "", func(r *result.Result) { r.Scan.ServerKey = "RSA 1024" }},
		{"dh-below-2048", "B", "", func(r *result.Result) { r.Scan.DHBits = 1024 }},
		{"incomplete-chain", "B", "", func(r *result.Result) {
			r.Problems = []result.Problem{{ID: result.ProblemIncompleteChain, Severity: result.SeverityInfo, Message: "the chain lacks an intermediate"}}
		}},
		{"no-tls13", "A-", "", func(r *result.Result) { setProtocols(r, TLS12) }},
		{"no-secure-renegotiation", "A-", "", func(r *result.Result) { r.Scan.Features.SecureRenegotiation = false }},
		{"hsts-missing", "A-", "", func(r *result.Result) { r.Scan.Features.HSTS = nil }},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.rule] = true
		t.Run(tt.rule, func(t *testing.T) {
			r := modernResult()
			tt.mutate(r)
			g := Rate(r)
			if g == nil {
				t.Fatal("no grade")
			}
			capsExplained(t, r, g)
			if !slices.ContainsFunc(g.Caps, func(c result.Cap) bool { return c.ID == tt.rule && c.Message != "" }) {
				t.Errorf("caps %v lack %s", g.Caps, tt.rule)
			}
			if g.Grade != tt.grade || g.IgnoringTrust != tt.ignore {
				t.Errorf("grade %s (ignoring trust %q), want %s (%q); caps %v", g.Grade, g.IgnoringTrust, tt.grade, tt.ignore, g.Caps)
			}
		})
	}
	for _, r := range rules {
		if !seen[r.ID] {
			t.Errorf("rule %s has no test case", r.ID)
		}
	}
}

// capsExplained fails the test when a cap of g that is not a trust rule
// has no problem among r's problems and the weaknesses of its scan: a cap
// must never lower the grade without a problem that says why.
func capsExplained(t *testing.T, r *result.Result, g *result.Grade) {
	t.Helper()
	ps := append(slices.Clone(r.Problems), Weaknesses(r.Scan, Context{})...)
	for _, c := range g.Caps {
		i := slices.IndexFunc(rules, func(ru rule) bool { return ru.ID == c.ID })
		if i < 0 {
			t.Errorf("cap %s is not in the rules table", c.ID)
			continue
		}
		ru := rules[i]
		if ru.Trust {
			continue
		}
		if len(ru.Problems) == 0 {
			t.Errorf("rule %s names no problem id that explains it", ru.ID)
			continue
		}
		if !slices.ContainsFunc(ps, func(p result.Problem) bool { return slices.Contains(ru.Problems, p.ID) && p.Message != "" }) {
			t.Errorf("cap %s applies but none of its problems %v is emitted; problems %v", ru.ID, ru.Problems, ps)
		}
	}
}

// TestRulesHaveProblems: every rule of the table that is not a trust rule
// names the problem ids that explain it, each a known weakness id; a rule
// added without one fails here, and TestRules checks each cap that fires
// has its problem emitted for the same scan.
func TestRulesHaveProblems(t *testing.T) {
	for _, ru := range rules {
		if ru.Trust {
			if len(ru.Problems) != 0 {
				t.Errorf("trust rule %s names problems %v: its code says it", ru.ID, ru.Problems)
			}
			continue
		}
		if len(ru.Problems) == 0 {
			t.Errorf("rule %s (cap %s) names no problem id: add a weakness to Weaknesses and list it", ru.ID, ru.Grade)
		}
	}
}

// TestAnonymousSuitesExplained: a server offering anonymous suites (as a
// default Postfix does) gets F with the cipher-anonymous problem saying why.
func TestAnonymousSuitesExplained(t *testing.T) {
	r := modernResult()
	setProtocols(r, TLS12)
	addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_ECDH_anon_WITH_AES_256_CBC_SHA", Kex: "ECDHE", Auth: "anon", Enc: "AES_256_CBC", Bits: 256, ForwardSecret: true})
	addSuite(r, result.Suite{Protocol: TLS12, Name: "TLS_DH_anon_WITH_AES_256_GCM_SHA384", Kex: "DHE", Auth: "anon", Enc: "AES_256_GCM", Bits: 256, AEAD: true, ForwardSecret: true})
	g := Rate(r)
	if g.Grade != "F" {
		t.Errorf("grade %s, want F", g.Grade)
	}
	ps := Weaknesses(r.Scan, Context{})
	i := slices.IndexFunc(ps, func(p result.Problem) bool { return p.ID == result.ProblemCipherAnonymous })
	if i < 0 || ps[i].Severity != result.SeverityWarn || !strings.Contains(ps[i].Message, "TLS_DH_anon_WITH_AES_256_GCM_SHA384") {
		t.Errorf("weaknesses %v, want cipher-anonymous (warn) naming the suites", ps)
	}
	capsExplained(t, r, g)
}

// TestOldProtocolCaps: every protocol older than TLS 1.2 caps the grade at
// B or worse, SSL 3.0 at C (SSL Labs since POODLE) even beside TLS 1.2
// and 1.3; a server speaking TLS 1.3 alone is not capped for lacking 1.2.
func TestOldProtocolCaps(t *testing.T) {
	old := map[string]result.Suite{
		SSL2:  {Protocol: SSL2, Name: "SSL_CK_RC4_128_WITH_MD5", Enc: "RC4_128", Bits: 128},
		SSL3:  suite(SSL3, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true),
		TLS10: suite(TLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true),
		TLS11: suite(TLS11, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true),
	}
	tests := []struct {
		old   string
		worst string // the best grade allowed
	}{{SSL2, "F"}, {SSL3, "C"}, {TLS10, "B"}, {TLS11, "B"}}
	for _, tt := range tests {
		for _, modern := range [][]string{{TLS13, TLS12}, {TLS12}, {TLS13}} {
			r := modernResult()
			addSuite(r, old[tt.old])
			setProtocols(r, append(slices.Clone(modern), tt.old)...)
			g := Rate(r)
			if rank(g.Grade) < rank(tt.worst) {
				t.Errorf("%s beside %v: grade %s, want %s or worse; caps %v", tt.old, modern, g.Grade, tt.worst, g.Caps)
			}
			capsExplained(t, r, g)
		}
	}
	r := modernResult()
	setProtocols(r, TLS13)
	if g := Rate(r); g.Grade != "A+" || len(g.Caps) != 0 {
		t.Errorf("TLS 1.3 only: grade %s caps %v, want A+ without caps", g.Grade, g.Caps)
	}
}

// TestHSTSNotMeasured: an https target whose HSTS was never asked for (an
// untrusted chain, no handshake Go completes) gets no hsts-missing problem
// and no HSTS cap, so the grade ignoring trust is not lowered; it gets an
// hsts-not-checked note saying why, and no A+.
func TestHSTSNotMeasured(t *testing.T) {
	for _, why := range []string{result.HSTSUntrustedChain, result.HSTSNoHandshake, result.HSTSNoResponse} {
		r := modernResult()
		r.Scan.Features.HSTS, r.Scan.Features.HSTSChecked, r.Scan.Features.HSTSNotChecked = nil, false, why
		r.Status, r.Code = result.StatusFail, result.CodeNoPath
		g := Rate(r)
		if g.Grade != "T" || g.IgnoringTrust != "A" || slices.ContainsFunc(g.Caps, func(c result.Cap) bool { return c.ID == "hsts-missing" }) {
			t.Errorf("%s: grade %s ignoring trust %s caps %v; want T, A, no hsts-missing", why, g.Grade, g.IgnoringTrust, g.Caps)
		}
		ps := Weaknesses(r.Scan, Context{})
		if slices.ContainsFunc(ps, func(p result.Problem) bool { return p.ID == result.ProblemHSTSMissing }) {
			t.Errorf("%s: hsts-missing among %v", why, ps)
		}
		i := slices.IndexFunc(ps, func(p result.Problem) bool { return p.ID == result.ProblemHSTSNotChecked })
		if i < 0 || ps[i].Severity != result.SeverityInfo || strings.Contains(ps[i].Message, "server sends no") {
			t.Errorf("%s: weaknesses %v, want an hsts-not-checked note", why, ps)
		}
		if why == result.HSTSUntrustedChain && (i < 0 || !strings.Contains(ps[i].Message, "trusts")) {
			t.Errorf("untrusted chain: the note does not say why: %v", ps)
		}
	}
}

// Test3DESEffectiveStrength: 3DES is scored at its effective 112 bits
// (cipher strength 20), not the nominal 168 bits guide 2009r's table would
// count (80). The deviation is deliberate and documented in the README.
func Test3DESEffectiveStrength(t *testing.T) {
	if got := cipherStrength(112); got != 20 {
		t.Errorf("112 bits: %d, want 20", got)
	}
	r := modernResult()
	setProtocols(r, TLS12)
	r.Scan.CipherSuites = []result.Suite{{Protocol: TLS12, Name: "TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", Enc: "3DES_EDE_CBC", Bits: 112, ForwardSecret: true}}
	if g := Rate(r); g.Cipher != 20 {
		t.Errorf("3DES only: cipher score %d, want 20 (effective 112 bits)", g.Cipher)
	}
}

// TestRateModern: the modern server gets A+ with no caps; a warning, short
// HSTS or a capped rule keep it from A+.
func TestRateModern(t *testing.T) {
	r := modernResult()
	g := Rate(r)
	if g.Grade != "A+" || len(g.Caps) != 0 || g.IgnoringTrust != "" {
		t.Fatalf("modern: %+v", g)
	}
	r.Problems = []result.Problem{{ID: result.ProblemExpiresSoon, Severity: result.SeverityWarn}}
	if g := Rate(r); g.Grade != "A" {
		t.Errorf("with a warning: %s, want A", g.Grade)
	}
	r = modernResult()
	r.Scan.Features.HSTS.MaxAge = HSTSMinAge - 1
	if g := Rate(r); g.Grade != "A-" {
		t.Errorf("short HSTS: %s, want A-", g.Grade)
	}
	if Rate(&result.Result{}) != nil || Rate(&result.Result{Scan: &result.Scan{}}) != nil {
		t.Error("a result without a scan or protocols has a grade")
	}
}

// TestScores: the guide's sub-score tables and the weighting.
func TestScores(t *testing.T) {
	tests := []struct {
		name                     string
		mutate                   func(r *result.Result)
		protocol, kex, cipher, s int
		letter                   string
	}{
		{"modern", func(*result.Result) {}, 100, 90, 90, 93, "A"},
		{"rsa 4096 aes256 only", func(r *result.Result) {
			r.Scan.ServerKey, r.Scan.Groups = "RSA 4096", []string{"secp384r1"}
			r.Scan.CipherSuites = []result.Suite{suite(TLS13, "TLS_AES_256_GCM_SHA384", 256, true, true)}
		}, 100, 100, 100, 100, "A"},
		{"tls 1.0 to 1.2, rsa 2048, dh 1024", func(r *result.Result) {
			addSuite(r, suite(TLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", 128, false, true))
			setProtocols(r, TLS12, TLS10)
			r.Scan.ServerKey, r.Scan.DHBits = "RSA 2048", 1024
		}, 95, 80, 80, 85, "A"},
		{"ssl 3 and tls 1.2, 3des", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: SSL3, Name: "TLS_RSA_WITH_3DES_EDE_CBC_SHA", Bits: 112})
			setProtocols(r, TLS12, SSL3)
		}, 90, 90, 50, 74, "B"},
		{"ssl 2, export", func(r *result.Result) {
			addSuite(r, result.Suite{Protocol: SSL2, Name: "SSL_CK_RC4_128_EXPORT40_WITH_MD5", Bits: 40})
			setProtocols(r, TLS12, SSL2)
		}, 50, 40, 50, 47, "D"},
		{"anonymous, null", func(r *result.Result) {
			r.Scan.CipherSuites = []result.Suite{{Protocol: TLS12, Name: "TLS_ECDH_anon_WITH_NULL_SHA", Auth: "anon", Bits: 0}}
			setProtocols(r, TLS12)
		}, 100, 0, 0, 30, "E"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := modernResult()
			tt.mutate(r)
			g := Rate(r)
			if g.Protocol != tt.protocol || g.KeyExchange != tt.kex || g.Cipher != tt.cipher || g.Score != tt.s {
				t.Errorf("protocol %d kex %d cipher %d score %d, want %d %d %d %d", g.Protocol, g.KeyExchange, g.Cipher, g.Score, tt.protocol, tt.kex, tt.cipher, tt.s)
			}
			if l := scoreLetter(g.Score); l != tt.letter {
				t.Errorf("score letter %s, want %s", l, tt.letter)
			}
		})
	}
}

func TestParseGrade(t *testing.T) {
	for in, want := range map[string]string{"a+": "A+", " B ": "B", "a-": "A-", "F": "F", "t": "T", "m": "M"} {
		if got, err := ParseGrade(in); err != nil || got != want {
			t.Errorf("ParseGrade(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "A++", "G", "B+"} {
		_, err := ParseGrade(in)
		var ig *InvalidGradeError
		if !errors.As(err, &ig) {
			t.Errorf("ParseGrade(%q) error = %v, want *InvalidGradeError", in, err)
		}
	}
}

func TestBelow(t *testing.T) {
	tests := []struct {
		g, min string
		below  bool
	}{
		{"A+", "A", false}, {"A", "A", false}, {"A-", "A", true}, {"B", "A-", true},
		{"C", "B", true}, {"B", "C", false}, {"F", "E", true}, {"T", "F", true}, {"M", "F", true},
		{"F", "F", false}, {"A+", "A+", false}, {"A", "A+", true}, {"", "F", true}, {"F", "", false},
	}
	for _, tt := range tests {
		if got := Below(tt.g, tt.min); got != tt.below {
			t.Errorf("Below(%q, %q) = %v, want %v", tt.g, tt.min, got, tt.below)
		}
	}
}

// TestNoHSTSForOtherServices: HSTS is an HTTP header, so a mail, directory
// or database server (a STARTTLS or other non-HTTPS target) is neither
// capped nor warned for lacking it, and can reach A+; an HTTPS server
// without it is capped at A-.
func TestNoHSTSForOtherServices(t *testing.T) {
	r := modernResult()
	r.Scan.Features.HSTS = nil
	r.Scan.HTTPS = false
	if g := Rate(r); g.Grade != "A+" || len(g.Caps) != 0 {
		t.Errorf("non-HTTPS without HSTS: %s %+v, want A+ with no cap", g.Grade, g.Caps)
	}
	for _, p := range Weaknesses(r.Scan, Context{}) {
		if p.ID == result.ProblemHSTSMissing {
			t.Errorf("non-HTTPS: weakness %s: %s", p.ID, p.Message)
		}
	}
	r.Scan.HTTPS = true
	if g := Rate(r); g.Grade != "A-" {
		t.Errorf("HTTPS without HSTS: %s, want A-", g.Grade)
	}
}

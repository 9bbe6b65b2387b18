package grade

import "github.com/certgate/certgate/pkg/result"

// rule is one cap of the rating: when Applies, the grade is at most Grade
// and the cap is listed with its Message.
type rule struct {
	// ID names the cap in result.Grade's caps; stable.
	ID string
	// Grade is the best grade the rule allows.
	Grade string
	// Trust marks the T and M rules: the grade ignoring trust is kept
	// beside them.
	Trust bool
	// Message says what was found and what to change.
	Message string
	// Applies reports whether the rule caps the grade.
	Applies func(f *facts) bool
}

// rules are the caps of certgate's reading of the SSL Labs server rating
// guide 2009r, worst first.
var rules = []rule{
	{ID: "untrusted", Grade: "T", Trust: true,
		Message: "no selected trust store trusts the certificate: serve a chain to a trusted root that is valid now",
		Applies: func(f *facts) bool {
			return f.status == result.StatusFail && (f.code == result.CodeNoPath || f.code == result.CodeExpired)
		}},
	{ID: "name-mismatch", Grade: "M", Trust: true,
		Message: "the certificate does not name the host: serve a certificate whose subjectAltName covers it",
		Applies: func(f *facts) bool { return f.status == result.StatusFail && f.code == result.CodeDomainMismatch }},

	{ID: "ssl2", Grade: "F", Message: "SSL 2.0 is supported: disable it",
		Applies: func(f *facts) bool { return f.protocols[SSL2] }},
	{ID: "insecure-renegotiation", Grade: "F", Message: "renegotiation without RFC 5746 is accepted: disable it or enable secure renegotiation",
		Applies: func(f *facts) bool { return f.features.InsecureRenegotiation }},
	{ID: "ssl3-best", Grade: "F", Message: "SSL 3.0 is the best protocol supported: enable TLS 1.2 and TLS 1.3",
		Applies: func(f *facts) bool { return f.best() == SSL3 }},
	{ID: "key-below-1024", Grade: "F", Message: "the server key is below 1024 bits: use an RSA key of 2048 bits or more, or ECDSA",
		Applies: func(f *facts) bool { return f.keyFinite && f.keyBits > 0 && f.keyBits < 1024 }},
	{ID: "dh-below-1024", Grade: "F", Message: "the DH prime is below 1024 bits: use 2048-bit DH parameters or ECDHE only",
		Applies: func(f *facts) bool { return f.dhBits > 0 && f.dhBits < 1024 }},
	{ID: "export-suites", Grade: "F", Message: "export cipher suites are accepted: disable them",
		Applies: func(f *facts) bool { return f.export }},
	{ID: "anonymous-suites", Grade: "F", Message: "anonymous cipher suites (no server authentication) are accepted: disable them",
		Applies: func(f *facts) bool { return f.anonymous }},
	{ID: "weak-suites", Grade: "F", Message: "cipher suites of less than 112 bits (NULL, DES, 40- or 56-bit) are accepted: disable them",
		Applies: func(f *facts) bool { return f.anySuite(func(s result.Suite) bool { return s.Bits < 112 }) }},

	{ID: "no-tls12", Grade: "C", Message: "TLS 1.2 is not supported: enable TLS 1.2 and TLS 1.3",
		Applies: func(f *facts) bool { return !f.protocols[TLS12] }},
	{ID: "rc4-tls11", Grade: "C", Message: "RC4 is accepted with TLS 1.1 or later: disable RC4",
		Applies: func(f *facts) bool { return f.anySuite(func(s result.Suite) bool { return isRC4(s) && modern(s) }) }},
	{ID: "3des-tls11", Grade: "C", Message: "3DES is accepted with TLS 1.1 or later: disable 3DES",
		Applies: func(f *facts) bool { return f.anySuite(func(s result.Suite) bool { return is3DES(s) && modern(s) }) }},
	{ID: "compression", Grade: "C", Message: "TLS compression is accepted (CRIME): disable it",
		Applies: func(f *facts) bool { return f.features.Compression }},

	{ID: "tls10-tls11", Grade: "B", Message: "TLS 1.0 or TLS 1.1 is supported: disable both",
		Applies: func(f *facts) bool { return f.protocols[TLS10] || f.protocols[TLS11] }},
	{ID: "no-forward-secrecy", Grade: "B", Message: "no cipher suite has forward secrecy: enable ECDHE suites",
		Applies: func(f *facts) bool {
			return len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.ForwardSecret })
		}},
	{ID: "no-aead", Grade: "B", Message: "no cipher suite is AEAD: enable AES-GCM or ChaCha20-Poly1305 suites",
		Applies: func(f *facts) bool {
			return len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.AEAD })
		}},
	{ID: "key-below-2048", Grade: "B", Message: "the server key is below 2048 bits: use an RSA key of 2048 bits or more, or ECDSA",
		Applies: func(f *facts) bool { return f.keyFinite && f.keyBits >= 1024 && f.keyBits < 2048 }},
	{ID: "dh-below-2048", Grade: "B", Message: "the DH prime is below 2048 bits: use 2048-bit DH parameters or ECDHE only",
		Applies: func(f *facts) bool { return f.dhBits >= 1024 && f.dhBits < 2048 }},
	{ID: "incomplete-chain", Grade: "B", Message: "the chain lacks an intermediate certificate: serve the full chain",
		Applies: func(f *facts) bool { return f.incomplete }},

	{ID: "no-tls13", Grade: "A-", Message: "TLS 1.3 is not supported: enable it",
		Applies: func(f *facts) bool { return !f.protocols[TLS13] }},
	{ID: "no-secure-renegotiation", Grade: "A-", Message: "secure renegotiation (RFC 5746) is not supported: enable it",
		Applies: func(f *facts) bool { return !f.features.SecureRenegotiation && f.hasPre13() }},
	{ID: "hsts-missing", Grade: "A-", Message: "no Strict-Transport-Security header with a max-age of 180 days or more: send one",
		Applies: func(f *facts) bool { return f.http && f.hstsAge < HSTSMinAge }},
}

// hasPre13 reports whether the server speaks a protocol older than TLS 1.3,
// where renegotiation exists.
func (f *facts) hasPre13() bool {
	return f.protocols[TLS12] || f.protocols[TLS11] || f.protocols[TLS10] || f.protocols[SSL3]
}

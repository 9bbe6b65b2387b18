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
	// Problems are the problem ids that explain the cap: whenever the
	// rule applies, one of them is among the result's problems (from
	// Weaknesses, or from check for the chain), so a cap never lowers the
	// grade without a problem saying why. Trust rules need none: the
	// result's own code says it.
	Problems []string
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
		Applies: func(f *facts) bool { return f.protocols[SSL2] }, Problems: []string{result.ProblemProtocolSSL2}},
	// certgate does not test insecure renegotiation: Go's client cannot
	// start a renegotiation, so a scan never sets InsecureRenegotiation and
	// this rule fires only for a result that reports it from elsewhere. It
	// is kept so that the table is the guide's; the README says so.
	{ID: "insecure-renegotiation", Grade: "F", Message: "renegotiation without RFC 5746 is accepted: disable it or enable secure renegotiation",
		Applies: func(f *facts) bool { return f.features.InsecureRenegotiation }, Problems: []string{result.ProblemInsecureRenegotiation}},
	{ID: "ssl3-best", Grade: "F", Message: "SSL 3.0 is the best protocol supported: enable TLS 1.2 and TLS 1.3",
		Applies: func(f *facts) bool { return f.best() == SSL3 }, Problems: []string{result.ProblemProtocolSSL3}},
	{ID: "key-below-1024", Grade: "F", Message: "the server key is below 1024 bits: use an RSA key of 2048 bits or more, or ECDSA",
		Applies: func(f *facts) bool { return f.keyFinite && f.keyBits > 0 && f.keyBits < 1024 }, Problems: []string{result.ProblemKeyWeak}},
	{ID: "dh-below-1024", Grade: "F", Message: "the DH prime is below 1024 bits: use 2048-bit DH parameters or ECDHE only",
		Applies: func(f *facts) bool { return f.dhBits > 0 && f.dhBits < 1024 }, Problems: []string{result.ProblemDHWeak}},
	{ID: "export-suites", Grade: "F", Message: "export cipher suites are accepted: disable them",
		Applies: func(f *facts) bool { return f.export }, Problems: []string{result.ProblemCipherExport}},
	{ID: "anonymous-suites", Grade: "F", Message: "anonymous cipher suites (no server authentication) are accepted: disable them",
		Applies: func(f *facts) bool { return f.anonymous }, Problems: []string{result.ProblemCipherAnonymous}},
	// Export suites are export-suites' (cipher-export), whatever their bits.
	{ID: "weak-suites", Grade: "F", Message: "cipher suites of less than 112 bits (NULL, DES, 56-bit) are accepted: disable them",
		Applies: func(f *facts) bool { return f.anySuite(weakSuite) }, Problems: []string{result.ProblemCipherWeak}},

	// A server that speaks TLS 1.3 and nothing older is not capped: only
	// older protocols without TLS 1.2 are.
	{ID: "no-tls12", Grade: "C", Message: "TLS 1.2 is not supported: enable TLS 1.2 and TLS 1.3",
		Applies: noTLS12, Problems: []string{result.ProblemNoTLS12}},
	{ID: "rc4-tls11", Grade: "C", Message: "RC4 is accepted with TLS 1.1 or later: disable RC4",
		Applies:  func(f *facts) bool { return f.anySuite(func(s result.Suite) bool { return isRC4(s) && modern(s) }) },
		Problems: []string{result.ProblemCipherRC4}},
	{ID: "3des-tls11", Grade: "C", Message: "3DES is accepted with TLS 1.1 or later: disable 3DES",
		Applies:  func(f *facts) bool { return f.anySuite(func(s result.Suite) bool { return is3DES(s) && modern(s) }) },
		Problems: []string{result.ProblemCipher3DES}},
	{ID: "compression", Grade: "C", Message: "TLS compression is accepted (CRIME): disable it",
		Applies: func(f *facts) bool { return f.features.Compression }, Problems: []string{result.ProblemCompression}},
	// SSL Labs has capped SSL 3.0 at C since POODLE (2014).
	{ID: "ssl3", Grade: "C", Message: "SSL 3.0 is supported (POODLE): disable it",
		Applies: func(f *facts) bool { return f.protocols[SSL3] }, Problems: []string{result.ProblemProtocolSSL3}},

	{ID: "tls10-tls11", Grade: "B", Message: "TLS 1.0 or TLS 1.1 is supported: disable both",
		Applies:  func(f *facts) bool { return f.protocols[TLS10] || f.protocols[TLS11] },
		Problems: []string{result.ProblemProtocolTLS10, result.ProblemProtocolTLS11}},
	{ID: "no-forward-secrecy", Grade: "B", Message: "no cipher suite has forward secrecy: enable ECDHE suites",
		Applies: func(f *facts) bool {
			return len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.ForwardSecret })
		}, Problems: []string{result.ProblemNoForwardSecrecy}},
	{ID: "no-aead", Grade: "B", Message: "no cipher suite is AEAD: enable AES-GCM or ChaCha20-Poly1305 suites",
		Applies: func(f *facts) bool {
			return len(f.suites) > 0 && !f.anySuite(func(s result.Suite) bool { return s.AEAD })
		}, Problems: []string{result.ProblemNoAEAD}},
	{ID: "key-below-2048", Grade: "B", Message: "the server key is below 2048 bits: use an RSA key of 2048 bits or more, or ECDSA",
		Applies: func(f *facts) bool { return f.keyFinite && f.keyBits >= 1024 && f.keyBits < 2048 }, Problems: []string{result.ProblemKeyWeak}},
	{ID: "dh-below-2048", Grade: "B", Message: "the DH prime is below 2048 bits: use 2048-bit DH parameters or ECDHE only",
		Applies: func(f *facts) bool { return f.dhBits >= 1024 && f.dhBits < 2048 }, Problems: []string{result.ProblemDHWeak}},
	{ID: "incomplete-chain", Grade: "B", Message: "the chain lacks an intermediate certificate: serve the full chain",
		Applies:  func(f *facts) bool { return f.incomplete },
		Problems: []string{result.ProblemIncompleteChain, result.ProblemChainMissingIntermediate}},

	{ID: "no-tls13", Grade: "A-", Message: "TLS 1.3 is not supported: enable it",
		Applies: func(f *facts) bool { return !f.protocols[TLS13] }, Problems: []string{result.ProblemNoTLS13}},
	{ID: "no-secure-renegotiation", Grade: "A-", Message: "secure renegotiation (RFC 5746) is not supported: enable it",
		Applies:  func(f *facts) bool { return !f.features.SecureRenegotiation && f.hasPre13() },
		Problems: []string{result.ProblemNoSecureRenegotiation}},
	// Only where HSTS was measured: an untrusted chain gets no request.
	{ID: "hsts-missing", Grade: "A-", Message: "no Strict-Transport-Security header with a max-age of 180 days or more: send one",
		Applies:  func(f *facts) bool { return f.http && f.hstsChecked && f.hstsAge < HSTSMinAge },
		Problems: []string{result.ProblemHSTSMissing}},
}

// noTLS12 reports whether the server speaks a protocol older than TLS 1.2
// and not TLS 1.2.
func noTLS12(f *facts) bool {
	return !f.protocols[TLS12] && f.hasPre12()
}

// hasPre12 reports whether the server speaks a protocol older than TLS 1.2.
func (f *facts) hasPre12() bool {
	return f.protocols[TLS11] || f.protocols[TLS10] || f.protocols[SSL3] || f.protocols[SSL2]
}

// weakSuite reports whether a suite has less than 112 bits and is not an
// export suite.
func weakSuite(s result.Suite) bool { return s.Bits < 112 && !isExport(s) }

// hasPre13 reports whether the server speaks a protocol older than TLS 1.3,
// where renegotiation exists.
func (f *facts) hasPre13() bool {
	return f.protocols[TLS12] || f.protocols[TLS11] || f.protocols[TLS10] || f.protocols[SSL3]
}

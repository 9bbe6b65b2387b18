package result

// Problem ids of certgate scan: weaknesses of the server's TLS
// configuration. They do not depend on the certificate and never change a
// store's verdict: each is a warning or a note, except where the sender's
// own client cannot connect (then the scan reports error 11220 itself).
const (
	// ProblemProtocolSSL2: the server speaks SSL 2.0 (warn).
	ProblemProtocolSSL2 = "protocol-ssl2"
	// ProblemProtocolSSL3: the server speaks SSL 3.0 (warn).
	ProblemProtocolSSL3 = "protocol-ssl3"
	// ProblemProtocolTLS10: the server speaks TLS 1.0 (warn).
	ProblemProtocolTLS10 = "protocol-tls10"
	// ProblemProtocolTLS11: the server speaks TLS 1.1 (warn).
	ProblemProtocolTLS11 = "protocol-tls11"
	// ProblemNoTLS13: the server does not speak TLS 1.3 (info).
	ProblemNoTLS13 = "no-tls13"
	// ProblemCipherRC4: the server accepts an RC4 suite (warn).
	ProblemCipherRC4 = "cipher-rc4"
	// ProblemCipher3DES: the server accepts a 3DES suite (warn).
	ProblemCipher3DES = "cipher-3des"
	// ProblemCipherExport: the server accepts an export suite (warn).
	ProblemCipherExport = "cipher-export"
	// ProblemCipherWeak: the server accepts a suite of less than 112
	// bits: NULL, DES, 40- and 56-bit ciphers (warn).
	ProblemCipherWeak = "cipher-weak"
	// ProblemCipherCBCOnly: every TLS 1.2 suite the server accepts is CBC
	// (warn).
	ProblemCipherCBCOnly = "cipher-cbc-only"
	// ProblemNoForwardSecrecy: no suite the server accepts has forward
	// secrecy (warn).
	ProblemNoForwardSecrecy = "no-forward-secrecy"
	// ProblemNoAEAD: no suite the server accepts is AEAD (warn).
	ProblemNoAEAD = "no-aead"
	// ProblemDHWeak: the server's DH prime is below 2048 bits (warn).
	ProblemDHWeak = "dh-weak"
	// ProblemNoSecureRenegotiation: the server does not support RFC 5746
	// secure renegotiation (warn).
	ProblemNoSecureRenegotiation = "no-secure-renegotiation"
	// ProblemInsecureRenegotiation: the server accepts a renegotiation
	// without RFC 5746 (warn).
	ProblemInsecureRenegotiation = "insecure-renegotiation"
	// ProblemNoFallbackSCSV: the server speaks more than one protocol and
	// ignores TLS_FALLBACK_SCSV (info).
	ProblemNoFallbackSCSV = "no-fallback-scsv"
	// ProblemCompression: the server accepts TLS compression (CRIME) (warn).
	ProblemCompression = "compression"
	// ProblemHSTSMissing: no Strict-Transport-Security header, or one
	// with a max-age under 180 days (info).
	ProblemHSTSMissing = "hsts-missing"
	// ProblemClientFails: some simulated clients cannot connect (info;
	// the sender's own client failing is error 11220).
	ProblemClientFails = "client-fails"
	// ProblemOCSPStale: the stapled OCSP response is outside its
	// thisUpdate–nextUpdate window (warn).
	ProblemOCSPStale = "ocsp-stale"
	// ProblemOCSPInvalid: the stapled OCSP response is not for the leaf,
	// not signed by its issuer or a delegate, or does not parse (warn).
	ProblemOCSPInvalid = "ocsp-staple-invalid"
	// ProblemOCSPNotStapled: the leaf names an OCSP responder but the
	// server staples no response (info). Never given for a certificate
	// that names no responder.
	ProblemOCSPNotStapled = "ocsp-not-stapled"
	// ProblemMustStapleMissing: the leaf demands stapling (TLS feature
	// status_request) and the server staples nothing: Firefox refuses
	// the connection (warn).
	ProblemMustStapleMissing = "must-staple-missing"
	// ProblemRevoked: the leaf's CA says it is revoked (OCSP or CRL). It
	// is error 11237 for a browser client, which checks revocation, and a
	// warning for a client that does not by default (the Java sender).
	ProblemRevoked = "revoked"
	// ProblemRevocationUnknown: --revocation could not learn the leaf's
	// status (no responder or CRL answered, or none knows it) (info).
	ProblemRevocationUnknown = "revocation-unknown"
)

// Problem ids of certgate scan's own findings (the weaknesses the grade
// reads are listed with the grade).
const (
	// ProblemScanUnoffered: during the scan the server selected a protocol
	// version, cipher suite, group or other parameter the client did not
	// offer; a real client aborts such a handshake.
	ProblemScanUnoffered = "scan-server-selected-unoffered"
	// ProblemScanIncomplete: some of the scan's connections failed for
	// another reason than the server refusing what was offered (timeouts,
	// resets, dial errors), so parts of the report may be missing.
	ProblemScanIncomplete = "scan-incomplete"
)

package result

// More problem ids of certgate scan: weaknesses behind grade caps that had
// none, and findings about what the scan could not measure.
const (
	// ProblemCipherAnonymous: the server accepts an anonymous suite
	// (ADH, AECDH: no server authentication) (warn).
	ProblemCipherAnonymous = "cipher-anonymous"
	// ProblemKeyWeak: the server's RSA or DSA key is below 2048 bits
	// (warn).
	ProblemKeyWeak = "key-weak"
	// ProblemNoTLS12: the server speaks protocols older than TLS 1.2 and
	// not TLS 1.2 itself (warn).
	ProblemNoTLS12 = "no-tls12"
	// ProblemHSTSNotChecked: an https target whose Strict-Transport-Security
	// header was not asked for (info): the chain is one no selected store
	// trusts, so no HTTP request was sent; or no handshake Go's client could
	// complete; or no HTTP response came. Features.HSTSNotChecked says which.
	ProblemHSTSNotChecked = "hsts-not-checked"
	// ProblemNoClientConnects: every client simulation that ran failed
	// (error, 11220): no recorded client can talk to the server.
	ProblemNoClientConnects = "no-client-connects"
)

// Why the Strict-Transport-Security header was not asked for
// (Features.HSTSNotChecked).
const (
	// HSTSUntrustedChain: no selected store trusts the chain, and certgate
	// sends no HTTP request over such a connection.
	HSTSUntrustedChain = "untrusted-chain"
	// HSTSNoHandshake: no handshake Go's client (crypto/tls) supports
	// completed, at TLS 1.2 or TLS 1.3.
	HSTSNoHandshake = "no-handshake"
	// HSTSNoResponse: the GET / got no HTTP response.
	HSTSNoResponse = "no-response"
)

package result

// Scan is the configuration report of one endpoint (certgate scan): what
// the server offers, which clients can connect, and the grade. It is added
// to a check result; it never changes the certificate verdict.
type Scan struct {
	// Protocols lists every protocol probed, newest first, supported or not.
	Protocols []ProtocolSupport `json:"protocols"`
	// CipherSuites lists every suite the server accepts, per protocol, in
	// the server's order of preference where it has one.
	CipherSuites []Suite `json:"cipher_suites"`
	// ServerPreference says per protocol version name whether the server
	// chooses the suite by its own order rather than the client's.
	ServerPreference map[string]bool `json:"server_preference"`
	// Groups are the key exchange groups the server accepts, by IANA name.
	Groups []string `json:"groups"`
	// DHBits is the size of the server's finite-field DH prime, 0 when no
	// DHE suite is offered.
	DHBits int `json:"dh_bits"`
	// ServerKey describes the server's certificate key ("RSA 2048", "ECDSA P-256").
	ServerKey string `json:"server_key,omitempty"`
	// SignatureAlgorithms are the schemes the server signed its key
	// exchange with, by IANA name, where seen.
	SignatureAlgorithms []string `json:"signature_algorithms,omitempty"`
	// Features are the protocol features found.
	Features Features `json:"features"`
	// Clients are the client simulations, one per recorded client profile.
	Clients []ClientSimulation `json:"clients"`
	// Grade is certgate's reading of the SSL Labs server rating guide 2009r.
	Grade *Grade `json:"grade"`
	// HTTPS is true when the endpoint was scanned as an HTTPS server (an
	// https target): HSTS is asked for, and its grade rules apply, only
	// then. A STARTTLS or other implicit-TLS service has no HSTS.
	HTTPS bool `json:"https"`
	// Probes counts the connections the scan made.
	Probes int `json:"probes,omitempty"`
}

// ProtocolSupport says whether one protocol version is supported.
type ProtocolSupport struct {
	// Version is the version's name as in TLSInfo.Version ("TLS 1.2", "SSL 3.0").
	Version   string `json:"version"`
	Supported bool   `json:"supported"`
}

// Suite is one cipher suite the server accepts for one protocol.
type Suite struct {
	Protocol string `json:"protocol"`
	// Name is the IANA name; ID its code point as "0xc02f".
	Name string `json:"name"`
	ID   string `json:"id"`
	Kex  string `json:"kex"`
	Auth string `json:"auth"`
	Enc  string `json:"enc"`
	// Bits is the symmetric key strength in bits.
	Bits          int  `json:"bits"`
	AEAD          bool `json:"aead"`
	ForwardSecret bool `json:"forward_secret"`
	// Strength is strong, weak or insecure.
	Strength string `json:"strength"`
}

// Features are the protocol features of a scan.
type Features struct {
	SecureRenegotiation bool `json:"secure_renegotiation"`
	// InsecureRenegotiation is true when the server accepted a
	// renegotiation without RFC 5746. certgate does not test it (Go's
	// client cannot start a renegotiation), so a scan leaves it false.
	InsecureRenegotiation    bool     `json:"insecure_renegotiation,omitempty"`
	FallbackSCSV             bool     `json:"fallback_scsv"`
	SessionResumptionTickets bool     `json:"session_resumption_tickets"`
	SessionResumptionIDs     bool     `json:"session_resumption_ids"`
	ALPN                     []string `json:"alpn"`
	OCSPStapling             bool     `json:"ocsp_stapling"`
	Compression              bool     `json:"compression"`
	Heartbeat                bool     `json:"heartbeat"`
	// HSTS is the Strict-Transport-Security header of one GET /; nil when
	// absent, or when it was not asked for (HSTSChecked false).
	HSTS *HSTS `json:"hsts"`
	// HSTSChecked is true when the GET / was sent and answered, so that a
	// nil HSTS means the server sends no header.
	HSTSChecked bool `json:"hsts_checked"`
	// HSTSNotChecked says why an https target's header was not asked for
	// (HSTSUntrustedChain, HSTSNoHandshake, HSTSNoResponse); empty when
	// it was, or for a target that is not https.
	HSTSNotChecked string `json:"hsts_not_checked,omitempty"`
	// OCSP describes the stapled OCSP response, nil when none was stapled.
	OCSP *OCSPStaple `json:"ocsp,omitempty"`
	// SCTs counts signed certificate timestamps by where they came from.
	SCTs SCTCount `json:"scts"`
	// MustStaple is true when the leaf carries the TLS feature status_request.
	MustStaple bool `json:"must_staple,omitempty"`
}

// HSTS is a parsed Strict-Transport-Security header.
type HSTS struct {
	MaxAge            int64 `json:"max_age"`
	IncludeSubdomains bool  `json:"include_subdomains"`
	Preload           bool  `json:"preload"`
}

// SCTCount counts signed certificate timestamps by source.
type SCTCount struct {
	Certificate int `json:"certificate"`
	TLS         int `json:"tls"`
	OCSP        int `json:"ocsp"`
}

// OCSPStaple is what a stapled OCSP response says and whether it holds.
type OCSPStaple struct {
	// Status is good, revoked or unknown.
	Status string `json:"status"`
	// Valid is true when the response is for the leaf's serial, fresh,
	// and signed by the issuer or its delegate.
	Valid      bool   `json:"valid"`
	ThisUpdate string `json:"this_update,omitempty"`
	NextUpdate string `json:"next_update,omitempty"`
	// Stale is true when the validation time is outside thisUpdate and
	// nextUpdate (a small clock skew allowed).
	Stale bool `json:"stale,omitempty"`
	// Error says why the response does not hold, empty when Valid.
	Error string `json:"error,omitempty"`
}

// ClientSimulation is the outcome of one recorded client's handshake.
type ClientSimulation struct {
	// Name is the profile's display name ("Java 17"); Profile its id.
	Name        string `json:"name"`
	Profile     string `json:"profile,omitempty"`
	OK          bool   `json:"ok"`
	Protocol    string `json:"protocol,omitempty"`
	CipherSuite string `json:"cipher_suite,omitempty"`
	Group       string `json:"group,omitempty"`
	Code        Code   `json:"code,omitempty"`
	Message     string `json:"message,omitempty"`
}

// Grade is the rating of a scan, with every cap that lowered it.
type Grade struct {
	// Grade is A+, A, A-, B, C, D, E, F, T or M.
	Grade string `json:"grade"`
	// IgnoringTrust is the grade had the certificate been trusted and
	// matched the name; set when Grade is T or M.
	IgnoringTrust string `json:"grade_ignoring_trust,omitempty"`
	Score         int    `json:"score"`
	Protocol      int    `json:"protocol"`
	KeyExchange   int    `json:"key_exchange"`
	Cipher        int    `json:"cipher"`
	Caps          []Cap  `json:"caps"`
}

// Cap is one rating rule that lowered (or capped) the grade.
type Cap struct {
	ID      string `json:"id"`
	Grade   string `json:"grade"`
	Message string `json:"message"`
}

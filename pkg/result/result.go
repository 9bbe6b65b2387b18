// Package result defines the one typed contract that flows through certgate:
// targets → probe → verify → report. Its JSON tags are the
// certgate.result/v1 schema; renderers encode it and never re-judge it.
//
// The package imports nothing of certgate's own and only the standard library.
package result

import (
	"crypto/x509"
	"time"
)

// Schema is the value of Result.Schema for every result this version emits.
const Schema = "certgate.result/v1"

// Status is the overall verdict of one target.
type Status string

const (
	// StatusOK means trusted, within validity, name matches and no warnings.
	StatusOK Status = "ok"
	// StatusWarn means the target passes but has at least one warning.
	StatusWarn Status = "warn"
	// StatusFail means a strict client would reject the certificate (11235, 11236, 11237).
	StatusFail Status = "fail"
	// StatusError means no certificate could be checked (invalid target, DNS, TCP, handshake).
	StatusError Status = "error"
)

// Rank orders statuses from best to worst: ok < warn < fail < error.
func (s Status) Rank() int {
	switch s {
	case StatusOK:
		return 0
	case StatusWarn:
		return 1
	case StatusFail:
		return 2
	default:
		return 3
	}
}

// Code is the primary, stable error code of a result; 0 when Status is ok or warn.
type Code int

const (
	// CodeNone is the code of a passing result.
	CodeNone Code = 0
	// CodeInvalidURL results when a target cannot be parsed.
	CodeInvalidURL Code = 11100
	// CodeTCPTimeout results when no TCP connection was made within the timeout.
	CodeTCPTimeout Code = 11201
	// CodeTCPRefused results when the peer refused the TCP connection.
	CodeTCPRefused Code = 11202
	// CodeConnFailure results from any other failure before the handshake
	// (unreachable network, reset).
	CodeConnFailure Code = 11205
	// CodeBadHostName results when the host name does not resolve.
	CodeBadHostName Code = 11210
	// CodeHandshake results when the peer was reached but the handshake does not
	// complete as a strict TLS 1.2+ client makes it.
	CodeHandshake Code = 11220
	// CodeDomainMismatch results when the leaf is not valid for the host name
	// (subjectAltName only; a CN without SAN does not count).
	CodeDomainMismatch Code = 11235
	// CodeExpired results when a certificate of the chain is outside its
	// validity period at the validation time.
	CodeExpired Code = 11236
	// CodeNoPath results when no chain leads to a root of any selected store.
	CodeNoPath Code = 11237
)

// Message returns the stable message a strict client gives for the code.
func (c Code) Message() string {
	switch c {
	case CodeNone:
		return ""
	case CodeInvalidURL:
		return "Invalid URL format"
	case CodeTCPTimeout:
		return "TCP connection timed out"
	case CodeTCPRefused:
		return "TCP connection refused"
	case CodeConnFailure:
		return "HTTP connection failure"
	case CodeBadHostName:
		return "HTTP bad host name"
	case CodeHandshake:
		return "SSL/TLS Handshake Error"
	case CodeDomainMismatch:
		return "Certificate Invalid – Domain Mismatch"
	case CodeExpired:
		return "Certificate Invalid – Certificate Expired"
	case CodeNoPath:
		return "Certificate Invalid – Could not find path to certificate"
	}
	if m, ok := httpMessage(c); ok {
		return m
	}
	return "Unknown error"
}

// Precedence orders certificate codes as a strict client reports them:
// 11237 first, then 11236, then 11235. Lower is reported first; codes that are
// not certificate codes sort after them.
func (c Code) Precedence() int {
	switch c {
	case CodeNoPath:
		return 0
	case CodeExpired:
		return 1
	case CodeDomainMismatch:
		return 2
	case CodeNone:
		return 4
	}
	return 3
}

// Severity says how much a problem weighs.
type Severity string

const (
	// SeverityError makes the result fail (or error).
	SeverityError Severity = "error"
	// SeverityWarn makes a passing result warn.
	SeverityWarn Severity = "warn"
	// SeverityInfo is a note that does not change the status.
	SeverityInfo Severity = "info"
)

// Problem ids. They are stable kebab-case identifiers within certgate.result/v1.
const (
	ProblemInvalidTarget    = "invalid-target"
	ProblemDNS              = "dns-failure"
	ProblemTCPRefused       = "tcp-refused"
	ProblemTCPTimeout       = "tcp-timeout"
	ProblemConnection       = "connection-failure"
	ProblemHandshake        = "handshake-failure"
	ProblemLegacyTLS        = "legacy-tls-version"
	ProblemUnknownAuthority = "unknown-authority"
	ProblemSelfSigned       = "self-signed"
	ProblemIncompleteChain  = "incomplete-chain"
	ProblemDistrustedRoot   = "distrusted-root"
	ProblemBadSignature     = "bad-signature"
	ProblemNameConstraint   = "name-constraint-violation"
	ProblemNotCA            = "issuer-not-ca"
	ProblemPathLength       = "path-length-exceeded"
	ProblemKeyUsage         = "wrong-key-usage"
	ProblemInvalidChain     = "invalid-chain"
	ProblemExpired          = "expired"
	ProblemNotYetValid      = "not-yet-valid"
	ProblemHostnameMismatch = "hostname-mismatch"
	ProblemNoHostname       = "hostname-not-checked"
	ProblemExpiresSoon      = "expires-soon"
	ProblemNoCertificate    = "no-certificate"
	// ProblemRootExpiring warns that the chain ends at a store root that
	// expires within --warn-days of the validation time.
	ProblemRootExpiring = "root-expiring"
	// ProblemRootDistrustScheduled warns that the chain ends at a store root
	// with a distrust-after date still after the validation time:
	// certificates issued after that date will not be trusted.
	ProblemRootDistrustScheduled = "root-distrust-scheduled"
)

// Problem ids of a handshake that a strict client refuses although the
// server speaks TLS 1.2 (error, 11220): they name the real cause, where
// legacy-tls-version is kept for servers that do not speak TLS 1.2 at all.
const (
	// ProblemRSAKeyExchange: the server offers only static RSA key exchange
	// (TLS_RSA_* suites), which strict clients no longer enable.
	ProblemRSAKeyExchange = "rsa-key-exchange-only"
	// ProblemInsecureCipher: the server offers only cipher suites strict
	// clients no longer enable (CBC with SHA-256, RC4, 3DES).
	ProblemInsecureCipher = "insecure-cipher-suites-only"
	// ProblemNoSharedCipher: the server shares no cipher suite with any
	// client the probe can be, even one that offers every suite.
	ProblemNoSharedCipher = "no-shared-cipher"
	// ProblemWeakSignature: the server speaks TLS 1.2 but completes a
	// handshake only with TLS 1.0/1.1, whose signatures use MD5 and SHA-1:
	// it signs with, or presents a chain signed with, an algorithm TLS 1.2
	// clients do not offer.
	ProblemWeakSignature = "weak-signature-algorithm"
)

// Problem ids of a handshake that Go's client cannot make but a recorded
// client of the sender (a Java client by default, or --client) can.
const (
	// ProblemClientFallback: Go's client could not negotiate with the
	// server, the sender's recorded client does (warn): the detail names
	// what was negotiated and why Go's client refuses it.
	ProblemClientFallback = "client-fallback"
	// ProblemClientRefuses: some of the recorded clients judged connect
	// and others refuse (warn): the detail names those that refuse and why.
	ProblemClientRefuses = "client-refuses"
	// ProblemChainNotRead: the handshake passes only with a recorded
	// client at TLS 1.3, whose Certificate message is encrypted, so the
	// chain was not read and not judged (error, 11237: a chain nobody
	// judged never passes).
	ProblemChainNotRead = "chain-not-read"
)

// Problem ids about the shape of the presented chain and the bundle's key
// (verify and check alike).
const (
	// ProblemChainOrder: the certificates are not in issuing order (warn).
	ProblemChainOrder = "chain-order"
	// ProblemChainDuplicate: a certificate is sent more than once (warn).
	ProblemChainDuplicate = "chain-duplicate"
	// ProblemChainUnrelated: a certificate is not on the path to the root (warn).
	ProblemChainUnrelated = "chain-unrelated-certificate"
	// ProblemChainRootIncluded: the root itself is sent (info).
	ProblemChainRootIncluded = "chain-root-included"
	// ProblemChainMissingIntermediate: an intermediate of the path, found
	// among the extra intermediates, is not in the bundle (error, 11237).
	ProblemChainMissingIntermediate = "chain-missing-intermediate"
	// ProblemChainLeafNotFirst: a CA certificate comes before the server
	// certificate it issued (error, 11237).
	ProblemChainLeafNotFirst = "chain-leaf-not-first"
	// ProblemKeyMismatch: the private key given with --key is not the leaf's
	// (error, 11220: the server cannot complete a handshake with it).
	ProblemKeyMismatch = "key-mismatch"
)

// Problem ids of the Web PKI rules that crypto/x509 does not enforce
// (CA/Browser Forum Baseline Requirements, RFC 5280). They are warnings —
// the Java and Mozilla clients accept such chains — or notes when the
// defect is in a root of an embedded or system store.
const (
	// ProblemCAAsLeaf: the leaf is a CA certificate.
	ProblemCAAsLeaf = "ca-as-leaf"
	// ProblemLeafCertSign: the leaf is not a CA but may sign certificates.
	ProblemLeafCertSign = "leaf-key-cert-sign"
	// ProblemEKUMissing: the leaf has no extendedKeyUsage.
	ProblemEKUMissing = "eku-missing"
	// ProblemEKUInvalid: an extendedKeyUsage is empty, anyExtendedKeyUsage,
	// critical in the leaf, or present in a root.
	ProblemEKUInvalid = "eku-invalid"
	// ProblemCNNotInSAN: the leaf's CN is not a copy of a subjectAltName entry.
	ProblemCNNotInSAN = "cn-not-in-san"
	// ProblemWildcardPublicSuffix: a wildcard over a public suffix (*.com).
	ProblemWildcardPublicSuffix = "wildcard-public-suffix"
	// ProblemMalformedName: a subjectAltName dNSName that is not a host name.
	ProblemMalformedName = "malformed-dns-name"
	// ProblemSANCriticality: subjectAltName criticality does not follow the subject.
	ProblemSANCriticality = "san-criticality"
	// ProblemSerialNumber: a serial that is not positive or longer than 20 octets.
	ProblemSerialNumber = "invalid-serial-number"
	// ProblemKeyIDMissing: a missing authority or subject key identifier.
	ProblemKeyIDMissing = "key-identifier-missing"
	// ProblemKeyIDInvalid: a malformed or inconsistent key identifier.
	ProblemKeyIDInvalid = "key-identifier-invalid"
	// ProblemWeakKey: RSA below 2048 bits or not a multiple of 8, DSA, or an
	// ECDSA curve the Baseline Requirements do not allow.
	ProblemWeakKey = "weak-key"
	// ProblemCAEmptySubject: a CA certificate with an empty subject.
	ProblemCAEmptySubject = "ca-empty-subject"
	// ProblemBasicConstraintsInvalid: basicConstraints non-critical in a CA,
	// or CA:TRUE without keyCertSign.
	ProblemBasicConstraintsInvalid = "basic-constraints-invalid"
	// ProblemNameConstraintsInvalid: name constraints in a leaf, non-critical,
	// malformed, or too many to check.
	ProblemNameConstraintsInvalid = "name-constraints-invalid"
	// ProblemPolicyConstraintsInvalid: policyConstraints non-critical.
	ProblemPolicyConstraintsInvalid = "policy-constraints-invalid"
)

// Problem ids about the limits certgate keeps against hostile peers and
// runs that take too long.
const (
	// ProblemDeadlineExceeded: the run's --deadline passed before this target
	// was checked, or while it was (error, 11205).
	ProblemDeadlineExceeded = "deadline-exceeded"
	// ProblemChainTooLong: the peer presented more certificates than
	// certgate considers; only the first ones were judged (warn).
	ProblemChainTooLong = "chain-too-long"
	// ProblemLocalResource: certgate itself ran out of a local resource
	// (file descriptors, memory) while checking this target. It is certgate's
	// fault, never the server's: status error with code 0.
	ProblemLocalResource = "local-resource-exhausted"
	// ProblemAddressNotReached: an address of the host name could not be
	// reached from this machine at all (no route to its network, as on a
	// machine without IPv6), while another address was: it is listed in
	// addresses but does not count towards the verdict (info).
	ProblemAddressNotReached = "address-not-reached"
)

// Problem ids about certificates that could not be judged at all.
const (
	// ProblemMalformedCertificate: a certificate that crypto/x509 (and so a
	// strict client) cannot parse (error, 11237). Its message names the
	// block and the parse error.
	ProblemMalformedCertificate = "malformed-certificate"
	// ProblemIntermediateAsRoot: a trust store file (--ca-file, --store)
	// holds a certificate that is not self-signed, so it is trusted as an
	// anchor although real clients trust only the root above it (warn).
	ProblemIntermediateAsRoot = "intermediate-as-root"
)

// Problem ids of the client models: each is one way the client that uses a
// store decides differently from crypto/x509.
const (
	// ProblemCNOnly: the leaf names the host only in its subject CN, with
	// no subjectAltName. Java and OpenSSL accept it; browsers and Go do
	// not.
	ProblemCNOnly = "cn-only"
	// ProblemPartialWildcard: the host matches a wildcard inside a label
	// ("w*.example.com"), which Java and OpenSSL accept and browsers do not.
	ProblemPartialWildcard = "partial-wildcard"
	// ProblemNoDigitalSignature: the leaf's keyUsage lacks digitalSignature,
	// so the JDK client refuses it for an (EC)DHE or TLS 1.3 handshake.
	ProblemNoDigitalSignature = "key-usage-no-digital-signature"
	// ProblemLeafEKUNotServerAuth: the leaf's extendedKeyUsage does not
	// list serverAuth (anyExtendedKeyUsage alone), which OpenSSL refuses.
	ProblemLeafEKUNotServerAuth = "eku-not-server-auth"
	// ProblemKeyTooSmall: a key of the chain is below the client's security
	// level (OpenSSL level 2: RSA under 2048 bits).
	ProblemKeyTooSmall = "key-below-security-level"
	// ProblemCNNameConstraint: the host named only in the CN lies outside
	// a CA's name constraints; clients that read the CN check it against
	// them.
	ProblemCNNameConstraint = "cn-name-constraint-violation"
	// ProblemAnchorExpired: the trust anchor is outside its validity, which
	// the JDK client ignores (it only checks certificates below the anchor).
	ProblemAnchorExpired = "anchor-validity-ignored"
	// ProblemCAEKUIgnored: a CA of the path lacks serverAuth in its
	// extendedKeyUsage, which the JDK client does not check (it checks the
	// leaf's only) while other clients reject the chain.
	ProblemCAEKUIgnored = "ca-eku-ignored"
	// ProblemWildcardSuffixRejected: the leaf's wildcard covers a public
	// suffix, which the JDK client refuses under a root of its cacerts.
	ProblemWildcardSuffixRejected = "wildcard-public-suffix-rejected"
)

// Problem is one defect or note about a target.
type Problem struct {
	// ID is a stable kebab-case identifier, one of the Problem* constants.
	ID string `json:"id"`
	// Severity is error, warn or info.
	Severity Severity `json:"severity"`
	// Code is the SPEC code this problem maps to, 0 for warnings and notes.
	Code Code `json:"code"`
	// Cert is the index in Result.Chain of the certificate concerned, or -1
	// when the problem is not about one presented certificate.
	Cert int `json:"cert"`
	// Store names the trust store the problem was found against, when it is
	// specific to one store.
	Store string `json:"store,omitempty"`
	// Message names the fact and the fix.
	Message string `json:"message"`
}

// TLSInfo describes the negotiated connection.
type TLSInfo struct {
	Version     string `json:"version"`
	CipherSuite string `json:"cipher_suite"`
	ALPN        string `json:"alpn"`
	OCSPStapled bool   `json:"ocsp_stapled"`
	// Client names the TLS client whose handshake these fields describe
	// and whose verdict the handshake is: "go" for certgate's own
	// crypto/tls handshake, else a recorded client profile such as
	// "java-17" (certgate check --list-clients). Left out when not known.
	Client string `json:"client,omitempty"`
}

// Cert summarises one presented certificate.
type Cert struct {
	Subject     string    `json:"subject"`
	Issuer      string    `json:"issuer"`
	Serial      string    `json:"serial"`
	NotBefore   time.Time `json:"not_before"`
	NotAfter    time.Time `json:"not_after"`
	SHA256      string    `json:"sha256"`
	Key         string    `json:"key"`
	Signature   string    `json:"signature"`
	DNSNames    []string  `json:"dns_names"`
	IPAddresses []string  `json:"ip_addresses"`
	IsCA        bool      `json:"is_ca"`

	// X509 is the parsed certificate, for the validator; never encoded.
	X509 *x509.Certificate `json:"-"`
}

// Verdict is one trust store's judgement of a chain.
type Verdict struct {
	// Trusted is true when the store passes the chain for the host at the
	// validation time.
	Trusted bool `json:"trusted"`
	// Code is the primary code by this store alone, 0 when trusted.
	Code Code `json:"code"`
	// Root is the name of the store root the chain ends at, when a path exists.
	Root string `json:"root,omitempty"`
	// RootSHA256 is the lower-case hex SHA-256 of that root.
	RootSHA256 string `json:"root_sha256,omitempty"`
	// StoreVersion identifies the snapshot of the store (source date or version).
	StoreVersion string `json:"store_version,omitempty"`
}

// AddressResult is the outcome of a target at one of the addresses its
// host name resolved to.
type AddressResult struct {
	// Address is the address dialled, "ip:port" ("[ip]:port" for IPv6).
	Address string `json:"address"`
	// Status and Code are the verdict at this address alone.
	Status Status `json:"status"`
	Code   Code   `json:"code"`
	// LeafSHA256 is the lower-case hex SHA-256 of the leaf served there;
	// empty when no certificate was presented.
	LeafSHA256 string `json:"leaf_sha256"`
	// DurationMS is the time spent on this address, connect and handshakes.
	DurationMS float64 `json:"duration_ms"`
}

// Result is everything certgate knows about one target. It is the contract
// between the layers and, encoded, one certgate.result/v1 object.
type Result struct {
	Schema      string    `json:"schema"`
	Target      string    `json:"target"`
	Host        string    `json:"host"`
	Port        int       `json:"port"`
	Address     string    `json:"address"`
	Status      Status    `json:"status"`
	Code        Code      `json:"code"`
	Message     string    `json:"message"`
	Detail      string    `json:"detail"`
	ValidatedAt time.Time `json:"validated_at"`
	DurationMS  float64   `json:"duration_ms"`
	TLS         *TLSInfo  `json:"tls"`
	Chain       []Cert    `json:"chain"`
	// PathNotAfter is the earliest notAfter among the certificates of the
	// path the verdict was made on (presented certificates and the store's
	// root), or of the presented chain when no path was found; nil when no
	// certificate was presented. The table's EXPIRES column shows it.
	PathNotAfter *time.Time         `json:"path_not_after,omitempty"`
	Trust        map[string]Verdict `json:"trust"`
	Problems     []Problem          `json:"problems"`
	// Addresses lists the outcome at each address a host name resolved to,
	// when the target was checked at every address; absent for an IP
	// target, a --resolve entry, a proxy or --first-address. The
	// top-level verdict and fields are those of the worst address.
	Addresses []AddressResult `json:"addresses,omitempty"`
	// StartTLS names the plaintext protocol upgraded to TLS ("smtp",
	// "postgres"), empty for implicit TLS.
	StartTLS string `json:"starttls,omitempty"`
	// Profile is the sender profile of a preflight.
	Profile string `json:"profile,omitempty"`
	// HTTP is the HTTP leg of a preflight.
	HTTP *HTTPInfo `json:"http,omitempty"`
	// Scan is the configuration report of certgate scan.
	Scan *Scan `json:"scan,omitempty"`
	// TargetRaw holds the target's bytes, base64 in JSON, only when Target
	// is not valid UTF-8 (JSON then shows U+FFFD in Target).
	TargetRaw []byte `json:"target_raw,omitempty"`

	// Index is the position of the target in the input, for renderers that
	// keep input order; never encoded.
	Index int `json:"-"`
}

// Failed reports whether the result is at or above the given level:
// "error" counts fail and error results, "warn" counts warn too, "never"
// counts nothing. It judges the status alone; the exit status is
// decide.FailsOn's, which also judges changes against a baseline.
func (r *Result) Failed(level string) bool {
	switch level {
	case "never":
		return false
	case "warn":
		return r.Status.Rank() >= StatusWarn.Rank()
	default:
		return r.Status.Rank() >= StatusFail.Rank()
	}
}

package clients

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"

	"github.com/certgate/certgate/pkg/tlswire"
)

// Limits are what a client refuses by its own documentation or
// configuration, kept as data.
type Limits struct {
	// Policy names the rule set: PolicyJava or PolicyOpenSSL.
	Policy string `json:"policy"`
	// Source says where the values come from: a configuration file read at
	// capture time or a documented default.
	Source string `json:"source"`
	// TLSDisabledAlgorithms are the entries of Java's
	// jdk.tls.disabledAlgorithms ("include" entries expanded), or for
	// other clients the documented disabled algorithms in the same form
	// (a protocol such as "TLSv1", a suite name, a suite prefix ending in
	// "*", a suite component such as "RC4" or "anon", a group name, or
	// "DH keySize < N" / "EC keySize < N").
	TLSDisabledAlgorithms []string `json:"tls_disabled_algorithms,omitempty"`
	// CertPathDisabledAlgorithms are the entries of Java's
	// jdk.certpath.disabledAlgorithms.
	CertPathDisabledAlgorithms []string `json:"certpath_disabled_algorithms,omitempty"`
	// MinRSABits, MinDHBits and MinECBits are the smallest RSA key, DH
	// group and elliptic curve the client accepts; 0 when unlimited.
	MinRSABits int `json:"min_rsa_bits,omitempty"`
	MinDHBits  int `json:"min_dh_bits,omitempty"`
	MinECBits  int `json:"min_ec_bits,omitempty"`
	// NoSHA1Signatures is true when the client refuses SHA-1 signatures
	// on certificates and in the handshake: a SHA-1 signature scheme, and
	// the ServerKeyExchange of an (EC)DHE suite at TLS 1.1 and older, which
	// is always signed with MD5+SHA-1 (RSA) or SHA-1 (ECDSA, DSA).
	NoSHA1Signatures bool `json:"no_sha1_signatures,omitempty"`
	// MaxHandshakeMessageSize is the largest handshake message (for
	// example Certificate) the client reads, in bytes; 0 when unlimited.
	MaxHandshakeMessageSize int `json:"max_handshake_message_size,omitempty"`
	// MaxCertificateChainLength is the most certificates the client takes
	// from a server; 0 when unlimited.
	MaxCertificateChainLength int `json:"max_certificate_chain_length,omitempty"`
}

// Policies of Limits.Policy.
const (
	// PolicyJava: a JDK's java.security (jdk.tls.* and jdk.certpath.*).
	PolicyJava = "java.security"
	// PolicyOpenSSL: OpenSSL's security level 2.
	PolicyOpenSSL = "OpenSSL security level 2"
)

// Negotiated is what a server selected and sent.
type Negotiated struct {
	// Version is the negotiated protocol version; 0 to skip the check.
	Version uint16
	// Suite is the selected cipher suite; 0 to skip the check.
	Suite uint16
	// Group is the key exchange group (ECDHE curve, TLS 1.3 group); 0 when
	// none or unknown.
	Group uint16
	// DHBits is the size of a finite-field DH prime; 0 when none.
	DHBits int
	// CertificateMessageSize is the length of the Certificate handshake
	// message body in bytes; 0 when unknown.
	CertificateMessageSize int
	// ChainLength is the number of certificates the server sent.
	ChainLength int
	// SignatureScheme is the scheme of the server's handshake signature
	// (ServerKeyExchange or CertificateVerify); 0 when unknown.
	SignatureScheme uint16
}

// Refusal is one reason a client refuses a negotiation.
type Refusal struct {
	// Rule names the limit, e.g. "jdk.tls.disabledAlgorithms" or "offer".
	Rule string
	// Reason says what is refused, e.g. "TLS_RSA_WITH_AES_128_GCM_SHA256
	// matches TLS_RSA_*".
	Reason string
}

func (r Refusal) String() string { return r.Rule + ": " + r.Reason }

// Refuses lists why the client would refuse what the server negotiated:
// a version, suite, group or signature scheme it did not offer, and anything
// its Limits exclude. An empty list means the client accepts it. A profile
// whose recording is not parsed is judged by its Limits only.
func (p *Profile) Refuses(n Negotiated) []Refusal {
	var out []Refusal
	add := func(rule, format string, args ...any) {
		out = append(out, Refusal{Rule: rule, Reason: fmt.Sprintf(format, args...)})
	}
	h := p.hello
	if h == nil {
		h = &tlswire.ClientHello{} // not parsed: judge by the limits only
	}
	if p.hello != nil && n.Version != 0 && !contains(h.SupportedVersions(), n.Version) {
		add("offer", "%s is not offered (the client offers %s)", tlswire.VersionName(n.Version), strings.Join(p.Decoded.Versions, ", "))
	}
	if p.hello != nil && n.Suite != 0 && !contains(h.CipherSuites, n.Suite) {
		add("offer", "%s is not offered", tlswire.SuiteName(n.Suite))
	}
	if p.hello != nil && n.Group != 0 && !contains(h.Groups(), n.Group) {
		add("offer", "group %s is not offered", tlswire.GroupName(n.Group))
	}
	if n.SignatureScheme != 0 && len(h.SignatureSchemes()) > 0 && !contains(h.SignatureSchemes(), n.SignatureScheme) {
		add("offer", "signature scheme %s is not offered", tlswire.SignatureSchemeName(n.SignatureScheme))
	}
	l := p.Limits
	if l == nil {
		return out
	}
	rule := l.Policy
	if l.Policy == PolicyJava {
		rule = "jdk.tls.disabledAlgorithms"
	}
	scheme := tlswire.SignatureSchemeName(n.SignatureScheme)
	if n.SignatureScheme != 0 && l.NoSHA1Signatures && (strings.HasSuffix(scheme, "_sha1") || scheme == "ecdsa_sha1") {
		add(rule, "signature scheme %s uses SHA-1", scheme)
	}
	if alg := legacySignature(n.Version, n.Suite); alg != "" && l.NoSHA1Signatures {
		add(rule, "the %s ServerKeyExchange of %s is signed with %s, which the client refuses (TLS 1.1 and older have no other signature)",
			tlswire.VersionName(n.Version), tlswire.SuiteName(n.Suite), alg)
	}
	dh := n.DHBits
	if bits, ok := ffdheBits(n.Group); ok && dh == 0 {
		dh = bits
	}
	if dh > 0 && l.MinDHBits > 0 && dh < l.MinDHBits {
		add(rule, "a %d-bit DH group is smaller than %d bits", dh, l.MinDHBits)
	}
	if bits, ok := ecBits(n.Group); ok && l.MinECBits > 0 && bits < l.MinECBits {
		add(rule, "curve %s (%d bits) is smaller than %d bits", tlswire.GroupName(n.Group), bits, l.MinECBits)
	}
	for _, entry := range l.TLSDisabledAlgorithms {
		if alg, ok := strings.CutSuffix(entry, " usage HandshakeSignature"); ok && n.SignatureScheme != 0 && strings.EqualFold(alg, scheme) {
			add(rule, "signature scheme %s is disabled for handshake signatures", scheme)
		}
		if strings.ContainsAny(entry, " <>=&") {
			continue // constraints with keySize/usage: the fields above
		}
		if v, ok := javaVersions[strings.ToLower(entry)]; ok && n.Version == v {
			add(rule, "%s is disabled (%s)", tlswire.VersionName(n.Version), entry)
		}
		if n.Suite != 0 && suiteMatches(tlswire.SuiteName(n.Suite), entry) {
			add(rule, "%s matches %s", tlswire.SuiteName(n.Suite), entry)
		}
		if n.Group != 0 && strings.EqualFold(tlswire.GroupName(n.Group), entry) {
			add(rule, "group %s is disabled", entry)
		}
	}
	if l.MaxHandshakeMessageSize > 0 && n.CertificateMessageSize > l.MaxHandshakeMessageSize {
		add("jdk.tls.maxHandshakeMessageSize", "the Certificate message is %d bytes, more than %d", n.CertificateMessageSize, l.MaxHandshakeMessageSize)
	}
	if l.MaxCertificateChainLength > 0 && n.ChainLength > l.MaxCertificateChainLength {
		add("jdk.tls.maxCertificateChainLength", "the server sent %d certificates, more than %d", n.ChainLength, l.MaxCertificateChainLength)
	}
	return out
}

// legacySignature names the hash of the ServerKeyExchange signature a
// server sends with suite at version when that is SSL 3.0 to TLS 1.1:
// "MD5+SHA-1" for an RSA-signed (EC)DHE suite, "SHA-1" for ECDSA and DSA
// (RFC 4346, section 7.4.3; RFC 4492, section 5.4). It is "" for TLS 1.2
// and later, whose signature scheme is negotiated, and for suites without
// a signed key exchange (RSA key transport, anonymous, PSK).
func legacySignature(version, suite uint16) string {
	if version == 0 || suite == 0 || version >= tlswire.VersionTLS12 {
		return ""
	}
	name := strings.TrimPrefix(strings.TrimPrefix(tlswire.SuiteName(suite), "TLS_"), "SSL_")
	kex, _, ok := strings.Cut(name, "_WITH_")
	if !ok {
		return ""
	}
	switch kex {
	case "ECDHE_RSA", "DHE_RSA", "SRP_SHA_RSA":
		return "MD5+SHA-1"
	case "ECDHE_ECDSA", "DHE_DSS", "SRP_SHA_DSS":
		return "SHA-1"
	}
	return ""
}

var javaVersions = map[string]uint16{
	"sslv3": tlswire.VersionSSL30, "tlsv1": tlswire.VersionTLS10, "tlsv1.1": tlswire.VersionTLS11,
	"tlsv1.2": tlswire.VersionTLS12, "tlsv1.3": tlswire.VersionTLS13,
}

// suiteMatches reports whether a disabled-algorithm entry covers the suite:
// the suite's name, a prefix pattern ending in "*", or a component of the
// name (its key exchange or cipher part, e.g. "RC4", "3DES_EDE_CBC",
// "anon", "ECDH", "NULL"), compared without case as Java does.
func suiteMatches(suite, entry string) bool {
	if strings.EqualFold(suite, entry) {
		return true
	}
	if prefix, ok := strings.CutSuffix(entry, "*"); ok {
		return len(suite) >= len(prefix) && strings.EqualFold(suite[:len(prefix)], prefix)
	}
	name := strings.TrimPrefix(strings.TrimPrefix(suite, "TLS_"), "SSL_")
	parts := []string{name}
	if kex, cipher, ok := strings.Cut(name, "_WITH_"); ok {
		parts = []string{kex, cipher}
	}
	for _, part := range parts {
		words := strings.Split(part, "_")
		for i := range words {
			for j := i + 1; j <= len(words); j++ {
				if strings.EqualFold(strings.Join(words[i:j], "_"), entry) {
					return true
				}
			}
		}
	}
	return false
}

// ffdheBits is the prime size of an RFC 7919 group.
func ffdheBits(group uint16) (int, bool) {
	name := tlswire.GroupName(group)
	if rest, ok := strings.CutPrefix(name, "ffdhe"); ok {
		n, err := strconv.Atoi(rest)
		return n, err == nil
	}
	return 0, false
}

// ecBits is the size of an elliptic curve group, from the digits of its
// IANA name (secp256r1, brainpoolP384r1, sect163k1, x25519, x448).
func ecBits(group uint16) (int, bool) {
	if group == 0 || tlswire.IsGREASE(group) {
		return 0, false
	}
	name := tlswire.GroupName(group)
	if strings.HasPrefix(name, "ffdhe") || strings.Contains(name, "MLKEM") || strings.HasPrefix(name, "0x") {
		return 0, false
	}
	switch name {
	case "x25519":
		return 255, true
	case "x448":
		return 448, true
	}
	i := strings.IndexFunc(name, unicode.IsDigit)
	if i < 0 {
		return 0, false
	}
	j := i
	for j < len(name) && unicode.IsDigit(rune(name[j])) {
		j++
	}
	n, err := strconv.Atoi(name[i:j])
	return n, err == nil
}

func contains(list []uint16, v uint16) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Java's defaults for the two limits that java.security does not set.
const (
	JavaMaxHandshakeMessageSize   = 32768
	JavaMaxCertificateChainLength = 10
)

// JavaLimits reads a JDK's conf/security/java.security and returns its TLS
// and certification path limits, with the JDK's defaults for
// jdk.tls.maxHandshakeMessageSize and jdk.tls.maxCertificateChainLength.
func JavaLimits(r io.Reader, source string) (*Limits, error) {
	props, err := ParseJavaProperties(r)
	if err != nil {
		return nil, err
	}
	l := &Limits{
		Policy:                     PolicyJava,
		Source:                     source,
		TLSDisabledAlgorithms:      javaList(props, "jdk.tls.disabledAlgorithms"),
		CertPathDisabledAlgorithms: javaList(props, "jdk.certpath.disabledAlgorithms"),
		MaxHandshakeMessageSize:    JavaMaxHandshakeMessageSize,
		MaxCertificateChainLength:  JavaMaxCertificateChainLength,
	}
	if len(l.TLSDisabledAlgorithms) == 0 {
		return nil, fmt.Errorf("%s: no jdk.tls.disabledAlgorithms", source)
	}
	l.MinDHBits = keySizeFloor(l.TLSDisabledAlgorithms, "DH")
	l.MinECBits = keySizeFloor(l.TLSDisabledAlgorithms, "EC")
	l.MinRSABits = keySizeFloor(l.CertPathDisabledAlgorithms, "RSA")
	return l, nil
}

// javaList splits a comma-separated security property and expands its
// "include PROPERTY" entries.
func javaList(props map[string]string, key string) []string {
	var out []string
	for _, e := range strings.Split(props[key], ",") {
		e = strings.Join(strings.Fields(e), " ")
		if e == "" {
			continue
		}
		if inc, ok := strings.CutPrefix(e, "include "); ok {
			out = append(out, javaList(props, inc)...)
			continue
		}
		out = append(out, e)
	}
	return out
}

// keySizeFloor reads "ALG keySize < N" among entries and returns N.
func keySizeFloor(entries []string, alg string) int {
	for _, e := range entries {
		f := strings.Fields(e)
		if len(f) == 4 && f[0] == alg && f[1] == "keySize" && f[2] == "<" {
			if n, err := strconv.Atoi(f[3]); err == nil {
				return n
			}
		}
	}
	return 0
}

// ParseJavaProperties reads a java.properties-style file: "key=value" or
// "key: value" lines, # and ! comments, and lines continued with a
// trailing backslash.
func ParseJavaProperties(r io.Reader) (map[string]string, error) {
	props := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	var logical strings.Builder
	for sc.Scan() {
		line := strings.TrimLeft(sc.Text(), " \t\f")
		if logical.Len() == 0 && (line == "" || line[0] == '#' || line[0] == '!') {
			continue
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok && !strings.HasSuffix(cont, `\`) {
			logical.WriteString(cont)
			continue
		}
		logical.WriteString(line)
		key, value := splitProperty(logical.String())
		props[key] = value
		logical.Reset()
	}
	if logical.Len() > 0 {
		key, value := splitProperty(logical.String())
		props[key] = value
	}
	return props, sc.Err()
}

func splitProperty(s string) (key, value string) {
	i := strings.IndexAny(s, "=: \t")
	if i < 0 {
		return s, ""
	}
	key, value = s[:i], strings.TrimLeft(s[i:], " \t")
	if value != "" && (value[0] == '=' || value[0] == ':') {
		value = strings.TrimLeft(value[1:], " \t")
	}
	return key, value
}

// OpenSSLSecLevel2 are OpenSSL's documented rules at security level 2, the
// default of Debian's OpenSSL 3 (SSL_CTX_set_security_level(3)): RSA and DH
// keys of 2048 bits or more, elliptic curves of 224 bits or more, no SHA-1
// signatures, and no RC4 or MD5-MAC suites. OpenSSL 3 refuses SHA-1 and
// MD5+SHA-1 signatures from security level 1 on, so at TLS 1.0 and 1.1 it
// connects with RSA key transport only: an (EC)DHE ServerKeyExchange fails
// with "legacy sigalg disallowed or unsupported".
func OpenSSLSecLevel2() *Limits {
	return &Limits{
		Policy:                PolicyOpenSSL,
		Source:                "OpenSSL's documented security level 2 (SSL_CTX_set_security_level(3)), the default of Debian's OpenSSL 3",
		TLSDisabledAlgorithms: []string{"RC4", "MD5"},
		MinRSABits:            2048,
		MinDHBits:             2048,
		MinECBits:             224,
		NoSHA1Signatures:      true,
	}
}

// NegotiatedFrom is what the server selected and sent in f, as Refuses
// reads it. For a HelloRetryRequest the group is the one the server asks
// for: the client retries with it.
func NegotiatedFrom(f *tlswire.Flight) Negotiated {
	sh := f.ServerHello
	n := Negotiated{Version: sh.Version, Suite: sh.CipherSuite, Group: sh.KeyShareGroup, ChainLength: len(f.Certificates)}
	if kx := f.KeyExchange; kx != nil {
		if kx.Kind == tlswire.KeyExchangeECDHE && n.Group == 0 {
			n.Group = kx.Group
		}
		n.DHBits = kx.DHBits
		// Before TLS 1.2 the signature has no scheme field: what would be
		// read as one is the signature's length.
		if sig, ok := kx.SignatureScheme(); ok && sh.Version >= tlswire.VersionTLS12 {
			n.SignatureScheme = sig
		}
	}
	if len(f.Certificates) > 0 {
		size := 3 // certificate_list length
		for _, c := range f.Certificates {
			size += 3 + len(c)
		}
		n.CertificateMessageSize = size
	}
	return n
}

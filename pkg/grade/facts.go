package grade

import (
	"strconv"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// facts are what the rules read, drawn once from a result.
type facts struct {
	// protocols holds the versions the server speaks.
	protocols map[string]bool
	suites    []result.Suite
	// keyBits is the server key's size in bits as given ("RSA 2048":
	// 2048), 0 when unknown; keyRSAEquiv its strength in RSA-equivalent
	// bits (an ECDSA P-256 key counts as 3072).
	keyBits, keyRSAEquiv int
	// keyFinite is true for RSA and DSA keys, whose size the F and B caps
	// read.
	keyFinite bool
	dhBits    int
	// groupBits is the weakest key exchange group's strength in
	// RSA-equivalent bits, 0 when no group is known.
	groupBits int
	anonymous bool
	export    bool
	features  result.Features
	// hstsAge is the HSTS max-age, -1 when no header was served.
	hstsAge int64
	// http is true for an HTTPS endpoint: the HSTS rules apply only then.
	http bool
	// hstsChecked is true when the header was asked for and an answer
	// read; false for an untrusted chain, where no request is sent.
	hstsChecked bool
	// warnings is true when the result has a warning.
	warnings bool
	// incomplete is true when the chain lacks an intermediate.
	incomplete bool
	code       result.Code
	status     result.Status
}

func factsOf(r *result.Result) *facts {
	s := r.Scan
	f := &facts{protocols: map[string]bool{}, suites: s.CipherSuites, dhBits: s.DHBits, features: s.Features, hstsAge: -1, http: s.HTTPS, code: r.Code, status: r.Status}
	for _, p := range s.Protocols {
		if p.Supported {
			f.protocols[p.Version] = true
		}
	}
	// A suite accepted for a protocol shows the protocol is spoken even
	// where the protocol list is incomplete.
	for _, su := range s.CipherSuites {
		if su.Protocol != "" {
			f.protocols[su.Protocol] = true
		}
		f.anonymous = f.anonymous || isAnonymous(su)
		f.export = f.export || isExport(su)
	}
	key := s.ServerKey
	if key == "" && len(r.Chain) > 0 {
		key = r.Chain[0].Key
	}
	f.keyBits, f.keyRSAEquiv, f.keyFinite = keyStrength(key)
	for _, g := range s.Groups {
		if b := groupStrength(g); b > 0 && (f.groupBits == 0 || b < f.groupBits) {
			f.groupBits = b
		}
	}
	f.hstsChecked = s.Features.HSTSChecked || s.Features.HSTS != nil
	if s.Features.HSTS != nil {
		f.hstsAge = s.Features.HSTS.MaxAge
	}
	for _, p := range r.Problems {
		f.warnings = f.warnings || p.Severity == result.SeverityWarn
		f.incomplete = f.incomplete || p.ID == result.ProblemIncompleteChain || p.ID == result.ProblemChainMissingIntermediate
	}
	return f
}

// weakestKex is the strength, in RSA-equivalent bits, of the weakest key
// exchange the server allows: its key, its DH prime, its weakest group.
// 0 when none is known.
func (f *facts) weakestKex() int {
	bits := 0
	for _, b := range []int{f.keyRSAEquiv, f.dhBits, f.groupBits} {
		if b > 0 && (bits == 0 || b < bits) {
			bits = b
		}
	}
	return bits
}

// best is the newest protocol the server speaks, "" when none.
func (f *facts) best() string {
	for _, p := range []string{TLS13, TLS12, TLS11, TLS10, SSL3, SSL2} {
		if f.protocols[p] {
			return p
		}
	}
	return ""
}

// anySuite reports whether a suite the server accepts satisfies ok.
func (f *facts) anySuite(ok func(result.Suite) bool) bool {
	for _, s := range f.suites {
		if ok(s) {
			return true
		}
	}
	return false
}

// modern reports whether a suite is accepted for TLS 1.1 or later.
func modern(s result.Suite) bool {
	return s.Protocol == TLS11 || s.Protocol == TLS12 || s.Protocol == TLS13
}

func isAnonymous(s result.Suite) bool {
	return strings.Contains(s.Name, "_anon_") || strings.EqualFold(s.Auth, "anon")
}

func isExport(s result.Suite) bool { return strings.Contains(s.Name, "EXPORT") }

func isRC4(s result.Suite) bool {
	return strings.Contains(s.Enc, "RC4") || strings.Contains(s.Name, "_RC4_")
}

func is3DES(s result.Suite) bool {
	return strings.Contains(s.Enc, "3DES") || strings.Contains(s.Name, "3DES")
}

func isCBC(s result.Suite) bool {
	return !s.AEAD && (strings.Contains(s.Enc, "CBC") || strings.Contains(s.Name, "_CBC_"))
}

// keyStrength reads a key description ("RSA 2048", "ECDSA P-256",
// "Ed25519", "DSA 1024"): its size, its strength in RSA-equivalent bits
// (NIST SP 800-57), and whether it is an RSA or DSA key.
func keyStrength(desc string) (bits, equiv int, finite bool) {
	alg, size, _ := strings.Cut(strings.TrimSpace(desc), " ")
	switch strings.ToUpper(alg) {
	case "RSA", "DSA":
		n, err := strconv.Atoi(strings.TrimSpace(size))
		if err != nil {
			return 0, 0, false
		}
		return n, n, true
	case "ECDSA":
		b := groupStrength(size)
		return b, b, false
	case "ED25519":
		return 256, 3072, false
	case "ED448":
		return 448, 7680, false
	}
	return 0, 0, false
}

// groupStrength is a key exchange group's or curve's strength in
// RSA-equivalent bits, 0 when unknown.
func groupStrength(name string) int {
	n := strings.ToLower(strings.TrimSpace(name))
	switch n {
	case "x25519", "secp256r1", "p-256", "prime256v1", "brainpoolp256r1", "brainpoolp256r1tls13", "x25519mlkem768", "secp256r1mlkem768", "x25519kyber768draft00":
		return 3072
	case "secp384r1", "p-384", "brainpoolp384r1", "brainpoolp384r1tls13", "x448", "secp384r1mlkem1024":
		return 7680
	case "secp521r1", "p-521", "brainpoolp512r1", "brainpoolp512r1tls13":
		return 15360
	case "secp224r1", "p-224":
		return 2048
	case "secp192r1", "p-192":
		return 1024
	}
	if rest, ok := strings.CutPrefix(n, "ffdhe"); ok {
		if b, err := strconv.Atoi(rest); err == nil {
			return b
		}
	}
	return 0
}

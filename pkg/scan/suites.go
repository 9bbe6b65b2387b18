package scan

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/tlswire"
)

// Strength values of result.Suite.Strength.
const (
	StrengthStrong   = "strong"
	StrengthWeak     = "weak"
	StrengthInsecure = "insecure"
)

// macNames are the last words of a suite name that name its MAC or PRF
// hash rather than its cipher.
var macNames = map[string]bool{"SHA": true, "SHA256": true, "SHA384": true, "MD5": true, "SM3": true, "IMIT": true, "OMAC": true}

// encBits are the key strengths, in bits, of ciphers whose name carries
// no number (or a misleading one: 3DES gives 112 bits, not 168).
var encBits = map[string]int{
	"NULL": 0, "3DES": 112, "DES": 56, "DES40": 40, "IDEA": 128, "SEED": 128,
	"CHACHA20": 256, "KUZNYECHIK": 256, "MAGMA": 256, "28147": 256, "SM4": 128,
}

// Attributes describes a cipher suite from its IANA name alone: key
// exchange, authentication, encryption, key strength, AEAD, forward secrecy
// and strength. Protocol is left empty. TLS 1.3 suites have kex and auth
// "any": the group and the certificate decide them.
//
// Strength is insecure for NULL encryption, anonymous authentication,
// export suites, DES, RC2, RC4 and anything under 112 bits; weak for a
// suite without forward secrecy, without AEAD (CBC and other MAC-then-
// encrypt modes) or with 3DES; strong otherwise.
func Attributes(id uint16) result.Suite {
	tables()
	if a, ok := attrs[id]; ok {
		return a
	}
	return attributes(id)
}

func attributes(id uint16) result.Suite {
	name := tlswire.SuiteName(id)
	s := result.Suite{Name: name, ID: fmt.Sprintf("0x%04x", id)}
	body, ok := strings.CutPrefix(name, "TLS_")
	if !ok {
		s.Strength = StrengthInsecure
		return s
	}
	kexAuth, enc, with := strings.Cut(body, "_WITH_")
	if !with {
		// TLS 1.3 style: TLS_<cipher>_<hash>.
		s.Kex, s.Auth = "any", "any"
		enc = body
	} else {
		s.Kex, s.Auth = splitKexAuth(kexAuth)
	}
	words := strings.Split(enc, "_")
	if len(words) > 1 && macNames[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	if !with && len(words) == 1 && macNames[words[0]] {
		words = []string{"NULL"} // TLS_SHA256_SHA256: integrity only
	}
	s.Enc = strings.Join(words, "_")
	s.Bits = cipherBits(words)
	s.AEAD = strings.Contains(s.Enc, "GCM") || strings.Contains(s.Enc, "CCM") ||
		strings.Contains(s.Enc, "POLY1305") || strings.Contains(s.Enc, "AEGIS")
	export := strings.Contains(kexAuth, "EXPORT")
	if export && s.Bits > 40 && !strings.Contains(kexAuth, "EXPORT1024") {
		s.Bits = 40
	}
	s.ForwardSecret = !with || s.Kex == "DHE" || s.Kex == "ECDHE"
	s.Strength = strength(s, export)
	return s
}

var exportWords = strings.NewReplacer("_EXPORT1024", "", "_EXPORT", "")

// splitKexAuth splits the part before _WITH_ into key exchange and
// authentication: "ECDHE_RSA" is ECDHE and RSA, "RSA" is RSA and RSA,
// "DH_anon_EXPORT" is DH and anon, "PSK" is PSK and PSK.
func splitKexAuth(s string) (kex, auth string) {
	s = exportWords.Replace(s)
	if strings.HasPrefix(s, "GOSTR") {
		return s, "GOST"
	}
	switch s {
	case "NULL":
		return "NULL", "NULL"
	case "SRP_SHA":
		return "SRP", "SRP"
	}
	if a, ok := strings.CutPrefix(s, "SRP_SHA_"); ok {
		return "SRP", a
	}
	kex, auth, ok := strings.Cut(s, "_")
	if !ok {
		return kex, kex
	}
	return kex, auth
}

// cipherBits is the key strength of the cipher words (without the MAC):
// the first number that is a key size, else the table's value.
func cipherBits(words []string) int {
	if b, ok := encBits[words[0]]; ok {
		if words[0] == "DES" && len(words) > 2 && words[2] == "40" { // DES_CBC_40
			return 40
		}
		return b
	}
	for _, w := range words[1:] {
		if n, err := strconv.Atoi(w); err == nil && n >= 40 {
			return n
		}
	}
	if strings.HasPrefix(words[0], "AEGIS") {
		return 128 // AEGIS_128L
	}
	return 0
}

func strength(s result.Suite, export bool) string {
	switch {
	case s.Enc == "NULL" || s.Bits < 112 || export || s.Auth == "anon" || s.Auth == "NULL",
		strings.HasPrefix(s.Enc, "RC4"), strings.HasPrefix(s.Enc, "RC2"), strings.HasPrefix(s.Enc, "DES"):
		return StrengthInsecure
	case !s.ForwardSecret || !s.AEAD || strings.HasPrefix(s.Enc, "3DES"):
		return StrengthWeak
	}
	return StrengthStrong
}

var (
	tablesOnce  sync.Once
	legacySuite []uint16 // suites of the registry for TLS 1.2
	oldSuite    []uint16 // suites of the registry for SSL 3.0 to TLS 1.1
	tls13Suite  []uint16 // suites of the registry for TLS 1.3
	attrs       map[uint16]result.Suite
)

// tables reads the registry once: the suites of each version and their
// attributes.
func tables() {
	tablesOnce.Do(func() {
		attrs = map[uint16]result.Suite{}
		for _, id := range tlswire.RegisteredSuites() {
			n := tlswire.SuiteName(id)
			switch {
			case strings.HasPrefix(n, "0x"), strings.HasPrefix(n, "GREASE"), id == 0:
				continue
			case id>>8 == 0x13:
				tls13Suite = append(tls13Suite, id)
			case strings.Contains(n, "_WITH_"):
				legacySuite = append(legacySuite, id)
				a := attributes(id)
				if !a.AEAD && !strings.HasSuffix(n, "_SHA256") && !strings.HasSuffix(n, "_SHA384") {
					oldSuite = append(oldSuite, id)
				}
			}
			attrs[id] = attributes(id)
		}
	})
}

// SuitesFor lists every cipher suite of the IANA registry that a server may
// select at version v: for TLS 1.3 the TLS 1.3 suites; for TLS 1.2 every
// TLS_x_WITH_y suite; for SSL 3.0 to TLS 1.1 those without AEAD encryption
// or a SHA-256/SHA-384 MAC, which TLS 1.2 introduced. Signalling values
// (TLS_FALLBACK_SCSV, TLS_EMPTY_RENEGOTIATION_INFO_SCSV) are not suites.
func SuitesFor(v uint16) []uint16 {
	tables()
	switch {
	case v >= tlswire.VersionTLS13:
		return slices.Clone(tls13Suite)
	case v == tlswire.VersionTLS12:
		return slices.Clone(legacySuite)
	}
	return slices.Clone(oldSuite)
}

// suiteClass partitions the suites of a version so that each part can be
// enumerated on its own connections: the union of what each part accepts
// is what the server accepts.
func suiteClass(id uint16) string {
	switch tlswire.SuiteKeyExchange(id) {
	case tlswire.KeyExchangeECDHE:
		return "ECDHE"
	case tlswire.KeyExchangeDHE:
		return "DHE"
	case tlswire.KeyExchangeRSA:
		return "RSA"
	case tlswire.KeyExchangeTLS13:
		return "TLS13"
	}
	return "other"
}

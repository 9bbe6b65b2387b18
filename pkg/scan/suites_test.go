package scan

import (
	"slices"
	"testing"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/tlswire"
)

// TestAttributes: one row per class of suite, each attribute derived from
// the IANA name alone.
func TestAttributes(t *testing.T) {
	tests := []struct {
		class string
		id    uint16
		want  result.Suite
	}{
		{"NULL", 0x0002, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "NULL", Bits: 0, Strength: StrengthInsecure}},
		{"EXPORT", 0x0008, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "DES40_CBC", Bits: 40, Strength: StrengthInsecure}},
		{"EXPORT RC4", 0x0003, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "RC4_40", Bits: 40, Strength: StrengthInsecure}},
		{"RC4", 0x0005, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "RC4_128", Bits: 128, Strength: StrengthInsecure}},
		{"ECDHE RC4", 0xc011, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "RC4_128", Bits: 128, ForwardSecret: true, Strength: StrengthInsecure}},
		{"DES", 0x0009, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "DES_CBC", Bits: 56, Strength: StrengthInsecure}},
		{"3DES", 0x000a, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "3DES_EDE_CBC", Bits: 112, Strength: StrengthWeak}},
		{"ECDHE 3DES", 0xc012, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "3DES_EDE_CBC", Bits: 112, ForwardSecret: true, Strength: StrengthWeak}},
		{"CBC", 0xc013, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "AES_128_CBC", Bits: 128, ForwardSecret: true, Strength: StrengthWeak}},
		{"GCM", 0xc02f, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "AES_128_GCM", Bits: 128, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"ECDSA GCM", 0xc02c, result.Suite{Kex: "ECDHE", Auth: "ECDSA", Enc: "AES_256_GCM", Bits: 256, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"CHACHA20", 0xcca8, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "CHACHA20_POLY1305", Bits: 256, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"CCM_8", 0xc0a0, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "AES_128_CCM_8", Bits: 128, AEAD: true, Strength: StrengthWeak}},
		{"anon", 0x00a6, result.Suite{Kex: "DH", Auth: "anon", Enc: "AES_128_GCM", Bits: 128, AEAD: true, Strength: StrengthInsecure}},
		{"ECDH anon", 0xc018, result.Suite{Kex: "ECDH", Auth: "anon", Enc: "AES_128_CBC", Bits: 128, Strength: StrengthInsecure}},
		{"RSA kex GCM", 0x009c, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "AES_128_GCM", Bits: 128, AEAD: true, Strength: StrengthWeak}},
		{"static DH", 0x00a0, result.Suite{Kex: "DH", Auth: "RSA", Enc: "AES_128_GCM", Bits: 128, AEAD: true, Strength: StrengthWeak}},
		{"DHE", 0x009e, result.Suite{Kex: "DHE", Auth: "RSA", Enc: "AES_128_GCM", Bits: 128, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"DHE CBC", 0x0033, result.Suite{Kex: "DHE", Auth: "RSA", Enc: "AES_128_CBC", Bits: 128, ForwardSecret: true, Strength: StrengthWeak}},
		{"ECDHE PSK", 0xd001, result.Suite{Kex: "ECDHE", Auth: "PSK", Enc: "AES_128_GCM", Bits: 128, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"PSK", 0x00a8, result.Suite{Kex: "PSK", Auth: "PSK", Enc: "AES_128_GCM", Bits: 128, AEAD: true, Strength: StrengthWeak}},
		{"SRP", 0xc01d, result.Suite{Kex: "SRP", Auth: "SRP", Enc: "AES_128_CBC", Bits: 128, Strength: StrengthWeak}},
		{"SRP RSA", 0xc01e, result.Suite{Kex: "SRP", Auth: "RSA", Enc: "AES_128_CBC", Bits: 128, Strength: StrengthWeak}},
		{"TLS 1.3 GCM", 0x1301, result.Suite{Kex: "any", Auth: "any", Enc: "AES_128_GCM", Bits: 128, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"TLS 1.3 AES-256", 0x1302, result.Suite{Kex: "any", Auth: "any", Enc: "AES_256_GCM", Bits: 256, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"TLS 1.3 CHACHA20", 0x1303, result.Suite{Kex: "any", Auth: "any", Enc: "CHACHA20_POLY1305", Bits: 256, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"TLS 1.3 integrity only", 0xc0b4, result.Suite{Kex: "any", Auth: "any", Enc: "NULL", Bits: 0, ForwardSecret: true, Strength: StrengthInsecure}},
		{"CAMELLIA", 0x0041, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "CAMELLIA_128_CBC", Bits: 128, Strength: StrengthWeak}},
		{"ARIA GCM", 0xc061, result.Suite{Kex: "ECDHE", Auth: "RSA", Enc: "ARIA_256_GCM", Bits: 256, AEAD: true, ForwardSecret: true, Strength: StrengthStrong}},
		{"IDEA", 0x0007, result.Suite{Kex: "RSA", Auth: "RSA", Enc: "IDEA_CBC", Bits: 128, Strength: StrengthWeak}},
	}
	for _, tt := range tests {
		t.Run(tt.class, func(t *testing.T) {
			got := Attributes(tt.id)
			tt.want.Name = tlswire.SuiteName(tt.id)
			tt.want.ID = got.ID
			if got != tt.want {
				t.Errorf("Attributes(%s)\n got %+v\nwant %+v", tlswire.SuiteName(tt.id), got, tt.want)
			}
		})
	}
}

// TestAttributesWholeRegistry: every suite of the registry gets a strength
// and a non-empty kex, auth and encryption, without a panic.
func TestAttributesWholeRegistry(t *testing.T) {
	for _, v := range []uint16{tlswire.VersionTLS13, tlswire.VersionTLS12} {
		for _, id := range SuitesFor(v) {
			a := Attributes(id)
			if a.Kex == "" || a.Auth == "" || a.Enc == "" || a.Strength == "" {
				t.Errorf("%s: incomplete attributes %+v", a.Name, a)
			}
		}
	}
}

// TestSuitesFor: TLS 1.3 gets the TLS 1.3 suites only; TLS 1.0 none that
// needs TLS 1.2; no signalling value is offered as a suite.
func TestSuitesFor(t *testing.T) {
	s13 := SuitesFor(tlswire.VersionTLS13)
	if !slices.Contains(s13, 0x1301) || slices.Contains(s13, 0xc02f) {
		t.Errorf("TLS 1.3 suites: %v", s13)
	}
	s12 := SuitesFor(tlswire.VersionTLS12)
	s10 := SuitesFor(tlswire.VersionTLS10)
	for _, id := range []uint16{0x00ff, 0x5600, 0x0000, 0x1301} {
		if slices.Contains(s12, id) || slices.Contains(s10, id) {
			t.Errorf("%s offered as a TLS 1.2/1.0 suite", tlswire.SuiteName(id))
		}
	}
	if !slices.Contains(s12, 0xc02f) || slices.Contains(s10, 0xc02f) || slices.Contains(s10, 0xc027) {
		t.Errorf("TLS 1.2-only suites must be in the TLS 1.2 list only")
	}
	if !slices.Contains(s10, 0xc013) || !slices.Contains(s10, 0x000a) {
		t.Errorf("TLS 1.0 list lacks CBC suites")
	}
	if len(s12) < 300 {
		t.Errorf("TLS 1.2 list has %d suites; the registry has over 300", len(s12))
	}
}

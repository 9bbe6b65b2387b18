package tlswire

import "testing"

// FuzzSKESignatureScheme: any ServerKeyExchange body is read without a
// panic.
func FuzzSKESignatureScheme(f *testing.F) {
	f.Add([]byte{3, 0, 0x1d, 1, 9, 0x08, 0x04, 0, 1, 0}, true)
	f.Add([]byte{0, 1, 7, 0, 1, 2, 0, 1, 3, 0x04, 0x01, 0, 0}, false)
	f.Fuzz(func(t *testing.T, raw []byte, ecdhe bool) {
		kind := KeyExchangeDHE
		if ecdhe {
			kind = KeyExchangeECDHE
		}
		(&ServerKeyExchange{Kind: kind, Raw: raw}).SignatureScheme()
	})
}

func TestSKESignatureScheme(t *testing.T) {
	tests := []struct {
		kind KeyExchange
		raw  []byte
		want uint16
		ok   bool
	}{
		{KeyExchangeECDHE, []byte{3, 0, 0x1d, 1, 9, 0x08, 0x04, 0, 1, 0}, 0x0804, true},
		{KeyExchangeDHE, []byte{0, 1, 7, 0, 1, 2, 0, 1, 3, 0x04, 0x01, 0, 0}, 0x0401, true},
		{KeyExchangeECDHE, []byte{3, 0, 0x1d, 1, 9}, 0, false},
		{KeyExchangeRSA, []byte{0x04, 0x01, 0, 0}, 0, false},
	}
	for _, tt := range tests {
		got, ok := (&ServerKeyExchange{Kind: tt.kind, Raw: tt.raw}).SignatureScheme()
		if got != tt.want || ok != tt.ok {
			t.Errorf("SignatureScheme(%x) = %#04x, %v; want %#04x, %v", tt.raw, got, ok, tt.want, tt.ok)
		}
	}
}

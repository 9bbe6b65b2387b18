package scan

import (
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

func TestParseHSTS(t *testing.T) {
	tests := []struct {
		in   string
		want *result.HSTS
	}{
		{"max-age=31536000", &result.HSTS{MaxAge: 31536000}},
		{"max-age=31536000; includeSubDomains; preload", &result.HSTS{MaxAge: 31536000, IncludeSubdomains: true, Preload: true}},
		{`MAX-AGE="15552000" ; INCLUDESUBDOMAINS`, &result.HSTS{MaxAge: 15552000, IncludeSubdomains: true}},
		{"includeSubDomains; max-age=0", &result.HSTS{MaxAge: 0, IncludeSubdomains: true}},
		{"max-age=10; unknown=1; ;", &result.HSTS{MaxAge: 10}},
		{"max-age=99999999999999999999999", &result.HSTS{MaxAge: 1<<63 - 1}},
		{"", nil},
		{"includeSubDomains", nil},
		{"max-age=", nil},
		{"max-age=-1", nil},
		{"max-age=1e6", nil},
		{"max-age=1; max-age=2", nil},
	}
	for _, tt := range tests {
		got := ParseHSTS(tt.in)
		if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
			t.Errorf("ParseHSTS(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestParseSCTList(t *testing.T) {
	tests := []struct {
		in   []byte
		want int
		ok   bool
	}{
		{[]byte{0, 0}, 0, true},
		{[]byte{0, 4, 0, 2, 0xaa, 0xbb}, 1, true},
		{[]byte{0, 7, 0, 1, 0xaa, 0, 2, 0xbb, 0xcc}, 2, true},
		{[]byte{0, 3, 0, 2, 0xaa}, 0, false},
		{[]byte{0, 2, 0, 0}, 0, false},
		{[]byte{0}, 0, false},
	}
	for _, tt := range tests {
		n, err := ParseSCTList(tt.in)
		if n != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseSCTList(%x) = %d, %v; want %d, ok %v", tt.in, n, err, tt.want, tt.ok)
		}
	}
}

// FuzzParseHSTS: any header value parses without a panic, and a result
// has a non-negative max-age.
func FuzzParseHSTS(f *testing.F) {
	for _, s := range []string{"max-age=31536000; includeSubDomains; preload", `max-age="0"`, ";;", "max-age=1;max-age=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if h := ParseHSTS(s); h != nil && h.MaxAge < 0 {
			t.Fatalf("negative max-age from %q", s)
		}
	})
}

// FuzzParseSCTList: any bytes parse without a panic; a count never exceeds
// what the bytes can hold.
func FuzzParseSCTList(f *testing.F) {
	f.Add([]byte{0, 4, 0, 2, 0xaa, 0xbb})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if n, err := ParseSCTList(b); err == nil && n*3 > len(b) {
			t.Fatalf("%d SCTs in %d bytes", n, len(b))
		}
	})
}

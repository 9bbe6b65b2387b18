package report

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "api.example.com", "api.example.com"},
		{"empty", "", ""},
		{"unicode kept", "bücher.example — 日本", "bücher.example — 日本"},
		{"backslash kept", `a\b`, `a\b`},
		{"ANSI colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"OSC title", "\x1b]0;pwned\x07", `\x1b]0;pwned\x07`},
		{"tab newline cr", "a\tb\nc\rd", `a\tb\nc\rd`},
		{"NUL", "a\x00b", `a\x00b`},
		{"DEL", "a\x7fb", `a\x7fb`},
		{"C1 CSI rune", "a\u009b31m", `a\u009b31m`},
		{"C1 NEL", "a\u0085b", `a\u0085b`},
		{"invalid byte", "a\x9bb", `a\x9bb`},
		{"RLO", "\u202egnp.exe", `\u202egnp.exe`},
		{"LRE PDF", "\u202ax\u202c", `\u202ax\u202c`},
		{"isolates", "\u2066\u2067\u2068\u2069", `\u2066\u2067\u2068\u2069`},
		{"marks", "\u200e\u200f\u061c", `\u200e\u200f\u061c`},
		{"separators", "a\u2028b\u2029c", `a\u2028b\u2029c`},
		{"zero-width joiner kept", "👩\u200d💻", "👩\u200d💻"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestEscapeJSON(t *testing.T) {
	in := map[string]string{"s": "x\x7f\u0085\u202e\u2066y\x1b<&>"}
	raw, err := encode(in, "")
	if err != nil {
		t.Fatal(err)
	}
	want := `{"s":"x\u007f\u0085\u202e\u2066y\u001b<&>"}` + "\n"
	if string(raw) != want {
		t.Errorf("encode = %s, want %s", raw, want)
	}
	var back map[string]string
	if err := json.Unmarshal(raw, &back); err != nil || back["s"] != in["s"] {
		t.Errorf("round trip = %q, %v; want %q", back["s"], err, in["s"])
	}
}

func FuzzSanitize(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[31m", "\u202e", "\x9b", "a\tb", "日本"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Sanitize(s)
		if !utf8.ValidString(got) {
			t.Fatalf("Sanitize(%q) = %q is not valid UTF-8", s, got)
		}
		for _, r := range got {
			if unsafeRune(r, utf8.RuneLen(r)) {
				t.Fatalf("Sanitize(%q) = %q keeps %U", s, got, r)
			}
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, func(r rune) bool { return unsafeRune(r, utf8.RuneLen(r)) }) && got != s {
			t.Fatalf("Sanitize(%q) = %q changed a safe string", s, got)
		}
	})
}

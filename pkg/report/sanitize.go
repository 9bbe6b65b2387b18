package report

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Sanitize makes s safe to print on a terminal. It replaces C0 and C1
// control characters, DEL, invalid UTF-8 bytes, line and paragraph
// separators, and bidirectional override, embedding, isolate and mark
// characters with visible escapes: \t, \n and \r for those three, \xNN for
// other ASCII controls and invalid bytes, \uNNNN for the rest. An ANSI escape
// sequence thus shows as the text "\x1b[31m" instead of changing colour.
// Backslashes are left alone, so the escapes are for reading, not for
// reversing. A string that needs no change is returned as is.
func Sanitize(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if unsafeRune(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x80 && unsafeRune(r, size):
			fmt.Fprintf(&b, `\x%02x`, r)
		case unsafeRune(r, size):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// unsafeRune reports whether the rune r, decoded from size bytes, must not
// reach a terminal as is.
func unsafeRune(r rune, size int) bool {
	if r == utf8.RuneError && size == 1 {
		return true // an invalid byte; 0x9b alone is CSI on 8-bit terminals
	}
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r <= 0x9f) || bidiOrSeparator(r)
}

// bidiOrSeparator reports whether r reorders or breaks text: the bidi
// embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069, the
// marks U+200E, U+200F and U+061C, and the separators U+2028 and U+2029.
func bidiOrSeparator(r rune) bool {
	switch {
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true
	case r == 0x200e, r == 0x200f, r == 0x061c, r == 0x2028, r == 0x2029:
		return true
	}
	return false
}

// escapeJSON rewrites encoded JSON so the terminal-unsafe runes that
// encoding/json passes through (DEL, C1 controls, bidi controls) appear as
// \uNNNN escapes. The decoded values are unchanged: the input is valid UTF-8
// from encoding/json, and those runes can only occur inside strings.
func escapeJSON(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x7f {
			i++
			continue
		}
		r, size := rune(c), 1
		if c >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(b[i:])
		}
		if jsonUnsafe(r) {
			if out == nil {
				out = make([]byte, 0, len(b)+64)
			}
			out = append(out, b[last:i]...)
			out = fmt.Appendf(out, `\u%04x`, r)
			last = i + size
		}
		i += size
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// jsonUnsafe reports whether encoding/json leaves r raw although a terminal
// would act on it. (It already escapes C0 controls, U+2028 and U+2029.)
func jsonUnsafe(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || bidiOrSeparator(r)
}

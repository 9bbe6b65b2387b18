package result

import (
	"strconv"
	"strings"
)

// DNValues returns the values of the attribute key ("CN", "O") of a
// distinguished name in the RFC 2253 form that pkix.Name.String writes and
// Cert.Subject and Cert.Issuer hold ("CN=R11,O=Let's Encrypt,C=US"), in
// order and unescaped; nil when the name has none. key is matched without
// regard to case.
func DNValues(dn, key string) []string {
	var vals []string
	start := 0
	for i := 0; i <= len(dn); i++ {
		if i+1 < len(dn) && dn[i] == '\\' {
			i++ // an escaped character
			continue
		}
		if i < len(dn) && dn[i] != ',' && dn[i] != '+' {
			continue
		}
		if k, v, ok := strings.Cut(dn[start:i], "="); ok && strings.EqualFold(strings.TrimSpace(k), key) {
			vals = append(vals, unescapeDN(v))
		}
		start = i + 1
	}
	return vals
}

// unescapeDN undoes RFC 4514 escaping: "\," is ",", "\1b" is the byte 0x1b.
func unescapeDN(v string) string {
	if !strings.Contains(v, `\`) {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] != '\\' || i+1 >= len(v) {
			b.WriteByte(v[i])
			continue
		}
		if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			n, _ := strconv.ParseUint(v[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(v[i+1])
		i++
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

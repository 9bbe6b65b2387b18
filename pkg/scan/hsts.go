package scan

import (
	"strconv"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// ParseHSTS reads a Strict-Transport-Security header value (RFC 6797
// section 6.1): max-age (required), includeSubDomains and preload, in any
// case and order, quoted or not. It returns nil when the header is not
// valid: no max-age, a max-age that is not a number, or a directive given
// twice, which a browser ignores the whole header for.
func ParseHSTS(v string) *result.HSTS {
	h := &result.HSTS{}
	seen := map[string]bool{}
	haveAge := false
	for _, d := range strings.Split(v, ";") {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		name, val, hasVal := strings.Cut(d, "=")
		name = strings.ToLower(strings.TrimSpace(name))
		if seen[name] {
			return nil
		}
		seen[name] = true
		val = strings.TrimSpace(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		switch name {
		case "max-age":
			if !hasVal || val == "" || strings.TrimLeft(val, "0123456789") != "" {
				return nil
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil {
				n = 1<<63 - 1 // more digits than int64: as long as can be
			}
			h.MaxAge, haveAge = n, true
		case "includesubdomains":
			h.IncludeSubdomains = true
		case "preload":
			h.Preload = true
		}
	}
	if !haveAge {
		return nil
	}
	return h
}

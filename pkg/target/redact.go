package target

import "strings"

// redacted replaces a password, as in net/url's URL.Redacted.
const redacted = "xxxxx"

// Redact returns raw with the password of every "user:password@" it holds
// replaced by "xxxxx", as net/url's URL.Redacted does for a URL:
// "https://user:secret@host/" becomes "https://user:xxxxx@host/". It works on
// any string, parsable or not ("https:/user:secret@host", "user:secret@host",
// invalid UTF-8), so it is safe to apply to a target before it is printed,
// logged or quoted in an error.
//
// raw is read as segments separated by '/', '?' and '#', which a password
// cannot contain unencoded. In each segment holding an '@', everything from
// the first ':' to the last '@' is the password; a segment without ':'
// before its last '@' has a user name only and is kept. A string without a
// password is returned as is.
func Redact(raw string) string {
	if !strings.Contains(raw, "@") {
		return raw
	}
	var b strings.Builder
	rest := raw
	for {
		end := strings.IndexAny(rest, "/?#")
		seg := rest
		if end >= 0 {
			seg = rest[:end]
		}
		b.WriteString(redactSegment(seg))
		if end < 0 {
			break
		}
		b.WriteByte(rest[end])
		rest = rest[end+1:]
	}
	if b.Len() == len(raw) && b.String() == raw {
		return raw
	}
	return b.String()
}

// redactSegment redacts the password of one segment: the text between its
// first ':' and its last '@'.
func redactSegment(seg string) string {
	at := strings.LastIndexByte(seg, '@')
	if at < 0 {
		return seg
	}
	colon := strings.IndexByte(seg[:at], ':')
	if colon < 0 {
		return seg
	}
	return seg[:colon+1] + redacted + seg[at:]
}

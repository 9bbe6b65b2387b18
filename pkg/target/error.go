package target

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxQuotedInput is how many bytes of the input an error message quotes.
const maxQuotedInput = 80

// ParseError results when Parse cannot read a target. Reason says what is
// wrong and Hint how to fix it.
type ParseError struct {
	// Input is the target as given, trimmed, with any password in it
	// replaced by "xxxxx". It is not shortened; Error shortens it.
	Input string
	// Reason says what is wrong, e.g. `port "abc" is not a number`.
	Reason string
	// Hint says how to fix it, e.g. "give a port from 1 to 65535".
	Hint string
}

// Error returns `invalid target "INPUT": REASON (HINT)`. INPUT is quoted
// with Go escapes, so control characters cannot reach a terminal, and
// shortened to about 80 bytes with an ellipsis.
func (e *ParseError) Error() string {
	var b strings.Builder
	b.WriteString("invalid target ")
	b.WriteString(quote80(e.Input))
	b.WriteString(": ")
	b.WriteString(e.Reason)
	if e.Hint != "" {
		b.WriteString(" (")
		b.WriteString(e.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// newError returns a *ParseError for input, with its password redacted.
func newError(input, reason, hint string) *ParseError {
	return &ParseError{Input: redact(input), Reason: reason, Hint: hint}
}

// quote80 quotes s with Go escapes, shortened to maxQuotedInput bytes.
func quote80(s string) string {
	return quoteN(s, maxQuotedInput)
}

// quote quotes s with Go escapes, shortened to 40 bytes; for parts of the
// input named in a reason or hint.
func quote(s string) string {
	return quoteN(s, 40)
}

// quoteN quotes s with strconv.Quote after shortening it to n bytes, and
// marks a shortened string with an ellipsis inside the quotes.
func quoteN(s string, n int) string {
	if len(s) <= n {
		return strconv.Quote(s)
	}
	q := strconv.Quote(cut(s, n))
	return q[:len(q)-1] + "…\""
}

// truncate shortens s to at most n bytes, on a rune boundary, and appends
// an ellipsis when it did.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return cut(s, n) + "…"
}

// cut returns the longest prefix of s of at most n bytes that does not end
// inside a UTF-8 sequence.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && i > n-utf8.UTFMax && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i]
}

// redact replaces the password of a URL-style userinfo ("user:pw@host")
// with "xxxxx", so error messages and logs do not repeat it.
func redact(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s
	}
	at += start
	colon := strings.IndexByte(s[start:at], ':')
	if colon < 0 {
		return s
	}
	colon += start
	return s[:colon+1] + "xxxxx" + s[at:]
}

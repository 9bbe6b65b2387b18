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

// newError returns a *ParseError for input, with any password redacted in
// the input, the reason and the hint.
func newError(input, reason, hint string) *ParseError {
	return &ParseError{Input: Redact(input), Reason: Redact(reason), Hint: Redact(hint)}
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

// quoteN quotes s with strconv.Quote after redacting any password in it and
// shortening it to n bytes, and marks a shortened string with an ellipsis
// inside the quotes. Redacting first means a cut never leaves part of a
// password without the '@' that marks it.
func quoteN(s string, n int) string {
	s = Redact(s)
	if len(s) <= n {
		return strconv.Quote(s)
	}
	q := strconv.Quote(cut(s, n))
	return q[:len(q)-1] + "…\""
}

// truncate redacts any password in s, then shortens s to at most n bytes,
// on a rune boundary, and appends an ellipsis when it did.
func truncate(s string, n int) string {
	s = Redact(s)
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

package target

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLineBytes is the longest list line, in bytes without its '\n',
// that ReadList passes on whole. A longer line is cut to its first
// MaxLineBytes bytes, the rest is discarded, and the cut line, still longer
// than MaxTargetBytes, is passed on untrimmed so that Parse rejects it.
const MaxLineBytes = 64 << 10

// utf8BOM is the byte order mark some editors put at the start of a file.
const utf8BOM = "\uFEFF"

// ReadList reads a target list from r, one target a line, and calls fn for
// each target with its 1-based line number and its text, trimmed of white
// space (including a CR of a CRLF line end, and a UTF-8 byte order mark on
// the first line).
//
// Blank lines and lines whose first non-space character is '#' are skipped.
// A '#' that follows a space or tab starts a trailing comment, which is
// dropped with the white space before it ("host:8443  # staging" is
// "host:8443"). A '#' with no white space before it is kept, since it
// starts a URL fragment ("https://host/p#frag" stays whole); a target
// never contains white space, so the two cannot be confused.
//
// ReadList streams: it holds one line at a time, at most MaxLineBytes of
// it. It stops at the first error from fn and returns that error as is. A
// read error is returned wrapped, with the line number.
func ReadList(r io.Reader, fn func(line int, raw string) error) error {
	br := bufio.NewReader(r)
	for line := 1; ; line++ {
		text, long, err := readLine(br)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read target list: line %d: %w", line, err)
		}
		eof := err != nil
		if eof && text == "" && !long {
			return nil
		}
		if line == 1 {
			text = strings.TrimPrefix(text, utf8BOM)
		}
		trimmed := strings.TrimSpace(text)
		switch {
		case trimmed == "" && !long:
		case strings.HasPrefix(trimmed, "#"):
		case long:
			// Too long to be a target: pass it uncut by trimming, so that
			// it stays over MaxTargetBytes and Parse reports it.
			if ferr := fn(line, text); ferr != nil {
				return ferr
			}
		default:
			if ferr := fn(line, strings.TrimSpace(stripComment(trimmed))); ferr != nil {
				return ferr
			}
		}
		if eof {
			return nil
		}
	}
}

// readLine returns the next line without its '\n'. If the line is longer
// than MaxLineBytes it returns the first MaxLineBytes bytes, discards the
// rest up to the next '\n', and sets long. err is io.EOF when the input
// ended (text may still hold a last line without '\n').
func readLine(br *bufio.Reader) (text string, long bool, err error) {
	var buf []byte
	for {
		b, err := br.ReadSlice('\n')
		content := b
		if err == nil {
			content = b[:len(b)-1]
		}
		if room := MaxLineBytes - len(buf); len(content) > room {
			buf = append(buf, content[:room]...)
			long = true
		} else {
			buf = append(buf, content...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return string(buf), long, err
		}
	}
}

// stripComment cuts text at the first '#' that follows a space or tab.
func stripComment(text string) string {
	for i := 1; i < len(text); i++ {
		if text[i] == '#' && (text[i-1] == ' ' || text[i-1] == '\t') {
			return text[:i]
		}
	}
	return text
}

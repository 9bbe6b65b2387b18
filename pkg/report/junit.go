package report

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// junitRenderer writes one JUnit XML document on Close: a testsuites root
// holding one testsuite, with one testcase per target in input order. A fail
// result is a <failure>, an error result an <error>, both carrying the code
// as type, the code, message and detail as message, and the detail and the
// problems as text; warnings go to <system-out>. The document follows the
// JUnit schema that Jenkins publishes (junit-10.xsd), which GitLab and the
// GitHub test reporters read too.
type junitRenderer struct {
	out     io.Writer
	stores  []string
	command string
	buf     buffer
}

func newJUnit(ios *iostreams.IOStreams, opts Options) Renderer {
	return &junitRenderer{out: ios.Out, stores: opts.Stores, command: opts.command()}
}

// Add buffers r.
func (j *junitRenderer) Add(r result.Result) error { return j.buf.add(r) }

// Close writes the document.
func (j *junitRenderer) Close() error {
	rs, _, err := j.buf.close()
	if err != nil {
		return err
	}
	t := tallyOf(rs)
	var total time.Duration
	for i := range rs {
		total += msDuration(rs[i].DurationMS)
	}
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	counts := fmt.Sprintf(`tests="%d" failures="%d" errors="%d"`, len(rs), t.fail, t.errors)
	fmt.Fprintf(&b, "<testsuites name=\"certgate\" %s time=\"%s\">\n", counts, seconds(total))
	fmt.Fprintf(&b, "  <testsuite name=\"certgate %s\" %s skipped=\"0\" time=\"%s\"", xmlAttr(j.command), counts, seconds(total))
	if len(rs) > 0 && !rs[0].ValidatedAt.IsZero() {
		// The schema's timestamp has no zone; it is UTC.
		fmt.Fprintf(&b, " timestamp=\"%s\"", rs[0].ValidatedAt.UTC().Format("2006-01-02T15:04:05"))
	}
	b.WriteString(">\n")
	if len(j.stores) > 0 || len(rs) > 0 {
		b.WriteString("    <properties>\n")
		if len(j.stores) > 0 {
			fmt.Fprintf(&b, "      <property name=\"stores\" value=\"%s\"/>\n", xmlAttr(strings.Join(j.stores, ",")))
		}
		if len(rs) > 0 && !rs[0].ValidatedAt.IsZero() {
			fmt.Fprintf(&b, "      <property name=\"validated_at\" value=\"%s\"/>\n", rs[0].ValidatedAt.UTC().Format(time.RFC3339))
		}
		b.WriteString("    </properties>\n")
	}
	for i := range rs {
		j.testcase(&b, &rs[i])
	}
	b.WriteString("  </testsuite>\n</testsuites>\n")
	if _, err := j.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write junit: %w", err)
	}
	return nil
}

func (j *junitRenderer) testcase(b *bytes.Buffer, r *result.Result) {
	fmt.Fprintf(b, "    <testcase name=\"%s\" classname=\"certgate.%s\" time=\"%s\"", xmlAttr(targetName(r)), xmlAttr(j.command), seconds(msDuration(r.DurationMS)))
	var elem string
	switch r.Status {
	case result.StatusOK:
		b.WriteString("/>\n")
		return
	case result.StatusWarn:
		b.WriteString(">\n      <system-out>")
		b.WriteString(xmlText(strings.Join(j.lines(r), "\n")))
		b.WriteString("</system-out>\n    </testcase>\n")
		return
	case result.StatusFail:
		elem = "failure"
	default: // error, and any status this version does not know
		elem = "error"
	}
	msg := headline(r)
	if r.Detail != "" {
		msg += ": " + r.Detail
	}
	fmt.Fprintf(b, ">\n      <%s type=\"%d\" message=\"%s\">", elem, int(r.Code), xmlAttr(msg))
	b.WriteString(xmlText(strings.Join(j.lines(r), "\n")))
	fmt.Fprintf(b, "</%s>\n    </testcase>\n", elem)
}

// lines is the text of a failure, error or warning: the detail, the
// problems that do not repeat it, and where the handshake went. Each
// line is sanitised on its own, so a newline inside a certificate field or
// a message shows as "\n" and never starts a line of its own.
func (j *junitRenderer) lines(r *result.Result) []string {
	ls := j.rawLines(r)
	for i, l := range ls {
		ls[i] = Sanitize(l)
	}
	return ls
}

func (j *junitRenderer) rawLines(r *result.Result) []string {
	var ls []string
	if r.Detail != "" {
		ls = append(ls, r.Detail)
	}
	if ps := problemLinesExcept(r, r.Detail); len(ps) > 0 {
		ls = append(ls, "problems:")
		for _, p := range ps {
			ls = append(ls, "  "+p)
		}
	}
	if r.Address != "" {
		ls = append(ls, "address: "+r.Address)
	}
	if len(r.Chain) > 0 {
		ls = append(ls, "leaf: "+r.Chain[0].Subject+" (not after "+r.Chain[0].NotAfter.UTC().Format(time.RFC3339)+")")
	}
	if root := trustedRoot(r, j.stores); root != "" {
		ls = append(ls, "root: "+root)
	}
	return ls
}

func msDuration(ms float64) time.Duration {
	if ms <= 0 {
		return 0
	}
	return time.Duration(ms * float64(time.Millisecond))
}

// seconds formats d as the schema's time: seconds with three decimals.
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// xmlAttr makes s safe inside a double-quoted XML attribute: Sanitize first
// (so terminal escapes and controls invalid in XML 1.0 show as visible
// escapes), then the XML escapes.
func xmlAttr(s string) string { return xmlEscape(Sanitize(s), true) }

// xmlText is xmlAttr for element content; the newlines that separate lines
// stay.
func xmlText(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = xmlEscape(Sanitize(l), false)
	}
	return strings.Join(lines, "\n")
}

// xmlEscape escapes the XML specials, and replaces every rune that XML 1.0
// does not allow (controls other than tab, newline and carriage return, the
// surrogates, U+FFFE and U+FFFF, invalid UTF-8) with U+FFFD. In attributes
// tab, newline and carriage return become character references so that
// attribute normalisation keeps them.
func xmlEscape(s string, attr bool) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune('\uFFFD')
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&quot;")
		case r == '\'':
			b.WriteString("&apos;")
		case r == '\t' || r == '\n' || r == '\r':
			if attr {
				fmt.Fprintf(&b, "&#x%X;", r)
			} else {
				b.WriteRune(r)
			}
		case !xmlChar(r):
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// xmlChar reports whether r is in XML 1.0's Char production.
func xmlChar(r rune) bool {
	return r == 0x9 || r == 0xA || r == 0xD ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}

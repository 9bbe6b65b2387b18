package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// markdownRenderer writes a GitHub-flavoured Markdown summary on Close: a
// heading with the counts and one table row per target, in input order. It
// suits a CI job summary ($GITHUB_STEP_SUMMARY, a merge request note).
type markdownRenderer struct {
	out    io.Writer
	stores []string
	buf    buffer
}

func newMarkdown(ios *iostreams.IOStreams, opts Options) Renderer {
	return &markdownRenderer{out: ios.Out, stores: opts.Stores}
}

// Add buffers r.
func (m *markdownRenderer) Add(r result.Result) error { return m.buf.add(r) }

func (m *markdownRenderer) skip(r result.Result) { m.buf.skip(r) }

var mdStatus = map[result.Status]string{
	result.StatusOK:    "✅ ok",
	result.StatusWarn:  "⚠️ warn",
	result.StatusFail:  "❌ fail",
	result.StatusError: "🚫 error",
}

// mdHeading writes a Markdown summary's heading, titled "certgate" and the
// command, with the counts of rs and of the ok results --quiet left out.
func mdHeading(b *bytes.Buffer, title string, rs []result.Result, skipped tally) {
	fmt.Fprintf(b, "### %s: %s\n\n", title, tallyOf(rs).plus(skipped))
	if skipped.total() > 0 {
		fmt.Fprintf(b, "%d ok %s not listed.\n\n", skipped.ok, pluralWord(skipped.ok, "target", "targets"))
	}
}

// mdStatusCell is a result's status as a Markdown table cell.
func mdStatusCell(r *result.Result) string {
	if s, ok := mdStatus[r.Status]; ok {
		return s
	}
	return mdEscape(string(r.Status))
}

// Close writes the heading and the table.
func (m *markdownRenderer) Close() error {
	rs, skipped, err := m.buf.close()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	mdHeading(&b, "certgate", rs, skipped)
	if len(rs) > 0 {
		b.WriteString("| target | status | code | expires | root | detail |\n")
		b.WriteString("|---|---|---|---|---|---|\n")
	}
	for i := range rs {
		r := &rs[i]
		status := mdStatusCell(r)
		code := "–"
		if r.Code != result.CodeNone {
			code = fmt.Sprint(int(r.Code))
		}
		cells := []string{
			mdCode(targetName(r)),
			status,
			code,
			mdExpires(r),
			mdOrDash(mdEscape(trustedRoot(r, m.stores))),
			mdOrDash(mdEscape(r.Detail)),
		}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	if _, err := m.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write markdown: %w", err)
	}
	return nil
}

// mdExpires is the earliest expiry on the path (see earliestNotAfter) and
// how far it is from the validation time: "2027-02-25 (in 89 days)".
func mdExpires(r *result.Result) string {
	na := earliestNotAfter(r)
	if na.IsZero() {
		return "–"
	}
	date := na.Format("2006-01-02")
	if r.ValidatedAt.IsZero() {
		return date
	}
	unit := func(n int) string { return map[bool]string{true: "day", false: "days"}[n == 1] }
	if left := na.Sub(r.ValidatedAt); left >= 0 {
		if n := int(left.Hours() / 24); n > 0 {
			return fmt.Sprintf("%s (in %d %s)", date, n, unit(n))
		}
		return date + " (in under a day)"
	}
	if n := int(r.ValidatedAt.Sub(na).Hours() / 24); n > 0 {
		return fmt.Sprintf("%s (%d %s ago)", date, n, unit(n))
	}
	return date + " (under a day ago)"
}

func mdOrDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

// mdEscape makes s plain text in a table cell: Sanitize first, then
// backslash escapes for Markdown punctuation (so nothing becomes emphasis,
// a link, an image or a cell break) and entities for & and <.
func mdEscape(s string) string {
	s = Sanitize(s)
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\\', '`', '*', '_', '[', ']', '(', ')', '#', '!', '|', '~', '{', '}':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode puts s in a code span, which Markdown shows literally: the fence is
// one backtick longer than the longest run of backticks in s, and "|" is
// escaped because GFM splits table cells before it reads code spans.
func mdCode(s string) string {
	s = strings.ReplaceAll(Sanitize(s), "|", `\|`)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	if longest > 0 || strings.HasPrefix(s, " ") || strings.HasSuffix(s, " ") {
		return fence + " " + s + " " + fence
	}
	return fence + s + fence
}

package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// scanMarkdown writes a GitHub-flavoured Markdown summary of scan results
// on Close: a heading with the counts, one table row a target (grade,
// status, protocols, worst problem), then for each target with a grade
// the caps that lowered it and its weak suites, folded in a details
// element so a long scan stays short in a CI summary.
type scanMarkdown struct {
	out io.Writer
	buf buffer
}

func newScanMarkdown(ios *iostreams.IOStreams, _ Options) Renderer {
	return &scanMarkdown{out: ios.Out}
}

// Add buffers r.
func (m *scanMarkdown) Add(r result.Result) error { return m.buf.add(r) }

func (m *scanMarkdown) skip(r result.Result) { m.buf.skip(r) }

// Close writes the summary.
func (m *scanMarkdown) Close() error {
	rs, skipped, err := m.buf.close()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	mdHeading(&b, "certgate scan", rs, skipped)
	if len(rs) > 0 {
		b.WriteString("| target | grade | status | protocols | worst problem |\n")
		b.WriteString("|---|---|---|---|---|\n")
	}
	for i := range rs {
		r := &rs[i]
		status := mdStatusCell(r)
		if r.Code != result.CodeNone {
			status += fmt.Sprintf(" %d", int(r.Code))
		}
		grade := mdOrDash(mdEscape(gradeOf(r)))
		if g := gradeOf(r); g != "" {
			grade = "**" + grade + "**"
			if it := r.Scan.Grade.IgnoringTrust; it != "" {
				grade += " (" + mdEscape(it) + " ignoring trust)"
			}
		}
		cells := []string{mdCode(targetName(r)), grade, status, mdOrDash(mdEscape(shortProtocols(r))), mdOrDash(mdEscape(worstProblem(r)))}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	for i := range rs {
		writeMarkdownDetails(&b, &rs[i])
	}
	if _, err := m.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write markdown: %w", err)
	}
	return nil
}

// writeMarkdownDetails writes the caps and weak suites of one target,
// when there are any.
func writeMarkdownDetails(b *bytes.Buffer, r *result.Result) {
	if r.Scan == nil {
		return
	}
	var caps []result.Cap
	if r.Scan.Grade != nil {
		caps = r.Scan.Grade.Caps
	}
	var weak []result.Suite
	for _, s := range r.Scan.CipherSuites {
		if s.Strength == "weak" || s.Strength == "insecure" {
			weak = append(weak, s)
		}
	}
	if len(caps) == 0 && len(weak) == 0 {
		return
	}
	fmt.Fprintf(b, "\n<details><summary>%s: grade %s</summary>\n\n", mdEscape(targetName(r)), mdOrDash(mdEscape(gradeOf(r))))
	if len(caps) > 0 {
		b.WriteString("Grade capped by:\n\n")
		for _, c := range caps {
			fmt.Fprintf(b, "- **%s** %s: %s\n", mdEscape(c.Grade), mdCode(c.ID), mdEscape(c.Message))
		}
	}
	if len(weak) > 0 {
		if len(caps) > 0 {
			b.WriteString("\n")
		}
		b.WriteString("Weak cipher suites:\n\n")
		for _, s := range weak {
			fmt.Fprintf(b, "- %s %s (%s)\n", mdEscape(s.Protocol), mdCode(s.Name), mdEscape(s.Strength))
		}
	}
	b.WriteString("\n</details>\n")
}

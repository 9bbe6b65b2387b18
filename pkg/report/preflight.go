package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// preflightRegistry maps the formats whose preflight rendering differs from
// the check rendering to their constructors; every other format renders
// preflight results as New does (profile and http are part of the JSON
// result).
var preflightRegistry = map[string]factory{
	"table":    newPreflightTable,
	"markdown": newPreflightMarkdown,
}

// NewPreflight returns a Renderer for the results of certgate preflight:
// for "table", check's table with an HTTP column (the request's method,
// status and redirects) in place of ROOT / ISSUER, and with Options.Verbose
// each target's HTTP leg under its problems, chain and trust (profile,
// request, attempts, SNI variants, overrides, redirects, and every
// attempt's timings against the profile's budgets); for "markdown", a
// summary with the same column and the leg of each target folded in a
// details element; any other format as New gives it. An unknown format
// gives an *UnknownFormatError.
func NewPreflight(format string, ios *iostreams.IOStreams, opts Options) (Renderer, error) {
	if f, ok := preflightRegistry[format]; ok {
		return f(ios, opts), nil
	}
	return New(format, ios, opts)
}

// Column of the preflight table that takes the place of ROOT / ISSUER.
const colHTTP = colRoot

// Preflight table headers: check's, with HTTP in place of ROOT / ISSUER
// on a terminal. In a pipe the profile and root are kept as well.
var (
	preflightTTYHeaders  = [numCols]string{"TARGET", "STATUS", "CODE", "EXPIRES", "HTTP", "DETAIL"}
	preflightPipeHeaders = []string{"target", "status", "code", "profile", "http", "expires", "root_or_issuer", "detail"}
)

// preflightTable is check's table for preflight results.
type preflightTable struct {
	ios  *iostreams.IOStreams
	opts Options
	buf  buffer
}

func newPreflightTable(ios *iostreams.IOStreams, opts Options) Renderer {
	return &preflightTable{ios: ios, opts: opts}
}

// Add buffers r.
func (t *preflightTable) Add(r result.Result) error { return t.buf.add(r) }

func (t *preflightTable) skip(r result.Result) { t.buf.skip(r) }

// Close writes the table, the verbose view when asked, and the summary.
func (t *preflightTable) Close() error {
	rs, skipped, err := t.buf.close()
	if err != nil {
		return err
	}
	counts := tallyOf(rs).plus(skipped)
	var w bytes.Buffer
	if !t.ios.IsStdoutTTY() {
		fmt.Fprintln(&w, strings.Join(preflightPipeHeaders, "\t"))
		for i := range rs {
			r := &rs[i]
			code := ""
			if r.Code != result.CodeNone {
				code = strconv.Itoa(int(r.Code))
			}
			cells := []string{r.Target, string(r.Status), code, r.Profile, httpSummary(r), expires(r, false), rootOrIssuer(r, t.opts.Stores), detailOf(r)}
			for j := range cells {
				cells[j] = orNone(Sanitize(cells[j]))
			}
			fmt.Fprintln(&w, strings.Join(cells, "\t"))
		}
		fmt.Fprintln(t.ios.ErrOut, counts.String())
	} else {
		width := t.opts.Width
		if width <= 0 {
			width = t.ios.TerminalWidth()
		}
		rows := make([][numCols]string, len(rs))
		for i := range rs {
			rows[i] = preflightRow(&rs[i], expires(&rs[i], true))
		}
		widths, squeezed := fitWidths(preflightTTYHeaders, rows, width)
		if squeezed {
			for i := range rows {
				rows[i][colExpires] = orNone(expiresShort(&rs[i]))
			}
			widths, _ = fitWidths(preflightTTYHeaders, rows, width)
		}
		if err := writeAligned(&w, preflightTTYHeaders, rows, widths, statusColors(t.ios.ColorEnabled())); err != nil {
			return err
		}
		if t.opts.Verbose {
			for i := range rs {
				writeFull(&w, &rs[i], t.opts.Stores)
				writeHTTPLeg(&w, &rs[i])
			}
		}
		w.WriteString("\n" + counts.String() + "\n")
	}
	if _, err := t.ios.Out.Write(w.Bytes()); err != nil {
		return fmt.Errorf("report: write preflight table: %w", err)
	}
	return nil
}

// preflightRow is the sanitised terminal cells of one result.
func preflightRow(r *result.Result, exp string) [numCols]string {
	var c [numCols]string
	c[colTarget] = r.Target
	c[colStatus] = string(r.Status)
	if r.Code != result.CodeNone {
		c[colCode] = strconv.Itoa(int(r.Code))
	}
	c[colExpires] = exp
	c[colHTTP] = httpSummary(r)
	c[colDetail] = detailOf(r)
	for i := range c {
		c[i] = orNone(Sanitize(c[i]))
	}
	return c
}

// detailOf is the detail of a result, or its message when it has none.
func detailOf(r *result.Result) string {
	if r.Detail != "" {
		return r.Detail
	}
	return r.Message
}

// httpSummary is the HTTP leg in a few words: "HEAD 204", "GET 404, 1
// redirect", "HEAD no response", "not sent"; "" for a result without one.
func httpSummary(r *result.Result) string {
	h := r.HTTP
	if h == nil {
		return ""
	}
	if h.Attempts == 0 {
		return "not sent"
	}
	s := h.Method + " no response"
	if h.Status != 0 {
		s = h.Method + " " + strconv.Itoa(h.Status)
	}
	if n := len(h.Redirects); n > 0 {
		s += ", " + plural(n, "redirect")
	}
	return s
}

// writeHTTPLeg writes the HTTP leg of one result for --verbose, under its
// problems, chain and trust: the profile, the request and its status, the
// attempts made of those the profile allows, the SNI variants, the
// overrides, each redirect, and the timings of every attempt against the
// profile's budgets. Every value is sanitised.
func writeHTTPLeg(w *bytes.Buffer, r *result.Result) {
	if r.HTTP == nil {
		return
	}
	w.WriteString("  http:\n")
	writeColumns(w, "    ", httpLegRows(r))
}

// httpLegRows are the label and value of each line of the HTTP leg of r,
// which must have one.
func httpLegRows(r *result.Result) [][]string {
	h := r.HTTP
	b := h.Budgets
	rows := [][]string{{"profile", r.Profile}}
	if h.Attempts == 0 {
		rows = append(rows, []string{"request", "not sent (see problems)"})
	} else {
		rows = append(rows, []string{"request", httpSummary(r)})
		attempts := strconv.Itoa(h.Attempts)
		if b != nil {
			attempts += fmt.Sprintf(" (1 + retries; %s makes up to %d)", orNone(r.Profile), b.Attempts)
		}
		rows = append(rows, []string{"attempts", attempts})
	}
	rows = append(rows, []string{"sni", strings.Join(h.SNI, ", ")})
	if len(h.Overrides) > 0 {
		rows = append(rows, []string{"overrides", overridesText(h.Overrides)})
	}
	for i, rd := range h.Redirects {
		rows = append(rows, []string{"redirect " + strconv.Itoa(i+1), strconv.Itoa(rd.Status) + " " + orNone(rd.Location)})
	}
	if b != nil {
		redirects := "follows no redirect"
		if b.MaxRedirects > 0 {
			redirects = "follows at most " + plural(b.MaxRedirects, "redirect")
		}
		rows = append(rows, []string{"budgets", fmt.Sprintf("connect %s, first byte %s, total %s; %s", msText(b.ConnectMS), msText(b.ReadMS), msText(b.TotalMS), redirects)})
	}
	tries := h.Tries
	if len(tries) == 0 && h.Attempts > 0 {
		tries = []result.Timings{h.Timings}
	}
	for i, tm := range tries {
		label := "timings"
		if len(tries) > 1 {
			label = "request " + strconv.Itoa(i+1) // every request: retries, hops, GET after HEAD
		}
		rows = append(rows, []string{label, timingsText(tm, b)})
	}
	if h.Attempts > 0 {
		total := fmt.Sprintf("%.1f ms", h.DurationMS)
		if b != nil {
			total += " of " + msText(b.TotalMS)
		}
		rows = append(rows, []string{"total", total})
	}
	return rows
}

// timingsText is one attempt's phases, the connect and first byte against
// their budgets when known.
func timingsText(tm result.Timings, b *result.Budgets) string {
	connect := fmt.Sprintf("connect %.1f ms", tm.ConnectMS)
	first := fmt.Sprintf("first byte %.1f ms", tm.FirstByteMS)
	if tm.FirstByteMS == 0 {
		first = "first byte " + none // none came
	}
	if b != nil {
		connect += " of " + msText(b.ConnectMS)
		first += " of " + msText(b.ReadMS)
	}
	return fmt.Sprintf("%s, tls %.1f ms, %s, attempt %.1f ms", connect, tm.TLSMS, first, tm.TotalMS)
}

// msText is a budget in milliseconds as a duration: "5s", "1.5s", "800ms".
func msText(v float64) string {
	return (time.Duration(v * float64(time.Millisecond))).String()
}

// overridesText is the fragment's overrides as key=value, in the order
// the platform documents them, then any other key by name.
func overridesText(m map[string]string) string {
	order := []string{"ct", "rt", "tt", "rc", "rp", "sni", "e"}
	var out []string
	seen := map[string]bool{}
	for _, k := range order {
		if v, ok := m[k]; ok {
			out = append(out, k+"="+v)
			seen[k] = true
		}
	}
	var rest []string
	for k := range m {
		if !seen[k] {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		out = append(out, k+"="+m[k])
	}
	return strings.Join(out, " ")
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// preflightMarkdown writes a Markdown summary of preflight results: a
// heading with the counts, one table row a target with its HTTP leg in a
// few words, then, for each target whose request was made, its redirects
// and timings in a details element.
type preflightMarkdown struct {
	out    io.Writer
	stores []string
	buf    buffer
}

func newPreflightMarkdown(ios *iostreams.IOStreams, opts Options) Renderer {
	return &preflightMarkdown{out: ios.Out, stores: opts.Stores}
}

// Add buffers r.
func (m *preflightMarkdown) Add(r result.Result) error { return m.buf.add(r) }

func (m *preflightMarkdown) skip(r result.Result) { m.buf.skip(r) }

// Close writes the summary.
func (m *preflightMarkdown) Close() error {
	rs, skipped, err := m.buf.close()
	if err != nil {
		return err
	}
	var b bytes.Buffer
	mdHeading(&b, "certgate preflight", rs, skipped)
	if len(rs) > 0 {
		b.WriteString("| target | status | code | profile | http | expires | detail |\n")
		b.WriteString("|---|---|---|---|---|---|---|\n")
	}
	for i := range rs {
		r := &rs[i]
		status := mdStatusCell(r)
		code := "–"
		if r.Code != result.CodeNone {
			code = strconv.Itoa(int(r.Code))
		}
		cells := []string{mdCode(targetName(r)), status, code, mdOrDash(mdEscape(r.Profile)), mdOrDash(mdEscape(httpSummary(r))), mdExpires(r), mdOrDash(mdEscape(detailOf(r)))}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	for i := range rs {
		r := &rs[i]
		if r.HTTP == nil || r.HTTP.Attempts == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n<details><summary>%s: %s</summary>\n\n", mdEscape(targetName(r)), mdEscape(httpSummary(r)))
		for _, row := range httpLegRows(r) {
			fmt.Fprintf(&b, "- **%s** %s\n", mdEscape(row[0]), mdOrDash(mdEscape(row[1])))
		}
		b.WriteString("\n</details>\n")
	}
	if _, err := m.out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write markdown: %w", err)
	}
	return nil
}

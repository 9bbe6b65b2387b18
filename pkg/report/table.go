package report

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/mattn/go-runewidth"
	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// Table columns, in order.
const (
	colTarget = iota
	colStatus
	colCode
	colExpires
	colRoot
	colDetail
	numCols
)

// ttyHeaders and pipedHeaders name the table columns on a terminal and in a
// pipe.
var (
	ttyHeaders   = [numCols]string{"TARGET", "STATUS", "CODE", "EXPIRES", "ROOT / ISSUER", "DETAIL"}
	pipedHeaders = [numCols]string{"target", "status", "code", "expires", "root_or_issuer", "detail"}
)

const (
	// columnGap separates columns on a terminal.
	columnGap = "  "
	// minDetail is the width DETAIL keeps before other columns shrink.
	minDetail = 20
	// minShrunk is the narrowest TARGET and ROOT / ISSUER get when shrunk.
	minShrunk = 14
	// ellipsis marks a truncated cell.
	ellipsis = "…"
	// none stands for an empty or absent value.
	none = "-"
)

// tableRenderer buffers results and on Close writes one row per result in
// input order, then a summary line. On a terminal the columns are aligned,
// headers upper-case, statuses coloured (when colour is enabled), expiry
// relative to the validation time and DETAIL truncated to fit. In a pipe the
// rows are tab-separated with RFC 3339 times and nothing truncated.
type tableRenderer struct {
	ios  *iostreams.IOStreams
	opts Options
	buf  buffer
}

// skip counts a result that --quiet leaves out of the rows, for the summary.
func (t *tableRenderer) skip(r result.Result) { t.buf.skip(r) }

func newTable(ios *iostreams.IOStreams, opts Options) Renderer {
	return &tableRenderer{ios: ios, opts: opts}
}

// Add buffers r.
func (t *tableRenderer) Add(r result.Result) error { return t.buf.add(r) }

// Close writes the table and the summary line.
func (t *tableRenderer) Close() error {
	rs, skipped, err := t.buf.close()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.render(&buf, rs, tallyOf(rs).plus(skipped)); err != nil {
		return err
	}
	if _, err := t.ios.Out.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write table: %w", err)
	}
	return nil
}

// render writes the table for the sorted results rs to w, with the summary
// of every result counted (printed or left out by --quiet).
func (t *tableRenderer) render(w *bytes.Buffer, rs []result.Result, counts tally) error {
	tty := t.ios.IsStdoutTTY()
	rows := make([][numCols]string, len(rs))
	for i := range rs {
		rows[i] = t.row(&rs[i], tty)
	}
	if tty {
		width := t.opts.Width
		if width <= 0 {
			width = t.ios.TerminalWidth()
		}
		widths, squeezed := fitWidths(ttyHeaders, rows, width)
		if squeezed {
			// Dates would squeeze TARGET: keep only "in 3 days".
			for i := range rows {
				rows[i][colExpires] = orNone(expiresShort(&rs[i]))
			}
			widths, _ = fitWidths(ttyHeaders, rows, width)
		}
		if err := writeAligned(w, ttyHeaders, rows, widths, statusColors(t.ios.ColorEnabled())); err != nil {
			return err
		}
		if t.opts.Verbose {
			for i := range rs {
				writeFull(w, &rs[i], t.opts.Stores)
			}
		}
		w.WriteByte('\n')
		w.WriteString(counts.String())
		w.WriteByte('\n')
		return nil
	}
	writeTSV(w, rows)
	// In a pipe, stdout stays pure tab-separated rows: the summary is a
	// diagnostic and goes to stderr.
	fmt.Fprintln(t.ios.ErrOut, counts.String())
	return nil
}

// row returns the sanitised cells of one result.
func (t *tableRenderer) row(r *result.Result, tty bool) [numCols]string {
	var c [numCols]string
	c[colTarget] = Sanitize(r.Target)
	c[colStatus] = Sanitize(string(r.Status))
	if r.Code != result.CodeNone {
		c[colCode] = strconv.Itoa(int(r.Code))
	}
	c[colExpires] = expires(r, tty)
	c[colRoot] = Sanitize(rootOrIssuer(r, t.opts.Stores))
	c[colDetail] = r.Detail
	if c[colDetail] == "" {
		c[colDetail] = r.Message
	}
	c[colDetail] = Sanitize(c[colDetail])
	for i := range c {
		c[i] = orNone(c[i])
	}
	return c
}

// orNone returns s, or "-" when s is empty.
func orNone(s string) string {
	if s == "" {
		return none
	}
	return s
}

// earliestNotAfter is the first expiry on the certification path: the
// result's PathNotAfter when the verifier set it, else the earliest NotAfter
// of the presented chain; zero when neither is known.
func earliestNotAfter(r *result.Result) time.Time {
	if r.PathNotAfter != nil && !r.PathNotAfter.IsZero() {
		return r.PathNotAfter.UTC()
	}
	var first time.Time
	for _, c := range r.Chain {
		if !c.NotAfter.IsZero() && (first.IsZero() || c.NotAfter.Before(first)) {
			first = c.NotAfter
		}
	}
	return first.UTC()
}

// expires formats the earliest expiry on the path: RFC 3339 in a pipe; on a
// terminal the date and how far it is from the validation time.
func expires(r *result.Result, tty bool) string {
	na := earliestNotAfter(r)
	if na.IsZero() {
		return ""
	}
	if !tty {
		return na.Format(time.RFC3339)
	}
	date := na.Format(time.DateOnly)
	if r.ValidatedAt.IsZero() {
		return date
	}
	return date + " (" + relative(na.Sub(r.ValidatedAt)) + ")"
}

// expiresShort is the terminal form of expires for narrow terminals: only
// how far the earliest expiry is from the validation time, or the date when
// that time is unknown.
func expiresShort(r *result.Result) string {
	na := earliestNotAfter(r)
	if na.IsZero() {
		return ""
	}
	if r.ValidatedAt.IsZero() {
		return na.Format(time.DateOnly)
	}
	return relative(na.Sub(r.ValidatedAt))
}

// relative describes a duration from the validation time: "in 3 days",
// "5 hours ago".
func relative(d time.Duration) string {
	future := d >= 0
	if d < 0 {
		d = -d
	}
	const day, year = 24 * time.Hour, 365 * 24 * time.Hour
	var s string
	switch {
	case d < time.Minute:
		s = "less than a minute"
	case d < time.Hour:
		s = plural(int(d/time.Minute), "minute")
	case d < 2*day:
		s = plural(int(d/time.Hour), "hour")
	case d < 2*year:
		s = plural(int(d/day), "day")
	default:
		s = plural(int(d/year), "year")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

// plural returns "1 day", "3 days".
func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// rootOrIssuer returns the root of the first store that trusts the chain, in
// the order of stores and then the other verdicts by name; else the common
// name of the issuer of the last presented certificate; else "".
func rootOrIssuer(r *result.Result, stores []string) string {
	order := slices.Clone(stores)
	var rest []string
	for name := range r.Trust {
		if !slices.Contains(stores, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range append(order, rest...) {
		if v, ok := r.Trust[name]; ok && v.Trusted && v.Root != "" {
			return v.Root
		}
	}
	if n := len(r.Chain); n > 0 {
		return commonName(r.Chain[n-1].Issuer)
	}
	return ""
}

// commonName returns the first CN value of a distinguished name in the
// RFC 2253 form pkix.Name.String produces ("CN=R11,O=Let's Encrypt,C=US"),
// unescaped; the whole name when it has no CN.
func commonName(dn string) string {
	if cn := result.DNValues(dn, "CN"); len(cn) > 0 {
		return cn[0]
	}
	return dn
}

// writeTSV writes a header line and the rows, tab-separated. Sanitize has
// already escaped tabs and newlines inside cells.
func writeTSV(w io.Writer, rows [][numCols]string) {
	fmt.Fprintln(w, strings.Join(pipedHeaders[:], "\t"))
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r[:], "\t"))
	}
}

// statusColors returns the colour of each status, switched on or off for
// this stream alone (never through color.NoColor).
func statusColors(enabled bool) map[string]*color.Color {
	m := map[string]*color.Color{
		string(result.StatusOK):    color.New(color.FgGreen),
		string(result.StatusWarn):  color.New(color.FgYellow),
		string(result.StatusFail):  color.New(color.FgRed),
		string(result.StatusError): color.New(color.FgMagenta, color.Bold),
	}
	for _, c := range m {
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return m
}

// writeAligned writes the headers and rows with tablewriter, borderless, in
// columns of the given widths: cells wider than their column are truncated
// first. tablewriter lays out plain text only; the STATUS word of each row
// is coloured afterwards, so no escape sequence spills into padding or into
// another cell.
func writeAligned(w *bytes.Buffer, headers [numCols]string, rows [][numCols]string, widths [numCols]int, colors map[string]*color.Color) error {
	gap := tw.Padding{Right: columnGap, Overwrite: true}
	pad := make([]tw.Padding, numCols)
	for i := range pad {
		pad[i] = gap
	}
	pad[numCols-1] = tw.Padding{Overwrite: true}
	var buf bytes.Buffer
	tb := tablewriter.NewTable(&buf,
		tablewriter.WithRendition(tw.Rendition{Borders: tw.BorderNone, Settings: tw.Settings{
			Separators: tw.Separators{BetweenColumns: tw.Off, BetweenRows: tw.Off},
			Lines:      tw.Lines{ShowHeaderLine: tw.Off, ShowTop: tw.Off, ShowBottom: tw.Off},
		}}),
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithHeaderAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
		tablewriter.WithHeaderPaddingPerColumn(pad),
		tablewriter.WithRowPaddingPerColumn(pad),
	)
	header := make([]any, numCols)
	for i, h := range headers {
		header[i] = h
	}
	tb.Header(header...)
	statuses := make([]string, len(rows))
	for k, r := range rows {
		cells := make([]any, numCols)
		for i, cell := range r {
			cells[i] = truncate(cell, widths[i])
		}
		statuses[k] = cells[colStatus].(string)
		if err := tb.Append(cells...); err != nil {
			return fmt.Errorf("report: table row: %w", err)
		}
	}
	if err := tb.Render(); err != nil {
		return fmt.Errorf("report: render table: %w", err)
	}
	// The last column is padded to its width: trim that, nothing else.
	lines := strings.SplitAfter(buf.String(), "\n")
	row := -1 // the first line is the header
	for _, line := range lines {
		if line == "" {
			continue
		}
		line = strings.TrimRight(strings.TrimSuffix(line, "\n"), " ")
		if row >= 0 && row < len(statuses) {
			line = colourStatus(line, widths[colTarget]+len(columnGap), statuses[row], colors)
		}
		row++
		w.WriteString(line)
		w.WriteByte('\n')
	}
	return nil
}

// colourStatus colours the status word of one laid-out row: the text that
// starts after the TARGET column, at display column at. A row whose text
// there is not the status word is left as it is.
func colourStatus(line string, at int, status string, colors map[string]*color.Color) string {
	c, ok := colors[status]
	if !ok || status == "" {
		return line
	}
	col := 0
	for i, r := range line {
		if col == at {
			if strings.HasPrefix(line[i:], status) {
				return line[:i] + c.Sprint(status) + line[i+len(status):]
			}
			return line
		}
		if col > at {
			return line
		}
		col += runewidth.RuneWidth(r)
	}
	return line
}

// fitWidths returns each column's width: its widest cell or header, with
// DETAIL, then ROOT / ISSUER (the fifth column), then TARGET narrowed so the
// line fits in width where it can. squeezed reports that narrowing DETAIL
// alone was not enough.
func fitWidths(headers [numCols]string, rows [][numCols]string, width int) (w [numCols]int, squeezed bool) {
	for i, h := range headers {
		w[i] = runewidth.StringWidth(h)
	}
	for _, r := range rows {
		for i, cell := range r {
			w[i] = max(w[i], runewidth.StringWidth(cell))
		}
	}
	avail := width - len(columnGap)*(numCols-1) - w[colStatus] - w[colCode] - w[colExpires]
	if w[colTarget]+w[colRoot]+w[colDetail] <= avail {
		return w, false
	}
	detail := min(w[colDetail], minDetail)
	if spare := avail - w[colTarget] - w[colRoot]; spare >= detail {
		w[colDetail] = spare
		return w, false
	}
	w[colDetail] = detail
	over := w[colTarget] + w[colRoot] + detail - avail
	for _, c := range []int{colRoot, colTarget} {
		floor := min(w[c], max(minShrunk, runewidth.StringWidth(headers[c])))
		cut := min(over, w[c]-floor)
		w[c] -= cut
		over -= cut
	}
	if over <= 0 {
		// Give what the floors left over back to DETAIL.
		w[colDetail] = avail - w[colTarget] - w[colRoot]
	}
	return w, true
}

// truncate shortens s to at most n display columns, ending in an ellipsis
// when it cut something.
func truncate(s string, n int) string {
	if runewidth.StringWidth(s) <= n {
		return s
	}
	return runewidth.Truncate(s, n, ellipsis)
}

// writeFull writes the full view of one result under a terminal table, for
// --verbose: every problem (severity, id, store, message), the presented
// chain (subject, issuer, not after, key) and each store's verdict, in
// store order and then by name. Nothing is truncated; every value is
// sanitised.
func writeFull(w *bytes.Buffer, r *result.Result, stores []string) {
	fmt.Fprintf(w, "\n%s  %s", Sanitize(orNone(r.Target)), Sanitize(string(r.Status)))
	if r.Code != result.CodeNone {
		fmt.Fprintf(w, "  %d %s", int(r.Code), Sanitize(orNone(r.Message)))
	}
	w.WriteByte('\n')

	w.WriteString("  problems:")
	if len(r.Problems) == 0 {
		w.WriteString(" none\n")
	} else {
		w.WriteByte('\n')
		cells := make([][]string, len(r.Problems))
		for i, p := range r.Problems {
			cells[i] = []string{string(p.Severity), p.ID, orNone(p.Store), p.Message}
		}
		writeColumns(w, "    ", cells)
	}

	w.WriteString("  chain:")
	if len(r.Chain) == 0 {
		w.WriteString(" none presented\n")
	} else {
		w.WriteByte('\n')
		for i, c := range r.Chain {
			notAfter := none
			if !c.NotAfter.IsZero() {
				notAfter = c.NotAfter.UTC().Format(time.RFC3339)
				if !r.ValidatedAt.IsZero() {
					notAfter += " (" + relative(c.NotAfter.Sub(r.ValidatedAt)) + ")"
				}
			}
			fmt.Fprintf(w, "    %d  %s\n", i, Sanitize(orNone(c.Subject)))
			writeColumns(w, "       ", [][]string{
				{"issuer", c.Issuer},
				{"not after", notAfter},
				{"key", c.Key},
			})
		}
	}

	w.WriteString("  trust:")
	names := storeOrder(r, stores)
	if len(names) == 0 {
		w.WriteString(" not judged\n")
		return
	}
	w.WriteByte('\n')
	cells := make([][]string, 0, len(names))
	for _, name := range names {
		v := r.Trust[name]
		verdict, code := "trusted", ""
		if !v.Trusted {
			verdict = "not trusted"
		}
		if v.Code != result.CodeNone {
			code = strconv.Itoa(int(v.Code))
		}
		cells = append(cells, []string{name, verdict, orNone(code), orNone(v.Root)})
	}
	writeColumns(w, "    ", cells)
}

// storeOrder returns the stores that judged r: those of stores first, in
// that order, then the others by name.
func storeOrder(r *result.Result, stores []string) []string {
	var names, rest []string
	for _, name := range stores {
		if _, ok := r.Trust[name]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	for name := range r.Trust {
		if !slices.Contains(stores, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	return append(names, rest...)
}

// writeColumns writes rows of cells, each line starting with indent, every
// column but the last padded to its widest cell. Cells are sanitised and
// empty ones shown as "-".
func writeColumns(w *bytes.Buffer, indent string, rows [][]string) {
	var widths []int
	for _, r := range rows {
		for i, c := range r {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], runewidth.StringWidth(Sanitize(orNone(c))))
		}
	}
	for _, r := range rows {
		var l strings.Builder
		l.WriteString(indent)
		for i, c := range r {
			c = Sanitize(orNone(c))
			l.WriteString(c)
			if i < len(r)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(c)))
				l.WriteString(columnGap)
			}
		}
		w.WriteString(strings.TrimRight(l.String(), " "))
		w.WriteByte('\n')
	}
}

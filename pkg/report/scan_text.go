package report

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/fatih/color"
	"github.com/mattn/go-runewidth"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// pipeWidth is the width the scan report is laid out for when stdout is
// not a terminal and no width was given.
const pipeWidth = 80

// scanText renders scan results for people: one target as a sectioned
// report, several as one row a target. Colour is used only on a terminal
// with colour enabled.
type scanText struct {
	ios  *iostreams.IOStreams
	opts Options
	buf  buffer
}

func newScanText(ios *iostreams.IOStreams, opts Options) Renderer {
	return &scanText{ios: ios, opts: opts}
}

// Add buffers r.
func (s *scanText) Add(r result.Result) error { return s.buf.add(r) }

func (s *scanText) skip(r result.Result) { s.buf.skip(r) }

// Close writes the report.
func (s *scanText) Close() error {
	rs, skipped, err := s.buf.close()
	if err != nil {
		return err
	}
	tty := s.ios.IsStdoutTTY()
	width := s.opts.Width
	if width <= 0 {
		width = pipeWidth
		if tty {
			width = s.ios.TerminalWidth()
		}
	}
	p := newPalette(tty && s.ios.ColorEnabled())
	var b bytes.Buffer
	counts := tallyOf(rs).plus(skipped)
	if len(rs) == 1 && skipped.total() == 0 {
		w := &sectionWriter{b: &b, width: max(width, 40), p: p}
		w.report(&rs[0], s.opts.Stores)
	} else {
		writeScanRows(&b, rs, width, tty, p)
	}
	// In a pipe the summary is a diagnostic, as for the check table.
	if tty {
		b.WriteString("\n" + counts.String() + "\n")
	} else {
		fmt.Fprintln(s.ios.ErrOut, counts.String())
	}
	if _, err := s.ios.Out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("report: write scan report: %w", err)
	}
	return nil
}

// palette colours the words of the report, or leaves them plain.
type palette struct {
	good, warn, bad, heading, dim *color.Color
}

func newPalette(enabled bool) palette {
	p := palette{
		good:    color.New(color.FgGreen),
		warn:    color.New(color.FgYellow),
		bad:     color.New(color.FgRed),
		heading: color.New(color.Bold),
		dim:     color.New(color.Faint),
	}
	for _, c := range []*color.Color{p.good, p.warn, p.bad, p.heading, p.dim} {
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
	}
	return p
}

// strength colours a suite or protocol by its weight: weak yellow,
// insecure red; nil for strong.
func (p palette) strength(s string) *color.Color {
	switch s {
	case "weak":
		return p.warn
	case "insecure":
		return p.bad
	}
	return nil
}

// grade colours a grade: A green, B and C yellow, the rest red.
func (p palette) grade(g string) *color.Color {
	switch {
	case strings.HasPrefix(g, "A"):
		return p.good
	case g == "B" || g == "C":
		return p.warn
	}
	return p.bad
}

// status colours a status.
func (p palette) status(s result.Status) *color.Color {
	switch s {
	case result.StatusOK:
		return p.good
	case result.StatusWarn:
		return p.warn
	}
	return p.bad
}

// severity colours a problem severity.
func (p palette) severity(s result.Severity) *color.Color {
	switch s {
	case result.SeverityError:
		return p.bad
	case result.SeverityWarn:
		return p.warn
	}
	return p.dim
}

// paint colours s with c, or returns it as it is when c is nil.
func paint(c *color.Color, s string) string {
	if c == nil || s == "" {
		return s
	}
	return c.Sprint(s)
}

// sectionWriter lays out the sectioned report of one target in width
// columns.
type sectionWriter struct {
	b     *bytes.Buffer
	width int
	p     palette
}

// cell is one cell of a laid-out line: its text (already sanitised) and
// its colour.
type cell struct {
	text  string
	color *color.Color
}

func plain(s string) cell { return cell{text: Sanitize(s)} }

// line writes cells padded to widths after indent, the last cell not
// padded and wrapped to the width under its own column.
func (w *sectionWriter) line(indent string, widths []int, cells ...cell) {
	var l strings.Builder
	l.WriteString(indent)
	col := runewidth.StringWidth(indent)
	for i, c := range cells {
		if i == len(cells)-1 {
			lines := wrap(c.text, max(w.width-col, 10))
			for k, ln := range lines {
				if k > 0 {
					l.WriteString("\n" + strings.Repeat(" ", col))
				}
				l.WriteString(paint(c.color, ln))
			}
			break
		}
		text := truncate(c.text, widths[i])
		l.WriteString(paint(c.color, text))
		l.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(text)) + columnGap)
		col += widths[i] + len(columnGap)
	}
	w.b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
}

// section writes a section heading.
func (w *sectionWriter) section(title string) {
	w.b.WriteString("\n" + paint(w.p.heading, title) + "\n")
}

// kv writes label/value lines with the labels in one column.
func (w *sectionWriter) kv(rows [][2]cell) {
	lw := 0
	for _, r := range rows {
		lw = max(lw, runewidth.StringWidth(r[0].text))
	}
	for _, r := range rows {
		w.line("  ", []int{lw}, r[0], r[1])
	}
}

// report writes every section of one result.
func (w *sectionWriter) report(r *result.Result, stores []string) {
	title := Sanitize(orNone(r.Target))
	if r.Address != "" {
		title += "  (" + Sanitize(r.Address) + ")"
	}
	w.b.WriteString(paint(w.p.heading, title) + "\n")
	w.gradeSection(r)
	w.certificate(r, stores)
	if r.Scan != nil {
		w.protocols(r.Scan)
		w.suites(r.Scan)
		w.keyExchange(r.Scan)
		w.features(r.Scan)
		w.clients(r.Scan)
	}
	w.problems(r)
}

func (w *sectionWriter) gradeSection(r *result.Result) {
	g := (*result.Grade)(nil)
	if r.Scan != nil {
		g = r.Scan.Grade
	}
	if g == nil {
		w.kv([][2]cell{{plain("grade"), plain("none (no protocol could be rated)")}})
		return
	}
	grade := cell{text: Sanitize(g.Grade), color: w.p.grade(g.Grade)}
	if g.IgnoringTrust != "" {
		grade.text += " (" + Sanitize(g.IgnoringTrust) + " ignoring trust)"
	}
	w.kv([][2]cell{
		{plain("grade"), grade},
		{plain("score"), plain(fmt.Sprintf("%d = 0.3 × protocol %d + 0.3 × key exchange %d + 0.4 × cipher %d", g.Score, g.Protocol, g.KeyExchange, g.Cipher))},
		{plain("rating"), plain("certgate's reading of the SSL Labs server rating guide 2009r")},
	})
	if len(g.Caps) == 0 {
		return
	}
	gw, iw := 0, 0
	for _, c := range g.Caps {
		gw, iw = max(gw, runewidth.StringWidth(Sanitize(c.Grade))), max(iw, runewidth.StringWidth(Sanitize(c.ID)))
	}
	w.line("  ", nil, plain("caps"))
	for _, c := range g.Caps {
		w.line("    ", []int{gw, iw}, cell{text: Sanitize(c.Grade), color: w.p.grade(c.Grade)}, plain(c.ID), plain(c.Message))
	}
}

func (w *sectionWriter) certificate(r *result.Result, stores []string) {
	w.section("Certificate")
	status := string(r.Status)
	if r.Code != result.CodeNone {
		status += " " + strconv.Itoa(int(r.Code))
	}
	rows := [][2]cell{{plain("status"), {text: Sanitize(status), color: w.p.status(r.Status)}}}
	if d := r.Detail; d != "" {
		rows = append(rows, [2]cell{plain("detail"), plain(d)})
	}
	if len(r.Chain) > 0 {
		c := r.Chain[0]
		rows = append(rows,
			[2]cell{plain("subject"), plain(orNone(c.Subject))},
			[2]cell{plain("issuer"), plain(orNone(c.Issuer))},
			[2]cell{plain("key"), plain(strings.TrimSuffix(c.Key+", "+c.Signature, ", "))},
			[2]cell{plain("expires"), plain(orNone(expires(r, true)))},
		)
		if len(c.DNSNames) > 0 {
			rows = append(rows, [2]cell{plain("names"), plain(strings.Join(c.DNSNames, " "))})
		}
		rows = append(rows, [2]cell{plain("chain"), plain(plural(len(r.Chain), "certificate") + " presented")})
	} else {
		rows = append(rows, [2]cell{plain("chain"), plain("none presented")})
	}
	w.kv(rows)
	names := storeOrder(r, stores)
	if len(names) == 0 {
		return
	}
	nw := 0
	for _, n := range names {
		nw = max(nw, runewidth.StringWidth(Sanitize(n)))
	}
	w.b.WriteString("  trust\n")
	for _, n := range names {
		v := r.Trust[n]
		verdict, c := "trusted", w.p.good
		if !v.Trusted {
			verdict, c = "not trusted", w.p.bad
			if v.Code != result.CodeNone {
				verdict += " " + strconv.Itoa(int(v.Code))
			}
		}
		w.line("    ", []int{nw, 17}, plain(n), cell{text: verdict, color: c}, plain(orNone(v.Root)))
	}
}

func (w *sectionWriter) protocols(s *result.Scan) {
	w.section("Protocols")
	vw := 0
	for _, p := range s.Protocols {
		vw = max(vw, runewidth.StringWidth(Sanitize(p.Version)))
	}
	for _, p := range s.Protocols {
		state, c := "no", (*color.Color)(nil)
		if p.Supported {
			state = "yes"
			switch weakProtocol(p.Version) {
			case "insecure":
				state, c = "yes (insecure)", w.p.bad
			case "weak":
				state, c = "yes (weak)", w.p.warn
			default:
				c = w.p.good
			}
		}
		w.line("  ", []int{vw}, plain(p.Version), cell{text: state, color: c})
	}
}

// suiteColumns are the columns of the cipher suite list, in order; the
// later ones are dropped first on a narrow terminal, except the name and
// the strength, which are always shown.
var suiteColumns = []string{"name", "bits", "strength", "kex", "auth", "enc", "flags"}

func (w *sectionWriter) suites(s *result.Scan) {
	w.section("Cipher suites")
	if len(s.CipherSuites) == 0 {
		w.line("  ", nil, plain("none accepted"))
		return
	}
	var protocols []string
	by := map[string][]result.Suite{}
	for _, su := range s.CipherSuites {
		if _, ok := by[su.Protocol]; !ok {
			protocols = append(protocols, su.Protocol)
		}
		by[su.Protocol] = append(by[su.Protocol], su)
	}
	rows := make([][]string, len(s.CipherSuites))
	for i, su := range s.CipherSuites {
		var flags []string
		if su.AEAD {
			flags = append(flags, "AEAD")
		}
		if su.ForwardSecret {
			flags = append(flags, "FS")
		}
		rows[i] = []string{Sanitize(su.Name), strconv.Itoa(su.Bits), Sanitize(orNone(su.Strength)), Sanitize(orNone(su.Kex)), Sanitize(orNone(su.Auth)), Sanitize(orNone(su.Enc)), orNone(strings.Join(flags, " "))}
	}
	widths := make([]int, len(suiteColumns))
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	// Keep as many columns as fit; the name shrinks last.
	const indent = 4
	shown := len(suiteColumns)
	total := func(n int) int {
		t := indent
		for i := range n {
			t += widths[i]
		}
		return t + len(columnGap)*(n-1)
	}
	for shown > 3 && total(shown) > w.width {
		shown--
	}
	if over := total(shown) - w.width; over > 0 {
		widths[0] = max(widths[0]-over, 12)
	}
	k := 0
	for _, proto := range protocols {
		head := proto
		if pref, ok := s.ServerPreference[proto]; ok {
			head += map[bool]string{true: " (server order)", false: " (client order)"}[pref]
		}
		w.line("  ", nil, plain(head))
		for range by[proto] {
			r := rows[k]
			c := w.p.strength(r[2])
			cells := make([]cell, shown)
			for i := range shown {
				cells[i] = cell{text: r[i]}
				if i == 0 || i == 2 {
					cells[i].color = c
				}
			}
			w.line("    ", widths[:shown], cells...)
			k++
		}
	}
}

func (w *sectionWriter) keyExchange(s *result.Scan) {
	w.section("Key exchange")
	dh := "no DHE suite"
	if s.DHBits > 0 {
		dh = strconv.Itoa(s.DHBits) + " bits"
	}
	dhCell := plain(dh)
	if s.DHBits > 0 && s.DHBits < 2048 {
		dhCell.color = w.p.warn
		if s.DHBits < 1024 {
			dhCell.color = w.p.bad
		}
	}
	rows := [][2]cell{
		{plain("server key"), plain(orNone(s.ServerKey))},
		{plain("groups"), plain(orNone(strings.Join(s.Groups, ", ")))},
		{plain("DH prime"), dhCell},
	}
	if len(s.SignatureAlgorithms) > 0 {
		rows = append(rows, [2]cell{plain("signatures"), plain(strings.Join(s.SignatureAlgorithms, ", "))})
	}
	w.kv(rows)
}

func (w *sectionWriter) features(s *result.Scan) {
	w.section("Features")
	f := s.Features
	yes := func(ok bool, bad bool) cell {
		switch {
		case ok && bad:
			return cell{text: "yes", color: w.p.bad}
		case ok:
			return cell{text: "yes", color: w.p.good}
		case bad:
			return cell{text: "no"}
		}
		return cell{text: "no", color: w.p.warn}
	}
	hsts := cell{text: "none", color: w.p.warn}
	if !f.HSTSChecked && f.HSTS == nil {
		hsts = cell{text: "not checked"}
		if f.HSTSNotChecked != "" {
			hsts.text += " (" + Sanitize(f.HSTSNotChecked) + ")"
		}
	}
	if h := f.HSTS; h != nil {
		v := "max-age=" + strconv.FormatInt(h.MaxAge, 10)
		if h.IncludeSubdomains {
			v += "; includeSubDomains"
		}
		if h.Preload {
			v += "; preload"
		}
		hsts = cell{text: v}
	}
	ocspCell := cell{text: "no staple"}
	if o := f.OCSP; o != nil {
		v := Sanitize(o.Status)
		c := w.p.good
		if o.Status != "good" {
			c = w.p.bad
		}
		if !o.Valid {
			v += ", does not hold: " + Sanitize(o.Error)
			c = w.p.warn
		}
		if o.NextUpdate != "" {
			v += " (until " + Sanitize(o.NextUpdate) + ")"
		}
		ocspCell = cell{text: v, color: c}
	}
	if f.MustStaple {
		ocspCell.text += "; the certificate demands a staple (must-staple)"
	}
	// certgate cannot start a renegotiation (Go's client has none), so
	// "no" would claim a test that was not made.
	insecureReneg := cell{text: "not tested"}
	if f.InsecureRenegotiation {
		insecureReneg = yes(true, true)
	}
	w.kv([][2]cell{
		{plain("secure renegotiation"), yes(f.SecureRenegotiation, false)},
		{plain("insecure renegotiation"), insecureReneg},
		{plain("TLS_FALLBACK_SCSV"), yes(f.FallbackSCSV, false)},
		{plain("resumption (tickets)"), plain(yesNo(f.SessionResumptionTickets))},
		{plain("resumption (ids)"), plain(yesNo(f.SessionResumptionIDs))},
		{plain("ALPN"), plain(orNone(strings.Join(f.ALPN, ", ")))},
		{plain("compression"), yes(f.Compression, true)},
		{plain("heartbeat"), plain(yesNo(f.Heartbeat))},
		{plain("OCSP stapling"), ocspCell},
		{plain("SCTs"), plain(fmt.Sprintf("certificate %d, TLS %d, OCSP %d", f.SCTs.Certificate, f.SCTs.TLS, f.SCTs.OCSP))},
		{plain("HSTS"), hsts},
	})
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (w *sectionWriter) clients(s *result.Scan) {
	w.section("Client simulations")
	if len(s.Clients) == 0 {
		w.line("  ", nil, plain("none run"))
		return
	}
	nw, pw, sw, gw := 0, 0, 0, 0
	for _, c := range s.Clients {
		nw = max(nw, runewidth.StringWidth(Sanitize(c.Name)))
		pw = max(pw, runewidth.StringWidth(Sanitize(c.Protocol)))
		sw = max(sw, runewidth.StringWidth(Sanitize(c.CipherSuite)))
		gw = max(gw, runewidth.StringWidth(Sanitize(c.Group)))
	}
	// On a narrow terminal the suite shrinks so the group still fits.
	if avail := w.width - 2 - nw - pw - gw - 3*len(columnGap); sw > avail {
		sw = max(avail, 12)
	}
	for _, c := range s.Clients {
		if !c.OK {
			msg := "fails"
			if c.Code != result.CodeNone {
				msg += " " + strconv.Itoa(int(c.Code))
			}
			if c.Message != "" {
				msg += ": " + Sanitize(c.Message)
			}
			w.line("  ", []int{nw}, plain(c.Name), cell{text: msg, color: w.p.bad})
			continue
		}
		w.line("  ", []int{nw, pw, sw}, plain(c.Name), cell{text: Sanitize(c.Protocol), color: w.p.strength(weakProtocol(c.Protocol))}, plain(c.CipherSuite), plain(c.Group))
	}
}

func (w *sectionWriter) problems(r *result.Result) {
	w.section("Problems")
	if len(r.Problems) == 0 {
		w.line("  ", nil, plain("none"))
		return
	}
	iw := 0
	for _, p := range r.Problems {
		iw = max(iw, runewidth.StringWidth(Sanitize(p.ID)))
	}
	for _, p := range r.Problems {
		msg := p.Message
		if p.Store != "" {
			msg = "[" + p.Store + "] " + msg
		}
		w.line("  ", []int{5, iw}, cell{text: Sanitize(string(p.Severity)), color: w.p.severity(p.Severity)}, plain(p.ID), plain(msg))
	}
}

// wrap breaks s into lines of at most width display columns at spaces;
// a word longer than width is cut.
func wrap(s string, width int) []string {
	if runewidth.StringWidth(s) <= width {
		return []string{s}
	}
	var lines []string
	var cur strings.Builder
	cw := 0
	for _, word := range strings.Fields(s) {
		ww := runewidth.StringWidth(word)
		for ww > width {
			if cw > 0 {
				lines = append(lines, cur.String())
				cur.Reset()
				cw = 0
			}
			head := runewidth.Truncate(word, width, "")
			lines = append(lines, head)
			word = word[len(head):]
			ww = runewidth.StringWidth(word)
		}
		if cw > 0 && cw+1+ww > width {
			lines = append(lines, cur.String())
			cur.Reset()
			cw = 0
		}
		if cw > 0 {
			cur.WriteByte(' ')
			cw++
		}
		cur.WriteString(word)
		cw += ww
	}
	if cw > 0 || len(lines) == 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// scanHeaders name the columns of the one-row-a-target view.
var scanHeaders = []string{"TARGET", "GRADE", "STATUS", "PROTOCOLS", "WORST PROBLEM"}

// writeScanRows writes one row a target: aligned, coloured and fitted to
// width on a terminal, tab-separated and whole in a pipe.
func writeScanRows(b *bytes.Buffer, rs []result.Result, width int, tty bool, p palette) {
	rows := make([][]string, len(rs))
	for i := range rs {
		r := &rs[i]
		rows[i] = []string{Sanitize(orNone(r.Target)), Sanitize(orNone(gradeOf(r))), Sanitize(string(r.Status)), orNone(shortProtocols(r)), Sanitize(orNone(worstProblem(r)))}
	}
	if !tty {
		b.WriteString(strings.ToLower(strings.ReplaceAll(strings.Join(scanHeaders, "\t"), " ", "_")) + "\n")
		for _, r := range rows {
			b.WriteString(strings.Join(r, "\t") + "\n")
		}
		return
	}
	widths := make([]int, len(scanHeaders))
	for i, h := range scanHeaders {
		widths[i] = runewidth.StringWidth(h)
	}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], runewidth.StringWidth(c))
		}
	}
	fixed := widths[1] + widths[2] + widths[3] + len(columnGap)*4
	if widths[0]+fixed+widths[4] > width {
		widths[0] = min(widths[0], max(width-fixed-minDetail, minShrunk))
		widths[4] = max(width-fixed-widths[0], minDetail)
	}
	writeRow := func(cells []string, colors []*color.Color) {
		var l strings.Builder
		for i, c := range cells {
			t := truncate(c, widths[i])
			l.WriteString(paint(colors[i], t))
			if i < len(cells)-1 {
				l.WriteString(strings.Repeat(" ", widths[i]-runewidth.StringWidth(t)) + columnGap)
			}
		}
		b.WriteString(strings.TrimRight(l.String(), " ") + "\n")
	}
	writeRow(scanHeaders, make([]*color.Color, len(scanHeaders)))
	for i, r := range rows {
		colors := make([]*color.Color, len(r))
		if gradeOf(&rs[i]) != "" {
			colors[1] = p.grade(gradeOf(&rs[i]))
		}
		colors[2] = p.status(rs[i].Status)
		writeRow(r, colors)
	}
}

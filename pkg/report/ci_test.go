package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

func TestCIGolden(t *testing.T) {
	for _, tt := range []struct {
		name   string
		format string
		quiet  bool
	}{
		{name: "junit", format: "junit"},
		{name: "github", format: "github"},
		{name: "markdown", format: "markdown"},
		{name: "markdown_quiet", format: "markdown", quiet: true},
		{name: "github_quiet", format: "github", quiet: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			r, err := New(tt.format, ios, Options{Stores: testStores})
			if err != nil {
				t.Fatal(err)
			}
			if tt.quiet {
				r = Quiet(r)
			}
			rs := fixtures()
			for _, i := range shuffleOrder {
				if err := r.Add(rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.name, out.Bytes())
			if errOut.Len() > 0 {
				t.Errorf("stderr = %q, want nothing", errOut)
			}
		})
	}
}

// hostile returns results whose every string field carries what can break
// XML, Markdown, workflow commands or a terminal.
func hostile() []result.Result {
	const bad = "a<b>&\"c'd]]>\x00\x01\x08\x0b\x0c\x1b[31m\x7f\x80\x9b\ufffe\uffff\xff\xfe|`*_[x](javascript:alert(1))%0A%25:,\r\n::error::owned\u202e\U0001F600"
	rs := []result.Result{
		{Target: bad, Status: result.StatusFail, Code: result.CodeNoPath, Message: bad, Detail: bad, DurationMS: 1,
			Chain:    []result.Cert{{Subject: bad, Issuer: bad}},
			Trust:    map[string]result.Verdict{bad: {Trusted: true, Root: bad}},
			Problems: []result.Problem{{ID: bad, Severity: result.SeverityError, Code: result.CodeNoPath, Store: bad, Message: bad}}},
		{Target: bad, Status: result.StatusError, Code: result.CodeHandshake, Message: bad, Detail: bad, Address: bad},
		{Target: bad, Status: result.StatusWarn, Detail: bad,
			Problems: []result.Problem{{ID: bad, Severity: result.SeverityWarn, Message: bad}}},
		{Target: bad, Status: result.StatusOK},
		{Target: "", Status: result.Status(bad)},
	}
	for i := range rs {
		rs[i].Index = i
		rs[i].ValidatedAt = validatedAt
	}
	return rs
}

func renderAll(t *testing.T, format string, rs []result.Result) []byte {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	order := make([]int, len(rs))
	for i := range order {
		order[i] = len(rs) - 1 - i
	}
	return render(t, format, ios, out, Options{Stores: testStores}, rs, order)
}

// junitRules checks a JUnit document against the rules of the JUnit schema
// Jenkins publishes (junit-10.xsd), which GitLab and the GitHub test
// reporters accept: the element structure, the allowed and required
// attributes, the time pattern, and counts that agree with the test cases.
func junitRules(t *testing.T, doc []byte) (cases int) {
	t.Helper()
	if !utf8.Valid(doc) {
		t.Fatalf("junit is not valid UTF-8")
	}
	for _, r := range string(doc) {
		if !xmlChar(r) {
			t.Fatalf("junit has %U, which XML 1.0 does not allow", r)
		}
	}
	type node struct {
		name     string
		attrs    map[string]string
		children []*node
		text     strings.Builder
	}
	dec := xml.NewDecoder(bytes.NewReader(doc))
	dec.Strict = true
	var root *node
	var stack []*node
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("junit does not parse: %v\n%s", err, doc)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attrs: map[string]string{}}
			for _, a := range tok.Attr {
				if _, dup := n.attrs[a.Name.Local]; dup {
					t.Errorf("<%s> repeats attribute %s", n.name, a.Name.Local)
				}
				n.attrs[a.Name.Local] = a.Value
			}
			if len(stack) == 0 {
				if root != nil {
					t.Fatalf("junit has two root elements")
				}
				root = n
			} else {
				p := stack[len(stack)-1]
				p.children = append(p.children, n)
			}
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].text.Write(tok)
			}
		}
	}
	type rule struct {
		required, optional []string
		children           []string
	}
	rules := map[string]rule{
		"testsuites": {optional: []string{"name", "time", "tests", "failures", "errors"}, children: []string{"testsuite"}},
		"testsuite": {required: []string{"name", "tests", "failures", "errors"},
			optional: []string{"group", "time", "skipped", "timestamp", "hostname", "id", "package", "file", "log", "url"},
			children: []string{"testsuite", "properties", "testcase", "system-out", "system-err"}},
		"properties": {children: []string{"property"}},
		"property":   {required: []string{"name", "value"}},
		"testcase":   {required: []string{"name"}, optional: []string{"time", "classname", "group"}, children: []string{"skipped", "error", "failure", "system-out", "system-err"}},
		"failure":    {optional: []string{"type", "message"}},
		"error":      {optional: []string{"type", "message"}},
		"skipped":    {optional: []string{"type", "message"}},
		"system-out": {},
		"system-err": {},
	}
	timeRE := regexp.MustCompile(`^(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?$`)
	var check func(n *node)
	check = func(n *node) {
		ru, ok := rules[n.name]
		if !ok {
			t.Errorf("unknown element <%s>", n.name)
			return
		}
		for _, a := range ru.required {
			if _, ok := n.attrs[a]; !ok {
				t.Errorf("<%s> lacks required attribute %s", n.name, a)
			}
		}
		for a := range n.attrs {
			if !contains(ru.required, a) && !contains(ru.optional, a) {
				t.Errorf("<%s> has attribute %s, which the schema does not allow", n.name, a)
			}
		}
		if v, ok := n.attrs["time"]; ok && !timeRE.MatchString(v) && (n.name == "testsuite" || n.name == "testsuites") {
			t.Errorf("<%s time=%q> is not a schema time", n.name, v)
		}
		for _, c := range n.children {
			if !contains(ru.children, c.name) {
				t.Errorf("<%s> inside <%s>, which the schema does not allow", c.name, n.name)
			}
			check(c)
		}
	}
	if root == nil || root.name != "testsuites" {
		t.Fatalf("root element is not <testsuites>")
	}
	check(root)
	count := func(n *node) (tests, failures, errs int) {
		for _, c := range n.children {
			if c.name != "testcase" {
				continue
			}
			tests++
			if c.attrs["name"] == "" {
				t.Errorf("testcase with an empty name")
			}
			for _, d := range c.children {
				switch d.name {
				case "failure":
					failures++
				case "error":
					errs++
				}
			}
		}
		return
	}
	var all [3]int
	for _, s := range root.children {
		tests, failures, errs := count(s)
		for i, want := range []int{tests, failures, errs} {
			key := []string{"tests", "failures", "errors"}[i]
			if got, err := strconv.Atoi(s.attrs[key]); err != nil || got != want {
				t.Errorf("testsuite %s=%q, want %d", key, s.attrs[key], want)
			}
			all[i] += want
		}
		cases += tests
	}
	for i, key := range []string{"tests", "failures", "errors"} {
		if v, ok := root.attrs[key]; ok && v != strconv.Itoa(all[i]) {
			t.Errorf("testsuites %s=%q, want %d", key, v, all[i])
		}
	}
	return cases
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestJUnitSchema(t *testing.T) {
	for _, tt := range []struct {
		name string
		rs   []result.Result
	}{
		{"fixtures", fixtures()},
		{"hostile", hostile()},
		{"empty", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := renderAll(t, "junit", tt.rs)
			if n := junitRules(t, doc); n != len(tt.rs) {
				t.Errorf("%d test cases, want one per target (%d)", n, len(tt.rs))
			}
		})
	}
}

func TestJUnitCarriesCodeMessageDetail(t *testing.T) {
	type failure struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	var doc struct {
		Suites []struct {
			Cases []struct {
				Name    string   `xml:"name,attr"`
				Failure *failure `xml:"failure"`
				Error   *failure `xml:"error"`
				Out     string   `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(renderAll(t, "junit", fixtures()), &doc); err != nil {
		t.Fatal(err)
	}
	cases := doc.Suites[0].Cases
	for i, r := range fixtures() {
		c := cases[i]
		if c.Name != Sanitize(targetName(&r)) {
			t.Errorf("case %d name %q, want %q", i, c.Name, Sanitize(targetName(&r)))
		}
		f := c.Failure
		if r.Status == result.StatusError {
			f = c.Error
		} else if c.Error != nil {
			t.Errorf("%s: <error> on a %s result", r.Target, r.Status)
		}
		switch r.Status {
		case result.StatusOK, result.StatusWarn:
			if c.Failure != nil || c.Error != nil {
				t.Errorf("%s: a %s result must pass", r.Target, r.Status)
			}
			if r.Status == result.StatusWarn && !strings.Contains(c.Out, r.Detail) {
				t.Errorf("%s: warning %q not in system-out %q", r.Target, r.Detail, c.Out)
			}
			continue
		}
		if f == nil {
			t.Errorf("%s: no failure or error element for a %s result", r.Target, r.Status)
			continue
		}
		want := fmt.Sprint(int(r.Code))
		if f.Type != want || !strings.HasPrefix(f.Message, want+" "+r.Code.Message()) || !strings.Contains(f.Text, Sanitize(r.Detail)) ||
			!strings.Contains(f.Message, Sanitize(r.Detail)) {
			t.Errorf("%s: type %q message %q text %q; want code %s, its message and the detail", r.Target, f.Type, f.Message, f.Text, want)
		}
	}
}

// ghCommand splits a workflow command line the way the runner does.
var ghCommand = regexp.MustCompile(`^::([a-z]+)( [^:]*)?::(.*)$`)

func ghUnescape(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%3A", ":", "%2C", ",", "%25", "%").Replace(s)
}

func TestGitHubCommands(t *testing.T) {
	for _, tt := range []struct {
		name string
		rs   []result.Result
	}{{"fixtures", fixtures()}, {"hostile", hostile()}} {
		t.Run(tt.name, func(t *testing.T) {
			out := string(renderAll(t, "github", tt.rs))
			lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
			if len(lines) != len(tt.rs)+1 {
				t.Fatalf("%d lines, want one per result and a summary:\n%s", len(lines), out)
			}
			for i, r := range tt.rs {
				l := lines[i]
				m := ghCommand.FindStringSubmatch(l)
				want := "error"
				switch r.Status {
				case result.StatusOK:
					if m != nil || strings.HasPrefix(l, "::") {
						t.Errorf("ok result is a command: %q", l)
					}
					continue
				case result.StatusWarn:
					want = "warning"
				}
				if m == nil || m[1] != want {
					t.Errorf("line %d = %q, want a ::%s command", i, l, want)
					continue
				}
				props := strings.TrimPrefix(m[2], " ")
				for _, p := range strings.Split(props, ",") {
					k, v, ok := strings.Cut(p, "=")
					if !ok || k != "title" {
						t.Errorf("property %q in %q: want only title=…", p, l)
					}
					if strings.ContainsAny(v, ":,\r\n") {
						t.Errorf("title %q is not escaped", v)
					}
					if title := ghUnescape(v); !strings.HasPrefix(title, Sanitize(targetName(&r))+": ") {
						t.Errorf("title %q does not start with the target", title)
					}
				}
				msg := ghUnescape(m[3])
				if r.Detail != "" && !strings.HasPrefix(msg, Sanitize(r.Detail)) {
					t.Errorf("message %q does not start with the detail %q", msg, Sanitize(r.Detail))
				}
			}
			if last := lines[len(lines)-1]; !strings.HasPrefix(last, "certgate: ") {
				t.Errorf("last line %q is not the summary", last)
			}
		})
	}
}

func TestGitHubEscape(t *testing.T) {
	for _, tt := range []struct{ in, data, prop string }{
		{"plain", "plain", "plain"},
		{"100%", "100%25", "100%25"},
		{"a\nb\r\nc", "a%0Ab%0D%0Ac", "a%0Ab%0D%0Ac"},
		{"host:443, again", "host:443, again", "host%3A443%2C again"},
		{"%0A", "%250A", "%250A"},
	} {
		if got := ghData(tt.in); got != tt.data {
			t.Errorf("ghData(%q) = %q, want %q", tt.in, got, tt.data)
		}
		if got := ghProperty(tt.in); got != tt.prop {
			t.Errorf("ghProperty(%q) = %q, want %q", tt.in, got, tt.prop)
		}
	}
}

func TestMarkdownEscape(t *testing.T) {
	out := string(renderAll(t, "markdown", hostile()))
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if !strings.HasPrefix(l, "|") {
			continue
		}
		// Count the cell separators: pipes not escaped by a backslash.
		cells := 0
		for i := 0; i < len(l); i++ {
			if l[i] == '\\' {
				i++
				continue
			}
			if l[i] == '|' {
				cells++
			}
		}
		if cells != 7 {
			t.Errorf("row has %d separators, want 7 (6 cells): %q", cells, l)
		}
		// The target cell is a code span, shown literally; the others must
		// carry no markup.
		rest := l[strings.Index(l, " | ")+3:]
		for _, bad := range []string{"<b>", "](", "\x1b", "\u202e", "\r"} {
			if strings.Contains(rest, bad) {
				t.Errorf("row contains %q: %q", bad, l)
			}
		}
	}
	for _, tt := range []struct{ in, want string }{
		{"a|b", "`a\\|b`"},
		{"a`b", "`` a`b ``"},
		{"``x", "``` ``x ```"},
		{"x.example", "`x.example`"},
	} {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := mdEscape("*a* _b_ [c](d) <e> &f; |g| \\h"), `\*a\* \_b\_ \[c\]\(d\) &lt;e&gt; &amp;f; \|g\| \\h`; got != want {
		t.Errorf("mdEscape = %q, want %q", got, want)
	}
}

func TestQuiet(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			r, err := New(format, ios, Options{Stores: testStores})
			if err != nil {
				t.Fatal(err)
			}
			r = Quiet(r)
			for _, x := range fixtures() {
				if err := r.Add(x); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(out.String(), "api.example.com") {
				t.Errorf("quiet %s output lists the ok target:\n%s", format, out)
			}
			if !strings.Contains(out.String(), "soon.example.com") {
				t.Errorf("quiet %s output lacks the warn target:\n%s", format, out)
			}
		})
	}
}

// TestCIDetailOnce checks that an annotation and a JUnit failure say the
// detail once: a problem whose message is the detail is not listed again.
func TestCIDetailOnce(t *testing.T) {
	out := string(renderAll(t, "github", fixtures()))
	lines := strings.Split(out, "\n")
	var doc struct {
		Cases []struct {
			Failure *struct {
				Text string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Text string `xml:",chardata"`
			} `xml:"error"`
			Out string `xml:"system-out"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(renderAll(t, "junit", fixtures()), &doc); err != nil {
		t.Fatal(err)
	}
	for i, r := range fixtures() {
		if r.Status == result.StatusOK || r.Detail == "" {
			continue
		}
		detail := Sanitize(r.Detail)
		m := ghCommand.FindStringSubmatch(lines[i])
		if m == nil {
			t.Fatalf("line %d is not a command: %q", i, lines[i])
		}
		if n := strings.Count(ghUnescape(m[3]), detail); n != 1 {
			t.Errorf("github %s: detail appears %d times, want 1: %q", r.Target, n, ghUnescape(m[3]))
		}
		c := doc.Cases[i]
		text := c.Out
		if c.Failure != nil {
			text = c.Failure.Text
		} else if c.Error != nil {
			text = c.Error.Text
		}
		if n := strings.Count(text, detail); n != 1 {
			t.Errorf("junit %s: detail appears %d times, want 1: %q", r.Target, n, text)
		}
	}
}

// TestJUnitControlCharacters checks that newlines and other controls from
// certificate fields and messages never start a line of a failure's text nor
// reach an attribute raw: each line of the text is one of the lines the
// renderer writes.
func TestJUnitControlCharacters(t *testing.T) {
	type body struct {
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	var doc struct {
		Cases []struct {
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Failure   *body  `xml:"failure"`
			Error     *body  `xml:"error"`
			Out       string `xml:"system-out"`
		} `xml:"testsuite>testcase"`
	}
	if err := xml.Unmarshal(renderAll(t, "junit", hostile()), &doc); err != nil {
		t.Fatal(err)
	}
	prefixes := []string{"problems:", "  ", "address: ", "leaf: ", "root: "}
	for i, c := range doc.Cases {
		attrs := []string{c.Name, c.ClassName}
		text := c.Out
		for _, b := range []*body{c.Failure, c.Error} {
			if b != nil {
				attrs = append(attrs, b.Message)
				text = b.Text
			}
		}
		for _, a := range attrs {
			if strings.ContainsFunc(a, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Errorf("case %d: attribute %q carries a control character", i, a)
			}
		}
		if text == "" {
			continue
		}
		lines := strings.Split(text, "\n")
		for j, l := range lines[1:] { // the first line is the detail
			if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(l, p) }) {
				t.Errorf("case %d line %d %q: a field's newline started a line", i, j+1, l)
			}
		}
	}
}

// TestJUnitNamesCommand checks that the suite and class names carry the
// command the results come from.
func TestJUnitNamesCommand(t *testing.T) {
	for _, tt := range []struct{ command, suite, class string }{
		{"", `<testsuite name="certgate check"`, `classname="certgate.check"`},
		{"check", `<testsuite name="certgate check"`, `classname="certgate.check"`},
		{"verify", `<testsuite name="certgate verify"`, `classname="certgate.verify"`},
	} {
		ios, _, out, _ := iostreams.Test()
		got := string(render(t, "junit", ios, out, Options{Stores: testStores, Command: tt.command}, fixtures(), shuffleOrder))
		if !strings.Contains(got, tt.suite) || !strings.Contains(got, tt.class) || strings.Count(got, "classname=") != strings.Count(got, tt.class) {
			t.Errorf("command %q: want %s and every %s:\n%s", tt.command, tt.suite, tt.class, got)
		}
	}
}

package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

var update = flag.Bool("update", false, "update golden files")

// render adds rs in the given order to a fresh renderer and returns stdout.
func render(t testing.TB, format string, ios *iostreams.IOStreams, out *bytes.Buffer, opts Options, rs []result.Result, order []int) []byte {
	t.Helper()
	r, err := New(format, ios, opts)
	if err != nil {
		t.Fatalf("New(%q) error: %v", format, err)
	}
	for _, i := range order {
		if err := r.Add(rs[i]); err != nil {
			t.Fatalf("Add(%d) error: %v", i, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close() error: %v", err)
	}
	return out.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./pkg/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s (run go test ./pkg/report -update)\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

func TestGolden(t *testing.T) {
	env := func(noColor string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}
	}
	tests := []struct {
		name    string
		format  string
		tty     bool
		noColor string
		width   int
		verbose bool
	}{
		{name: "table_piped", format: "table"},
		{name: "table_tty_color", format: "table", tty: true, width: 150},
		{name: "table_tty_nocolor", format: "table", tty: true, noColor: "1", width: 150},
		{name: "table_tty_narrow", format: "table", tty: true, noColor: "1"},
		{name: "table_tty_verbose", format: "table", tty: true, noColor: "1", width: 150, verbose: true},
		{name: "table_piped_verbose", format: "table", verbose: true},
		{name: "json", format: "json"},
		{name: "jsonl", format: "jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.Getenv = env(tt.noColor)
			got := render(t, tt.format, ios, out, Options{Stores: testStores, Width: tt.width, Verbose: tt.verbose}, fixtures(), shuffleOrder)
			golden(t, tt.name, got)
			wantErr := ""
			if tt.format == "table" && !tt.tty {
				wantErr = "7 targets: 1 ok, 1 warn, 3 fail, 2 error\n"
			}
			if errOut.String() != wantErr {
				t.Errorf("stderr = %q, want %q", errOut, wantErr)
			}
		})
	}
}

// TestTerminalSafety checks that no format lets a raw escape, C1 control or
// bidi override from a certificate or server reach the output.
func TestTerminalSafety(t *testing.T) {
	for _, format := range Formats() {
		for _, tty := range []bool{false, true} {
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tty)
			ios.SetColorDisabled(true) // the renderer's own colours are checked elsewhere
			got := string(render(t, format, ios, out, Options{Stores: testStores}, fixtures(), shuffleOrder))
			for _, bad := range []string{"\x1b", "\x9b", "\u009b", "\x7f", "\u202e", "\u202c", "\x07"} {
				if strings.Contains(got, bad) {
					t.Errorf("%s (tty=%v) output contains %q", format, tty, bad)
				}
			}
		}
	}
}

// sgrSpan is one coloured run: an SGR that sets a colour, plain text, and
// the SGR that resets it.
var sgrSpan = regexp.MustCompile("\x1b\\[([0-9;]*)m([^\x1b]*)\x1b\\[([0-9;]*)m")

// TestTableColorOnlyOnStatus checks cell by cell which text is coloured: in
// each row exactly the STATUS cell, in its status's colour, reset right after
// the word; nothing in the header, the padding, CODE or any other cell; and
// without the colours the table is the NO_COLOR table byte for byte.
func TestTableColorOnlyOnStatus(t *testing.T) {
	type span struct{ set, text, reset string }
	want := map[result.Status]span{
		result.StatusOK:    {"32", "ok", "0"},
		result.StatusWarn:  {"33", "warn", "0"},
		result.StatusFail:  {"31", "fail", "0"},
		result.StatusError: {"35;1", "error", "0;22"},
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	got := string(render(t, "table", ios, out, Options{Stores: testStores, Width: 150}, fixtures(), shuffleOrder))
	plainIOS, _, plainOut, _ := iostreams.Test()
	plainIOS.SetStdoutTTY(true)
	plainIOS.SetColorDisabled(true)
	plain := strings.Split(string(render(t, "table", plainIOS, plainOut, Options{Stores: testStores, Width: 150}, fixtures(), shuffleOrder)), "\n")

	lines := strings.Split(got, "\n")
	if len(lines) != len(plain) {
		t.Fatalf("coloured table has %d lines, plain %d:\n%s", len(lines), len(plain), got)
	}
	statusCol := strings.Index(lines[0], "STATUS")
	rs := fixtures()
	for i, line := range lines {
		row := i - 1 // rows follow the header in input order
		m := sgrSpan.FindAllStringSubmatchIndex(line, -1)
		if row < 0 || row >= len(rs) {
			if strings.Contains(line, "\x1b") {
				t.Errorf("line %d (header or summary) carries an escape: %q", i, line)
			}
			continue
		}
		if len(m) != 1 {
			t.Errorf("row %d: %d coloured spans, want 1 (STATUS): %q", row, len(m), line)
			continue
		}
		g := m[0]
		gotSpan := span{line[g[2]:g[3]], line[g[4]:g[5]], line[g[6]:g[7]]}
		if w := want[rs[row].Status]; gotSpan != w {
			t.Errorf("row %d (%s): coloured span %+v, want %+v", row, rs[row].Status, gotSpan, w)
		}
		if g[0] != statusCol {
			t.Errorf("row %d: colour starts at byte %d, want the STATUS column at %d: %q", row, g[0], statusCol, line)
		}
		stripped := line[:g[0]] + gotSpan.text + line[g[1]:]
		if strings.Contains(stripped, "\x1b") {
			t.Errorf("row %d: escape outside the STATUS cell: %q", row, line)
		}
		if stripped != plain[i] {
			t.Errorf("row %d without colour differs from the NO_COLOR table:\n got %q\nwant %q", row, stripped, plain[i])
		}
	}
}

func TestTableNoColor(t *testing.T) {
	for _, tt := range []struct {
		name    string
		tty     bool
		noColor string
		flag    bool
	}{
		{name: "piped", tty: false},
		{name: "NO_COLOR", tty: true, noColor: "1"},
		{name: "--no-color", tty: true, flag: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetColorDisabled(tt.flag)
			ios.Getenv = func(k string) string {
				if k == "NO_COLOR" {
					return tt.noColor
				}
				return ""
			}
			got := render(t, "table", ios, out, Options{Stores: testStores}, fixtures(), shuffleOrder)
			if bytes.Contains(got, []byte("\x1b")) {
				t.Errorf("output has ANSI escapes:\n%q", got)
			}
		})
	}
}

func TestTableSummary(t *testing.T) {
	tests := []struct {
		name string
		rs   []result.Result
		want string
	}{
		{"fixtures", fixtures(), "7 targets: 1 ok, 1 warn, 3 fail, 2 error"},
		{"one", fixtures()[:1], "1 target: 1 ok, 0 warn, 0 fail, 0 error"},
		{"none", nil, "0 targets: 0 ok, 0 warn, 0 fail, 0 error"},
	}
	for _, tt := range tests {
		for _, tty := range []bool{false, true} {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tty)
			order := make([]int, len(tt.rs))
			for i := range order {
				order[i] = i
			}
			got := string(render(t, "table", ios, out, Options{}, tt.rs, order))
			if !tty {
				// In a pipe the summary is a diagnostic on stderr.
				if strings.Contains(got, tt.want) {
					t.Errorf("%s: piped stdout holds the summary:\n%s", tt.name, got)
				}
				got = errOut.String()
			}
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			if last := lines[len(lines)-1]; last != tt.want {
				t.Errorf("%s (tty=%v): summary = %q, want %q", tt.name, tty, last, tt.want)
			}
		}
	}
}

func TestTablePipedIsTSV(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	got := string(render(t, "table", ios, out, Options{Stores: testStores}, fixtures(), shuffleOrder))
	lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(lines) != 1+7 {
		t.Fatalf("got %d lines, want header + 7 rows:\n%s", len(lines), got)
	}
	for i, l := range lines {
		if n := strings.Count(l, "\t"); n != numCols-1 {
			t.Errorf("line %d has %d tabs, want %d: %q", i, n, numCols-1, l)
		}
	}
	// Rows are in input order whatever the Add order.
	for i, want := range []string{"https://api.example.com/hooks/sms", "soon.example.com", "https://expired.example.com"} {
		if !strings.HasPrefix(lines[1+i], want+"\t") {
			t.Errorf("row %d = %q, want target %q", i, lines[1+i], want)
		}
	}
}

func TestTableFitsWidth(t *testing.T) {
	for _, width := range []int{80, 100, 120} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		got := string(render(t, "table", ios, out, Options{Stores: testStores, Width: width}, fixtures(), shuffleOrder))
		for _, l := range strings.Split(got, "\n") {
			if w := len([]rune(sgrSpan.ReplaceAllString(l, "$2"))); w > width {
				t.Errorf("width %d: line is %d wide: %q", width, w, l)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	got := render(t, "json", ios, out, Options{}, fixtures(), shuffleOrder)
	var decoded []result.Result
	if err := json.Unmarshal(got, &decoded); err != nil {
		t.Fatalf("json output does not decode: %v\n%s", err, got)
	}
	want := fixtures()
	if len(decoded) != len(want) {
		t.Fatalf("decoded %d results, want %d", len(decoded), len(want))
	}
	for i := range want {
		decoded[i].Index = i // not encoded; array position is input order
		w := normalize(want[i])
		// encoding/json turns each invalid UTF-8 byte into U+FFFD.
		w.Detail = strings.ToValidUTF8(w.Detail, "\uFFFD")
		if !reflect.DeepEqual(decoded[i], w) {
			t.Errorf("result %d round-trips to\n%+v\nwant\n%+v", i, decoded[i], w)
		}
	}
}

func TestJSONEmpty(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	got := render(t, "json", ios, out, Options{}, nil, nil)
	if string(got) != "[]\n" {
		t.Errorf("empty json = %q, want %q", got, "[]\n")
	}
}

func TestJSONSchemaArrays(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	rs := []result.Result{{Target: "bare", Status: result.StatusError}}
	got := render(t, "jsonl", ios, out, Options{}, rs, []int{0})
	for _, want := range []string{`"schema":"certgate.result/v1"`, `"chain":[]`, `"trust":{}`, `"problems":[]`, `"tls":null`} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("jsonl %s lacks %s", got, want)
		}
	}
}

func TestJSONLStreams(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	r, err := New("jsonl", ios, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rs := fixtures()
	for n, i := range shuffleOrder {
		if err := r.Add(rs[i]); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		if len(lines) != n+1 {
			t.Fatalf("after %d Adds stdout has %d lines, want %d", n+1, len(lines), n+1)
		}
		var got result.Result
		if err := json.Unmarshal([]byte(lines[n]), &got); err != nil {
			t.Fatalf("line %d is not JSON: %v", n, err)
		}
		if got.Target != rs[i].Target {
			t.Errorf("line %d target = %q, want %q (arrival order)", n, got.Target, rs[i].Target)
		}
	}
	before := out.Len()
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if out.Len() != before {
		t.Errorf("Close wrote %d more bytes, want none", out.Len()-before)
	}
}

func TestConcurrentAdd(t *testing.T) {
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			r, err := New(format, ios, Options{})
			if err != nil {
				t.Fatal(err)
			}
			rs := manyResults(200)
			var wg sync.WaitGroup
			for i := range rs {
				wg.Go(func() {
					if err := r.Add(rs[i]); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			if format == "jsonl" {
				if n := bytes.Count(out.Bytes(), []byte("\n")); n != len(rs) {
					t.Errorf("jsonl wrote %d lines, want %d", n, len(rs))
				}
			}
		})
	}
}

func TestClosed(t *testing.T) {
	for _, format := range Formats() {
		ios, _, _, _ := iostreams.Test()
		r, _ := New(format, ios, Options{})
		if err := r.Close(); err != nil {
			t.Fatalf("%s: Close() = %v", format, err)
		}
		if err := r.Add(fixtures()[0]); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: Add after Close = %v, want ErrClosed", format, err)
		}
		if err := r.Close(); !errors.Is(err, ErrClosed) {
			t.Errorf("%s: second Close = %v, want ErrClosed", format, err)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	_, err := New("xml", ios, Options{})
	var ufe *UnknownFormatError
	if !errors.As(err, &ufe) {
		t.Fatalf("New(xml) error = %v, want *UnknownFormatError", err)
	}
	if ufe.Format != "xml" || !reflect.DeepEqual(ufe.Valid, Formats()) {
		t.Errorf("error = %+v", ufe)
	}
	want := `report: unknown output format "xml" (valid: github, json, jsonl, junit, markdown, table)`
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestFormats(t *testing.T) {
	if got, want := Formats(), []string{"github", "json", "jsonl", "junit", "markdown", "table"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Formats() = %q, want %q", got, want)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestWriteError(t *testing.T) {
	for _, format := range Formats() {
		ios, _, _, _ := iostreams.Test()
		ios.Out = failWriter{}
		r, _ := New(format, ios, Options{})
		err := r.Add(fixtures()[0])
		if err == nil {
			err = r.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "disk full") {
			t.Errorf("%s: error = %v, want one wrapping the write error", format, err)
		}
	}
}

// TestJSONStreams checks that the JSON array is written as results arrive in
// input order, not held until Close, and that results Quiet leaves out do not
// hold back the ones after them.
func TestJSONStreams(t *testing.T) {
	for _, tt := range []struct {
		name  string
		quiet bool
		order []int // indexes of fixtures() to add
		// wantAfter[i] is how many results the output holds after the i-th Add.
		wantAfter []int
	}{
		{name: "in order", order: []int{0, 1, 2}, wantAfter: []int{1, 2, 3}},
		{name: "out of order", order: []int{2, 0, 1, 3}, wantAfter: []int{0, 1, 3, 4}},
		{name: "quiet gap", quiet: true, order: []int{0, 1, 2}, wantAfter: []int{0, 1, 2}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ren, err := New("json", ios, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tt.quiet {
				ren = Quiet(ren)
			}
			fx := fixtures()
			if tt.quiet && fx[0].Status != result.StatusOK {
				t.Fatalf("fixture 0 is %s, want ok for Quiet to leave it out", fx[0].Status)
			}
			for i, k := range tt.order {
				if err := ren.Add(fx[k]); err != nil {
					t.Fatal(err)
				}
				if got := strings.Count(out.String(), `"schema"`); got != tt.wantAfter[i] {
					t.Errorf("after adding result %d: %d results written, want %d", k, got, tt.wantAfter[i])
				}
			}
			if err := ren.Close(); err != nil {
				t.Fatal(err)
			}
			var decoded []result.Result
			if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
				t.Fatalf("output is not a JSON array: %v\n%s", err, out)
			}
		})
	}
}

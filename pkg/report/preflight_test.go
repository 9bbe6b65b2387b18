package report

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// preflightFixtures are preflight results: a 2xx after a redirect and a
// retry, a 404 whose server strings carry control and bidi characters, a
// request not sent because the certificate fails, a request with no
// response, and a result without an HTTP leg (an invalid target).
func preflightFixtures() []result.Result {
	budgets := &result.Budgets{ConnectMS: 5000, ReadMS: 15000, TotalMS: 15000, Attempts: 2, MaxRedirects: 10}
	fs := fixtures()
	ok, expiring, fail := fs[0], fs[1], fs[2]
	ok.Profile = "twilio"
	ok.HTTP = &result.HTTPInfo{Method: "HEAD", Status: 204, DurationMS: 84.1, Attempts: 2,
		Timings:   result.Timings{ConnectMS: 0.4, TLSMS: 3.1, FirstByteMS: 80.2, TotalMS: 84.0},
		Tries:     []result.Timings{{ConnectMS: 5000, TotalMS: 5000}, {ConnectMS: 1.5, TLSMS: 2.5, FirstByteMS: 9.5, TotalMS: 10.1}, {ConnectMS: 0.4, TLSMS: 3.1, FirstByteMS: 80.2, TotalMS: 84.0}},
		Redirects: []result.Redirect{{Status: 301, Location: "https://api.example.com/hooks/sms/"}},
		SNI:       []string{"with", "without"}, Overrides: map[string]string{"rc": "1", "ct": "5000"}, Budgets: budgets}
	expiring.Profile = "stripe"
	expiring.Status, expiring.Code = result.StatusError, result.CodeHTTPErrorStatus
	expiring.Message = result.CodeHTTPErrorStatus.Message()
	expiring.Detail = "HEAD https://billing.example.com/ answered HTTP/1.1 404 \x1b[31mGone\u202e (an error status)"
	expiring.HTTP = &result.HTTPInfo{Method: "HEAD", Status: 404, DurationMS: 12.5, Attempts: 1,
		Timings:   result.Timings{ConnectMS: 1, TLSMS: 2, FirstByteMS: 9, TotalMS: 12},
		Redirects: []result.Redirect{{Status: 302, Location: "https://billing.example.com/\x1b[2Jnext\u202e"}},
		SNI:       []string{"with"}, Budgets: &result.Budgets{ConnectMS: 10000, ReadMS: 30000, TotalMS: 30000, Attempts: 1}}
	fail.Profile = "twilio"
	fail.HTTP = &result.HTTPInfo{Redirects: []result.Redirect{}, SNI: []string{"with", "without"}, Budgets: budgets}
	timeout := fs[0]
	timeout.Target, timeout.Index = "https://slow.example.com/hook", 3
	timeout.Status, timeout.Code = result.StatusError, result.CodeConnFailure
	timeout.Message = result.CodeConnFailure.Message()
	timeout.Detail = "https://slow.example.com/hook sent no response within slack's read timeout of 3s"
	timeout.Profile = "slack"
	timeout.HTTP = &result.HTTPInfo{Method: "HEAD", DurationMS: 3000.2, Attempts: 1,
		Timings: result.Timings{ConnectMS: 0.7, TLSMS: 1.9, TotalMS: 3000.1},
		SNI:     []string{"with"}, Budgets: &result.Budgets{ConnectMS: 3000, ReadMS: 3000, TotalMS: 3000, Attempts: 1, MaxRedirects: 2}}
	invalid := fs[len(fs)-1]
	invalid.Index = 4
	return []result.Result{ok, expiring, fail, timeout, invalid}
}

// TestPreflightGolden renders the fixtures as a person sees them at 80
// and 132 columns, with -v, in a pipe and as Markdown.
func TestPreflightGolden(t *testing.T) {
	rs := preflightFixtures()
	for _, tt := range []struct {
		name    string
		format  string
		width   int // a terminal this wide; 0 for a pipe
		verbose bool
	}{
		{"preflight_80", "table", 80, false},
		{"preflight_132", "table", 132, false},
		{"preflight_verbose_132", "table", 132, true},
		{"preflight_piped", "table", 0, false},
		{"preflight_markdown", "markdown", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(tt.width > 0)
			ios.SetTerminalWidth(tt.width)
			ios.SetColorDisabled(true)
			r, err := NewPreflight(tt.format, ios, Options{Stores: testStores, Verbose: tt.verbose})
			if err != nil {
				t.Fatal(err)
			}
			for i := len(rs) - 1; i >= 0; i-- {
				if err := r.Add(rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.Bytes()
			if bytes.ContainsAny(got, "\x1b\u202e") || bytes.ContainsAny(errOut.Bytes(), "\x1b\u202e") {
				t.Errorf("a control or bidi character reached the output:\n%q", got)
			}
			if tt.width > 0 {
				for _, line := range strings.Split(string(got), "\n") {
					if w := runewidth.StringWidth(line); w > tt.width && !strings.HasPrefix(line, " ") {
						t.Errorf("table line of %d columns, wider than %d: %q", w, tt.width, line)
					}
				}
			}
			golden(t, tt.name, got)
		})
	}
}

// TestPreflightHTTPColumn: the HTTP column says what the leg did, and
// check's table (report.New) has no such column.
func TestPreflightHTTPColumn(t *testing.T) {
	rs := preflightFixtures()
	for i, want := range []string{"HEAD 204, 1 redirect", "HEAD 404, 1 redirect", "not sent", "HEAD no response", ""} {
		if got := httpSummary(&rs[i]); got != want {
			t.Errorf("%s: %q, want %q", rs[i].Target, got, want)
		}
	}
	ios, _, out, _ := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(200)
	r, _ := New("table", ios, Options{Stores: testStores})
	for _, x := range rs {
		_ = r.Add(x)
	}
	_ = r.Close()
	if header, _, _ := strings.Cut(out.String(), "\n"); strings.Contains(header, "HTTP") || !strings.Contains(header, "ROOT / ISSUER") {
		t.Errorf("check's table changed for results with an HTTP leg:\n%s", out.String())
	}
}

// TestNewPreflightFormats: every format renders preflight results; JSON
// carries the budgets; an unknown format is an *UnknownFormatError.
func TestNewPreflightFormats(t *testing.T) {
	for _, f := range Formats() {
		ios, _, out, _ := iostreams.Test()
		r, err := NewPreflight(f, ios, Options{})
		if err != nil {
			t.Fatalf("NewPreflight(%q): %v", f, err)
		}
		_ = r.Add(preflightFixtures()[0])
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		if f == "json" && !strings.Contains(out.String(), `"total_timeout_ms": 15000`) {
			t.Errorf("JSON lacks the budgets:\n%s", out.String())
		}
	}
	ios, _, _, _ := iostreams.Test()
	if _, err := NewPreflight("yaml", ios, Options{}); err == nil {
		t.Error("unknown format accepted")
	} else if _, ok := err.(*UnknownFormatError); !ok {
		t.Errorf("error %T, want *UnknownFormatError", err)
	}
}

// TestPreflightTerminal renders on a real pseudo-terminal: the renderer
// finds the terminal, fits the table to its width and colours the
// statuses; -v lists each target's HTTP leg.
func TestPreflightTerminal(t *testing.T) {
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 80, Rows: 40}); err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = tty
	ios := iostreams.System()
	os.Stdout = saved
	ios.Getenv = func(string) string { return "" }
	if !ios.IsStdoutTTY() || ios.TerminalWidth() != 80 {
		t.Fatalf("pty not seen as an 80-column terminal: tty %v width %d", ios.IsStdoutTTY(), ios.TerminalWidth())
	}
	read := make(chan []byte)
	go func() {
		var b bytes.Buffer
		buf := make([]byte, 4096)
		for {
			n, err := ptmx.Read(buf)
			b.Write(buf[:n])
			if err != nil || bytes.Contains(b.Bytes(), []byte("5 targets:")) && bytes.HasSuffix(b.Bytes(), []byte("\n")) {
				break
			}
		}
		read <- b.Bytes()
	}()
	r, _ := NewPreflight("table", ios, Options{Stores: testStores, Verbose: true})
	for _, x := range preflightFixtures() {
		_ = r.Add(x)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	screen := strings.ReplaceAll(string(<-read), "\r\n", "\n")
	tty.Close()
	if !strings.Contains(screen, "\x1b[35;1merror\x1b[0;22m") {
		t.Errorf("the error status is not coloured:\n%q", screen)
	}
	plain := sgrSeq.ReplaceAllString(screen, "")
	for _, want := range []string{"HTTP", "HEAD 204, 1 r…", "  http:\n", "    redirect 1  301 https://api.example.com/hooks/sms/", "request 1   connect 5000.0 ms of 5s"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the terminal lacks %q:\n%s", want, plain)
		}
	}
	table, _, _ := strings.Cut(plain, "\n\n")
	for _, line := range strings.Split(table, "\n") {
		if w := runewidth.StringWidth(line); w > 80 {
			t.Errorf("table line of %d columns on an 80-column terminal: %q", w, line)
		}
	}
}

// TestPreflightQuiet: --quiet leaves ok targets out of the rows, the
// Markdown table and its details, but counts them in the summary.
func TestPreflightQuiet(t *testing.T) {
	for _, format := range []string{"table", "markdown"} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetTerminalWidth(132)
		ios.SetColorDisabled(true)
		r, err := NewPreflight(format, ios, Options{Verbose: true})
		if err != nil {
			t.Fatal(err)
		}
		q := Quiet(r)
		for _, x := range preflightFixtures() {
			if err := q.Add(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.Contains(got, "5 targets: 1 ok, 0 warn, 2 fail, 2 error") {
			t.Errorf("%s: summary does not count the ok target:\n%s", format, got)
		}
		if strings.Contains(got, "api.example.com/hooks/sms") {
			t.Errorf("%s: the ok target is listed:\n%s", format, got)
		}
	}
}

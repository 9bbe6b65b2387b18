package report

import (
	"bytes"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/mattn/go-runewidth"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

func scanSuite(proto, name, id, kex, auth, enc string, bits int, aead, fs bool, strength string) result.Suite {
	return result.Suite{Protocol: proto, Name: name, ID: id, Kex: kex, Auth: auth, Enc: enc, Bits: bits, AEAD: aead, ForwardSecret: fs, Strength: strength}
}

// scanFixtures are scan results: a modern server with an old protocol
// left on, and a weak one whose server strings try to reach the terminal.
func scanFixtures() []result.Result {
	rs := fixtures()
	modern := rs[0]
	modern.Index = 0
	modern.Status, modern.Detail = result.StatusWarn, "the server speaks TLS 1.0, which no current client needs: disable it"
	modern.Problems = []result.Problem{
		{ID: result.ProblemProtocolTLS10, Severity: result.SeverityWarn, Cert: -1, Message: "the server speaks TLS 1.0, which no current client needs: disable it"},
		{ID: result.ProblemCipher3DES, Severity: result.SeverityWarn, Cert: -1, Message: "the server accepts 3DES (TLS_RSA_WITH_3DES_EDE_CBC_SHA): disable it"},
		{ID: result.ProblemHSTSMissing, Severity: result.SeverityInfo, Cert: -1, Message: "the server sends no Strict-Transport-Security header"},
	}
	modern.Scan = &result.Scan{
		Protocols: []result.ProtocolSupport{{Version: "TLS 1.3", Supported: true}, {Version: "TLS 1.2", Supported: true}, {Version: "TLS 1.1"},
			{Version: "TLS 1.0", Supported: true}, {Version: "SSL 3.0"}, {Version: "SSL 2.0"}},
		CipherSuites: []result.Suite{
			scanSuite("TLS 1.3", "TLS_AES_128_GCM_SHA256", "0x1301", "ECDHE", "ECDSA", "AES_128_GCM", 128, true, true, "strong"),
			scanSuite("TLS 1.3", "TLS_CHACHA20_POLY1305_SHA256", "0x1303", "ECDHE", "ECDSA", "CHACHA20_POLY1305", 256, true, true, "strong"),
			scanSuite("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "0xc02b", "ECDHE", "ECDSA", "AES_128_GCM", 128, true, true, "strong"),
			scanSuite("TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", "0xc024", "ECDHE", "ECDSA", "AES_256_CBC", 256, false, true, "weak"),
			scanSuite("TLS 1.2", "TLS_RSA_WITH_3DES_EDE_CBC_SHA", "0x000a", "RSA", "RSA", "3DES_EDE_CBC", 112, false, false, "insecure"),
			scanSuite("TLS 1.0", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "0xc009", "ECDHE", "ECDSA", "AES_128_CBC", 128, false, true, "weak"),
		},
		ServerPreference: map[string]bool{"TLS 1.2": true, "TLS 1.3": false, "TLS 1.0": true},
		Groups:           []string{"X25519MLKEM768", "x25519", "secp256r1"},
		ServerKey:        "ECDSA P-256",
		Features: result.Features{SecureRenegotiation: true, FallbackSCSV: true, SessionResumptionTickets: true, ALPN: []string{"h2", "http/1.1"},
			OCSPStapling: true, OCSP: &result.OCSPStaple{Status: "good", Valid: true, ThisUpdate: "2026-11-28T00:00:00Z", NextUpdate: "2026-12-05T00:00:00Z"},
			SCTs: result.SCTCount{Certificate: 2}, HSTSChecked: true},
		Clients: []result.ClientSimulation{
			{Name: "Java 17", Profile: "java-17", OK: true, Protocol: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "x25519"},
			{Name: "Firefox 140", Profile: "firefox-140", OK: true, Protocol: "TLS 1.3", CipherSuite: "TLS_AES_128_GCM_SHA256", Group: "X25519MLKEM768"},
			{Name: "OpenSSL 1.0 (legacy)", Profile: "openssl-1.0", OK: true, Protocol: "TLS 1.0", CipherSuite: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", Group: "secp256r1"},
		},
		Grade: &result.Grade{Grade: "B", Score: 90, Protocol: 95, KeyExchange: 90, Cipher: 85, Caps: []result.Cap{
			{ID: "3des-tls11", Grade: "C", Message: "3DES is accepted with TLS 1.1 or later: disable 3DES"},
			{ID: "tls10-tls11", Grade: "B", Message: "TLS 1.0 or TLS 1.1 is supported: disable both"},
			{ID: "hsts-missing", Grade: "A-", Message: "no Strict-Transport-Security header with a max-age of 180 days or more: send one"},
		}},
	}
	modern.Scan.Grade.Grade = "C"

	hostile := rs[2]
	hostile.Index = 1
	hostile.Target = "evil.example\x1b[31m.test"
	hostile.Scan = &result.Scan{
		Protocols:    []result.ProtocolSupport{{Version: "TLS 1.2", Supported: true}, {Version: "SSL 3.0", Supported: true}},
		CipherSuites: []result.Suite{scanSuite("SSL 3.0", "TLS_RSA_WITH_RC4_128_SHA", "0x0005", "RSA", "RSA", "RC4_128", 128, false, false, "insecure")},
		DHBits:       768,
		ServerKey:    "RSA 1024",
		Features: result.Features{ALPN: []string{"h2\x1b]0;owned\x07"}, HSTS: &result.HSTS{MaxAge: 300},
			OCSP: &result.OCSPStaple{Status: "good", Error: "OCSP response is for another certificate\x1b[2J", Stale: false}},
		Clients: []result.ClientSimulation{{Name: "Java 17", OK: false, Code: result.CodeHandshake, Message: "no shared cipher suite \u202e"}},
		Grade: &result.Grade{Grade: "T", IgnoringTrust: "F", Score: 40, Protocol: 90, KeyExchange: 40, Cipher: 80, Caps: []result.Cap{
			{ID: "untrusted", Grade: "T", Message: "no selected trust store trusts the certificate"},
			{ID: "dh-below-1024", Grade: "F", Message: "the DH prime is below 1024 bits"},
		}},
	}
	return []result.Result{modern, hostile}
}

// TestScanGolden renders scan results at 80 and 132 columns, on a
// terminal and in a pipe, one target and several, and as Markdown.
func TestScanGolden(t *testing.T) {
	rs := scanFixtures()
	tests := []struct {
		name   string
		format string
		tty    bool
		width  int
		rs     []result.Result
	}{
		{"scan_one_80", "table", true, 80, rs[:1]},
		{"scan_one_132", "table", true, 132, rs[:1]},
		{"scan_one_hostile_80", "table", true, 80, rs[1:]},
		{"scan_one_piped", "table", false, 0, rs[:1]},
		{"scan_many_80", "table", true, 80, rs},
		{"scan_many_132", "table", true, 132, rs},
		{"scan_many_piped", "table", false, 0, rs},
		{"scan_markdown", "markdown", false, 0, rs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(tt.tty)
			ios.SetTerminalWidth(tt.width)
			ios.SetColorDisabled(true)
			order := make([]int, len(tt.rs))
			for i := range order {
				order[len(order)-1-i] = i
			}
			r, err := NewScan(tt.format, ios, Options{Stores: testStores})
			if err != nil {
				t.Fatal(err)
			}
			for _, i := range order {
				if err := r.Add(tt.rs[i]); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.Bytes()
			if bytes.ContainsAny(got, "\x1b\x07\u202e") {
				t.Errorf("a control or bidi character reached the output:\n%q", got)
			}
			if tt.tty {
				for _, line := range strings.Split(string(got), "\n") {
					if w := runewidth.StringWidth(line); w > tt.width {
						t.Errorf("line of %d columns, wider than %d: %q", w, tt.width, line)
					}
				}
			}
			golden(t, tt.name, got)
		})
	}
}

// TestScanWidth: a wider terminal shows the suite columns a narrow one
// leaves out.
func TestScanWidth(t *testing.T) {
	render := func(width int) string {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetTerminalWidth(width)
		ios.SetColorDisabled(true)
		r, _ := NewScan("table", ios, Options{})
		_ = r.Add(scanFixtures()[0])
		_ = r.Close()
		return out.String()
	}
	narrow, wide := render(80), render(132)
	if strings.Contains(narrow, "CHACHA20_POLY1305  AEAD FS") || !strings.Contains(wide, "CHACHA20_POLY1305  AEAD FS") {
		t.Errorf("the enc and flags columns should show at 132 columns only\n--- 80\n%s\n--- 132\n%s", narrow, wide)
	}
}

// TestNewScanFormats: JSON and the CI formats render scan results as New
// does; an unknown format is an *UnknownFormatError.
func TestNewScanFormats(t *testing.T) {
	for _, f := range Formats() {
		ios, _, _, _ := iostreams.Test()
		if _, err := NewScan(f, ios, Options{}); err != nil {
			t.Errorf("NewScan(%q): %v", f, err)
		}
	}
	ios, _, out, _ := iostreams.Test()
	r, _ := NewScan("json", ios, Options{})
	_ = r.Add(scanFixtures()[0])
	_ = r.Close()
	if !strings.Contains(out.String(), `"grade": {`) && !strings.Contains(out.String(), `"grade":{`) {
		t.Errorf("JSON lacks the scan grade:\n%s", out.String())
	}
	ios, _, _, _ = iostreams.Test()
	if _, err := NewScan("yaml", ios, Options{}); err == nil {
		t.Error("unknown format accepted")
	} else if _, ok := err.(*UnknownFormatError); !ok {
		t.Errorf("error %T, want *UnknownFormatError", err)
	}
}

// sgrSeq matches colour (Select Graphic Rendition) sequences.
var sgrSeq = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// TestScanTerminal renders on a real pseudo-terminal: the renderer finds
// the terminal, measures its width and colours weak suites, the grade and
// the statuses; with NO_COLOR it sends no escape sequence.
func TestScanTerminal(t *testing.T) {
	for _, noColor := range []string{"", "1"} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Skipf("no pseudo-terminal: %v", err)
		}
		if err := pty.Setsize(ptmx, &pty.Winsize{Cols: 100, Rows: 40}); err != nil {
			t.Fatal(err)
		}
		saved := os.Stdout
		os.Stdout = tty
		ios := iostreams.System()
		os.Stdout = saved
		ios.Getenv = func(k string) string {
			if k == "NO_COLOR" {
				return noColor
			}
			return ""
		}
		if !ios.IsStdoutTTY() || ios.TerminalWidth() != 100 {
			t.Fatalf("pty not seen as a 100-column terminal: tty %v width %d", ios.IsStdoutTTY(), ios.TerminalWidth())
		}
		read := make(chan []byte)
		go func() {
			var b bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, err := ptmx.Read(buf)
				b.Write(buf[:n])
				if err != nil || bytes.Contains(b.Bytes(), []byte("1 target:")) && bytes.HasSuffix(b.Bytes(), []byte("\n")) {
					break
				}
			}
			read <- b.Bytes()
		}()
		r, _ := NewScan("table", ios, Options{})
		_ = r.Add(scanFixtures()[0])
		if err := r.Close(); err != nil {
			t.Fatal(err)
		}
		screen := string(<-read)
		tty.Close()
		ptmx.Close()
		if noColor != "" {
			if strings.Contains(screen, "\x1b[") {
				t.Errorf("NO_COLOR: escape sequences sent:\n%q", screen)
			}
			continue
		}
		for _, want := range []string{
			"\x1b[31mTLS_RSA_WITH_3DES_EDE_CBC_SHA\x1b[0m",           // insecure suite red
			"\x1b[33mTLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384\x1b[0m", // weak suite yellow
			"grade   \x1b[33mC\x1b[0m",                               // the grade
			"\x1b[33myes (weak)\x1b[0m",                              // TLS 1.0
		} {
			if !strings.Contains(screen, want) {
				t.Errorf("terminal output lacks %q:\n%s", want, screen)
			}
		}
		for _, line := range strings.Split(sgrSeq.ReplaceAllString(screen, ""), "\n") {
			if w := runewidth.StringWidth(strings.TrimRight(line, "\r")); w > 100 {
				t.Errorf("line of %d columns on a 100-column terminal: %q", w, line)
			}
		}
	}
}

// TestScanQuiet: --quiet leaves ok targets out of the rows and the
// Markdown table but counts them in the summary.
func TestScanQuiet(t *testing.T) {
	ok := scanFixtures()[0]
	ok.Status, ok.Problems, ok.Detail, ok.Index = result.StatusOK, nil, "", 2
	rs := append(scanFixtures(), ok)
	for _, format := range []string{"table", "markdown"} {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(true)
		ios.SetTerminalWidth(100)
		ios.SetColorDisabled(true)
		r, err := NewScan(format, ios, Options{})
		if err != nil {
			t.Fatal(err)
		}
		q := Quiet(r)
		for _, x := range rs {
			if err := q.Add(x); err != nil {
				t.Fatal(err)
			}
		}
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
		got := out.String()
		if !strings.Contains(got, "3 targets: 1 ok, 1 warn, 1 fail, 0 error") {
			t.Errorf("%s: summary does not count the ok target:\n%s", format, got)
		}
		if strings.Count(got, "api.example.com/hooks/sms") != 1+strings.Count(got, "<summary>https://api") {
			t.Errorf("%s: the ok target is listed:\n%s", format, got)
		}
	}
}

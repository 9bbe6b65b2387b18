package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/proxytest"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
)

// cliEnv runs certgate with an environment and terminal settings.
func cliEnv(t *testing.T, env map[string]string, stderrTTY bool, args ...string) (int, string, string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	ios.Getenv = func(k string) string { return env[k] }
	ios.SetStderrTTY(stderrTTY)
	code := run(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

// twoServers serves an ok certificate and, for example.test, a certificate
// for another name; it returns the store and the targets with their
// --resolve flags.
func twoServers(t *testing.T) (store string, ok, bad []string) {
	t.Helper()
	p := newPKI(t, "CI")
	okAddr := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	badAddr := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("other.test")), p.inter.Cert)
	okT, okR := hostTarget(okAddr, "example.test")
	badT, badR := hostTarget(badAddr, "example.test")
	return p.store, []string{okR, okT}, []string{badR, badT}
}

func TestExitStatusDoesNotDependOnFormat(t *testing.T) {
	store, ok, bad := twoServers(t)
	cases := []struct {
		name string
		args []string
		want int
	}{
		{"all ok", ok, 0},
		{"one fails", append(append([]string{}, ok...), bad...), 1},
		{"fails, --fail-on never", append([]string{"--fail-on", "never"}, bad...), 0},
		{"bad flag", []string{"--fail-on", "sometimes", "example.test"}, 2},
	}
	for _, c := range cases {
		for _, format := range report.Formats() {
			for _, quiet := range []bool{false, true} {
				args := append([]string{"check", epochArg, "--store", store, "-o", format}, c.args...)
				if quiet {
					args = append(args, "--quiet")
				}
				code, out, stderr := cliEnv(t, nil, false, args...)
				if code != c.want {
					t.Errorf("%s, -o %s, quiet %v: exit %d, want %d (stderr %q)", c.name, format, quiet, code, c.want, stderr)
				}
				if c.want != 2 && out == "" && !(quiet && c.want == 0) {
					t.Errorf("%s, -o %s: no output", c.name, format)
				}
			}
		}
	}
}

func TestQuietPrintsOnlyNotOK(t *testing.T) {
	store, ok, bad := twoServers(t)
	args := append(append([]string{"check", "-o", "json", epochArg, "--store", store, "-q"}, ok...), bad...)
	code, out, stderr := cliEnv(t, nil, false, args...)
	rs := decode(t, out, stderr)
	if code != 1 || len(rs) != 1 || rs[0].Status != result.StatusFail {
		t.Fatalf("exit %d, %d results; want 1 and only the failing one: %s", code, len(rs), out)
	}
	// The table's summary still shows.
	args = append(append([]string{"check", "-o", "table", epochArg, "--store", store, "--quiet"}, ok...), bad...)
	_, out, stderr = cliEnv(t, nil, false, args...)
	if n := strings.Count(out, "\n"); n != 2 || !strings.Contains(out+stderr, "2 targets: 1 ok, 0 warn, 1 fail, 0 error") {
		t.Errorf("quiet table: want one row and the summary; stdout %q stderr %q", out, stderr)
	}
}

func TestProgressBar(t *testing.T) {
	store, ok, bad := twoServers(t)
	two := append(append([]string{"check", "-o", "json", epochArg, "--store", store}, ok...), bad...)
	one := append([]string{"check", "-o", "json", epochArg, "--store", store}, ok...)
	list := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(list, []byte(ok[1]+"\n"+bad[1]+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fromFile := []string{"check", "-o", "json", epochArg, "--store", store, ok[0], bad[0], "-f", list}
	for _, c := range []struct {
		name  string
		tty   bool
		piped bool // stdout is not a terminal, stderr is
		env   map[string]string
		args  []string
		want  bool
	}{
		{name: "terminal, two targets", tty: true, args: two, want: true},
		{name: "stdout piped, stderr a terminal", tty: true, piped: true, args: two},
		{name: "TERM=dumb", tty: true, env: map[string]string{"TERM": "dumb"}, args: two},
		{name: "terminal, list file", tty: true, args: fromFile, want: true},
		{name: "not a terminal", tty: false, args: two},
		{name: "CI set", tty: true, env: map[string]string{"CI": "true"}, args: two},
		{name: "CI=false", tty: true, env: map[string]string{"CI": "false"}, args: two, want: true},
		{name: "--quiet", tty: true, args: append(append([]string{}, two...), "--quiet")},
		{name: "one target", tty: true, args: one},
	} {
		t.Run(c.name, func(t *testing.T) {
			ios, _, outBuf, errBuf := iostreams.Test()
			ios.Getenv = func(k string) string { return c.env[k] }
			ios.SetStderrTTY(c.tty)
			ios.SetStdoutTTY(c.tty && !c.piped)
			code := run(context.Background(), c.args, ios)
			out, stderr := outBuf.String(), errBuf.String()
			rs := decode(t, out, stderr)
			if code == 2 || len(rs) == 0 {
				t.Fatalf("exit %d, %d results", code, len(rs))
			}
			shown := strings.Contains(stderr, "checking")
			if shown != c.want {
				t.Fatalf("progress shown = %v, want %v; stderr %q", shown, c.want, stderr)
			}
			if !c.want {
				if stderr != "" {
					t.Errorf("stderr %q, want nothing", stderr)
				}
				return
			}
			// The bar is cleared once all are done, so 2/2 never shows.
			for _, w := range []string{"1/2", "1 failed", "targets/s"} {
				if !strings.Contains(stderr, w) {
					t.Errorf("progress %q lacks %q", stderr, w)
				}
			}
			if !strings.HasSuffix(stderr, "\x1b[2K\r") {
				t.Errorf("progress is not cleared at the end: %q", stderr)
			}
		})
	}
}

func TestCheckThroughProxy(t *testing.T) {
	p := newPKI(t, "Proxied")
	good := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	wrong := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("other.test")), p.inter.Cert)
	target := func(addr string) string {
		// example.test is resolved by the proxy (to loopback), not by certgate.
		return "https://example.test:" + addr[strings.LastIndex(addr, ":")+1:] + "/hooks"
	}
	px := proxytest.Start(t)
	px.User, px.Password = "ci", "p@ss"
	cred := px.URL("ci", "p%40ss")

	for _, c := range []struct {
		name   string
		env    map[string]string
		args   []string
		status result.Status
		code   result.Code
		detail string
	}{
		{name: "--proxy", args: []string{"--proxy", cred, target(good)}, status: result.StatusOK},
		{name: "HTTPS_PROXY", env: map[string]string{"HTTPS_PROXY": cred}, args: []string{target(good)}, status: result.StatusOK},
		{name: "https_proxy", env: map[string]string{"https_proxy": cred}, args: []string{target(good)}, status: result.StatusOK},
		{name: "validated for the target host", args: []string{"--proxy", cred, target(wrong)}, status: result.StatusFail, code: 11235},
		{name: "no credentials", args: []string{"--proxy", px.URL("", ""), target(good)}, status: result.StatusError, code: 11205, detail: "407"},
		{name: "proxy refused", args: []string{"--proxy", "http://" + testpki.ClosedPort(t), target(good)}, status: result.StatusError, code: 11205, detail: "cannot reach proxy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"check", "-o", "json", epochArg, "--store", p.store}, c.args...)
			_, out, stderr := cliEnv(t, c.env, false, args...)
			rs := decode(t, out, stderr)
			if len(rs) != 1 || rs[0].Status != c.status || rs[0].Code != c.code {
				t.Fatalf("got %+v, want %s %d", rs, c.status, c.code)
			}
			if !strings.Contains(rs[0].Detail, c.detail) {
				t.Errorf("detail %q does not mention %q", rs[0].Detail, c.detail)
			}
			if strings.Contains(out, "p@ss") || strings.Contains(out, "p%40ss") {
				t.Errorf("output shows the proxy password: %s", out)
			}
		})
	}
	for _, c := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{args: []string{"--proxy", "socks5://127.0.0.1:1080"}, want: "--proxy"},
		{env: map[string]string{"HTTPS_PROXY": "https://proxy.example:443"}, want: "HTTPS_PROXY"},
	} {
		code, out, stderr := cliEnv(t, c.env, false, append(append([]string{"check"}, c.args...), "example.test")...)
		if code != 2 || out != "" || !strings.Contains(stderr, c.want) || !strings.Contains(stderr, "unsupported proxy scheme") {
			t.Errorf("%v %v: exit %d stderr %q; want 2 naming %s", c.env, c.args, code, stderr, c.want)
		}
	}
}

func TestCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		code, out, stderr := cli(t, "", "completion", shell)
		if code != 0 || !strings.Contains(out, "certgate") || len(out) < 500 {
			t.Errorf("completion %s: exit %d, %d bytes, stderr %q", shell, code, len(out), stderr)
		}
	}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"__complete", ""}, []string{"check", "verify", "roots", "version", "completion"}},
		{[]string{"__complete", "check", "--"}, []string{"--output", "--store", "--quiet", "--proxy", "--fail-on"}},
		{[]string{"__complete", "check", "--output", ""}, report.Formats()},
		{[]string{"__complete", "check", "-o", "j"}, []string{"json", "jsonl", "junit"}},
		{[]string{"__complete", "check", "--store", ""}, []string{"mozilla", "java", "system"}},
		{[]string{"__complete", "check", "--fail-on", ""}, []string{"error", "warn", "never"}},
	} {
		code, out, _ := cli(t, "", c.args...)
		if code != 0 {
			t.Errorf("%v: exit %d", c.args, code)
		}
		got := map[string]bool{}
		for _, l := range strings.Split(out, "\n") {
			name, _, _ := strings.Cut(l, "\t")
			got[name] = true
		}
		for _, w := range c.want {
			if !got[w] {
				t.Errorf("%v: completions %q lack %q", c.args, out, w)
			}
		}
		if got["man"] {
			t.Errorf("%v: the hidden man command is offered", c.args)
		}
	}
}

func TestManPages(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man")
	code, out, stderr := cliEnv(t, nil, false, "man", "--dir", dir)
	if code != 0 || out != "" {
		t.Fatalf("man: exit %d, stdout %q, stderr %q", code, out, stderr)
	}
	for _, page := range []string{"certgate.1", "certgate-check.1", "certgate-verify.1", "certgate-completion.1"} {
		b, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("%s not written: %v", page, err)
			continue
		}
		if !strings.HasPrefix(string(b), ".nh\n.TH \"CERTGATE\" \"1\"") {
			t.Errorf("%s is not a section 1 man page: %.60q", page, b)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "certgate-check.1")); !strings.Contains(string(b), "proxy") || !strings.Contains(string(b), "quiet") {
		t.Errorf("certgate-check.1 does not document --proxy and --quiet")
	}
	if _, err := os.Stat(filepath.Join(dir, "certgate-man.1")); err == nil {
		t.Errorf("the hidden man command has a page")
	}
	if code, _, stderr := cli(t, "", "man"); code != 2 || !strings.Contains(stderr, "--dir") {
		t.Errorf("man without --dir: exit %d stderr %q, want 2 naming --dir", code, stderr)
	}
}

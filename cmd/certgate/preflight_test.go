package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/hooktest"
	"github.com/certgate/certgate/internal/proxytest"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
)

// normalizeHTTP is normalize plus the HTTP leg's timings.
func normalizeHTTP(s, tmp string) string {
	s = normalize(s, tmp)
	s = regexp.MustCompile(`"(connect_ms|tls_ms|first_byte_ms|total_ms)": [0-9.e+-]+`).ReplaceAllString(s, `"$1": 0`)
	// The terminal and Markdown forms of the same timings.
	return regexp.MustCompile(`\b[0-9]+\.[0-9] ms\b`).ReplaceAllString(s, "N ms")
}

func answer(code int, hdr ...string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
	})
}

// hookServer serves h as host under the pki's intermediate.
func hookServer(t *testing.T, p *pki, host string, h http.Handler) (*hooktest.Server, string, string) {
	t.Helper()
	s := hooktest.Start(t, p.inter.Leaf(t, testpki.DNS(host)), []*x509.Certificate{p.inter.Cert}, h)
	target, resolve := hostTarget(s.Addr, host)
	return s, target, resolve
}

// TestPreflightListProfilesGolden pins the profile table and its JSON.
func TestPreflightListProfilesGolden(t *testing.T) {
	for _, c := range []struct{ name, output string }{{"preflight_profiles_table", "table"}, {"preflight_profiles_json", "json"}} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", "preflight", "--list-profiles", "-o", c.output)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			goldenFile(t, c.name, out)
		})
	}
}

// TestPreflightGolden runs preflight over an endpoint that answers 200,
// one that redirects, one that answers 404 and one that redirects to
// http://, and pins the JSON and the table.
func TestPreflightGolden(t *testing.T) {
	p := newPKI(t, "Preflight")
	final, tFinal, rFinal := hookServer(t, p, "final.test", answer(200))
	_, tOK, rOK := hookServer(t, p, "ok.test", answer(204))
	_, tRedir, rRedir := hookServer(t, p, "moved.test", answer(301, "Location", strings.Replace(tFinal, "/hooks", "/final", 1)))
	_, t404, r404 := hookServer(t, p, "missing.test", answer(404))
	_, tHTTP, rHTTP := hookServer(t, p, "downgrade.test", answer(302, "Location", "http://final.test:"+final.Port+"/"))
	args := []string{"preflight", epochArg, "--store", p.store, "--allow-private", "-c", "1", rFinal, rOK, rRedir, r404, rHTTP, tOK, tRedir, t404, tHTTP}
	tmp := filepath.Dir(p.store)
	for _, c := range []struct {
		name  string
		width int // a terminal this wide; 0 for a pipe
		args  []string
	}{
		{"preflight_json", 0, []string{"-o", "json"}},
		{"preflight_table", 0, nil},
		{"preflight_table_tty_80", 80, []string{"--no-color"}},
		{"preflight_table_tty_132", 132, []string{"--no-color"}},
		{"preflight_table_tty_verbose", 132, []string{"-v", "--no-color"}},
		{"preflight_markdown", 0, []string{"-o", "markdown"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetTerminalWidth(200)
			if c.width > 0 {
				ios.SetStdoutTTY(true)
				ios.SetTerminalWidth(c.width)
			}
			if code := run(context.Background(), append(append([]string{}, args...), c.args...), ios); code != 1 {
				t.Errorf("exit %d, want 1 (stderr %s)", code, errOut)
			}
			got := normalizeHTTP(out.String(), tmp)
			if c.width > 0 {
				for _, l := range strings.Split(got, "\n") {
					if w := len([]rune(l)); w > c.width && !strings.HasPrefix(l, " ") {
						t.Errorf("a table line is %d wide on a %d-column terminal: %q", w, c.width, l)
					}
				}
			}
			goldenFile(t, c.name, got)
		})
	}
}

// TestPreflightSendsNoPOST: the default preflight makes HEAD (and GET when
// HEAD is refused), never POST; --method POST is what sends one.
func TestPreflightSendsNoPOST(t *testing.T) {
	p := newPKI(t, "NoPost")
	s, target, resolve := hookServer(t, p, "hook.test", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.WriteHeader(http.StatusMethodNotAllowed)
		}
	}))
	for _, profile := range []string{"twilio", "stripe", "github", "slack", "browser"} {
		if code, _, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "--profile", profile, resolve, target); code != 0 {
			t.Fatalf("%s: exit %d: %s", profile, code, errOut)
		}
	}
	if m := s.Methods(); slices.Contains(m, "POST") || len(m) != 10 {
		t.Fatalf("the endpoint saw %v, want HEAD and GET five times and no POST", m)
	}
	if code, _, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "--method", "post", resolve, target); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if m := s.Methods(); m[len(m)-1] != "POST" {
		t.Errorf("--method POST sent %v", m)
	}
}

// TestPreflightUsage: each bad preflight flag exits 2 and names the flag.
func TestPreflightUsage(t *testing.T) {
	t.Setenv("CERTGATE_TEST_EMPTY", "")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown profile", []string{"--profile", "paypal", "example.com"}, "--profile"},
		{"bad method", []string{"--method", "DELETE", "example.com"}, "--method"},
		{"data without POST", []string{"--data", "@x", "example.com"}, "--data"},
		{"data not @FILE", []string{"--method", "POST", "--data", "a=b", "example.com"}, "--data"},
		{"data missing file", []string{"--method", "POST", "--data", "@/nonexistent/body", "example.com"}, "--data"},
		{"secret without POST", []string{"--secret-env", "HOME", "example.com"}, "--secret-env"},
		{"secret unset", []string{"--method", "POST", "--secret-env", "CERTGATE_TEST_UNSET_X", "example.com"}, "--secret-env"},
		{"secret empty", []string{"--method", "POST", "--secret-env", "CERTGATE_TEST_EMPTY", "example.com"}, "--secret-env"},
		{"browser does not sign", []string{"--profile", "browser", "--method", "POST", "--secret-env", "HOME", "example.com"}, "--secret-env"},
		{"list with targets", []string{"--list-profiles", "example.com"}, "--list-profiles"},
		{"no targets", nil, "no targets"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, errOut := cli(t, "", append([]string{"preflight"}, c.args...)...)
			if code != 2 || !strings.Contains(errOut, c.want) {
				t.Errorf("exit %d, stderr %q: want 2 naming %s", code, errOut, c.want)
			}
		})
	}
}

// TestPreflightSecretNeverPrinted: a signed POST's secret appears in no
// output format, on stdout or stderr, whatever the endpoint answers.
func TestPreflightSecretNeverPrinted(t *testing.T) {
	const secret = "tok-8c1f5e-very-secret"
	t.Setenv("CERTGATE_TEST_SECRET", secret)
	p := newPKI(t, "Secret")
	_, tOK, rOK := hookServer(t, p, "ok.test", answer(200))
	_, tBad, rBad := hookServer(t, p, "bad.test", answer(403))
	for _, format := range report.Formats() {
		t.Run(format, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			args := []string{"preflight", epochArg, "--store", p.store, "--allow-private", "--method", "POST", "--secret-env", "CERTGATE_TEST_SECRET", "-v", "-o", format, rOK, rBad, tOK, tBad}
			if code := run(context.Background(), args, ios); code != 1 {
				t.Errorf("exit %d, want 1 (stderr %s)", code, errOut)
			}
			if all := out.String() + errOut.String(); strings.Contains(all, secret) {
				t.Errorf("the secret is in the output:\n%s", all)
			}
		})
	}
}

// TestPreflightFragmentOverride: an override out of range is that
// target's error (11100), and the other targets are still checked.
func TestPreflightFragmentOverride(t *testing.T) {
	p := newPKI(t, "Override")
	_, target, resolve := hookServer(t, p, "hook.test", answer(200))
	code, out, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "-o", "json", resolve, target+"#ct=50", target+"#ct=3000&rc=0")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if rs[0].Code != result.CodeInvalidURL || problemIDs(rs[0])[0] != result.ProblemOverrideInvalid {
		t.Errorf("out of range: code %d problems %v", rs[0].Code, problemIDs(rs[0]))
	}
	if rs[1].Code != 0 || rs[1].HTTP == nil || rs[1].HTTP.Overrides["ct"] != "3000" || rs[1].HTTP.Attempts != 1 {
		t.Errorf("in range: code %d http %+v", rs[1].Code, rs[1].HTTP)
	}
	// The budgets recorded are the profile's with the overrides applied.
	if b := rs[1].HTTP.Budgets; b == nil || b.ConnectMS != 3000 || b.Attempts != 1 || b.ReadMS != 15000 {
		t.Errorf("budgets %+v, want connect 3000 ms, 1 attempt, read 15000 ms", b)
	}
}

// TestPreflightThroughProxy: with --proxy the HTTP request goes through the
// proxy, as the handshake does.
func TestPreflightThroughProxy(t *testing.T) {
	p := newPKI(t, "Proxied")
	s, target, _ := hookServer(t, p, "hook.test", answer(200))
	px := proxytest.Start(t)
	code, out, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "--proxy", px.URL("", ""), "-o", "json", target)
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	if m := s.Methods(); len(m) != 1 || m[0] != "HEAD" {
		t.Errorf("the endpoint saw %v", m)
	}
	// The check's handshake, the request and the handshake without SNI.
	if n := len(px.Requests()); n < 3 {
		t.Errorf("the proxy saw %d CONNECTs, want at least 3: %+v", n, px.Requests())
	}
}

// TestPreflightCredentialsChallenge: a URL with credentials is accepted by
// preflight, the credentials are never sent nor printed, and a 401
// challenge is the warning that the sender retries with them.
func TestPreflightCredentialsChallenge(t *testing.T) {
	const password = "pw-51c0ffee"
	p := newPKI(t, "Creds")
	s, target, resolve := hookServer(t, p, "hook.test", answer(401, "WWW-Authenticate", `Basic realm="hooks"`))
	withCreds := strings.Replace(target, "https://", "https://twilio:"+password+"@", 1)
	code, out, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", "-o", "json", resolve, withCreds, target)
	if code != 1 {
		t.Fatalf("exit %d, want 1 (the target without credentials fails): %s", code, errOut)
	}
	if strings.Contains(out+errOut, password) {
		t.Errorf("the password is in the output:\n%s%s", out, errOut)
	}
	for _, r := range s.Requests() {
		if r.Header.Get("Authorization") != "" {
			t.Errorf("credentials were sent: %v", r.Header)
		}
	}
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatal(err)
	}
	if rs[0].Status != result.StatusWarn || !slices.Contains(problemIDs(rs[0]), result.ProblemHTTPAuthChallenge) {
		t.Errorf("with credentials: %s %v", rs[0].Status, problemIDs(rs[0]))
	}
	if rs[1].Code != result.CodeHTTPErrorStatus {
		t.Errorf("without credentials: code %d, want 11217", rs[1].Code)
	}
}

// TestPreflightNoSNI: with --no-sni the request sends no server name, as
// the handshake does not; by default it sends one.
func TestPreflightNoSNI(t *testing.T) {
	p := newPKI(t, "NoSNI")
	s, target, resolve := hookServer(t, p, "hook.test", answer(200))
	for _, c := range []struct {
		flag string
		sni  string
	}{{"--no-sni", ""}, {"--fail-on=error", "hook.test"}} {
		if code, _, errOut := cli(t, "", "preflight", epochArg, "--store", p.store, "--allow-private", c.flag, resolve, target); code != 0 {
			t.Fatalf("%s: exit %d: %s", c.flag, code, errOut)
		}
		rs := s.Requests()
		if got := rs[len(rs)-1].SNI; got != c.sni {
			t.Errorf("%s: the request's server name %q, want %q", c.flag, got, c.sni)
		}
	}
}

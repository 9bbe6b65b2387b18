package main

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "certgate.yaml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func portOfAddr(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// TestCheckConfig: each endpoint of certgate.yaml is checked with its own
// settings, and targets given as well are added; --only filters.
func TestCheckConfig(t *testing.T) {
	p := newPKI(t, "Config")
	e := testpki.Epoch
	web := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("web.test")), p.inter.Cert)
	soon := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("soon.test"), testpki.Validity(e.AddDate(0, -2, 0), e.AddDate(0, 0, 9))), p.inter.Cert)
	other := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("other.test")), p.inter.Cert)
	cfg := writeConfig(t, fmt.Sprintf(`defaults:
  warn_days: 5
  labels: {env: prod}
endpoints:
  # the server's name is sent by sni and validated, though the target is an address
  - target: 127.0.0.1:%s
    sni: web.test
    labels: {team: web}
  # expires in 9 days: no warning with the default of 5 days, one with 14
  - target: soon.test:%s
    resolve: 127.0.0.1
    labels: {team: web}
  - target: soon.test:%s
    resolve: [127.0.0.1]
    warn_days: 14
    sni: soon.test
    labels: {team: mail}
  - target: https://other.test:%s
    resolve: 127.0.0.1
    labels: {team: mail}
    expect: {root: Config Root, issuer: "Config Issuing CA", addresses: 1}
`, portOfAddr(t, web), portOfAddr(t, soon), portOfAddr(t, soon), portOfAddr(t, other)))
	code, rs, errOut := jsonResults(t, "--store", p.store, "--config", cfg, "-c", "1", testpki.ClosedPort(t))
	if len(rs) != 5 {
		t.Fatalf("%d results, want 4 from the config and 1 argument (exit %d, %s)", len(rs), code, errOut)
	}
	want := []result.Status{result.StatusOK, result.StatusOK, result.StatusWarn, result.StatusOK, result.StatusError}
	for i, r := range rs {
		if r.Status != want[i] {
			t.Errorf("result %d (%s): %s (%s), want %s", i, r.Target, r.Status, r.Detail, want[i])
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1 for the refused argument", code)
	}

	code, rs, errOut = jsonResults(t, "--store", p.store, "--config", cfg, "--only", "team=mail")
	if code != 0 || len(rs) != 2 || rs[0].Target != "soon.test:"+portOfAddr(t, soon) || !strings.HasSuffix(rs[1].Target, portOfAddr(t, other)) {
		t.Errorf("--only team=mail: exit %d, %d results (%s)", code, len(rs), errOut)
	}
}

// TestCheckConfigExpect: a pinned root or issuer that does not match fails
// the target with 11237; an unexpected number of addresses warns.
func TestCheckConfigExpect(t *testing.T) {
	p := newPKI(t, "Pinned")
	srv := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("pin.test")), p.inter.Cert)
	port := portOfAddr(t, srv)
	for _, tc := range []struct {
		name, expect string
		status       result.Status
		code         result.Code
		id           string
	}{
		{"root by name", "{root: pinned root}", result.StatusOK, 0, ""},
		{"root by fingerprint", fmt.Sprintf("{root: %q}", fingerprintOf(p.root.Cert)), result.StatusOK, 0, ""},
		{"other root", "{root: ISRG Root X1}", result.StatusFail, result.CodeNoPath, result.ProblemExpectRootMismatch},
		{"issuer", "{issuer: Pinned Issuing CA}", result.StatusOK, 0, ""},
		{"other issuer", "{issuer: R11}", result.StatusFail, result.CodeNoPath, result.ProblemExpectIssuerMismatch},
		{"addresses", "{addresses: 2}", result.StatusWarn, 0, result.ProblemExpectAddresses},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, fmt.Sprintf("endpoints:\n  - target: pin.test:%s\n    resolve: 127.0.0.1\n    expect: %s\n", port, tc.expect))
			_, rs, errOut := jsonResults(t, "--store", p.store, "--config", cfg)
			if len(rs) != 1 {
				t.Fatalf("%d results: %s", len(rs), errOut)
			}
			r := rs[0]
			if r.Status != tc.status || r.Code != tc.code {
				t.Errorf("%s %d (%s), want %s %d", r.Status, r.Code, r.Detail, tc.status, tc.code)
			}
			if tc.id != "" && !hasChange(r, tc.id) {
				t.Errorf("problems %v lack %s", problemIDs(r), tc.id)
			}
			if tc.id != "" && !strings.Contains(r.Detail, cfg+":2") {
				t.Errorf("detail %q does not name the config entry %s:2", r.Detail, cfg)
			}
		})
	}
}

// TestCheckConfigErrors: a bad config file is a usage error (exit 2)
// naming the file, the line and the fix; nothing is checked.
func TestCheckConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		args       []string
		want       string
	}{
		{"unknown key", "endpoints:\n  - target: a.test\n    warndays: 3\n", nil, ":3: unknown key \"warndays\" in an endpoint (did you mean warn_days?"},
		{"bad value", "endpoints:\n  - target: a.test\n    resolve: a.test\n", nil, ":3: resolve \"a.test\" is not an IP address"},
		{"unknown client", "endpoints:\n  - target: a.test\n    client: netscape-4\n", nil, ":2: client \"netscape-4\" is not a recorded client"},
		{"starttls", "endpoints:\n  - target: a.test\n    starttls: smtps\n", nil, ":3: starttls"},
		{"only matches nothing", "endpoints:\n  - target: a.test\n    labels: {team: web}\n", []string{"--only", "team=mail"}, "--only team=mail: no endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := writeConfig(t, tc.body)
			code, out, errOut := cli(t, "", append([]string{"check", "--config", cfg}, tc.args...)...)
			if code != 2 || !strings.Contains(errOut, tc.want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, tc.want)
			}
		})
	}
	code, _, errOut := cli(t, "", "check", "--config", filepath.Join(t.TempDir(), "none.yaml"))
	if code != 2 || !strings.Contains(errOut, "none.yaml: no such file") {
		t.Errorf("missing --config: exit %d, %q", code, errOut)
	}
}

// TestCheckConfigFound: ./certgate.yaml is read without --config.
func TestCheckConfigFound(t *testing.T) {
	p := newPKI(t, "Found")
	srv := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("found.test")), p.inter.Cert)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "certgate.yaml"), []byte(fmt.Sprintf("endpoints:\n  - target: found.test:%s\n    resolve: 127.0.0.1\n", portOfAddr(t, srv))), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	code, out, errOut := cli(t, "", "check", "-o", "json", epochArg, "--store", p.store)
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || code != 0 || len(rs) != 1 || rs[0].Host != "found.test" {
		t.Errorf("exit %d, %v, %d results, stderr %s", code, err, len(rs), errOut)
	}

	// --no-config checks only the targets given.
	code, out, errOut = cli(t, "", "check", "-o", "json", epochArg, "--store", p.store, "--no-config", "--resolve", "other.test:"+portOfAddr(t, srv)+":127.0.0.1", "other.test:"+portOfAddr(t, srv))
	rs = nil
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 || rs[0].Host != "other.test" {
		t.Errorf("--no-config: exit %d, %v, %d results, stderr %s", code, err, len(rs), errOut)
	}
	for _, args := range [][]string{{"--no-config", "--config", "certgate.yaml"}, {"--no-config", "--only", "team=web"}} {
		code, out, errOut = cli(t, "", append([]string{"check"}, append(args, "found.test")...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, "--no-config") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 naming --no-config", args, code, out, errOut)
		}
	}
}

// An endpoint's starttls upgrades that endpoint alone: the same bare
// host:port is judged over SMTP STARTTLS and, without it, fails to shake
// hands with a server that only speaks SMTP.
func TestCheckConfigStartTLS(t *testing.T) {
	p := newPKI(t, "Mail")
	cfg := &tls.Config{Certificates: []tls.Certificate{p.inter.Leaf(t, testpki.DNS("mx.test")).TLSCert(p.inter.Cert)}}
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "smtp", TLS: cfg})
	port := portOfAddr(t, addr)
	file := writeConfig(t, fmt.Sprintf(`endpoints:
  - target: mx.test:%s
    resolve: 127.0.0.1
    starttls: smtp
  - target: mx.test:%s
    resolve: 127.0.0.1
    sni: mx.test
`, port, port))
	code, rs, errOut := jsonResults(t, "--store", p.store, "--config", file, "-c", "1")
	if len(rs) != 2 {
		t.Fatalf("%d results, want 2 (exit %d, %s)", len(rs), code, errOut)
	}
	if r := rs[0]; r.Status != result.StatusOK || r.StartTLS != "smtp" {
		t.Errorf("with starttls: %s %q (%s), want ok over smtp", r.Status, r.StartTLS, r.Detail)
	}
	if r := rs[1]; r.Status != result.StatusError || r.Code != result.CodeHandshake || r.StartTLS != "" {
		t.Errorf("without starttls: %s %d %q, want error 11220 and no starttls", r.Status, r.Code, r.StartTLS)
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
}

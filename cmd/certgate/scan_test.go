package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testocsp"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// hstsServer is an HTTPS server presenting a leaf of p for host that
// answers every request with the given Strict-Transport-Security header
// ("" for none) and counts the requests by method.
func hstsServer(t *testing.T, p *pki, host, hsts string, methods map[string]int) string {
	t.Helper()
	leaf := p.inter.Leaf(t, testpki.DNS(host))
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		methods[r.Method]++
		if hsts != "" {
			w.Header().Set("Strict-Transport-Security", hsts)
		}
		w.Write([]byte("ok\n"))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert(p.inter.Cert)}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

// TestScanCommand: certgate scan gives exactly one result a target, with
// check's verdict and a scan object, HSTS read with one GET.
func TestScanCommand(t *testing.T) {
	p := newPKI(t, "Scan")
	methods := map[string]int{}
	addr := hstsServer(t, p, "api.example.test", "max-age=15552000; includeSubDomains", methods)
	tgt, resolve := hostTarget(addr, "api.example.test")

	code, out, errOut := cli(t, "", "check", "-o", "json", epochArg, "--store", p.store, resolve, tgt)
	checkRs := decode(t, out, errOut)
	code2, out2, errOut2 := cli(t, "", "scan", "-o", "json", epochArg, "--store", p.store, resolve, tgt, "--clients", "java-17,openssl-3")
	rs := decode(t, out2, errOut2)
	if len(rs) != 1 || len(checkRs) != 1 {
		t.Fatalf("%d scan results, %d check results; want 1 each", len(rs), len(checkRs))
	}
	r := rs[0]
	if code2 != code || r.Status != checkRs[0].Status || r.Code != checkRs[0].Code {
		t.Errorf("scan exit %d status %s code %d; check exit %d status %s code %d", code2, r.Status, r.Code, code, checkRs[0].Status, checkRs[0].Code)
	}
	if r.Scan == nil {
		t.Fatal("no scan object")
	}
	s := r.Scan
	if s.Features.HSTS == nil || s.Features.HSTS.MaxAge != 15552000 || !s.Features.HSTS.IncludeSubdomains || !s.Features.HSTSChecked {
		t.Errorf("hsts %+v", s.Features.HSTS)
	}
	if methods["GET"] != 1 || len(methods) != 1 {
		t.Errorf("requests by method %v, want one GET", methods)
	}
	if len(s.Clients) != 2 || s.Clients[0].Profile != "java-17" || !s.Clients[0].OK {
		t.Errorf("client simulations %+v, want java-17 and openssl-3", s.Clients)
	}
	if len(s.CipherSuites) == 0 || s.Probes == 0 || s.ServerKey != "ECDSA P-256" {
		t.Errorf("suites %d, probes %d, key %q", len(s.CipherSuites), s.Probes, s.ServerKey)
	}
}

// TestScanUntrustedNoHSTSRequest: a chain no selected store trusts gets
// no HTTP request, and the scan still reports its configuration.
func TestScanUntrustedNoHSTSRequest(t *testing.T) {
	p := newPKI(t, "Scan")
	other := newPKI(t, "Other")
	methods := map[string]int{}
	addr := hstsServer(t, p, "api.example.test", "max-age=1", methods)
	tgt, resolve := hostTarget(addr, "api.example.test")
	_, out, errOut := cli(t, "", "scan", "-o", "json", epochArg, "--store", other.store, resolve, tgt, "--clients", "java-17")
	rs := decode(t, out, errOut)
	if len(rs) != 1 || rs[0].Status != result.StatusFail || rs[0].Scan == nil {
		t.Fatalf("want one fail result with a scan: %+v", rs)
	}
	if f := rs[0].Scan.Features; f.HSTS != nil || f.HSTSChecked || f.HSTSNotChecked != result.HSTSUntrustedChain || len(methods) != 0 {
		t.Errorf("HSTS %+v checked %v (%q), requests %v; want none over an untrusted chain, and said so", f.HSTS, f.HSTSChecked, f.HSTSNotChecked, methods)
	}
}

// TestScanUsageErrors: scan's own flags are checked before any work.
func TestScanUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"scan", "--min-grade", "Z", "example.test"}, "--min-grade"},
		{[]string{"scan", "--min-grade", "", "--clients", "nosuch", "example.test"}, "--clients"},
		{[]string{"scan"}, "no targets"},
		{[]string{"scan", "-c", "0", "x"}, "--concurrency"},
	}
	for _, tt := range tests {
		code, _, errOut := cli(t, "", tt.args...)
		if code != exitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 naming %s", tt.args, code, errOut, tt.want)
		}
	}
	if code, out, _ := cli(t, "", "scan", "--list-clients"); code != 0 || !strings.Contains(out, "java-17") {
		t.Errorf("scan --list-clients: exit %d\n%s", code, out)
	}
	if code, _, _ := cli(t, "", "scan", "--min-grade", "a-", "--help"); code != 0 {
		t.Errorf("scan --help exit %d", code)
	}
}

// TestScanSkipsStalledServer: a server that never answers the hello gets
// check's timeout verdict and no scan (which would wait out --timeout on
// every connection).
func TestScanSkipsStalledServer(t *testing.T) {
	addr := testpki.ServeRaw(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	_, out, errOut := cli(t, "", "scan", "-o", "json", "--timeout", "300ms", "https://"+addr+"/")
	rs := decode(t, out, errOut)
	if len(rs) != 1 || rs[0].Status != result.StatusError || rs[0].Scan != nil {
		t.Fatalf("want one error result without a scan: %+v", rs)
	}
}

// TestScanGradeAndMinGrade: a scan result carries its grade and the
// weaknesses behind its caps as problems, and --min-grade fails the run
// (exit 1) exactly when the grade is below it; an untrusted chain grades
// T with the grade ignoring trust given.
func TestScanGradeAndMinGrade(t *testing.T) {
	p := newPKI(t, "Scan")
	// HSTS shorter than 180 days caps the grade at A-.
	addr := hstsServer(t, p, "api.example.test", "max-age=600", map[string]int{})
	tgt, resolve := hostTarget(addr, "api.example.test")
	base := []string{"scan", "-o", "json", epochArg, "--store", p.store, resolve, tgt, "--clients", "java-17"}

	code, out, errOut := cli(t, "", base...)
	rs := decode(t, out, errOut)
	if len(rs) != 1 || rs[0].Scan == nil || rs[0].Scan.Grade == nil {
		t.Fatalf("want one graded scan result: exit %d, %s", code, errOut)
	}
	g := rs[0].Scan.Grade
	if g.Grade != "A-" || code != 0 {
		t.Errorf("grade %s (caps %+v), exit %d; want A- and 0", g.Grade, g.Caps, code)
	}
	if !hasProblem(rs[0], result.ProblemHSTSMissing, result.SeverityInfo) {
		t.Errorf("problems %v, want the hsts weakness listed", problemIDs(rs[0]))
	}
	for _, tc := range []struct {
		min  string
		exit int
	}{{"A-", 0}, {"b", 0}, {"A", 1}, {"A+", 1}} {
		code, _, errOut := cli(t, "", append(base, "--min-grade", tc.min)...)
		if code != tc.exit {
			t.Errorf("--min-grade %s: exit %d, want %d (%s)", tc.min, code, tc.exit, errOut)
		}
	}

	other := newPKI(t, "Other")
	_, out, errOut = cli(t, "", "scan", "-o", "json", epochArg, "--store", other.store, resolve, tgt, "--clients", "java-17")
	rs = decode(t, out, errOut)
	// No GET goes over an untrusted chain: HSTS is not measured, so it
	// neither caps the grade ignoring trust nor is reported missing.
	if len(rs) != 1 || rs[0].Scan == nil || rs[0].Scan.Grade == nil || rs[0].Scan.Grade.Grade != "T" || rs[0].Scan.Grade.IgnoringTrust != "A" {
		t.Errorf("untrusted chain: want grade T ignoring trust A, got %+v", rs[0].Scan)
	}
	if len(rs) == 1 && (hasProblem(rs[0], result.ProblemHSTSMissing, result.SeverityInfo) || !hasProblem(rs[0], result.ProblemHSTSNotChecked, result.SeverityInfo)) {
		t.Errorf("untrusted chain: problems %v, want hsts-not-checked and no hsts-missing", problemIDs(rs[0]))
	}
}

// TestScanStartTLS: a STARTTLS target is scanned through a fresh dialogue
// on every connection: the scan finds the server's protocols and suites,
// sends no HTTP request, and the verdict is check's.
func TestScanStartTLS(t *testing.T) {
	p := newPKI(t, "Mail")
	cfg := &tls.Config{Certificates: []tls.Certificate{p.inter.Leaf(t, testpki.DNS("mx.example.test")).TLSCert(p.inter.Cert)},
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12}
	for _, proto := range []string{"smtp", "imap", "postgres"} {
		t.Run(proto, func(t *testing.T) {
			addr := starttlsfake.Start(t, starttlsfake.Config{Proto: proto, TLS: cfg})
			port := portOfAddr(t, addr)
			code, out, errOut := cli(t, "", "scan", "-o", "json", epochArg, "--store", p.store, "--clients", "java-17",
				"--resolve=mx.example.test:"+port+":127.0.0.1", proto+"://mx.example.test:"+port)
			rs := decode(t, out, errOut)
			if len(rs) != 1 || rs[0].Scan == nil {
				t.Fatalf("want one scan result: exit %d, %s", code, errOut)
			}
			r := rs[0]
			if r.Status != result.StatusOK || r.StartTLS != proto {
				t.Errorf("status %s (%s), starttls %q; want ok over %s", r.Status, r.Detail, r.StartTLS, proto)
			}
			supported := map[string]bool{}
			for _, v := range r.Scan.Protocols {
				supported[v.Version] = v.Supported
			}
			if !supported["TLS 1.2"] || supported["TLS 1.3"] || supported["TLS 1.0"] {
				t.Errorf("protocols %+v, want TLS 1.2 only", r.Scan.Protocols)
			}
			if len(r.Scan.CipherSuites) == 0 || r.Scan.Features.HSTS != nil {
				t.Errorf("%d suites, hsts %+v; want suites and no HTTP request", len(r.Scan.CipherSuites), r.Scan.Features.HSTS)
			}
			if len(r.Scan.Clients) != 1 || !r.Scan.Clients[0].OK {
				t.Errorf("client simulations %+v, want java-17 to connect through the dialogue", r.Scan.Clients)
			}
		})
	}
}

// TestScanConfigMinGrade: an endpoint's expect.min_grade in certgate.yaml
// fails the run when its grade is below it, and wins over --min-grade.
func TestScanConfigMinGrade(t *testing.T) {
	p := newPKI(t, "Scan")
	addr := hstsServer(t, p, "api.example.test", "", map[string]int{}) // no HSTS: A-
	port := portOfAddr(t, addr)
	for _, tc := range []struct {
		min  string
		args []string
		exit int
	}{{"B", nil, 0}, {"A", nil, 1}, {"B", []string{"--min-grade", "A+"}, 0}, {"A", []string{"--min-grade", "C"}, 1}} {
		file := writeConfig(t, fmt.Sprintf("endpoints:\n  - target: https://api.example.test:%s\n    resolve: 127.0.0.1\n    expect: {min_grade: %q}\n", port, tc.min))
		code, _, errOut := cli(t, "", append([]string{"scan", "-o", "json", epochArg, "--store", p.store, "--clients", "java-17", "--config", file}, tc.args...)...)
		if code != tc.exit {
			t.Errorf("min_grade %s %v: exit %d, want %d (%s)", tc.min, tc.args, code, tc.exit, errOut)
		}
	}
}

// TestScanRevocation: with --revocation a scan asks the responder the leaf
// names; a revoked leaf warns for the default Java sender, which does not
// check revocation, and fails with 11237 for a browser client.
func TestScanRevocation(t *testing.T) {
	p := newPKI(t, "Scan")
	signer := testocsp.Signer{Issuer: p.inter.Cert, Cert: p.inter.Cert, Key: p.inter.Key}
	responder := testocsp.NewResponder(t, func(req *ocsp.Request) []byte {
		return signer.Response(t, ocsp.Response{SerialNumber: req.SerialNumber, Status: ocsp.Revoked,
			RevokedAt: testpki.Epoch.Add(-48 * time.Hour), ThisUpdate: testpki.Epoch.Add(-time.Hour), NextUpdate: testpki.Epoch.Add(24 * time.Hour)})
	})
	leaf := p.inter.Leaf(t, testpki.DNS("api.example.test"), testpki.OCSP(responder.URL))
	tgt, resolve := hostTarget(testpki.ServeCert(t, leaf, p.inter.Cert), "api.example.test")
	for _, tc := range []struct {
		args   []string
		status result.Status
		code   result.Code
		sev    result.Severity
	}{
		{nil, result.StatusWarn, result.CodeNone, result.SeverityWarn},
		{[]string{"--client", "chromium-148"}, result.StatusFail, result.CodeNoPath, result.SeverityError},
	} {
		args := append([]string{"scan", "-o", "json", epochArg, "--store", p.store, "--clients", "java-17", "--revocation", resolve, tgt}, tc.args...)
		_, out, errOut := cli(t, "", args...)
		rs := decode(t, out, errOut)
		if len(rs) != 1 {
			t.Fatalf("%v: %d results (%s)", tc.args, len(rs), errOut)
		}
		if r := rs[0]; r.Status != tc.status || r.Code != tc.code || !hasProblem(r, result.ProblemRevoked, tc.sev) {
			t.Errorf("%v: %s %d %v, want %s %d with revoked (%s)", tc.args, r.Status, r.Code, problemIDs(r), tc.status, tc.code, tc.sev)
		}
	}
	if len(responder.Methods()) != 2 {
		t.Errorf("responder asked %d times, want once a run", len(responder.Methods()))
	}
}

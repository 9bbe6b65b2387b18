package main

import (
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

func TestCheckConnectionErrors(t *testing.T) {
	garbage := testpki.ServeRaw(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6\r\n\x00\x01garbage"))
	})
	httpPeer := testpki.ServeRaw(t, func(c net.Conn) {
		buf := make([]byte, 1024)
		_, _ = c.Read(buf)
		_, _ = c.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	})
	silent := testpki.ServeRaw(t, func(c net.Conn) { _, _ = drain(c) })
	closed := testpki.ClosedPort(t)

	cases := []struct {
		name    string
		target  string
		args    []string
		want    result.Code
		detail  string
		maxTime time.Duration
	}{
		{name: "closed port", target: closed, want: 11202, detail: "refused"},
		{name: "garbage", target: garbage, want: 11220, detail: "does not speak TLS"},
		{name: "plain http", target: httpPeer, want: 11220, detail: "plain HTTP"},
		{name: "never answers", target: silent, args: []string{"--timeout", "1s"}, want: 11220, detail: "did not complete within 1s", maxTime: 4 * time.Second},
		{name: "invalid target", target: "http://example.test/", want: 11100, detail: "https://"},
		{name: "bad port", target: "example.test:99999", want: 11100, detail: "port"},
		{name: "unresolvable", target: "no-such-host.invalid", want: 11210, detail: "does not resolve"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			code, rs, stderr := jsonResults(t, append(c.args, c.target)...)
			if len(rs) != 1 {
				t.Fatalf("%d results, want 1; stderr %s", len(rs), stderr)
			}
			r := rs[0]
			if r.Status != result.StatusError || r.Code != c.want {
				t.Errorf("status %s code %d, want error %d (%s)", r.Status, r.Code, c.want, r.Detail)
			}
			if !strings.Contains(r.Detail, c.detail) {
				t.Errorf("detail %q does not mention %q", r.Detail, c.detail)
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if c.maxTime > 0 && time.Since(start) > c.maxTime {
				t.Errorf("took %s, want under %s", time.Since(start), c.maxTime)
			}
		})
	}
}

func TestCheckLegacyTLSStillChecksCertificate(t *testing.T) {
	p := newPKI(t, "Legacy")
	leaf := p.inter.Leaf(t, testpki.DNS("other.test"))
	addr := testpki.Serve(t, &tls.Config{
		Certificates: []tls.Certificate{leaf.TLSCert(p.inter.Cert)},
		MinVersion:   tls.VersionTLS10,
		MaxVersion:   tls.VersionTLS11,
	})
	tgt, resolve := hostTarget(addr, "example.test")
	_, rs, _ := jsonResults(t, "--store", p.store, resolve, tgt)
	r := rs[0]
	if r.Status != result.StatusError || r.Code != 11220 || !strings.Contains(r.Detail, "TLS 1.1") {
		t.Fatalf("status %s code %d detail %q, want error 11220 naming TLS 1.1", r.Status, r.Code, r.Detail)
	}
	if len(r.Chain) != 2 || !hasProblem(r, result.ProblemHostnameMismatch, result.SeverityError) {
		t.Errorf("certificate not checked after the legacy handshake: chain %d, problems %v", len(r.Chain), problemIDs(r))
	}
}

func TestCheckMixedTargetsKeepOrderAndCount(t *testing.T) {
	p := newPKI(t, "Mixed")
	addr := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	tgt, resolve := hostTarget(addr, "example.test")
	closed := testpki.ClosedPort(t)
	list := strings.Join([]string{"# endpoints", "", tgt, "not a target", closed, "  " + tgt + "  ", "http://example.test"}, "\n")
	listFile := filepath.Join(t.TempDir(), "targets.txt")
	if err := os.WriteFile(listFile, []byte(list), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, from := range []string{"file", "stdin"} {
		t.Run(from, func(t *testing.T) {
			args := []string{"check", "-o", "json", epochArg, "--store", p.store, resolve, "-c", "2", tgt}
			stdin := ""
			if from == "file" {
				args = append(args, "-f", listFile)
			} else {
				args = append(args, "-f", "-")
				stdin = list
			}
			code, out, stderr := cli(t, stdin, args...)
			rs := decode(t, out, stderr)
			want := []result.Code{0, 0, 11100, 11202, 0, 11100}
			if len(rs) != len(want) {
				t.Fatalf("%d results, want %d", len(rs), len(want))
			}
			for i, r := range rs {
				if r.Code != want[i] {
					t.Errorf("result %d (%s): code %d, want %d", i, r.Target, r.Code, want[i])
				}
			}
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
		})
	}
}

func TestCheckPerStoreVerdicts(t *testing.T) {
	a := newPKI(t, "Alpha")
	b := newPKI(t, "Beta")
	addr := testpki.ServeCert(t, a.inter.Leaf(t), a.inter.Cert)
	tgt, resolve := hostTarget(addr, "example.test")
	code, rs, _ := jsonResults(t, "--store", a.store+","+b.store, resolve, tgt)
	r := rs[0]
	if code != 0 || r.Status != result.StatusOK {
		t.Fatalf("exit %d status %s, want 0 ok (a store trusts it); problems %+v", code, r.Status, r.Problems)
	}
	if !r.Trust[a.store].Trusted || r.Trust[b.store].Trusted || r.Trust[b.store].Code != 11237 {
		t.Errorf("trust %+v: want %s trusted and %s 11237", r.Trust, a.store, b.store)
	}
	if r.Trust[a.store].Root != "Alpha Root" {
		t.Errorf("root %q, want Alpha Root", r.Trust[a.store].Root)
	}
	if !hasProblem(r, result.ProblemUnknownAuthority, result.SeverityInfo) {
		t.Errorf("the untrusting store's view is not noted: %+v", r.Problems)
	}
	// Only the untrusting store: fail.
	code, rs, _ = jsonResults(t, "--store", b.store, resolve, tgt)
	if code != 1 || rs[0].Code != 11237 {
		t.Errorf("exit %d code %d with only %s, want 1 and 11237", code, rs[0].Code, b.store)
	}
	// --ca-file adds a store.
	code, rs, _ = jsonResults(t, "--store", b.store, "--ca-file", a.store, resolve, tgt)
	if code != 0 || len(rs[0].Trust) != 2 {
		t.Errorf("exit %d, %d verdicts with --ca-file, want 0 and 2", code, len(rs[0].Trust))
	}
}

func TestCheckAtAndWarnDays(t *testing.T) {
	p := newPKI(t, "Clock")
	leaf := p.inter.Leaf(t) // valid until Epoch+60d
	addr := testpki.ServeCert(t, leaf, p.inter.Cert)
	tgt, resolve := hostTarget(addr, "example.test")
	e := testpki.Epoch
	cases := []struct {
		args []string
		want result.Status
		exit int
	}{
		{[]string{"--at", e.Format("2006-01-02")}, result.StatusOK, 0},
		{[]string{"--at", e.AddDate(0, 0, 45).Format(time.RFC3339)}, result.StatusWarn, 0},
		{[]string{"--at", e.AddDate(0, 0, 45).Format(time.RFC3339), "--warn-days", "10"}, result.StatusOK, 0},
		{[]string{"--at", e.AddDate(0, 0, 45).Format(time.RFC3339), "--fail-on", "warn"}, result.StatusWarn, 1},
		{[]string{"--at", e.AddDate(0, 0, 61).Format(time.RFC3339)}, result.StatusFail, 1},
		{[]string{"--at", e.AddDate(0, 0, 61).Format(time.RFC3339), "--fail-on", "never"}, result.StatusFail, 0},
		{[]string{"--at", e.AddDate(0, 0, -31).Format(time.RFC3339)}, result.StatusFail, 1},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, stderr := cli(t, "", append(append([]string{"check", "-o", "json", "--store", p.store, resolve}, c.args...), tgt)...)
			rs := decode(t, out, stderr)
			if rs[0].Status != c.want || code != c.exit {
				t.Errorf("status %s exit %d, want %s %d (%s)", rs[0].Status, code, c.want, c.exit, rs[0].Detail)
			}
		})
	}
}

func TestCheckNoSNI(t *testing.T) {
	p := newPKI(t, "SNI")
	good := p.inter.Leaf(t).TLSCert(p.inter.Cert)
	fallback := p.inter.Leaf(t, testpki.DNS("default.test")).TLSCert(p.inter.Cert)
	addr := testpki.Serve(t, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName == "example.test" {
			return &good, nil
		}
		return &fallback, nil
	}})
	tgt, resolve := hostTarget(addr, "example.test")
	_, rs, _ := jsonResults(t, "--store", p.store, resolve, tgt)
	if rs[0].Status != result.StatusOK {
		t.Errorf("with SNI: %s %s, want ok", rs[0].Status, rs[0].Detail)
	}
	_, rs, _ = jsonResults(t, "--store", p.store, "--no-sni", resolve, tgt)
	if rs[0].Code != 11235 {
		t.Errorf("without SNI: code %d, want 11235 (the default certificate is for another name)", rs[0].Code)
	}
}

func TestCheckIPTarget(t *testing.T) {
	p := newPKI(t, "IP")
	addr := testpki.ServeCert(t, p.inter.Leaf(t, testpki.IPs("127.0.0.1")), p.inter.Cert)
	_, rs, _ := jsonResults(t, "--store", p.store, addr)
	if rs[0].Status != result.StatusOK || rs[0].Host != "127.0.0.1" {
		t.Errorf("IP target: %s %q, want ok for 127.0.0.1: %s", rs[0].Status, rs[0].Host, rs[0].Detail)
	}
}

func TestCheckUsageErrors(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not a certificate\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	emptyList := filepath.Join(t.TempDir(), "empty.txt")
	if err := os.WriteFile(emptyList, []byte("# nothing\n\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"check"}, "no targets"},
		{[]string{"check", "--bogus", "example.test"}, "unknown flag"},
		{[]string{"check", "--at", "tomorrow", "example.test"}, "--at"},
		{[]string{"check", "--warn-days", "3w", "example.test"}, "warn-days"},
		{[]string{"check", "-o", "xml", "example.test"}, "--output"},
		{[]string{"check", "--fail-on", "sometimes", "example.test"}, "--fail-on"},
		{[]string{"check", "-c", "0", "example.test"}, "--concurrency"},
		{[]string{"check", "--store", "/nonexistent/roots.pem", "example.test"}, "/nonexistent/roots.pem"},
		{[]string{"check", "--store", empty, "example.test"}, empty},
		{[]string{"check", "--ca-file", empty, "example.test"}, empty},
		{[]string{"check", "--resolve", "example.test:443", "example.test"}, "HOST:PORT:ADDR"},
		{[]string{"check", "-f", "/nonexistent/list.txt"}, "/nonexistent/list.txt"},
		{[]string{"check", "-f", t.TempDir()}, "directory"},
		{[]string{"check", "-f", emptyList}, "no targets"},
		{[]string{"frobnicate"}, "unknown command"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			code, out, stderr := cli(t, "", c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q does not mention %q", stderr, c.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

// Package oracle runs real TLS clients — the JDK's SSLSocket and OpenSSL's
// s_client — against a TLS server on loopback and reports what each
// decided about the server's certificate chain. Tests use them as the
// truth certgate's per-store verdicts must agree with: the java store's
// verdict follows the JDK client, the mozilla store's follows OpenSSL.
//
// A missing java, javac, keytool or openssl skips the calling test with a
// message that names the program to install (under CI or
// CERTGATE_REQUIRE_SHARED=1 it fails it).
package oracle

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	_ "embed"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

//go:embed java/Oracle.java
var javaSource []byte

// Timeout bounds one client run, JVM start included.
const Timeout = 60 * time.Second

// Verdict is what one real client decided about a server's chain.
type Verdict struct {
	// Trusted is true when the client completed the handshake.
	Trusted bool
	// Code is the certgate code of the client's failure: 11235 for a
	// name mismatch, 11236 for a certificate outside its validity, 11237
	// for any other rejection of the chain, 11220 for a handshake that
	// failed for another reason than the chain; 0 when trusted.
	Code result.Code
	// Detail is the client's own words (the exception chain, the verify
	// error).
	Detail string
}

func (v Verdict) String() string {
	if v.Trusted {
		return "trusted"
	}
	return fmt.Sprintf("%d (%s)", v.Code, v.Detail)
}

// need skips t when a program is missing, and fails it instead under CI
// (Required), whose set-up installs them: a skipped oracle there would hide a
// missing install step.
func need(t testing.TB, progs ...string) {
	t.Helper()
	for _, p := range progs {
		if _, err := exec.LookPath(p); err != nil {
			report := t.Skipf
			if Required() {
				report = t.Fatalf
			}
			report("ORACLE NOT RUN: %s is not installed, so the real-client differential test cannot run: install a JDK (default-jdk-headless) and openssl", p)
		}
	}
}

// compiled holds the directory of the compiled Java program, built once
// per test binary.
var compiled struct {
	once sync.Once
	dir  string
	err  error
}

// javaClasses compiles Oracle.java once and returns the class directory.
func javaClasses(t testing.TB) string {
	t.Helper()
	need(t, "java", "javac", "keytool")
	compiled.once.Do(func() {
		dir, err := os.MkdirTemp("", "certgate-oracle-")
		if err != nil {
			compiled.err = err
			return
		}
		src := filepath.Join(dir, "Oracle.java")
		if err := os.WriteFile(src, javaSource, 0o644); err != nil {
			compiled.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*Timeout)
		defer cancel()
		// Class files for Java 17 run on every JDK JavaAt may be given.
		out, err := exec.CommandContext(ctx, "javac", "--release", "17", "-d", dir, src).CombinedOutput()
		if err != nil {
			compiled.err = fmt.Errorf("javac Oracle.java: %v: %s", err, out)
			return
		}
		compiled.dir = dir
	})
	if compiled.err != nil {
		t.Fatalf("oracle: %v", compiled.err)
	}
	return compiled.dir
}

// Cleanup removes the compiled Java program; call it from TestMain after
// the tests ran.
func Cleanup() {
	if compiled.dir != "" {
		os.RemoveAll(compiled.dir)
	}
}

// run runs a program with the oracle's timeout and returns its output.
func run(name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(nil)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, fmt.Errorf("%s timed out after %s: %s", name, Timeout, out)
	}
	return out, err
}

const storePassword = "changeit"

// stores are the trust stores trustStore made, by the SHA-256 of their
// roots, kept beside the compiled program: keytool is a JVM start, as
// long as the client's own run.
var stores struct {
	sync.Mutex
	path map[[sha256.Size]byte]string
}

// trustStore writes a PKCS12 trust store holding roots, built with the
// JDK's keytool, and returns its path; the same roots get the same store.
func trustStore(t testing.TB, roots []*x509.Certificate) string {
	t.Helper()
	h := sha256.New()
	for _, r := range roots {
		h.Write(r.Raw)
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	stores.Lock()
	defer stores.Unlock()
	if p, ok := stores.path[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp(compiled.dir, "store-")
	if err != nil {
		t.Fatal(err)
	}
	ks := filepath.Join(dir, "trust.p12")
	for i, r := range roots {
		pem := filepath.Join(dir, fmt.Sprintf("root%d.pem", i))
		if err := os.WriteFile(pem, testpki.PEM(r), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := run("keytool", "-importcert", "-noprompt", "-storetype", "PKCS12", "-keystore", ks,
			"-storepass", storePassword, "-alias", fmt.Sprintf("root%d", i), "-file", pem)
		if err != nil {
			t.Fatalf("oracle: keytool -importcert: %v: %s", err, out)
		}
	}
	if stores.path == nil {
		stores.path = map[[sha256.Size]byte]string{}
	}
	stores.path[key] = ks
	return ks
}

// Java connects to addr (host:port on loopback) with the JDK's SSLSocket,
// sending host as SNI and checking it with endpoint identification
// "HTTPS", trusting only roots, and returns the client's verdict.
func Java(t testing.TB, addr, host string, roots ...*x509.Certificate) Verdict {
	t.Helper()
	return JavaAt(t, JDK{}, addr, host, roots...)
}

// JavaAt is Java run with the JDK jdk; the zero JDK is the java program on
// the PATH.
func JavaAt(t testing.TB, jdk JDK, addr, host string, roots ...*x509.Certificate) Verdict {
	t.Helper()
	return JavaEach(t, jdk, []string{addr}, host, roots...)[0]
}

// JavaEach is JavaAt for several addresses on one host, in one JVM: one
// verdict an address, in order.
func JavaEach(t testing.TB, jdk JDK, addrs []string, host string, roots ...*x509.Certificate) []Verdict {
	t.Helper()
	dir := javaClasses(t)
	ks := trustStore(t, roots)
	var h string
	var ports []string
	for _, addr := range addrs {
		ah, port, err := net.SplitHostPort(addr)
		if err != nil || (h != "" && ah != h) {
			t.Fatalf("oracle: address %q: %v (every address must be on one host)", addr, err)
		}
		h, ports = ah, append(ports, port)
	}
	java := "java"
	if jdk.Home != "" {
		java = filepath.Join(jdk.Home, "bin", "java")
	}
	out, err := run(java, "-cp", dir, "Oracle", h, strings.Join(ports, ","), host, ks, storePassword)
	var vs []Verdict
	for _, line := range strings.Split(string(out), "\n") {
		// The program's lines; the JVM may print others (warnings).
		if line = strings.TrimSpace(line); line == "ok" || strings.HasPrefix(line, "fail ") {
			vs = append(vs, javaVerdict(line))
		}
	}
	if err != nil || len(vs) != len(addrs) {
		t.Fatalf("oracle: java Oracle %s %s: %v: %s", strings.Join(addrs, ","), host, err, out)
	}
	return vs
}

// javaVerdict reads the program's line. The JDK reports a name mismatch
// and most path failures with the same exception class, so its message is
// all there is to tell them apart.
func javaVerdict(line string) Verdict {
	if line == "ok" {
		return Verdict{Trusted: true}
	}
	if rest, ok := strings.CutPrefix(line, "fail handshake | "); ok {
		return Verdict{Code: result.CodeHandshake, Detail: rest}
	}
	v := Verdict{Code: result.CodeNoPath, Detail: strings.TrimPrefix(line, "fail cert | ")}
	switch {
	case strings.Contains(line, "CertificateExpiredException"), strings.Contains(line, "CertificateNotYetValidException"):
		v.Code = result.CodeExpired
	case strings.Contains(line, "No subject alternative"), strings.Contains(line, "No name matching"):
		v.Code = result.CodeDomainMismatch
	}
	return v
}

var verifyError = regexp.MustCompile(`verify error:num=(\d+):([^\n]*)`)

// OpenSSL verify error numbers certgate maps to codes other than 11237.
const (
	x509CertNotYetValid   = 9
	x509CertHasExpired    = 10
	x509HostnameMismatch  = 62
	x509IPAddressMismatch = 64
)

// OpenSSL connects to addr with `openssl s_client`, sending host as SNI and
// checking it (-verify_hostname, or -verify_ip for an address), at
// security level 2, trusting only roots, and returns the client's verdict.
func OpenSSL(t testing.TB, addr, host string, roots ...*x509.Certificate) Verdict {
	t.Helper()
	need(t, "openssl")
	ca := filepath.Join(t.TempDir(), "roots.pem")
	if err := os.WriteFile(ca, testpki.PEM(roots...), 0o644); err != nil {
		t.Fatal(err)
	}
	// An IP address is checked as one (against IP subjectAltNames only),
	// as a client that connects to an address does, and sent as no SNI.
	name := []string{"-servername", host, "-verify_hostname", host}
	if net.ParseIP(host) != nil {
		name = []string{"-noservername", "-verify_ip", host}
	}
	args := append([]string{"s_client", "-connect", addr}, name...)
	args = append(args, "-verify_return_error", "-CAfile", ca, "-no-CApath", "-no-CAstore", "-auth_level", "2")
	out, err := run("openssl", args...)
	m := verifyError.FindAllSubmatch(out, -1)
	var exit *exec.ExitError
	switch {
	case err == nil && len(m) == 0:
		return Verdict{Trusted: true}
	case err != nil && !errors.As(err, &exit):
		t.Fatalf("oracle: openssl s_client %s: %v: %s", addr, err, out)
	case len(m) == 0:
		return Verdict{Code: result.CodeHandshake, Detail: "handshake failed without a verify error: " + lastLines(out)}
	}
	last := m[len(m)-1]
	n, _ := strconv.Atoi(string(last[1]))
	v := Verdict{Code: result.CodeNoPath, Detail: fmt.Sprintf("verify error %d: %s", n, strings.TrimSpace(string(last[2])))}
	switch n {
	case x509CertNotYetValid, x509CertHasExpired:
		v.Code = result.CodeExpired
	case x509HostnameMismatch, x509IPAddressMismatch:
		v.Code = result.CodeDomainMismatch
	}
	return v
}

func lastLines(out []byte) string {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) > 3 {
		lines = lines[len(lines)-3:]
	}
	return strings.Join(lines, " / ")
}

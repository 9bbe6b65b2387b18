package oracle

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

// Handshake is what a real client's handshake with a server came to.
type Handshake struct {
	// OK is true when the client completed the handshake.
	OK bool
	// Protocol is the negotiated version as package tlswire names it
	// ("TLS 1.2"); "" when the handshake failed.
	Protocol string
	// Detail is the client's own words: its failure, or what it printed
	// about the connection.
	Detail string
}

func (h Handshake) String() string {
	if h.OK {
		return "ok " + h.Protocol
	}
	return "fails: " + h.Detail
}

// RealClient is a program on this machine of the kind a recorded client
// profile was captured from (scripts/captureclients), run as the capture
// ran it: default settings, the host's configuration.
type RealClient struct {
	// Profile is the name of the recorded profile, e.g. "curl-7.88"; its
	// part after the first "-" is the version the program must have.
	Profile string
	// Program is the executable; Package the Debian package that has it.
	Program, Package string
	// Installed is true when the project's CI installs the package: a
	// missing program then fails the test under CERTGATE_REQUIRE_SHARED=1
	// rather than skipping it.
	Installed bool

	version *regexp.Regexp // the version in the output of versionArgs
	args    []string       // arguments that print the version
	run     func(ctx context.Context, addr, host, caFile string) Handshake
	// script, when set, runs the client once for every address instead of
	// run once per address: one start of a slow runtime.
	script func(ctx context.Context, addrs []string, host, caFile string) []Handshake
}

// RealClients are the real clients of the recorded profiles that run as a
// program: OpenSSL's s_client, curl, gnutls-cli, Node.js, Python's ssl
// module, and Go's crypto/tls (in this process). The JDKs are JDKs and
// JavaAt; the browsers are not run.
func RealClients() []RealClient {
	return []RealClient{
		{Profile: "openssl-3", Program: "openssl", Package: "openssl", Installed: true,
			version: regexp.MustCompile(`OpenSSL (\d+)`), args: []string{"version"}, run: runOpenSSL},
		{Profile: "curl-7.88", Program: "curl", Package: "curl", Installed: true,
			version: regexp.MustCompile(`(?m)^curl (\d+\.\d+)`), args: []string{"--version"}, run: runCurl},
		{Profile: "gnutls-3.7", Program: "gnutls-cli", Package: "gnutls-bin", Installed: true,
			version: regexp.MustCompile(`gnutls-cli (\d+\.\d+)`), args: []string{"--version"}, run: runGnuTLS},
		{Profile: "node-20", Program: "node", Package: "nodejs",
			version: regexp.MustCompile(`^v(\d+)\.`), args: []string{"--version"}, script: runNode},
		{Profile: "python-3.11", Program: "python3", Package: "python3",
			version: regexp.MustCompile(`Python (\d+\.\d+)`), args: []string{"--version"}, script: runPython},
		{Profile: "go-1.26", Program: "", Package: "",
			version: regexp.MustCompile(`^go(\d+\.\d+)`), run: runGo},
	}
}

// Required reports whether a missing oracle fails the test instead of
// skipping it: under CERTGATE_REQUIRE_SHARED=1 (as .ci/run sets it) or CI.
func Required() bool {
	return shareddata.Required() || os.Getenv("CI") != ""
}

// Ready skips t (fails it when Required and the client is Installed by CI)
// when the program is missing, and skips it when its version is not the
// recorded profile's: another version's behaviour is not the recording's.
func (c RealClient) Ready(t testing.TB) {
	t.Helper()
	var out string
	if c.Program == "" {
		out = runtime.Version()
	} else {
		if _, err := exec.LookPath(c.Program); err != nil {
			report := t.Skipf
			if c.Installed && Required() {
				report = t.Fatalf
			}
			report("ORACLE NOT RUN: %s is not installed, so the %s simulation cannot be compared with the real client: install the Debian package %s", c.Program, c.Profile, c.Package)
		}
		b, err := run(c.Program, c.args...)
		if err != nil {
			t.Fatalf("oracle: %s %s: %v: %s", c.Program, strings.Join(c.args, " "), err, b)
		}
		out = string(b)
	}
	m := c.version.FindStringSubmatch(out)
	_, want, _ := strings.Cut(c.Profile, "-")
	if m == nil || m[1] != want {
		t.Skipf("ORACLE NOT RUN: the installed %s is not version %s of the recorded %s profile (%q): its behaviour is not the recording's", c.Program, want, c.Profile, firstLine(out))
	}
}

// Handshakes runs the client against each of addrs (127.0.0.1:port),
// sending host as SNI and trusting only root, and returns what each
// handshake came to, in order. Call Ready first.
func (c RealClient) Handshakes(t testing.TB, addrs []string, host string, root *x509.Certificate) []Handshake {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(ca, testpki.PEM(root), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	if c.script != nil {
		return c.script(ctx, addrs, host, ca)
	}
	out := make([]Handshake, len(addrs))
	for i, a := range addrs {
		out[i] = c.run(ctx, a, host, ca)
	}
	return out
}

// execOut runs a program with no input and returns its output and whether it
// exited with status 0.
func execOut(ctx context.Context, name string, args ...string) (string, bool) {
	cmd := exec.CommandContext(ctx, name, args...)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return fmt.Sprintf("%s timed out: %s", name, out), false
	}
	return string(out), err == nil
}

var (
	opensslProtocol = regexp.MustCompile(`(?m)^Protocol version: (\S+)`)
	opensslError    = regexp.MustCompile(`error:[0-9A-F]+:SSL routines:[^:]*:([^:\n]+)`)
)

// runOpenSSL: `openssl s_client -connect ADDR -servername HOST`, as
// recorded, with -brief to print the protocol; the chain is not enforced
// (s_client's default), so only the handshake decides.
func runOpenSSL(ctx context.Context, addr, host, ca string) Handshake {
	out, ok := execOut(ctx, "openssl", "s_client", "-brief", "-connect", addr, "-servername", host, "-CAfile", ca)
	return fromOutput(out, ok, opensslProtocol, opensslError)
}

var curlProtocol = regexp.MustCompile(`SSL connection using (\S+)`)

// runCurl: `curl https://HOST:PORT/` resolved to addr, as recorded.
func runCurl(ctx context.Context, addr, host, ca string) Handshake {
	_, port, _ := net.SplitHostPort(addr)
	out, ok := execOut(ctx, "curl", "-sS", "-v", "-o", os.DevNull, "--cacert", ca,
		"--resolve", host+":"+port+":127.0.0.1", "https://"+net.JoinHostPort(host, port)+"/")
	return fromOutput(out, ok, curlProtocol, regexp.MustCompile(`curl: \(\d+\) (.*)`))
}

var gnutlsProtocol = regexp.MustCompile(`- Description: \((TLS[0-9.]+)-`)

// runGnuTLS: `gnutls-cli --sni-hostname HOST -p PORT 127.0.0.1`, as
// recorded, verifying the chain for HOST.
func runGnuTLS(ctx context.Context, addr, host, ca string) Handshake {
	h, port, _ := net.SplitHostPort(addr)
	cmd := exec.CommandContext(ctx, "gnutls-cli", "--x509cafile", ca, "--verify-hostname", host, "--sni-hostname", host, "-p", port, h)
	cmd.Stdin = strings.NewReader("") // EOF ends the session after the handshake
	b, err := cmd.CombinedOutput()
	return fromOutput(string(b), err == nil && ctx.Err() == nil, gnutlsProtocol, regexp.MustCompile(`\*\*\* (Fatal error: .*|Handshake has failed.*)`))
}

// runNode: tls.connect with Node's defaults (those of https.get), as
// recorded, to each address in turn.
func runNode(ctx context.Context, addrs []string, host, ca string) []Handshake {
	prog := fmt.Sprintf(`const tls = require('tls'), fs = require('fs');
const ca = fs.readFileSync(%q), addrs = %s;
function next(i) {
  if (i == addrs.length) return;
  const [host, port] = addrs[i];
  const s = tls.connect({host, port, servername: %q, ca}, () => { console.log('ok ' + s.getProtocol()); s.destroy(); next(i + 1); });
  s.on('error', e => { console.log('fail ' + e.message.split('\n')[0]); next(i + 1); });
}
next(0);`, ca, jsonAddrs(addrs), host)
	out, _ := execOut(ctx, "node", "-e", prog)
	return scriptLines(out, len(addrs))
}

// runPython: ssl.create_default_context().wrap_socket, as recorded, to
// each address in turn.
func runPython(ctx context.Context, addrs []string, host, ca string) []Handshake {
	prog := fmt.Sprintf(`import socket, ssl
c = ssl.create_default_context(cafile=%q)
for host, port in %s:
    try:
        s = c.wrap_socket(socket.create_connection((host, port), timeout=10), server_hostname=%q)
        print("ok " + s.version(), flush=True)
        s.close()
    except Exception as e:
        print("fail " + str(e).split("\n")[0], flush=True)
`, ca, jsonAddrs(addrs), host)
	out, _ := execOut(ctx, "python3", "-c", prog)
	return scriptLines(out, len(addrs))
}

// jsonAddrs writes addrs as a JSON (and Python) list of [host, port].
func jsonAddrs(addrs []string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, a := range addrs {
		h, port, _ := net.SplitHostPort(a)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%q, %s]", h, port)
	}
	b.WriteString("]")
	return b.String()
}

// scriptLines reads the "ok PROTOCOL" or "fail WORDS" lines of a script,
// one an address; an address without a line did not finish.
func scriptLines(out string, n int) []Handshake {
	hs := make([]Handshake, n)
	i := 0
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSpace(line)
		if i == n {
			break
		}
		if p, ok := strings.CutPrefix(line, "ok "); ok {
			hs[i] = Handshake{OK: true, Protocol: protocolName(p)}
			i++
		} else if d, ok := strings.CutPrefix(line, "fail "); ok {
			hs[i] = Handshake{Detail: d}
			i++
		}
	}
	for ; i < n; i++ {
		hs[i] = Handshake{Detail: "the client did not finish: " + lastLines([]byte(out))}
	}
	return hs
}

// runGo: crypto/tls with a default Config, as recorded.
func runGo(ctx context.Context, addr, host, ca string) Handshake {
	b, err := os.ReadFile(ca)
	if err != nil {
		return Handshake{Detail: err.Error()}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(b)
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: &tls.Config{ServerName: host, RootCAs: pool}}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Handshake{Detail: err.Error()}
	}
	defer conn.Close()
	return Handshake{OK: true, Protocol: tls.VersionName(conn.(*tls.Conn).ConnectionState().Version)}
}

// fromOutput reads a client's output: a protocol line means the handshake
// completed; else the failure's words.
func fromOutput(out string, exitOK bool, protocol, failure *regexp.Regexp) Handshake {
	if m := protocol.FindStringSubmatch(out); m != nil && exitOK {
		return Handshake{OK: true, Protocol: protocolName(m[1]), Detail: firstLine(out)}
	}
	if m := failure.FindStringSubmatch(out); m != nil {
		return Handshake{Detail: strings.TrimSpace(m[1])}
	}
	return Handshake{Detail: "no handshake: " + lastLines([]byte(out))}
}

// protocolName turns OpenSSL's ("TLSv1", "TLSv1.2"), GnuTLS's ("TLS1.2")
// and Go's ("TLS 1.2") names into package tlswire's ("TLS 1.0").
func protocolName(s string) string {
	v := strings.TrimPrefix(strings.TrimPrefix(strings.TrimPrefix(s, "TLS"), "v"), " ")
	if v == "1" {
		v = "1.0"
	}
	return "TLS " + v
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

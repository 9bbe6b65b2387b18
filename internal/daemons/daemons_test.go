package daemons

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

// testCert is a certificate chain for the daemons: a leaf for
// example.test under an intermediate under a root, valid now (real
// clients check validity against the clock), and a second, unrelated
// root that must not verify it.
type testCert struct {
	cert      Cert
	leaf      *x509.Certificate
	rootFile  string
	otherRoot string
}

func newTestCert(t *testing.T) testCert {
	t.Helper()
	now := time.Now()
	root := testpki.NewRoot(t, "certgate daemons test root", testpki.Validity(now.Add(-48*time.Hour), now.AddDate(1, 0, 0)))
	inter := root.Intermediate(t, "certgate daemons test intermediate", testpki.Validity(now.Add(-48*time.Hour), now.AddDate(1, 0, 0)))
	leaf := inter.Leaf(t, testpki.DNS("example.test"), testpki.Validity(now.Add(-24*time.Hour), now.Add(30*24*time.Hour)))
	other := testpki.NewRoot(t, "certgate daemons unrelated root", testpki.Validity(now.Add(-48*time.Hour), now.AddDate(1, 0, 0)))
	dir := t.TempDir()
	for name, c := range map[string]*x509.Certificate{"test-root.pem": root.Cert, "other-root.pem": other.Cert} {
		if err := os.WriteFile(filepath.Join(dir, name), testpki.PEM(c), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return testCert{
		cert:      WriteCert(t, "example.test", leaf, inter.Cert),
		leaf:      leaf.Cert,
		rootFile:  filepath.Join(dir, "test-root.pem"),
		otherRoot: filepath.Join(dir, "other-root.pem"),
	}
}

// sClient runs openssl s_client -starttls against ep, verifying the chain
// against caFile and the name against ep.Host, and returns the leaf it
// was served (nil when the handshake or verification failed), its output
// and its wall time.
func sClient(t *testing.T, ep Endpoint, caFile string) (*x509.Certificate, string, time.Duration) {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		report := t.Skipf
		if shareddata.Required() {
			report = t.Fatalf
		}
		report("openssl is not installed, so the daemons cannot be checked with a real client: apt-get install openssl")
	}
	args := []string{"s_client", "-starttls", ep.Kind.OpenSSL, "-connect", ep.Addr,
		"-servername", ep.Host, "-verify_hostname", ep.Host, "-verify_return_error",
		"-CAfile", caFile, "-showcerts"}
	if strings.HasPrefix(ep.Kind.OpenSSL, "xmpp") {
		args = append(args, "-xmpphost", ep.Host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, openssl, args...)
	cmd.Stdin = strings.NewReader("")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil || !bytes.Contains(out, []byte("Verify return code: 0 (ok)")) {
		return nil, string(out), took
	}
	block, _ := pem.Decode(out[bytes.Index(out, []byte("-----BEGIN CERTIFICATE-----")):])
	if block == nil {
		return nil, string(out), took
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("openssl s_client served an unparsable certificate: %v", err)
	}
	return c, string(out), took
}

func fingerprint(c *x509.Certificate) string {
	sum := sha256.Sum256(c.Raw)
	return hex.EncodeToString(sum[:])
}

// TestStartTLS starts every daemon with a test certificate and proves,
// with openssl s_client -starttls, that each kind it serves upgrades to
// TLS with exactly that certificate, verified against the test root and
// the server name, and not against an unrelated root. It logs each
// daemon's start time and the median wall time of five openssl
// handshakes per kind, and checks that stopping a daemon leaves no
// process of it behind and its ports closed.
func TestStartTLS(t *testing.T) {
	tc := newTestCert(t)
	want := fingerprint(tc.leaf)
	for _, daemon := range Daemons() {
		t.Run(daemon, func(t *testing.T) {
			eps := StartDaemon(t, daemon, tc.cert)
			if len(eps) != len(kindsOf(daemon)) {
				t.Fatalf("StartDaemon(%s) returned %d endpoints, want one per kind (%d)", daemon, len(eps), len(kindsOf(daemon)))
			}
			t.Logf("%s: started in %v", daemon, eps[0].StartTime.Round(time.Millisecond))
			for _, ep := range eps {
				t.Run(ep.Kind.Name, func(t *testing.T) {
					if host, _, err := net.SplitHostPort(ep.Addr); err != nil || host != "127.0.0.1" {
						t.Errorf("Addr = %q, want 127.0.0.1:port", ep.Addr)
					}
					var times []time.Duration
					for i := 0; i < 5; i++ {
						got, out, took := sClient(t, ep, tc.rootFile)
						if got == nil {
							t.Fatalf("openssl s_client -starttls %s %s failed against the test root:\n%s", ep.Kind.OpenSSL, ep.Addr, out)
						}
						if fp := fingerprint(got); fp != want {
							t.Fatalf("%s served certificate %s (%s), want the test leaf %s", ep.URL(), fp, got.Subject, want)
						}
						times = append(times, took)
					}
					sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
					t.Logf("%s (%s): openssl s_client -starttls %s handshake, median of 5: %v", ep.Kind.Name, daemon, ep.Kind.OpenSSL, times[2].Round(100*time.Microsecond))
					if got, out, _ := sClient(t, ep, tc.otherRoot); got != nil {
						t.Errorf("openssl s_client -starttls %s verified %s against an unrelated root:\n%s", ep.Kind.OpenSSL, ep.Addr, out)
					}
				})
			}
			pgid := eps[0].proc.pgid
			eps[0].Stop()
			if left := groupMembers(pgid); len(left) > 0 {
				t.Errorf("after Stop, processes %v of %s remain", left, daemon)
			}
			for _, ep := range eps {
				if c, err := net.DialTimeout("tcp", ep.Addr, time.Second); err == nil {
					c.Close()
					t.Errorf("after Stop, %s (%s) still accepts connections", ep.Addr, ep.Kind.Name)
				}
			}
			eps[len(eps)-1].Stop() // a second Stop does nothing
		})
	}
}

// TestKinds checks the table of kinds: unique names, a daemon the harness
// knows for each, and the openssl dialect names the tests use.
func TestKinds(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		if seen[k.Name] {
			t.Errorf("kind %q listed twice", k.Name)
		}
		seen[k.Name] = true
		if _, ok := specs[k.Daemon]; !ok {
			t.Errorf("kind %q: daemon %q has no set-up", k.Name, k.Daemon)
		}
		if k.Scheme == "" || k.OpenSSL == "" || len(k.Packages) == 0 || k.DefaultPort == 0 {
			t.Errorf("kind %q: incomplete: %+v", k.Name, k)
		}
		if got, ok := KindOf(k.Name); !ok || got.Name != k.Name {
			t.Errorf("KindOf(%q) = %+v, %v", k.Name, got, ok)
		}
	}
	for _, want := range []string{"smtp", "submission", "imap", "pop3", "lmtp", "sieve", "ldap", "postgres", "mysql", "xmpp", "xmpp-server", "ftp", "nntp"} {
		if !seen[want] {
			t.Errorf("kind %q missing", want)
		}
	}
	if _, ok := KindOf("gopher"); ok {
		t.Error(`KindOf("gopher") found a kind`)
	}
	if got := len(Daemons()); got != len(specs) {
		t.Errorf("Daemons() lists %d daemons, the set-ups are %d", got, len(specs))
	}
}

// TestEndpointNames checks the target forms an endpoint gives: by
// address, and by name with the --resolve entry that reaches it.
func TestEndpointNames(t *testing.T) {
	k, _ := KindOf("xmpp-server")
	ep := Endpoint{Kind: k, Addr: "127.0.0.1:45269", Host: "example.test", Scheme: k.Scheme}
	for _, tt := range []struct{ name, got, want string }{
		{"URL", ep.URL(), "xmpp-server://127.0.0.1:45269"},
		{"Port", ep.Port(), "45269"},
		{"Target", ep.Target(), "xmpp-server://example.test:45269"},
		{"Resolve", ep.Resolve(), "example.test:45269:127.0.0.1"},
	} {
		if tt.got != tt.want {
			t.Errorf("%s() = %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// TestMissingDaemon runs requirePrograms in a child test process for a
// program that does not exist: the test skips naming the Debian package,
// or fails when CERTGATE_REQUIRE_SHARED is set.
func TestMissingDaemon(t *testing.T) {
	if os.Getenv("DAEMONS_HELPER") == "1" {
		requirePrograms(t, "nodaemon", []program{{name: "certgate-no-such-daemon", pkg: "certgate-no-such-package"}})
		t.Log("NOT SKIPPED")
		return
	}
	for _, tt := range []struct {
		require  string
		wantFail bool
		wantOut  string
	}{
		{"", false, "--- SKIP"},
		{"1", true, "fails instead of skipping"},
	} {
		t.Run("require="+tt.require, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestMissingDaemon$", "-test.v")
			cmd.Env = append(os.Environ(), "DAEMONS_HELPER=1", shareddata.EnvRequire+"="+tt.require)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v (%v), want %v\n%s", failed, err, tt.wantFail, out)
			}
			for _, s := range []string{tt.wantOut, "apt-get install certgate-no-such-package", "DAEMON NOT RUN"} {
				if !strings.Contains(string(out), s) {
					t.Errorf("child output lacks %q:\n%s", s, out)
				}
			}
			if strings.Contains(string(out), "NOT SKIPPED") {
				t.Errorf("child went on past the missing program:\n%s", out)
			}
		})
	}
}

// TestDaemonFailsToStart runs StartDaemon in a child test process with a
// key that does not parse: slapd exits at once, and the test fails (not
// hangs, not retries for ever) with the daemon's own log in the message.
func TestDaemonFailsToStart(t *testing.T) {
	if os.Getenv("DAEMONS_HELPER") == "badkey" {
		tc := newTestCert(t)
		if err := os.WriteFile(tc.cert.KeyFile, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		StartDaemon(t, "slapd", tc.cert)
		t.Log("STARTED ANYWAY")
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestDaemonFailsToStart$", "-test.v")
	cmd.Env = append(os.Environ(), "DAEMONS_HELPER=badkey")
	out, err := cmd.CombinedOutput()
	if bytes.Contains(out, []byte("--- SKIP")) {
		t.Skipf("slapd is not installed:\n%s", out)
	}
	if err == nil || bytes.Contains(out, []byte("STARTED ANYWAY")) {
		t.Fatalf("slapd with a broken key: child passed, want a failure:\n%s", out)
	}
	for _, s := range []string{"daemons: slapd did not come up", "exited before its ports accepted", "daemon.log", "TLS init def ctx failed"} {
		if !bytes.Contains(out, []byte(s)) {
			t.Errorf("child output lacks %q:\n%s", s, out)
		}
	}
}

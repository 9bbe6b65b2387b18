package oracle_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/oracle"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/truststore"
)

// handshakeHost is the name every server's certificate is for; certgate
// reaches it through Probe.Resolve, the Java client by address and SNI.
const handshakeHost = "host.test"

// TestHandshakeAgreesWithJava runs, for every server configuration, the
// real JDK clients (Java 17 and the newest JDK installed) and certgate's
// check (runner.Check, the test root as its stores) against one server on
// loopback, and requires certgate's handshake verdict to be Java's:
//
//   - with the default sender clients (every recorded Java client), the
//     check is 11220 exactly when every JDK refuses; when one connects it
//     is not 11220, and when only some connect it carries a client-refuses
//     warning naming each JDK that refuses;
//   - with --client java-N (Options.Clients of that one profile), the check
//     is 11220 exactly when JDK N refuses.
//
// A passing handshake must also pass the chain (the test root signs it),
// except at TLS 1.3 reached only by a replayed client, where the chain is
// not read (chain-not-read, 11237) and the handshake verdict is all that is
// compared.
func TestHandshakeAgreesWithJava(t *testing.T) {
	jdks := oracle.JDKs(t, oracle.JVMDir)
	now := time.Now()
	root := testpki.NewRoot(t, "Handshake Root", testpki.Validity(now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0)))
	current := testpki.Validity(now.AddDate(0, 0, -30), now.AddDate(0, 0, 60))
	rsaLeaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.RSA(2048)),
		testpki.KeyUsage(x509.KeyUsageDigitalSignature|x509.KeyUsageKeyEncipherment))
	// testpki's default RSA leaf allows digitalSignature only: the JDK's
	// trust manager refuses it for RSA key exchange.
	signOnlyLeaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.RSA(2048)),
		testpki.KeyUsage(x509.KeyUsageDigitalSignature))
	encipherOnlyLeaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.RSA(2048)),
		testpki.KeyUsage(x509.KeyUsageKeyEncipherment))
	dir := t.TempDir()
	dh2048 := dhParams(t, dir, "dh2048.pem", "-pkeyopt", "group:ffdhe2048")
	dh1024 := dhParams(t, dir, "dh1024.pem", "-pkeyopt", "dh_paramgen_prime_len:1024")

	senders, err := probe.SenderClients()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		serve func(t *testing.T) string
	}{
		{"RSA key exchange only (TLS_RSA_WITH_AES_128_GCM_SHA256)", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "AES128-GCM-SHA256")
		}},
		{"RSA key exchange only, leaf keyUsage digitalSignature only", func(t *testing.T) string {
			return sServer(t, signOnlyLeaf, "-tls1_2", "-cipher", "AES128-GCM-SHA256")
		}},
		{"RSA key exchange only, leaf keyUsage keyEncipherment only", func(t *testing.T) string {
			return sServer(t, encipherOnlyLeaf, "-tls1_2", "-cipher", "AES128-GCM-SHA256")
		}},
		{"DHE only, 2048-bit group (ffdhe2048)", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256", "-dhparam", dh2048)
		}},
		{"DHE only, 1024-bit group", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024)
		}},
		{"CBC only (ECDHE-RSA-AES128-SHA)", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA")
		}},
		{"ChaCha20-Poly1305 only (ECDHE-RSA-CHACHA20-POLY1305)", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305")
		}},
		{"TLS 1.3 only", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_3")
		}},
		{"TLS 1.0 only", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
		}},
		{"TLS 1.1 only", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0")
		}},
		{"ECDSA P-521 leaf (Go server)", func(t *testing.T) string {
			leaf := root.Leaf(t, current, testpki.DNS(handshakeHost), testpki.WithKey(testpki.ECDSA(521)))
			return testpki.ServeCert(t, leaf)
		}},
		{"secp384r1 only, TLS 1.2 and 1.3", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-groups", "secp384r1")
		}},
		{"X448 only, TLS 1.2", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-groups", "X448")
		}},
		{"X448 only, TLS 1.3", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_3", "-groups", "X448")
		}},
		{"ffdhe2048 only, TLS 1.3", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_3", "-groups", "ffdhe2048")
		}},
		{"secp384r1 only, TLS 1.3 (Go server)", func(t *testing.T) string {
			return testpki.Serve(t, &tls.Config{Certificates: []tls.Certificate{rsaLeaf.TLSCert()},
				MinVersion: tls.VersionTLS13, CurvePreferences: []tls.CurveID{tls.CurveP384}})
		}},
		// OpenSSL's server answers a client's renegotiation_info (or its
		// SCSV) with its own and refuses legacy renegotiation: the
		// recorded hellos must carry it. RSA key exchange makes Go's client
		// fail, so the replayed hellos decide.
		{"TLS 1.2 with secure renegotiation (OpenSSL default), RSA key exchange, CBC", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "AES128-SHA")
		}},
		{"TLS 1.2 with secure renegotiation (OpenSSL default), ECDHE", func(t *testing.T) string {
			return sServer(t, rsaLeaf, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := c.serve(t)
			java := map[string]oracle.Verdict{}
			var connects, refuses []string
			best := oracle.Verdict{Code: result.CodeHandshake}
			for _, j := range jdks {
				v := oracle.JavaAt(t, j, addr, handshakeHost, root.Cert)
				java[j.Name()] = v
				if v.Code != result.CodeHandshake {
					connects = append(connects, j.Name())
				} else {
					refuses = append(refuses, j.Name())
				}
				if v.Trusted || best.Code == result.CodeHandshake {
					best = v
				}
				t.Logf("JDK %d: %s", j.Major, v)
			}

			r := check(t, addr, root.Cert, senders)
			t.Logf("certgate default: %s %d %s", r.Status, r.Code, problemIDs(r))
			agree(t, "default", r, best)
			if len(connects) > 0 && len(refuses) > 0 {
				w := problem(r, result.ProblemClientRefuses)
				if w == nil {
					t.Errorf("certgate default: %v connect and %v refuse, but no %s warning: %s", connects, refuses, result.ProblemClientRefuses, problemIDs(r))
				}
				for _, name := range refuses {
					if w != nil && !strings.Contains(w.Message, display(name)) {
						t.Errorf("certgate default: the %s warning does not name %s: %s", result.ProblemClientRefuses, display(name), w.Message)
					}
				}
			}
			if len(refuses) == 0 && problem(r, result.ProblemClientRefuses) != nil {
				t.Errorf("certgate default: every JDK connects, but certgate warns %s", problem(r, result.ProblemClientRefuses).Message)
			}

			for _, j := range jdks {
				p, err := clients.ByName(j.Name())
				if err != nil {
					t.Logf("JDK %d has no recorded client %s (%v): only the default is compared with it", j.Major, j.Name(), err)
					continue
				}
				r := check(t, addr, root.Cert, []*clients.Profile{p})
				t.Logf("certgate --client %s: %s %d %s", j.Name(), r.Status, r.Code, problemIDs(r))
				agree(t, "--client "+j.Name(), r, java[j.Name()])
			}
		})
	}
}

// agree fails t unless certgate's result r has the verdict the Java client
// had: the handshake fails (11220) or not, and when it does not, the code
// of the chain's verdict. A chain certgate could not read (chain-not-read,
// TLS 1.3 reached only by a replayed client) is compared at the handshake
// only.
func agree(t *testing.T, how string, r result.Result, java oracle.Verdict) {
	t.Helper()
	javaConnects := java.Code != result.CodeHandshake
	switch {
	case !javaConnects && r.Code != result.CodeHandshake:
		t.Errorf("certgate %s: %s %d, but Java refuses the handshake (%s): want %d %s", how, r.Status, r.Code, java, result.CodeHandshake, problemIDs(r))
	case javaConnects && r.Code == result.CodeHandshake:
		t.Errorf("certgate %s: %d, but Java connects (%s): %s", how, r.Code, java, problemIDs(r))
	case javaConnects && problem(r, result.ProblemChainNotRead) == nil && r.Code != java.Code:
		t.Errorf("certgate %s: %s %d, but Java connects and says %s: %s", how, r.Status, r.Code, java, problemIDs(r))
	}
	// The java store's own verdict never refuses a chain the JDK client
	// accepted in this handshake.
	if v, judged := r.Trust[truststore.Java]; java.Trusted && judged && !v.Trusted {
		t.Errorf("certgate %s: the java store says %d, but the JDK client trusts the chain: %s", how, v.Code, problemIDs(r))
	}
}

// check runs certgate's check of handshakeHost at addr with the test root
// as both stores and cs as the sender's clients.
func check(t *testing.T, addr string, rootCert *x509.Certificate, cs []*clients.Profile) result.Result {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	target := net.JoinHostPort(handshakeHost, port)
	roots := []*truststore.Root{{Cert: rootCert}}
	cfg := runner.Config{
		Probe:       probe.Options{Timeout: 10 * time.Second, Resolve: map[string]string{target: addr}, Clients: cs},
		Stores:      []*truststore.Store{truststore.New(truststore.Java, "test", roots), truststore.New(truststore.Mozilla, "test", roots)},
		At:          time.Now(),
		Concurrency: 1,
	}
	return runner.Check(context.Background(), runner.Input{Raw: target}, cfg)
}

func problem(r result.Result, id string) *result.Problem {
	for i := range r.Problems {
		if r.Problems[i].ID == id {
			return &r.Problems[i]
		}
	}
	return nil
}

func problemIDs(r result.Result) string {
	var ids []string
	for _, p := range r.Problems {
		ids = append(ids, p.ID+": "+p.Message)
	}
	return "[" + strings.Join(ids, " | ") + "]"
}

// display is how certgate names a recorded Java client in a sentence.
func display(name string) string {
	return "Java " + strings.TrimPrefix(name, "java-")
}

// dhParams writes finite-field DH parameters made by `openssl genpkey
// -genparam` with opts to dir/name and returns the path.
func dhParams(t *testing.T, dir, name string, opts ...string) string {
	t.Helper()
	openssl := lookOpenSSL(t)
	p := filepath.Join(dir, name)
	args := append([]string{"genpkey", "-genparam", "-algorithm", "DH", "-out", p}, opts...)
	if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, out)
	}
	return p
}

func lookOpenSSL(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("openssl")
	if err != nil {
		report := t.Skipf
		if oracle.Required() {
			report = t.Fatalf
		}
		report("ORACLE NOT RUN: openssl is not installed, so the servers Go cannot be cannot run: install openssl")
	}
	return p
}

// sServer runs `openssl s_server -www` on 127.0.0.1 presenting leaf with
// args, for the servers Go cannot be, until the test ends, and returns its
// address.
func sServer(t *testing.T, leaf *testpki.Leaf, args ...string) string {
	t.Helper()
	lookOpenSSL(t)
	keyPEM, err := testpki.KeyPEM(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := faultserver.StartOpenSSLPEM(testpki.PEM(leaf.Cert), keyPEM, append([]string{"-www"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s.Addr()
}

package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
)

func senderClients(t testing.TB) []*clients.Profile {
	t.Helper()
	cs, err := SenderClients()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range cs {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"java-17", "java-25"}) {
		t.Fatalf("sender clients %v, want java-17 and java-25", names)
	}
	return cs
}

func startOpenSSL(t testing.TB, args ...string) *faultserver.OpenSSLServer {
	t.Helper()
	s, err := faultserver.StartOpenSSL("sha256", args...)
	if errors.Is(err, faultserver.ErrNoOpenSSL) {
		t.Skip("openssl is not installed: these servers need `openssl s_server` (CI installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func problem(ps []result.Problem, id string) (result.Problem, bool) {
	for _, p := range ps {
		if p.ID == id {
			return p, true
		}
	}
	return result.Problem{}, false
}

// TestProbeSenderClients: servers Go's client cannot negotiate with are
// judged by the recorded Java clients, replayed against real openssl
// servers on loopback.
func TestProbeSenderClients(t *testing.T) {
	const legacy = "@SECLEVEL=0"
	cases := []struct {
		name   string
		args   []string
		client string // tls.client; "" when the handshake fails
		suite  string
		certs  int
		errID  string              // the failure's id when no client connects
		words  map[string][]string // problem id (or "detail") -> words it says
		absent []string            // problem ids that must not be there
	}{
		{name: "RSA key exchange only", args: []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"},
			client: "java-17", suite: "TLS_RSA_WITH_AES_128_GCM_SHA256", certs: 1,
			words: map[string][]string{
				result.ProblemClientFallback: {"negotiated TLS_RSA_WITH_AES_128_GCM_SHA256", "no forward secrecy", "Go clients refuse it, Java 17 accepts it"},
				result.ProblemClientRefuses:  {"Java 17 connects", "Java 25 refuses TLS_RSA key exchange", "breaks when the sender moves to Java 25"},
			}, absent: []string{result.ProblemChainNotRead}},
		{name: "DHE only, 2048-bit group", args: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"},
			client: "java-17", suite: "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", certs: 1,
			words: map[string][]string{
				result.ProblemClientFallback: {"negotiated TLS_DHE_RSA_WITH_AES_128_GCM_SHA256 with a 2048-bit DH group", "DHE key exchange, which Go does not implement", "Java 17 and Java 25 accept it"},
			}, absent: []string{result.ProblemClientRefuses, result.ProblemChainNotRead}},
		{name: "CBC only", args: []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA256"},
			client: "java-17", suite: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", certs: 1,
			words: map[string][]string{
				result.ProblemClientFallback: {"negotiated TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", "Go clients no longer offer", "Java 17 and Java 25 accept it"},
			}, absent: []string{result.ProblemClientRefuses, result.ProblemChainNotRead}},
		{name: "TLS 1.3 with ffdhe groups only", args: []string{"-tls1_3", "-groups", "ffdhe2048"},
			client: "java-17", suite: "TLS_AES_256_GCM_SHA384",
			words: map[string][]string{
				result.ProblemClientFallback: {"group ffdhe2048", "Go does not implement", "Java 17 and Java 25 accept it"},
				result.ProblemChainNotRead:   {"passes with Java 17 at TLS 1.3", "not judged"},
			}, absent: []string{result.ProblemClientRefuses}},
		{name: "TLS 1.0 only", args: []string{"-tls1", "-cipher", "ALL:" + legacy},
			errID: result.ProblemLegacyTLS,
			words: map[string][]string{"detail": {"offers only TLS 1.0", "Java 17 (offers TLS 1.3 and TLS 1.2 with 36 cipher suites) refuses", "Java 25 (offers TLS 1.3 and TLS 1.2 with 30 cipher suites) refuses", "protocol_version"}}},
	}
	cs := senderClients(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := startOpenSSL(t, c.args...)
			obs := Probe(context.Background(), mustParse(t, s.Addr()), Options{Timeout: 10 * time.Second, Clients: cs})
			for _, p := range obs.Problems {
				t.Logf("%s %s: %s", p.Severity, p.ID, p.Message)
			}
			if c.errID != "" {
				if obs.Err == nil {
					t.Fatalf("no failure, want 11220 %s", c.errID)
				}
				t.Logf("%d %s: %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail)
				if obs.Err.Code != result.CodeHandshake || obs.Err.ID != c.errID {
					t.Errorf("%d %s, want 11220 %s", obs.Err.Code, obs.Err.ID, c.errID)
				}
				for _, w := range c.words["detail"] {
					if !strings.Contains(obs.Err.Detail, w) {
						t.Errorf("detail %q does not say %q", obs.Err.Detail, w)
					}
				}
				return
			}
			if obs.Err != nil {
				t.Fatalf("failed: %d %s: %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail)
			}
			if obs.TLS == nil || obs.TLS.Client != c.client || obs.TLS.CipherSuite != c.suite {
				t.Errorf("tls %+v, want client %s and suite %s", obs.TLS, c.client, c.suite)
			}
			if len(obs.Certs) != c.certs {
				t.Errorf("%d certificates read, want %d", len(obs.Certs), c.certs)
			} else if c.certs > 0 && obs.Certs[0].Subject.CommonName != "example.test" {
				t.Errorf("leaf %s, want the server's example.test", obs.Certs[0].Subject)
			}
			for id, words := range c.words {
				p, ok := problem(obs.Problems, id)
				if !ok {
					t.Errorf("no %s problem", id)
					continue
				}
				for _, w := range words {
					if !strings.Contains(p.Message, w) {
						t.Errorf("%s %q does not say %q", id, p.Message, w)
					}
				}
			}
			for _, id := range c.absent {
				if _, ok := problem(obs.Problems, id); ok {
					t.Errorf("unexpected %s problem", id)
				}
			}
		})
	}
}

// TestProbeSenderOneClient: with one client named, its verdict alone
// counts: Java 25 refuses an RSA-key-exchange-only server, so the
// handshake fails (11220) and the detail says what Java 25 offered.
func TestProbeSenderOneClient(t *testing.T) {
	j25, err := clients.ByName("java-25")
	if err != nil {
		t.Fatal(err)
	}
	s := startOpenSSL(t, "-tls1_2", "-cipher", "AES128-GCM-SHA256")
	obs := Probe(context.Background(), mustParse(t, s.Addr()), Options{Timeout: 10 * time.Second, Clients: []*clients.Profile{j25}})
	if obs.Err == nil || obs.Err.Code != result.CodeHandshake || obs.Err.ID != result.ProblemRSAKeyExchange {
		t.Fatalf("err %v, want 11220 %s", obs.Err, result.ProblemRSAKeyExchange)
	}
	if !strings.Contains(obs.Err.Detail, "Java 25 (offers TLS 1.3 and TLS 1.2 with 30 cipher suites) refuses: the server answered with alert handshake_failure") {
		t.Errorf("detail %q does not name Java 25's refusal", obs.Err.Detail)
	}
	if len(obs.Problems) != 0 {
		t.Errorf("problems %+v, want none", obs.Problems)
	}
}

// TestProbeSenderFastPath: a server Go's client reaches is judged by Go
// alone: tls.client is "go" and no recorded client is replayed (the
// server accepts one connection).
func TestProbeSenderFastPath(t *testing.T) {
	root := testpki.NewRoot(t, "Fast Path Root")
	cert := root.Leaf(t).TLSCert(root.Cert)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan int, 1)
	go func() {
		n := 0
		defer func() { accepted <- n }()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n++
			tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
			_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
			_ = tc.Handshake()
			_ = tc.Close()
		}
	}()
	obs := Probe(context.Background(), mustParse(t, ln.Addr().String()), Options{Timeout: 10 * time.Second, Clients: senderClients(t)})
	ln.Close()
	if obs.Err != nil {
		t.Fatalf("failed: %v", obs.Err)
	}
	if obs.TLS.Client != GoClient || len(obs.Problems) != 0 {
		t.Errorf("client %q, problems %+v, want go and none", obs.TLS.Client, obs.Problems)
	}
	if n := <-accepted; n != 1 {
		t.Errorf("the server accepted %d connections, want 1", n)
	}
}

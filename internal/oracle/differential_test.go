package oracle_test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/oracle"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

func TestMain(m *testing.M) {
	code := m.Run()
	oracle.Cleanup()
	os.Exit(code)
}

// chain is one generated case: what the server sends, the root the
// clients trust, and the host they ask for.
type chain struct {
	host   string
	trust  *x509.Certificate
	leaf   *testpki.Leaf
	served []*x509.Certificate // intermediates sent after the leaf
}

// TestClientsAgree runs every case through certgate (verify.Check and its
// decision, with a java and a mozilla store made of the test root), the
// JDK's SSLSocket and openssl s_client, all against one TLS server on
// loopback: certgate's java verdict must be the JDK's, its mozilla verdict
// OpenSSL's (trusted or not, and the code). The real clients use the real
// clock, so every certificate is dated around now.
func TestClientsAgree(t *testing.T) {
	now := time.Now()
	current := testpki.Validity(now.AddDate(0, 0, -30), now.AddDate(0, 0, 60))
	std := func(t *testing.T, interOpts []testpki.Option, leafOpts ...testpki.Option) chain {
		root := testpki.NewRoot(t, "Oracle Root", testpki.Validity(now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0)))
		inter := root.Intermediate(t, "Oracle CA", append([]testpki.Option{testpki.Validity(now.AddDate(-2, 0, 0), now.AddDate(5, 0, 0))}, interOpts...)...)
		leaf := inter.Leaf(t, append([]testpki.Option{current, testpki.DNS("host.test")}, leafOpts...)...)
		return chain{host: "host.test", trust: root.Cert, leaf: leaf, served: []*x509.Certificate{inter.Cert}}
	}
	cases := []struct {
		name          string
		build         func(t *testing.T) chain
		java, mozilla result.Code
		javaWarn      string // a problem id certgate must report when the java store passes
	}{
		{name: "good chain", build: func(t *testing.T) chain { return std(t, nil) }},
		{name: "expired leaf", java: result.CodeExpired, mozilla: result.CodeExpired, build: func(t *testing.T) chain {
			return std(t, nil, testpki.Validity(now.AddDate(0, 0, -90), now.AddDate(0, 0, -1)))
		}},
		{name: "wrong name", java: result.CodeDomainMismatch, mozilla: result.CodeDomainMismatch, build: func(t *testing.T) chain {
			c := std(t, nil)
			c.host = "other.test"
			return c
		}},
		{name: "unknown root", java: result.CodeNoPath, mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			c := std(t, nil)
			c.trust = testpki.NewRoot(t, "Other Root").Cert
			return c
		}},
		{name: "missing intermediate", java: result.CodeNoPath, mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			c := std(t, nil)
			c.served = nil
			return c
		}},
		{name: "not yet valid leaf", java: result.CodeExpired, mozilla: result.CodeExpired, build: func(t *testing.T) chain {
			return std(t, nil, testpki.Validity(now.AddDate(0, 0, 2), now.AddDate(0, 0, 90)))
		}},
		{name: "wildcard leaf", build: func(t *testing.T) chain {
			c := std(t, nil, testpki.DNS("*.example.test"))
			c.host = "www.example.test"
			return c
		}},
		{name: "leaf without keyUsage and extendedKeyUsage", build: func(t *testing.T) chain {
			return std(t, nil, testpki.KeyUsage(0), testpki.EKU())
		}},
		{name: "RSA leaf key usage keyEncipherment only", java: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, nil, testpki.KeyUsage(x509.KeyUsageKeyEncipherment))
		}},
		{name: "RSA-1024 intermediate", mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, []testpki.Option{testpki.WithKey(testpki.RSA(1024))})
		}},
		{name: "ECDSA leaf key usage without digitalSignature", java: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, nil, testpki.WithKey(testpki.ECDSA(256)), testpki.KeyUsage(x509.KeyUsageKeyAgreement))
		}},
		{name: "intermediate EKU clientAuth only", mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, []testpki.Option{testpki.EKU(x509.ExtKeyUsageClientAuth)})
		}},
		// The JDK refuses a wildcard over a public suffix only under a
		// root of its own cacerts (a public CA), which a test cannot
		// issue from; under this test root it accepts, and so must
		// certgate's java verdict for a store that is not the embedded one.
		{name: "wildcard over a public suffix", build: func(t *testing.T) chain {
			c := std(t, nil, testpki.DNS("*.co.uk"))
			c.host = "shop.co.uk"
			return c
		}},
		{name: "RSA-1024 leaf", mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, nil, testpki.WithKey(testpki.RSA(1024)))
		}},
		{name: "leaf EKU anyExtendedKeyUsage only", mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, nil, testpki.EKU(x509.ExtKeyUsageAny))
		}},
		{name: "host only in the CN", build: func(t *testing.T) chain {
			return std(t, nil, testpki.RawDNS(), testpki.CN("host.test"))
		}},
		{name: "IP host only in the CN", java: result.CodeDomainMismatch, mozilla: result.CodeDomainMismatch, build: func(t *testing.T) chain {
			c := std(t, nil, testpki.RawDNS(), testpki.CN("127.0.0.1"))
			c.host = "127.0.0.1"
			return c
		}},
		{name: "partial wildcard", build: func(t *testing.T) chain {
			c := std(t, nil, testpki.DNS("w*.example.test"))
			c.host = "www.example.test"
			return c
		}},
		{name: "name constraints on a CN-only leaf", java: result.CodeNoPath, mozilla: result.CodeNoPath, build: func(t *testing.T) chain {
			return std(t, []testpki.Option{testpki.PermitDNS("allowed.test")}, testpki.RawDNS(), testpki.CN("host.test"))
		}},
		{name: "expired root", mozilla: result.CodeExpired, build: func(t *testing.T) chain {
			root := testpki.NewRoot(t, "Expired Root", testpki.Validity(now.AddDate(-10, 0, 0), now.AddDate(0, 0, -1)))
			inter := root.Intermediate(t, "Oracle CA", testpki.Validity(now.AddDate(-2, 0, 0), now.AddDate(5, 0, 0)))
			leaf := inter.Leaf(t, current, testpki.DNS("host.test"))
			return chain{host: "host.test", trust: root.Cert, leaf: leaf, served: []*x509.Certificate{inter.Cert}}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.build(t)
			addr := testpki.ServeCert(t, c.leaf, c.served...)
			java := oracle.Java(t, addr, c.host, c.trust)
			ossl := oracle.OpenSSL(t, addr, c.host, c.trust)

			certs := append([]*x509.Certificate{c.leaf.Cert}, c.served...)
			stores := []*truststore.Store{
				truststore.New(truststore.Java, "test", []*truststore.Root{{Cert: c.trust}}),
				truststore.New(truststore.Mozilla, "test", []*truststore.Root{{Cert: c.trust}}),
			}
			r := verify.Check(certs, stores, verify.Options{At: now, Host: c.host, WebPKI: true}).Result()

			// The table states what the clients decide, so a change in a
			// client's behaviour shows up as well as a change in certgate's.
			if java.Code != tc.java {
				t.Errorf("the JDK client decided %s; the table expects %d", java, tc.java)
			}
			if ossl.Code != tc.mozilla {
				t.Errorf("openssl decided %s; the table expects %d", ossl, tc.mozilla)
			}
			if got := r.Trust[truststore.Java]; got.Trusted != java.Trusted || got.Code != java.Code {
				t.Errorf("certgate's java verdict is %d (trusted %v), the JDK client's %s; problems: %+v", got.Code, got.Trusted, java, r.Problems)
			}
			if got := r.Trust[truststore.Mozilla]; got.Trusted != ossl.Trusted || got.Code != ossl.Code {
				t.Errorf("certgate's mozilla verdict is %d (trusted %v), openssl's %s; problems: %+v", got.Code, got.Trusted, ossl, r.Problems)
			}
		})
	}
}

// TestHandshakeFailure proves the oracle tells a failed handshake from a
// refused chain: a server that speaks only TLS 1.0 is refused by both
// clients (disabled in the JDK, below OpenSSL's security level 2) before
// any certificate is judged.
func TestHandshakeFailure(t *testing.T) {
	now := time.Now()
	root := testpki.NewRoot(t, "Oracle Root", testpki.Validity(now.AddDate(-5, 0, 0), now.AddDate(10, 0, 0)))
	leaf := root.Leaf(t, testpki.Validity(now.AddDate(0, 0, -30), now.AddDate(0, 0, 60)), testpki.DNS("host.test"))
	addr := testpki.Serve(t, &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
	for name, v := range map[string]oracle.Verdict{
		"the JDK client": oracle.Java(t, addr, "host.test", root.Cert),
		"openssl":        oracle.OpenSSL(t, addr, "host.test", root.Cert),
	} {
		if v.Code != result.CodeHandshake {
			t.Errorf("%s against a TLS 1.0-only server: %s, want %d", name, v, result.CodeHandshake)
		}
	}
}

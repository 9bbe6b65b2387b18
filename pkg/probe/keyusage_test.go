package probe

import (
	"context"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
)

// TestProbeSenderRSAKeyUsage: under TLS 1.2 RSA key exchange, reached only
// by a replayed Java client, a leaf whose keyUsage lacks keyEncipherment is
// refused as the JDK's trust manager does (wrong-key-usage, 11237); a leaf
// that allows it, or has no keyUsage, is not; ECDHE key exchange does not
// ask for keyEncipherment.
func TestProbeSenderRSAKeyUsage(t *testing.T) {
	j17, err := clients.ByName("java-17")
	if err != nil {
		t.Fatal(err)
	}
	root := testpki.NewRoot(t, "Key Usage Root")
	for _, c := range []struct {
		name    string
		ku      []testpki.Option
		cipher  string
		refused bool
	}{
		{"RSA key exchange, digitalSignature only", []testpki.Option{testpki.KeyUsage(x509.KeyUsageDigitalSignature)}, "AES128-GCM-SHA256", true},
		{"RSA key exchange, keyEncipherment", []testpki.Option{testpki.KeyUsage(x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment)}, "AES128-GCM-SHA256", false},
		{"RSA key exchange, no keyUsage", []testpki.Option{testpki.KeyUsage(0)}, "AES128-GCM-SHA256", false},
		{"DHE key exchange, digitalSignature only", []testpki.Option{testpki.KeyUsage(x509.KeyUsageDigitalSignature)}, "DHE-RSA-AES128-GCM-SHA256", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			leaf := root.Leaf(t, append([]testpki.Option{testpki.DNS("host.test"), testpki.WithKey(testpki.RSA(2048))}, c.ku...)...)
			keyPEM, err := testpki.KeyPEM(leaf.Key)
			if err != nil {
				t.Fatal(err)
			}
			s, err := faultserver.StartOpenSSLPEM(testpki.PEM(leaf.Cert), keyPEM, "-tls1_2", "-cipher", c.cipher)
			if errors.Is(err, faultserver.ErrNoOpenSSL) {
				t.Skip("openssl is not installed: these servers need `openssl s_server` (CI installs it)")
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			obs := Probe(context.Background(), mustParse(t, s.Addr()), Options{Timeout: 10 * time.Second, Clients: []*clients.Profile{j17}})
			if obs.Err != nil {
				t.Fatalf("err %v, want Java 17's handshake to pass", obs.Err)
			}
			p, found := problem(obs.Problems, result.ProblemKeyUsage)
			if found != c.refused {
				t.Fatalf("%s problem: %v, want %v (%+v)", result.ProblemKeyUsage, found, c.refused, obs.Problems)
			}
			if found && (p.Code != result.CodeNoPath || p.Severity != result.SeverityError || p.Cert != 0) {
				t.Errorf("problem %+v, want an error with code %d on certificate 0", p, result.CodeNoPath)
			}
		})
	}
}

package hooktest

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/internal/tlsservers"
)

// Nginx runs a real nginx on 127.0.0.1 serving TLS with leaf and chain;
// locations is the body of its server block after the TLS settings (for
// example `location / { return 301 https://x/; }`). It returns the port.
// Without nginx the test is skipped with a message saying so, or fails
// when CERTGATE_REQUIRE_SHARED is set (as CI does; .ci/run installs nginx).
func Nginx(t testing.TB, leaf *testpki.Leaf, chain []*x509.Certificate, locations string) string {
	t.Helper()
	dir := t.TempDir()
	key, err := testpki.KeyPEM(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	certs := &tlsservers.Certs{Leaf: leaf.Cert, CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(certs.CertFile, testpki.PEM(append([]*x509.Certificate{leaf.Cert}, chain...)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certs.KeyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	srv := tlsservers.StartNginxWith(t, tlsservers.Nginx{Certs: certs, Locations: locations})
	_, port, _ := net.SplitHostPort(srv.Addr)
	return port
}

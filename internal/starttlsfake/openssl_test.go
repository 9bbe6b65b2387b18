package starttlsfake

import (
	"context"
	"crypto/tls"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

// TestFakesAgainstOpenSSL: openssl s_client -starttls, a client written
// apart from certgate's, completes the upgrade and the handshake with every
// fake server, so the fakes speak the protocols and not only certgate's
// idea of them.
func TestFakesAgainstOpenSSL(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		if shareddata.Required() {
			t.Fatal("openssl is not installed (Debian: apt-get install openssl)")
		}
		t.Skip("SKIPPED LOUDLY: openssl is not installed (Debian: apt-get install openssl); the fakes are not checked against it")
	}
	leaf := testpki.SelfSigned(t, testpki.DNS("example.test"))
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
	for _, proto := range []string{"smtp", "lmtp", "imap", "pop3", "ftp", "xmpp", "xmpp-server", "sieve", "ldap", "nntp", "postgres", "mysql", "postgres-direct"} {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			addr := Start(t, Config{Proto: proto, TLS: cfg})
			args := OpenSSLArgs(proto, addr, "example.test")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, "openssl", args...).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "-----BEGIN CERTIFICATE-----") {
				t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
			}
		})
	}
}

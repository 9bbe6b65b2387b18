package verify

import (
	"crypto/x509"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestRSAKeyExchangeKeyUsage: a leaf whose keyUsage allows keyEncipherment
// but not digitalSignature fails the java store after an ECDHE handshake
// (the JDK asks for digitalSignature) and passes it after a TLS 1.2 RSA
// key exchange, where the JDK client accepts it.
func TestRSAKeyExchangeKeyUsage(t *testing.T) {
	at := time.Now()
	valid := testpki.Validity(at.AddDate(0, 0, -30), at.AddDate(0, 0, 60))
	root := testpki.NewRoot(t, "RSA Kex Root", testpki.Validity(at.AddDate(-1, 0, 0), at.AddDate(5, 0, 0)))
	leaf := root.Leaf(t, valid, testpki.DNS("host.test"), testpki.WithKey(testpki.RSA(2048)), testpki.KeyUsage(x509.KeyUsageKeyEncipherment))
	for _, c := range []struct {
		rsaKex bool
		want   result.Code
	}{
		{false, result.CodeNoPath},
		{true, result.CodeNone},
	} {
		java := truststore.New(truststore.Java, "test", []*truststore.Root{{Cert: root.Cert}})
		r := Check([]*x509.Certificate{leaf.Cert}, []*truststore.Store{java}, Options{At: at, Host: "host.test", WebPKI: true, RSAKeyExchange: c.rsaKex}).Result()
		if got := r.Trust[truststore.Java]; got.Code != c.want || got.Trusted != (c.want == result.CodeNone) {
			t.Errorf("RSA key exchange %v: java verdict %d (trusted %v), want %d: %+v", c.rsaKex, got.Code, got.Trusted, c.want, r.Problems)
		}
	}
}

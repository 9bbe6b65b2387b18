package probe

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
)

// benchServer is a TLS 1.2 Go server on loopback: the version whose
// chain a replay reads.
func benchServer(b *testing.B) string {
	root := testpki.NewRoot(b, "Bench Root")
	cert := root.Leaf(b).TLSCert(root.Cert)
	return testpki.Serve(b, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12})
}

// BenchmarkHandshakeGo is the fast path: one crypto/tls handshake.
func BenchmarkHandshakeGo(b *testing.B) {
	addr := benchServer(b)
	tg := mustParse(b, addr)
	opts := Options{Timeout: 5 * time.Second}
	for b.Loop() {
		if _, _, fail := handshake(context.Background(), tg, opts, strictConfig(tg, opts)); fail != nil {
			b.Fatal(fail)
		}
	}
}

// BenchmarkHandshakeReplay is one extra replayed handshake of the
// fallback: the Java 17 recording sent with tlswire, the first flight read
// and judged by the client's limits.
func BenchmarkHandshakeReplay(b *testing.B) {
	addr := benchServer(b)
	tg := mustParse(b, addr)
	p, err := clients.ByName("java-17")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Timeout: 5 * time.Second}
	for b.Loop() {
		if a := replayOne(context.Background(), tg, opts, p); !a.connects() {
			b.Fatalf("java-17 does not connect: %v %v", a.err, a.refusals)
		}
	}
}

package probe

import (
	"context"
	"crypto/tls"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/starttls"
	"github.com/certgate/certgate/pkg/target"
)

// benchProtocols are "" (implicit TLS) and every STARTTLS protocol.
func benchProtocols() []string { return append([]string{""}, starttls.Protocols()...) }

// startTLSBenchServer starts the server a benchmark probes: a plain TLS server for
// proto "", else the fake STARTTLS server, both with the same certificate.
func startTLSBenchServer(b *testing.B, proto string) string {
	leaf := testpki.SelfSigned(b, testpki.DNS("example.test"))
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
	if proto == "" {
		return testpki.Serve(b, cfg)
	}
	return starttlsfake.Start(b, starttlsfake.Config{Proto: proto, TLS: cfg})
}

func benchName(proto string) string {
	if proto == "" {
		return "implicit"
	}
	return proto
}

// BenchmarkProbeStartTLS measures one Probe (dial, dialogue, strict
// handshake) per protocol against the fake servers, beside implicit TLS:
// the difference is the dialogue's cost.
//
//	go test ./pkg/probe -run '^$' -bench ProbeStartTLS -benchtime 50x
func BenchmarkProbeStartTLS(b *testing.B) {
	for _, proto := range benchProtocols() {
		b.Run(benchName(proto), func(b *testing.B) {
			addr := startTLSBenchServer(b, proto)
			_, port, _ := net.SplitHostPort(addr)
			p, _ := strconv.Atoi(port)
			tg := target.Target{Host: "example.test", Port: p, StartTLS: proto}
			opts := Options{Timeout: 5 * time.Second, Resolve: map[string]string{tg.Key(): "127.0.0.1"}}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if obs := Probe(context.Background(), tg, opts); obs.Err != nil {
					b.Fatal(obs.Err)
				}
			}
		})
	}
}

// BenchmarkOpenSSLStartTLS measures `openssl s_client -starttls` on the
// same servers (a process per handshake), the reference a STARTTLS check
// is compared with.
//
//	go test ./pkg/probe -run '^$' -bench OpenSSLStartTLS -benchtime 20x
func BenchmarkOpenSSLStartTLS(b *testing.B) {
	if _, err := exec.LookPath("openssl"); err != nil {
		b.Skip("openssl is not installed")
	}
	for _, proto := range benchProtocols() {
		b.Run(benchName(proto), func(b *testing.B) {
			args := starttlsfake.OpenSSLArgs(proto, startTLSBenchServer(b, proto), "example.test")
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
					b.Fatalf("%v\n%s", err, out)
				}
			}
		})
	}
}

package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/starttls"
	"github.com/certgate/certgate/pkg/target"
)

// startTLSTarget is a target for the fake server at addr, named host.
func startTLSTarget(t *testing.T, addr, proto, host string) (target.Target, map[string]string) {
	t.Helper()
	_, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	tg := target.Target{Host: host, Port: p, StartTLS: proto}
	return tg, map[string]string{tg.Key(): "127.0.0.1"}
}

// TestProbeStartTLS: every dialect upgrades and hands over to the strict
// handshake, which reads the fake server's chain; every failure gets its
// own problem id with code 11220 and the address, and none hangs.
func TestProbeStartTLS(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("mail.test"))
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
	wantID := map[starttlsfake.Mode]string{
		starttlsfake.NotOffered: result.ProblemStartTLSNotOffered,
		starttlsfake.Refused:    result.ProblemStartTLSRefused,
		starttlsfake.Garbage:    result.ProblemStartTLSProtocol,
		starttlsfake.Stall:      result.ProblemStartTLSProtocol,
		starttlsfake.Huge:       result.ProblemStartTLSProtocol,
	}
	for _, proto := range starttls.Protocols() {
		modes := starttlsfake.Modes()
		if proto == starttls.PostgresDirect {
			modes = modes[:1]
		}
		for _, mode := range modes {
			t.Run(proto+"/"+mode.String(), func(t *testing.T) {
				t.Parallel()
				addr := starttlsfake.Start(t, starttlsfake.Config{Proto: proto, Mode: mode, TLS: cfg})
				tg, resolve := startTLSTarget(t, addr, proto, "mail.test")
				timeout := 5 * time.Second
				if mode == starttlsfake.Stall {
					timeout = 300 * time.Millisecond
				}
				obs := Probe(context.Background(), tg, Options{Timeout: timeout, Resolve: resolve})
				if obs.Address != addr {
					t.Errorf("address %q, want %q", obs.Address, addr)
				}
				if mode == starttlsfake.OK {
					if obs.Err != nil {
						t.Fatalf("Probe: %v", obs.Err)
					}
					if len(obs.Certs) != 1 || !obs.Certs[0].Equal(leaf.Cert) {
						t.Fatalf("chain of %d certificates, want the fake's leaf", len(obs.Certs))
					}
					if proto == starttls.PostgresDirect && obs.TLS.ALPN != "postgresql" {
						t.Errorf("ALPN %q, want postgresql", obs.TLS.ALPN)
					}
					if proto != starttls.PostgresDirect && obs.TLS.ALPN != "" {
						t.Errorf("ALPN %q offered after STARTTLS", obs.TLS.ALPN)
					}
					return
				}
				if obs.Err == nil {
					t.Fatal("Probe passed")
				}
				if obs.Err.ID != wantID[mode] || obs.Err.Code != result.CodeHandshake {
					t.Errorf("failure %s %d, want %s 11220: %s", obs.Err.ID, obs.Err.Code, wantID[mode], obs.Err.Detail)
				}
				if !strings.HasPrefix(obs.Err.Detail, addr+": ") {
					t.Errorf("detail does not name the address: %s", obs.Err.Detail)
				}
			})
		}
	}
}

// TestStartTLSSenderReplay: a server that, after the upgrade, speaks only
// RSA key exchange is diagnosed and judged by the recorded Java clients,
// each through a fresh STARTTLS dialogue.
func TestStartTLSSenderReplay(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("mail.test"), testpki.WithKey(testpki.RSA(2048)))
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}}
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "smtp", TLS: cfg})
	tg, resolve := startTLSTarget(t, addr, "smtp", "mail.test")
	obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: resolve, Clients: senderClients(t)})
	if obs.Err != nil {
		t.Fatalf("Probe: %v", obs.Err)
	}
	if obs.TLS == nil || obs.TLS.Client != "java-17" || obs.TLS.CipherSuite != "TLS_RSA_WITH_AES_128_GCM_SHA256" {
		t.Fatalf("TLS %+v, want java-17 with TLS_RSA_WITH_AES_128_GCM_SHA256", obs.TLS)
	}
	if _, ok := problem(obs.Problems, result.ProblemClientFallback); !ok {
		t.Errorf("no client-fallback warning: %v", obs.Problems)
	}
	if len(obs.Certs) != 1 {
		t.Errorf("chain of %d certificates, want the leaf read from the replayed handshake", len(obs.Certs))
	}
}

// TestDialer: each call of Dialer makes a fresh connection and dialogue,
// ready for a ClientHello; a failed dialogue is a *Failure.
func TestDialer(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("mail.test"))
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
	ok := starttlsfake.Start(t, starttlsfake.Config{Proto: "imap", TLS: cfg})
	tg, resolve := startTLSTarget(t, ok, "imap", "mail.test")
	dialFn := Dialer(tg, Options{Resolve: resolve})
	for i := 0; i < 2; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, err := dialFn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tc := tls.Client(conn, &tls.Config{ServerName: "mail.test", InsecureSkipVerify: true})
		if err := tc.HandshakeContext(ctx); err != nil {
			t.Fatalf("handshake %d: %v", i, err)
		}
		tc.Close()
		cancel()
	}
	refused := starttlsfake.Start(t, starttlsfake.Config{Proto: "imap", Mode: starttlsfake.Refused, TLS: cfg})
	tg, resolve = startTLSTarget(t, refused, "imap", "mail.test")
	_, err := Dialer(tg, Options{Resolve: resolve, Timeout: time.Second})(context.Background())
	var f *Failure
	if !errors.As(err, &f) || f.ID != result.ProblemStartTLSRefused {
		t.Fatalf("err = %v, want a starttls-refused *Failure", err)
	}
}

// TestStartTLSXMPPDomain: --xmpp-domain is the stream's "to".
func TestStartTLSXMPPDomain(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("xmpp.chat.test"))
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "xmpp", TLS: &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}, Domain: "chat.test"})
	tg, resolve := startTLSTarget(t, addr, "xmpp", "xmpp.chat.test")
	if obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: resolve}); obs.Err == nil || obs.Err.ID != result.ProblemStartTLSRefused {
		t.Fatalf("without the domain: %+v, want starttls-refused", obs.Err)
	}
	if obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: resolve, XMPPDomain: "chat.test"}); obs.Err != nil {
		t.Fatalf("with the domain: %v", obs.Err)
	}
}

// TestStartTLSTablesAgree: every protocol a target can name has a
// dialogue, and every dialogue a default port.
func TestStartTLSTablesAgree(t *testing.T) {
	for _, p := range target.StartTLSProtocols() {
		if !starttls.Supported(p) {
			t.Errorf("target protocol %s has no dialogue", p)
		}
	}
	for _, p := range starttls.Protocols() {
		if _, ok := target.StartTLSPort(p); !ok {
			t.Errorf("dialogue %s has no default port", p)
		}
	}
}

// TestPostgresDirectOnOldServer: a server before PostgreSQL 17 closes a
// direct TLS connection; the failure says how to check it instead.
func TestPostgresDirectOnOldServer(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("db.test"))
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "postgres", TLS: &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}})
	tg, resolve := startTLSTarget(t, addr, starttls.PostgresDirect, "db.test")
	obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: resolve})
	if obs.Err == nil || obs.Err.ID != result.ProblemHandshake || !strings.Contains(obs.Err.Detail, "drop sslnegotiation=direct") {
		t.Fatalf("failure %+v, want handshake-failure naming sslnegotiation", obs.Err)
	}
}

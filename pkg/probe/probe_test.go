package probe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

func mustParse(t *testing.T, s string) target.Target {
	t.Helper()
	tg, err := target.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	cases := []struct {
		name  string
		err   error
		phase Phase
		want  result.Code
		id    string
	}{
		{"dns not found", &net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.invalid", Err: "no such host", IsNotFound: true}}, PhaseDial, 11210, result.ProblemDNS},
		{"refused", opErr(syscall.ECONNREFUSED), PhaseDial, 11202, result.ProblemTCPRefused},
		{"dial timeout", fmt.Errorf("dial: %w", context.DeadlineExceeded), PhaseDial, 11201, result.ProblemTCPTimeout},
		{"unreachable", opErr(syscall.ENETUNREACH), PhaseDial, 11205, result.ProblemConnection},
		{"reset before handshake", opErr(syscall.ECONNRESET), PhaseDial, 11205, result.ProblemConnection},
		{"not tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, PhaseHandshake, 11220, result.ProblemHandshake},
		{"alert", fmt.Errorf("remote error: %w", tls.AlertError(70)), PhaseHandshake, 11220, result.ProblemHandshake},
		{"handshake timeout", os.ErrDeadlineExceeded, PhaseHandshake, 11220, result.ProblemHandshake},
		{"reset in handshake", opErr(syscall.ECONNRESET), PhaseHandshake, 11220, result.ProblemHandshake},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Classify(c.err, c.phase, time.Second)
			if f.Code != c.want || f.ID != c.id {
				t.Errorf("Classify = %d %s, want %d %s", f.Code, f.ID, c.want, c.id)
			}
			if f.Detail == "" || f.Detail != strings.ToLower(f.Detail[:1])+f.Detail[1:] {
				t.Errorf("detail %q: want a lower-case sentence", f.Detail)
			}
			if !errors.Is(f, c.err) {
				t.Errorf("failure does not wrap the cause")
			}
		})
	}
}

func TestProbeRecordsConnection(t *testing.T) {
	root := testpki.NewRoot(t, "Probe Root")
	leaf := root.Leaf(t)
	var sawSNI string
	addr := testpki.Serve(t, &tls.Config{
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sawSNI = h.ServerName
			c := leaf.TLSCert(root.Cert)
			c.OCSPStaple = []byte{0x30, 0x03, 0x0a, 0x01, 0x00}
			return &c, nil
		},
		NextProtos: []string{"h2"},
	})
	_, port, _ := net.SplitHostPort(addr)
	tg := mustParse(t, "https://example.test:"+port+"/path?q=1")
	obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: map[string]string{"example.test:" + port: "127.0.0.1"}})
	if obs.Err != nil {
		t.Fatalf("probe failed: %v", obs.Err)
	}
	if obs.Address != addr || sawSNI != "example.test" {
		t.Errorf("address %q SNI %q, want %q and example.test", obs.Address, sawSNI, addr)
	}
	if obs.TLS.Version != "TLS 1.3" || obs.TLS.ALPN != "h2" || !obs.TLS.OCSPStapled || obs.TLS.CipherSuite == "" {
		t.Errorf("tls info %+v", obs.TLS)
	}
	if len(obs.Certs) != 2 || !obs.Certs[0].Equal(leaf.Cert) {
		t.Errorf("chain of %d, want leaf and root as presented", len(obs.Certs))
	}
	if obs.Duration <= 0 {
		t.Errorf("duration %s", obs.Duration)
	}

	// No SNI for IP targets and with NoSNI.
	for _, c := range []struct {
		raw   string
		noSNI bool
	}{{addr, false}, {"example.test:" + port, true}} {
		sawSNI = "unset"
		obs = Probe(context.Background(), mustParse(t, c.raw), Options{NoSNI: c.noSNI, Resolve: map[string]string{"example.test:" + port: "127.0.0.1"}})
		if obs.Err != nil || sawSNI != "" {
			t.Errorf("%s (no-sni %v): err %v, SNI %q, want none", c.raw, c.noSNI, obs.Err, sawSNI)
		}
	}
}

func TestProbeLegacyServer(t *testing.T) {
	root := testpki.NewRoot(t, "Legacy Root")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		addr := testpki.Serve(t, &tls.Config{
			Certificates: []tls.Certificate{root.Leaf(t).TLSCert()},
			MinVersion:   v, MaxVersion: v,
		})
		obs := Probe(context.Background(), mustParse(t, addr), Options{Timeout: 5 * time.Second})
		name := tls.VersionName(v)
		if obs.Err == nil || obs.Err.Code != result.CodeHandshake || obs.Err.ID != result.ProblemLegacyTLS || !strings.Contains(obs.Err.Detail, name) {
			t.Errorf("%s server: %+v, want 11220 legacy-tls-version naming %s", name, obs.Err, name)
		}
		if len(obs.Certs) != 1 || obs.TLS == nil || obs.TLS.Version != name {
			t.Errorf("%s server: certificate not captured by the legacy handshake (%d certs, tls %+v)", name, len(obs.Certs), obs.TLS)
		}
	}
}

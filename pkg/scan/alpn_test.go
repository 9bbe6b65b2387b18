package scan_test

import (
	"context"
	"crypto/tls"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/scan"
)

// TestScanTargetALPN: a server that closes every connection whose hello
// lacks its ALPN protocol (PostgreSQL 17's direct TLS) is scanned in full
// when Target.ALPN names it: protocols, suites, groups, the client
// simulation and the ALPN probe all get through. Without it,
// the scan finds nothing, and because check completed a handshake
// (Options.Negotiated) that empty report is a scan-incomplete warning
// naming why, not a server without TLS; with nothing negotiated by check
// there is no such warning.
func TestScanTargetALPN(t *testing.T) {
	leaf := testpki.SelfSigned(t, testpki.DNS("example.test"))
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: "postgres-direct",
		TLS: &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}})
	openssl3, err := clients.ByName("openssl-3")
	if err != nil {
		t.Fatal(err)
	}
	d := net.Dialer{}
	run := func(alpn []string, negotiated string) scan.Report {
		return scan.Run(context.Background(), scan.Target{ServerName: "example.test", ALPN: alpn,
			Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }},
			scan.Options{Timeout: 5 * time.Second, Concurrency: 4, Clients: []*clients.Profile{openssl3}, Negotiated: negotiated})
	}
	warned := func(r scan.Report) *result.Problem {
		for i, p := range r.Problems {
			if p.ID == result.ProblemScanIncomplete && p.Severity == result.SeverityWarn {
				return &r.Problems[i]
			}
		}
		return nil
	}

	r := run([]string{"postgresql"}, "TLS 1.3")
	s := r.Scan
	if got := protocols(s); !slices.Equal(got, []string{"TLS 1.3", "TLS 1.2"}) {
		t.Errorf("with ALPN postgresql: protocols %v, want TLS 1.3 and TLS 1.2", got)
	}
	if len(suites(s, "TLS 1.3")) != 3 || len(suites(s, "TLS 1.2")) == 0 || len(s.Groups) == 0 {
		t.Errorf("with ALPN postgresql: TLS 1.3 suites %v, TLS 1.2 suites %v, groups %v", suites(s, "TLS 1.3"), suites(s, "TLS 1.2"), s.Groups)
	}
	if len(s.Clients) != 1 || !s.Clients[0].OK {
		t.Errorf("with ALPN postgresql: client simulation %+v, want ok", s.Clients)
	}
	if !slices.Equal(s.Features.ALPN, []string{"postgresql"}) {
		t.Errorf("with ALPN postgresql: ALPN %v, want [postgresql]", s.Features.ALPN)
	}
	for _, p := range r.Problems {
		t.Errorf("with ALPN postgresql: problem %s: %s", p.ID, p.Message)
	}

	r = run(nil, "TLS 1.3")
	if got := protocols(r.Scan); len(got) != 0 {
		t.Errorf("without ALPN: protocols %v; the fake server must refuse them all", got)
	}
	if p := warned(r); p == nil || !strings.Contains(p.Message, "TLS 1.3: ") || !strings.Contains(p.Message, "check negotiated TLS 1.3") {
		t.Errorf("without ALPN, after check's handshake: problems %+v; want a scan-incomplete warning naming why each protocol failed", r.Problems)
	}
	if r = run(nil, ""); warned(r) != nil {
		t.Errorf("without ALPN, no handshake by check: problems %+v; want no scan-incomplete warning", r.Problems)
	}
}

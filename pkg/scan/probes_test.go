package scan_test

import (
	"testing"

	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/scan"
)

// TestScanConnectionBudget bounds the connections a scan makes to a
// TLS 1.2-only openssl s_server with N suites, so that a change that
// multiplies them fails. The bound, part by part:
//
//   - 6: the first hello of each protocol (SSL 2.0 to TLS 1.3); five are
//     refused, TLS 1.2's finds the server's first suite.
//   - 2(N-1) + 4: the rest of TLS 1.2's suites, enumerated per key
//     exchange class (ECDHE, DHE, RSA, other: 4), each class's list split
//     in two after each suite found so that the halves run side by side.
//     A class accepting k suites costs at most 2k+1 hellos: k finds, and
//     one refusal per branch, of which there are at most k+1.
//   - 2, plus N-1 for a server with its own order: the preference test
//     (the accepted suites forward and reversed), then one hello per
//     suite to merge the classes' chains.
//   - G+chains: the groups the server accepts, one hello each, plus one
//     refusal per chain of groupChain candidates, TLS 1.2 curves and TLS
//     1.3 groups alike (a TLS 1.3 chain is refused at once without TLS 1.3).
//   - 1: compression, heartbeat, staple and SCTs, in one hello.
//   - A+1: the ALPN protocols the server selects, one hello each, and the
//     refusal.
//   - 4: two crypto/tls handshakes for session tickets (and HSTS), two
//     for resumption by session id.
//   - C: one hello per client simulation.
//   - 0: TLS_FALLBACK_SCSV, which a server of one protocol is not asked.
func TestScanConnectionBudget(t *testing.T) {
	all, err := clients.All()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
	}{
		{"6 suites, 3 classes, ALPN", []string{"-cipher", "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256:AES256-SHA", "-alpn", "h2,http/1.1"}},
		{"1 suite", []string{"-cipher", "ECDHE-RSA-AES128-GCM-SHA256"}},
		{"every suite, server order", []string{"-cipher", "ALL:@SECLEVEL=0", "-serverpref"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tlsservers.StartOpenSSL(t, append([]string{"-tls1_2"}, tt.args...)...)
			r := scanAddr(t, srv, scan.Options{Concurrency: 4})
			s := r.Scan
			n, g, a, c := len(s.CipherSuites), len(s.Groups), len(s.Features.ALPN), len(all)
			merge := 0
			if s.ServerPreference["TLS 1.2"] {
				merge = n - 1
			}
			const chains = 3 + 5 // 11 TLS 1.2 curves and 20 TLS 1.3 groups, in chains of 4
			bound := 6 + 2*(n-1) + 4 + 2 + merge + g + chains + 1 + a + 1 + 4 + c
			if n == 0 || s.Probes > bound {
				t.Errorf("%d suites, %d groups, %d ALPN protocols, %d clients: %d connections, want at most %d", n, g, a, c, s.Probes, bound)
			}
			t.Logf("%d suites, %d groups, %d ALPN protocols, %d clients: %d connections (bound %d)", n, g, a, c, s.Probes, bound)
		})
	}
}

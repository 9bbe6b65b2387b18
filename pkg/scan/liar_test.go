package scan_test

import (
	"context"
	"encoding/asn1"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/scan"
	"github.com/certgate/certgate/pkg/tlswire"
)

// liar answers every ClientHello with the same TLS 1.2 ServerHello,
// selecting suite (whatever was offered), then ServerHelloDone.
func liar(suite uint16, extra []byte) func(net.Conn) { return fixedServer(suite, extra, false) }

// fixedServer answers every ClientHello with a TLS 1.2 ServerHello
// selecting suite, with the extensions extra (raw, without the list
// length); when obliging, it selects DEFLATE and echoes the heartbeat
// extension only when the hello offers them, and otherwise neither.
func fixedServer(suite uint16, extra []byte, obliging bool) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, rec); err != nil {
			return
		}
		var comp byte
		exts := extra
		if obliging {
			exts = nil
			if h, err := tlswire.ParseClientHello(append(hdr, rec...)); err == nil {
				if slices.Contains(h.CompressionMethods, 1) {
					comp = 1
				}
				if _, ok := h.Extension(15); ok {
					exts = []byte{0, 15, 0, 1, 1} // heartbeat, peer_allowed_to_send
				}
			}
		}
		body := []byte{0x03, 0x03}
		body = append(body, make([]byte, 32)...) // random
		body = append(body, 0, byte(suite>>8), byte(suite), comp)
		if exts != nil {
			body = append(body, byte(len(exts)>>8), byte(len(exts)))
			body = append(body, exts...)
		}
		msg := append([]byte{2, 0, byte(len(body) >> 8), byte(len(body))}, body...)
		msg = append(msg, 14, 0, 0, 0) // ServerHelloDone
		out := append([]byte{22, 3, 3, byte(len(msg) >> 8), byte(len(msg))}, msg...)
		_, _ = c.Write(out)
		_, _ = io.Copy(io.Discard, c)
	}
}

// TestLyingServer: a server that selects a suite or version it was not
// offered yields a problem, never a panic, and is not reported as
// accepting what it was not offered.
func TestLyingServer(t *testing.T) {
	tests := []struct {
		name  string
		suite uint16
		extra []byte
	}{
		{"always RC4-SHA", 0x0005, nil},
		{"a TLS 1.3 suite at TLS 1.2", 0x1301, nil},
		{"an unassigned suite", 0xfefe, nil},
		{"garbage extensions", 0xc02f, []byte{0xff, 0x01, 0x00, 0x05, 1, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := testpki.ServeRaw(t, liar(tt.suite, tt.extra))
			d := net.Dialer{}
			r := scan.Run(context.Background(), scan.Target{ServerName: "example.test",
				Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }},
				scan.Options{Timeout: 5 * time.Second, Concurrency: 4})
			lied := false
			for _, p := range r.Problems {
				lied = lied || p.ID == result.ProblemScanUnoffered
			}
			if tt.suite == 0x0005 && !lied {
				t.Errorf("no %s problem: %+v", result.ProblemScanUnoffered, r.Problems)
			}
			for _, c := range r.Scan.CipherSuites {
				if c.Protocol != "TLS 1.2" {
					t.Errorf("a TLS 1.2-only server reported with %s at %s", c.Name, c.Protocol)
				}
			}
			if tt.suite == 0x0005 {
				if r.Scan.Features.SecureRenegotiation {
					t.Error("secure renegotiation reported for a server that sends no renegotiation_info")
				}
				if n := len(r.Scan.CipherSuites); n != 1 {
					t.Errorf("%d suites accepted, want RC4-SHA once: %+v", n, r.Scan.CipherSuites)
				}
			}
		})
	}
}

// TestScanByteLimit: every connection of a scan reads at most
// Options.MaxBytes, the crypto/tls ones (resumption, HSTS) included: a
// server whose certificate is larger than the limit gets no resumption
// handshake and no suite, only scan-incomplete.
func TestScanByteLimit(t *testing.T) {
	big := testpki.SelfSigned(t, testpki.Extension(asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, false, make([]byte, 64<<10)))
	chain := filepath.Join(t.TempDir(), "chain.pem")
	if err := os.WriteFile(chain, testpki.PEM(big.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := tlsservers.StartOpenSSL(t, "-tls1_2", "-cert_chain", chain).Addr
	d := net.Dialer{}
	run := func(limit int64) scan.Report {
		return scan.Run(context.Background(), scan.Target{ServerName: "example.test",
			Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }},
			scan.Options{Timeout: 5 * time.Second, Concurrency: 4, MaxBytes: limit, Clients: []*clients.Profile{}})
	}
	if r := run(0); !r.Scan.Features.SessionResumptionTickets || len(r.Scan.CipherSuites) == 0 {
		t.Fatalf("without a limit: tickets %v, %d suites; want a resumption and suites", r.Scan.Features.SessionResumptionTickets, len(r.Scan.CipherSuites))
	}
	r := run(16 << 10)
	incomplete := false
	for _, p := range r.Problems {
		incomplete = incomplete || p.ID == result.ProblemScanIncomplete
	}
	if !incomplete || len(r.Scan.CipherSuites) != 0 || r.Scan.Features.SessionResumptionTickets {
		t.Errorf("with a 16 KiB limit: problems %+v, %d suites, tickets %v; want scan-incomplete, none, false",
			r.Problems, len(r.Scan.CipherSuites), r.Scan.Features.SessionResumptionTickets)
	}
}

// TestCompressionAndHeartbeat: a server that selects DEFLATE when offered
// and echoes the heartbeat extension is reported with both.
func TestCompressionAndHeartbeat(t *testing.T) {
	addr := testpki.ServeRaw(t, fixedServer(0xc02f, nil, true))
	d := net.Dialer{}
	r := scan.Run(context.Background(), scan.Target{ServerName: "example.test",
		Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }},
		scan.Options{Timeout: 5 * time.Second, Concurrency: 4, Clients: []*clients.Profile{}})
	if f := r.Scan.Features; !f.Compression || !f.Heartbeat {
		t.Errorf("compression %v, heartbeat %v; want both", f.Compression, f.Heartbeat)
	}

	plain := testpki.ServeRaw(t, liar(0xc02f, nil))
	r = scan.Run(context.Background(), scan.Target{ServerName: "example.test",
		Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", plain) }},
		scan.Options{Timeout: 5 * time.Second, Concurrency: 4, Clients: []*clients.Profile{}})
	if f := r.Scan.Features; f.Compression || f.Heartbeat {
		t.Errorf("a server without either: compression %v, heartbeat %v", f.Compression, f.Heartbeat)
	}
}

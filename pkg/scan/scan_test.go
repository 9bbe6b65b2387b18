package scan_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/scan"
)

// scanAddr scans a loopback server as example.test.
func scanAddr(t *testing.T, srv *tlsservers.Server, opts scan.Options) scan.Report {
	t.Helper()
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.VerifyChain == nil {
		pool := x509.NewCertPool()
		pool.AddCert(srv.Root)
		opts.VerifyChain = scan.VerifyWith(pool, "example.test")
	}
	d := net.Dialer{}
	tgt := scan.Target{ServerName: "example.test", HTTPS: true,
		Dial: func(ctx context.Context) (net.Conn, error) { return d.DialContext(ctx, "tcp", srv.Addr) }}
	r := scan.Run(context.Background(), tgt, opts)
	if testing.Verbose() {
		b, _ := json.MarshalIndent(r.Scan, "", " ")
		t.Logf("%s\nproblems: %v", b, r.Problems)
	}
	return r
}

package probe

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

// TestProbeAddress: Options.Address is dialled in place of the host's
// own addresses and of a --resolve entry, and SNI still names the host.
func TestProbeAddress(t *testing.T) {
	root := testpki.NewRoot(t, "Address Root")
	cert := root.Leaf(t, testpki.DNS("given.test")).TLSCert()
	addr := testpki.Serve(t, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		if h.ServerName != "given.test" {
			return nil, fmt.Errorf("no certificate for %q", h.ServerName)
		}
		return &cert, nil
	}})
	_, port, _ := net.SplitHostPort(addr)
	closed := testpki.ClosedPort(t)
	f, cache := newFake(map[string]func() ([]net.IPAddr, error){"given.test": loopback})
	lookups := NewDNSCacheFunc(f.lookup)

	tests := []struct {
		name     string
		target   string
		opts     Options
		wantAddr string
		wantCode result.Code
	}{
		{name: "instead of the cache", target: "given.test:" + port, opts: Options{Address: addr, DNS: cache}, wantAddr: addr},
		{name: "over a --resolve entry", target: "given.test:" + port, opts: Options{Address: addr, Resolve: map[string]string{"given.test:" + port: "192.0.2.1"}}, wantAddr: addr},
		{name: "a closed address", target: "given.test:" + port, opts: Options{Address: closed, DNS: lookups}, wantAddr: "", wantCode: result.CodeTCPRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := target.Parse(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			tt.opts.Timeout = 5 * time.Second
			obs := Probe(context.Background(), tg, tt.opts)
			if tt.wantCode != 0 {
				if obs.Err == nil || obs.Err.Code != tt.wantCode || !strings.Contains(obs.Err.Detail, closed) {
					t.Fatalf("Probe = %+v, want code %d naming %s", obs.Err, tt.wantCode, closed)
				}
			} else if obs.Err != nil || obs.Address != tt.wantAddr || len(obs.Certs) == 0 || obs.Certs[0].DNSNames[0] != "given.test" {
				t.Fatalf("Probe: err %v, address %q, want %s", obs.Err, obs.Address, tt.wantAddr)
			}
		})
	}
	if n := f.calls["given.test"]; n != 0 {
		t.Errorf("%d lookups, want none: the address was given", n)
	}
}

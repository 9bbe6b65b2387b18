package main

import (
	"context"
	"net"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// TestCheckFirstAddress checks a host name through the system resolver:
// by default at each of its addresses (addresses lists them), with
// --first-address at one (no addresses).
func TestCheckFirstAddress(t *testing.T) {
	ips, err := net.DefaultResolver.LookupIPAddr(context.Background(), "localhost")
	if err != nil || len(ips) != 1 || !ips[0].IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Skipf("localhost resolves to %v (%v), not 127.0.0.1 alone", ips, err)
	}
	p := newPKI(t, "First Address")
	addr := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("localhost")), p.inter.Cert)
	_, port, _ := net.SplitHostPort(addr)
	cases := []struct {
		name  string
		args  []string
		addrs []result.AddressResult
	}{
		{name: "every address", addrs: []result.AddressResult{{Address: addr, Status: result.StatusOK}}},
		{name: "--first-address", args: []string{"--first-address"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, rs, stderr := jsonResults(t, append(c.args, "--store", p.store, "localhost:"+port)...)
			if len(rs) != 1 || rs[0].Status != result.StatusOK || rs[0].Address != addr {
				t.Fatalf("results %+v, want one ok at %s; stderr %s", rs, addr, stderr)
			}
			got := rs[0].Addresses
			if len(got) != len(c.addrs) {
				t.Fatalf("addresses %+v, want %+v", got, c.addrs)
			}
			for i, w := range c.addrs {
				if got[i].Address != w.Address || got[i].Status != w.Status || got[i].Code != w.Code || got[i].LeafSHA256 != rs[0].Chain[0].SHA256 {
					t.Errorf("addresses[%d] = %+v, want %+v with the leaf's sha256", i, got[i], w)
				}
			}
		})
	}
}

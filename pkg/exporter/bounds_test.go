package exporter

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
)

// TestEarliestOnPath: an intermediate that expires before the leaf gives
// position="earliest" its notAfter, and position="leaf" the leaf's.
func TestEarliestOnPath(t *testing.T) {
	f := newFleet(t)
	inter := f.root.Intermediate(t, "Exporter Short Issuing", testpki.Validity(testpki.Epoch.AddDate(-1, 0, 0), testpki.Epoch.AddDate(0, 0, 20)))
	leaf := inter.Leaf(t, testpki.DNS("example.test"), testpki.Validity(testpki.Epoch.AddDate(0, -1, 0), testpki.Epoch.AddDate(0, 6, 0)))
	addr := testpki.ServeCert(t, leaf, inter.Cert)
	ep := f.endpoint(addr)
	e, err := New([]Endpoint{ep}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	fams, code, body := scrape(t, e.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	u, _ := url.Parse(ep.Target)
	lbl := func(pos string) map[string]string {
		return map[string]string{"target": ep.Target, "address": "127.0.0.1:" + u.Port(), "position": pos}
	}
	if got, want := one(t, fams, MetricNotAfter, lbl("leaf")), float64(leaf.Cert.NotAfter.Unix()); got != want {
		t.Errorf("leaf notAfter = %v, want %v (the leaf's)", got, want)
	}
	if got, want := one(t, fams, MetricNotAfter, lbl("earliest")), float64(inter.Cert.NotAfter.Unix()); got != want {
		t.Errorf("earliest notAfter = %v, want %v (the intermediate's, before the leaf's %v)", got, want, leaf.Cert.NotAfter.Unix())
	}
	// Within --warn-days of the intermediate's end, the endpoint warns.
	if got := one(t, fams, MetricResultCode, map[string]string{"target": ep.Target, "status": "warn"}); got != 0 {
		t.Errorf("%s{status=warn} = %v, want 0", MetricResultCode, got)
	}
}

// slowServer is a TLS server on loopback that waits before each handshake,
// counting the connections waiting at once. A connection stops counting
// before the server answers its ClientHello, so a client cannot finish a
// check, and start another, while it still counts.
type slowServer struct {
	waiting, max, total atomic.Int64
}

func newSlowServer(t *testing.T, delay time.Duration, leaf *testpki.Leaf) (*slowServer, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}}
	s := &slowServer{}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if !errors.Is(err, net.ErrClosed) {
					t.Errorf("accept: %v", err)
				}
				return
			}
			go func() {
				defer c.Close()
				n := s.waiting.Add(1)
				s.total.Add(1)
				for m := s.max.Load(); n > m && !s.max.CompareAndSwap(m, n); m = s.max.Load() {
				}
				time.Sleep(delay)
				s.waiting.Add(-1)
				tc := tls.Server(c, cfg)
				if tc.Handshake() == nil {
					_, _ = io.Copy(io.Discard, tc)
				}
			}()
		}
	}()
	return s, ln.Addr().String()
}

// TestConcurrencyBound: serve's checks, the first round (CheckAll) and the
// scheduled ones (Run), hold at most Options.Concurrency connections at
// once, however many endpoints are due.
func TestConcurrencyBound(t *testing.T) {
	f := newFleet(t)
	const n, c = 12, 3
	var names []string
	for i := range n {
		names = append(names, fmt.Sprintf("e%d.test", i))
	}
	leaf := f.root.Leaf(t, testpki.DNS(names...), testpki.Validity(testpki.Epoch.AddDate(0, -1, 0), testpki.Epoch.AddDate(0, 6, 0)))
	srv, addr := newSlowServer(t, 50*time.Millisecond, leaf)
	_, port, _ := net.SplitHostPort(addr)
	var eps []Endpoint
	for _, name := range names {
		eps = append(eps, Endpoint{
			Target:   "https://" + name + ":" + port,
			Probe:    probe.Options{Timeout: 10 * time.Second, Resolve: map[string]string{name + ":" + port: "127.0.0.1"}},
			WarnDays: 30,
		})
	}
	opts := f.options()
	opts.Concurrency = c
	e, err := New(eps, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	if got := srv.total.Load(); got < n {
		t.Fatalf("CheckAll made %d connections for %d endpoints", got, n)
	}
	if m := srv.max.Load(); m > c {
		t.Errorf("CheckAll: %d connections at once, want at most %d (-c)", m, c)
	} else {
		t.Logf("CheckAll: at most %d connections at once (-c %d)", m, c)
	}

	srv.max.Store(0)
	before := srv.total.Load()
	opts.Interval = 200 * time.Millisecond
	opts.Now = time.Now
	e, err = New(eps, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { e.Run(ctx); close(stopped) }()
	for srv.total.Load() < before+2*n {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-stopped
	if m := srv.max.Load(); m > c {
		t.Errorf("Run: %d connections at once, want at most %d (-c)", m, c)
	} else {
		t.Logf("Run: at most %d connections at once (-c %d)", m, c)
	}
}

package runner

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
)

// listenSamePort listens on port p of every ip (127.0.0.0/8 is all
// loopback on Linux, and [::1] where the machine has IPv6), retrying with
// another port when one is taken on some ip. It skips the test when an ip
// cannot be bound at all.
func listenSamePort(t testing.TB, ips ...string) (int, []net.Listener) {
	t.Helper()
	for range 20 {
		first, err := net.Listen("tcp", net.JoinHostPort(ips[0], "0"))
		if err != nil {
			t.Skipf("cannot listen on %s: %v", ips[0], err)
		}
		port := first.Addr().(*net.TCPAddr).Port
		lns := []net.Listener{first}
		for _, ip := range ips[1:] {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
			if err != nil {
				break
			}
			lns = append(lns, ln)
		}
		if len(lns) == len(ips) {
			for _, ln := range lns {
				t.Cleanup(func() { ln.Close() })
			}
			return port, lns
		}
		for _, ln := range lns {
			ln.Close()
		}
	}
	t.Skipf("no port free on all of %v", ips)
	return 0, nil
}

// serveTLS completes a TLS handshake with cert on every connection ln
// accepts, until the test ends.
func serveTLS(t testing.TB, ln net.Listener, cert tls.Certificate) {
	testpki.ServeTLSOn(t, ln, &tls.Config{Certificates: []tls.Certificate{cert}})
}

// hostsDNS resolves the names of its table to their addresses, and says
// that any other name does not exist.
func hostsDNS(table map[string][]string) *probe.DNSCache {
	return probe.NewDNSCacheFunc(func(_ context.Context, host string) ([]net.IPAddr, error) {
		ips, ok := table[host]
		if !ok {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		var out []net.IPAddr
		for _, ip := range ips {
			out = append(out, net.IPAddr{IP: net.ParseIP(ip)})
		}
		return out, nil
	})
}

func hostPort(ip string, port int) string { return net.JoinHostPort(ip, strconv.Itoa(port)) }

// TestCheckEveryAddress serves one good and one bad certificate for one
// name on the same port of different loopback addresses, and requires one
// result per target with the worst address's verdict.
func TestCheckEveryAddress(t *testing.T) {
	root := testpki.NewRoot(t, "Addresses Root")
	inter := root.Intermediate(t, "Addresses CA")
	names := testpki.DNS("multi.test", "good.test", "dead.test", "one.test")
	good := inter.Leaf(t, names).TLSCert(inter.Cert)
	goodToo := inter.Leaf(t, names).TLSCert(inter.Cert)
	expired := inter.Leaf(t, names, testpki.Validity(testpki.Epoch.AddDate(0, -3, 0), testpki.Epoch.AddDate(0, 0, -4))).TLSCert(inter.Cert)
	stores := []*truststore.Store{loadStore(t, root)}

	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	serveTLS(t, lns[0], good)
	serveTLS(t, lns[1], expired)
	serveTLS(t, lns[2], goodToo)
	a1, a2, a3 := hostPort("127.0.0.1", port), hostPort("127.0.0.2", port), hostPort("127.0.0.3", port)
	a4 := hostPort("127.0.0.4", port) // nothing listens there
	p := ":" + strconv.Itoa(port)

	dns := hostsDNS(map[string][]string{
		"multi.test": {"127.0.0.1", "127.0.0.2", "127.0.0.3"},
		"good.test":  {"127.0.0.1", "127.0.0.3"},
		"dead.test":  {"127.0.0.1", "127.0.0.4"},
		"one.test":   {"127.0.0.1"},
	})
	type addr struct {
		address string
		status  result.Status
		code    result.Code
		leaf    *tls.Certificate
	}
	tests := []struct {
		name    string
		target  string
		first   bool
		resolve map[string]string
		status  result.Status
		code    result.Code
		address string           // the top-level address: the worst one's
		detail  []string         // substrings of the detail
		plain   bool             // the detail names no address
		addrs   []addr           // nil: no addresses[]
		leaf    *tls.Certificate // the top-level chain's leaf
	}{
		{name: "one bad address of three", target: "multi.test" + p,
			status: result.StatusFail, code: result.CodeExpired, address: a2, leaf: &expired,
			detail: []string{"1 of 3 addresses, " + a2 + ", fails with code 11236, while " + a1 + " and " + a3 + " pass: ", "expired 4 days ago"},
			addrs:  []addr{{a1, result.StatusOK, 0, &good}, {a2, result.StatusFail, result.CodeExpired, &expired}, {a3, result.StatusOK, 0, &goodToo}}},
		{name: "first address only", target: "multi.test" + p, first: true,
			status: result.StatusOK, address: a1, leaf: &good},
		{name: "a --resolve entry is one address", target: "multi.test" + p, resolve: map[string]string{"multi.test" + p: "127.0.0.3"},
			status: result.StatusOK, address: a3, leaf: &goodToo},
		{name: "an IP target is one address", target: a2,
			status: result.StatusFail, code: result.CodeExpired, address: a2, leaf: &expired},
		{name: "every address passes", target: "good.test" + p,
			status: result.StatusOK, address: a1, leaf: &good, plain: true,
			addrs: []addr{{a1, result.StatusOK, 0, &good}, {a3, result.StatusOK, 0, &goodToo}}},
		{name: "one address refuses", target: "dead.test" + p,
			status: result.StatusError, code: result.CodeTCPRefused, address: a4,
			detail: []string{"1 of 2 addresses, " + a4 + ", could not be checked (code 11202), while " + a1 + " passes: ", a4 + " refused the TCP connection"},
			addrs:  []addr{{a1, result.StatusOK, 0, &good}, {a4, result.StatusError, result.CodeTCPRefused, nil}}},
		{name: "a name that does not resolve", target: "missing.test" + p,
			status: result.StatusError, code: result.CodeBadHostName, detail: []string{"missing.test does not resolve"}},
		{name: "a name with one address", target: "one.test" + p,
			status: result.StatusOK, address: a1, leaf: &good, plain: true,
			addrs: []addr{{a1, result.StatusOK, 0, &good}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{Stores: stores, At: testpki.Epoch, WarnDays: 30, Concurrency: 4, FirstAddress: tt.first,
				Probe: probe.Options{Timeout: 5 * time.Second, DNS: dns, Resolve: tt.resolve}}
			var rs []result.Result
			if err := Run(context.Background(), inputs([]string{tt.target}), cfg, func(r result.Result) error {
				rs = append(rs, r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(rs) != 1 {
				t.Fatalf("%d results, want one per target", len(rs))
			}
			r := rs[0]
			if r.Status != tt.status || r.Code != tt.code {
				t.Errorf("status %s code %d, want %s %d: %s", r.Status, r.Code, tt.status, tt.code, r.Detail)
			}
			if r.Address != tt.address {
				t.Errorf("address %s, want %s (the worst address)", r.Address, tt.address)
			}
			for _, d := range tt.detail {
				if !strings.Contains(r.Detail, d) {
					t.Errorf("detail %q does not say %q", r.Detail, d)
				}
			}
			if tt.plain && strings.Contains(r.Detail, "addresses") {
				t.Errorf("detail %q names addresses, but they all agree", r.Detail)
			}
			if tt.leaf != nil && (len(r.Chain) == 0 || r.Chain[0].SHA256 != sha(tt.leaf)) {
				t.Errorf("the chain is not the worst address's")
			}
			if len(r.Addresses) != len(tt.addrs) {
				t.Fatalf("addresses %+v, want %d", r.Addresses, len(tt.addrs))
			}
			for i, w := range tt.addrs {
				got := r.Addresses[i]
				wantLeaf := ""
				if w.leaf != nil {
					wantLeaf = sha(w.leaf)
				}
				if got.Address != w.address || got.Status != w.status || got.Code != w.code || got.LeafSHA256 != wantLeaf || got.DurationMS <= 0 {
					t.Errorf("addresses[%d] = %+v, want %s %s %d leaf %.8s… and a duration", i, got, w.address, w.status, w.code, wantLeaf)
				}
			}
		})
	}
}

func sha(c *tls.Certificate) string {
	sum := sha256.Sum256(c.Certificate[0])
	return hex.EncodeToString(sum[:])
}

// TestCheckEveryAddressIPv6 checks a name with an IPv4 and an IPv6
// address whose servers present different certificates.
func TestCheckEveryAddressIPv6(t *testing.T) {
	root := testpki.NewRoot(t, "Addresses v6 Root")
	good := root.Leaf(t, testpki.DNS("dual.test")).TLSCert()
	wrong := root.Leaf(t, testpki.DNS("elsewhere.test")).TLSCert()
	port, lns := listenSamePort(t, "127.0.0.1", "::1")
	serveTLS(t, lns[0], good)
	serveTLS(t, lns[1], wrong)
	v4, v6 := hostPort("127.0.0.1", port), hostPort("::1", port)
	for _, first := range []bool{false, true} {
		t.Run(fmt.Sprint("first address ", first), func(t *testing.T) {
			r := Check(context.Background(), Input{Raw: "dual.test:" + strconv.Itoa(port)}, Config{
				Stores: []*truststore.Store{loadStore(t, root)}, At: testpki.Epoch, WarnDays: 30, Concurrency: 2, FirstAddress: first,
				Probe: probe.Options{Timeout: 5 * time.Second, DNS: hostsDNS(map[string][]string{"dual.test": {"127.0.0.1", "::1"}})}})
			if first {
				if r.Status != result.StatusOK || r.Address != v4 || r.Addresses != nil {
					t.Errorf("--first-address: %s at %s with addresses %+v, want ok at %s alone: %s", r.Status, r.Address, r.Addresses, v4, r.Detail)
				}
				return
			}
			if r.Status != result.StatusFail || r.Code != result.CodeDomainMismatch || r.Address != v6 {
				t.Errorf("%s %d at %s, want fail 11235 at %s: %s", r.Status, r.Code, r.Address, v6, r.Detail)
			}
			want := "1 of 2 addresses, " + v6 + ", fails with code 11235, while " + v4 + " passes: "
			if !strings.HasPrefix(r.Detail, want) {
				t.Errorf("detail %q, want it to start %q", r.Detail, want)
			}
			if len(r.Addresses) != 2 || r.Addresses[0].Address != v4 || r.Addresses[1].Address != v6 || r.Addresses[1].LeafSHA256 != sha(&wrong) {
				t.Errorf("addresses %+v, want %s then %s", r.Addresses, v4, v6)
			}
		})
	}
}

// TestEveryAddressKeepsConcurrency checks many names of three addresses
// each and requires no more handshakes in flight than -c allows.
func TestEveryAddressKeepsConcurrency(t *testing.T) {
	root := testpki.NewRoot(t, "Addresses Pool Root")
	cert := root.Leaf(t, testpki.DNS("pool.test")).TLSCert()
	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2", "127.0.0.3")
	for _, ln := range lns {
		serveTLS(t, ln, cert)
	}
	raws := make([]string, 24)
	for i := range raws {
		raws[i] = "pool.test:" + strconv.Itoa(port)
	}
	for _, conc := range []int{1, 2, 5} {
		t.Run(fmt.Sprint("-c ", conc), func(t *testing.T) {
			var inFlight, peak, probes atomic.Int32
			cfg := Config{Stores: []*truststore.Store{loadStore(t, root)}, At: testpki.Epoch, WarnDays: 30, Concurrency: conc,
				Probe: probe.Options{Timeout: 5 * time.Second, DNS: hostsDNS(map[string][]string{"pool.test": {"127.0.0.1", "127.0.0.2", "127.0.0.3"}})}}
			cfg.probe = func(ctx context.Context, tg target.Target, o probe.Options) probe.Observation {
				n := inFlight.Add(1)
				for {
					p := peak.Load()
					if n <= p || peak.CompareAndSwap(p, n) {
						break
					}
				}
				defer inFlight.Add(-1)
				probes.Add(1)
				return probe.Probe(ctx, tg, o)
			}
			results := 0
			if err := Run(context.Background(), inputs(raws), cfg, func(r result.Result) error {
				results++
				if r.Status != result.StatusOK || len(r.Addresses) != 3 {
					t.Errorf("%s with %d addresses, want ok at 3: %s", r.Status, len(r.Addresses), r.Detail)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if results != len(raws) || probes.Load() != int32(3*len(raws)) {
				t.Errorf("%d results from %d handshakes, want %d from %d", results, probes.Load(), len(raws), 3*len(raws))
			}
			if p := peak.Load(); p > int32(conc) {
				t.Errorf("%d handshakes in flight at once with -c %d", p, conc)
			}
		})
	}
}

// TestNoRoute: a dial that fails for want of a route from this machine is
// told apart from the server's refusal or silence.
func TestNoRoute(t *testing.T) {
	tests := []struct {
		errno syscall.Errno
		want  bool
	}{
		{syscall.ENETUNREACH, true},
		{syscall.EAFNOSUPPORT, true},
		{syscall.ECONNREFUSED, false},
		{syscall.ETIMEDOUT, false},
		{syscall.EHOSTUNREACH, false}, // may come from a router near the server
	}
	for _, tt := range tests {
		t.Run(tt.errno.Error(), func(t *testing.T) {
			err := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", tt.errno)}
			if got := noRoute(probe.Classify(err, probe.PhaseDial, time.Second)); got != tt.want {
				t.Errorf("noRoute = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestEveryAddressNotReached resolves a name to a loopback server and to an
// address this machine has no route to (a multicast address, which no TCP
// connection reaches): the second is listed, noted and not counted.
func TestEveryAddressNotReached(t *testing.T) {
	const nowhere = "ff02::1"
	if _, err := net.DialTimeout("tcp", hostPort(nowhere, 443), time.Second); !errors.Is(err, syscall.ENETUNREACH) {
		t.Skipf("dialling %s gives %v here, not ENETUNREACH", nowhere, err)
	}
	root := testpki.NewRoot(t, "Addresses Unreached Root")
	port, lns := listenSamePort(t, "127.0.0.1")
	serveTLS(t, lns[0], root.Leaf(t, testpki.DNS("half.test")).TLSCert())
	r := Check(context.Background(), Input{Raw: "half.test:" + strconv.Itoa(port)}, Config{
		Stores: []*truststore.Store{loadStore(t, root)}, At: testpki.Epoch, WarnDays: 30, Concurrency: 2,
		Probe: probe.Options{Timeout: 5 * time.Second, DNS: hostsDNS(map[string][]string{"half.test": {"127.0.0.1", nowhere}})}})
	if r.Status != result.StatusOK || r.Address != hostPort("127.0.0.1", port) {
		t.Errorf("%s at %s, want ok at the address reached: %s", r.Status, r.Address, r.Detail)
	}
	if len(r.Addresses) != 2 || r.Addresses[1].Status != result.StatusError || r.Addresses[1].Code != result.CodeConnFailure {
		t.Errorf("addresses %+v, want the one not reached listed as error 11205", r.Addresses)
	}
	if len(r.Problems) != 1 || r.Problems[0].ID != result.ProblemAddressNotReached || !strings.Contains(r.Problems[0].Message, hostPort(nowhere, port)) {
		t.Errorf("problems %+v, want one %s note naming %s", r.Problems, result.ProblemAddressNotReached, hostPort(nowhere, port))
	}
}

// TestEveryAddressLooksUpOnce: a name is looked up once per run, whether it
// resolves or not.
func TestEveryAddressLooksUpOnce(t *testing.T) {
	var calls atomic.Int32
	dns := probe.NewDNSCacheFunc(func(_ context.Context, host string) ([]net.IPAddr, error) {
		calls.Add(1)
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	})
	cfg := Config{At: testpki.Epoch, Concurrency: 2, Probe: probe.Options{Timeout: 5 * time.Second, DNS: dns}}
	if err := Run(context.Background(), inputs([]string{"gone.test", "gone.test:8443"}), cfg, func(r result.Result) error {
		if r.Code != result.CodeBadHostName {
			t.Errorf("%s: code %d, want 11210: %s", r.Target, r.Code, r.Detail)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("gone.test looked up %d times, want once", n)
	}
}

// serveSilent accepts on ln and says nothing until the test ends.
func serveSilent(t *testing.T, ln net.Listener) {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				<-done
			}()
		}
	}()
}

// TestEveryAddressDeadlineAndInterrupt: an address that stalls past the
// run's deadline makes the target's result a deadline error naming it; an
// interrupt while it stalls leaves the target without a result.
func TestEveryAddressDeadlineAndInterrupt(t *testing.T) {
	root := testpki.NewRoot(t, "Addresses Deadline Root")
	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2")
	serveTLS(t, lns[0], root.Leaf(t, testpki.DNS("stall.test")).TLSCert())
	serveSilent(t, lns[1])
	stalled := hostPort("127.0.0.2", port)
	base := Config{Stores: []*truststore.Store{loadStore(t, root)}, At: testpki.Epoch, WarnDays: 30, Concurrency: 4,
		Probe: probe.Options{Timeout: time.Minute, DNS: hostsDNS(map[string][]string{"stall.test": {"127.0.0.1", "127.0.0.2"}})}}
	raw := "stall.test:" + strconv.Itoa(port)

	t.Run("deadline", func(t *testing.T) {
		cfg := base
		cfg.Deadline = 500 * time.Millisecond
		var rs []result.Result
		if err := Run(context.Background(), inputs([]string{raw}), cfg, func(r result.Result) error {
			rs = append(rs, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(rs) != 1 || rs[0].Code != result.CodeConnFailure || rs[0].Address != stalled || len(rs[0].Addresses) != 2 {
			t.Fatalf("results %+v, want one 11205 at %s with both addresses", rs, stalled)
		}
		if want := "1 of 2 addresses, " + stalled + ", could not be checked (code 11205)"; !strings.HasPrefix(rs[0].Detail, want) || !strings.Contains(rs[0].Detail, "--deadline") {
			t.Errorf("detail %q, want it to start %q and name --deadline", rs[0].Detail, want)
		}
	})
	t.Run("interrupt", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		// Interrupt once the good address has been checked and the
		// stalled one is in flight.
		cfg := base
		goodDone := make(chan struct{})
		cfg.probe = func(pctx context.Context, tg target.Target, o probe.Options) probe.Observation {
			if o.Address == stalled {
				go func() {
					<-goodDone
					cancel()
				}()
				return probe.Probe(pctx, tg, o)
			}
			defer close(goodDone)
			return probe.Probe(pctx, tg, o)
		}
		emitted := 0
		err := Run(ctx, inputs([]string{raw}), cfg, func(r result.Result) error {
			emitted++
			return nil
		})
		var intr *Interrupted
		if !errors.As(err, &intr) || intr.NotChecked != 1 || emitted != 0 {
			t.Errorf("err %v after %d results, want an interrupt with the target not checked and no result", err, emitted)
		}
	})
}

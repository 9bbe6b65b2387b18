package probe

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

// fakeDNS answers from a table and counts lookups per host.
type fakeDNS struct {
	mu    sync.Mutex
	calls map[string]int
	table map[string]func() ([]net.IPAddr, error)
}

func (f *fakeDNS) lookup(_ context.Context, host string) ([]net.IPAddr, error) {
	f.mu.Lock()
	f.calls[host]++
	ans := f.table[host]
	f.mu.Unlock()
	if ans == nil {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	return ans()
}

func newFake(table map[string]func() ([]net.IPAddr, error)) (*fakeDNS, *DNSCache) {
	f := &fakeDNS{calls: map[string]int{}, table: table}
	return f, &DNSCache{lookup: f.lookup, m: map[string]*dnsEntry{}}
}

func loopback() ([]net.IPAddr, error) { return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil }

func TestDNSCacheLooksUpOnce(t *testing.T) {
	var timeouts atomic.Int32
	f, c := newFake(map[string]func() ([]net.IPAddr, error){
		"a.test": loopback,
		"slow.test": func() ([]net.IPAddr, error) {
			timeouts.Add(1)
			return nil, &net.DNSError{Err: "i/o timeout", Name: "slow.test", IsTimeout: true}
		},
	})
	tests := []struct {
		host      string
		wantCalls int
		wantErr   bool
	}{
		{"a.test", 1, false},       // answers are kept
		{"missing.test", 1, false}, // "no such host" is kept too
		{"slow.test", 50, true},    // a timeout is about the lookup, not the name: asked again
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			var wg sync.WaitGroup
			for range 50 {
				wg.Go(func() {
					addrs, err := c.Lookup(context.Background(), tt.host)
					if tt.host == "a.test" && (err != nil || len(addrs) != 1) {
						t.Errorf("Lookup(a.test) = %v, %v", addrs, err)
					}
					var de *net.DNSError
					if tt.host != "a.test" && !errors.As(err, &de) {
						t.Errorf("Lookup(%s) error %v, want a *net.DNSError", tt.host, err)
					}
				})
			}
			wg.Wait()
			got := f.calls[tt.host]
			if tt.wantErr && got < 2 || !tt.wantErr && got != tt.wantCalls {
				t.Errorf("%s looked up %d times for 50 probes, want %d", tt.host, got, tt.wantCalls)
			}
		})
	}
}

// TestProbeUsesDNSCache: a host name target is dialled through the cache,
// and --resolve entries and IP targets bypass it.
func TestProbeUsesDNSCache(t *testing.T) {
	root := testpki.NewRoot(t, "DNS Cache Root")
	leaf := root.Leaf(t, testpki.DNS("cached.test"))
	addr := testpki.ServeCert(t, leaf)
	_, portStr, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(portStr)
	f, c := newFake(map[string]func() ([]net.IPAddr, error){"cached.test": loopback})

	tests := []struct {
		name      string
		target    string
		resolve   map[string]string
		wantCalls int
		wantCode  result.Code
	}{
		{name: "host name", target: "cached.test:" + portStr, wantCalls: 1},
		{name: "again", target: "https://cached.test:" + portStr + "/other", wantCalls: 1},
		{name: "resolve bypasses", target: "resolved.test:" + portStr, resolve: map[string]string{"resolved.test:" + portStr: "127.0.0.1"}},
		{name: "ip bypasses", target: "127.0.0.1:" + portStr},
		{name: "no such host", target: "missing.test:" + portStr, wantCalls: 1, wantCode: result.CodeBadHostName},
		{name: "no such host again", target: "missing.test:" + portStr, wantCalls: 1, wantCode: result.CodeBadHostName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tg, err := target.Parse(tt.target)
			if err != nil {
				t.Fatal(err)
			}
			obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, DNS: c, Resolve: tt.resolve})
			if tt.wantCode != 0 {
				if obs.Err == nil || obs.Err.Code != tt.wantCode {
					t.Fatalf("Probe(%s) = %+v, want code %d", tt.target, obs.Err, tt.wantCode)
				}
			} else if obs.Err != nil || obs.TLS == nil || obs.Address != net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) {
				t.Fatalf("Probe(%s): err %v, address %q", tt.target, obs.Err, obs.Address)
			}
			if got := f.calls[tg.Host]; got != tt.wantCalls {
				t.Errorf("%s looked up %d times, want %d", tg.Host, got, tt.wantCalls)
			}
		})
	}
}

func TestPartialDeadline(t *testing.T) {
	tests := []struct {
		remaining time.Duration
		n         int
		want      time.Duration
	}{
		{10 * time.Second, 1, 10 * time.Second},
		{10 * time.Second, 2, 5 * time.Second},
		{10 * time.Second, 10, 2 * time.Second},
		{time.Second, 3, time.Second},
	}
	for _, tt := range tests {
		if got := partialDeadline(tt.remaining, tt.n); got != tt.want {
			t.Errorf("partialDeadline(%s, %d) = %s, want %s", tt.remaining, tt.n, got, tt.want)
		}
	}
}

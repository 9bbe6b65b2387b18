package preflight

import (
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/target"
)

// TestPrivateKind names every kind of address a refusing sender will not
// call, and none for public ones.
func TestPrivateKind(t *testing.T) {
	for addr, want := range map[string]string{
		"127.0.0.1": "loopback", "::1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private",
		"192.168.1.1": "private", "169.254.169.254": "link-local", "fe80::1": "link-local",
		"100.64.0.1": "CGNAT", "100.127.255.254": "CGNAT", "fd12::1": "unique-local", "fc00::1": "unique-local",
		"0.0.0.0": "unspecified", "::ffff:10.0.0.1": "private",
		"100.128.0.1": "", "8.8.8.8": "", "2606:4700::1111": "", "203.0.113.7": "",
	} {
		if got := PrivateKind(netip.MustParseAddr(addr)); got != want {
			t.Errorf("%s: %q, want %q", addr, got, want)
		}
	}
}

// TestRedirectToPrivateRefused: a hop to a private address is refused
// before any connection, as the first hop would be.
func TestRedirectToPrivateRefused(t *testing.T) {
	tw, _ := sender.ByName("twilio")
	l := &leg{c: &Config{Resolve: map[string]string{"internal.example.com:443": "10.0.0.8"}}, p: tw, info: &result.HTTPInfo{}}
	u, _ := url.Parse("https://internal.example.com/next")
	addr, ps := l.address(t.Context(), u, 1)
	if addr != "" || len(ps) != 1 || ps[0].ID != result.ProblemPrivateAddress || ps[0].Code != result.CodeHTTPRetrieval {
		t.Fatalf("addr %q problems %+v", addr, ps)
	}
	l.c.AllowPrivate = true
	if addr, _ := l.address(t.Context(), u, 1); addr != "10.0.0.8:443" {
		t.Errorf("with --allow-private: %q", addr)
	}
	br, _ := sender.ByName("browser")
	l.c.AllowPrivate, l.p = false, br
	if addr, _ := l.address(t.Context(), u, 1); addr != "10.0.0.8:443" {
		t.Errorf("browser refuses: %q", addr)
	}
}

// TestNonPublicName: a non-public suffix or a name in the hosts file warns.
func TestNonPublicName(t *testing.T) {
	hosts := filepath.Join(t.TempDir(), "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 localhost\n10.0.0.5 hooks.acme-internal.com  # staging\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Config{HostsFile: hosts}
	for host, warn := range map[string]bool{
		"hooks.acme-internal.com": true, "api.svc.local": true, "x.internal": true, "a.localhost": true, "b.test": true,
		"api.example.com": false, "staging": false,
	} {
		tg, err := target.Parse(host)
		if err != nil {
			t.Fatal(err)
		}
		ps := c.nameProblems(tg)
		if got := len(ps) == 1 && ps[0].ID == result.ProblemNonPublicName && ps[0].Severity == result.SeverityWarn; got != warn {
			t.Errorf("%s: %+v, want warning %v", host, ps, warn)
		}
	}
}

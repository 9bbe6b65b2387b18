package preflight

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/probe"
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

// TestRedirectHopEveryAddress: every address a hop's name resolves to is
// judged, not only the first: a name answering a public-looking address
// and a loopback one is refused, in either order, unless --allow-private;
// the request then goes to the first.
func TestRedirectHopEveryAddress(t *testing.T) {
	answers := map[string][]string{
		"mixed.example.com":    {"203.0.113.7", "127.0.0.1"},
		"mixed-v6.example.com": {"2001:db8::7", "fd00::1"},
		"private.example.com":  {"10.0.0.8", "203.0.113.7"},
		"public.example.com":   {"203.0.113.7", "198.51.100.9"},
	}
	dns := probe.NewDNSCacheFunc(func(ctx context.Context, host string) ([]net.IPAddr, error) {
		var out []net.IPAddr
		for _, a := range answers[host] {
			out = append(out, net.IPAddr{IP: net.ParseIP(a)})
		}
		if out == nil {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	})
	tw, _ := sender.ByName("twilio")
	for _, c := range []struct {
		host    string
		allow   bool
		want    string // the address, "" when refused
		refused string // the address the refusal names
	}{
		{"mixed.example.com", false, "", "127.0.0.1"},
		{"mixed.example.com", true, "203.0.113.7:443", ""},
		{"mixed-v6.example.com", false, "", "fd00::1"},
		{"private.example.com", false, "", "10.0.0.8"},
		{"public.example.com", false, "203.0.113.7:443", ""},
	} {
		t.Run(c.host, func(t *testing.T) {
			l := &leg{c: &Config{DNS: dns, AllowPrivate: c.allow}, p: tw, info: &result.HTTPInfo{}}
			u, _ := url.Parse("https://" + c.host + "/next")
			addr, ps := l.address(t.Context(), u, 1)
			if addr != c.want {
				t.Fatalf("address %q, want %q (problems %+v)", addr, c.want, ps)
			}
			if c.want == "" && (len(ps) != 1 || ps[0].ID != result.ProblemPrivateAddress || ps[0].Code != result.CodeHTTPRetrieval || !strings.Contains(ps[0].Message, c.refused)) {
				t.Errorf("problems %+v, want private-address naming %s", ps, c.refused)
			}
		})
	}
}

// FuzzAllows: whatever the server's Allow header, listing POST among its
// methods is read as allowing POST, and a header that does not mention
// POST at all is not.
func FuzzAllows(f *testing.F) {
	for _, s := range []string{"POST", "GET, HEAD", "post", " POST ,GET", ",,", "POSTX", "\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		resp := &http.Response{Header: http.Header{"Allow": {v + ", POST"}}}
		if !allows(resp, http.MethodPost) {
			t.Fatalf("Allow %q, POST: not read as allowing POST", v)
		}
		resp.Header = http.Header{"Allow": {v}}
		if v != "" && !strings.Contains(strings.ToLower(v), "post") && allows(resp, http.MethodPost) {
			t.Fatalf("Allow %q read as allowing POST", v)
		}
	})
}

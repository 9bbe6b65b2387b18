package proxy_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/proxytest"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/proxy"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

// sniServer serves a certificate for example.test and records the server
// names it is asked for.
func sniServer(t *testing.T) (addr string, names func() []string) {
	t.Helper()
	root := testpki.NewRoot(t, "Proxy Root")
	leaf := root.Leaf(t, testpki.DNS("example.test"))
	cert := leaf.TLSCert()
	var mu sync.Mutex
	var seen []string
	addr = testpki.Serve(t, &tls.Config{GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
		mu.Lock()
		seen = append(seen, h.ServerName)
		mu.Unlock()
		return &cert, nil
	}})
	return addr, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), seen...)
	}
}

func probeVia(t *testing.T, d *proxy.Dialer, host, port string) probe.Observation {
	t.Helper()
	tg, err := target.Parse(net.JoinHostPort(host, port))
	if err != nil {
		t.Fatal(err)
	}
	opts := probe.Options{Timeout: 5 * time.Second}
	if d != nil {
		opts.Dialer = d
	}
	return probe.Probe(context.Background(), tg, opts)
}

func TestTunnel(t *testing.T) {
	srv, names := sniServer(t)
	_, port, _ := net.SplitHostPort(srv)
	for _, tt := range []struct {
		name       string
		user, pass string // demanded by the proxy
		giveUser   string
		givePass   string
		status     int
		wantCode   result.Code
		wantDetail []string
	}{
		{name: "no auth", wantCode: 0},
		{name: "basic auth", user: "alice", pass: "s3cr:t@x", giveUser: "alice", givePass: "s3cr%3At%40x"},
		{name: "missing auth", user: "alice", pass: "pw", wantCode: result.CodeConnFailure,
			wantDetail: []string{"407", "user and password"}},
		{name: "wrong auth", user: "alice", pass: "pw", giveUser: "alice", givePass: "nope", wantCode: result.CodeConnFailure,
			wantDetail: []string{"407", "alice:xxxxx@", "rejected"}},
		{name: "forbidden", status: 403, wantCode: result.CodeConnFailure, wantDetail: []string{"403 Forbidden", "NO_PROXY"}},
		{name: "bad gateway", status: 502, wantCode: result.CodeConnFailure, wantDetail: []string{"502 Bad Gateway"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := proxytest.Start(t)
			p.User, p.Password, p.Status = tt.user, tt.pass, tt.status
			d, err := proxy.New(proxy.Config{HTTPSProxy: p.URL(tt.giveUser, tt.givePass)}, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := len(names())
			obs := probeVia(t, d, "example.test", port)
			reqs := p.Requests()
			if len(reqs) != 1 || reqs[0].Target != "example.test:"+port {
				t.Fatalf("proxy saw %+v, want one CONNECT example.test:%s", reqs, port)
			}
			if tt.wantCode == 0 {
				if obs.Err != nil {
					t.Fatalf("probe through the proxy failed: %v", obs.Err)
				}
				if len(obs.Certs) != 1 || obs.Certs[0].VerifyHostname("example.test") != nil {
					t.Errorf("chain %d certificates, want the example.test leaf", len(obs.Certs))
				}
				if got := names()[before:]; len(got) != 1 || got[0] != "example.test" {
					t.Errorf("server saw SNI %q through the tunnel, want example.test", got)
				}
				return
			}
			if obs.Err == nil || obs.Err.Code != tt.wantCode {
				t.Fatalf("probe error %v, want code %d", obs.Err, tt.wantCode)
			}
			for _, w := range tt.wantDetail {
				if !strings.Contains(obs.Err.Detail, w) {
					t.Errorf("detail %q does not mention %q", obs.Err.Detail, w)
				}
			}
			if tt.givePass != "" && strings.Contains(obs.Err.Detail, tt.givePass) {
				t.Errorf("detail %q shows the password", obs.Err.Detail)
			}
			var pe *proxy.Error
			if !errors.As(obs.Err, &pe) || pe.Status != tt.status && tt.status != 0 {
				t.Errorf("error %v is not a *proxy.Error with status %d", obs.Err, tt.status)
			}
		})
	}
}

func TestProxyUnreachable(t *testing.T) {
	closed := testpki.ClosedPort(t)
	d, err := proxy.New(proxy.Config{HTTPSProxy: "http://" + closed}, nil)
	if err != nil {
		t.Fatal(err)
	}
	obs := probeVia(t, d, "example.test", "443")
	if obs.Err == nil || obs.Err.Code != result.CodeConnFailure {
		t.Fatalf("error %v, want 11205 (the target was never tried)", obs.Err)
	}
	if !strings.Contains(obs.Err.Detail, closed) || !strings.Contains(obs.Err.Detail, "proxy") {
		t.Errorf("detail %q does not name the proxy %s", obs.Err.Detail, closed)
	}
}

func TestNoProxy(t *testing.T) {
	srv, _ := sniServer(t)
	_, port, _ := net.SplitHostPort(srv)
	for _, tt := range []struct {
		name, noProxy, host string
		viaProxy            bool
	}{
		{name: "proxied", noProxy: "", host: "example.test", viaProxy: true},
		{name: "exempt by name", noProxy: "other.test,example.test", host: "example.test"},
		{name: "exempt by domain", noProxy: ".test", host: "example.test"},
		{name: "exempt all", noProxy: "*", host: "example.test"},
		{name: "other exempt", noProxy: "other.test", host: "example.test", viaProxy: true},
		{name: "loopback always direct", host: "127.0.0.1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := proxytest.Start(t)
			// A direct dial of example.test must reach the loopback server
			// without DNS: the forward dialer maps it.
			d, err := proxy.New(proxy.Config{HTTPSProxy: p.URL("", ""), NoProxy: tt.noProxy}, loopbackDialer{})
			if err != nil {
				t.Fatal(err)
			}
			obs := probeVia(t, d, tt.host, port)
			if obs.Err != nil {
				t.Fatalf("probe failed: %v", obs.Err)
			}
			if n := len(p.Requests()); (n == 1) != tt.viaProxy {
				t.Errorf("proxy saw %d requests, want via proxy = %v", n, tt.viaProxy)
			}
		})
	}
}

// loopbackDialer dials every host at 127.0.0.1, so tests never use DNS.
type loopbackDialer struct{}

func (loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

func TestConfig(t *testing.T) {
	env := map[string]string{"https_proxy": "proxy.example:3128", "NO_PROXY": "internal.example"}
	cfg := proxy.FromEnvironment(func(k string) string { return env[k] })
	if cfg.HTTPSProxy != "proxy.example:3128" || cfg.NoProxy != "internal.example" {
		t.Errorf("FromEnvironment = %+v", cfg)
	}
	for _, tt := range []struct {
		in, want, err string
	}{
		{in: "proxy.example:3128", want: "http://proxy.example:3128"},
		{in: "http://u:p@proxy.example", want: "http://u:p@proxy.example:80"},
		{in: "socks5://proxy.example:1080", err: "unsupported proxy scheme"},
		{in: "https://proxy.example:443", err: "unsupported proxy scheme"},
		{in: "http://:8080", err: "no host"},
		{in: "http://proxy example", err: "proxy URL"},
	} {
		u, err := proxy.ParseURL(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("ParseURL(%q) error %v, want %q", tt.in, err, tt.err)
		case tt.err == "" && (err != nil || u.String() != tt.want):
			t.Errorf("ParseURL(%q) = %v, %v; want %s", tt.in, u, err, tt.want)
		}
	}
	if d, err := proxy.New(proxy.Config{}, nil); d != nil || err != nil {
		t.Errorf("New(empty) = %v, %v; want nil, nil", d, err)
	}
}

// endlessProxy answers every CONNECT with a status line and then header
// bytes from fill until the client hangs up.
func endlessProxy(t *testing.T, fill string) string {
	t.Helper()
	return testpki.ServeRaw(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(30 * time.Second))
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		if _, err := c.Write([]byte("HTTP/1.1 200 Connection established\r\n")); err != nil {
			return
		}
		chunk := []byte(strings.Repeat(fill, 64<<10/len(fill)))
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
}

func TestEndlessConnectAnswer(t *testing.T) {
	for _, tt := range []struct {
		name, fill string
	}{
		{"many headers", "X-Junk: 0123456789abcdef\r\n"},
		{"one endless header", "x"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := endlessProxy(t, tt.fill)
			d, err := proxy.New(proxy.Config{HTTPSProxy: "http://" + addr}, nil)
			if err != nil {
				t.Fatal(err)
			}
			obs := probeVia(t, d, "example.test", "443")
			if obs.Err == nil || obs.Err.Code != result.CodeConnFailure {
				t.Fatalf("error %.200v, want 11205 naming the proxy", obs.Err)
			}
			var pe *proxy.Error
			if !errors.As(obs.Err, &pe) || !errors.Is(pe.Err, proxy.ErrResponseTooLarge) {
				t.Fatalf("error %.200v is not a *proxy.Error caused by ErrResponseTooLarge", obs.Err)
			}
			if !strings.Contains(obs.Err.Detail, addr) || len(obs.Err.Detail) > 500 {
				t.Errorf("detail %.500q does not name the proxy %s in a short sentence", obs.Err.Detail, addr)
			}
		})
	}
}

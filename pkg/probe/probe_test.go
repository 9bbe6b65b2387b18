package probe

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

func mustParse(t testing.TB, s string) target.Target {
	t.Helper()
	tg, err := target.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func TestClassify(t *testing.T) {
	opErr := func(err error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 4443},
			Err: &os.SyscallError{Syscall: "connect", Err: err}}
	}
	cases := []struct {
		name  string
		err   error
		phase Phase
		want  result.Code
		id    string
	}{
		{"dns not found", &net.OpError{Op: "dial", Err: &net.DNSError{Name: "x.invalid", Err: "no such host", IsNotFound: true}}, PhaseDial, 11210, result.ProblemDNS},
		{"refused", opErr(syscall.ECONNREFUSED), PhaseDial, 11202, result.ProblemTCPRefused},
		{"dial timeout", fmt.Errorf("dial: %w", context.DeadlineExceeded), PhaseDial, 11201, result.ProblemTCPTimeout},
		{"unreachable", opErr(syscall.ENETUNREACH), PhaseDial, 11205, result.ProblemConnection},
		{"reset before handshake", opErr(syscall.ECONNRESET), PhaseDial, 11205, result.ProblemConnection},
		{"not tls", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, PhaseHandshake, 11220, result.ProblemHandshake},
		{"alert", fmt.Errorf("remote error: %w", tls.AlertError(70)), PhaseHandshake, 11220, result.ProblemHandshake},
		{"handshake timeout", os.ErrDeadlineExceeded, PhaseHandshake, 11220, result.ProblemHandshake},
		{"reset in handshake", opErr(syscall.ECONNRESET), PhaseHandshake, 11220, result.ProblemHandshake},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := Classify(c.err, c.phase, time.Second)
			if f.Code != c.want || f.ID != c.id {
				t.Errorf("Classify = %d %s, want %d %s", f.Code, f.ID, c.want, c.id)
			}
			if f.Detail == "" || f.Detail != strings.ToLower(f.Detail[:1])+f.Detail[1:] {
				t.Errorf("detail %q: want a lower-case sentence", f.Detail)
			}
			if !errors.Is(f, c.err) {
				t.Errorf("failure does not wrap the cause")
			}
			var op *net.OpError
			if errors.As(c.err, &op) && op.Addr != nil && !strings.Contains(f.Detail, "192.0.2.7:4443") {
				t.Errorf("detail %q does not name the address 192.0.2.7:4443", f.Detail)
			}
		})
	}
}

func TestProbeRecordsConnection(t *testing.T) {
	root := testpki.NewRoot(t, "Probe Root")
	leaf := root.Leaf(t)
	var sawSNI string
	addr := testpki.Serve(t, &tls.Config{
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			sawSNI = h.ServerName
			c := leaf.TLSCert(root.Cert)
			c.OCSPStaple = []byte{0x30, 0x03, 0x0a, 0x01, 0x00}
			return &c, nil
		},
		NextProtos: []string{"h2"},
	})
	_, port, _ := net.SplitHostPort(addr)
	tg := mustParse(t, "https://example.test:"+port+"/path?q=1")
	obs := Probe(context.Background(), tg, Options{Timeout: 5 * time.Second, Resolve: map[string]string{"example.test:" + port: "127.0.0.1"}})
	if obs.Err != nil {
		t.Fatalf("probe failed: %v", obs.Err)
	}
	if obs.Address != addr || sawSNI != "example.test" {
		t.Errorf("address %q SNI %q, want %q and example.test", obs.Address, sawSNI, addr)
	}
	if obs.TLS.Version != "TLS 1.3" || obs.TLS.ALPN != "h2" || !obs.TLS.OCSPStapled || obs.TLS.CipherSuite == "" {
		t.Errorf("tls info %+v", obs.TLS)
	}
	if len(obs.Certs) != 2 || !obs.Certs[0].Equal(leaf.Cert) {
		t.Errorf("chain of %d, want leaf and root as presented", len(obs.Certs))
	}
	if obs.Duration <= 0 {
		t.Errorf("duration %s", obs.Duration)
	}

	// No SNI for IP targets and with NoSNI.
	for _, c := range []struct {
		raw   string
		noSNI bool
	}{{addr, false}, {"example.test:" + port, true}} {
		sawSNI = "unset"
		obs = Probe(context.Background(), mustParse(t, c.raw), Options{NoSNI: c.noSNI, Resolve: map[string]string{"example.test:" + port: "127.0.0.1"}})
		if obs.Err != nil || sawSNI != "" {
			t.Errorf("%s (no-sni %v): err %v, SNI %q, want none", c.raw, c.noSNI, obs.Err, sawSNI)
		}
	}
}

func TestProbeLegacyServer(t *testing.T) {
	root := testpki.NewRoot(t, "Legacy Root")
	for _, v := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		addr := testpki.Serve(t, &tls.Config{
			Certificates: []tls.Certificate{root.Leaf(t).TLSCert()},
			MinVersion:   v, MaxVersion: v,
		})
		obs := Probe(context.Background(), mustParse(t, addr), Options{Timeout: 5 * time.Second})
		name := tls.VersionName(v)
		if obs.Err == nil || obs.Err.Code != result.CodeHandshake || obs.Err.ID != result.ProblemLegacyTLS || !strings.Contains(obs.Err.Detail, name) {
			t.Errorf("%s server: %+v, want 11220 legacy-tls-version naming %s", name, obs.Err, name)
		}
		if len(obs.Certs) != 1 || obs.TLS == nil || obs.TLS.Version != name {
			t.Errorf("%s server: certificate not captured by the legacy handshake (%d certs, tls %+v)", name, len(obs.Certs), obs.TLS)
		}
	}
}

// rsaLeaf is a self-signed RSA certificate for example.test: static RSA key
// exchange needs an RSA key.
func rsaLeaf(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.test"},
		DNSNames:     []string{"example.test"},
		NotBefore:    testpki.Epoch.AddDate(0, 0, -30),
		NotAfter:     testpki.Epoch.AddDate(0, 0, 60),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// startFault starts a faultserver handler and closes it with the test.
func startFault(t *testing.T, h faultserver.Handler) string {
	t.Helper()
	s, err := faultserver.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// TestProbeClassifiesEveryFailure runs one real server on loopback for each
// class of failure and checks the code, the problem id, the key words of
// the detail, and whether the certificate was still captured.
func TestProbeClassifiesEveryFailure(t *testing.T) {
	root := testpki.NewRoot(t, "Classify Root")
	ecdsaCert := root.Leaf(t).TLSCert()
	rsaCert := rsaLeaf(t)
	ca, err := faultserver.NewRoot("Classify Cap Root")
	if err != nil {
		t.Fatal(err)
	}
	big, err := ca.Leaf(faultserver.Padding(8 << 10))
	if err != nil {
		t.Fatal(err)
	}
	goTLS := func(c *tls.Config) func(t *testing.T) string {
		return func(t *testing.T) string {
			c.SessionTicketsDisabled = true
			return startFault(t, faultserver.TLS(c, nil))
		}
	}
	cases := []struct {
		name   string
		server func(t *testing.T) string
		opts   Options
		code   result.Code
		id     string
		words  []string // the detail holds each; "ADDR" stands for the address
		certs  bool     // the certificate is still captured
		is     error    // the failure wraps it, when not nil
	}{
		{name: "refused", server: func(t *testing.T) string { return testpki.ClosedPort(t) },
			code: 11202, id: result.ProblemTCPRefused, words: []string{"ADDR refused the TCP connection", "listening on that port"}, is: syscall.ECONNREFUSED},
		{name: "tcp timeout", server: func(t *testing.T) string {
			u, err := faultserver.StartUnanswered()
			if errors.Is(err, errors.ErrUnsupported) {
				t.Skip("a loopback listener that drops connections needs Linux")
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { u.Close() })
			return u.Addr()
		}, opts: Options{Timeout: 300 * time.Millisecond},
			code: 11201, id: result.ProblemTCPTimeout, words: []string{"no TCP connection to ADDR within 300ms", "--timeout"}},
		{name: "handshake timeout", server: func(t *testing.T) string { return startFault(t, faultserver.Silent()) }, opts: Options{Timeout: 300 * time.Millisecond},
			code: 11220, id: result.ProblemHandshake, words: []string{"handshake with ADDR did not complete within 300ms", "stalled"}},
		{name: "reset", server: func(t *testing.T) string { return startFault(t, faultserver.Reset()) },
			code: 11220, id: result.ProblemHandshake, words: []string{"ADDR closed or reset the connection"}},
		{name: "plain HTTP", server: func(t *testing.T) string { return startFault(t, faultserver.PlainHTTP()) },
			code: 11220, id: result.ProblemHandshake, words: []string{"ADDR answered in plain HTTP"}},
		{name: "alert", server: func(t *testing.T) string { return startFault(t, faultserver.Alert(112)) },
			code: 11220, id: result.ProblemHandshake, words: []string{"TLS alert", "unrecognized name"}},
		{name: "too large", server: goTLS(faultserver.Config(big)), opts: Options{MaxHandshakeBytes: 4 << 10},
			code: 11220, id: result.ProblemHandshake, words: []string{"ADDR sent more data", "4096 bytes"}, is: ErrHandshakeTooLarge},
		{name: "legacy only", server: goTLS(&tls.Config{Certificates: []tls.Certificate{ecdsaCert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}),
			code: 11220, id: result.ProblemLegacyTLS, words: []string{"offers only TLS 1.1", "enable TLS 1.2"}, certs: true},
		{name: "RSA key exchange only", server: goTLS(&tls.Config{Certificates: []tls.Certificate{rsaCert}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_GCM_SHA256}}),
			code: 11220, id: result.ProblemRSAKeyExchange, words: []string{"speaks TLS 1.2", "only RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256)", "ECDHE"}, certs: true},
		{name: "RSA key exchange from TLS 1.0 to 1.2", server: goTLS(&tls.Config{Certificates: []tls.Certificate{rsaCert}, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_RSA_WITH_AES_128_CBC_SHA}}),
			code: 11220, id: result.ProblemRSAKeyExchange, words: []string{"speaks TLS 1.2", "only RSA key exchange (TLS_RSA_WITH_AES_128_CBC_SHA)"}, certs: true},
		{name: "insecure suites only", server: goTLS(&tls.Config{Certificates: []tls.Certificate{ecdsaCert}, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256}}),
			code: 11220, id: result.ProblemInsecureCipher, words: []string{"speaks TLS 1.2", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"}, certs: true},
		{name: "no shared suite", server: goTLS(&tls.Config{Certificates: []tls.Certificate{rsaCert}, MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
			CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}}),
			code: 11220, id: result.ProblemNoSharedCipher, words: []string{"no shared cipher suite", "handshake failure"}},
		{name: "TLS 1.3 intolerant", server: goTLS(&tls.Config{GetConfigForClient: func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			if slices.Contains(h.SupportedVersions, tls.VersionTLS13) {
				return nil, errors.New("TLS 1.3 not tolerated")
			}
			return &tls.Config{Certificates: []tls.Certificate{ecdsaCert}}, nil
		}}),
			code: 11220, id: result.ProblemHandshake, words: []string{"offers TLS 1.2 alone", "does not tolerate TLS 1.3"}, certs: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			addr := c.server(t)
			opts := c.opts
			if opts.Timeout == 0 {
				opts.Timeout = 5 * time.Second
			}
			obs := Probe(context.Background(), mustParse(t, addr), opts)
			if obs.Err == nil {
				t.Fatalf("no failure, want %d %s", c.code, c.id)
			}
			t.Logf("%d %s: %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail)
			if obs.Err.Code != c.code || obs.Err.ID != c.id {
				t.Errorf("%d %s (%s), want %d %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail, c.code, c.id)
			}
			// The decision must read every probe failure as the
			// connection's, whatever certificate came with it.
			if k := decide.KindOf(obs.Err.ID); k != decide.KindConnection {
				t.Errorf("decide.KindOf(%s) = %d, want KindConnection", obs.Err.ID, k)
			}
			for _, w := range c.words {
				if w = strings.ReplaceAll(w, "ADDR", addr); !strings.Contains(obs.Err.Detail, w) {
					t.Errorf("detail %q does not say %q", obs.Err.Detail, w)
				}
			}
			if got := len(obs.Certs) > 0; got != c.certs {
				t.Errorf("certificate captured: %v, want %v", got, c.certs)
			}
			if obs.Err.Err == nil {
				t.Errorf("the failure does not keep the probe's error")
			}
			if c.is != nil && !errors.Is(obs.Err, c.is) {
				t.Errorf("failure %v does not wrap %v", obs.Err.Err, c.is)
			}
			var ne net.Error
			if c.id == result.ProblemTCPTimeout && (!errors.As(obs.Err, &ne) || !ne.Timeout()) {
				t.Errorf("failure %v does not wrap a timeout", obs.Err.Err)
			}
		})
	}
}

// TestProbeNamesWhatTheServerSpeaks runs `openssl s_server` as the servers
// Go cannot be, and checks that a server is said to offer only TLS 1.0/1.1
// only when it does not speak TLS 1.2, and that the detail names the real
// cause otherwise.
func TestProbeNamesWhatTheServerSpeaks(t *testing.T) {
	const legacy = "@SECLEVEL=0" // OpenSSL 3 allows TLS 1.0/1.1, SHA-1 and MD5 only at level 0
	cases := []struct {
		name   string
		digest string // signs the server's certificate
		args   []string
		id     string
		words  []string
		certs  bool
	}{
		{name: "TLS 1.2 with RSA key exchange only", digest: "sha256", args: []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"},
			id: result.ProblemRSAKeyExchange, words: []string{"speaks TLS 1.2", "only RSA key exchange (TLS_RSA_WITH_AES_128_GCM_SHA256)"}, certs: true},
		{name: "TLS 1.0 to 1.2 with RSA key exchange only", digest: "sha256", args: []string{"-min_protocol", "TLSv1", "-max_protocol", "TLSv1.2", "-cipher", "AES128-SHA:" + legacy},
			id: result.ProblemRSAKeyExchange, words: []string{"speaks TLS 1.2", "only RSA key exchange (TLS_RSA_WITH_AES_128_CBC_SHA)"}, certs: true},
		{name: "TLS 1.0 only", digest: "sha256", args: []string{"-tls1", "-cipher", "ALL:" + legacy},
			id: result.ProblemLegacyTLS, words: []string{"offers only TLS 1.0"}, certs: true},
		{name: "TLS 1.1 only", digest: "sha256", args: []string{"-tls1_1", "-cipher", "ALL:" + legacy},
			id: result.ProblemLegacyTLS, words: []string{"offers only TLS 1.1"}, certs: true},
		{name: "MD5-signed certificate", digest: "md5", args: []string{"-min_protocol", "TLSv1", "-cipher", "ALL:" + legacy},
			id: result.ProblemWeakSignature, words: []string{"speaks TLS 1.2", "certificate 0 of its chain", "MD5-RSA", "reissue"}, certs: true},
		{name: "SHA-1 signature algorithms only", digest: "sha256", args: []string{"-min_protocol", "TLSv1", "-sigalgs", "RSA+SHA1", "-cipher", "ALL:" + legacy},
			id: result.ProblemWeakSignature, words: []string{"speaks TLS 1.2", "signature algorithm"}, certs: true},
		{name: "cipher suites Go does not implement", digest: "sha256", args: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256"},
			id: result.ProblemNoSharedCipher, words: []string{"no shared cipher suite"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := faultserver.StartOpenSSL(c.digest, c.args...)
			if errors.Is(err, faultserver.ErrNoOpenSSL) {
				t.Skip("openssl is not installed: these servers need `openssl s_server` (CI installs it)")
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			obs := Probe(context.Background(), mustParse(t, s.Addr()), Options{Timeout: 10 * time.Second})
			if obs.Err == nil {
				t.Fatalf("no failure, want 11220 %s", c.id)
			}
			t.Logf("%d %s: %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail)
			if obs.Err.Code != result.CodeHandshake || obs.Err.ID != c.id {
				t.Errorf("%d %s (%s), want 11220 %s", obs.Err.Code, obs.Err.ID, obs.Err.Detail, c.id)
			}
			if k := decide.KindOf(obs.Err.ID); k != decide.KindConnection {
				t.Errorf("decide.KindOf(%s) = %d, want KindConnection", obs.Err.ID, k)
			}
			for _, w := range c.words {
				if !strings.Contains(obs.Err.Detail, w) {
					t.Errorf("detail %q does not say %q", obs.Err.Detail, w)
				}
			}
			if got := len(obs.Certs) > 0; got != c.certs {
				t.Errorf("certificate captured: %v, want %v", got, c.certs)
			}
		})
	}
}

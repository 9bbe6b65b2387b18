package faultserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"
)

func start(t *testing.T, h Handler) *Server {
	t.Helper()
	s, err := Start(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if host, _, _ := net.SplitHostPort(s.Addr()); host != "127.0.0.1" {
		t.Fatalf("listening on %s, want loopback only", s.Addr())
	}
	return s
}

// handshake dials addr and shakes hands as a client that trusts anything,
// within d.
func handshake(addr string, d time.Duration) (*tls.Conn, error) {
	c, err := net.DialTimeout("tcp", addr, d)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(d))
	tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, ServerName: "example.test"}) // a test client
	if err := tc.Handshake(); err != nil {
		c.Close()
		return nil, err
	}
	return tc, nil
}

func TestHandlers(t *testing.T) {
	ca, err := NewRoot("Unit Root")
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := ca.Leaf()
	if err != nil {
		t.Fatal(err)
	}
	bad, err := Malformed()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		h    Handler
		want string // in the client's handshake error
	}{
		{"silent", Silent(), "timeout"},
		{"stall", StallAfter(Config(leaf), 50), "timeout"},
		{"drip", Drip(Config(leaf), 200*time.Millisecond), "timeout"},
		{"reset", Reset(), "reset"},
		{"http", PlainHTTP(), "does not look like a TLS handshake"},
		{"alert", Alert(40), "handshake failure"},
		{"malformed", TLS(Config(bad), nil), "failed to parse certificate"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := start(t, c.h)
			_, err := handshake(s.Addr(), time.Second)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("handshake error %v, want one mentioning %q", err, c.want)
			}
		})
	}
}

func TestRecordingSeesApplicationData(t *testing.T) {
	ca, _ := NewRoot("Recording Root")
	leaf, _ := ca.Leaf()
	rec := &Recording{}
	s := start(t, TLS(Config(leaf), rec))
	tc, err := handshake(s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = tc.Write([]byte("GET / HTTP/1.1\r\n\r\n"))
	tc.Close()
	s.Drain(5 * time.Second)
	if rec.Handshakes() != 1 || !bytes.Equal(rec.AppData(), []byte("GET / HTTP/1.1\r\n\r\n")) {
		t.Errorf("%d handshakes, app data %q: want 1 and the request", rec.Handshakes(), rec.AppData())
	}
}

func TestCertificates(t *testing.T) {
	ca, _ := NewRoot("Cert Root")
	long, err := ca.Chain(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(long.Certificate) != 5 {
		t.Fatalf("chain of %d, want 5", len(long.Certificate))
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	inter := x509.NewCertPool()
	for _, der := range long.Certificate[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		inter.AddCert(c)
	}
	if _, err := long.Leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, CurrentTime: Epoch, DNSName: "example.test"}); err != nil {
		t.Errorf("chain does not verify: %v", err)
	}
	huge, err := ca.Leaf(Padding(1 << 20))
	if err != nil || len(huge.Certificate[0]) < 1<<20 {
		t.Errorf("padded certificate of %d bytes (%v), want over 1 MiB", len(huge.Certificate[0]), err)
	}
	bad, _ := Malformed()
	if _, err := x509.ParseCertificate(bad.Certificate[0]); err == nil {
		t.Error("the malformed certificate parses")
	}
	odd, err := ca.Leaf(Subject("\x1b[31m\r\u202e", "o", "u"), DNS("a\x00.example.test"))
	if err != nil || odd.Leaf.Subject.CommonName != "\x1b[31m\r\u202e" || odd.Leaf.DNSNames[0] != "a\x00.example.test" {
		t.Errorf("hostile strings not kept as given: %v", err)
	}
}

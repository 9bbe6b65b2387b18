package faultserver

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestUnansweredTimesOut(t *testing.T) {
	u, err := StartUnanswered()
	if errors.Is(err, errors.ErrUnsupported) {
		t.Skip("needs Linux")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer u.Close()
	c, err := net.DialTimeout("tcp", u.Addr(), 200*time.Millisecond)
	if err == nil {
		c.Close()
		t.Fatal("connected, want a connection attempt that times out")
	}
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Errorf("dial: %v, want a timeout", err)
	}
}

func TestOpenSSLServes(t *testing.T) {
	s, err := StartOpenSSL("sha256", "-tls1_2")
	if errors.Is(err, ErrNoOpenSSL) {
		t.Skip("openssl is not installed (CI installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if host, _, _ := net.SplitHostPort(s.Addr()); host != "127.0.0.1" {
		t.Fatalf("listening on %s, want loopback only", s.Addr())
	}
	c, err := handshake(s.Addr(), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if st := c.ConnectionState(); st.Version != 0x0303 || len(st.PeerCertificates) != 1 || st.PeerCertificates[0].Subject.CommonName != "example.test" {
		t.Errorf("version %x, %d certificates, want TLS 1.2 and the example.test certificate", st.Version, len(st.PeerCertificates))
	}
	if _, err := StartOpenSSL("sha256", "-no-such-option"); err == nil {
		t.Errorf("a bad option started a server, want an error")
	}
}

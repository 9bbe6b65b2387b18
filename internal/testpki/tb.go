package testpki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// must returns a function that fails the test on err and returns v
// otherwise: must[T](t)(f()) for an f that returns (T, error).
func must[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// Key makes a fresh private key of kind spec, failing the test on an error.
func Key(t testing.TB, spec KeySpec) crypto.Signer {
	t.Helper()
	return must[crypto.Signer](t)(GenerateKey(spec))
}

// NewRoot is MakeRoot for tests.
func NewRoot(t testing.TB, name string, opts ...Option) *CA {
	t.Helper()
	return must[*CA](t)(MakeRoot(name, opts...))
}

// Intermediate is MakeIntermediate for tests.
func (ca *CA) Intermediate(t testing.TB, name string, opts ...Option) *CA {
	t.Helper()
	return must[*CA](t)(ca.MakeIntermediate(name, opts...))
}

// Leaf is MakeLeaf for tests.
func (ca *CA) Leaf(t testing.TB, opts ...Option) *Leaf {
	t.Helper()
	return must[*Leaf](t)(ca.MakeLeaf(opts...))
}

// SelfSigned is MakeSelfSigned for tests.
func SelfSigned(t testing.TB, opts ...Option) *Leaf {
	t.Helper()
	return must[*Leaf](t)(MakeSelfSigned(opts...))
}

// WritePEM writes certificates to a PEM file in a test temp dir and returns
// its path.
func WritePEM(t testing.TB, name string, certs ...*x509.Certificate) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, PEM(certs...), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Serve starts a TLS server on 127.0.0.1:0 that completes handshakes with
// cfg and then closes the connection. It returns the listener address.
func Serve(t testing.TB, cfg *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ServeTLSOn(t, ln, cfg)
}

// ServeTLSOn is Serve on a listener the caller made (an address of its
// choosing, such as 127.0.0.2 on a port shared with another server). It
// closes ln when the test ends.
func ServeTLSOn(t testing.TB, ln net.Listener, cfg *tls.Config) string {
	t.Helper()
	return serve(t, tls.NewListener(ln, cfg), func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		_ = c.(*tls.Conn).Handshake()
	})
}

// ServeCert starts a TLS server presenting the leaf and chain.
func ServeCert(t testing.TB, l *Leaf, chain ...*x509.Certificate) string {
	t.Helper()
	return Serve(t, &tls.Config{Certificates: []tls.Certificate{l.TLSCert(chain...)}})
}

// ServeRaw starts a TCP server on 127.0.0.1:0 that hands each connection to
// handle (for peers that do not speak TLS).
func ServeRaw(t testing.TB, handle func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, ln, handle)
}

// serve accepts on ln until the test ends, handing each connection to
// handle and closing it afterwards.
func serve(t testing.TB, ln net.Listener, handle func(net.Conn)) string {
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// ClosedPort returns a loopback address that refuses connections.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Package hooktest runs real webhook endpoints for tests: net/http servers
// on loopback, over TLS with certificates made in the test (testpki), that
// record every request they get.
package hooktest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
)

// Request is one request a Server got.
type Request struct {
	Method string
	URL    string // path and query
	Host   string
	Header http.Header
	Body   []byte
	// SNI is the server name the client sent, "" for none.
	SNI string
}

// Server is a recording HTTPS (or plain HTTP) endpoint on 127.0.0.1.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Port is the port.
	Port string
	srv  *httptest.Server
	mu   sync.Mutex
	reqs []Request
}

// Start serves h over TLS with leaf and its chain on 127.0.0.1 until the
// test ends. Every request is recorded (body read up to 1 MiB) before h
// sees it.
func Start(t testing.TB, leaf *testpki.Leaf, chain []*x509.Certificate, h http.Handler) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(s.record(h))
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert(chain...)}}
	s.srv.EnableHTTP2 = false
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0) // clients that hang up are the tests' point
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.setAddr()
	return s
}

// StartTLS serves h over TLS with cfg (for a server that chooses its
// certificate by the server name) on 127.0.0.1 until the test ends.
func StartTLS(t testing.TB, cfg *tls.Config, h http.Handler) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(s.record(h))
	s.srv.TLS = cfg
	s.srv.EnableHTTP2 = false
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.setAddr()
	return s
}

// StartPlain serves h in plain HTTP (no TLS) on 127.0.0.1.
func StartPlain(t testing.TB, h http.Handler) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(s.record(h))
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.Start()
	t.Cleanup(s.srv.Close)
	s.setAddr()
	return s
}

func (s *Server) setAddr() {
	s.Addr = s.srv.Listener.Addr().String()
	_, s.Port, _ = net.SplitHostPort(s.Addr)
}

func (s *Server) record(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		rec := Request{Method: r.Method, URL: r.URL.RequestURI(), Host: r.Host, Header: r.Header.Clone(), Body: body}
		if r.TLS != nil {
			rec.SNI = r.TLS.ServerName
		}
		s.mu.Lock()
		s.reqs = append(s.reqs, rec)
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, r)
	})
}

// Requests returns the requests recorded so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Methods returns the methods of the requests recorded so far, in order.
func (s *Server) Methods() []string {
	var m []string
	for _, r := range s.Requests() {
		m = append(m, r.Method)
	}
	return m
}

// StartRefusingAfter serves h over TLS with leaf and its chain on
// 127.0.0.1 for the first n connections, then closes its listener, so
// that every later connection is refused: an endpoint that passed a
// check's handshake and is gone when the request comes.
func StartRefusingAfter(t testing.TB, leaf *testpki.Leaf, chain []*x509.Certificate, n int, h http.Handler) *Server {
	t.Helper()
	s := &Server{}
	s.srv = httptest.NewUnstartedServer(s.record(h))
	s.srv.Listener = &closingListener{Listener: s.srv.Listener, left: n}
	s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert(chain...)}}
	s.srv.EnableHTTP2 = false
	s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.StartTLS()
	t.Cleanup(s.srv.Close)
	s.setAddr()
	return s
}

// closingListener closes itself after handing out its last connection.
type closingListener struct {
	net.Listener
	mu   sync.Mutex
	left int
}

func (l *closingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.left--; l.left <= 0 {
		_ = l.Listener.Close()
	}
	return c, nil
}

// ClosedPort returns a port of 127.0.0.1 that nothing listens on: it was
// listened on and closed, so a connection to it is refused.
func ClosedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	_ = ln.Close()
	return port
}

// SlowDialer connects to 127.0.0.1 at the port of the address asked for,
// whatever its host, after waiting Delay: a network whose connects are
// slow, in front of real servers on loopback.
type SlowDialer struct {
	// Delay is the wait before each connect.
	Delay time.Duration
}

// DialContext waits Delay (or until ctx ends), then connects.
func (d SlowDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(d.Delay):
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

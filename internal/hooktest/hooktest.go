// Package hooktest runs real webhook endpoints for tests: net/http servers
// on loopback, over TLS with certificates made in the test (testpki), that
// record every request they get.
package hooktest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

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

package main

import (
	"bufio"
	"crypto/tls"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/starttlsfake"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/starttls"
)

// smtpServer is an SMTP server on loopback that offers STARTTLS, upgrades
// with cfg, and counts the connections that sent anything after the TLS
// handshake (an SMTP client sends its next command; a scan must send
// nothing).
func smtpServer(t *testing.T, cfg *tls.Config, afterTLS *atomic.Int64) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	serve := func(c net.Conn) {
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		_, _ = c.Write([]byte("220 mx.example.test ESMTP\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
			case strings.HasPrefix(cmd, "EHLO"):
				_, _ = c.Write([]byte("250-mx.example.test\r\n250 STARTTLS\r\n"))
			case cmd == "STARTTLS":
				_, _ = c.Write([]byte("220 2.0.0 Ready to start TLS\r\n"))
				tc := tls.Server(c, cfg) // the client waits for the 220: nothing is buffered in r
				if tc.Handshake() != nil {
					return
				}
				_ = tc.SetReadDeadline(time.Now().Add(time.Second))
				if n, _ := tc.Read(make([]byte, 1)); n > 0 {
					afterTLS.Add(1)
				}
				return
			default:
				_, _ = c.Write([]byte("502 5.5.2 Error: command not recognized\r\n"))
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// TestScanStartTLSSendsNoHTTP: certgate scan of a STARTTLS target sends
// nothing over an upgraded connection (no HSTS request to a mail server),
// whether the protocol comes from the scheme or from --starttls with a
// bare host:port, and its handshakes get past the dialogue in both forms.
func TestScanStartTLSSendsNoHTTP(t *testing.T) {
	p := newPKI(t, "Mail")
	leaf := p.inter.Leaf(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert(p.inter.Cert)}, MinVersion: tls.VersionTLS12}
	var afterTLS atomic.Int64
	addr := smtpServer(t, cfg, &afterTLS)
	_, port, _ := net.SplitHostPort(addr)
	resolve := "--resolve=example.test:" + port + ":127.0.0.1"
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"scheme", []string{"smtp://example.test:" + port}},
		{"--starttls", []string{"--starttls", "smtp", "example.test:" + port}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"scan", "-o", "json", epochArg, "--store", p.store, resolve, "--clients", "openssl-3"}, tc.args...)
			_, out, errOut := cli(t, "", args...)
			rs := decode(t, out, errOut)
			if len(rs) != 1 || rs[0].Scan == nil {
				t.Fatalf("want one result with a scan\nstdout: %s\nstderr: %s", out, errOut)
			}
			r, s := rs[0], rs[0].Scan
			if r.Status != result.StatusOK || r.StartTLS != "smtp" {
				t.Errorf("status %s, starttls %q, problems %v; want ok over smtp", r.Status, r.StartTLS, problemIDs(r))
			}
			supported := map[string]bool{}
			for _, ps := range s.Protocols {
				supported[ps.Version] = ps.Supported
			}
			if !supported["TLS 1.3"] || !supported["TLS 1.2"] || supported["TLS 1.1"] {
				t.Errorf("protocols %+v, want TLS 1.3 and 1.2 only", s.Protocols)
			}
			if len(s.CipherSuites) == 0 || len(s.Clients) != 1 || !s.Clients[0].OK {
				t.Errorf("%d suites, client simulations %+v: the scan's handshakes did not get past the dialogue", len(s.CipherSuites), s.Clients)
			}
			for _, pr := range r.Problems {
				if pr.ID == result.ProblemScanIncomplete {
					t.Errorf("problem %s: %s", pr.ID, pr.Message)
				}
			}
			if s.Features.HSTS != nil {
				t.Errorf("HSTS %+v read from an SMTP server", s.Features.HSTS)
			}
		})
	}
	if n := afterTLS.Load(); n != 0 {
		t.Errorf("%d scan connections sent data after the TLS handshake (an HTTP request over SMTP); want none", n)
	}
}

// TestScanPostgresDirect: certgate scan of PostgreSQL 17's direct TLS,
// whose server closes every hello without the ALPN protocol "postgresql",
// offers it in every probe: protocols, suites, a client simulation, ALPN
// and a grade, with no scan-incomplete problem.
func TestScanPostgresDirect(t *testing.T) {
	p := newPKI(t, "Postgres")
	cfg := &tls.Config{Certificates: []tls.Certificate{p.inter.Leaf(t).TLSCert(p.inter.Cert)}}
	addr := starttlsfake.Start(t, starttlsfake.Config{Proto: starttls.PostgresDirect, TLS: cfg})
	_, port, _ := net.SplitHostPort(addr)
	code, out, errOut := cli(t, "", "scan", "-o", "json", epochArg, "--store", p.store, "--clients", "openssl-3",
		"--resolve=example.test:"+port+":127.0.0.1", "postgres://example.test:"+port+"/?sslnegotiation=direct")
	rs := decode(t, out, errOut)
	if len(rs) != 1 || rs[0].Scan == nil {
		t.Fatalf("want one result with a scan\nstdout: %s\nstderr: %s", out, errOut)
	}
	r, s := rs[0], rs[0].Scan
	if r.Status != result.StatusOK || code != 0 || r.StartTLS != starttls.PostgresDirect {
		t.Errorf("status %s, exit %d, starttls %q, problems %v; want ok, 0, %s", r.Status, code, r.StartTLS, problemIDs(r), starttls.PostgresDirect)
	}
	supported := map[string]bool{}
	for _, ps := range s.Protocols {
		supported[ps.Version] = ps.Supported
	}
	if !supported["TLS 1.3"] || !supported["TLS 1.2"] || len(s.CipherSuites) == 0 || s.Grade == nil {
		t.Errorf("protocols %+v, %d suites, grade %+v; want TLS 1.3 and 1.2, suites and a grade", s.Protocols, len(s.CipherSuites), s.Grade)
	}
	if len(s.Clients) != 1 || !s.Clients[0].OK || strings.Join(s.Features.ALPN, ",") != "postgresql" {
		t.Errorf("client simulations %+v, ALPN %v; want openssl-3 ok and ALPN postgresql", s.Clients, s.Features.ALPN)
	}
	for _, pr := range r.Problems {
		if pr.ID == result.ProblemScanIncomplete {
			t.Errorf("problem %s: %s", pr.ID, pr.Message)
		}
	}
}

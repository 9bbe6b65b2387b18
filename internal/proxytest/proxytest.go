// Package proxytest runs a real HTTP CONNECT proxy on the loopback interface
// for tests: it checks basic authentication, records what it was asked for,
// and relays bytes both ways. It reaches only loopback: every target host is
// dialled at 127.0.0.1 on the requested port.
package proxytest

import (
	"bufio"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// Proxy is a running CONNECT proxy.
type Proxy struct {
	// Addr is the "127.0.0.1:port" the proxy listens on.
	Addr string
	// User and Password, when User is set, are the credentials it demands
	// (407 without them, 407 with wrong ones).
	User, Password string
	// Status, when not 0 or 200, is the answer to every CONNECT (403, 502…).
	Status int

	mu       sync.Mutex
	requests []Request
}

// Request is one CONNECT the proxy received.
type Request struct {
	// Target is the requested "host:port".
	Target string
	// Authorized reports whether the credentials were accepted (true when
	// none were required).
	Authorized bool
}

// Start starts a proxy on 127.0.0.1:0; it stops when the test ends. Set User,
// Password and Status before the first connection.
func Start(t testing.TB) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{Addr: ln.Addr().String()}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { p.serve(c) })
		}
	}()
	return p
}

// URL returns the proxy URL, with the credentials when user is not empty.
func (p *Proxy) URL(user, password string) string {
	if user == "" {
		return "http://" + p.Addr
	}
	return "http://" + user + ":" + password + "@" + p.Addr
}

// Requests returns the CONNECT requests received so far.
func (p *Proxy) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

func (p *Proxy) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	ok := p.User == "" || req.Header.Get("Proxy-Authorization") == "Basic "+base64.StdEncoding.EncodeToString([]byte(p.User+":"+p.Password))
	p.mu.Lock()
	p.requests = append(p.requests, Request{Target: req.Host, Authorized: ok})
	p.mu.Unlock()
	if !ok {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.Status != 0 && p.Status != http.StatusOK {
		fmt.Fprintf(c, "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n\r\n", p.Status, http.StatusText(p.Status))
		return
	}
	_, port, err := net.SplitHostPort(req.Host)
	if err != nil || strings.TrimSpace(port) == "" {
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 5*time.Second)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	_ = c.SetDeadline(time.Time{})
	done := make(chan struct{}, 2)
	go func() { _, _ = io.Copy(up, br); done <- struct{}{} }()
	go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
	<-done
	// One side is finished: close both so the other copy ends too.
	c.Close()
	up.Close()
	<-done
}

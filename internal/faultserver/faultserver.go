// Package faultserver runs misbehaving servers on loopback, for tests and
// benchmarks of how certgate copes with a hostile world: peers that accept
// and never speak, stall or drip mid-handshake, reset, answer in plain HTTP,
// send a TLS alert, or present certificates built to hurt (huge, malformed,
// absurdly long chains, hostile strings).
//
// Every server listens on 127.0.0.1:0 only. The package does not depend on
// package testing, so scripts can use it too; Start returns a Server that the
// caller closes.
package faultserver

import (
	"bufio"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Handler serves one accepted connection. The server closes the connection
// when the handler returns, and closes it early when the server is closed.
type Handler func(net.Conn)

// Server is a loopback listener whose connections are served by one Handler.
type Server struct {
	ln     net.Listener
	h      Handler
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// Start listens on 127.0.0.1:0 and serves every connection with h.
func Start(h Handler) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultserver: listen on loopback: %w", err)
	}
	s := &Server{ln: ln, h: h, conns: map[net.Conn]struct{}{}}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is the listener's address, "127.0.0.1:port".
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the listener, closes every open connection and waits for the
// handlers to return.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Drain stops the listener and waits up to d for the handlers to return
// on their own (a TLS handler returns when the client closes), then closes
// what is still open as Close does. Use it before reading a Recording.
func (s *Server) Drain(d time.Duration) error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
		return err
	case <-time.After(d):
	}
	_ = s.Close() // the listener is closed already; its error is err
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				_ = c.Close()
			}()
			s.h(c)
		}()
	}
}

// Silent accepts the connection and never speaks; it reads and discards
// whatever the client sends until the client or the server closes.
func Silent() Handler {
	return func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }
}

// PlainHTTP reads the client's first bytes and answers as an HTTP server
// does to a request it cannot parse.
func PlainHTTP() Handler {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		_, _ = c.Read(buf)
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\nContent-Length: 11\r\n\r\nBad Request")
	}
}

// Alert reads the ClientHello and answers with one raw fatal TLS alert
// record carrying the description desc (40 is handshake_failure, 70
// protocol_version, 112 unrecognized_name).
func Alert(desc byte) Handler {
	return func(c net.Conn) {
		if !readClientHello(c) {
			return
		}
		// ContentType alert(21), legacy version TLS 1.2, length 2, level
		// fatal(2), description.
		_, _ = c.Write([]byte{21, 3, 3, 0, 2, 2, desc})
		_, _ = io.Copy(io.Discard, c)
	}
}

// Reset reads the ClientHello, then resets the connection (an RST, not a
// FIN: SO_LINGER 0 before closing).
func Reset() Handler {
	return func(c net.Conn) {
		readClientHello(c)
		if tc, ok := c.(*net.TCPConn); ok {
			_ = tc.SetLinger(0)
		}
		_ = c.Close()
	}
}

// readClientHello reads one whole TLS record from c, reporting whether it
// looked like a handshake record.
func readClientHello(c net.Conn) bool {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil || hdr[0] != 22 {
		return false
	}
	n := int(hdr[3])<<8 | int(hdr[4])
	_, err := io.ReadFull(c, make([]byte, n))
	return err == nil
}

// TLS completes real handshakes with cfg, then reads until the client closes.
// When rec is not nil, it records every byte of application data the client
// sent after the handshake.
func TLS(cfg *tls.Config, rec *Recording) Handler {
	return func(c net.Conn) {
		tc := tls.Server(c, cfg)
		_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.Handshake(); err != nil {
			return
		}
		if rec != nil {
			rec.handshakes.Add(1)
		}
		buf := make([]byte, 4096)
		for {
			n, err := tc.Read(buf)
			if n > 0 && rec != nil {
				rec.add(buf[:n])
			}
			if err != nil {
				return
			}
		}
	}
}

// StallAfter runs a real TLS server with cfg whose connection stops writing
// once it has written n bytes: the first flight (ServerHello and what
// follows it in the same write) goes out up to n bytes, then every write
// blocks until the connection is closed.
func StallAfter(cfg *tls.Config, n int) Handler {
	return func(c net.Conn) {
		sc := &stallConn{Conn: c, left: n, done: make(chan struct{})}
		defer sc.release()
		_ = tls.Server(sc, cfg).Handshake()
	}
}

// Drip runs a real TLS server with cfg whose writes go out one byte every
// interval.
func Drip(cfg *tls.Config, interval time.Duration) Handler {
	return func(c net.Conn) {
		_ = tls.Server(&dripConn{Conn: c, every: interval}, cfg).Handshake()
	}
}

// stallConn writes at most left bytes, then blocks writes until released
// (which happens when the handler returns, that is when the peer gave up).
type stallConn struct {
	net.Conn
	mu   sync.Mutex
	left int
	done chan struct{}
	once sync.Once
}

func (s *stallConn) Write(p []byte) (int, error) {
	s.mu.Lock()
	allow := min(len(p), s.left)
	s.left -= allow
	s.mu.Unlock()
	if allow > 0 {
		if n, err := s.Conn.Write(p[:allow]); err != nil {
			return n, err
		}
	}
	if allow == len(p) {
		return allow, nil
	}
	// Block until the peer gives up: a read of the peer's close ends it.
	go func() {
		_, _ = io.Copy(io.Discard, s.Conn)
		s.release()
	}()
	<-s.done
	return allow, errStalled
}

func (s *stallConn) release() { s.once.Do(func() { close(s.done) }) }

var errStalled = errors.New("faultserver: stalled on purpose")

// dripConn writes one byte per interval.
type dripConn struct {
	net.Conn
	every time.Duration
}

func (d *dripConn) Write(p []byte) (int, error) {
	for i := range p {
		if _, err := d.Conn.Write(p[i : i+1]); err != nil {
			return i, err
		}
		time.Sleep(d.every)
	}
	return len(p), nil
}

// Recording counts what a TLS server saw after its handshakes.
type Recording struct {
	mu         sync.Mutex
	data       []byte
	handshakes countInt
}

type countInt struct {
	mu sync.Mutex
	n  int
}

func (c *countInt) Add(d int) {
	c.mu.Lock()
	c.n += d
	c.mu.Unlock()
}

func (r *Recording) add(p []byte) {
	r.mu.Lock()
	r.data = append(r.data, p...)
	r.mu.Unlock()
}

// AppData returns a copy of the application data received after the
// handshakes, from all connections.
func (r *Recording) AppData() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]byte(nil), r.data...)
}

// Handshakes returns the number of handshakes that completed.
func (r *Recording) Handshakes() int {
	r.handshakes.mu.Lock()
	defer r.handshakes.mu.Unlock()
	return r.handshakes.n
}

// ErrNoOpenSSL results when the openssl program is not installed.
var ErrNoOpenSSL = errors.New("faultserver: the openssl program is not installed")

// OpenSSLServer is an `openssl s_server` process listening on 127.0.0.1,
// for the servers Go cannot be: one that speaks TLS 1.2 with SHA-1-only
// signature algorithms, presents an MD5-signed certificate, or offers only
// cipher suites Go does not implement.
type OpenSSLServer struct {
	cmd   *exec.Cmd
	stdin io.Closer
	addr  string
	dir   string
	done  chan struct{}
}

// StartOpenSSL makes a fresh RSA key and a self-signed certificate for
// example.test signed with digest ("sha256", "sha1", "md5"), then runs
// `openssl s_server` on 127.0.0.1 with them and with args, for example
// "-tls1_2", "-cipher", "AES128-GCM-SHA256". It returns once the server
// accepts connections; the caller closes it.
func StartOpenSSL(digest string, args ...string) (*OpenSSLServer, error) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		return nil, ErrNoOpenSSL
	}
	dir, err := os.MkdirTemp("", "faultserver-openssl-")
	if err != nil {
		return nil, fmt.Errorf("faultserver: temporary directory: %w", err)
	}
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	gen := exec.Command(bin, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-"+digest,
		"-subj", "/CN=example.test", "-addext", "subjectAltName=DNS:example.test",
		"-days", "30", "-keyout", key, "-out", cert)
	if out, err := gen.CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: openssl req -%s: %w: %s", digest, err, out)
	}
	return startSServer(bin, dir, cert, key, args)
}

// StartOpenSSLPEM runs `openssl s_server` on 127.0.0.1 presenting the
// certificate of certPEM with the private key of keyPEM, and with args, as
// StartOpenSSL does; the caller closes it.
func StartOpenSSLPEM(certPEM, keyPEM []byte, args ...string) (*OpenSSLServer, error) {
	bin, err := exec.LookPath("openssl")
	if err != nil {
		return nil, ErrNoOpenSSL
	}
	dir, err := os.MkdirTemp("", "faultserver-openssl-")
	if err != nil {
		return nil, fmt.Errorf("faultserver: temporary directory: %w", err)
	}
	key, cert := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: writing the certificate: %w", err)
	}
	if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: writing the key: %w", err)
	}
	return startSServer(bin, dir, cert, key, args)
}

// startSServer runs bin s_server with cert and key (files in dir, which
// Close removes) and args.
func startSServer(bin, dir, cert, key string, args []string) (*OpenSSLServer, error) {
	cmd := exec.Command(bin, append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: openssl s_server: %w", err)
	}
	// s_server stops at the end of its standard input: hold it open.
	stdin, err := cmd.StdinPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: openssl s_server: %w", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("faultserver: openssl s_server: %w", err)
	}
	s := &OpenSSLServer{cmd: cmd, stdin: stdin, dir: dir, done: make(chan struct{})}
	// s_server prints "ACCEPT host:port" once it listens, then a line or
	// more for every connection: read the first, drain the rest.
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "ACCEPT "); ok {
			s.addr = a
			break
		}
		if err != nil {
			_ = stdin.Close()
			_ = cmd.Wait()
			_ = os.RemoveAll(dir)
			return nil, fmt.Errorf("faultserver: openssl s_server %s did not start: %s", strings.Join(args, " "), strings.TrimSpace(stderr.String()))
		}
	}
	go func() {
		_, _ = io.Copy(io.Discard, r)
		close(s.done)
	}()
	return s, nil
}

// Addr is the server's address, "127.0.0.1:port".
func (s *OpenSSLServer) Addr() string { return s.addr }

// Close ends the process and removes its key and certificate.
func (s *OpenSSLServer) Close() error {
	_ = s.cmd.Process.Kill()
	_ = s.stdin.Close()
	<-s.done
	_ = s.cmd.Wait()
	return os.RemoveAll(s.dir)
}

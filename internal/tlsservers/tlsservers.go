// Package tlsservers runs real TLS servers on loopback for tests: nginx and
// `openssl s_server`, each with a certificate made in the test under a root
// made in the test, and the configuration the test gives.
//
// A test whose program is missing is skipped with a message that says
// which; with CERTGATE_REQUIRE_SHARED=1 (as CI sets it) it fails instead,
// so a run without the programs cannot pass silently.
package tlsservers

import (
	"bufio"
	"bytes"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

// Server is a TLS server running for one test.
type Server struct {
	// Addr is "127.0.0.1:port".
	Addr string
	// Root is the test root the leaf chains to; Leaf the leaf, for
	// "example.test".
	Root, Leaf *x509.Certificate
	// Dir is the server's working directory (certificates, configuration).
	Dir string
}

// Need returns the path of program, or skips the test (fails it under
// CERTGATE_REQUIRE_SHARED=1) when it is not installed; pkg names the
// Debian package that provides it.
func Need(t testing.TB, program, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	// Daemons live in sbin, which a normal user's PATH may leave out.
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin"} {
		if p := filepath.Join(dir, program); isExecutable(p) {
			return p
		}
	}
	msg := fmt.Sprintf("%s is not installed (Debian package %s; .ci/run installs it)", program, pkg)
	if shareddata.Required() {
		t.Fatalf("%s, and %s=1 requires it", msg, shareddata.EnvRequire)
	}
	t.Skipf("SKIPPED: %s", msg)
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Certs are the files of a test certificate.
type Certs struct {
	// CA is the root that issued the leaf (its key signs OCSP responses).
	CA                *testpki.CA
	Root, Leaf        *x509.Certificate
	CertFile, KeyFile string
}

// MakeCerts writes a leaf for example.test (key spec: testpki.RSA(2048),
// testpki.ECDSA(256), ...; opts edit it) issued by a fresh root into dir:
// cert.pem (the leaf) and key.pem.
func MakeCerts(t testing.TB, dir string, key testpki.KeySpec, opts ...testpki.Option) Certs {
	t.Helper()
	root := testpki.NewRoot(t, "tlsservers test root")
	opts = append([]testpki.Option{testpki.WithKey(key), testpki.Validity(time.Now().Add(-time.Hour), time.Now().Add(30*24*time.Hour))}, opts...)
	leaf := root.Leaf(t, opts...)
	keyPEM, err := testpki.KeyPEM(leaf.Key)
	if err != nil {
		t.Fatal(err)
	}
	c := Certs{CA: root, Root: root.Cert, Leaf: leaf.Cert, CertFile: filepath.Join(dir, "cert.pem"), KeyFile: filepath.Join(dir, "key.pem")}
	if err := os.WriteFile(c.CertFile, testpki.PEM(leaf.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.KeyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// DHParams writes a DH parameter file of bits bits into dir and returns
// its path: the RFC 7919 group of that size (ffdhe2048 to ffdhe8192) when
// there is one, else a fresh safe prime from `openssl dhparam` (quick for
// 1024 bits and less).
func DHParams(t testing.TB, dir string, bits int) string {
	t.Helper()
	bin := Need(t, "openssl", "openssl")
	p := filepath.Join(dir, fmt.Sprintf("dh%d.pem", bits))
	args := []string{"dhparam", "-out", p, fmt.Sprint(bits)}
	switch bits {
	case 2048, 3072, 4096, 6144, 8192:
		args = []string{"genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", fmt.Sprintf("group:ffdhe%d", bits), "-out", p}
	}
	if out, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl dhparam %d: %v: %s", bits, err, out)
	}
	return p
}

// StartOpenSSL runs `openssl s_server -www` on 127.0.0.1 with a fresh RSA
// 2048 certificate and args (for example "-tls1_2", "-cipher",
// "ECDHE-RSA-AES128-GCM-SHA256"). It returns once the server accepts
// connections and stops it when the test ends.
func StartOpenSSL(t testing.TB, args ...string) *Server {
	t.Helper()
	return StartOpenSSLKey(t, testpki.RSA(2048), args...)
}

// StartOpenSSLKey is StartOpenSSL with a leaf key of the given kind.
func StartOpenSSLKey(t testing.TB, key testpki.KeySpec, args ...string) *Server {
	t.Helper()
	return StartOpenSSLCerts(t, MakeCerts(t, t.TempDir(), key), args...)
}

// StartOpenSSLCerts is StartOpenSSL with certificates the test made (with
// MakeCerts).
func StartOpenSSLCerts(t testing.TB, c Certs, args ...string) *Server {
	t.Helper()
	bin := Need(t, "openssl", "openssl")
	dir := filepath.Dir(c.CertFile)
	full := append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", c.CertFile, "-key", c.KeyFile, "-www"}, args...)
	cmd := exec.Command(bin, full...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe() // s_server stops at the end of its input
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("openssl s_server: %v", err)
	}
	t.Cleanup(func() {
		_ = stdin.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	r := bufio.NewReader(stdout)
	for {
		line, err := r.ReadString('\n')
		if a, ok := strings.CutPrefix(strings.TrimSpace(line), "ACCEPT "); ok {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return &Server{Addr: a, Root: c.Root, Leaf: c.Leaf, Dir: dir}
		}
		if err != nil {
			t.Fatalf("openssl %s did not start: %s", strings.Join(args, " "), stderr.String())
		}
	}
}

// StartNginx runs nginx as a process of the test (no daemon, its own
// configuration, pid file and temporary paths in a temporary directory) on
// 127.0.0.1 with a fresh RSA 2048 certificate, and conf added to its one TLS server block, for example
// "ssl_protocols TLSv1.2; ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;". Every
// request gets 200 "ok". It stops nginx when the test ends.
func StartNginx(t testing.TB, conf string) *Server {
	t.Helper()
	return StartNginxWith(t, Nginx{Conf: conf})
}

// Nginx configures StartNginxWith.
type Nginx struct {
	// Conf is added to the TLS server block.
	Conf string
	// Listen are more parameters of the listen directive, e.g. "http2".
	Listen string
	// Key is the leaf's key kind; testpki.RSA(2048) when zero.
	Key testpki.KeySpec
	// Certs, when set, are served in place of a fresh certificate.
	Certs *Certs
	// Locations replaces the server block's one location, which answers
	// every request with 200 "ok".
	Locations string
}

// StartNginxWith is StartNginx with more settings.
func StartNginxWith(t testing.TB, n Nginx) *Server {
	t.Helper()
	bin := Need(t, "nginx", "nginx")
	dir := t.TempDir()
	spec := n.Key
	if spec == (testpki.KeySpec{}) {
		spec = testpki.RSA(2048)
	}
	var c Certs
	if n.Certs != nil {
		c = *n.Certs
	} else {
		c = MakeCerts(t, dir, spec)
	}
	locations := n.Locations
	if locations == "" {
		locations = `location / { return 200 "ok\n"; }`
	}
	port := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;" // workers need the test's files
	}
	cfg := fmt.Sprintf(`%s
worker_processes 1;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path %[2]s/body;
    proxy_temp_path %[2]s/proxy;
    fastcgi_temp_path %[2]s/fastcgi;
    uwsgi_temp_path %[2]s/uwsgi;
    scgi_temp_path %[2]s/scgi;
    server {
        listen 127.0.0.1:%[3]d ssl %[7]s;
        server_name example.test;
        ssl_certificate %[4]s;
        ssl_certificate_key %[5]s;
        %[6]s
        %[8]s
    }
}
`, user, dir, port, c.CertFile, c.KeyFile, n.Conf, n.Listen, locations)
	confPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", confPath, "-g", fmt.Sprintf("daemon off; pid %s/nginx.pid; error_log stderr;", dir))
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	// The master and its worker share a process group, stopped together;
	// a worker left holding the output pipe does not hold up Wait.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatalf("nginx: %v", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		// TERM: the master stops its worker and reaps it, then exits;
		// KILL the group only if that takes too long.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("nginx exited: %s\nconfiguration:\n%s", stderr.String(), cfg)
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return &Server{Addr: addr, Root: c.Root, Leaf: c.Leaf, Dir: dir}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nginx did not listen on %s: %s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// lockedBuffer is a bytes.Buffer safe for a process's writes and the
// test's reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

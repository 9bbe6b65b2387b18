// Package daemons starts the real servers users run — Postfix, Dovecot,
// OpenLDAP slapd, PostgreSQL, MariaDB, Prosody, vsftpd and INN's nnrpd — on
// 127.0.0.1 for tests, each serving STARTTLS with a certificate the test
// made.
//
// Start writes a minimal configuration into a directory of the test,
// starts the daemon in the foreground as a child process in its own
// process group, waits until every port it serves accepts connections,
// and stops it (the whole process group) when the test ends. The daemons
// come from Debian packages: where one is missing the test is skipped with
// a message naming the package, or fails when CERTGATE_REQUIRE_SHARED=1 (as
// CI sets it), so a run without the servers cannot pass silently.
//
// The daemons run when the tests run as root (Postfix, Dovecot,
// PostgreSQL, MariaDB and nnrpd then serve as their own system users, as in
// production) and, except Postfix and nnrpd, when they run as a normal
// user.
package daemons

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

// Cert names the PEM files a daemon serves.
type Cert struct {
	// CertFile holds the server certificate followed by any intermediate
	// certificates, in PEM.
	CertFile string
	// KeyFile holds the certificate's private key, unencrypted PEM.
	KeyFile string
	// Name is the server's DNS name, which the certificate should match:
	// the XMPP domain, the SMTP host name, the NNTP path host. Empty means
	// "example.test".
	Name string
}

// WriteCert writes leaf (followed by chain) and its key as PEM files into
// a temporary directory of t, and returns them as the Cert for host name
// name.
func WriteCert(t testing.TB, name string, leaf *testpki.Leaf, chain ...*x509.Certificate) Cert {
	t.Helper()
	dir := t.TempDir()
	key, err := testpki.KeyPEM(leaf.Key)
	if err != nil {
		t.Fatalf("daemons: %v", err)
	}
	c := Cert{CertFile: filepath.Join(dir, "chain.pem"), KeyFile: filepath.Join(dir, "key.pem"), Name: name}
	if err := os.WriteFile(c.CertFile, testpki.PEM(append([]*x509.Certificate{leaf.Cert}, chain...)...), 0o644); err != nil {
		t.Fatalf("daemons: %v", err)
	}
	if err := os.WriteFile(c.KeyFile, key, 0o600); err != nil {
		t.Fatalf("daemons: %v", err)
	}
	return c
}

// Kind is one STARTTLS dialect a daemon serves.
type Kind struct {
	// Name names the kind, and is what Start takes: "smtp", "submission",
	// "imap", "pop3", "lmtp", "sieve", "ldap", "postgres", "mysql", "xmpp",
	// "xmpp-server", "ftp" or "nntp".
	Name string
	// Scheme is the target URL scheme that speaks the dialect (Name).
	Scheme string
	// OpenSSL is the dialect's name for openssl s_client -starttls.
	OpenSSL string
	// Daemon names the server program that serves it, as StartDaemon takes
	// it: "postfix", "dovecot", "slapd", "postgresql", "mariadb",
	// "prosody", "vsftpd" or "nnrpd".
	Daemon string
	// Packages are the Debian packages the daemon needs for this kind.
	Packages []string
	// DefaultPort is the dialect's well-known port (the harness listens on
	// a free port instead).
	DefaultPort int
}

// Endpoint is a daemon serving one kind on loopback.
type Endpoint struct {
	// Kind is what the endpoint speaks.
	Kind Kind
	// Addr is "127.0.0.1:port".
	Addr string
	// Host is the server's name (Cert.Name): the name the certificate is
	// checked against, and the XMPP domain.
	Host string
	// Scheme is the target URL scheme, Kind.Scheme.
	Scheme string
	// StartTime is how long the daemon took from the start of its set-up
	// (including any database initialisation) until every port accepted.
	StartTime time.Duration
	// Stop stops the daemon and its children now (the test's clean-up does
	// it otherwise); calling it again does nothing.
	Stop func()

	proc *process
}

// URL is the endpoint by address: scheme://127.0.0.1:port.
func (e Endpoint) URL() string { return e.Scheme + "://" + e.Addr }

// Port is the port the endpoint listens on.
func (e Endpoint) Port() string {
	_, port, _ := net.SplitHostPort(e.Addr)
	return port
}

// Target is the endpoint by name, scheme://Host:port, the target to check
// together with Resolve (Host does not resolve to loopback).
func (e Endpoint) Target() string {
	return e.Scheme + "://" + net.JoinHostPort(e.Host, e.Port())
}

// Resolve is the --resolve entry that sends Target to the daemon:
// Host:port:127.0.0.1.
func (e Endpoint) Resolve() string {
	return net.JoinHostPort(e.Host, e.Port()) + ":127.0.0.1"
}

var kinds = []Kind{
	{Name: "smtp", Scheme: "smtp", OpenSSL: "smtp", Daemon: "postfix", Packages: []string{"postfix"}, DefaultPort: 25},
	{Name: "submission", Scheme: "submission", OpenSSL: "smtp", Daemon: "postfix", Packages: []string{"postfix"}, DefaultPort: 587},
	{Name: "imap", Scheme: "imap", OpenSSL: "imap", Daemon: "dovecot", Packages: []string{"dovecot-imapd"}, DefaultPort: 143},
	{Name: "pop3", Scheme: "pop3", OpenSSL: "pop3", Daemon: "dovecot", Packages: []string{"dovecot-pop3d"}, DefaultPort: 110},
	{Name: "lmtp", Scheme: "lmtp", OpenSSL: "lmtp", Daemon: "dovecot", Packages: []string{"dovecot-lmtpd"}, DefaultPort: 24},
	{Name: "sieve", Scheme: "sieve", OpenSSL: "sieve", Daemon: "dovecot", Packages: []string{"dovecot-managesieved"}, DefaultPort: 4190},
	{Name: "ldap", Scheme: "ldap", OpenSSL: "ldap", Daemon: "slapd", Packages: []string{"slapd"}, DefaultPort: 389},
	{Name: "postgres", Scheme: "postgres", OpenSSL: "postgres", Daemon: "postgresql", Packages: []string{"postgresql"}, DefaultPort: 5432},
	{Name: "mysql", Scheme: "mysql", OpenSSL: "mysql", Daemon: "mariadb", Packages: []string{"mariadb-server"}, DefaultPort: 3306},
	{Name: "xmpp", Scheme: "xmpp", OpenSSL: "xmpp", Daemon: "prosody", Packages: []string{"prosody"}, DefaultPort: 5222},
	{Name: "xmpp-server", Scheme: "xmpp-server", OpenSSL: "xmpp-server", Daemon: "prosody", Packages: []string{"prosody"}, DefaultPort: 5269},
	{Name: "ftp", Scheme: "ftp", OpenSSL: "ftp", Daemon: "vsftpd", Packages: []string{"vsftpd"}, DefaultPort: 21},
	{Name: "nntp", Scheme: "nntp", OpenSSL: "nntp", Daemon: "nnrpd", Packages: []string{"inn2"}, DefaultPort: 119},
}

// Kinds lists every kind the harness serves, in a fixed order.
func Kinds() []Kind {
	out := make([]Kind, len(kinds))
	copy(out, kinds)
	return out
}

// Daemons lists the daemon names StartDaemon takes, in a fixed order.
func Daemons() []string {
	var out []string
	for _, k := range kinds {
		if len(out) == 0 || out[len(out)-1] != k.Daemon {
			out = append(out, k.Daemon)
		}
	}
	return out
}

// KindOf returns the kind named name.
func KindOf(name string) (Kind, bool) {
	for _, k := range kinds {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// kindsOf returns the kinds daemon serves.
func kindsOf(daemon string) []Kind {
	var out []Kind
	for _, k := range kinds {
		if k.Daemon == daemon {
			out = append(out, k)
		}
	}
	return out
}

// Start starts the daemon that serves kind with cert, and returns the
// endpoint of that kind. It skips t (or fails it under
// CERTGATE_REQUIRE_SHARED=1) when the daemon is not installed, and fails t
// when the daemon does not come up.
func Start(t testing.TB, kind string, cert Cert) Endpoint {
	t.Helper()
	k, ok := KindOf(kind)
	if !ok {
		t.Fatalf("daemons: unknown kind %q; use one of the names from Kinds()", kind)
	}
	for _, ep := range StartDaemon(t, k.Daemon, cert) {
		if ep.Kind.Name == kind {
			return ep
		}
	}
	panic("unreachable: a daemon serves every kind it lists")
}

// StartDaemon starts daemon (one of Daemons()) once with cert, and returns
// one endpoint for every kind it serves, in the order of Kinds. The
// endpoints share one process group: stopping one stops them all.
func StartDaemon(t testing.TB, daemon string, cert Cert) []Endpoint {
	t.Helper()
	d, ok := specs[daemon]
	if !ok {
		t.Fatalf("daemons: unknown daemon %q; use one of %v", daemon, Daemons())
	}
	if cert.Name == "" {
		cert.Name = "example.test"
	}
	progs := requirePrograms(t, daemon, d.programs)
	root := os.Geteuid() == 0
	if d.rootOnly != "" && !root {
		// Not a missing package: the environment cannot run it at all.
		t.Skipf("SKIPPED: %s needs root here: %s; run the tests as root (as CI does) to cover it", daemon, d.rootOnly)
	}
	ks := kindsOf(daemon)
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		start := time.Now()
		dir := daemonDir(t, daemon, attempt)
		e := &env{t: t, dir: dir, name: cert.Name, root: root, prog: progs, ports: map[string]int{}}
		for _, k := range ks {
			p, err := freePort()
			if err != nil {
				t.Fatalf("daemons: %s: find a free loopback port: %v", daemon, err)
			}
			e.ports[k.Name] = p
		}
		if err := e.copyCert(cert); err != nil {
			t.Fatalf("daemons: %s: copy the certificate into %s: %v", daemon, dir, err)
		}
		cmd, err := d.setup(e)
		if err != nil {
			t.Fatalf("daemons: %s: set up in %s: %v", daemon, dir, err)
		}
		p, err := launch(cmd, e)
		if err != nil {
			t.Fatalf("daemons: %s: start %s: %v", daemon, cmd.Path, err)
		}
		t.Cleanup(func() { p.stop(t) })
		var addrs []string
		for _, k := range ks {
			addrs = append(addrs, net.JoinHostPort("127.0.0.1", strconv.Itoa(e.ports[k.Name])))
		}
		if err := p.waitReady(addrs, readyTimeout); err != nil {
			lastErr = fmt.Errorf("%w\n--- %s ---\n%s", err, p.logPath, tail(p.logPath, 30))
			p.stop(t)
			if errors.Is(err, errExited) && portTaken(p.logPath) {
				// A port was taken between choosing and binding it: try
				// again on fresh ports.
				continue
			}
			break
		}
		took := time.Since(start)
		var eps []Endpoint
		for i, k := range ks {
			eps = append(eps, Endpoint{Kind: k, Addr: addrs[i], Host: cert.Name, Scheme: k.Scheme, StartTime: took, Stop: func() { p.stop(t) }, proc: p})
		}
		return eps
	}
	t.Fatalf("daemons: %s did not come up: %v", daemon, lastErr)
	return nil
}

// readyTimeout bounds the wait for a daemon's ports: generous, as the test
// machine may be busy; a daemon that exits ends the wait at once.
const readyTimeout = 90 * time.Second

// requirePrograms finds the programs a daemon needs, and skips t (fails it
// under CERTGATE_REQUIRE_SHARED) naming the Debian package of any that is
// missing.
func requirePrograms(t testing.TB, daemon string, progs []program) map[string]string {
	t.Helper()
	found := map[string]string{}
	var missing, pkgs []string
	for _, p := range progs {
		path, err := findProgram(p.name, p.dirs...)
		if err != nil {
			missing = append(missing, p.name)
			if !contains(pkgs, p.pkg) {
				pkgs = append(pkgs, p.pkg)
			}
			continue
		}
		found[p.name] = path
	}
	if len(missing) == 0 {
		return found
	}
	msg := fmt.Sprintf("DAEMON NOT RUN: %s is not installed (%s missing), so the STARTTLS tests against the real %s cannot run: install the Debian package(s) with `apt-get install %s` (.ci/run does)",
		daemon, strings.Join(missing, ", "), daemon, strings.Join(pkgs, " "))
	if shareddata.Required() {
		t.Fatalf("%s (%s is set, so this fails instead of skipping)", msg, shareddata.EnvRequire)
	}
	t.Skipf("SKIPPED: %s (set %s=1 to make this a failure)", msg, shareddata.EnvRequire)
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// program is an executable a daemon needs and the Debian package that
// ships it; dirs are where to look beyond $PATH (sbin and private
// directories are not on a normal user's path).
type program struct {
	name string
	pkg  string
	dirs []string
}

// findProgram looks name up on $PATH and then in dirs, which may be globs
// (the highest match wins, so /usr/lib/postgresql/*/bin finds the newest
// PostgreSQL).
func findProgram(name string, dirs ...string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range append(dirs, "/usr/sbin", "/sbin") {
		matches, _ := filepath.Glob(filepath.Join(d, name))
		sort.Strings(matches)
		for i := len(matches) - 1; i >= 0; i-- {
			if fi, err := os.Stat(matches[i]); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
				return matches[i], nil
			}
		}
	}
	return "", fmt.Errorf("%s: %w", name, exec.ErrNotFound)
}

// daemonDir makes the daemon's directory inside the test's temporary
// directory. When the tests run as root, daemons drop to their own users,
// which must reach the files: the directory and the test's temporary
// directory above it are opened to all (they hold only test material).
func daemonDir(t testing.TB, daemon string, attempt int) string {
	base := t.TempDir()
	dir := filepath.Join(base, daemon+strconv.Itoa(attempt))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatalf("daemons: %v", err)
	}
	if os.Geteuid() == 0 {
		for _, d := range []string{base, filepath.Dir(base)} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatalf("daemons: open %s to the daemon's user: %v", d, err)
			}
		}
		for d := filepath.Dir(filepath.Dir(base)); ; d = filepath.Dir(d) {
			if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
				t.Fatalf("daemons: %s: the daemons' own users cannot reach %s (mode %v); point TMPDIR at a directory they can reach, such as /tmp", daemon, d, fi.Mode().Perm())
			}
			if d == filepath.Dir(d) {
				break
			}
		}
	}
	return dir
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// env is what a daemon's set-up works with.
type env struct {
	t     testing.TB
	dir   string
	name  string
	root  bool
	prog  map[string]string
	ports map[string]int
	// cert and key are the copies of the certificate and key in dir.
	cert, key string
	// stdinLog makes the daemon's standard input the log file, opened for
	// reading and writing: vsftpd writes its start-up errors there.
	stdinLog bool
	// env is added to the daemon's environment.
	env []string
}

// path returns the path of name inside the daemon's directory.
func (e *env) path(name ...string) string {
	return filepath.Join(append([]string{e.dir}, name...)...)
}

// copyCert copies the certificate and key into the daemon's directory,
// where the daemon's user can own them (PostgreSQL insists on owning its
// key file, mode 0600).
func (e *env) copyCert(c Cert) error {
	e.cert, e.key = e.path("server-cert.pem"), e.path("server-key.pem")
	for _, f := range []struct {
		from, to string
		mode     os.FileMode
	}{{c.CertFile, e.cert, 0o644}, {c.KeyFile, e.key, 0o600}} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return err
		}
		if err := os.WriteFile(f.to, b, f.mode); err != nil {
			return err
		}
	}
	return nil
}

// write writes a file of the daemon's configuration.
func (e *env) write(name, content string) error {
	return os.WriteFile(e.path(name), []byte(content), 0o644)
}

// mkdirs makes directories inside the daemon's directory.
func (e *env) mkdirs(names ...string) error {
	for _, n := range names {
		if err := os.MkdirAll(e.path(n), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// account is a system user a daemon runs as.
type account struct {
	name     string
	group    string
	uid, gid int
}

// lookupAccount finds a system user.
func lookupAccount(name string) (account, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return account{}, fmt.Errorf("system user %s (made by the daemon's Debian package): %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{name: name, uid: uid, gid: gid}, nil
}

// current returns the user running the tests.
func current() (account, error) {
	u, err := user.Current()
	if err != nil {
		return account{}, err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	g, err := user.LookupGroupId(u.Gid)
	if err != nil {
		return account{}, fmt.Errorf("the group of the user running the tests: %w", err)
	}
	return account{name: u.Username, group: g.Name, uid: uid, gid: gid}, nil
}

// chown hands paths (recursively) to a.
func chown(a account, paths ...string) error {
	for _, p := range paths {
		err := filepath.Walk(p, func(path string, _ os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			return os.Lchown(path, a.uid, a.gid)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// asUser makes cmd run as a (only root can do this).
func asUser(cmd *exec.Cmd, a account) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid), Groups: []uint32{}}
}

// runSetup runs a set-up program (initdb) to completion, with its output
// in the error.
func runSetup(cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out.Bytes())
	}
	return nil
}

// portTaken reports whether a daemon's log says it could not bind a port.
func portTaken(logPath string) bool {
	b, _ := os.ReadFile(logPath)
	s := strings.ToLower(string(b))
	return strings.Contains(s, "address already in use") || strings.Contains(s, "could not bind")
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Command captureclients records the first ClientHello of real TLS clients
// and writes them as the profiles that pkg/clients embeds.
//
// For each client it listens on 127.0.0.1, runs the client against that
// address (SNI client.test where the client lets it be set), reads the whole
// first ClientHello, closes the connection and stops the client. Nothing
// leaves the machine. A client that is not installed is skipped and named.
//
// Usage (from the repository root):
//
//	go run ./scripts/captureclients -out pkg/clients/profiles
//	go run ./scripts/captureclients -only java,openssl
//
// Java clients are the JDKs found under -jvm: Debian's OpenJDK 17 and the
// newest JDK there. Each one compiles and runs a small SSLSocket program with
// the JDK's default settings, and its limits are read from that JDK's
// conf/security/java.security. OpenSSL-based clients carry OpenSSL's
// documented security level 2 rules.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/certgate/certgate/pkg/clients"
)

// sni is the server name sent by clients that let it be set.
const sni = "client.test"

// client is one client to record.
type client struct {
	// family is the profile name prefix; the client's major version is
	// appended.
	family string
	// version returns the client's own version string and its major
	// version for the profile name.
	version func() (full, major string, err error)
	// run starts the client against 127.0.0.1:port; it returns when the
	// client exits or ctx ends. tmp is a scratch directory.
	run func(ctx context.Context, port int, tmp string) error
	// command documents how the client is run.
	command string
	// sni is the server name the client is given ("" when it sends none).
	sni string
	// limits returns the client's documented limits, nil when none.
	limits func() (*clients.Limits, error)
	notes  string
}

func main() {
	out := flag.String("out", filepath.Join("pkg", "clients", "profiles"), "write the profiles to `DIR`")
	only := flag.String("only", "", "record only the clients whose profile name starts with one of these comma-separated `PREFIXES`")
	jvm := flag.String("jvm", "/usr/lib/jvm", "look for JDKs under `DIR`")
	timeout := flag.Duration("timeout", 60*time.Second, "per client, from start to ClientHello")
	flag.Parse()

	list := javaClients(*jvm)
	list = append(list, otherClients()...)
	failed := false
	for _, c := range list {
		full, major, err := c.version()
		if err != nil {
			fmt.Fprintf(os.Stderr, "skip %s: %v\n", c.family, err)
			continue
		}
		name := c.family + "-" + major
		if !selected(name, *only) {
			continue
		}
		p, err := capture(c, name, full, *timeout)
		if err != nil {
			fmt.Fprintf(os.Stderr, "FAIL %s: %v\n", name, err)
			failed = true
			continue
		}
		data, err := json.MarshalIndent(p, "", "  ")
		if err != nil {
			fatal(err)
		}
		path := filepath.Join(*out, name+".json")
		if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
			fatal(err)
		}
		fmt.Printf("%-16s %d suites, %s  (%s)\n", name, len(p.Decoded.CipherSuites), strings.Join(p.Decoded.Versions, "/"), full)
	}
	if failed {
		os.Exit(1)
	}
}

func selected(name, only string) bool {
	if only == "" {
		return true
	}
	for _, p := range strings.Split(only, ",") {
		if p != "" && strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "captureclients:", err)
	os.Exit(1)
}

// capture runs one client against a loopback listener and records its
// first ClientHello.
func capture(c client, name, full string, timeout time.Duration) (*clients.Profile, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	tmp, err := os.MkdirTemp("", "captureclients-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	port := ln.Addr().(*net.TCPAddr).Port
	done := make(chan error, 1)
	go func() { done <- c.run(ctx, port, tmp) }()

	type got struct {
		raw []byte
		err error
	}
	hello := make(chan got, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			hello <- got{err: err}
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(timeout))
		raw, err := readHello(conn)
		hello <- got{raw, err}
	}()

	var raw []byte
	select {
	case g := <-hello:
		if g.err != nil {
			return nil, g.err
		}
		raw = g.raw
		cancel()
		<-done
	case err := <-done:
		// A client may send its hello and exit before the hello is read
		// (the Go client gives up at once when the listener answers
		// nothing): give the reader a moment before calling it a failure.
		select {
		case g := <-hello:
			if g.err != nil {
				return nil, g.err
			}
			raw = g.raw
		case <-time.After(2 * time.Second):
			return nil, fmt.Errorf("the client exited before sending a ClientHello: %v", err)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("no ClientHello within %s", timeout)
	}

	d, err := clients.Decode(raw)
	if err != nil {
		return nil, err
	}
	p := &clients.Profile{
		Name:     name,
		Client:   full,
		Captured: time.Now().UTC().Format("2006-01-02"),
		Command:  c.command,
		SNI:      c.sni,
		Notes:    c.notes,
		HelloHex: hex.EncodeToString(raw),
		Decoded:  d,
	}
	if c.limits != nil {
		if p.Limits, err = c.limits(); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// readHello reads handshake records until the first handshake message, the
// ClientHello, is complete, and returns the records as sent.
func readHello(r io.Reader) ([]byte, error) {
	var records, msg []byte
	for {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(r, hdr); err != nil {
			return nil, fmt.Errorf("reading a record header: %w", err)
		}
		s := cryptobyte.String(hdr)
		var typ uint8
		var version, length uint16
		if !s.ReadUint8(&typ) || !s.ReadUint16(&version) || !s.ReadUint16(&length) || typ != 22 {
			return nil, fmt.Errorf("not a TLS handshake record: % x", hdr)
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, fmt.Errorf("reading a record: %w", err)
		}
		records = append(append(records, hdr...), body...)
		msg = append(msg, body...)
		m := cryptobyte.String(msg)
		var msgType uint8
		var inner cryptobyte.String
		if m.ReadUint8(&msgType) && m.ReadUint24LengthPrefixed(&inner) {
			if !m.Empty() {
				return nil, errors.New("the ClientHello's last record carries more than the ClientHello")
			}
			return records, nil
		}
	}
}

// command runs name with args in its own process group, which is killed
// when ctx ends.
func command(ctx context.Context, stdin io.Reader, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Stdin = stdin
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		return err
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return ctx.Err()
	}
}

// output runs a command and returns its combined output.
func output(name string, args ...string) (string, error) {
	b, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(b)), nil
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// majorOf returns the first number of s after prefix's match.
func majorOf(re, s string) (string, error) {
	m := regexp.MustCompile(re).FindStringSubmatch(s)
	if m == nil {
		return "", fmt.Errorf("no version in %q", s)
	}
	return m[1], nil
}

const javaSource = `import java.util.List;
import javax.net.ssl.*;

public class Hello {
    public static void main(String[] args) throws Exception {
        SSLSocket s = (SSLSocket) SSLSocketFactory.getDefault().createSocket("127.0.0.1", Integer.parseInt(args[0]));
        SSLParameters p = s.getSSLParameters();
        p.setServerNames(List.of(new SNIHostName(args[1])));
        s.setSSLParameters(p);
        try {
            s.startHandshake();
        } catch (Exception e) {
            // the capture listener closes after the ClientHello
        }
        s.close();
    }
}
`

// javaClients are Debian's OpenJDK 17 and the newest other JDK under dir.
func javaClients(dir string) []client {
	homes := []string{filepath.Join(dir, "java-17-openjdk-amd64")}
	entries, _ := os.ReadDir(dir)
	best, bestMajor := "", 0
	for _, e := range entries {
		home := filepath.Join(dir, e.Name())
		if fi, err := os.Lstat(home); err != nil || fi.Mode()&os.ModeSymlink != 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join(home, "bin", "javac")); err != nil {
			continue
		}
		_, major, err := javaVersion(home)
		if err != nil {
			continue
		}
		if n, _ := strconv.Atoi(major); n > bestMajor && n != 17 {
			best, bestMajor = home, n
		}
	}
	if best != "" {
		homes = append(homes, best)
	}
	var out []client
	for _, home := range homes {
		home := home
		out = append(out, client{
			family:  "java",
			version: func() (string, string, error) { return javaVersion(home) },
			command: "SSLSocketFactory.getDefault() SSLSocket to 127.0.0.1 with SNIHostName, default settings, compiled with the JDK's javac",
			sni:     sni,
			run: func(ctx context.Context, port int, tmp string) error {
				src := filepath.Join(tmp, "Hello.java")
				if err := os.WriteFile(src, []byte(javaSource), 0o644); err != nil {
					return err
				}
				if out, err := exec.Command(filepath.Join(home, "bin", "javac"), "-d", tmp, src).CombinedOutput(); err != nil {
					return fmt.Errorf("javac: %v: %s", err, out)
				}
				return command(ctx, nil, filepath.Join(home, "bin", "java"), "-cp", tmp, "Hello", strconv.Itoa(port), sni)
			},
			limits: func() (*clients.Limits, error) {
				f, err := os.Open(filepath.Join(home, "conf", "security", "java.security"))
				if err != nil {
					return nil, err
				}
				defer f.Close()
				return clients.JavaLimits(f, "conf/security/java.security of this JDK, read at capture time; jdk.tls.maxHandshakeMessageSize and jdk.tls.maxCertificateChainLength are the JDK defaults")
			},
		})
	}
	return out
}

// javaVersion is the first two lines of `java -version` and the major
// version.
func javaVersion(home string) (string, string, error) {
	out, err := output(filepath.Join(home, "bin", "java"), "-version")
	if err != nil {
		return "", "", err
	}
	lines := strings.Split(out, "\n")
	full := strings.TrimSpace(lines[0])
	if len(lines) > 1 {
		full += "; " + strings.TrimSpace(lines[1])
	}
	major, err := majorOf(`version "(\d+)`, full)
	return full, major, err
}

func otherClients() []client {
	openssl := func() (*clients.Limits, error) { return clients.OpenSSLSecLevel2(), nil }
	return []client{
		{
			family: "openssl",
			version: func() (string, string, error) {
				v, err := output("openssl", "version")
				if err != nil {
					return "", "", err
				}
				m, err := majorOf(`OpenSSL (\d+)`, v)
				return v, m, err
			},
			command: "openssl s_client -connect 127.0.0.1:PORT -servername " + sni,
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				return command(ctx, strings.NewReader(""), "openssl", "s_client", "-connect", "127.0.0.1:"+strconv.Itoa(port), "-servername", sni)
			},
			limits: openssl,
		},
		{
			family: "curl",
			version: func() (string, string, error) {
				v, err := output("curl", "--version")
				if err != nil {
					return "", "", err
				}
				v = firstLine(v)
				m, err := majorOf(`^curl (\d+\.\d+)`, v)
				return v, m, err
			},
			command: "curl --resolve " + sni + ":PORT:127.0.0.1 https://" + sni + ":PORT/",
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				p := strconv.Itoa(port)
				return command(ctx, nil, "curl", "-s", "--resolve", sni+":"+p+":127.0.0.1", "https://"+sni+":"+p+"/")
			},
			limits: openssl,
			notes:  "curl linked with the system OpenSSL 3",
		},
		{
			family: "go",
			version: func() (string, string, error) {
				v := runtime.Version()
				m, err := majorOf(`go(\d+\.\d+)`, v)
				return v + " crypto/tls", m, err
			},
			command: "crypto/tls tls.Dial with a default Config and ServerName " + sni,
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				d := tls.Dialer{Config: &tls.Config{ServerName: sni}}
				conn, err := d.DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port))
				if err == nil {
					conn.Close()
				}
				return nil
			},
		},
		{
			family: "gnutls",
			version: func() (string, string, error) {
				v, err := output("gnutls-cli", "--version")
				if err != nil {
					return "", "", err
				}
				v = firstLine(v)
				m, err := majorOf(`(\d+\.\d+)`, v)
				return v, m, err
			},
			command: "gnutls-cli --sni-hostname " + sni + " -p PORT 127.0.0.1",
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				return command(ctx, strings.NewReader(""), "gnutls-cli", "--sni-hostname", sni, "-p", strconv.Itoa(port), "127.0.0.1")
			},
		},
		{
			family: "python",
			version: func() (string, string, error) {
				v, err := output("python3", "-c", "import ssl, sys; print('Python', sys.version.split()[0], ssl.OPENSSL_VERSION)")
				if err != nil {
					return "", "", err
				}
				m, err := majorOf(`Python (\d+\.\d+)`, v)
				return v, m, err
			},
			command: "python3 ssl.create_default_context().wrap_socket(server_hostname='" + sni + "')",
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				prog := fmt.Sprintf("import socket, ssl\ns = socket.create_connection(('127.0.0.1', %d))\ntry:\n    ssl.create_default_context().wrap_socket(s, server_hostname=%q)\nexcept Exception:\n    pass\n", port, sni)
				return command(ctx, nil, "python3", "-c", prog)
			},
			limits: func() (*clients.Limits, error) {
				v, err := output("python3", "-c", "import ssl; print(ssl.OPENSSL_VERSION)")
				if err != nil || !strings.HasPrefix(v, "OpenSSL 3") {
					return nil, err
				}
				return clients.OpenSSLSecLevel2(), nil
			},
			notes: "Python's ssl module linked with the system OpenSSL 3",
		},
		{
			family: "node",
			version: func() (string, string, error) {
				v, err := output("node", "-p", "'Node.js ' + process.version + ' OpenSSL ' + process.versions.openssl")
				if err != nil {
					return "", "", err
				}
				m, err := majorOf(`Node.js v(\d+)`, v)
				return v, m, err
			},
			command: "node https.get({host: '127.0.0.1', port: PORT, servername: '" + sni + "'})",
			sni:     sni,
			run: func(ctx context.Context, port int, _ string) error {
				prog := fmt.Sprintf("require('https').get({host: '127.0.0.1', port: %d, servername: %q}).on('error', () => {})", port, sni)
				return command(ctx, nil, "node", "-e", prog)
			},
			notes: "Node.js with its bundled OpenSSL; no limits recorded",
		},
		{
			family: "chromium",
			version: func() (string, string, error) {
				v, err := output("chromium", "--version")
				if err != nil {
					return "", "", err
				}
				// the Debian wrapper script may print shell noise first
				v = regexp.MustCompile(`Chromium [^\n]*`).FindString(v)
				m, err := majorOf(`Chromium (\d+)`, v)
				return v, m, err
			},
			command: "chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --no-first-run --user-data-dir=TMP --host-resolver-rules='MAP " + sni + " 127.0.0.1' https://" + sni + ":PORT/",
			sni:     sni,
			run: func(ctx context.Context, port int, tmp string) error {
				return command(ctx, nil, "chromium", "--headless", "--no-sandbox", "--disable-gpu",
					"--disable-background-networking", "--disable-component-update", "--no-first-run",
					"--user-data-dir="+tmp, "--host-resolver-rules=MAP "+sni+" 127.0.0.1",
					"https://"+sni+":"+strconv.Itoa(port)+"/")
			},
			notes: "Chromium permutes its extension order on every connection; the replay keeps the recorded order",
		},
		{
			family: "firefox",
			version: func() (string, string, error) {
				v, err := output("firefox-esr", "--version")
				if err != nil {
					return "", "", err
				}
				v = regexp.MustCompile(`Mozilla Firefox [^\n]*`).FindString(v)
				m, err := majorOf(`Firefox (\d+)`, v)
				return v, m, err
			},
			command: "firefox-esr --headless --no-remote --profile TMP https://" + sni + ":PORT/ with network.dns.forceResolve=127.0.0.1",
			sni:     sni,
			run: func(ctx context.Context, port int, tmp string) error {
				prefs := `user_pref("network.dns.forceResolve", "127.0.0.1");
user_pref("app.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("network.connectivity-service.enabled", false);
`
				if err := os.WriteFile(filepath.Join(tmp, "user.js"), []byte(prefs), 0o644); err != nil {
					return err
				}
				return command(ctx, nil, "firefox-esr", "--headless", "--no-remote", "--profile", tmp,
					"https://"+sni+":"+strconv.Itoa(port)+"/")
			},
		},
	}
}

package tlswire

import (
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
)

// openSSLServer starts `openssl s_server` for one connection on a loopback
// port with the RSA leaf and args, and returns its address.
func openSSLServer(t *testing.T, dir string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	argv := append([]string{"s_server", "-accept", "127.0.0.1:0", "-naccept", "1",
		"-cert", filepath.Join(dir, "cert.pem"), "-key", filepath.Join(dir, "key.pem"),
		"-cert_chain", filepath.Join(dir, "chain.pem")}, args...)
	cmd := exec.CommandContext(ctx, "openssl", argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// s_server ends the connection when its stdin closes: keep it open.
	if _, err := cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if addr, ok := strings.CutPrefix(sc.Text(), "ACCEPT "); ok {
			go func() { // keep the pipe drained
				for sc.Scan() {
				}
			}()
			return addr
		}
	}
	t.Fatalf("openssl s_server %s did not start: %s", strings.Join(args, " "), stderr.String())
	return ""
}

// TestOpenSSLServers covers what crypto/tls cannot serve: TLS 1.0 and 1.1
// only, RSA key exchange only, DHE with 2048- and 1024-bit groups and
// secp384r1 only, against the machine's openssl.
func TestOpenSSLServers(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed: install it (Debian: apt-get install openssl) to test against s_server")
	}
	dir := t.TempDir()
	ca := testpki.NewRoot(t, "tlswire test root")
	leaf := rsaLeaf(t, ca)
	keyDER, err := x509.MarshalPKCS8PrivateKey(rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("cert.pem", testpki.PEM(leaf))
	write("chain.pem", testpki.PEM(ca.Cert))
	write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}))
	genDH := func(name string, args ...string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		if out, err := exec.CommandContext(ctx, "openssl", append([]string{args[0], "-out", filepath.Join(dir, name)}, args[1:]...)...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	genDH("dh2048.pem", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt", "group:ffdhe2048")
	genDH("dh1024.pem", "dhparam", "1024")

	tests := []struct {
		name    string
		args    []string
		spec    func(*Spec)
		version uint16
		suite   uint16
		kex     KeyExchange
		group   uint16
		dhBits  int
		hrr     bool
	}{
		{name: "TLS 1.0 only", args: []string{"-tls1", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"},
			version: VersionTLS10, suite: 0xc013, kex: KeyExchangeECDHE, group: GroupX25519},
		{name: "TLS 1.1 only", args: []string{"-tls1_1", "-cipher", "AES128-SHA:@SECLEVEL=0"},
			version: VersionTLS11, suite: 0x002f, kex: KeyExchangeRSA},
		{name: "RSA key exchange only", args: []string{"-tls1_2", "-cipher", "AES128-GCM-SHA256"},
			version: VersionTLS12, suite: 0x009c, kex: KeyExchangeRSA},
		{name: "DHE 2048", args: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256", "-dhparam", filepath.Join(dir, "dh2048.pem")},
			version: VersionTLS12, suite: 0x009e, kex: KeyExchangeDHE, dhBits: 2048},
		{name: "DHE 1024", args: []string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", filepath.Join(dir, "dh1024.pem")},
			version: VersionTLS12, suite: 0x009e, kex: KeyExchangeDHE, dhBits: 1024},
		{name: "secp384r1 only", args: []string{"-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384", "-groups", "secp384r1"},
			version: VersionTLS12, suite: 0xc030, kex: KeyExchangeECDHE, group: GroupSecp384r1},
		{name: "TLS 1.3 secp384r1 only: retry", args: []string{"-tls1_3", "-groups", "secp384r1"},
			spec:    func(s *Spec) { s.KeyShareGroups = []uint16{GroupX25519} },
			version: VersionTLS13, group: GroupSecp384r1, hrr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := openSSLServer(t, dir, tc.args...)
			spec := baseSpec()
			spec.MinVersion = VersionTLS10
			if tc.spec != nil {
				tc.spec(&spec)
			}
			f, err := exchange(t, addr, mustBuild(t, spec))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			sh := f.ServerHello
			if sh.Version != tc.version || (tc.suite != 0 && sh.CipherSuite != tc.suite) || sh.HelloRetryRequest != tc.hrr {
				t.Fatalf("negotiated %s %s retry=%v, want %s %s retry=%v", VersionName(sh.Version), SuiteName(sh.CipherSuite),
					sh.HelloRetryRequest, VersionName(tc.version), SuiteName(tc.suite), tc.hrr)
			}
			if tc.version == VersionTLS13 {
				if sh.KeyShareGroup != tc.group {
					t.Errorf("group %s, want %s", GroupName(sh.KeyShareGroup), GroupName(tc.group))
				}
				return
			}
			if len(f.Certificates) != 2 || !bytes.Equal(f.Certificates[0], leaf.Raw) || !bytes.Equal(f.Certificates[1], ca.Cert.Raw) {
				t.Errorf("%d certificates, not the configured leaf and chain", len(f.Certificates))
			}
			if got := SuiteKeyExchange(sh.CipherSuite); got != tc.kex {
				t.Errorf("suite key exchange %s, want %s", got, tc.kex)
			}
			switch tc.kex {
			case KeyExchangeRSA:
				if f.KeyExchange != nil {
					t.Errorf("ServerKeyExchange %+v for RSA key exchange", f.KeyExchange)
				}
			default:
				if f.KeyExchange == nil || f.KeyExchange.Kind != tc.kex || f.KeyExchange.Group != tc.group || f.KeyExchange.DHBits != tc.dhBits {
					t.Errorf("ServerKeyExchange %+v, want %s group %s DH %d bits", f.KeyExchange, tc.kex, GroupName(tc.group), tc.dhBits)
				}
			}
			if !f.Done {
				t.Error("ServerHelloDone not seen")
			}
		})
	}
}

package ocspcheck

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// opensslOCSP makes an OCSP response for leaf with `openssl ocsp`, as a
// server's ssl_stapling_file holds it: the responder signs with signer's
// key, the index says status ("V" valid, "R" revoked).
func opensslOCSP(t *testing.T, ca *testpki.CA, leaf *x509.Certificate, signer *x509.Certificate, signerKey any, status string) []byte {
	t.Helper()
	openssl, err := exec.LookPath("openssl")
	if err != nil {
		msg := "ORACLE NOT RUN: openssl is not installed, so OCSP responses made by a real responder are not checked: install openssl"
		if shareddata.Required() {
			t.Fatalf("%s (%s is set)", msg, shareddata.EnvRequire)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	keyPEM, err := testpki.KeyPEM(signerKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	caPEM := write("ca.pem", testpki.PEM(ca.Cert))
	leafPEM := write("leaf.pem", testpki.PEM(leaf))
	signerPEM := write("signer.pem", testpki.PEM(signer))
	signerKeyPEM := write("signer.key", keyPEM)
	revoked := ""
	if status == "R" {
		revoked = time.Now().Add(-time.Hour).UTC().Format("060102150405Z")
	}
	serial := strings.ToUpper(leaf.SerialNumber.Text(16))
	if len(serial)%2 == 1 {
		serial = "0" + serial
	}
	index := write("index.txt", fmt.Appendf(nil, "%s\t%s\t%s\t%s\tunknown\t/CN=%s\n", status, leaf.NotAfter.UTC().Format("060102150405Z"), revoked, serial, leaf.Subject.CommonName))
	req, resp := filepath.Join(dir, "req.der"), filepath.Join(dir, "resp.der")
	run := func(args ...string) {
		if out, err := exec.Command(openssl, args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v: %s", strings.Join(args, " "), err, out)
		}
	}
	run("ocsp", "-issuer", caPEM, "-cert", leafPEM, "-no_nonce", "-reqout", req)
	run("ocsp", "-index", index, "-CA", caPEM, "-rsigner", signerPEM, "-rkey", signerKeyPEM, "-reqin", req, "-respout", resp, "-ndays", "1")
	der, err := os.ReadFile(resp)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestOpenSSLResponses: responses made by openssl's responder, signed by
// the issuer or by a delegated responder, check as they should.
func TestOpenSSLResponses(t *testing.T) {
	root := testpki.NewRoot(t, "OpenSSL OCSP Root")
	ca := root.Intermediate(t, "OpenSSL OCSP CA")
	leaf := ca.Leaf(t, testpki.CN("stapled.example.test"))
	delegate := ca.Leaf(t, testpki.CN("OCSP responder"), testpki.EKU(x509.ExtKeyUsageOCSPSigning))
	plainLeaf := ca.Leaf(t, testpki.CN("not a responder"))
	now := time.Now()
	tests := []struct {
		name     string
		signer   *testpki.Leaf
		status   string
		want     string
		notValid bool
	}{
		{name: "good by the issuer", status: "V", want: Good},
		{name: "revoked by the issuer", status: "R", want: Revoked},
		{name: "good by a delegate", signer: delegate, status: "V", want: Good},
		{name: "good by a certificate without OCSPSigning", signer: plainLeaf, status: "V", want: Good, notValid: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, key := ca.Cert, any(ca.Key)
			if tt.signer != nil {
				cert, key = tt.signer.Cert, tt.signer.Key
			}
			der := opensslOCSP(t, ca, leaf.Cert, cert, key, tt.status)
			r := Check(der, leaf.Cert, ca.Cert, now)
			if r.Status != tt.want || (r.Err != nil) != tt.notValid {
				t.Errorf("status %s err %v, want %s (invalid %v)", r.Status, r.Err, tt.want, tt.notValid)
			}
			if r := Check(der, leaf.Cert, ca.Cert, now.Add(48*time.Hour)); r.Err == nil {
				t.Error("a response of -ndays 1 is still fresh two days later")
			}
		})
	}
}

// TestStapledByOpenSSLServer: `openssl s_server -status_file` staples a
// response made by openssl's responder; the handshake's staple, checked
// by Fill, is good and fresh, and the leaf's responder is known.
func TestStapledByOpenSSLServer(t *testing.T) {
	root := testpki.NewRoot(t, "Staple Root")
	ca := root.Intermediate(t, "Staple CA")
	leaf := ca.Leaf(t, testpki.DNS("example.test"), testpki.OCSP("http://ocsp.example.test"))
	for _, status := range []string{"V", "R"} {
		der := opensslOCSP(t, ca, leaf.Cert, ca.Cert, ca.Key, status)
		respFile := filepath.Join(t.TempDir(), "staple.der")
		if err := os.WriteFile(respFile, der, 0o600); err != nil {
			t.Fatal(err)
		}
		keyPEM, err := testpki.KeyPEM(leaf.Key)
		if err != nil {
			t.Fatal(err)
		}
		chainFile := testpki.WritePEM(t, "chain.pem", ca.Cert)
		srv, err := faultserver.StartOpenSSLPEM(testpki.PEM(leaf.Cert), keyPEM, "-www", "-cert_chain", chainFile, "-status_file", respFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AddCert(root.Cert)
		conn, err := tls.Dial("tcp", srv.Addr(), &tls.Config{ServerName: "example.test", RootCAs: pool, Time: func() time.Time { return testpki.Epoch }})
		if err != nil {
			_ = srv.Close()
			t.Fatal(err)
		}
		st := conn.ConnectionState()
		_ = conn.Close()
		_ = srv.Close()
		var f result.Features
		Fill(&f, st.OCSPResponse, st.PeerCertificates[0], st.PeerCertificates[1], time.Now())
		want := map[string]string{"V": Good, "R": Revoked}[status]
		if !f.OCSPStapling || f.OCSP == nil || !f.OCSP.Valid || f.OCSP.Status != want {
			t.Errorf("index %s: features %+v, staple %+v; want a valid %s staple", status, f, f.OCSP, want)
		}
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// writeFile writes data to name in dir and returns the path.
func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func keyPEM(t *testing.T, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// verifyJSON runs verify -o json and decodes its one result.
func verifyJSON(t *testing.T, args ...string) (int, result.Result, string) {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"verify", "-o", "json", epochArg}, args...)...)
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("stdout is not a JSON array of one result (%v)\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	return code, rs[0], errOut
}

func TestVerifyBundles(t *testing.T) {
	p := newPKI(t, "Verify")
	leaf := p.inter.Leaf(t)
	dir := t.TempDir()
	full := writeFile(t, dir, "fullchain.pem", testpki.PEM(leaf.Cert, p.inter.Cert))
	leafPEM := writeFile(t, dir, "cert.pem", testpki.PEM(leaf.Cert))
	leafDER := writeFile(t, dir, "cert.der", leaf.Cert.Raw)
	interPEM := writeFile(t, dir, "chain.pem", testpki.PEM(p.inter.Cert))
	swapped := writeFile(t, dir, "swapped.pem", testpki.PEM(p.inter.Cert, leaf.Cert))
	withRoot := writeFile(t, dir, "withroot.pem", testpki.PEM(leaf.Cert, p.inter.Cert, p.root.Cert))
	key := writeFile(t, dir, "privkey.pem", keyPEM(t, leaf.Key))
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wrongKey := writeFile(t, dir, "other.pem", keyPEM(t, other))
	store := "--store=" + p.store
	badLeaf := writeFile(t, dir, "bad.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: negativeSerial(t, leaf.Cert.Raw)}))
	badDER := writeFile(t, dir, "bad.der", append(append([]byte{}, leaf.Cert.Raw...), negativeSerial(t, p.inter.Cert.Raw)...))

	tests := []struct {
		name    string
		args    []string
		exit    int
		status  result.Status
		code    result.Code
		problem string // an id that must be present
		target  string
	}{
		{"full chain, host matches", []string{store, "--host", "example.test", full}, 0, result.StatusOK, 0, "", full},
		{"two files in server order", []string{store, "--host", "example.test", leafPEM, interPEM}, 0, result.StatusOK, 0, "", leafPEM + "," + interPEM},
		{"DER leaf, PEM chain", []string{store, "--host", "example.test", leafDER, interPEM}, 0, result.StatusOK, 0, "", ""},
		{"root included is a note", []string{store, "--host", "example.test", withRoot}, 0, result.StatusOK, 0, result.ProblemChainRootIncluded, ""},
		{"no host: warning", []string{store, full}, 0, result.StatusWarn, 0, result.ProblemNoHostname, ""},
		{"no host, --fail-on warn", []string{store, "--fail-on", "warn", full}, 1, result.StatusWarn, 0, result.ProblemNoHostname, ""},
		{"wrong host", []string{store, "--host", "other.test", full}, 1, result.StatusFail, result.CodeDomainMismatch, result.ProblemHostnameMismatch, ""},
		{"expired at --at", []string{store, "--host", "example.test", "--at", "2030-01-01", full}, 1, result.StatusFail, result.CodeExpired, result.ProblemExpired, ""},
		{"missing intermediate", []string{store, "--host", "example.test", leafPEM}, 1, result.StatusFail, result.CodeNoPath, result.ProblemUnknownAuthority, ""},
		{"missing intermediate named from --intermediates", []string{store, "--host", "example.test", "--intermediates", interPEM, leafPEM}, 1, result.StatusFail, result.CodeNoPath, result.ProblemChainMissingIntermediate, ""},
		{"leaf not first", []string{store, "--host", "example.test", swapped}, 1, result.StatusFail, result.CodeNoPath, result.ProblemChainLeafNotFirst, ""},
		{"matching key", []string{store, "--host", "example.test", "--key", key, full}, 0, result.StatusOK, 0, "", ""},
		{"key mismatch", []string{store, "--host", "example.test", "--key", wrongKey, full}, 1, result.StatusFail, result.CodeHandshake, result.ProblemKeyMismatch, ""},
		{"untrusted by the default stores", []string{"--host", "example.test", full}, 1, result.StatusFail, result.CodeNoPath, result.ProblemUnknownAuthority, ""},
		{"malformed leaf is a result, the other files judged", []string{store, "--host", "example.test", badLeaf, interPEM}, 1, result.StatusFail, result.CodeNoPath, result.ProblemMalformedCertificate, ""},
		{"malformed certificate in DER", []string{store, "--host", "example.test", badDER}, 1, result.StatusFail, result.CodeNoPath, result.ProblemMalformedCertificate, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, r, errOut := verifyJSON(t, tt.args...)
			if code != tt.exit {
				t.Errorf("exit %d, want %d (stderr %q)", code, tt.exit, errOut)
			}
			if r.Status != tt.status || r.Code != tt.code {
				t.Errorf("result %s %d, want %s %d: %s", r.Status, r.Code, tt.status, tt.code, r.Detail)
			}
			if tt.problem != "" && !hasID(r, tt.problem) {
				t.Errorf("problems %v lack %s", problemIDs(r), tt.problem)
			}
			if tt.target != "" && r.Target != tt.target {
				t.Errorf("target %q, want %q", r.Target, tt.target)
			}
			if r.Schema != result.Schema || len(r.Chain) == 0 {
				t.Errorf("schema %q, chain of %d", r.Schema, len(r.Chain))
			}
		})
	}
}

// negativeSerial returns der with the sign bit of its serial number set:
// a certificate crypto/x509 refuses to parse.
func negativeSerial(t *testing.T, der []byte) []byte {
	t.Helper()
	out := append([]byte{}, der...)
	// Certificate SEQUENCE, then TBSCertificate SEQUENCE, then [0] version,
	// then the serial INTEGER.
	skipHeader := func(i int) int {
		if out[i+1] < 0x80 {
			return i + 2
		}
		return i + 2 + int(out[i+1]&0x7f)
	}
	i := skipHeader(0)  // into Certificate
	i = skipHeader(i)   // into TBSCertificate
	if out[i] != 0xa0 { // version
		t.Fatal("no explicit version in the test certificate")
	}
	i += 2 + int(out[i+1]) // past [0] version (short form)
	if out[i] != 0x02 {
		t.Fatalf("no serial INTEGER at %d", i)
	}
	out[skipHeader(i)] |= 0x80
	if _, err := x509.ParseCertificate(out); err == nil {
		t.Fatal("the edited certificate still parses")
	}
	return out
}

func hasID(r result.Result, id string) bool {
	for _, p := range r.Problems {
		if p.ID == id {
			return true
		}
	}
	return false
}

func TestVerifyUsageErrors(t *testing.T) {
	p := newPKI(t, "Usage")
	leaf := p.inter.Leaf(t)
	dir := t.TempDir()
	full := writeFile(t, dir, "fullchain.pem", testpki.PEM(leaf.Cert, p.inter.Cert))
	key := writeFile(t, dir, "privkey.pem", keyPEM(t, leaf.Key))
	enc := writeFile(t, dir, "enc.key", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no files", []string{"verify"}, "no certificate files"},
		{"missing file", []string{"verify", filepath.Join(dir, "nope.pem")}, "nope.pem"},
		{"directory", []string{"verify", dir}, "is a directory"},
		{"key given as the bundle", []string{"verify", key}, "--key"},
		{"encrypted key", []string{"verify", "--key", enc, full}, "enc.key: the private key is passphrase-protected"},
		{"fix-chain over an input", []string{"verify", "--fix-chain", full, full}, "is also an input (a certificate file"},
		{"bad --fail-on", []string{"verify", "--fail-on", "sometimes", full}, "--fail-on"},
		{"bad --at", []string{"verify", "--at", "soon", full}, "--at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q does not contain %q", errOut, tt.stderr)
			}
		})
	}
}

func TestVerifyFixChain(t *testing.T) {
	p := newPKI(t, "Fix")
	policy := p.inter
	issuing := policy.Intermediate(t, "Fix Sub CA")
	leaf := issuing.Leaf(t)
	unrelated := newPKI(t, "Unrelated").inter
	dir := t.TempDir()
	// The bundle: the leaf, then the root, a copy of the leaf, and an
	// unrelated CA; the issuing CA is only in the CA's download.
	in := writeFile(t, dir, "bundle.pem", testpki.PEM(leaf.Cert, p.root.Cert, policy.Cert, unrelated.Cert, leaf.Cert))
	pool := writeFile(t, dir, "ca-bundle.der", issuing.Cert.Raw)
	out := filepath.Join(dir, "fixed.pem")

	code, r, errOut := verifyJSON(t, "--store", p.store, "--host", "example.test", "--intermediates", pool, "--fix-chain", out, in)
	if code != exitFail || r.Status != result.StatusFail {
		t.Errorf("input bundle: exit %d status %s, want 1 fail (the bundle as given lacks the issuing CA)", code, r.Status)
	}
	for _, id := range []string{result.ProblemChainMissingIntermediate, result.ProblemChainUnrelated, result.ProblemChainDuplicate, result.ProblemChainRootIncluded} {
		if !hasID(r, id) {
			t.Errorf("problems %v lack %s", problemIDs(r), id)
		}
	}
	if !strings.Contains(errOut, "wrote "+out+": the leaf and 2 intermediates") {
		t.Errorf("stderr %q does not report the file written", errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, c.Subject.CommonName)
	}
	want := []string{"example.test", "Fix Sub CA", policy.Cert.Subject.CommonName}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("fixed bundle %v, want %v", got, want)
	}

	code, r, _ = verifyJSON(t, "--store", p.store, "--host", "example.test", out)
	if code != exitOK || r.Status != result.StatusOK {
		t.Errorf("fixed bundle: exit %d status %s (%s), want 0 ok", code, r.Status, r.Detail)
	}

	// No path: nothing written, and said so.
	none := filepath.Join(dir, "none.pem")
	_, _, errOut = verifyJSON(t, "--store", p.store, "--host", "example.test", "--fix-chain", none, writeFile(t, dir, "leaf.pem", testpki.PEM(leaf.Cert)))
	if _, err := os.Stat(none); err == nil {
		t.Error("--fix-chain wrote a file without a path")
	}
	if !strings.Contains(errOut, "nothing written") {
		t.Errorf("stderr %q does not say nothing was written", errOut)
	}
}

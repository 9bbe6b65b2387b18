package main

import (
	"bytes"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
)

func selfSigned(t *testing.T, cn string, serial int64) *x509.Certificate {
	t.Helper()
	return testpki.NewRoot(t, cn, testpki.Subject(pkix.Name{CommonName: cn}), testpki.Serial(serial),
		testpki.Validity(time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2040, 1, 1, 0, 0, 0, 0, time.UTC)),
		testpki.KeyUsage(x509.KeyUsageCertSign)).Cert
}

// octal encodes b the way certdata.txt does, 16 bytes a line.
func octal(b []byte) string {
	var s strings.Builder
	for i, c := range b {
		fmt.Fprintf(&s, "\\%03o", c)
		if i%16 == 15 || i == len(b)-1 {
			s.WriteString("\n")
		}
	}
	return s.String()
}

func certdataObjects(c *x509.Certificate, label, serverAuth, distrustOnCert, distrustOnTrust string) string {
	serial := c.SerialNumber.Bytes() // NSS stores the DER INTEGER; only equality matters here
	distrust := func(v string) string {
		if v == "" {
			return "CKA_NSS_SERVER_DISTRUST_AFTER CK_BBOOL CK_FALSE\n"
		}
		return "# For Server Distrust After: " + v + "\nCKA_NSS_SERVER_DISTRUST_AFTER MULTILINE_OCTAL\n" + octal([]byte(v)) + "END\n"
	}
	h := sha1.Sum(c.Raw)
	return "\n#\n# Certificate \"" + label + "\"\n#\n" +
		"CKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_TOKEN CK_BBOOL CK_TRUE\n" +
		"CKA_LABEL UTF8 \"" + label + "\"\nCKA_CERTIFICATE_TYPE CK_CERTIFICATE_TYPE CKC_X_509\n" +
		"CKA_ISSUER MULTILINE_OCTAL\n" + octal(c.RawIssuer) + "END\n" +
		"CKA_SERIAL_NUMBER MULTILINE_OCTAL\n" + octal(serial) + "END\n" +
		"CKA_VALUE MULTILINE_OCTAL\n" + octal(c.Raw) + "END\n" +
		"CKA_NSS_MOZILLA_CA_POLICY CK_BBOOL CK_TRUE\n" + distrust(distrustOnCert) +
		"\n# Trust for \"" + label + "\"\n" +
		"CKA_CLASS CK_OBJECT_CLASS CKO_NSS_TRUST\nCKA_TOKEN CK_BBOOL CK_TRUE\n" +
		"CKA_LABEL UTF8 \"" + label + "\"\n" +
		"CKA_CERT_SHA1_HASH MULTILINE_OCTAL\n" + octal(h[:]) + "END\n" +
		"CKA_ISSUER MULTILINE_OCTAL\n" + octal(c.RawIssuer) + "END\n" +
		"CKA_SERIAL_NUMBER MULTILINE_OCTAL\n" + octal(serial) + "END\n" +
		func() string {
			if distrustOnTrust != "" {
				return distrust(distrustOnTrust)
			}
			return ""
		}() +
		"CKA_TRUST_SERVER_AUTH CK_TRUST " + serverAuth + "\n" +
		"CKA_TRUST_EMAIL_PROTECTION CK_TRUST CKT_NSS_MUST_VERIFY_TRUST\n" +
		"CKA_TRUST_STEP_UP_APPROVED CK_BBOOL CK_FALSE\n"
}

func TestParseCertdata(t *testing.T) {
	trusted := selfSigned(t, "Trusted Root", 1)
	dated := selfSigned(t, "Dated Root", 2)
	splitDated := selfSigned(t, "Split Dated Root", 3)
	emailOnly := selfSigned(t, "Email Root", 4)
	data := "# This Source Code Form is subject to the terms of the Mozilla Public\n" +
		"CVS_ID \"@(#) $RCSfile: certdata.txt $\"\n\nBEGINDATA\n" +
		"CKA_CLASS CK_OBJECT_CLASS CKO_NSS_BUILTIN_ROOT_LIST\nCKA_TOKEN CK_BBOOL CK_TRUE\nCKA_LABEL UTF8 \"Mozilla Builtin Roots\"\n" +
		certdataObjects(trusted, `Trusted R\303\266ot`, "CKT_NSS_TRUSTED_DELEGATOR", "", "") +
		certdataObjects(dated, "Dated Root", "CKT_NSS_TRUSTED_DELEGATOR", "260415235959Z", "") +
		certdataObjects(splitDated, "Split Dated Root", "CKT_NSS_TRUSTED_DELEGATOR", "", "241130235959Z") +
		certdataObjects(emailOnly, "Email Root", "CKT_NSS_MUST_VERIFY_TRUST", "", "")
	roots, err := parseCertdata([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]root{}
	for _, r := range roots {
		got[r.name] = r
	}
	if len(roots) != 3 {
		t.Fatalf("got %d roots %v, want 3 (the e-mail-only root left out)", len(roots), got)
	}
	if r, ok := got["Trusted Röot"]; !ok || r.sha != sum(trusted.Raw) || len(r.rules) != 0 {
		t.Errorf("Trusted Röot: %+v", r)
	}
	for name, want := range map[string]string{"Dated Root": "2026-04-15T23:59:59Z", "Split Dated Root": "2024-11-30T23:59:59Z"} {
		r := got[name]
		if len(r.rules) != 1 || r.rules[0].Kind != "distrust-after" || r.rules[0].Name != "CKA_NSS_SERVER_DISTRUST_AFTER" || r.rules[0].Date != want {
			t.Errorf("%s: rules %+v, want distrust-after %s", name, r.rules, want)
		}
	}
	if _, err := parseCertdata([]byte("BEGINDATA\nCKA_CLASS CK_OBJECT_CLASS CKO_CERTIFICATE\nCKA_VALUE MULTILINE_OCTAL\n\\060\n")); err == nil {
		t.Error("unterminated MULTILINE_OCTAL: no error")
	}
	if _, err := parseCertdata([]byte("BEGINDATA\n")); err == nil {
		t.Error("no roots: no error")
	}
}

func TestParseJDKCacerts(t *testing.T) {
	dir := t.TempDir()
	a := selfSigned(t, "Alias A", 1)
	b := selfSigned(t, "Alias B", 2)
	header := "Owner: CN=Alias A\nIssuer: CN=Alias A\nSerial number: 1\nValid from: ... until: ...\nVersion: 3\n"
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("aliasb", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Raw}))
	write("aliasa", append([]byte(header), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.Raw})...))
	write(".hidden", []byte("ignored"))
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	roots, digest, err := parseJDKCacerts(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(roots) != 2 || roots[0].name != "aliasa" || roots[0].sha != sum(a.Raw) || roots[1].name != "aliasb" || roots[1].sha != sum(b.Raw) || len(digest) != 64 {
		t.Errorf("roots %+v digest %q", roots, digest)
	}
	write("broken", []byte("Owner: nobody\n"))
	if _, _, err := parseJDKCacerts(dir); err == nil || !strings.Contains(err.Error(), "broken") {
		t.Errorf("alias without a certificate: err %v", err)
	}
}

// needMirror returns the trust-store mirror in the shared test data; the
// test skips when it is absent, or fails under CERTGATE_REQUIRE_SHARED.
func needMirror(t *testing.T) string {
	t.Helper()
	return shareddata.Dir(t, "truststores")
}

// TestGenerateMirror writes twice into temp dirs: the output is byte-stable
// and equals the committed roots/.
func TestGenerateMirror(t *testing.T) {
	mirror := needMirror(t)
	var outs [][]byte
	for range 2 {
		out := t.TempDir()
		if code := run([]string{"-mirror", mirror, "-out", out}, io.Discard, testWriter{t}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		var all []byte
		for _, name := range []string{"mozilla.pem", "java.pem", "manifest.json"} {
			got, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			committed, err := os.ReadFile(filepath.Join("..", "..", "roots", name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, committed) {
				t.Errorf("roots/%s differs from the generator's output; run go run ./scripts/genroots", name)
			}
			all = append(all, got...)
		}
		outs = append(outs, all)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Error("two runs differ")
	}
	if n := bytes.Count(outs[0], []byte("-----BEGIN CERTIFICATE-----")); n != 118+110 {
		t.Errorf("%d certificates, want 228", n)
	}
}

// TestRefusesMismatch tampers with one fingerprint in a copy of the mirror.
func TestRefusesMismatch(t *testing.T) {
	mirror := needMirror(t)
	dir := t.TempDir()
	entries, err := os.ReadDir(mirror)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(mirror, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if e.Name() == "java.pem" {
			i := bytes.Index(data, []byte("sha256=")) + len("sha256=")
			data[i] ^= 1 // '5' <-> '4' etc.: still hex, now wrong
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := t.TempDir()
	var stderr bytes.Buffer
	if code := run([]string{"-mirror", dir, "-out", out}, io.Discard, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "refusing to write") {
		t.Errorf("stderr %q", stderr.String())
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("wrote %d files despite the mismatch", len(entries))
	}
}

func TestHelpNamesUpstream(t *testing.T) {
	var stderr bytes.Buffer
	if code := run([]string{"-h"}, io.Discard, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{nssCertdataURL, goFallbackMod, jdkCacertsURL} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("-h does not name %s", want)
		}
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

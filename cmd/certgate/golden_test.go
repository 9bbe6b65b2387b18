package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
)

var update = flag.Bool("update", false, "update .golden files")

// normalize replaces what changes from run to run (ports, fingerprints,
// serials, timings, temp paths) with fixed placeholders.
func normalize(s string, tmp string) string {
	for _, r := range []struct{ re, with string }{
		{`127\.0\.0\.1:\d+`, "127.0.0.1:PORT"},
		{`\.test:\d+`, ".test:PORT"},
		{`"port": \d+`, `"port": 0`},
		{`"(sha256|root_sha256)": "[0-9a-f]{64}"`, `"$1": "SHA256"`},
		{`"serial": "[0-9a-f]*"`, `"serial": "SERIAL"`},
		{`"duration_ms": [0-9.e+-]+`, `"duration_ms": 0`},
		{`"cipher_suite": "[A-Z0-9_]+"`, `"cipher_suite": "SUITE"`},
		{regexp.QuoteMeta(tmp) + `[^"\s]*/`, "TMP/"},
	} {
		s = regexp.MustCompile(r.re).ReplaceAllString(s, r.with)
	}
	return s
}

func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if filepath.IsAbs(name) { // for a test that changed directory
		path = name + ".golden"
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/certgate -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run go test ./cmd/certgate -update after checking):\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestCheckGolden runs one check over an ok, a warn, a fail and two error
// targets and compares the rendered output with golden files.
func TestCheckGolden(t *testing.T) {
	p := newPKI(t, "Golden")
	e := testpki.Epoch
	ok := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("ok.test")), p.inter.Cert)
	soon := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("soon.test"), testpki.Validity(e.AddDate(0, -2, 0), e.AddDate(0, 0, 9))), p.inter.Cert)
	expired := testpki.ServeCert(t, p.inter.Leaf(t, testpki.DNS("expired.test"), testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -3))), p.inter.Cert)
	tOK, rOK := hostTarget(ok, "ok.test")
	tSoon, rSoon := hostTarget(soon, "soon.test")
	tExp, rExp := hostTarget(expired, "expired.test")
	args := []string{"check", epochArg, "--store", p.store, "-c", "1", rOK, rSoon, rExp, tOK, tSoon, tExp, "http://plain.test/", testpki.ClosedPort(t)}
	tmp := filepath.Dir(p.store)

	for _, c := range []struct {
		name string
		tty  bool
		args []string
	}{
		{"check_table_piped", false, nil},
		{"check_table_tty", true, nil},
		{"check_table_tty_verbose", true, []string{"-v", "--no-color"}},
		{"check_json", false, []string{"-o", "json"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			ios.SetStdoutTTY(c.tty)
			ios.SetTerminalWidth(200)
			code := run(context.Background(), append(append([]string{}, args...), c.args...), ios)
			if code != 1 {
				t.Errorf("exit %d, want 1 (stderr %s)", code, errOut)
			}
			goldenFile(t, c.name, normalize(out.String(), tmp))
		})
	}
}

// TestVerifyJUnitNamesVerify checks that verify -o junit names its suite and
// test classes after verify, not check.
func TestVerifyJUnitNamesVerify(t *testing.T) {
	p := newPKI(t, "VerifyJUnit")
	leaf := p.inter.Leaf(t)
	bundle := filepath.Join(t.TempDir(), "fullchain.pem")
	if err := os.WriteFile(bundle, testpki.PEM(leaf.Cert, p.inter.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "", "verify", "-o", "junit", epochArg, "--store", p.store, bundle)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (stderr %s)", code, errOut)
	}
	if !strings.Contains(out, `<testsuite name="certgate verify"`) || !strings.Contains(out, `classname="certgate.verify"`) || strings.Contains(out, "certgate.check") || strings.Contains(out, "certgate check") {
		t.Errorf("junit of verify does not name verify:\n%s", out)
	}
}

// TestPasswordNeverPrinted checks that a password in a target appears in no
// output format, on a terminal or not, in stdout or stderr, nor in the
// decoded target_raw of JSON.
func TestPasswordNeverPrinted(t *testing.T) {
	const secret = "s3cretPW"
	targets := []string{
		"https://user:" + secret + "@127.0.0.1:1/",
		"user:" + secret + "@example.test/x",
		"https:/user:" + secret + "@example.test",
		"https://user:" + secret + "@example.test/\xff",
	}
	for _, format := range report.Formats() {
		for _, tty := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/tty=%v", format, tty), func(t *testing.T) {
				ios, _, out, errOut := iostreams.Test()
				ios.SetStdoutTTY(tty)
				ios.SetStderrTTY(tty)
				args := append([]string{"check", epochArg, "-o", format, "--timeout", "2s"}, targets...)
				if code := run(context.Background(), args, ios); code != 1 {
					t.Errorf("exit %d, want 1 (stderr %s)", code, errOut)
				}
				all := out.String() + errOut.String()
				if strings.Contains(all, secret) {
					t.Errorf("output repeats the password:\n%s", all)
				}
				if !strings.Contains(all, "xxxxx") {
					t.Errorf("output shows no redacted target:\n%s", all)
				}
				if format == "json" {
					var rs []result.Result
					if err := json.Unmarshal(out.Bytes(), &rs); err != nil {
						t.Fatal(err)
					}
					for _, r := range rs {
						if bytes.Contains(r.TargetRaw, []byte(secret)) {
							t.Errorf("target_raw repeats the password: %q", r.TargetRaw)
						}
					}
				}
			})
		}
	}
}

// TestVerifyVerboseGolden pins the full view of verify -v on a terminal: an
// expired leaf checked against a name it is not valid for, so that two
// problems are listed where the table shows one.
func TestVerifyVerboseGolden(t *testing.T) {
	p := newPKI(t, "VerifyVerbose")
	e := testpki.Epoch
	leaf := p.inter.Leaf(t, testpki.DNS("www.verbose.test"), testpki.Validity(e.AddDate(0, -3, 0), e.AddDate(0, 0, -2)))
	// A relative path keeps the TARGET column the same width in every run.
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join(wd, "testdata", "verify_table_tty_verbose")
	t.Chdir(filepath.Dir(p.store))
	bundle := "fullchain.pem"
	if err := os.WriteFile(bundle, testpki.PEM(leaf.Cert, p.inter.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	ios.SetStdoutTTY(true)
	ios.SetTerminalWidth(200)
	code := run(context.Background(), []string{"verify", "-v", "--no-color", epochArg, "--store", p.store, "--host", "other.verbose.test", bundle}, ios)
	if code != 1 {
		t.Errorf("exit %d, want 1 (stderr %s)", code, errOut)
	}
	goldenFile(t, golden, normalize(out.String(), filepath.Dir(p.store)))
}

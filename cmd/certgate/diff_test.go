package main

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
)

// swapServer is a TLS server on loopback whose certificate a test can
// replace between two runs, as a deploy does.
type swapServer struct {
	cert atomic.Pointer[tls.Certificate]
}

func (s *swapServer) set(l *testpki.Leaf, chain ...*x509Cert) {
	c := l.TLSCert(chain...)
	s.cert.Store(&c)
}

type x509Cert = x509.Certificate

// serveSwap starts a swapServer on ip:port (port 0 for any).
func serveSwap(t *testing.T, ip string, port int) (*swapServer, int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, fmt.Sprint(port)))
	if err != nil {
		return nil, 0, err
	}
	s := &swapServer{}
	testpki.ServeTLSOn(t, ln, &tls.Config{GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return s.cert.Load(), nil }})
	return s, ln.Addr().(*net.TCPAddr).Port, nil
}

// twoAddresses starts swap servers on 127.0.0.1 and 127.0.0.2 on one port.
func twoAddresses(t *testing.T) (*swapServer, *swapServer, int) {
	t.Helper()
	for range 20 {
		a, port, err := serveSwap(t, "127.0.0.1", 0)
		if err != nil {
			t.Fatal(err)
		}
		b, _, err := serveSwap(t, "127.0.0.2", port)
		if err == nil {
			return a, b, port
		}
	}
	t.Fatal("no port free on both 127.0.0.1 and 127.0.0.2")
	return nil, nil, 0
}

// diffPKI is two CAs, the first with two intermediates, and leaves for
// diff.test issued over time.
type diffPKI struct {
	rootA, rootB          *testpki.CA
	interA, interA2, intB *testpki.CA
	store                 string
}

func newDiffPKI(t *testing.T) *diffPKI {
	p := &diffPKI{rootA: testpki.NewRoot(t, "Diff Root A"), rootB: testpki.NewRoot(t, "Diff Root B")}
	p.interA = p.rootA.Intermediate(t, "Diff Issuing A1")
	p.interA2 = p.rootA.Intermediate(t, "Diff Issuing A2")
	p.intB = p.rootB.Intermediate(t, "Diff Issuing B")
	p.store = testpki.WritePEM(t, "diff-roots.pem", p.rootA.Cert, p.rootB.Cert)
	return p
}

// leaf issues a leaf for diff.test valid from days after Epoch for 90 days.
func (p *diffPKI) leaf(t *testing.T, ca *testpki.CA, days int, opts ...testpki.Option) *testpki.Leaf {
	nb := testpki.Epoch.AddDate(0, 0, days)
	return ca.Leaf(t, append([]testpki.Option{testpki.DNS("diff.test"), testpki.Validity(nb, nb.AddDate(0, 0, 90))}, opts...)...)
}

// checkRun runs certgate check on a config naming diff.test at addrs, and
// returns the file its JSON results were written to.
func checkRun(t *testing.T, p *diffPKI, port int, name string, addrs ...string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "certgate.yaml")
	body := fmt.Sprintf("endpoints:\n  - target: https://diff.test:%d/\n    resolve: [%s]\n    labels: {team: web}\n", port, strings.Join(addrs, ", "))
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, "", "check", "-o", "json", epochArg, "--store", p.store, "--config", cfg)
	if code == 2 {
		t.Fatalf("check exit 2: %s", errOut)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDiffRealRuns compares pairs of real check runs against loopback
// servers whose certificates change between the runs as deploys change
// them. A result's status and code stay the certificate's (a change makes
// an ok result warn at most), --fail-on judges the changes' severities,
// and check --baseline judges the same way as diff.
func TestDiffRealRuns(t *testing.T) {
	p := newDiffPKI(t)
	// Another organization's intermediate under the same root (a reseller
	// or a sub-CA), against A1 and A2, both of the root's own organization.
	other := p.rootA.Intermediate(t, "Diff Other", testpki.Subject(pkix.Name{CommonName: "Diff Other Issuing", Organization: []string{"Other CA Org"}}))
	one, two := []string{"127.0.0.1"}, []string{"127.0.0.1", "127.0.0.2"}
	type state struct {
		a, b  func() (*testpki.Leaf, []*x509Cert)
		addrs []string
	}
	cur := p.leaf(t, p.interA, -30)
	newer := p.leaf(t, p.interA, -1)
	// Renewed yesterday, but for 11 days only: inside --warn-days (30).
	short := p.leaf(t, p.interA, -1, testpki.Validity(testpki.Epoch.AddDate(0, 0, -1), testpki.Epoch.AddDate(0, 0, 10)))
	chainA := []*x509Cert{p.interA.Cert}
	same := func(l *testpki.Leaf, chain ...*x509Cert) func() (*testpki.Leaf, []*x509Cert) {
		return func() (*testpki.Leaf, []*x509Cert) { return l, chain }
	}
	for _, tc := range []struct {
		name     string
		old, new state
		want     []string
		status   result.Status
		code     result.Code
		exit     int // with --fail-on error
	}{
		{"unchanged", state{same(cur, chainA...), nil, one}, state{same(cur, chainA...), nil, one}, nil, result.StatusOK, 0, 0},
		{"renewed by the same CA", state{same(cur, chainA...), nil, one}, state{same(newer, chainA...), nil, one},
			[]string{result.ProblemRenewed}, result.StatusOK, 0, 0},
		{"switched CA", state{same(cur, chainA...), nil, one}, state{same(p.leaf(t, p.intB, -1), p.intB.Cert), nil, one},
			[]string{result.ProblemChangedRoot, result.ProblemChangedChain}, result.StatusWarn, 0, 1},
		{"rotated intermediate of the same organization", state{same(cur, chainA...), nil, one}, state{same(p.leaf(t, p.interA2, -1), p.interA2.Cert), nil, one},
			[]string{result.ProblemRenewed}, result.StatusOK, 0, 0},
		{"another organization under the same root", state{same(cur, chainA...), nil, one}, state{same(p.leaf(t, other, -1), other.Cert), nil, one},
			[]string{result.ProblemChangedChain, result.ProblemChangedIssuer}, result.StatusWarn, 0, 0},
		{"missing intermediate added", state{same(cur), nil, one}, state{same(cur, chainA...), nil, one},
			[]string{result.ProblemChangedChain}, result.StatusWarn, 0, 0},
		{"intermediate dropped", state{same(cur, chainA...), nil, one}, state{same(cur), nil, one},
			[]string{result.ProblemVerdictWorse, result.ProblemChangedChain}, result.StatusFail, result.CodeNoPath, 1},
		{"rolled back", state{same(newer, chainA...), nil, one}, state{same(cur, chainA...), nil, one},
			[]string{result.ProblemLeafRollback}, result.StatusWarn, 0, 1},
		{"weaker key", state{same(p.leaf(t, p.interA, -30, testpki.WithKey(testpki.ECDSA(384))), chainA...), nil, one},
			state{same(p.leaf(t, p.interA, -1, testpki.WithKey(testpki.RSA(2048))), chainA...), nil, one},
			[]string{result.ProblemKeyWeaker, result.ProblemRenewed}, result.StatusWarn, 0, 1},
		{"verdict worse", state{same(cur, chainA...), nil, one}, state{same(p.leaf(t, p.interA, -95), chainA...), nil, one},
			[]string{result.ProblemVerdictWorse, result.ProblemLeafRollback}, result.StatusFail, result.CodeExpired, 1},
		{"verdict worse to warn", state{same(cur, chainA...), nil, one}, state{same(short, chainA...), nil, one},
			[]string{result.ProblemVerdictWorse, result.ProblemRenewed}, result.StatusWarn, 0, 0},
		{"address added", state{same(cur, chainA...), same(cur, chainA...), one}, state{same(cur, chainA...), same(cur, chainA...), two},
			[]string{result.ProblemAddressAdded}, result.StatusWarn, 0, 0},
		{"address removed", state{same(cur, chainA...), same(cur, chainA...), two}, state{same(cur, chainA...), same(cur, chainA...), one},
			[]string{result.ProblemAddressRemoved}, result.StatusWarn, 0, 0},
		{"address differs", state{same(cur, chainA...), same(cur, chainA...), two}, state{same(cur, chainA...), same(newer, chainA...), two},
			[]string{result.ProblemAddressDiffers}, result.StatusWarn, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, b, port := twoAddresses(t)
			deploy := func(s state) {
				l, chain := s.a()
				a.set(l, chain...)
				if s.b != nil {
					l, chain = s.b()
				}
				b.set(l, chain...)
			}
			deploy(tc.old)
			oldFile := checkRun(t, p, port, "old.json", tc.old.addrs...)
			deploy(tc.new)
			newFile := checkRun(t, p, port, "new.json", tc.new.addrs...)

			judge := func(how string, code int, out, errOut string) {
				t.Helper()
				var rs []result.Result
				if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
					t.Fatalf("%s -o json: %v, %d results (exit %d, stderr %s):\n%s", how, err, len(rs), code, errOut, out)
				}
				r := rs[0]
				got := changeIDs(r)
				want := append([]string{}, tc.want...)
				sort.Strings(want)
				if !reflect.DeepEqual(got, want) && (len(got) > 0 || len(want) > 0) {
					t.Errorf("%s: changes %v, want %v: %+v", how, got, want, r.Problems)
				}
				if r.Status != tc.status || r.Code != tc.code {
					t.Errorf("%s: status %s code %d, want %s %d (%s)", how, r.Status, r.Code, tc.status, tc.code, r.Detail)
				}
				if (r.Code == 0) != (r.Status == result.StatusOK || r.Status == result.StatusWarn) || r.Status == result.StatusFail && r.Message == "" {
					t.Errorf("%s: status %s with code %d and message %q breaks SPEC's Results", how, r.Status, r.Code, r.Message)
				}
				if code != tc.exit {
					t.Errorf("%s: exit %d, want %d (%s)", how, code, tc.exit, errOut)
				}
			}
			code, out, errOut := cli(t, "", "diff", "-o", "json", oldFile, newFile)
			judge("diff", code, out, errOut)
			// --fail-on warn counts the warnings too; never counts nothing.
			wantWarn := 0
			if tc.status != result.StatusOK || tc.exit == 1 {
				wantWarn = 1
			}
			if code, _, errOut := cli(t, "", "diff", "-o", "json", "--fail-on", "warn", oldFile, newFile); code != wantWarn {
				t.Errorf("diff --fail-on warn: exit %d, want %d (%s)", code, wantWarn, errOut)
			}
			if code, _, errOut := cli(t, "", "diff", "-o", "json", "--fail-on", "never", oldFile, newFile); code != 0 {
				t.Errorf("diff --fail-on never: exit %d, want 0 (%s)", code, errOut)
			}

			// check --baseline makes the same comparison while checking,
			// and judges it the same way.
			code, out, errOut = cli(t, "", "check", "-o", "json", epochArg, "--store", p.store, "--baseline", oldFile, "--config", strings.TrimSuffix(newFile, "new.json")+"certgate.yaml")
			judge("check --baseline", code, out, errOut)
		})
	}
}

// changeIDs returns the sorted ids of r's changes against a baseline.
func changeIDs(r result.Result) []string {
	var ids []string
	for _, p := range r.Problems {
		if decide.IsChange(p.ID) {
			ids = append(ids, p.ID)
		}
	}
	sort.Strings(ids)
	return ids
}

func hasChange(r result.Result, id string) bool {
	for _, p := range r.Problems {
		if p.ID == id {
			return true
		}
	}
	return false
}

var (
	diffNormalize = regexp.MustCompile(`127\.0\.0\.2:\d+`)
	leafNormalize = regexp.MustCompile(`"leaf_sha256": "[0-9a-f]{64}"`)
)

// TestDiffGolden renders one diff of real runs as a table and as JSON.
func TestDiffGolden(t *testing.T) {
	p := newDiffPKI(t)
	a, b, port := twoAddresses(t)
	cur := p.leaf(t, p.interA, -30)
	a.set(cur, p.interA.Cert)
	b.set(cur, p.interA.Cert)
	oldFile := checkRun(t, p, port, "old.json", "127.0.0.1", "127.0.0.2")
	a.set(p.leaf(t, p.intB, -1), p.intB.Cert)
	newFile := checkRun(t, p, port, "new.json", "127.0.0.1")
	tmp := filepath.Dir(p.store)
	for _, c := range []struct{ name, format string }{{"diff_table", "table"}, {"diff_json", "json"}} {
		code, out, errOut := cli(t, "", "diff", "--no-color", "-o", c.format, oldFile, newFile)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (a changed root): %s", c.format, code, errOut)
		}
		out = diffNormalize.ReplaceAllString(normalize(out, tmp), "127.0.0.2:PORT")
		out = leafNormalize.ReplaceAllString(out, `"leaf_sha256": "SHA256"`)
		out = strings.ReplaceAll(out, fmt.Sprintf(":%d", port), ":PORT")
		goldenFile(t, c.name, out)
	}
}

// TestDiffUsage: bad inputs are usage errors naming the file and the fix.
func TestDiffUsage(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{not json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"diff", "a.json"}, "two files"},
		{[]string{"diff", filepath.Join(dir, "missing.json"), bad}, "missing.json: no such file"},
		{[]string{"diff", bad, bad}, "bad.json:1: not a JSON result"},
		{[]string{"check", "--update-baseline", "x.test"}, "--update-baseline: give the file"},
		{[]string{"check", "--baseline", bad, "x.test"}, "--baseline: " + bad + ":1"},
	} {
		code, _, errOut := cli(t, "", tc.args...)
		if code != 2 || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestUpdateBaseline: --update-baseline creates the file when missing,
// then replaces it with the run's results, leaving no temporary file.
func TestUpdateBaseline(t *testing.T) {
	p := newDiffPKI(t)
	a, _, port := twoAddresses(t)
	a.set(p.leaf(t, p.interA, -30), p.interA.Cert)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "certgate.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("endpoints:\n  - target: https://diff.test:%d/\n    resolve: 127.0.0.1\n", port)), 0o600); err != nil {
		t.Fatal(err)
	}
	base := filepath.Join(dir, "baseline.json")
	args := []string{"check", "-o", "json", epochArg, "--store", p.store, "--config", cfg, "--baseline", base, "--update-baseline"}
	if code, _, errOut := cli(t, "", args...); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, errOut)
	}
	first, err := os.ReadFile(base)
	if err != nil {
		t.Fatal(err)
	}
	a.set(p.leaf(t, p.intB, -1), p.intB.Cert)
	code, out, _ := cli(t, "", args...)
	if code != 1 || !strings.Contains(out, result.ProblemChangedRoot) {
		t.Fatalf("second run: exit %d, want 1 with changed-root:\n%s", code, out)
	}
	second, _ := os.ReadFile(base)
	if string(second) == string(first) || !strings.Contains(string(second), "Diff Issuing B") {
		t.Error("the baseline was not replaced by the second run's results")
	}
	if code, out, _ := cli(t, "", args...); code != 0 || strings.Contains(out, result.ProblemChangedRoot) {
		t.Errorf("third run against the updated baseline: exit %d:\n%s", code, out)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestDiffJSONL: a run written with -o jsonl compares with the same run
// written with -o json, and finds no change.
func TestDiffJSONL(t *testing.T) {
	p := newDiffPKI(t)
	a, _, port := twoAddresses(t)
	a.set(p.leaf(t, p.interA, -30), p.interA.Cert)
	target := fmt.Sprintf("https://diff.test:%d/", port)
	resolve := fmt.Sprintf("--resolve=diff.test:%d:127.0.0.1", port)
	dir := t.TempDir()
	files := map[string]string{}
	for _, format := range []string{"json", "jsonl"} {
		code, out, errOut := cli(t, "", "check", "-o", format, epochArg, "--store", p.store, resolve, target)
		if code != 0 {
			t.Fatalf("check -o %s: exit %d: %s", format, code, errOut)
		}
		files[format] = filepath.Join(dir, "run."+format)
		if err := os.WriteFile(files[format], []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, out, errOut := cli(t, "", "diff", "-o", "jsonl", files["jsonl"], files["json"])
	var r result.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 || r.Status != result.StatusOK || len(r.Problems) != 0 {
		t.Errorf("diff jsonl json: exit %d, %v, %+v (%s)", code, err, r, errOut)
	}
}

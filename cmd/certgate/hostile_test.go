package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
)

// hostileSubject holds an ANSI colour sequence, a carriage return that
// would overwrite the line, and a right-to-left override.
const hostileCN = "\x1b[31mevil\x1b[0m\rok.example \u202egnp.exe"

// startFault starts a fault server and closes it with the test.
func startFault(t *testing.T, h faultserver.Handler) string {
	t.Helper()
	s, err := faultserver.Start(h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr()
}

// must returns v, or stops the test binary when making a fixture failed.
func must[T any](v T, err error) T {
	if err != nil {
		panic("making a test fixture: " + err.Error())
	}
	return v
}

// TestCheckHostileServers runs each misbehaving server next to a good one in
// the same run, through the real CLI: one result each, the right code and a
// clear detail for the hostile one, ok for the good one, in bounded time.
func TestCheckHostileServers(t *testing.T) {
	ca := must(faultserver.NewRoot("Hostile Root"))
	store := testpki.WritePEM(t, "hostile-root.pem", ca.Cert)
	good := faultserver.Config(must(ca.Leaf()))
	goodAddr := startFault(t, faultserver.TLS(good, nil))
	e := faultserver.Epoch

	huge := must(ca.Leaf(faultserver.Padding(1 << 20)))
	long := must(ca.Chain(200))
	malformed := must(faultserver.Malformed())

	cases := []struct {
		name    string
		handler faultserver.Handler
		status  result.Status
		code    result.Code
		detail  string   // the detail must contain this
		ids     []string // problem ids that must be listed
		chain   int      // certificates in the result's chain, when > 0
		timeout time.Duration
	}{
		{name: "accepts and never speaks", timeout: time.Second, handler: faultserver.Silent(),
			status: "error", code: 11220, detail: "did not complete within 1s"},
		{name: "stalls after the ServerHello", timeout: time.Second, handler: faultserver.StallAfter(good, 100),
			status: "error", code: 11220, detail: "did not complete within 1s"},
		{name: "drips a byte a second", timeout: time.Second, handler: faultserver.Drip(good, time.Second),
			status: "error", code: 11220, detail: "did not complete within 1s"},
		{name: "resets mid-handshake", handler: faultserver.Reset(),
			status: "error", code: 11220, detail: "reset"},
		{name: "answers plain HTTP", handler: faultserver.PlainHTTP(),
			status: "error", code: 11220, detail: "plain HTTP"},
		{name: "sends a TLS alert", handler: faultserver.Alert(40),
			status: "error", code: 11220, detail: "alert"},
		{name: "1 MB certificate", handler: faultserver.TLS(faultserver.Config(huge), nil),
			status: "error", code: 11220, detail: "exceeds maximum"},
		// Go's client takes the 200 certificates; the sender's Java clients
		// stop at 10 (jdk.tls.maxCertificateChainLength), so the handshake
		// fails as the sender's would, and the first 20 are still judged.
		{name: "chain of 200 certificates", handler: faultserver.TLS(faultserver.Config(long), nil),
			status: "error", code: 11220, detail: "more than 10", ids: []string{result.ProblemClientRefuses, result.ProblemChainTooLong}, chain: 20},
		{name: "malformed DER", handler: faultserver.TLS(faultserver.Config(malformed), nil),
			status: "error", code: 11220, detail: "failed to parse certificate"},
		{name: "valid from 1950 to 9999", handler: faultserver.TLS(faultserver.Config(must(ca.Leaf(
			faultserver.Validity(time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC))))), nil),
			status: "", code: 0, chain: 1},
		{name: "not valid before 9999", handler: faultserver.TLS(faultserver.Config(must(ca.Leaf(
			faultserver.Validity(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC))))), nil),
			status: "fail", code: 11236, detail: "9999", ids: []string{result.ProblemNotYetValid}},
		{name: "expired in 1950", handler: faultserver.TLS(faultserver.Config(must(ca.Leaf(
			faultserver.Validity(time.Date(1949, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC))))), nil),
			status: "fail", code: 11236, detail: "1950", ids: []string{result.ProblemExpired}},
		{name: "NUL byte in a SAN", handler: faultserver.TLS(faultserver.Config(must(ca.Leaf(
			faultserver.DNS("example.test\x00.evil.test")))), nil),
			status: "fail", code: 11235, ids: []string{result.ProblemHostnameMismatch}},
		{name: "escapes, CR and RTL override in the subject", handler: faultserver.TLS(faultserver.Config(must(ca.Leaf(
			faultserver.Subject(hostileCN, "\x1b]0;owned\x07", "line\r\nbreak")))), nil),
			status: "", code: 0, chain: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// Peers that stall get a short --timeout to prove it holds;
			// the others a long one, so a loaded machine (or the race
			// detector parsing 200 certificates) cannot turn them into
			// timeouts.
			timeout := c.timeout
			if timeout == 0 {
				timeout = 10 * time.Second
			}
			bad := startFault(t, c.handler)
			badTarget, badResolve := hostTarget(bad, "example.test")
			goodTarget, goodResolve := hostTarget(goodAddr, "example.test")
			start := time.Now()
			_, out, stderr := cli(t, "", "check", "-o", "json", "--at", e.Format(time.RFC3339), "--store", store,
				"--timeout", timeout.String(), badResolve, goodResolve, badTarget, goodTarget)
			elapsed := time.Since(start)
			if !utf8.ValidString(out) {
				t.Errorf("JSON output is not valid UTF-8")
			}
			if bytes.ContainsAny([]byte(out), "\x1b\r\u202e") {
				t.Errorf("JSON output holds a raw escape, CR or bidi override:\n%s", out)
			}
			rs := decode(t, out, stderr)
			if len(rs) != 2 {
				t.Fatalf("%d results, want exactly 2 (one per target)", len(rs))
			}
			r, g := rs[0], rs[1]
			if r.Target != badTarget || g.Target != goodTarget {
				t.Fatalf("targets %q, %q: want %q then %q", r.Target, g.Target, badTarget, goodTarget)
			}
			if g.Status != result.StatusOK && g.Status != result.StatusWarn || g.Code != 0 {
				t.Errorf("the good target next to it: status %s code %d (%s), want it unaffected", g.Status, g.Code, g.Detail)
			}
			if c.status == "" {
				if r.Code != 0 || r.Status != result.StatusOK && r.Status != result.StatusWarn {
					t.Errorf("status %s code %d (%s), want a passing result; problems %v", r.Status, r.Code, r.Detail, problemIDs(r))
				}
			} else if r.Status != c.status || r.Code != c.code {
				t.Errorf("status %s code %d (%s), want %s %d; problems %v", r.Status, r.Code, r.Detail, c.status, c.code, problemIDs(r))
			}
			if r.Code != 0 && (r.Message != r.Code.Message() || r.Detail == "") {
				t.Errorf("message %q detail %q: want %q and a detail", r.Message, r.Detail, r.Code.Message())
			}
			said := r.Detail
			for _, p := range r.Problems {
				said += "\n" + p.Message
			}
			if !strings.Contains(said, c.detail) {
				t.Errorf("neither the detail nor a problem mentions %q:\n%s", c.detail, said)
			}
			for _, id := range c.ids {
				found := false
				for _, p := range r.Problems {
					found = found || p.ID == id
				}
				if !found {
					t.Errorf("problem %s not listed: %v", id, problemIDs(r))
				}
			}
			if c.chain > 0 && len(r.Chain) != c.chain {
				t.Errorf("chain of %d, want %d", len(r.Chain), c.chain)
			}
			// A correctness bound, not a benchmark: the per-target timeout
			// plus a generous margin.
			if limit := timeout + 2*time.Second; elapsed > limit {
				t.Errorf("took %s, want under %s (--timeout %s)", elapsed, limit, timeout)
			}
		})
	}
}

// TestCheckHostileStringsStaySafe renders a certificate whose subject and
// SAN hold escape sequences, CR, NUL and RTL overrides in every format: no
// terminal-active byte reaches the output, and JSON gives the raw value back.
func TestCheckHostileStringsStaySafe(t *testing.T) {
	ca := must(faultserver.NewRoot("Strings Root"))
	store := testpki.WritePEM(t, "strings-root.pem", ca.Cert)
	leaf := must(ca.Leaf(faultserver.Subject(hostileCN, "\x1b]0;owned\x07", "line\r\nbreak"),
		faultserver.DNS("example.test", "nul\x00.example.test", "esc\x1b[31m.example.test\r")))
	addr := startFault(t, faultserver.TLS(faultserver.Config(leaf), nil))
	tgt, resolve := hostTarget(addr, "example.test")
	// A leaf for hostile names only: the mismatch message quotes them.
	other := must(ca.Leaf(faultserver.DNS("esc\x1b[2J.evil.test\r", "nul\x00.evil.test")))
	addr2 := startFault(t, faultserver.TLS(faultserver.Config(other), nil))
	tgt2, resolve2 := hostTarget(addr2, "example.test")
	for _, format := range report.Formats() {
		t.Run(format, func(t *testing.T) {
			_, out, stderr := cli(t, "", "check", "-o", format, epochArg, "--store", store, resolve, resolve2, tgt, tgt2)
			if out == "" {
				t.Fatalf("no output; stderr %s", stderr)
			}
			if format == "table" && !strings.Contains(out, `\x1b[2J`) {
				t.Errorf("the table does not show the hostile name escaped:\n%s", out)
			}
			for _, bad := range []string{"\x1b", "\r", "\x00", "\x07", "\u202e"} {
				if strings.Contains(out, bad) || strings.Contains(stderr, bad) {
					t.Errorf("output holds raw %q:\n%s", bad, out)
				}
			}
			if !utf8.ValidString(out) {
				t.Errorf("output is not valid UTF-8")
			}
			if format == "json" {
				var rs []result.Result
				if err := json.Unmarshal([]byte(out), &rs); err != nil {
					t.Fatal(err)
				}
				c := rs[0].Chain[0]
				if !strings.Contains(c.Subject, hostileCN) {
					t.Errorf("subject %q: the raw common name %q is not recoverable", c.Subject, hostileCN)
				}
				if strings.Join(c.DNSNames, ",") != "example.test,nul\x00.example.test,esc\x1b[31m.example.test\r" {
					t.Errorf("dns_names %q: raw values not recoverable", c.DNSNames)
				}
			}
		})
	}
}

// TestCheckTargetRawRecoverable: a target line that is not valid UTF-8 gives
// one invalid-target result whose JSON is valid UTF-8 and whose target_raw
// holds the bytes as given.
func TestCheckTargetRawRecoverable(t *testing.T) {
	raw := "bad\xff\xfehost.example"
	_, rs, _ := jsonResults(t, raw)
	if len(rs) != 1 || rs[0].Code != 11100 {
		t.Fatalf("results %+v, want one 11100", rs)
	}
	if string(rs[0].TargetRaw) != raw {
		t.Errorf("target_raw %q, want %q", rs[0].TargetRaw, raw)
	}
}

// TestCheckSendsNoApplicationData: the probe only shakes hands; the server
// receives no application data after the handshake.
func TestCheckSendsNoApplicationData(t *testing.T) {
	ca := must(faultserver.NewRoot("Quiet Root"))
	store := testpki.WritePEM(t, "quiet-root.pem", ca.Cert)
	rec := &faultserver.Recording{}
	s, err := faultserver.Start(faultserver.TLS(faultserver.Config(must(ca.Leaf())), rec))
	if err != nil {
		t.Fatal(err)
	}
	tgt, resolve := hostTarget(s.Addr(), "example.test")
	code, rs, _ := jsonResults(t, "--store", store, resolve, tgt)
	s.Drain(5 * time.Second) // waits for the server to have read all the client sent
	if code != 0 || rs[0].Status != result.StatusOK {
		t.Fatalf("exit %d status %s (%s), want a passing check", code, rs[0].Status, rs[0].Detail)
	}
	if rec.Handshakes() != 1 {
		t.Errorf("%d handshakes, want 1", rec.Handshakes())
	}
	if got := rec.AppData(); len(got) != 0 {
		t.Errorf("the server received %d bytes of application data: %q", len(got), got)
	}
}

// TestCheckContactsOnlyTheTarget: a leaf without its intermediate whose AIA,
// OCSP and CRL URLs point at a local listener: certgate reports the missing
// intermediate and never fetches any of them.
func TestCheckContactsOnlyTheTarget(t *testing.T) {
	var hits atomic.Int32
	fetch := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		http.NotFound(w, r)
	}))
	defer fetch.Close()
	ca := must(faultserver.NewRoot("Fetch Root"))
	inter := must(ca.Intermediate("Fetch Issuing CA"))
	store := testpki.WritePEM(t, "fetch-root.pem", ca.Cert)
	leaf := must(inter.Leaf(faultserver.URLs(fetch.URL)))
	addr := startFault(t, faultserver.TLS(faultserver.Config(leaf), nil))
	tgt, resolve := hostTarget(addr, "example.test")
	_, rs, _ := jsonResults(t, "--store", store, resolve, tgt)
	if rs[0].Code != 11237 {
		t.Errorf("code %d (%s), want 11237 for the missing intermediate", rs[0].Code, rs[0].Detail)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("certgate made %d requests to the certificate's AIA/OCSP/CRL URLs; it must contact only the target", n)
	}
}

// TestCheckDeadline: with --deadline, targets still pending when it passes
// each get an error result (deadline-exceeded, 11205); none is dropped, and
// the run ends soon after the deadline.
func TestCheckDeadline(t *testing.T) {
	silent := startFault(t, faultserver.Silent())
	ca := must(faultserver.NewRoot("Deadline Root"))
	store := testpki.WritePEM(t, "deadline-root.pem", ca.Cert)
	goodAddr := startFault(t, faultserver.TLS(faultserver.Config(must(ca.Leaf())), nil))
	goodTarget, resolve := hostTarget(goodAddr, "example.test")
	args := []string{"--store", store, resolve, "-c", "1", "--timeout", "5s", "--deadline", "500ms", goodTarget}
	for range 5 {
		args = append(args, silent)
	}
	args = append(args, goodTarget)
	start := time.Now()
	code, rs, _ := jsonResults(t, args...)
	elapsed := time.Since(start)
	if len(rs) != 7 {
		t.Fatalf("%d results, want 7 (none dropped)", len(rs))
	}
	if rs[0].Status != result.StatusOK {
		t.Errorf("first target, done before the deadline: %s %d (%s)", rs[0].Status, rs[0].Code, rs[0].Detail)
	}
	for i, r := range rs[1:] {
		if r.Status != result.StatusError || r.Code != 11205 || !hasProblem(r, result.ProblemDeadlineExceeded, result.SeverityError) {
			t.Errorf("result %d (%s): %s %d %v, want error 11205 deadline-exceeded", i+1, r.Target, r.Status, r.Code, problemIDs(r))
		}
		if !strings.Contains(r.Detail, "--deadline") {
			t.Errorf("result %d detail %q does not name --deadline", i+1, r.Detail)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %s; the 500ms deadline should end the run well before the 5s timeout", elapsed)
	}
	if c, _, stderr := cli(t, "", "check", "--deadline", "-1s", "example.test"); c != 2 || !strings.Contains(stderr, "--deadline") {
		t.Errorf("negative --deadline: exit %d stderr %q, want a usage error", c, stderr)
	}
}

// TestCheckLyingPEMStores: a --store or --ca-file whose PEM has garbage
// between blocks still loads its certificates; one that holds only a key is a
// usage error naming the file, never a silent fall back to another store.
func TestCheckLyingPEMStores(t *testing.T) {
	a := must(faultserver.NewRoot("Lying A"))
	b := must(faultserver.NewRoot("Lying B"))
	addr := startFault(t, faultserver.TLS(faultserver.Config(must(b.Leaf())), nil))
	tgt, resolve := hostTarget(addr, "example.test")
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage-between.pem")
	data := append(testpki.PEM(a.Cert), []byte("garbage \x00\xff\x1b[31m between blocks\n-----BEGIN NOTHING\n")...)
	data = append(data, testpki.PEM(b.Cert)...)
	if err := os.WriteFile(garbage, data, 0o644); err != nil {
		t.Fatal(err)
	}
	keyOnly := filepath.Join(dir, "key-only.pem")
	if err := os.WriteFile(keyOnly, []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, rs, stderr := jsonResults(t, "--store", garbage, resolve, tgt); code != 0 || rs[0].Status != result.StatusOK {
		t.Errorf("garbage between PEM blocks: exit %d, results %+v, stderr %s; want the second root loaded and the check ok", code, rs, stderr)
	}
	for _, flag := range []string{"--store", "--ca-file"} {
		code, out, stderr := cli(t, "", "check", "-o", "json", flag, keyOnly, resolve, tgt)
		if code != 2 || out != "" || !strings.Contains(stderr, keyOnly) {
			t.Errorf("%s with only a key: exit %d stdout %q stderr %q, want exit 2 naming the file and no results", flag, code, out, stderr)
		}
	}
}

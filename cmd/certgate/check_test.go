package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

var epochArg = "--at=" + testpki.Epoch.Format(time.RFC3339)

// cli runs certgate with args and returns the exit status and both streams.
func cli(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := run(context.Background(), args, ios)
	return code, out.String(), errOut.String()
}

// jsonResults runs check with -o json and decodes the array.
func jsonResults(t *testing.T, args ...string) (int, []result.Result, string) {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"check", "-o", "json", epochArg}, args...)...)
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("output is not a JSON array: %v\nstdout: %s\nstderr: %s", err, out, errOut)
	}
	return code, rs, errOut
}

// pki is one hierarchy: root → intermediate, with the root in a PEM store file.
type pki struct {
	root, inter *testpki.CA
	store       string
}

func newPKI(t *testing.T, name string) *pki {
	root := testpki.NewRoot(t, name+" Root")
	inter := root.Intermediate(t, name+" Issuing CA")
	return &pki{root: root, inter: inter, store: testpki.WritePEM(t, name+".pem", root.Cert)}
}

// hostTarget returns a target naming host on the server's port and the
// --resolve flag that sends it to the server.
func hostTarget(addr, host string) (string, string) {
	_, port, _ := net.SplitHostPort(addr)
	return "https://" + host + ":" + port + "/hooks", "--resolve=" + host + ":" + port + ":127.0.0.1"
}

func problemIDs(r result.Result) []string {
	var ids []string
	for _, p := range r.Problems {
		ids = append(ids, p.ID)
	}
	return ids
}

func hasProblem(r result.Result, id string, sev result.Severity) bool {
	for _, p := range r.Problems {
		if p.ID == id && p.Severity == sev {
			return true
		}
	}
	return false
}

func TestCheckCertificateCases(t *testing.T) {
	p := newPKI(t, "Main")
	other := newPKI(t, "Other")
	e := testpki.Epoch
	type tc struct {
		name       string
		leaf       *testpki.Leaf
		chain      []*testpki.CA
		host       string
		store      string
		wantStatus result.Status
		wantCode   result.Code
		wantIDs    []string // every one must be listed with severity error or warn
		wantExit   int
	}
	inter := []*testpki.CA{p.inter}
	cases := []tc{
		{name: "ok", leaf: p.inter.Leaf(t), chain: inter, wantStatus: result.StatusOK},
		{name: "expires soon", leaf: p.inter.Leaf(t, testpki.Validity(e.AddDate(0, -2, 0), e.AddDate(0, 0, 10))), chain: inter,
			wantStatus: result.StatusWarn, wantIDs: []string{result.ProblemExpiresSoon}},
		{name: "wrong host", leaf: p.inter.Leaf(t, testpki.DNS("other.test")), chain: inter,
			wantStatus: result.StatusFail, wantCode: 11235, wantIDs: []string{result.ProblemHostnameMismatch}, wantExit: 1},
		{name: "CN only", leaf: p.inter.Leaf(t, testpki.DNS(), testpki.CN("example.test")), chain: inter,
			wantStatus: result.StatusFail, wantCode: 11235, wantIDs: []string{result.ProblemHostnameMismatch}, wantExit: 1},
		{name: "wildcard too deep", leaf: p.inter.Leaf(t, testpki.DNS("*.example.test")), chain: inter, host: "a.b.example.test",
			wantStatus: result.StatusFail, wantCode: 11235, wantIDs: []string{result.ProblemHostnameMismatch}, wantExit: 1},
		{name: "wildcard one label", leaf: p.inter.Leaf(t, testpki.DNS("*.example.test")), chain: inter, host: "api.example.test",
			wantStatus: result.StatusOK},
		{name: "expired leaf", leaf: p.inter.Leaf(t, testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -3))), chain: inter,
			wantStatus: result.StatusFail, wantCode: 11236, wantIDs: []string{result.ProblemExpired}, wantExit: 1},
		{name: "not yet valid leaf", leaf: p.inter.Leaf(t, testpki.Validity(e.AddDate(0, 0, 2), e.AddDate(1, 0, 0))), chain: inter,
			wantStatus: result.StatusFail, wantCode: 11236, wantIDs: []string{result.ProblemNotYetValid}, wantExit: 1},
		{name: "self-signed", leaf: testpki.SelfSigned(t),
			wantStatus: result.StatusFail, wantCode: 11237, wantIDs: []string{result.ProblemSelfSigned}, wantExit: 1},
		{name: "unknown root", leaf: other.inter.Leaf(t), chain: []*testpki.CA{other.inter, other.root},
			wantStatus: result.StatusFail, wantCode: 11237, wantIDs: []string{result.ProblemUnknownAuthority}, wantExit: 1},
		{name: "missing intermediate", leaf: p.inter.Leaf(t, testpki.AIA("http://ca.example.test/issuing.crt")),
			wantStatus: result.StatusFail, wantCode: 11237, wantIDs: []string{result.ProblemIncompleteChain}, wantExit: 1},
		{name: "precedence: no path, expired and wrong host", leaf: other.inter.Leaf(t, testpki.DNS("other.test"),
			testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -1))), chain: []*testpki.CA{other.inter},
			wantStatus: result.StatusFail, wantCode: 11237,
			wantIDs: []string{result.ProblemUnknownAuthority, result.ProblemExpired, result.ProblemHostnameMismatch}, wantExit: 1},
		{name: "precedence: expired and wrong host", leaf: p.inter.Leaf(t, testpki.DNS("other.test"),
			testpki.Validity(e.AddDate(-1, 0, 0), e.AddDate(0, 0, -1))), chain: inter,
			wantStatus: result.StatusFail, wantCode: 11236,
			wantIDs: []string{result.ProblemExpired, result.ProblemHostnameMismatch}, wantExit: 1},
	}
	// An expired intermediate, re-signed from the same root.
	oldInter := p.root.Intermediate(t, "Old Issuing CA", testpki.Validity(e.AddDate(-3, 0, 0), e.AddDate(0, 0, -5)))
	cases = append(cases, tc{name: "expired intermediate", leaf: oldInter.Leaf(t, testpki.Validity(e.AddDate(0, -1, 0), e.AddDate(0, 2, 0))),
		chain: []*testpki.CA{oldInter}, wantStatus: result.StatusFail, wantCode: 11236, wantIDs: []string{result.ProblemExpired}, wantExit: 1})

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var chain []*x509.Certificate
			for _, ca := range c.chain {
				chain = append(chain, ca.Cert)
			}
			addr := testpki.ServeCert(t, c.leaf, chain...)
			host := c.host
			if host == "" {
				host = "example.test"
			}
			tgt, resolve := hostTarget(addr, host)
			store := c.store
			if store == "" {
				store = p.store
			}
			code, rs, stderr := jsonResults(t, "--store", store, resolve, tgt)
			if len(rs) != 1 {
				t.Fatalf("got %d results, want 1 (stderr %s)", len(rs), stderr)
			}
			r := rs[0]
			if r.Status != c.wantStatus || r.Code != c.wantCode {
				t.Errorf("status %s code %d, want %s %d; problems %+v", r.Status, r.Code, c.wantStatus, c.wantCode, r.Problems)
			}
			for _, id := range c.wantIDs {
				if !hasProblem(r, id, result.SeverityError) && !hasProblem(r, id, result.SeverityWarn) {
					t.Errorf("problem %q not listed; got %v", id, problemIDs(r))
				}
			}
			if code != c.wantExit {
				t.Errorf("exit %d, want %d", code, c.wantExit)
			}
			if r.Code.Message() != r.Message {
				t.Errorf("message %q does not match code %d", r.Message, r.Code)
			}
			if r.Status != result.StatusOK && r.Detail == "" {
				t.Errorf("no detail for a %s result", r.Status)
			}
			if r.TLS == nil || r.TLS.Version != "TLS 1.3" || len(r.Chain) != 1+len(c.chain) {
				t.Errorf("tls %+v, chain of %d; want TLS 1.3 and %d certificates", r.TLS, len(r.Chain), 1+len(c.chain))
			}
			if r.Address != addr || r.Host != host {
				t.Errorf("address %q host %q, want %q %q", r.Address, r.Host, addr, host)
			}
		})
	}
}

func decode(t *testing.T, out, stderr string) []result.Result {
	t.Helper()
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil {
		t.Fatalf("output is not a JSON array: %v\nstdout: %s\nstderr: %s", err, out, stderr)
	}
	return rs
}

// drain drains a connection until the peer closes it.
func drain(c net.Conn) (int64, error) { return io.Copy(io.Discard, c) }

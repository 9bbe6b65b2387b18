package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/daemons"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// daemonProtocol is the "starttls" value a check of kind reports: the
// kind's name, except that submission speaks SMTP.
func daemonProtocol(k daemons.Kind) string {
	if k.Name == "submission" {
		return "smtp"
	}
	return k.Name
}

// checkJSON runs certgate check -o json with args (no --at unless args
// give one) and returns the exit status and the one result.
func checkJSON(t *testing.T, args ...string) (int, result.Result) {
	t.Helper()
	code, out, errOut := cli(t, "", append([]string{"check", "-o", "json"}, args...)...)
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 {
		t.Fatalf("certgate check %s: want a JSON array of one result (%v)\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return code, rs[0]
}

// TestCheckRealDaemons judges certgate against the servers users run:
// every daemon of internal/daemons (Postfix, Dovecot, slapd, PostgreSQL,
// MariaDB, Prosody, vsftpd, nnrpd), started once with a leaf for its host
// name served with the intermediate, and for every dialect it serves:
// certgate check by name (with --resolve) is ok, names the dialect in
// "starttls" and reports the test leaf as chain[0]; the same check at a
// moment after the leaf's notAfter fails 11236 (the served chain is read
// and judged, not assumed); --starttls with the bare host:port is ok as
// the scheme is; and against a store without the test root it fails
// 11237. A daemon that is not installed is skipped with the package
// to install, or fails under CERTGATE_REQUIRE_SHARED=1.
func TestCheckRealDaemons(t *testing.T) {
	if testing.Short() {
		t.Skip("starts every real daemon; run without -short")
	}
	began := time.Now()
	p := newPKI(t, "Daemons")
	other := newPKI(t, "Unrelated")
	now := time.Now()
	leaf := p.inter.Leaf(t, testpki.DNS("example.test"), testpki.Validity(now.Add(-24*time.Hour), now.AddDate(1, 0, 0)))
	sum := sha256.Sum256(leaf.Cert.Raw)
	want := hex.EncodeToString(sum[:])
	afterExpiry := "--at=" + leaf.Cert.NotAfter.Add(time.Hour).Format(time.RFC3339)
	cert := daemons.WriteCert(t, "example.test", leaf, p.inter.Cert)

	// certgate scan runs on one mail and one database dialect: each of its
	// connections runs the dialogue.
	scanned := map[string]bool{"smtp": true, "postgres": true}
	for _, daemon := range daemons.Daemons() {
		t.Run(daemon, func(t *testing.T) {
			eps := daemons.StartDaemon(t, daemon, cert)
			defer eps[0].Stop()
			t.Logf("%s: started in %v", daemon, eps[0].StartTime.Round(time.Millisecond))
			for _, ep := range eps {
				t.Run(ep.Kind.Name, func(t *testing.T) {
					tgt, resolve := ep.Target(), "--resolve="+ep.Resolve()
					proto := daemonProtocol(ep.Kind)

					code, r := checkJSON(t, "--store", p.store, resolve, tgt)
					if r.Status != result.StatusOK || code != 0 {
						t.Fatalf("%s: %s %d (exit %d) %v: %s, want ok", tgt, r.Status, r.Code, code, problemIDs(r), r.Message)
					}
					if r.StartTLS != proto {
						t.Errorf("%s: starttls %q, want %q", tgt, r.StartTLS, proto)
					}
					if len(r.Chain) == 0 || r.Chain[0].SHA256 != want {
						t.Errorf("%s: chain %+v, want the test leaf %s first", tgt, r.Chain, want)
					}
					if len(r.Chain) != 2 {
						t.Errorf("%s: %d certificates served, want the leaf and the intermediate", tgt, len(r.Chain))
					}

					code, r = checkJSON(t, "--store", p.store, resolve, afterExpiry, tgt)
					if r.Status != result.StatusFail || r.Code != result.CodeExpired || code != 1 || !hasProblem(r, result.ProblemExpired, result.SeverityError) {
						t.Errorf("%s %s: %s %d (exit %d) %v, want fail 11236 expired", tgt, afterExpiry, r.Status, r.Code, code, problemIDs(r))
					}
					if r.StartTLS != proto || len(r.Chain) == 0 || r.Chain[0].SHA256 != want {
						t.Errorf("%s %s: starttls %q, chain %d certificates: not the test leaf after the upgrade", tgt, afterExpiry, r.StartTLS, len(r.Chain))
					}

					bare := ep.Host + ":" + ep.Port()
					code, r = checkJSON(t, "--store", p.store, resolve, "--starttls", proto, bare)
					if r.Status != result.StatusOK || code != 0 || r.StartTLS != proto || len(r.Chain) == 0 || r.Chain[0].SHA256 != want {
						t.Errorf("--starttls %s %s: %s %d (exit %d) %v, starttls %q: want ok with the test leaf", proto, bare, r.Status, r.Code, code, problemIDs(r), r.StartTLS)
					}

					code, r = checkJSON(t, "--store", other.store, resolve, tgt)
					if r.Status != result.StatusFail || r.Code != result.CodeNoPath || code != 1 {
						t.Errorf("%s against a store without the root: %s %d (exit %d) %v, want fail 11237", tgt, r.Status, r.Code, code, problemIDs(r))
					}

					if scanned[ep.Kind.Name] {
						scanRealDaemon(t, ep, p.store, want)
					}
				})
			}
			t.Run("wrong dialects", func(t *testing.T) { checkWrongDialects(t, eps, p.store) })
		})
	}
	t.Logf("TestCheckRealDaemons took %v", time.Since(began).Round(time.Millisecond))
}

// checkWrongDialects speaks every dialect the endpoints do not speak to
// each of their ports, in one certgate check run, and requires each result
// to be error 11220 with one of the STARTTLS problems: the server's
// greeting, refusal or silence (until --timeout) is named, never taken for
// an upgrade.
func checkWrongDialects(t *testing.T, eps []daemons.Endpoint, store string) {
	args := []string{"check", "-o", "json", "--timeout", "1s", "-c", "200", "--store", store}
	want := map[string]string{} // target → the dialect its port speaks
	for _, ep := range eps {
		args = append(args, "--resolve="+ep.Resolve())
		for _, k := range daemons.Kinds() {
			if daemonProtocol(k) == daemonProtocol(ep.Kind) {
				continue
			}
			tgt := k.Scheme + "://" + ep.Host + ":" + ep.Port()
			want[tgt] = ep.Kind.Name
			args = append(args, tgt)
		}
	}
	start := time.Now()
	code, out, errOut := cli(t, "", args...)
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != len(want) {
		t.Fatalf("want a JSON array of %d results (%v)\nstdout: %s\nstderr: %s", len(want), err, out, errOut)
	}
	t.Logf("%d wrong-dialect checks in %v", len(rs), time.Since(start).Round(time.Millisecond))
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	starttlsIDs := []string{result.ProblemStartTLSNotOffered, result.ProblemStartTLSRefused, result.ProblemStartTLSProtocol}
	for _, r := range rs {
		port, ok := want[r.Target]
		if !ok {
			t.Errorf("result for %q, a target not asked for", r.Target)
			continue
		}
		n := 0
		for _, id := range starttlsIDs {
			if hasProblem(r, id, result.SeverityError) {
				n++
			}
		}
		if r.Status != result.StatusError || r.Code != result.CodeHandshake || n != 1 {
			t.Errorf("%s on the %s port: %s %d %v %q, want error 11220 with one of %v", r.Target, port, r.Status, r.Code, problemIDs(r), r.Detail, starttlsIDs)
		}
	}
}

// scanRealDaemon runs certgate scan on ep and requires check's verdict
// (ok, the test leaf) and a complete scan: TLS 1.3 and 1.2 found, suites
// listed, no failed connections.
func scanRealDaemon(t *testing.T, ep daemons.Endpoint, store, leaf string) {
	t.Helper()
	start := time.Now()
	code, out, errOut := cli(t, "", "scan", "-o", "json", "--store", store, "--resolve="+ep.Resolve(), "--clients", "openssl-3", ep.Target())
	var rs []result.Result
	if err := json.Unmarshal([]byte(out), &rs); err != nil || len(rs) != 1 || rs[0].Scan == nil {
		t.Fatalf("certgate scan %s: want one result with a scan (%v)\nstdout: %s\nstderr: %s", ep.Target(), err, out, errOut)
	}
	r, s := rs[0], rs[0].Scan
	t.Logf("certgate scan %s: %d connections in %v", ep.Target(), s.Probes, time.Since(start).Round(time.Millisecond))
	if s.Grade == nil {
		t.Errorf("certgate scan %s: no grade", ep.Target())
	}
	// The certificate is judged as check judges it; the scan's weaknesses
	// of the daemon's default configuration may add warnings.
	if code != 0 || (r.Status != result.StatusOK && r.Status != result.StatusWarn) || r.Code != 0 || r.StartTLS != daemonProtocol(ep.Kind) || len(r.Chain) == 0 || r.Chain[0].SHA256 != leaf {
		t.Errorf("certgate scan %s: exit %d, %s %d %v, starttls %q: want check's ok (or a configuration warning) with the test leaf", ep.Target(), code, r.Status, r.Code, problemIDs(r), r.StartTLS)
	}
	grade := "none"
	if s.Grade != nil {
		grade = s.Grade.Grade
	}
	t.Logf("certgate scan %s: %s, grade %s, problems %v", ep.Target(), r.Status, grade, problemIDs(r))
	supported := map[string]bool{}
	for _, ps := range s.Protocols {
		supported[ps.Version] = ps.Supported
	}
	if !supported["TLS 1.3"] || !supported["TLS 1.2"] || len(s.CipherSuites) == 0 {
		t.Errorf("certgate scan %s: protocols %+v, %d suites: want TLS 1.3 and 1.2 with their suites", ep.Target(), s.Protocols, len(s.CipherSuites))
	}
	for _, p := range r.Problems {
		if p.ID == result.ProblemScanIncomplete {
			t.Errorf("certgate scan %s: %s: %s", ep.Target(), p.ID, p.Message)
		}
	}
}

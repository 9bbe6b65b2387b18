package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/faultserver"
	"github.com/certgate/certgate/pkg/result"
)

// TestCheckSenderClient: against a real TLS 1.2 server with RSA key
// exchange only, check's default judges the handshake with the recorded
// Java clients (Java 17 connects, Java 25 refuses: the chain is judged and
// the result names both), while --client java-25 judges with Java 25 alone
// and the handshake fails.
func TestCheckSenderClient(t *testing.T) {
	s, err := faultserver.StartOpenSSL("sha256", "-tls1_2", "-cipher", "AES128-GCM-SHA256")
	if errors.Is(err, faultserver.ErrNoOpenSSL) {
		t.Skip("openssl is not installed (CI installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	target, resolve := hostTarget(s.Addr(), "example.test")
	tests := []struct {
		name   string
		args   []string
		status result.Status
		code   result.Code
		client string
		probs  []string
	}{
		// The self-signed chain is read from the plaintext Certificate
		// message and judged: no store trusts it.
		{"every Java client", nil, result.StatusFail, result.CodeNoPath, "java-17", []string{result.ProblemClientFallback, result.ProblemClientRefuses}},
		{"--client java-17", []string{"--client", "java-17"}, result.StatusFail, result.CodeNoPath, "java-17", []string{result.ProblemClientFallback}},
		{"--client java-25", []string{"--client", "java-25"}, result.StatusError, result.CodeHandshake, "go", []string{result.ProblemRSAKeyExchange}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rs, errOut := jsonResults(t, append(append([]string{}, tt.args...), resolve, target)...)
			if len(rs) != 1 {
				t.Fatalf("%d results, want 1 (stderr %q)", len(rs), errOut)
			}
			r := rs[0]
			if r.Status != tt.status || r.Code != tt.code {
				t.Errorf("%s %d (%s), want %s %d", r.Status, r.Code, r.Detail, tt.status, tt.code)
			}
			if r.TLS == nil || r.TLS.Client != tt.client {
				t.Errorf("tls %+v, want client %q", r.TLS, tt.client)
			}
			for _, id := range tt.probs {
				if !hasProblem(r, id, result.SeverityWarn) && !hasProblem(r, id, result.SeverityError) {
					t.Errorf("problems %v, want %s", problemIDs(r), id)
				}
			}
			if tt.status == result.StatusFail && len(r.Chain) != 1 {
				t.Errorf("%d certificates judged, want the server's one", len(r.Chain))
			}
		})
	}
}

// TestCheckSenderChainNotRead: a TLS 1.3 server that insists on an ffdhe
// group is reached by the Java clients only; its chain travels encrypted
// and is not read, so the result fails closed (11237, chain-not-read)
// rather than passing or blaming the handshake.
func TestCheckSenderChainNotRead(t *testing.T) {
	s, err := faultserver.StartOpenSSL("sha256", "-tls1_3", "-groups", "ffdhe2048")
	if errors.Is(err, faultserver.ErrNoOpenSSL) {
		t.Skip("openssl is not installed (CI installs it)")
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	target, resolve := hostTarget(s.Addr(), "example.test")
	_, rs, errOut := jsonResults(t, resolve, target)
	if len(rs) != 1 {
		t.Fatalf("%d results, want 1 (stderr %q)", len(rs), errOut)
	}
	r := rs[0]
	if r.Status != result.StatusFail || r.Code != result.CodeNoPath || !strings.Contains(r.Detail, "not judged") {
		t.Errorf("%s %d (%s), want fail 11237 saying the chain was not judged", r.Status, r.Code, r.Detail)
	}
	if !hasProblem(r, result.ProblemChainNotRead, result.SeverityError) || !hasProblem(r, result.ProblemClientFallback, result.SeverityWarn) {
		t.Errorf("problems %v, want chain-not-read and client-fallback", problemIDs(r))
	}
	if r.TLS == nil || r.TLS.Client != "java-17" || r.TLS.Version != "TLS 1.3" || len(r.Chain) != 0 {
		t.Errorf("tls %+v with %d certificates, want java-17 at TLS 1.3 and no chain", r.TLS, len(r.Chain))
	}
}

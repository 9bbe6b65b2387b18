package decide

import (
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

// TestScanWeaknesses: the weaknesses of a scan are certificate-independent
// warnings: the chain stays trusted, the result warns, and a warning about
// the certificate is the detail before them. A revoked certificate for a
// browser client (an error with 11237) fails every store.
func TestScanWeaknesses(t *testing.T) {
	revoked := certP(result.ProblemRevoked, result.CodeNoPath, 0)
	revokedWarn := warnP(result.ProblemRevoked)
	tests := []struct {
		name     string
		problems []result.Problem
		status   result.Status
		code     result.Code
		detail   string
		trusted  bool
	}{
		{name: "weakness alone warns", problems: []result.Problem{warnP(result.ProblemProtocolTLS10)},
			status: result.StatusWarn, detail: "protocol-tls10 message", trusted: true},
		{name: "note alone is ok", problems: []result.Problem{infoP(result.ProblemNoTLS13), infoP(result.ProblemHSTSMissing)},
			status: result.StatusOK, trusted: true},
		{name: "certificate warning is the detail", problems: []result.Problem{warnP(result.ProblemCipher3DES), warnP(result.ProblemExpiresSoon)},
			status: result.StatusWarn, detail: "expires-soon message", trusted: true},
		{name: "web pki warning before weakness", problems: []result.Problem{warnP(result.ProblemCipherRC4), warnP(result.ProblemWeakKey)},
			status: result.StatusWarn, detail: "weak-key message", trusted: true},
		{name: "revoked warning for the java sender", problems: []result.Problem{warnP(result.ProblemCipherRC4), revokedWarn},
			status: result.StatusWarn, detail: "revoked message", trusted: true},
		{name: "revoked error for a browser", problems: []result.Problem{warnP(result.ProblemProtocolTLS11), revoked},
			status: result.StatusFail, code: result.CodeNoPath, detail: "revoked message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result.Result
			Apply(&r, Facts{Presented: 1, ChainNotAfter: t2, Problems: tt.problems, Stores: []Store{pathStore("mozilla"), pathStore("java")}})
			if r.Status != tt.status || r.Code != tt.code || r.Detail != tt.detail {
				t.Errorf("got %s %d %q, want %s %d %q", r.Status, r.Code, r.Detail, tt.status, tt.code, tt.detail)
			}
			for name, v := range r.Trust {
				if v.Trusted != tt.trusted {
					t.Errorf("store %s trusted = %v, want %v", name, v.Trusted, tt.trusted)
				}
			}
			if len(r.Problems) != len(tt.problems) {
				t.Errorf("problems = %v, want all %d kept", r.Problems, len(tt.problems))
			}
		})
	}
}

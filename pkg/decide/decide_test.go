package decide

import (
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/pkg/result"
)

var (
	t0 = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	t1 = t0.AddDate(0, 1, 0)
	t2 = t0.AddDate(0, 2, 0)
)

func errP(id string, code result.Code) result.Problem {
	return result.Problem{ID: id, Severity: result.SeverityError, Code: code, Cert: -1, Message: id + " message"}
}

func certP(id string, code result.Code, cert int) result.Problem {
	p := errP(id, code)
	p.Cert = cert
	return p
}

func warnP(id string) result.Problem {
	return result.Problem{ID: id, Severity: result.SeverityWarn, Cert: 0, Message: id + " message"}
}

func infoP(id string) result.Problem {
	return result.Problem{ID: id, Severity: result.SeverityInfo, Cert: 0, Message: id + " message"}
}

func pathStore(name string, ps ...result.Problem) Store {
	return Store{Name: name, Version: "v1", Path: true, Root: name + " root", RootSHA256: "ab", PathNotAfter: t1, Problems: ps}
}

func noPathStore(name string, ps ...result.Problem) Store {
	return Store{Name: name, Version: "v1", Problems: ps}
}

var (
	noPath   = errP(result.ProblemUnknownAuthority, result.CodeNoPath)
	expired  = certP(result.ProblemExpired, result.CodeExpired, 0)
	mismatch = certP(result.ProblemHostnameMismatch, result.CodeDomainMismatch, 0)
)

// TestApply is the decision table: every code, every precedence pair,
// the agreement of the result with the store verdicts, and the empty cases.
func TestApply(t *testing.T) {
	tests := []struct {
		name   string
		facts  Facts
		status result.Status
		code   result.Code
		detail string                 // a substring of the detail
		trust  map[string]result.Code // every store's verdict code
		notAft *time.Time
	}{
		// The empty cases fail closed.
		{name: "no facts at all", facts: Facts{}, status: result.StatusFail, code: result.CodeNoPath, detail: "no certificate was presented"},
		{name: "chain, no stores", facts: Facts{Presented: 2, ChainNotAfter: t2}, status: result.StatusFail, code: result.CodeNoPath, detail: "no trust store was asked", notAft: &t2},
		{name: "chain, store without path or reason", facts: Facts{Presented: 1, ChainNotAfter: t2, Stores: []Store{noPathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "the mozilla store", trust: map[string]result.Code{"mozilla": result.CodeNoPath}, notAft: &t2},
		{name: "chain, no store has a path", facts: Facts{Presented: 1, Stores: []Store{noPathStore("mozilla", noPath), noPathStore("java", noPath)}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "unknown-authority", trust: map[string]result.Code{"mozilla": result.CodeNoPath, "java": result.CodeNoPath}},
		{name: "no chain, stores asked", facts: Facts{Problems: []result.Problem{errP(result.ProblemNoCertificate, result.CodeNoPath)}, Stores: []Store{noPathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "no-certificate", trust: map[string]result.Code{"mozilla": result.CodeNoPath}},
		{name: "no problems, path", facts: Facts{Presented: 1, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusOK, trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},

		// Every connection code is status error with that code.
		{name: "11100", facts: Facts{Problems: []result.Problem{errP(result.ProblemInvalidTarget, result.CodeInvalidURL)}}, status: result.StatusError, code: result.CodeInvalidURL},
		{name: "11201", facts: Facts{Problems: []result.Problem{errP(result.ProblemTCPTimeout, result.CodeTCPTimeout)}}, status: result.StatusError, code: result.CodeTCPTimeout},
		{name: "11202", facts: Facts{Problems: []result.Problem{errP(result.ProblemTCPRefused, result.CodeTCPRefused)}}, status: result.StatusError, code: result.CodeTCPRefused},
		{name: "11205", facts: Facts{Problems: []result.Problem{errP(result.ProblemConnection, result.CodeConnFailure)}}, status: result.StatusError, code: result.CodeConnFailure},
		{name: "11205 deadline", facts: Facts{Problems: []result.Problem{errP(result.ProblemDeadlineExceeded, result.CodeConnFailure)}}, status: result.StatusError, code: result.CodeConnFailure},
		{name: "11210", facts: Facts{Problems: []result.Problem{errP(result.ProblemDNS, result.CodeBadHostName)}}, status: result.StatusError, code: result.CodeBadHostName},
		{name: "11220", facts: Facts{Problems: []result.Problem{errP(result.ProblemHandshake, result.CodeHandshake)}}, status: result.StatusError, code: result.CodeHandshake},
		{name: "11220 legacy TLS with a chain", facts: Facts{Presented: 1, Problems: []result.Problem{errP(result.ProblemLegacyTLS, result.CodeHandshake)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusError, code: result.CodeHandshake, trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},
		// A local failure is certgate's: error with code 0, before anything else.
		{name: "local resource", facts: Facts{Problems: []result.Problem{errP(result.ProblemLocalResource, 0), errP(result.ProblemTCPTimeout, result.CodeTCPTimeout)}},
			status: result.StatusError, code: 0, detail: "local-resource-exhausted"},

		// Every certificate code, by one store.
		{name: "11237", facts: Facts{Presented: 1, Stores: []Store{noPathStore("mozilla", noPath)}}, status: result.StatusFail, code: result.CodeNoPath, trust: map[string]result.Code{"mozilla": result.CodeNoPath}},
		{name: "11236", facts: Facts{Presented: 1, Stores: []Store{pathStore("mozilla", expired)}}, status: result.StatusFail, code: result.CodeExpired, detail: "expired message", trust: map[string]result.Code{"mozilla": result.CodeExpired}, notAft: &t1},
		{name: "11235", facts: Facts{Presented: 1, Problems: []result.Problem{mismatch}, Stores: []Store{pathStore("mozilla")}}, status: result.StatusFail, code: result.CodeDomainMismatch, detail: "hostname-mismatch", trust: map[string]result.Code{"mozilla": result.CodeDomainMismatch}, notAft: &t1},
		{name: "key mismatch is a fail 11220, not an error", facts: Facts{Presented: 1, Problems: []result.Problem{certP(result.ProblemKeyMismatch, result.CodeHandshake, 0)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeHandshake, trust: map[string]result.Code{"mozilla": result.CodeHandshake}, notAft: &t1},
		{name: "certificate error without a code is 11237", facts: Facts{Presented: 1, Problems: []result.Problem{certP(result.ProblemMalformedCertificate, 0, 0)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeNoPath, trust: map[string]result.Code{"mozilla": result.CodeNoPath}, notAft: &t1},

		// A certgate.yaml pin that does not hold fails the target as no path to the expected root.
		{name: "expect-root-mismatch fails though a store has a path", facts: Facts{Presented: 1, Problems: []result.Problem{certP(result.ProblemExpectRootMismatch, result.CodeNoPath, -1)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "expect-root-mismatch", trust: map[string]result.Code{"mozilla": result.CodeNoPath}, notAft: &t1},
		{name: "expect-issuer-mismatch fails", facts: Facts{Presented: 1, Problems: []result.Problem{certP(result.ProblemExpectIssuerMismatch, result.CodeNoPath, 0)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "expect-issuer-mismatch", trust: map[string]result.Code{"mozilla": result.CodeNoPath}, notAft: &t1},

		// Every precedence pair, within one store.
		{name: "11237 over 11236", facts: Facts{Presented: 1, Problems: []result.Problem{certP(result.ProblemChainLeafNotFirst, result.CodeNoPath, 1)}, Stores: []Store{pathStore("mozilla", expired)}},
			status: result.StatusFail, code: result.CodeNoPath, detail: "chain-leaf-not-first", trust: map[string]result.Code{"mozilla": result.CodeNoPath}, notAft: &t1},
		{name: "11237 over 11235", facts: Facts{Presented: 1, Problems: []result.Problem{mismatch}, Stores: []Store{noPathStore("mozilla", noPath)}},
			status: result.StatusFail, code: result.CodeNoPath, trust: map[string]result.Code{"mozilla": result.CodeNoPath}},
		{name: "11236 over 11235", facts: Facts{Presented: 1, Problems: []result.Problem{mismatch}, Stores: []Store{pathStore("mozilla", expired)}},
			status: result.StatusFail, code: result.CodeExpired, trust: map[string]result.Code{"mozilla": result.CodeExpired}, notAft: &t1},
		{name: "11235 over 11220 key mismatch", facts: Facts{Presented: 1, Problems: []result.Problem{mismatch, certP(result.ProblemKeyMismatch, result.CodeHandshake, 0)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusFail, code: result.CodeDomainMismatch, trust: map[string]result.Code{"mozilla": result.CodeDomainMismatch}, notAft: &t1},
		{name: "connection over certificate", facts: Facts{Presented: 1, Problems: []result.Problem{errP(result.ProblemHandshake, result.CodeHandshake)}, Stores: []Store{noPathStore("mozilla", noPath)}},
			status: result.StatusError, code: result.CodeHandshake, trust: map[string]result.Code{"mozilla": result.CodeNoPath}},
		{name: "certificate over warning", facts: Facts{Presented: 1, Problems: []result.Problem{warnP(result.ProblemExpiresSoon)}, Stores: []Store{pathStore("mozilla", expired)}},
			status: result.StatusFail, code: result.CodeExpired, trust: map[string]result.Code{"mozilla": result.CodeExpired}, notAft: &t1},

		// Across stores: the result is the verdict of the store closest to passing.
		{name: "one store passes", facts: Facts{Presented: 1, Stores: []Store{noPathStore("mozilla", noPath), pathStore("java")}},
			status: result.StatusOK, trust: map[string]result.Code{"mozilla": result.CodeNoPath, "java": 0}, notAft: &t1},
		{name: "best store expired, other no path", facts: Facts{Presented: 1, Stores: []Store{noPathStore("mozilla", noPath), pathStore("java", expired)}},
			status: result.StatusFail, code: result.CodeExpired, trust: map[string]result.Code{"mozilla": result.CodeNoPath, "java": result.CodeExpired}, notAft: &t1},
		{name: "every store 11235", facts: Facts{Presented: 1, Problems: []result.Problem{mismatch}, Stores: []Store{pathStore("mozilla"), pathStore("java")}},
			status: result.StatusFail, code: result.CodeDomainMismatch, trust: map[string]result.Code{"mozilla": result.CodeDomainMismatch, "java": result.CodeDomainMismatch}, notAft: &t1},
		{name: "chain error shared by every store", facts: Facts{Presented: 2, Problems: []result.Problem{certP(result.ProblemChainLeafNotFirst, result.CodeNoPath, 0)}, Stores: []Store{pathStore("mozilla", mismatch), pathStore("java")}},
			status: result.StatusFail, code: result.CodeNoPath, trust: map[string]result.Code{"mozilla": result.CodeNoPath, "java": result.CodeNoPath}, notAft: &t1},

		// Warnings warn, notes do nothing; a Web PKI warning is the detail
		// only when it is alone.
		{name: "warning", facts: Facts{Presented: 1, Problems: []result.Problem{warnP(result.ProblemExpiresSoon)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusWarn, detail: "expires-soon", trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},
		{name: "web PKI warning after another", facts: Facts{Presented: 1, Problems: []result.Problem{warnP(result.ProblemCAAsLeaf), warnP(result.ProblemExpiresSoon)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusWarn, detail: "expires-soon", trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},
		{name: "web PKI warning alone", facts: Facts{Presented: 1, Problems: []result.Problem{warnP(result.ProblemCAAsLeaf)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusWarn, detail: "ca-as-leaf", trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},
		{name: "note", facts: Facts{Presented: 1, Problems: []result.Problem{infoP(result.ProblemChainRootIncluded)}, Stores: []Store{pathStore("mozilla")}},
			status: result.StatusOK, trust: map[string]result.Code{"mozilla": 0}, notAft: &t1},
		{name: "other store's error is a note when a store passes", facts: Facts{Presented: 1, Stores: []Store{pathStore("java"), noPathStore("mozilla", noPath)}},
			status: result.StatusOK, trust: map[string]result.Code{"mozilla": result.CodeNoPath, "java": 0}, notAft: &t1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result.Result
			Apply(&r, tt.facts)
			if r.Status != tt.status || r.Code != tt.code {
				t.Fatalf("status %s code %d (%s), want %s %d", r.Status, r.Code, r.Detail, tt.status, tt.code)
			}
			if r.Message != tt.code.Message() {
				t.Errorf("message %q, want %q", r.Message, tt.code.Message())
			}
			if !strings.Contains(r.Detail, tt.detail) {
				t.Errorf("detail %q, want it to contain %q", r.Detail, tt.detail)
			}
			if (r.Status == result.StatusOK) != (r.Detail == "") {
				t.Errorf("status %s with detail %q: only ok has none", r.Status, r.Detail)
			}
			if len(r.Trust) != len(tt.trust) {
				t.Errorf("trust %+v, want %d verdicts", r.Trust, len(tt.trust))
			}
			for name, code := range tt.trust {
				v, ok := r.Trust[name]
				if !ok || v.Code != code || v.Trusted != (code == 0) {
					t.Errorf("trust[%s] = %+v, want code %d", name, v, code)
				}
			}
			// The result agrees with the best store whenever a chain was
			// judged and nothing stopped the connection.
			if r.Status != result.StatusError && len(r.Trust) > 0 {
				bestCode := result.CodeNoPath
				for _, v := range r.Trust {
					if v.Code.Precedence() > bestCode.Precedence() {
						bestCode = v.Code
					}
				}
				if r.Code != bestCode {
					t.Errorf("result code %d, best store's %d: they must agree", r.Code, bestCode)
				}
			}
			if r.Status == result.StatusFail || r.Status == result.StatusError {
				if !hasSeverity(r.Problems, result.SeverityError) {
					t.Errorf("status %s without an error problem: %+v", r.Status, r.Problems)
				}
			} else if hasSeverity(r.Problems, result.SeverityError) {
				t.Errorf("status %s with an error problem: %+v", r.Status, r.Problems)
			}
			switch {
			case tt.notAft == nil && r.PathNotAfter != nil:
				t.Errorf("path_not_after %v, want none", r.PathNotAfter)
			case tt.notAft != nil && (r.PathNotAfter == nil || !r.PathNotAfter.Equal(*tt.notAft)):
				t.Errorf("path_not_after %v, want %v", r.PathNotAfter, tt.notAft)
			}
		})
	}
}

func hasSeverity(ps []result.Problem, s result.Severity) bool {
	for _, p := range ps {
		if p.Severity == s {
			return true
		}
	}
	return false
}

// TestApplySharedProblemOnce: a problem several stores found is listed once.
func TestApplySharedProblemOnce(t *testing.T) {
	shared := noPath
	var r result.Result
	Apply(&r, Facts{Presented: 1, Stores: []Store{noPathStore("mozilla", shared), noPathStore("java", shared)}})
	n := 0
	for _, p := range r.Problems {
		if p.ID == shared.ID {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d copies of %s, want 1: %+v", n, shared.ID, r.Problems)
	}
}

// TestKindOf: the kind is explicit by problem id, never by code range.
func TestKindOf(t *testing.T) {
	for id, want := range map[string]Kind{
		result.ProblemTCPRefused:           KindConnection,
		result.ProblemInvalidTarget:        KindConnection,
		result.ProblemLocalResource:        KindLocal,
		result.ProblemKeyMismatch:          KindCertificate,
		result.ProblemExpired:              KindCertificate,
		result.ProblemMalformedCertificate: KindCertificate,
		result.ProblemClientFallback:       KindConnection,
		result.ProblemClientRefuses:        KindConnection,
		result.ProblemChainNotRead:         KindCertificate,
		result.ProblemExpectRootMismatch:   KindCertificate,
		result.ProblemChangedRoot:          KindChange,
		result.ProblemRenewed:              KindChange,
	} {
		if got := KindOf(id); got != want {
			t.Errorf("KindOf(%s) = %d, want %d", id, got, want)
		}
	}
}

// TestApplySenderClient: a handshake only a recorded client makes warns
// and is judged on its chain; one whose chain could not be read fails
// closed with 11237 and says why.
func TestApplySenderClient(t *testing.T) {
	fallback := result.Problem{ID: result.ProblemClientFallback, Severity: result.SeverityWarn, Cert: -1, Message: "negotiated X"}
	notRead := result.Problem{ID: result.ProblemChainNotRead, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1, Message: "chain not read"}
	tests := []struct {
		name   string
		facts  Facts
		status result.Status
		code   result.Code
		detail string
	}{
		{"fallback, trusted chain", Facts{Presented: 1, ChainNotAfter: t1, Problems: []result.Problem{fallback}, Stores: []Store{pathStore("java")}},
			result.StatusWarn, result.CodeNone, "negotiated X"},
		{"fallback, chain not read", Facts{Problems: []result.Problem{fallback, notRead}},
			result.StatusFail, result.CodeNoPath, "chain not read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r result.Result
			Apply(&r, tc.facts)
			if r.Status != tc.status || r.Code != tc.code || r.Detail != tc.detail {
				t.Errorf("got %s %d %q, want %s %d %q", r.Status, r.Code, r.Detail, tc.status, tc.code, tc.detail)
			}
		})
	}
}

// TestApplyOtherStoresRefusal: another store's path error is a note when
// one store has a path; a client model's refusal is a warning when a store
// trusts the chain (one real client refuses what another accepts), and a
// note when none does.
func TestApplyOtherStoresRefusal(t *testing.T) {
	refusal := result.Problem{ID: result.ProblemNoDigitalSignature, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: 0, Store: "java", Message: "java refuses it"}
	expired := result.Problem{ID: result.ProblemExpired, Severity: result.SeverityError, Code: result.CodeExpired, Cert: 0, Store: "mozilla", Message: "expired"}
	unknown := result.Problem{ID: result.ProblemUnknownAuthority, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: 0, Store: "java", Message: "unknown"}
	tests := []struct {
		name    string
		mozilla []result.Problem
		java    result.Problem
		want    result.Severity
	}{
		{"model refusal, mozilla trusts", nil, refusal, result.SeverityWarn},
		{"model refusal, mozilla expired", []result.Problem{expired}, refusal, result.SeverityInfo},
		{"path error, mozilla trusts", nil, unknown, result.SeverityInfo},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r result.Result
			Apply(&r, Facts{Presented: 1, Stores: []Store{
				{Name: "mozilla", Path: true, Problems: tt.mozilla},
				{Name: "java", Path: true, Problems: []result.Problem{tt.java}},
			}})
			for _, p := range r.Problems {
				if p.ID == tt.java.ID {
					if p.Severity != tt.want {
						t.Errorf("%s is %s, want %s", p.ID, p.Severity, tt.want)
					}
					return
				}
			}
			t.Errorf("%s not listed: %+v", tt.java.ID, r.Problems)
		})
	}
}

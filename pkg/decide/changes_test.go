package decide

import (
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

func change(id string, code result.Code) result.Problem {
	return result.Problem{ID: id, Severity: result.SeverityInfo, Code: code, Cert: -1, Message: id + " message"}
}

// TestApplyChanges: a diff's verdict is its changes' alone, at their fixed
// severities, whatever the severity or code the finder gave them.
func TestApplyChanges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		changes []result.Problem
		status  result.Status
		code    result.Code
		detail  string
	}{
		{"no change", nil, result.StatusOK, 0, ""},
		{"renewed is info", []result.Problem{change(result.ProblemRenewed, 0)}, result.StatusOK, 0, ""},
		{"changed issuer warns", []result.Problem{change(result.ProblemChangedIssuer, 0), change(result.ProblemRenewed, 0)}, result.StatusWarn, 0, "changed-issuer message"},
		{"changed root fails", []result.Problem{change(result.ProblemChangedIssuer, 0), change(result.ProblemChangedRoot, result.CodeNoPath)}, result.StatusFail, 0, "changed-root message"},
		{"rollback fails", []result.Problem{change(result.ProblemLeafRollback, 0)}, result.StatusFail, 0, "leaf-rollback message"},
		{"key weaker fails", []result.Problem{change(result.ProblemKeyWeaker, 0)}, result.StatusFail, 0, "key-weaker message"},
		{"verdict worse carries the new code", []result.Problem{change(result.ProblemVerdictWorse, result.CodeExpired)}, result.StatusFail, result.CodeExpired, "verdict-worse message"},
		{"addresses warn", []result.Problem{change(result.ProblemAddressAdded, 0), change(result.ProblemAddressRemoved, 0), change(result.ProblemAddressDiffers, 0)}, result.StatusWarn, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result.Result{Target: "a", Status: result.StatusError, Code: result.CodeTCPRefused, Problems: []result.Problem{errP(result.ProblemTCPRefused, result.CodeTCPRefused)}}
			ApplyChanges(&r, tc.changes)
			if r.Status != tc.status || r.Code != tc.code {
				t.Errorf("status %s code %d, want %s %d", r.Status, r.Code, tc.status, tc.code)
			}
			if tc.detail != "" && r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
			if len(r.Problems) != len(tc.changes) {
				t.Errorf("problems %+v, want the %d changes alone", r.Problems, len(tc.changes))
			}
			for _, p := range r.Problems {
				if p.Severity != ChangeSeverity(p.ID) {
					t.Errorf("%s has severity %s, want %s", p.ID, p.Severity, ChangeSeverity(p.ID))
				}
			}
		})
	}
}

// TestAddChanges: check --baseline keeps the result's own verdict and
// code, and a change can only make it worse.
func TestAddChanges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		status   result.Status
		code     result.Code
		changes  []result.Problem
		want     result.Status
		wantCode result.Code
	}{
		{"ok stays ok with a renewal", result.StatusOK, 0, []result.Problem{change(result.ProblemRenewed, 0)}, result.StatusOK, 0},
		{"ok fails on a root change", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedRoot, 0)}, result.StatusFail, 0},
		{"warn fails on a rollback", result.StatusWarn, 0, []result.Problem{change(result.ProblemLeafRollback, 0)}, result.StatusFail, 0},
		{"fail keeps its code", result.StatusFail, result.CodeExpired, []result.Problem{change(result.ProblemChangedRoot, 0)}, result.StatusFail, result.CodeExpired},
		{"error stays error", result.StatusError, result.CodeTCPRefused, []result.Problem{change(result.ProblemAddressRemoved, 0)}, result.StatusError, result.CodeTCPRefused},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result.Result{Status: tc.status, Code: tc.code, Message: tc.code.Message(), Problems: []result.Problem{}}
			AddChanges(&r, tc.changes)
			if r.Status != tc.want || r.Code != tc.wantCode {
				t.Errorf("status %s code %d, want %s %d", r.Status, r.Code, tc.want, tc.wantCode)
			}
			if len(r.Problems) != len(tc.changes) {
				t.Errorf("problems %+v", r.Problems)
			}
		})
	}
}

// TestAddChangesOrder: a result's own problems come before its changes of
// the same severity.
func TestAddChangesOrder(t *testing.T) {
	r := result.Result{Status: result.StatusFail, Code: result.CodeExpired, Problems: []result.Problem{errP(result.ProblemExpired, result.CodeExpired)}}
	AddChanges(&r, []result.Problem{change(result.ProblemChangedRoot, 0)})
	if len(r.Problems) != 2 || r.Problems[0].ID != result.ProblemExpired || r.Problems[1].ID != result.ProblemChangedRoot {
		t.Errorf("problems %+v: want expired, then changed-root", r.Problems)
	}
}

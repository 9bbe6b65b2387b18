package decide

import (
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

func change(id string, code result.Code) result.Problem {
	return result.Problem{ID: id, Severity: result.SeverityInfo, Code: code, Cert: -1, Message: id + " message"}
}

// TestApplyChanges: a diff's result keeps the certificate's status and
// code; a change at warn or error makes an ok result warn, never worse.
func TestApplyChanges(t *testing.T) {
	for _, tc := range []struct {
		name    string
		status  result.Status
		code    result.Code
		changes []result.Problem
		want    result.Status
		detail  string
	}{
		{"no change", result.StatusOK, 0, nil, result.StatusOK, ""},
		{"renewed is info", result.StatusOK, 0, []result.Problem{change(result.ProblemRenewed, 0)}, result.StatusOK, ""},
		{"changed issuer warns", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedIssuer, 0), change(result.ProblemRenewed, 0)}, result.StatusWarn, "changed-issuer message"},
		{"changed root warns, code 0", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedIssuer, 0), change(result.ProblemChangedRoot, result.CodeNoPath)}, result.StatusWarn, "changed-root message"},
		{"rollback warns", result.StatusOK, 0, []result.Problem{change(result.ProblemLeafRollback, 0)}, result.StatusWarn, "leaf-rollback message"},
		{"a refused connection stays error", result.StatusError, result.CodeTCPRefused, []result.Problem{change(result.ProblemKeyWeaker, 0)}, result.StatusError, ""},
		{"an expired certificate stays fail", result.StatusFail, result.CodeExpired, []result.Problem{change(result.ProblemVerdictWorse, result.CodeExpired)}, result.StatusFail, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result.Result{Target: "a", Status: tc.status, Code: tc.code, Message: tc.code.Message(), Problems: []result.Problem{}}
			ApplyChanges(&r, tc.changes)
			if r.Status != tc.want || r.Code != tc.code {
				t.Errorf("status %s code %d, want %s %d", r.Status, r.Code, tc.want, tc.code)
			}
			if tc.detail != "" && r.Detail != tc.detail {
				t.Errorf("detail %q, want %q", r.Detail, tc.detail)
			}
			if (r.Code == 0) != (r.Status == result.StatusOK || r.Status == result.StatusWarn) && r.Status != result.StatusError {
				t.Errorf("status %s with code %d breaks SPEC", r.Status, r.Code)
			}
			if len(r.Problems) != len(tc.changes) {
				t.Errorf("problems %+v, want the %d changes", r.Problems, len(tc.changes))
			}
		})
	}
}

// TestAddChanges: check --baseline keeps the result's own verdict and
// code; a change makes an ok result warn at most.
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
		{"ok warns on a root change", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedRoot, 0)}, result.StatusWarn, 0},
		{"warn stays warn on a rollback", result.StatusWarn, 0, []result.Problem{change(result.ProblemLeafRollback, 0)}, result.StatusWarn, 0},
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

// TestVerdictWorseSeverity: verdict-worse is as severe as the new verdict:
// a warning when the result now warns, an error when it fails or errors.
func TestVerdictWorseSeverity(t *testing.T) {
	for _, tc := range []struct {
		status result.Status
		code   result.Code
		want   result.Severity
	}{
		{result.StatusWarn, 0, result.SeverityWarn},
		{result.StatusFail, result.CodeExpired, result.SeverityError},
		{result.StatusError, result.CodeTCPRefused, result.SeverityError},
	} {
		r := result.Result{Status: tc.status, Code: tc.code, Problems: []result.Problem{}}
		AddChanges(&r, []result.Problem{change(result.ProblemVerdictWorse, tc.code)})
		var got result.Severity
		for _, p := range r.Problems {
			if p.ID == result.ProblemVerdictWorse {
				got = p.Severity
			}
		}
		if got != tc.want {
			t.Errorf("verdict-worse to %s: severity %q, want %q", tc.status, got, tc.want)
		}
	}
}

// TestFailsOn: the exit status counts fail and error results and, at each
// level, the changes at or above it.
func TestFailsOn(t *testing.T) {
	for _, tc := range []struct {
		name            string
		status          result.Status
		code            result.Code
		changes         []result.Problem
		onError, onWarn bool
	}{
		{"ok", result.StatusOK, 0, nil, false, false},
		{"renewed", result.StatusOK, 0, []result.Problem{change(result.ProblemRenewed, 0)}, false, false},
		{"warn change", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedChain, 0)}, false, true},
		{"error change", result.StatusOK, 0, []result.Problem{change(result.ProblemChangedRoot, 0)}, true, true},
		{"verdict worse to warn", result.StatusWarn, 0, []result.Problem{change(result.ProblemVerdictWorse, 0)}, false, true},
		{"verdict worse to fail", result.StatusFail, result.CodeExpired, []result.Problem{change(result.ProblemVerdictWorse, result.CodeExpired)}, true, true},
		{"a failing certificate", result.StatusFail, result.CodeNoPath, nil, true, true},
		{"a warning", result.StatusWarn, 0, nil, false, true},
		// A target only in the baseline was not checked now: its recorded
		// verdict is history; only its removal (warn) counts.
		{"removed target that failed before", result.StatusFail, result.CodeNoPath, []result.Problem{change(result.ProblemTargetRemoved, 0)}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := result.Result{Status: tc.status, Code: tc.code, Problems: []result.Problem{}}
			AddChanges(&r, tc.changes)
			for level, want := range map[string]bool{"error": tc.onError, "warn": tc.onWarn, "never": false} {
				if got := FailsOn(&r, level); got != want {
					t.Errorf("FailsOn(%s) = %v, want %v (status %s, problems %+v)", level, got, want, r.Status, r.Problems)
				}
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

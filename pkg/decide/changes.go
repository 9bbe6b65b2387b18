package decide

import "github.com/certgate/certgate/pkg/result"

// changeIDs are the problem ids of a comparison with a baseline, with
// their fixed severities. They are facts about two runs, not about the
// certificates: they never change a store's verdict or the result's code.
var changeIDs = map[string]result.Severity{
	result.ProblemChangedRoot:    result.SeverityError,
	result.ProblemChangedIssuer:  result.SeverityWarn,
	result.ProblemChangedChain:   result.SeverityWarn,
	result.ProblemVerdictWorse:   result.SeverityError,
	result.ProblemKeyWeaker:      result.SeverityError,
	result.ProblemAddressDiffers: result.SeverityWarn,
	result.ProblemLeafRollback:   result.SeverityError,
	result.ProblemAddressAdded:   result.SeverityWarn,
	result.ProblemAddressRemoved: result.SeverityWarn,
	result.ProblemRenewed:        result.SeverityInfo,
	result.ProblemTargetAdded:    result.SeverityInfo,
	result.ProblemTargetRemoved:  result.SeverityWarn,
	// An expectation of certgate.yaml on the number of addresses is
	// judged the same way; the root and issuer pins are certificate errors.
	result.ProblemExpectAddresses: result.SeverityWarn,
}

// IsChange reports whether id is a change against a baseline (or an
// expectation judged like one).
func IsChange(id string) bool { _, ok := changeIDs[id]; return ok }

// ChangeSeverity is the fixed severity of a change id; info for an id that
// is not a change.
func ChangeSeverity(id string) result.Severity {
	if s, ok := changeIDs[id]; ok {
		return s
	}
	return result.SeverityInfo
}

// ApplyChanges writes r's Schema, Status, Code, Message, Detail and
// Problems for a comparison (certgate diff): the problems are the changes
// alone, at their fixed severities, and the status is theirs — fail for
// an error, warn for a warning, ok otherwise. The code is that of a
// verdict-worse change (the new result's code), else 0.
func ApplyChanges(r *result.Result, changes []result.Problem) {
	r.Schema = result.Schema
	if r.Chain == nil {
		r.Chain = []result.Cert{}
	}
	r.Problems = nil
	set(r, result.StatusOK, result.CodeNone, "")
	addChanges(r, changes)
}

// AddChanges adds the changes found against a baseline to a result Apply
// decided (check --baseline): the result keeps its own problems, code and
// trust, gains the changes at their fixed severities, and its status
// becomes the worse of its own and the changes'. A change that makes a
// passing result fail gives the detail.
func AddChanges(r *result.Result, changes []result.Problem) {
	addChanges(r, changes)
}

func addChanges(r *result.Result, changes []result.Problem) {
	if len(changes) == 0 {
		if r.Problems == nil {
			r.Problems = []result.Problem{}
		}
		return
	}
	ps := append([]result.Problem{}, r.Problems...)
	for _, c := range changes {
		c.Severity = ChangeSeverity(c.ID)
		if c.ID != result.ProblemVerdictWorse {
			c.Code = result.CodeNone
		}
		ps = append(ps, c)
	}
	r.Problems = sortProblems(dedupe(ps))
	status := result.StatusOK
	var worst result.Problem
	for _, p := range r.Problems {
		if !IsChange(p.ID) {
			continue
		}
		s := result.StatusOK
		switch p.Severity {
		case result.SeverityError:
			s = result.StatusFail
		case result.SeverityWarn:
			s = result.StatusWarn
		}
		if s.Rank() > status.Rank() {
			status, worst = s, p
		}
	}
	if status.Rank() <= r.Status.Rank() {
		return
	}
	code := r.Code
	if worst.ID == result.ProblemVerdictWorse && worst.Code != result.CodeNone {
		code = worst.Code
	}
	set(r, status, code, worst.Message)
}

// kindRank orders kinds in a problem list: certgate's own failure first,
// then the connection, the certificates, and changes against a baseline.
func kindRank(k Kind) int {
	switch k {
	case KindLocal:
		return 0
	case KindConnection:
		return 1
	case KindCertificate:
		return 2
	}
	return 3
}

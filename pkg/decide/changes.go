package decide

import "github.com/certgate/certgate/pkg/result"

// changeIDs are the problem ids of a comparison with a baseline, with
// their severities (verdict-worse's is the highest it takes; see
// VerdictWorseSeverity). They are facts about two runs, not about the
// certificates: they never change a store's verdict or the result's code,
// and never make a status worse than warn; FailsOn judges them.
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

// ChangeSeverity is the fixed severity of a change id (for verdict-worse,
// the highest it takes); info for an id that is not a change.
func ChangeSeverity(id string) result.Severity {
	if s, ok := changeIDs[id]; ok {
		return s
	}
	return result.SeverityInfo
}

// VerdictWorseSeverity is the severity of a verdict-worse change to the
// new status s: warn when the result now warns (a certificate entered
// --warn-days), error when it now fails or errors.
func VerdictWorseSeverity(s result.Status) result.Severity {
	if s.Rank() >= result.StatusFail.Rank() {
		return result.SeverityError
	}
	return result.SeverityWarn
}

// ApplyChanges judges a comparison (certgate diff) exactly as AddChanges
// judges check --baseline: r is the newer run's result as it was decided
// (for a target no longer checked, the baseline's), and keeps its own
// status, code, trust and problems.
func ApplyChanges(r *result.Result, changes []result.Problem) {
	r.Schema = result.Schema
	if r.Chain == nil {
		r.Chain = []result.Cert{}
	}
	addChanges(r, changes)
}

// AddChanges adds the changes found against a baseline to a result Apply
// decided (check --baseline, certgate diff): the result keeps its own
// problems, code, message and trust, as SPEC's status and code describe
// the certificates; the changes are problems at their severities
// (verdict-worse's follows r's status). A change at warn or error makes an
// ok result warn, with the change as its detail, and never makes a status
// worse than warn: whether an error change fails the run is FailsOn's
// judgement.
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
		if c.ID == result.ProblemVerdictWorse {
			c.Severity = VerdictWorseSeverity(r.Status)
		} else {
			c.Code = result.CodeNone
		}
		ps = append(ps, c)
	}
	r.Problems = sortProblems(dedupe(ps))
	if r.Status != result.StatusOK {
		return
	}
	for _, p := range r.Problems { // sorted: the first change at warn or above is the worst
		if IsChange(p.ID) && p.Severity != result.SeverityInfo {
			set(r, result.StatusWarn, result.CodeNone, p.Message)
			return
		}
	}
}

// FailsOn reports whether r makes the exit status 1 under --fail-on
// level: "error" counts fail and error results and any change against a
// baseline at error severity (a surprise CA switch, a rollback, a weaker
// key, a verdict that got worse to fail); "warn" counts warn results and
// changes at warn too; "never" counts nothing. A target only in the
// baseline (target-removed) was not checked this time: the verdict it
// carries is the baseline's, so only its changes count. Every command that
// exits on results asks it.
func FailsOn(r *result.Result, level string) bool {
	if level == "never" {
		return false
	}
	if r.Failed(level) && !hasProblem(r, result.ProblemTargetRemoved) {
		return true
	}
	min := result.SeverityError
	if level == "warn" {
		min = result.SeverityWarn
	}
	for _, p := range r.Problems {
		if IsChange(p.ID) && severityRank(p.Severity) >= severityRank(min) {
			return true
		}
	}
	return false
}

func severityRank(s result.Severity) int {
	switch s {
	case result.SeverityError:
		return 2
	case result.SeverityWarn:
		return 1
	}
	return 0
}

// kindRank orders kinds in a problem list: certgate's own failure first,
// then the connection, the certificates, the HTTP leg, and changes against
// a baseline.
func kindRank(k Kind) int {
	switch k {
	case KindLocal:
		return 0
	case KindConnection:
		return 1
	case KindCertificate:
		return 2
	case KindHTTP:
		return 3
	}
	return 4
}

// hasProblem reports whether r lists a problem with this id.
func hasProblem(r *result.Result, id string) bool {
	for _, p := range r.Problems {
		if p.ID == id {
			return true
		}
	}
	return false
}

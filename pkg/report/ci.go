package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// headline is the one-line statement of a result that is not ok: the code
// and its message for fail and error, "warning" for warn.
func headline(r *result.Result) string {
	if r.Code != result.CodeNone {
		msg := r.Message
		if msg == "" {
			msg = r.Code.Message()
		}
		return fmt.Sprintf("%d %s", r.Code, msg)
	}
	if r.Status == result.StatusWarn {
		return "warning"
	}
	return string(r.Status)
}

// problemLines lists the problems of a result at warn or error severity, one
// line each: "expired (error, 11236, certificate 0): message".
func problemLines(r *result.Result) []string { return problemLinesExcept(r, "") }

// detailLines is the body of an annotation or a test failure: the detail,
// then the problems whose message is not the detail, so that nothing is said
// twice.
func detailLines(r *result.Result) []string {
	var lines []string
	if r.Detail != "" {
		lines = append(lines, r.Detail)
	}
	return append(lines, problemLinesExcept(r, r.Detail)...)
}

// problemLinesExcept is problemLines without the problems whose message is
// skip; an empty skip leaves none out.
func problemLinesExcept(r *result.Result, skip string) []string {
	var lines []string
	for _, p := range r.Problems {
		if p.Severity == result.SeverityInfo || (skip != "" && p.Message == skip) {
			continue
		}
		where := []string{string(p.Severity)}
		if p.Code != result.CodeNone {
			where = append(where, fmt.Sprint(int(p.Code)))
		}
		if p.Cert >= 0 {
			where = append(where, fmt.Sprintf("certificate %d", p.Cert))
		}
		if p.Store != "" {
			where = append(where, "store "+p.Store)
		}
		lines = append(lines, fmt.Sprintf("%s (%s): %s", p.ID, strings.Join(where, ", "), p.Message))
	}
	return lines
}

// trustedRoot returns the root of the first store that trusts the chain, in
// the order of stores and then the other verdicts by name; "" when none does.
func trustedRoot(r *result.Result, stores []string) string {
	names := slices.Clone(stores)
	var rest []string
	for name := range r.Trust {
		if !slices.Contains(stores, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range append(names, rest...) {
		if v, ok := r.Trust[name]; ok && v.Trusted && v.Root != "" {
			return v.Root
		}
	}
	return ""
}

// targetName is the target as given, or "(empty target)" for an empty line,
// so that no test case or annotation is nameless.
func targetName(r *result.Result) string {
	if r.Target == "" {
		return "(empty target)"
	}
	return r.Target
}

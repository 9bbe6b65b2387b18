package decide

import (
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// AddressOutcome is a target's result at one address of its host name, as
// Apply decided it, with its Address set.
type AddressOutcome struct {
	// Result is the verdict at this address alone.
	Result result.Result
	// Unreached is true when the address could not be reached from this
	// machine at all (no route to its network). It is listed, but counts
	// towards the verdict only when no address was reached.
	Unreached bool
}

// Worse reports whether a is a worse verdict than b: a higher status
// (error > fail > warn > ok), then, between two failures, the certificate
// code of higher precedence (11237 > 11236 > 11235).
func Worse(a, b *result.Result) bool {
	if a.Status.Rank() != b.Status.Rank() {
		return a.Status.Rank() > b.Status.Rank()
	}
	return a.Status == result.StatusFail && a.Code.Precedence() < b.Code.Precedence()
}

// Worst returns the index of the worst of rs (the first of equals), or -1
// when rs is empty.
func Worst(rs []result.Result) int {
	w := -1
	for i := range rs {
		if w < 0 || Worse(&rs[i], &rs[w]) {
			w = i
		}
	}
	return w
}

// Combine makes one target's result from its outcomes at every address,
// in the order given (at least one). The result is the worst counted
// address's own, fields and verdict alike, with addresses listing them all.
// When the counted addresses do not all share one verdict, its detail
// names the addresses of the worst verdict and what the others do. An
// address not reached while another was gets an address-not-reached note.
func Combine(outs []AddressOutcome) result.Result {
	var counted []int
	for i, o := range outs {
		if !o.Unreached {
			counted = append(counted, i)
		}
	}
	if len(counted) == 0 {
		for i := range outs {
			counted = append(counted, i)
		}
	}
	w := counted[0]
	for _, i := range counted[1:] {
		if Worse(&outs[i].Result, &outs[w].Result) {
			w = i
		}
	}
	r := outs[w].Result
	r.Addresses = make([]result.AddressResult, len(outs))
	for i, o := range outs {
		a := result.AddressResult{Address: o.Result.Address, Status: o.Result.Status, Code: o.Result.Code, DurationMS: o.Result.DurationMS}
		if len(o.Result.Chain) > 0 {
			a.LeafSHA256 = o.Result.Chain[0].SHA256
		}
		r.Addresses[i] = a
	}
	r.Problems = append([]result.Problem{}, r.Problems...)

	// Group the counted addresses by verdict, the worst's group first and
	// the others in the order their first address comes.
	type group struct {
		status result.Status
		code   result.Code
		addrs  []string
	}
	var groups []*group
	find := func(o *result.Result) *group {
		for _, g := range groups {
			if g.status == o.Status && g.code == o.Code {
				return g
			}
		}
		g := &group{status: o.Status, code: o.Code}
		groups = append(groups, g)
		return g
	}
	find(&outs[w].Result)
	for _, i := range counted {
		g := find(&outs[i].Result)
		g.addrs = append(g.addrs, outs[i].Result.Address)
	}
	if len(groups) > 1 {
		worst := groups[0]
		var others []string
		for _, g := range groups[1:] {
			others = append(others, list(g.addrs)+" "+verdictPhrase(g.status, g.code, len(g.addrs)))
		}
		prefix := fmt.Sprintf("%d of %d addresses, %s, %s, while %s", len(worst.addrs), len(counted),
			list(worst.addrs), verdictPhrase(worst.status, worst.code, len(worst.addrs)), strings.Join(others, "; "))
		if r.Detail == "" {
			r.Detail = prefix
		} else {
			r.Detail = prefix + ": " + r.Detail
		}
	}

	if len(counted) < len(outs) {
		var missed []string
		for _, o := range outs {
			if o.Unreached {
				missed = append(missed, o.Result.Address)
			}
		}
		r.Problems = sortProblems(append(r.Problems, result.Problem{ID: result.ProblemAddressNotReached, Severity: result.SeverityInfo, Cert: -1,
			Message: fmt.Sprintf("%s could not be reached from this machine (no route to %s network) and %s not counted: check this machine's connectivity, or use --first-address",
				list(missed), pluralWord(len(missed), "its", "their"), pluralWord(len(missed), "is", "are"))}))
	}
	return r
}

// list joins items for a sentence: "a", "a and b", "a, b and c".
func list(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// verdictPhrase says what n addresses with a verdict do: "passes", "fail
// with code 11236".
func verdictPhrase(s result.Status, c result.Code, n int) string {
	switch s {
	case result.StatusOK:
		return pluralWord(n, "passes", "pass")
	case result.StatusWarn:
		return pluralWord(n, "passes", "pass") + " with a warning"
	case result.StatusFail:
		return fmt.Sprintf("%s with code %d", pluralWord(n, "fails", "fail"), c)
	}
	if c == result.CodeNone {
		return "could not be checked"
	}
	return fmt.Sprintf("could not be checked (code %d)", c)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

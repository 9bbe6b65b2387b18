package verify

import (
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// rootUse is one store root that a store's path ends at, with the stores
// whose path ends there.
type rootUse struct {
	root   *truststore.Root
	path   []*x509.Certificate
	stores []string
}

// lifecycleProblems warns about what will happen to the roots the chain
// ends at, for every store that has a path to one (judgements of stores
// that reject the chain by policy carry no path and are left out):
//
//   - root-expiring: the root expires within opts.WarnDays of opts.At (a
//     root already expired is an error of timeProblems, not a warning);
//   - root-distrust-scheduled: the root has a distrust-after date after
//     opts.At, so certificates issued after it will not be trusted.
//
// A root held by several stores gives one warning naming them all. Check
// keeps one problem per id and certificate, so each id gives one problem
// that names every root concerned.
func lifecycleProblems(certs []*x509.Certificate, judgements []*storeJudgement, opts Options) []result.Problem {
	var uses []*rootUse
	for _, j := range judgements {
		if j.path == nil || j.root == nil || j.root.Certificate() == nil {
			continue
		}
		var u *rootUse
		for _, x := range uses {
			if x.root.SHA256 == j.root.SHA256 {
				u = x
			}
		}
		if u == nil {
			u = &rootUse{root: j.root, path: j.path}
			uses = append(uses, u)
		}
		u.stores = append(u.stores, j.store.Name)
	}

	var expiring, scheduled []string
	var expCert, schedCert []int
	var expStores, schedStores []string
	for _, u := range uses {
		c := u.root.Certificate()
		if opts.WarnDays > 0 && !opts.At.After(c.NotAfter) &&
			!c.NotAfter.After(warnLimit(opts)) {
			expiring = append(expiring, fmt.Sprintf("root %q of %s, which expires on %s (in %s, within --warn-days %d)",
				u.root.Name, decide.StoresPhrase(u.stores), c.NotAfter.UTC().Format(time.RFC3339), span(opts.At, c.NotAfter), opts.WarnDays))
			expCert = append(expCert, presentedIndex(certs, c))
			expStores = append(expStores, u.stores...)
		}
		for _, rule := range u.root.Rules {
			cutoff := rule.Cutoff(u.path)
			if cutoff.IsZero() || !cutoff.After(opts.At) {
				continue
			}
			scheduled = append(scheduled, fmt.Sprintf("root %q of %s, which %s distrusts for certificates issued after %s (in %s)",
				u.root.Name, decide.StoresPhrase(u.stores), rule.Name, cutoff.UTC().Format(time.RFC3339), span(opts.At, cutoff)))
			schedCert = append(schedCert, presentedIndex(certs, c))
			schedStores = append(schedStores, u.stores...)
		}
	}

	var ps []result.Problem
	if len(expiring) > 0 {
		ps = append(ps, result.Problem{ID: result.ProblemRootExpiring, Severity: result.SeverityWarn,
			Cert: oneIndex(expCert), Store: oneStore(expStores),
			Message: "the chain ends at " + strings.Join(expiring, "; and at ") +
				": when it expires the chain fails; ask your CA for a chain that ends at a newer root and deploy it"})
	}
	if len(scheduled) > 0 {
		ps = append(ps, result.Problem{ID: result.ProblemRootDistrustScheduled, Severity: result.SeverityWarn,
			Cert: oneIndex(schedCert), Store: oneStore(schedStores),
			Message: "the chain ends at " + strings.Join(scheduled, "; and at ") +
				": this certificate passes, but one issued after that date will not; renew with a CA whose root the store keeps trusting"})
	}
	return ps
}

// oneIndex is the presented index when every entry names the same one,
// else -1.
func oneIndex(idx []int) int {
	for _, i := range idx[1:] {
		if i != idx[0] {
			return -1
		}
	}
	return idx[0]
}

// oneStore is the store name when exactly one store is concerned, else "".
func oneStore(stores []string) string {
	for _, s := range stores[1:] {
		if s != stores[0] {
			return ""
		}
	}
	return stores[0]
}

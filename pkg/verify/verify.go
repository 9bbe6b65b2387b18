// Package verify judges a presented certificate chain the way a strict HTTPS
// client does, against each selected trust store separately. It asks three
// questions one at a time — does a path to a root exist, is every
// certificate of it valid at the validation time, does the leaf match the
// host — so the primary code follows the SPEC precedence 11237 > 11236 >
// 11235, and it lists every problem it finds. It never prints and never reads
// the clock: the validation time is an input.
package verify

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// Options controls one validation.
type Options struct {
	// At is the validation time. It must be set.
	At time.Time
	// WarnDays warns when a certificate of the chain expires within this many
	// days of At.
	WarnDays int
	// Host is the DNS name or IP address the leaf must be valid for.
	Host string
	// SkipHostname skips the name check (verify without --host); a warning
	// says so.
	SkipHostname bool
	// Intermediates are extra certificates a path may go through that the
	// server does not send (verify --intermediates): they name the
	// intermediates missing from the chain, and never make it pass.
	Intermediates []*x509.Certificate
	// WebPKI also applies the Web PKI rules crypto/x509 skips (webpki.go)
	// and reports their defects as warnings.
	WebPKI bool
	// RSAKeyExchange says the handshake used TLS 1.2 RSA key exchange, so
	// the leaf's key encrypts the premaster secret instead of signing: a
	// client model that requires digitalSignature in the leaf's keyUsage
	// (the JDK's) does not ask for it then.
	RSAKeyExchange bool
}

// Outcome is what the validator found about one chain: the facts a
// result's verdict is made from (by decide.Apply), never the verdict.
type Outcome struct {
	// Chain summarises the certificates as presented.
	Chain []result.Cert
	// Facts holds the problems about the chain and each store's findings.
	Facts decide.Facts
}

// Result returns the result these facts alone give: the chain, and the
// verdict decide.Apply makes.
func (o Outcome) Result() result.Result {
	r := result.Result{Chain: o.Chain}
	decide.Apply(&r, o.Facts)
	return r
}

// storeJudgement is one store's view of the chain.
type storeJudgement struct {
	store    *truststore.Store
	path     []*x509.Certificate // chosen path, leaf first, root last; nil if none
	root     *truststore.Root
	code     result.Code      // the store's verdict, from decide.StoreCode
	problems []result.Problem // path and time problems, severity error
	pathErr  error            // what crypto/x509 said when it found no path
	timeOnly bool             // no path was found only because of validity times
}

// Check validates certs (leaf first, as presented) for opts.Host at opts.At
// against every store and returns what it found. It never fails and never
// decides: a missing chain is a problem like any other, and decide.Apply
// makes the verdict.
func Check(certs []*x509.Certificate, stores []*truststore.Store, opts Options) Outcome {
	out := Outcome{Chain: Summarize(certs)}
	f := &out.Facts
	f.Presented = len(certs)
	f.Problems = []result.Problem{}
	if len(certs) == 0 {
		f.Problems = append(f.Problems, result.Problem{ID: result.ProblemNoCertificate, Severity: result.SeverityError,
			Code: result.CodeNoPath, Cert: -1, Message: "no certificate was presented: configure the server with its certificate chain"})
		for _, s := range stores {
			f.Stores = append(f.Stores, decide.Store{Name: s.Name, Version: s.Version})
		}
		return out
	}
	f.ChainNotAfter = earliestNotAfter(certs)
	leaf := certs[0]
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}

	nameProblems := checkName(leaf, opts)

	judgements := make([]*storeJudgement, 0, len(stores))
	for _, s := range stores {
		judgements = append(judgements, judge(certs, inter, s, opts))
	}
	mergeStoreProblems(certs, judgements)
	nameProblems = clientNames(leaf, judgements, nameProblems, opts)

	// The store closest to passing gives the path the chain's shape and
	// Web PKI rules are checked on (decide.Apply picks the same store).
	best := -1
	for i, j := range judgements {
		// A path exists, time aside, when one was built or when only the
		// validity of its certificates stood in the way.
		st := decide.Store{Name: j.store.Name, Version: j.store.Version, Path: j.path != nil || j.timeOnly, Problems: j.problems}
		if j.root != nil {
			st.Root, st.RootSHA256 = j.root.Name, j.root.SHA256
		}
		if j.path != nil {
			st.PathNotAfter = earliestNotAfter(j.path)
		}
		f.Stores = append(f.Stores, st)
		// The name check is the one shared error known yet; decide.Apply
		// judges with every shared problem.
		j.code = decide.StoreCode(st, nameProblems)
		if best < 0 || closer(j.code, judgements[best].code) {
			best = i
		}
	}

	var problems []result.Problem
	if best < 0 || judgements[best].path == nil {
		// No path: still report the time of every presented certificate.
		problems = append(problems, timeProblems(certs, nil, opts.At, "")...)
	}
	problems = append(problems, nameProblems...)
	problems = append(problems, soonProblems(certs, opts)...)
	problems = append(problems, shapeProblems(certs, judgements, best, opts)...)
	problems = append(problems, webPKIProblems(certs, judgements, best, opts)...)
	problems = append(problems, lifecycleProblems(certs, judgements, opts)...)
	problems = append(problems, anchorProblems(certs, judgements)...)
	f.Problems = append(f.Problems, problems...)
	return out
}

// mergeStoreProblems gives stores that found no path for the same reason
// (same problem id, same certificate) one problem that names them all,
// instead of one copy per store naming only its own.
func mergeStoreProblems(certs []*x509.Certificate, js []*storeJudgement) {
	type key struct {
		id   string
		cert int
	}
	groups := map[key][]*storeJudgement{}
	var order []key
	for _, j := range js {
		if j.pathErr == nil || len(j.problems) != 1 || j.problems[0].Code != result.CodeNoPath {
			continue
		}
		k := key{j.problems[0].ID, j.problems[0].Cert}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], j)
	}
	for _, k := range order {
		g := groups[k]
		if len(g) < 2 {
			continue
		}
		names := make([]string, len(g))
		for i, j := range g {
			names[i] = j.store.Name
		}
		p := pathProblem(certs, g[0].store, names, g[0].pathErr)
		for _, j := range g {
			j.problems[0] = p
		}
	}
}

// anchorProblems warns when every path found ends at a certificate that is
// not a root: an intermediate given as a trust anchor (--ca-file, a
// --store file) makes a chain pass here that lacks the intermediates a
// real client needs to reach the root. One warning names every store and
// anchor concerned.
func anchorProblems(certs []*x509.Certificate, js []*storeJudgement) []result.Problem {
	var parts, stores []string
	idx := -2
	for _, j := range js {
		if j.path == nil {
			continue
		}
		anchor := j.path[len(j.path)-1]
		if bytes.Equal(anchor.RawIssuer, anchor.RawSubject) {
			return nil // some path reaches a real root
		}
		parts = append(parts, fmt.Sprintf("the %s store holds %q, which is not a root (it is issued by %q)", j.store.Name, displayName(anchor), issuerName(anchor)))
		stores = append(stores, j.store.Name)
		if i := presentedIndex(certs, anchor); idx == -2 || idx == i {
			idx = i
		} else {
			idx = -1
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return []result.Problem{{ID: result.ProblemIntermediateAsRoot, Severity: result.SeverityWarn, Cert: idx, Store: oneStore(stores),
		Message: strings.Join(parts, "; ") + ": the chain passes only because an intermediate is trusted as an anchor; clients that trust the root need the server to send every intermediate up to it, so give the root as the trust anchor and check the chain again"}}
}

// earliestNotAfter is the earliest notAfter among certs.
func earliestNotAfter(certs []*x509.Certificate) time.Time {
	var t time.Time
	for _, c := range certs {
		if t.IsZero() || c.NotAfter.Before(t) {
			t = c.NotAfter
		}
	}
	return t
}

// closer reports whether a store verdict with code a is closer to passing
// than one with code b: 0, then 11235, 11236, 11237.
func closer(a, b result.Code) bool {
	return a.Precedence() > b.Precedence()
}

func hasError(ps []result.Problem) bool {
	for _, p := range ps {
		if p.Severity == result.SeverityError {
			return true
		}
	}
	return false
}

// judge answers the path and time questions for one store.
func judge(certs []*x509.Certificate, inter *x509.CertPool, s *truststore.Store, opts Options) *storeJudgement {
	j := &storeJudgement{store: s}
	model, hasModel := ModelFor(s.Name)
	vo := x509.VerifyOptions{
		Roots:         s.PoolFor(certs), // always explicit: never the platform verifier; only the roots certs can reach
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if hasModel && model.EKULeafOnly {
		// The client checks extendedKeyUsage on the leaf only
		// (pathProblems), not the nesting crypto/x509 requires of CAs.
		vo.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageAny}
	}
	var firstErr error
	var chains [][]*x509.Certificate
	for _, t := range append(candidateTimes(certs, opts.At), anchorTimes(certs, s, opts.At)...) {
		vo.CurrentTime = t
		cs, err := verifyLeaf(certs, s, vo) // leaf.Verify(vo), remembered (cache.go)
		if err == nil {
			chains = cs
			break
		}
		if firstErr == nil || isExpiry(firstErr) {
			firstErr = err
		}
	}
	if chains == nil {
		p := pathProblem(certs, s, []string{s.Name}, firstErr)
		j.timeOnly = p.Code == result.CodeExpired
		j.pathErr = firstErr
		if p.Code == result.CodeExpired {
			// No time fits every certificate at once (a leaf that expired
			// before its intermediate was issued): name what is outside
			// its validity at the validation time, not at the time tried.
			if tp := timeProblems(certs, nil, opts.At, s.Name); len(tp) > 0 {
				j.problems = append(j.problems, tp...)
				return j
			}
		}
		j.problems = append(j.problems, p)
		return j
	}

	// The store's own policy (distrust-after dates, name constraints).
	var allowed [][]*x509.Certificate
	var perr *truststore.PolicyError
	for _, c := range chains {
		if e := s.CheckPolicy(c); e != nil {
			if perr == nil {
				perr = e
			}
			continue
		}
		allowed = append(allowed, c)
	}
	if len(allowed) == 0 {
		j.root = perr.Root
		j.problems = append(j.problems, result.Problem{ID: result.ProblemDistrustedRoot, Severity: result.SeverityError,
			Code: result.CodeNoPath, Cert: -1, Store: s.Name,
			Message: fmt.Sprintf("the %s store distrusts root %q for this certificate: %s; reissue the certificate from a CA the store trusts", s.Name, perr.Root.Name, perr.Reason)})
		return j
	}

	// Prefer the path with the fewest certificates outside their validity,
	// then the shortest.
	var bestTP []result.Problem
	for _, c := range allowed {
		tp := timeProblems(certs, c, opts.At, s.Name)
		if hasModel && model.IgnoreAnchorValidity {
			tp = anchorTimeIgnored(tp)
		}
		if j.path == nil || len(tp) < len(bestTP) || len(tp) == len(bestTP) && len(c) < len(j.path) {
			j.path, bestTP = c, tp
		}
	}
	j.root = s.Lookup(j.path[len(j.path)-1])
	j.problems = append(j.problems, bestTP...)
	if hasModel {
		if model.IgnoreAnchorValidity {
			j.problems = append(j.problems, anchorValidityNote(certs, j.path, opts.At, s.Name, model)...)
		}
		j.problems = append(j.problems, model.pathProblems(certs, j.path, s, opts.Host, opts.RSAKeyExchange)...)
	}
	return j
}

func isExpiry(err error) bool {
	var ce x509.CertificateInvalidError
	return errors.As(err, &ce) && ce.Reason == x509.Expired
}

// candidateTimes are the times at which to look for a path: the validation
// time first, then times inside the presented certificates' validity, so a
// path is found "name and time aside" and expiry is reported as such.
func candidateTimes(certs []*x509.Certificate, at time.Time) []time.Time {
	ts := []time.Time{at}
	add := func(t time.Time) {
		for _, u := range ts {
			if u.Equal(t) {
				return
			}
		}
		ts = append(ts, t)
	}
	lo, hi := certs[0].NotBefore, certs[0].NotAfter
	for _, c := range certs[1:] {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	if !lo.After(hi) {
		add(clamp(at, lo, hi))
		add(lo.Add(hi.Sub(lo) / 2))
	}
	leaf := certs[0]
	add(clamp(at, leaf.NotBefore, leaf.NotAfter))
	add(leaf.NotBefore.Add(leaf.NotAfter.Sub(leaf.NotBefore) / 2))
	return ts
}

func clamp(t, lo, hi time.Time) time.Time {
	if t.Before(lo) {
		return lo
	}
	if t.After(hi) {
		return hi
	}
	return t
}

// presentedIndex returns the index of c among the presented certificates,
// or -1 when it was not presented (a root from the store).
func presentedIndex(certs []*x509.Certificate, c *x509.Certificate) int {
	for i, p := range certs {
		if p.Equal(c) {
			return i
		}
	}
	return -1
}

// timeProblems lists the certificates of path (or of the presented chain
// when path is nil) that are outside their validity at at.
func timeProblems(certs, path []*x509.Certificate, at time.Time, store string) []result.Problem {
	var ps []result.Problem
	list := path
	if list == nil {
		list = certs
	}
	for k, c := range list {
		idx := presentedIndex(certs, c)
		role := roleName(k, len(list), c)
		p := result.Problem{Code: result.CodeExpired, Severity: result.SeverityError, Cert: idx}
		if idx < 0 {
			p.Store = store
		}
		switch {
		case at.After(c.NotAfter):
			p.ID = result.ProblemExpired
			p.Message = fmt.Sprintf("%s expired %s (not after %s); %s", role, ago(c.NotAfter, at),
				c.NotAfter.UTC().Format(time.RFC3339), renewHint(k, idx))
		case at.Before(c.NotBefore):
			p.ID = result.ProblemNotYetValid
			p.Message = fmt.Sprintf("%s is not valid until %s (%s from the validation time); check the server's and the issuer's clocks, or wait",
				role, c.NotBefore.UTC().Format(time.RFC3339), span(at, c.NotBefore))
		default:
			continue
		}
		ps = append(ps, p)
	}
	return ps
}

func renewHint(k, idx int) string {
	switch {
	case k == 0:
		return "renew it and deploy the new certificate with its full chain"
	case idx < 0:
		return "the trust store's root has expired: move to a chain that ends at a current root"
	default:
		return "replace it with the issuer's current intermediate in the chain the server sends"
	}
}

func roleName(k, n int, c *x509.Certificate) string {
	name := displayName(c)
	switch {
	case k == 0:
		return fmt.Sprintf("leaf certificate %q", name)
	case k == n-1 && n > 1 && bytes.Equal(c.RawIssuer, c.RawSubject):
		return fmt.Sprintf("root certificate %q", name)
	default:
		return fmt.Sprintf("intermediate certificate %q", name)
	}
}

// displayName is a short name for a certificate: its CN, else its subject.
func displayName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.Subject.OrganizationalUnit) > 0 {
		return c.Subject.OrganizationalUnit[0]
	}
	if s := c.Subject.String(); s != "" {
		return s
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return "(no subject)"
}

// span says how far apart two times are, in days, hours or minutes. It
// counts seconds, never a time.Duration, which cannot hold more than 292
// years: certificates valid from year 1 to 9999 are real.
func span(a, b time.Time) string {
	secs := b.Unix() - a.Unix()
	if secs < 0 {
		secs = -secs
	}
	switch n := secs / 86400; {
	case n >= 2:
		return fmt.Sprintf("%d days", n)
	case n == 1:
		return "1 day"
	case secs >= 2*3600:
		return fmt.Sprintf("%d hours", secs/3600)
	default:
		return fmt.Sprintf("%d minutes", secs/60)
	}
}

func ago(then, now time.Time) string { return span(then, now) + " ago" }

// warnLimit is --warn-days after the validation time, by the calendar: a
// time.Duration would overflow past 292 years and warn about nothing.
func warnLimit(opts Options) time.Time {
	return opts.At.AddDate(0, 0, opts.WarnDays)
}

// soonProblems warns about presented certificates that expire within
// WarnDays of At (and are valid now).
func soonProblems(certs []*x509.Certificate, opts Options) []result.Problem {
	if opts.WarnDays <= 0 {
		return nil
	}
	limit := warnLimit(opts)
	var ps []result.Problem
	for i, c := range certs {
		if opts.At.After(c.NotAfter) || opts.At.Before(c.NotBefore) || c.NotAfter.After(limit) {
			continue
		}
		role := roleName(i, len(certs), c)
		ps = append(ps, result.Problem{ID: result.ProblemExpiresSoon, Severity: result.SeverityWarn, Cert: i,
			Message: fmt.Sprintf("%s expires in %s (not after %s), within --warn-days %d; renew it before then",
				role, span(opts.At, c.NotAfter), c.NotAfter.UTC().Format(time.RFC3339), opts.WarnDays)})
	}
	return ps
}

// checkName answers the name question: does the leaf's subjectAltName cover
// the host (RFC 6125; a CN without SAN does not count)?
func checkName(leaf *x509.Certificate, opts Options) []result.Problem {
	if opts.SkipHostname || opts.Host == "" {
		return []result.Problem{{ID: result.ProblemNoHostname, Severity: result.SeverityWarn, Cert: 0,
			Message: "no host name given, so the name check was skipped: pass --host NAME to check the name a client will use"}}
	}
	err := leaf.VerifyHostname(opts.Host)
	if err == nil {
		return nil
	}
	names := append([]string{}, leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	var msg string
	switch {
	case len(names) == 0 && leaf.Subject.CommonName != "":
		msg = fmt.Sprintf("the leaf certificate has no subjectAltName; its CN %q is ignored by strict clients, so it is not valid for %s: reissue it with %s in the subjectAltName",
			leaf.Subject.CommonName, opts.Host, opts.Host)
	case len(names) == 0:
		msg = fmt.Sprintf("the leaf certificate names no host at all, so it is not valid for %s: reissue it with %s in the subjectAltName", opts.Host, opts.Host)
	default:
		msg = fmt.Sprintf("the leaf certificate is valid for %s, not %s: reissue it with %s in the subjectAltName, or use the host name it was issued for",
			listNames(names), opts.Host, opts.Host)
		if w := wildcardNote(leaf.DNSNames, opts.Host); w != "" {
			msg += " (" + w + ")"
		}
	}
	return []result.Problem{{ID: result.ProblemHostnameMismatch, Severity: result.SeverityError, Code: result.CodeDomainMismatch, Cert: 0, Message: msg}}
}

// listNames joins a certificate's names for a message: the first eight,
// then how many more.
func listNames(names []string) string {
	shown := names
	if len(shown) > 8 {
		shown = append(shown[:8:8], fmt.Sprintf("and %d more", len(names)-8))
	}
	return strings.Join(shown, ", ")
}

// wildcardNote explains a wildcard that covers a parent but not the host,
// because a wildcard matches exactly one label.
func wildcardNote(names []string, host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, n := range names {
		n = strings.ToLower(n)
		if strings.HasPrefix(n, "*.") && strings.HasSuffix(h, n[1:]) && strings.Count(h, ".") > strings.Count(n, ".") {
			return fmt.Sprintf("a wildcard %s covers exactly one label, not %s", n, h)
		}
	}
	return ""
}

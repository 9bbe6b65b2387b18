package verify

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// shapeProblems judges the shape of the presented chain against the path a
// client builds: the order, duplicates, certificates unrelated to the path,
// the root sent along, and intermediates that are missing (named from
// opts.Intermediates when they are there). Order, duplicates and unrelated
// certificates are warnings: strict clients still build the path, but other
// clients (and the next renewal script) may not.
func shapeProblems(certs []*x509.Certificate, js []*storeJudgement, best int, opts Options) []result.Problem {
	var ps []result.Problem
	path, store := shapePath(certs, js, best, opts)
	known := path != nil // a complete path to a store root is known
	if path == nil {
		path = walkPath(certs)
	}

	// Duplicates.
	firstAt := map[int]int{}
	for i := range certs {
		firstAt[i] = i
		for k := 0; k < i; k++ {
			if certs[k].Equal(certs[i]) {
				firstAt[i] = firstAt[k]
				ps = append(ps, result.Problem{ID: result.ProblemChainDuplicate, Severity: result.SeverityWarn, Cert: i,
					Message: fmt.Sprintf("certificate %d %q is a copy of certificate %d: remove the copy from the bundle", i+1, displayName(certs[i]), k+1)})
				break
			}
		}
	}

	// The leaf must come first: a client takes the first certificate as the
	// server's own.
	for i := 1; i < len(certs); i++ {
		c := certs[i]
		if certs[0].IsCA && !c.IsCA && bytes.Equal(c.RawIssuer, certs[0].RawSubject) && checkSignatureFrom(c, certs[0]) == nil {
			ps = append(ps, result.Problem{ID: result.ProblemChainLeafNotFirst, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: i,
				Message: fmt.Sprintf("the bundle starts with CA certificate %q, but the server certificate %q is certificate %d: put the server certificate first, then its issuers",
					displayName(certs[0]), displayName(c), i+1)})
			return ps
		}
	}

	// Where each certificate of the path was presented.
	onPath := map[int]bool{}
	var pos []int
	var missing []int // indexes into path
	for k, c := range path {
		idx := presentedIndex(certs, c)
		if idx >= 0 {
			onPath[idx] = true
			for i := range certs {
				if certs[i].Equal(c) {
					onPath[i] = true
				}
			}
		}
		last := k == len(path)-1 && k > 0
		if last && isAnchor(c, store) {
			if idx > 0 {
				ps = append(ps, result.Problem{ID: result.ProblemChainRootIncluded, Severity: result.SeverityInfo, Cert: idx,
					Message: fmt.Sprintf("certificate %d is the root %q: clients use their own copy of the root, so you may drop it from the bundle", idx+1, displayName(c))})
			}
			continue
		}
		if idx < 0 {
			missing = append(missing, k)
			continue
		}
		pos = append(pos, idx)
	}

	// Order: the path's certificates must appear leaf, issuer, issuer's
	// issuer, … in the bundle.
	for k := 1; k < len(pos); k++ {
		if pos[k] < pos[k-1] {
			var names []string
			for _, c := range path {
				if presentedIndex(certs, c) >= 0 && !(isAnchor(c, store) && c != path[0]) {
					names = append(names, fmt.Sprintf("%q", displayName(c)))
				}
			}
			ps = append(ps, result.Problem{ID: result.ProblemChainOrder, Severity: result.SeverityWarn, Cert: pos[k],
				Message: fmt.Sprintf("the bundle is out of order: certificate %d %q comes after the certificate it issued; order it leaf first, each certificate followed by its issuer: %s",
					pos[k]+1, displayName(certs[pos[k]]), strings.Join(names, ", "))})
			break
		}
	}

	// Unrelated certificates, only when the whole path is known.
	if known {
		for i := 1; i < len(certs); i++ {
			if onPath[i] || firstAt[i] != i || crossSignOf(certs[i], path) {
				continue
			}
			ps = append(ps, result.Problem{ID: result.ProblemChainUnrelated, Severity: result.SeverityWarn, Cert: i,
				Message: fmt.Sprintf("certificate %d %q is not part of the path from the leaf to the root: remove it from the bundle", i+1, displayName(certs[i]))})
		}
	}

	// Missing intermediates: known only when the path came from
	// --intermediates (else the path problem already says the issuer is not
	// sent).
	if known && len(missing) > 0 {
		// One problem for all of them (problems are unique by id and
		// certificate), saying where each goes.
		var parts []string
		for _, k := range missing {
			parts = append(parts, fmt.Sprintf("%q right after %q", displayName(path[k]), displayName(path[k-1])))
		}
		what := fmt.Sprintf("intermediate %q (the issuer of %q)", displayName(path[missing[0]]), displayName(path[missing[0]-1]))
		if len(missing) > 1 {
			what = fmt.Sprintf("%d intermediates of the path", len(missing))
		}
		ps = append(ps, result.Problem{ID: result.ProblemChainMissingIntermediate, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1,
			Message: fmt.Sprintf("the bundle lacks %s, found among the extra intermediates: add %s, or write the fixed bundle with --fix-chain",
				what, strings.Join(parts, ", then "))})
	}
	return ps
}

// crossSignOf reports whether c has the subject and key of a certificate of
// path: another issuance (a cross-signature) of a CA on the path, which
// servers send on purpose for older clients.
func crossSignOf(c *x509.Certificate, path []*x509.Certificate) bool {
	for _, p := range path {
		if bytes.Equal(c.RawSubject, p.RawSubject) && bytes.Equal(c.RawSubjectPublicKeyInfo, p.RawSubjectPublicKeyInfo) {
			return true
		}
	}
	return false
}

// isAnchor reports whether c ends a path: a root of the store, or any
// self-signed certificate when the store is unknown.
func isAnchor(c *x509.Certificate, s *truststore.Store) bool {
	if s != nil && s.Lookup(c) != nil {
		return true
	}
	return bytes.Equal(c.RawIssuer, c.RawSubject) && isSelfSigned(c)
}

// shapePath is the path to judge the shape against: the best store's path
// through the presented certificates, else one through them and
// opts.Intermediates. nil when no path is known.
func shapePath(certs []*x509.Certificate, js []*storeJudgement, best int, opts Options) ([]*x509.Certificate, *truststore.Store) {
	if best >= 0 && js[best].path != nil {
		return js[best].path, js[best].store
	}
	if len(opts.Intermediates) == 0 {
		return nil, nil
	}
	for _, j := range js {
		if p := buildPath(certs, opts.Intermediates, j.store, opts.At); p != nil {
			return p, j.store
		}
	}
	return nil, nil
}

// buildPath finds a path from certs[0] to a root of s through certs[1:] and
// extra, preferring one valid at at, then the shortest. nil if none.
func buildPath(certs, extra []*x509.Certificate, s *truststore.Store, at time.Time) []*x509.Certificate {
	pool := x509.NewCertPool()
	for _, c := range certs[1:] {
		pool.AddCert(c)
	}
	for _, c := range extra {
		pool.AddCert(c)
	}
	all := append(append([]*x509.Certificate{}, certs...), extra...)
	vo := x509.VerifyOptions{Roots: s.PoolFor(certs, extra), Intermediates: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, t := range candidateTimes(all[:1], at) {
		vo.CurrentTime = t
		chains, err := certs[0].Verify(vo)
		if err != nil {
			continue
		}
		var bestPath []*x509.Certificate
		bestN := -1
		for _, c := range chains {
			if s.CheckPolicy(c) != nil {
				continue
			}
			n := len(timeProblems(c, c, at, s.Name))
			if bestN < 0 || n < bestN || n == bestN && len(c) < len(bestPath) {
				bestN, bestPath = n, c
			}
		}
		if bestPath != nil {
			return bestPath
		}
	}
	return nil
}

// walkPath follows issuers from the leaf through the presented certificates
// (by name and signature) and returns the certificates reached, leaf first.
func walkPath(certs []*x509.Certificate) []*x509.Certificate {
	path := []*x509.Certificate{certs[0]}
	used := map[int]bool{0: true}
	cur := certs[0]
	for !isSelfSigned(cur) {
		next := -1
		for i, c := range certs {
			if used[i] || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			if checkSignatureFrom(cur, c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		for i, c := range certs {
			if c.Equal(certs[next]) {
				used[i] = true
			}
		}
		cur = certs[next]
		path = append(path, cur)
	}
	return path
}

// FixChain returns the bundle a server should send: the leaf, then the
// intermediates of the path a client builds to a root of one of stores, in
// order, without the root and without anything unrelated. The path may use
// the presented certificates (certs, leaf first) and extra. When certs[0] is
// a CA certificate and a later one is not (a bundle with the intermediates
// before the leaf), the first non-CA certificate is the leaf. It prefers the
// first store (in order) that has a path, and the path valid at at with the
// fewest certificates. It returns nil when no store has a path.
func FixChain(certs, extra []*x509.Certificate, stores []*truststore.Store, at time.Time) []*x509.Certificate {
	if len(certs) == 0 {
		return nil
	}
	isCACert := func(c *x509.Certificate) bool { return c.BasicConstraintsValid && c.IsCA }
	if isCACert(certs[0]) {
		for i, c := range certs[1:] {
			if !isCACert(c) {
				reordered := append([]*x509.Certificate{c}, certs[:i+1]...)
				certs = append(reordered, certs[i+2:]...)
				break
			}
		}
	}
	for _, s := range stores {
		p := buildPath(certs, extra, s, at)
		if p == nil {
			continue
		}
		out := []*x509.Certificate{p[0]}
		for k, c := range p[1:] {
			if k == len(p)-2 && isAnchor(c, s) {
				break
			}
			out = append(out, c)
		}
		return out
	}
	return nil
}

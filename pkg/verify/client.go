package verify

import (
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// ClientModel is how the client that uses a trust store departs from
// crypto/x509 when it judges a chain. crypto/x509 still builds the path and
// checks the signatures; a model only adds or relaxes rules, each becoming
// a problem with its own id.
type ClientModel struct {
	// Client names the client in messages ("the JDK client").
	Client string
	// CNFallback matches the host against the subject CN when the leaf has
	// no subjectAltName, and checks that CN against name constraints.
	CNFallback bool
	// PartialWildcard lets a wildcard match inside the leftmost label.
	PartialWildcard bool
	// LeafDigitalSignature requires digitalSignature in a leaf keyUsage.
	LeafDigitalSignature bool
	// EKULeafOnly checks extendedKeyUsage on the leaf only, not on CAs.
	EKULeafOnly bool
	// LeafEKUServerAuth requires serverAuth itself in a leaf's
	// extendedKeyUsage (anyExtendedKeyUsage does not do).
	LeafEKUServerAuth bool
	// MinRSABits is the smallest RSA key allowed below the anchor; 0 for
	// no limit beyond crypto/x509's.
	MinRSABits int
	// IgnoreAnchorValidity skips the trust anchor's validity period.
	IgnoreAnchorValidity bool
	// WildcardPublicSuffix refuses a wildcard over a public suffix under a
	// root of the embedded store.
	WildcardPublicSuffix bool
}

// clientModels holds the model of each embedded store's client: java's
// verdict follows the JDK's PKIX trust manager with "HTTPS" endpoint
// identification, mozilla's OpenSSL 3 (s_client -verify_hostname,
// security level 2). Other stores (system, files) follow crypto/x509.
var clientModels = map[string]ClientModel{
	truststore.Java: {
		Client:               "the JDK client",
		CNFallback:           true,
		PartialWildcard:      true,
		LeafDigitalSignature: true,
		EKULeafOnly:          true,
		IgnoreAnchorValidity: true,
		WildcardPublicSuffix: true,
	},
	truststore.Mozilla: {
		Client:            "OpenSSL",
		CNFallback:        true,
		PartialWildcard:   true,
		LeafEKUServerAuth: true,
		MinRSABits:        2048,
	},
}

// ModelFor returns the client model of the store named name, and false for
// a store judged by crypto/x509's rules alone.
func ModelFor(name string) (ClientModel, bool) {
	m, ok := clientModels[name]
	return m, ok
}

// nameMatch reports how the model's client matches host against the leaf
// when crypto/x509 does not: result.ProblemCNOnly, result.ProblemPartialWildcard, or ""
// when the client does not match it either.
func (m ClientModel) nameMatch(leaf *x509.Certificate, host string) string {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "" {
		return ""
	}
	// An IP address matches IP subjectAltNames only, never the CN.
	if m.CNFallback && net.ParseIP(h) == nil && len(leaf.DNSNames) == 0 && len(leaf.IPAddresses) == 0 && len(leaf.URIs) == 0 && len(leaf.EmailAddresses) == 0 {
		if cn := strings.ToLower(leaf.Subject.CommonName); cn != "" && (cn == h || m.PartialWildcard && wildcardMatch(cn, h)) {
			return result.ProblemCNOnly
		}
	}
	if m.PartialWildcard {
		for _, n := range leaf.DNSNames {
			if wildcardMatch(strings.ToLower(n), h) {
				return result.ProblemPartialWildcard
			}
		}
	}
	return ""
}

// wildcardMatch matches a pattern with one '*' in its leftmost label, not
// alone there ("w*.example.com", "*w.example.com"), against host: the star
// stands for one or more characters of one label, and the pattern must
// keep at least two labels after it.
func wildcardMatch(pattern, host string) bool {
	pl, prest, ok := strings.Cut(pattern, ".")
	hl, hrest, ok2 := strings.Cut(host, ".")
	if !ok || !ok2 || pl == "*" || strings.Count(pl, "*") != 1 || prest != hrest || strings.Count(prest, ".") < 1 {
		return false
	}
	pre, suf, _ := strings.Cut(pl, "*")
	return len(hl) > len(pre)+len(suf) && strings.HasPrefix(hl, pre) && strings.HasSuffix(hl, suf)
}

// pathProblems applies the model's extra rules to a path the store built
// (leaf first, anchor last). Under RSA key exchange the leaf does not sign
// the handshake, so LeafDigitalSignature does not apply (the JDK asks for
// keyEncipherment instead, a rule of the handshake's client).
func (m ClientModel) pathProblems(certs, path []*x509.Certificate, s *truststore.Store, host string, rsaKeyExchange bool) []result.Problem {
	leaf := path[0]
	var ps []result.Problem
	add := func(id string, cert int, format string, args ...any) {
		ps = append(ps, result.Problem{ID: id, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: cert, Store: s.Name,
			Message: fmt.Sprintf(format, args...)})
	}
	if _, has := ext(leaf, oidKeyUsage); has && m.LeafDigitalSignature && !rsaKeyExchange && leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		add(result.ProblemNoDigitalSignature, 0, "the leaf certificate %q has a keyUsage without digitalSignature, so %s refuses it for the %s store (\"KeyUsage does not allow digital signatures\"): reissue it with keyUsage digitalSignature",
			displayName(leaf), m.Client, s.Name)
	}
	if _, has := ext(leaf, oidExtKeyUsage); has && m.LeafEKUServerAuth && !hasEKU(leaf, x509.ExtKeyUsageServerAuth) {
		add(result.ProblemLeafEKUNotServerAuth, 0, "the leaf certificate %q does not list serverAuth in its extendedKeyUsage, so %s refuses it for the %s store (unsuitable certificate purpose): reissue it with extendedKeyUsage serverAuth",
			displayName(leaf), m.Client, s.Name)
	}
	if m.EKULeafOnly {
		if _, has := ext(leaf, oidExtKeyUsage); has && !hasEKU(leaf, x509.ExtKeyUsageServerAuth) && !hasEKU(leaf, x509.ExtKeyUsageAny) {
			add(result.ProblemKeyUsage, 0, "leaf certificate %q is not valid for TLS server authentication (its extendedKeyUsage lacks serverAuth): reissue it with the serverAuth extended key usage", displayName(leaf))
		}
		for k, c := range path[1:] {
			if _, has := ext(c, oidExtKeyUsage); has && !hasEKU(c, x509.ExtKeyUsageServerAuth) && !hasEKU(c, x509.ExtKeyUsageAny) {
				ps = append(ps, result.Problem{ID: result.ProblemCAEKUIgnored, Severity: result.SeverityWarn, Cert: presentedIndex(certs, c), Store: s.Name,
					Message: fmt.Sprintf("%s restricts its extendedKeyUsage to other purposes than serverAuth; %s checks extendedKeyUsage on the leaf only and accepts the chain for the %s store, but OpenSSL, browsers and Go clients reject it: chain the leaf through a CA certificate whose extendedKeyUsage includes serverAuth",
						roleName(k+1, len(path), c), m.Client, s.Name)})
				break
			}
		}
	}
	if m.MinRSABits > 0 {
		for k, c := range path[:len(path)-1] {
			if pk, ok := c.PublicKey.(*rsa.PublicKey); ok && pk.N.BitLen() < m.MinRSABits {
				add(result.ProblemKeyTooSmall, presentedIndex(certs, c), "%s has a %d-bit RSA key, below the %d bits %s requires at security level 2, so it refuses the chain for the %s store: replace it with a certificate for a %d-bit or larger key",
					roleName(k, len(path), c), pk.N.BitLen(), m.MinRSABits, m.Client, s.Name, m.MinRSABits)
			}
		}
	}
	if m.CNFallback && host != "" && m.nameMatch(leaf, host) == result.ProblemCNOnly {
		cn := strings.ToLower(leaf.Subject.CommonName)
		for k, c := range path[1:] {
			if why := cnConstraint(cn, c); why != "" {
				add(result.ProblemCNNameConstraint, presentedIndex(certs, c), "the leaf certificate names %s only in its CN, and %s %s, so %s refuses the chain for the %s store: reissue the leaf with a subjectAltName inside the CA's permitted names",
					cn, roleName(k+1, len(path), c), why, m.Client, s.Name)
				break
			}
		}
	}
	if m.WildcardPublicSuffix && !s.Date.IsZero() && host != "" {
		for _, n := range leaf.DNSNames {
			base, ok := strings.CutPrefix(strings.ToLower(n), "*.")
			if !ok {
				continue
			}
			if suffix, icann := publicsuffix.PublicSuffix(base); suffix == base && (icann || !strings.Contains(base, ".")) && leaf.VerifyHostname(host) == nil {
				ps = append(ps, result.Problem{ID: result.ProblemWildcardSuffixRejected, Severity: result.SeverityError, Code: result.CodeDomainMismatch, Cert: 0, Store: s.Name,
					Message: fmt.Sprintf("the leaf certificate's wildcard %q covers the public suffix %q, which %s refuses under a root of its %s store: reissue it for your own domain", n, base, m.Client, s.Name)})
				break
			}
		}
	}
	return ps
}

// cnConstraint says how a CA's DNS name constraints exclude the name cn,
// or "" when they allow it.
func cnConstraint(cn string, ca *x509.Certificate) string {
	within := func(name, c string) bool {
		c = strings.ToLower(strings.TrimPrefix(c, "."))
		return name == c || strings.HasSuffix(name, "."+c)
	}
	if len(ca.PermittedDNSDomains) > 0 && !slices.ContainsFunc(ca.PermittedDNSDomains, func(c string) bool { return within(cn, c) }) {
		return fmt.Sprintf("permits only %s", strings.Join(ca.PermittedDNSDomains, ", "))
	}
	for _, c := range ca.ExcludedDNSDomains {
		if within(cn, c) {
			return "excludes " + c
		}
	}
	return ""
}

// anchorTimes are extra times at which to look for a path: inside both the
// presented certificates' validity and that of a root of s that may have
// issued the top one, so a chain to an expired root is still found and its
// root reported as expired (or, for a client that ignores the anchor's
// validity, accepted).
func anchorTimes(certs []*x509.Certificate, s *truststore.Store, at time.Time) []time.Time {
	lo, hi := certs[0].NotBefore, certs[0].NotAfter
	for _, c := range certs[1:] {
		if c.NotBefore.After(lo) {
			lo = c.NotBefore
		}
		if c.NotAfter.Before(hi) {
			hi = c.NotAfter
		}
	}
	var ts []time.Time
	for _, r := range s.RootsBySubject(certs[len(certs)-1].RawIssuer) {
		rc := r.Certificate()
		if rc == nil {
			continue
		}
		a, b := lo, hi
		if rc.NotBefore.After(a) {
			a = rc.NotBefore
		}
		if rc.NotAfter.Before(b) {
			b = rc.NotAfter
		}
		if !a.After(b) && (at.Before(rc.NotBefore) || at.After(rc.NotAfter)) {
			ts = append(ts, clamp(at, a, b))
		}
	}
	return ts
}

// anchorTimeIgnored drops the time problems of the trust anchor (the one
// certificate of a path that was not presented).
func anchorTimeIgnored(tp []result.Problem) []result.Problem {
	return slices.DeleteFunc(slices.Clone(tp), func(p result.Problem) bool { return p.Cert < 0 })
}

// anchorValidityNote warns that the anchor of path is outside its validity
// at at, which the model's client ignores.
func anchorValidityNote(certs, path []*x509.Certificate, at time.Time, store string, m ClientModel) []result.Problem {
	anchor := path[len(path)-1]
	if presentedIndex(certs, anchor) >= 0 || !at.After(anchor.NotAfter) && !at.Before(anchor.NotBefore) {
		return nil
	}
	return []result.Problem{{ID: result.ProblemAnchorExpired, Severity: result.SeverityWarn, Cert: -1, Store: store,
		Message: fmt.Sprintf("root certificate %q is outside its validity (not after %s), which %s ignores for a trust anchor, so the %s store accepts the chain; OpenSSL and browsers reject it: move to a chain that ends at a current root",
			displayName(anchor), anchor.NotAfter.UTC().Format(time.RFC3339), m.Client, store)}}
}

// clientNames applies the stores' client models to the name check: when
// crypto/x509 finds the leaf not valid for the host but a store's client
// accepts it (the CN of a leaf without subjectAltName, a partial
// wildcard), the name error becomes that of each store whose client does
// not, and a shared warning says how the others matched. It returns the
// name problems every store shares.
func clientNames(leaf *x509.Certificate, js []*storeJudgement, nameProblems []result.Problem, opts Options) []result.Problem {
	if !hasError(nameProblems) {
		return nameProblems
	}
	how := ""
	var clients, stores []string
	accept := make([]bool, len(js))
	for i, j := range js {
		m, ok := ModelFor(j.store.Name)
		if !ok {
			continue
		}
		if h := m.nameMatch(leaf, opts.Host); h != "" {
			accept[i], how = true, h
			stores = append(stores, j.store.Name)
			if !slices.Contains(clients, m.Client) {
				clients = append(clients, m.Client)
			}
		}
	}
	if how == "" {
		return nameProblems
	}
	for i, j := range js {
		if accept[i] {
			continue
		}
		for _, p := range nameProblems {
			if p.Severity == result.SeverityError {
				p.Store = j.store.Name
				j.problems = append(j.problems, p)
			}
		}
	}
	w := result.Problem{ID: how, Severity: result.SeverityWarn, Cert: 0}
	host := strings.ToLower(opts.Host)
	switch how {
	case result.ProblemCNOnly:
		w.Message = fmt.Sprintf("the leaf certificate names %s only in its subject CN and has no subjectAltName: %s accept it (%s), but browsers and Go clients reject it: reissue it with %s in the subjectAltName",
			host, strings.Join(clients, " and "), strings.Join(stores, ", "), host)
	default:
		w.Message = fmt.Sprintf("the leaf certificate matches %s only through a partial wildcard (%s): %s accept it (%s), but browsers and Go clients reject it: reissue it with %s or a whole-label wildcard in the subjectAltName",
			host, listNames(leaf.DNSNames), strings.Join(clients, " and "), strings.Join(stores, ", "), host)
	}
	return []result.Problem{w}
}

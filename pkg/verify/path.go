package verify

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// pathProblem explains why no path leads from the leaf to a root of s. err
// is what crypto/x509 said; the presented chain is walked to name the
// certificate at fault. names are the stores the message speaks for: s
// alone, or every store that found the same (the problem then names no
// one store).
func pathProblem(certs []*x509.Certificate, s *truststore.Store, names []string, err error) result.Problem {
	p := result.Problem{Severity: result.SeverityError, Code: result.CodeNoPath, Store: s.Name, Cert: -1}
	if len(names) > 1 {
		p.Store = ""
	}
	distrusts := trustsNot(names)

	var ce x509.CertificateInvalidError
	if errors.As(err, &ce) {
		idx := presentedIndex(certs, ce.Cert)
		p.Cert = idx
		who := "a certificate of the chain"
		if idx >= 0 {
			who = roleName(idx, len(certs), ce.Cert)
		}
		switch ce.Reason {
		case x509.NotAuthorizedToSign:
			p.ID = result.ProblemNotCA
			p.Message = fmt.Sprintf("%s signs other certificates but is not a CA (no basicConstraints CA:TRUE or keyCertSign): the chain must be issued through a real CA certificate", who)
		case x509.CANotAuthorizedForThisName, x509.NameConstraintsWithoutSANs, x509.UnconstrainedName, x509.TooManyConstraints:
			p.ID = result.ProblemNameConstraint
			p.Message = fmt.Sprintf("%s violates the name constraints of its issuers (%s): request the certificate for names the CA may issue", who, ce.Error())
		case x509.TooManyIntermediates:
			p.ID = result.ProblemPathLength
			p.Message = fmt.Sprintf("the path is longer than a CA's pathLenConstraint allows (%s): use a shorter chain", ce.Error())
		case x509.IncompatibleUsage, x509.CANotAuthorizedForExtKeyUsage:
			p.ID = result.ProblemKeyUsage
			p.Message = fmt.Sprintf("%s is not valid for TLS server authentication (%s): reissue it with the serverAuth extended key usage", who, ce.Error())
		case x509.Expired:
			p.ID = result.ProblemExpired
			p.Code = result.CodeExpired
			p.Message = fmt.Sprintf("%s is outside its validity period: renew it", who)
		default:
			p.ID = result.ProblemInvalidChain
			p.Message = fmt.Sprintf("the chain is invalid: %s; fix the chain the server sends", ce.Error())
		}
		return p
	}
	var ia x509.InsecureAlgorithmError
	if errors.As(err, &ia) {
		p.ID = result.ProblemBadSignature
		p.Message = fmt.Sprintf("the chain uses the insecure signature algorithm %s: reissue the certificate with SHA-256 or stronger", x509.SignatureAlgorithm(ia))
		return p
	}

	// Unknown authority: walk the presented chain to see where it stops.
	top, topIdx := walk(certs)
	if c, idx, serr := badSignature(certs, s, top, topIdx); serr != nil {
		p.ID, p.Cert = result.ProblemBadSignature, idx
		if errors.As(serr, &ia) {
			p.Message = fmt.Sprintf("%s is signed with an insecure algorithm (%s) that strict clients refuse: reissue it with SHA-256 or stronger",
				roleName(idx, len(certs), c), x509.SignatureAlgorithm(ia))
			return p
		}
		p.Message = fmt.Sprintf("the signature on %s does not verify with the key of its issuer %q: the certificate was altered or the wrong issuer is sent; deploy the chain the CA issued",
			roleName(idx, len(certs), c), issuerName(c))
		return p
	}
	selfSigned := isSelfSigned(top)
	switch {
	case selfSigned && topIdx == 0:
		p.ID, p.Cert = result.ProblemSelfSigned, 0
		p.Message = fmt.Sprintf("the leaf certificate %q is self-signed, and %s: replace it with a certificate from a public CA (or trust it explicitly with --ca-file)",
			displayName(top), distrusts)
	case selfSigned:
		p.ID, p.Cert = result.ProblemUnknownAuthority, topIdx
		p.Message = fmt.Sprintf("the chain ends at root %q, and %s: use a certificate from a CA a store trusts, or pass that root with --ca-file if it is your own",
			displayName(top), distrusts)
	case len(top.IssuingCertificateURL) > 0:
		p.ID, p.Cert = result.ProblemIncompleteChain, topIdx
		p.Message = fmt.Sprintf("the server does not send the issuer %q of %s, and %s: append the missing intermediate (from %s) to the chain the server sends",
			issuerName(top), roleName(topIdx, len(certs), top), distrusts, top.IssuingCertificateURL[0])
	default:
		p.ID, p.Cert = result.ProblemUnknownAuthority, topIdx
		p.Message = fmt.Sprintf("%s is issued by %q, which the server does not send, and %s: if it is an intermediate, append it to the chain the server sends; if it is a private CA, pass its root with --ca-file",
			roleName(topIdx, len(certs), top), issuerName(top), distrusts)
	}
	return p
}

// walk follows issuers from the leaf through the presented certificates and
// returns the last certificate reached and its index.
func walk(certs []*x509.Certificate) (*x509.Certificate, int) {
	cur, idx := certs[0], 0
	seen := map[int]bool{0: true}
	for {
		if isSelfSigned(cur) {
			return cur, idx
		}
		next := -1
		for i, c := range certs {
			if seen[i] || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			if checkSignatureFrom(cur, c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			return cur, idx
		}
		seen[next] = true
		cur, idx = certs[next], next
	}
}

// badSignature reports a certificate whose issuer (by name) is presented or
// in the store but whose signature does not verify with any such issuer,
// and why (an x509.InsecureAlgorithmError when the algorithm is SHA-1 or
// MD5, which crypto/x509 hides inside the UnknownAuthorityError it returns).
func badSignature(certs []*x509.Certificate, s *truststore.Store, top *x509.Certificate, topIdx int) (*x509.Certificate, int, error) {
	if bytes.Equal(top.RawIssuer, top.RawSubject) {
		err := checkSelfSignature(top)
		if err != nil && !errors.Is(err, x509.ErrUnsupportedAlgorithm) {
			return top, topIdx, err
		}
		return nil, 0, nil
	}
	var candidates []*x509.Certificate
	for _, c := range certs {
		if bytes.Equal(c.RawSubject, top.RawIssuer) {
			candidates = append(candidates, c)
		}
	}
	for _, r := range s.RootsBySubject(top.RawIssuer) {
		if c := r.Certificate(); c != nil {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return nil, 0, nil
	}
	var first error
	for _, c := range candidates {
		err := checkSignatureFrom(top, c)
		if err == nil || isSignatureUnsupported(err) {
			return nil, 0, nil
		}
		var ia x509.InsecureAlgorithmError
		if first == nil || errors.As(err, &ia) {
			first = err
		}
	}
	return top, topIdx, first
}

// trustsNot says that none of the stores trusts a certificate: "the
// mozilla store does not trust it", "neither mozilla nor java trusts it",
// "neither mozilla, java nor root.pem trusts it".
func trustsNot(names []string) string {
	switch len(names) {
	case 0:
		return "no store trusts it"
	case 1:
		return "the " + names[0] + " store does not trust it"
	}
	return "neither " + strings.Join(names[:len(names)-1], ", ") + " nor " + names[len(names)-1] + " trusts it"
}

// isSelfSigned reports whether c is issued by its own subject and its
// signature verifies with its own key, whatever its basic constraints say
// (self-signed server certificates are often not CAs).
func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) &&
		checkSelfSignature(c) == nil
}

// isSignatureUnsupported reports a signature check that says nothing about
// the signature itself: an algorithm crypto/x509 cannot check, or a parent
// that may not sign (not a CA), which the path error reports instead.
func isSignatureUnsupported(err error) bool {
	var cv x509.ConstraintViolationError
	return errors.Is(err, x509.ErrUnsupportedAlgorithm) || errors.As(err, &cv)
}

func issuerName(c *x509.Certificate) string {
	if c.Issuer.CommonName != "" {
		return c.Issuer.CommonName
	}
	return c.Issuer.String()
}

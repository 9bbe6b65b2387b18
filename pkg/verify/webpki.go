package verify

import (
	"bytes"
	"crypto/dsa" //nolint:staticcheck // only to recognise DSA keys and warn about them
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"fmt"
	"net"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// Extension OIDs the Web PKI rules look at.
var (
	oidSubjectKeyID     = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidSubjectAltName   = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidNameConstraints  = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidPolicyConstr     = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidAuthorityKeyID   = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
)

// maxNameConstraints is the number of name-constraint subtrees above which
// a CA is reported: checking them against many names is quadratic, and
// clients give up or reject (OpenSSL's limit is of this order).
const maxNameConstraints = 1024

// IsWebPKIProblem reports whether id is one of the Web PKI rules that
// crypto/x509 does not enforce: a defect of the certificates themselves,
// reported as a warning.
func IsWebPKIProblem(id string) bool { return decide.IsWebPKIProblem(id) }

// webPKIProblems, when opts.WebPKI is set, applies the Web PKI rules that
// crypto/x509 skips to the leaf and to the CA certificates of the path the
// best store built (or, without a path, of the presented chain). A defect of a root from an
// embedded or system store is a note (info): its owner vetted it and the
// user cannot change it; of a root from the user's own file, a warning.
func webPKIProblems(certs []*x509.Certificate, js []*storeJudgement, best int, opts Options) []result.Problem {
	if len(certs) == 0 || !opts.WebPKI {
		return nil
	}
	path := walkPath(certs)
	var store *truststore.Store
	if best >= 0 && js[best].path != nil {
		path, store = js[best].path, js[best].store
	}
	w := &webpki{certs: certs}
	w.leaf(certs[0], opts)
	for k, c := range path {
		w.store = nil
		if store != nil && k == len(path)-1 && presentedIndex(certs, c) < 0 {
			w.store = store
		}
		var issuer *x509.Certificate
		if k+1 < len(path) {
			issuer = path[k+1]
		}
		w.any(c, issuer, k, len(path))
		if k > 0 {
			w.ca(c, k == len(path)-1 && isSelfSigned(c))
		}
	}
	return w.ps
}

type webpki struct {
	certs []*x509.Certificate
	store *truststore.Store // set while judging a store root
	ps    []result.Problem
}

func (w *webpki) add(c *x509.Certificate, id, format string, args ...any) {
	p := result.Problem{ID: id, Severity: result.SeverityWarn, Cert: presentedIndex(w.certs, c), Message: fmt.Sprintf(format, args...)}
	if p.Cert < 0 && w.store != nil {
		p.Store = w.store.Name
		if w.store.Name == truststore.System || !w.store.Date.IsZero() {
			p.Severity = result.SeverityInfo
		}
	}
	w.ps = append(w.ps, p)
}

func ext(c *x509.Certificate, oid asn1.ObjectIdentifier) (critical, ok bool) {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			return e.Critical, true
		}
	}
	return false, false
}

// leaf applies the rules for the server certificate.
func (w *webpki) leaf(c *x509.Certificate, opts Options) {
	const reissue = "ask the CA to reissue it"
	if c.IsCA {
		w.add(c, result.ProblemCAAsLeaf, "the leaf certificate %q is a CA certificate (basicConstraints CA:TRUE): Mozilla clients reject a CA certificate as a server's; %s as an end-entity certificate", displayName(c), reissue)
	} else if c.KeyUsage&x509.KeyUsageCertSign != 0 {
		w.add(c, result.ProblemLeafCertSign, "the leaf certificate %q may sign certificates (keyUsage keyCertSign) but is not a CA: %s without keyCertSign", displayName(c), reissue)
	}
	crit, has := ext(c, oidExtKeyUsage)
	switch {
	case !has:
		w.add(c, result.ProblemEKUMissing, "the leaf certificate %q has no extendedKeyUsage; the Baseline Requirements require serverAuth and some clients reject it without: %s with extendedKeyUsage serverAuth", displayName(c), reissue)
	case len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0:
		w.add(c, result.ProblemEKUInvalid, "the leaf certificate %q has an empty extendedKeyUsage extension, which RFC 5280 forbids: %s with extendedKeyUsage serverAuth", displayName(c), reissue)
	case hasEKU(c, x509.ExtKeyUsageAny):
		w.add(c, result.ProblemEKUInvalid, "the leaf certificate %q has extendedKeyUsage anyExtendedKeyUsage, which the Baseline Requirements forbid: %s with serverAuth only", displayName(c), reissue)
	case crit:
		w.add(c, result.ProblemEKUInvalid, "the leaf certificate %q marks extendedKeyUsage critical, which the Baseline Requirements forbid: %s", displayName(c), reissue)
	}
	if _, has := ext(c, oidNameConstraints); has {
		w.add(c, result.ProblemNameConstraintsInvalid, "the leaf certificate %q carries name constraints, which only CA certificates may: %s without them", displayName(c), reissue)
	}

	// subjectAltName: criticality follows the subject (RFC 5280 4.2.1.6).
	if crit, has := ext(c, oidSubjectAltName); has {
		empty := len(c.RawSubject) <= 2 // an empty SEQUENCE
		switch {
		case empty && !crit:
			w.add(c, result.ProblemSANCriticality, "the leaf certificate %q has an empty subject but a non-critical subjectAltName; RFC 5280 requires it critical then: %s", displayName(c), reissue)
		case !empty && crit:
			w.add(c, result.ProblemSANCriticality, "the leaf certificate %q has a subject and a critical subjectAltName, which the Baseline Requirements forbid: %s", displayName(c), reissue)
		}
	}

	// The CN, when there is one, must be a copy of a SAN entry.
	if cn := c.Subject.CommonName; cn != "" && (len(c.DNSNames) > 0 || len(c.IPAddresses) > 0) && !cnInSAN(cn, c) {
		w.add(c, result.ProblemCNNotInSAN, "the leaf certificate's CN %q is not a character-for-character copy of a subjectAltName entry (%s), as the Baseline Requirements require: %s",
			cn, strings.Join(sanList(c), ", "), reissue)
	}
	for _, n := range c.DNSNames {
		if why := badDNSName(n); why != "" {
			w.add(c, result.ProblemMalformedName, "the leaf certificate's subjectAltName %q is not a valid host name (%s): %s with valid names", n, why, reissue)
			continue
		}
		if base, ok := strings.CutPrefix(n, "*."); ok {
			ps, icann := publicsuffix.PublicSuffix(strings.ToLower(base))
			switch {
			case ps != strings.ToLower(base):
			case icann || !strings.Contains(base, "."):
				w.add(c, result.ProblemWildcardPublicSuffix, "the leaf certificate's subjectAltName %q is a wildcard over the public suffix %q, which covers other owners' domains and which the Baseline Requirements forbid: %s for your own domain", n, base, reissue)
			default:
				// A private-section suffix: only its owner (who registered it
				// in the Public Suffix List) may hold such a certificate.
				w.add(c, result.ProblemWildcardPublicSuffix, "the leaf certificate's subjectAltName %q is a wildcard over %q, a private suffix of the Public Suffix List: only that suffix's owner should hold it", n, base)
				w.ps[len(w.ps)-1].Severity = result.SeverityInfo
			}
		}
	}
}

// any applies the rules for every certificate of the path.
func (w *webpki) any(c, issuer *x509.Certificate, k, n int) {
	role := roleName(k, n, c)
	if w.store != nil {
		role = fmt.Sprintf("root certificate %q", displayName(c))
	}
	if s := c.SerialNumber; s != nil {
		switch {
		case s.Sign() <= 0:
			w.add(c, result.ProblemSerialNumber, "%s has serial number %s; RFC 5280 requires a positive serial: the CA must reissue it", role, s)
		case len(s.Bytes()) > 20:
			w.add(c, result.ProblemSerialNumber, "%s has a %d-octet serial number; RFC 5280 allows at most 20: the CA must reissue it", role, len(s.Bytes()))
		}
	}
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := k.N.BitLen()
		switch {
		case bits < 2048:
			w.add(c, result.ProblemWeakKey, "%s has a %d-bit RSA key; the Baseline Requirements require at least 2048 bits: replace it with a certificate for a 2048-bit or larger key", role, bits)
		case bits%8 != 0:
			w.add(c, result.ProblemWeakKey, "%s has a %d-bit RSA key, not a multiple of 8 bits as the Baseline Requirements require: replace it with a certificate for a standard key size", role, bits)
		}
	case *dsa.PublicKey:
		w.add(c, result.ProblemWeakKey, "%s has a DSA key, which the Baseline Requirements forbid and TLS 1.3 cannot use: replace it with a certificate for an RSA or ECDSA key", role)
	case *ecdsa.PublicKey:
		if n := k.Curve.Params().Name; n != "P-256" && n != "P-384" && n != "P-521" {
			w.add(c, result.ProblemWeakKey, "%s has an ECDSA key on curve %s; the Baseline Requirements allow only P-256, P-384 and P-521", role, n)
		}
	}

	// Key identifiers.
	selfSigned := bytes.Equal(c.RawIssuer, c.RawSubject) && isSelfSigned(c)
	aki, akiOK := parseAKI(c)
	if _, has := ext(c, oidAuthorityKeyID); !has {
		if !selfSigned {
			w.add(c, result.ProblemKeyIDMissing, "%s has no authorityKeyIdentifier, which RFC 5280 requires for a certificate that is not self-signed: the CA must reissue it", role)
		}
	} else {
		switch {
		case !akiOK:
			w.add(c, result.ProblemKeyIDInvalid, "%s has an authorityKeyIdentifier that does not parse: the CA must reissue it", role)
		case aki.keyID == nil:
			w.add(c, result.ProblemKeyIDInvalid, "%s has an authorityKeyIdentifier without a keyIdentifier, which the Baseline Requirements require: the CA must reissue it", role)
		case aki.issuerOrSerial:
			w.add(c, result.ProblemKeyIDInvalid, "%s has an authorityKeyIdentifier with authorityCertIssuer or authorityCertSerialNumber, which the Baseline Requirements forbid: the CA must reissue it", role)
		case selfSigned && len(c.SubjectKeyId) > 0 && !bytes.Equal(aki.keyID, c.SubjectKeyId):
			w.add(c, result.ProblemKeyIDInvalid, "%s is self-signed but its authorityKeyIdentifier differs from its own subjectKeyIdentifier: the CA must reissue it", role)
		case issuer != nil && len(issuer.SubjectKeyId) > 0 && !bytes.Equal(aki.keyID, issuer.SubjectKeyId):
			w.add(c, result.ProblemKeyIDInvalid, "%s has an authorityKeyIdentifier that differs from the subjectKeyIdentifier of its issuer %q: the identifiers are inconsistent; the CA must reissue it", role, displayName(issuer))
		}
	}
}

// ca applies the rules for CA certificates (intermediates and the root).
func (w *webpki) ca(c *x509.Certificate, root bool) {
	role := fmt.Sprintf("intermediate certificate %q", displayName(c))
	if root {
		role = fmt.Sprintf("root certificate %q", displayName(c))
	}
	if _, has := ext(c, oidSubjectKeyID); !has {
		w.add(c, result.ProblemKeyIDMissing, "%s has no subjectKeyIdentifier, which RFC 5280 requires of CA certificates", role)
	}
	if len(c.RawSubject) <= 2 {
		w.add(c, result.ProblemCAEmptySubject, "%s has an empty subject, which RFC 5280 forbids for a CA", role)
	}
	if crit, has := ext(c, oidBasicConstraints); has && !crit {
		w.add(c, result.ProblemBasicConstraintsInvalid, "%s marks basicConstraints non-critical; RFC 5280 requires it critical in CA certificates", role)
	}
	if _, hasKU := ext(c, oidKeyUsage); c.IsCA && hasKU && c.KeyUsage&x509.KeyUsageCertSign == 0 {
		w.add(c, result.ProblemBasicConstraintsInvalid, "%s is a CA (basicConstraints CA:TRUE) whose keyUsage lacks keyCertSign, which RFC 5280 treats as inconsistent", role)
	}
	if root {
		if _, has := ext(c, oidExtKeyUsage); has {
			w.add(c, result.ProblemEKUInvalid, "%s has an extendedKeyUsage extension, which the Baseline Requirements forbid in roots", role)
		}
	}
	if crit, has := ext(c, oidNameConstraints); has {
		if !crit {
			w.add(c, result.ProblemNameConstraintsInvalid, "%s marks nameConstraints non-critical; RFC 5280 requires it critical", role)
		}
		n := len(c.PermittedDNSDomains) + len(c.ExcludedDNSDomains) + len(c.PermittedIPRanges) + len(c.ExcludedIPRanges) +
			len(c.PermittedEmailAddresses) + len(c.ExcludedEmailAddresses) + len(c.PermittedURIDomains) + len(c.ExcludedURIDomains)
		if n > maxNameConstraints {
			w.add(c, result.ProblemNameConstraintsInvalid, "%s has %d name constraints; checking them is quadratic in the names and clients give up above %d", role, n, maxNameConstraints)
		}
		for _, d := range append(append([]string{}, c.PermittedDNSDomains...), c.ExcludedDNSDomains...) {
			if strings.HasPrefix(d, ".") {
				w.add(c, result.ProblemNameConstraintsInvalid, "%s has the dNSName constraint %q with a leading period, which RFC 5280 does not allow for DNS names (only for URIs)", role, d)
				break
			}
		}
	}
	if crit, has := ext(c, oidPolicyConstr); has && !crit {
		w.add(c, result.ProblemPolicyConstraintsInvalid, "%s marks policyConstraints non-critical; RFC 5280 requires it critical", role)
	}
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

func sanList(c *x509.Certificate) []string {
	out := append([]string{}, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		out = append(out, ip.String())
	}
	return out
}

func cnInSAN(cn string, c *x509.Certificate) bool {
	for _, n := range c.DNSNames {
		if n == cn {
			return true
		}
	}
	for _, ip := range c.IPAddresses {
		if ip.String() == cn {
			return true
		}
	}
	return false
}

// badDNSName says why n is not a valid dNSName (letters, digits, hyphens,
// labels of 1 to 63 characters, a wildcard only as the whole first label),
// or "" when it is valid.
func badDNSName(n string) string {
	if n == "" {
		return "empty"
	}
	if net.ParseIP(n) != nil {
		return "an IP address written as a DNS name"
	}
	labels := strings.Split(n, ".")
	for i, l := range labels {
		if l == "" {
			return "an empty label"
		}
		if len(l) > 63 {
			return "a label longer than 63 characters"
		}
		if l == "*" && i == 0 && len(labels) > 1 {
			continue
		}
		for _, r := range l {
			switch {
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-':
			case r == '_':
				return "an underscore"
			case r == '*':
				return "a wildcard that is not the whole first label"
			default:
				return fmt.Sprintf("the character %q", r)
			}
		}
	}
	return ""
}

type akiFields struct {
	keyID          []byte
	issuerOrSerial bool
}

// parseAKI reads the authorityKeyIdentifier extension of c.
func parseAKI(c *x509.Certificate) (akiFields, bool) {
	var a akiFields
	for _, e := range c.Extensions {
		if !e.Id.Equal(oidAuthorityKeyID) {
			continue
		}
		var seq asn1.RawValue
		if rest, err := asn1.Unmarshal(e.Value, &seq); err != nil || len(rest) > 0 || seq.Tag != asn1.TagSequence {
			return a, false
		}
		b := seq.Bytes
		for len(b) > 0 {
			var f asn1.RawValue
			rest, err := asn1.Unmarshal(b, &f)
			if err != nil || f.Class != asn1.ClassContextSpecific {
				return a, false
			}
			switch f.Tag {
			case 0:
				a.keyID = append([]byte{}, f.Bytes...)
			case 1, 2:
				a.issuerOrSerial = true
			}
			b = rest
		}
		return a, true
	}
	return a, false
}

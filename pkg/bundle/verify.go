package bundle

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"time"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// Key is a private key given to check against the leaf.
type Key struct {
	// Path is the file it came from.
	Path string
	// Public is its public key.
	Public crypto.PublicKey
}

// Verify judges a bundle (certs leaf first, in the order the server will
// send them) with the validator of a live check — verify.Check, then
// decide.Apply — and, when key is not nil, checks that the key is the
// leaf's. target names the bundle in the result. opts.At is truncated to
// the second: certificate times have one-second granularity, so a
// certificate is valid for the whole second of its notAfter. The Web PKI
// rules are always applied (verify.Options.WebPKI): a bundle about to be
// deployed is the moment to hear about its CA's mistakes.
func Verify(target string, certs []*x509.Certificate, stores []*truststore.Store, opts verify.Options, key *Key) result.Result {
	return VerifyLenient(target, certs, nil, stores, opts, key)
}

// VerifyLenient is Verify for a bundle some of whose certificates did not
// parse (LoadChainLenient): the others are judged, and each malformed one
// is a malformed-certificate error (11237) naming its file and place.
func VerifyLenient(target string, certs []*x509.Certificate, bad []Malformed, stores []*truststore.Store, opts verify.Options, key *Key) result.Result {
	opts.At = opts.At.Truncate(time.Second)
	opts.WebPKI = true
	r := result.Result{Target: target, Host: opts.Host, ValidatedAt: opts.At.UTC()}
	out := verify.Check(certs, stores, opts)
	r.Chain = out.Chain
	if p, ok := keyProblem(certs, key); ok {
		out.Facts.Problems = append([]result.Problem{p}, out.Facts.Problems...)
	}
	if len(bad) > 0 {
		out.Facts.Problems = append(out.Facts.Problems, MalformedProblem(bad))
	}
	decide.Apply(&r, out.Facts)
	return r
}

// keyProblem reports a key that is not the leaf's.
func keyProblem(certs []*x509.Certificate, key *Key) (result.Problem, bool) {
	if key == nil || len(certs) == 0 || KeyMatches(certs[0], key.Public) {
		return result.Problem{}, false
	}
	msg := fmt.Sprintf("the private key in %s (%s) does not belong to the leaf certificate %q (%s): a server with this pair fails every handshake; deploy the key the certificate was issued for, or the certificate issued for this key",
		key.Path, KeyType(key.Public), certName(certs[0]), verify.KeyDescription(certs[0]))
	for i, c := range certs[1:] {
		if KeyMatches(c, key.Public) {
			msg = fmt.Sprintf("the private key in %s belongs to certificate %d %q, not to the leaf %q: the leaf must be the first certificate of the bundle, or the key is the wrong one",
				key.Path, i+2, certName(c), certName(certs[0]))
		}
	}
	return result.Problem{ID: result.ProblemKeyMismatch, Severity: result.SeverityError, Code: result.CodeHandshake, Cert: 0, Message: msg}, true
}

func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	return c.Subject.String()
}

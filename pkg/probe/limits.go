package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
)

// certificateLimits applies to a chain Go's client received the limits of
// the sender's clients that do not depend on the ClientHello: the size of
// the Certificate message and the number of certificates. Go accepts a
// Certificate message of up to 256 KiB; the JDK stops at 32 KiB
// (jdk.tls.maxHandshakeMessageSize) and at 10 certificates
// (jdk.tls.maxCertificateChainLength). When every client refuses, the
// handshake fails as the sender's would (11220); when only some do, a
// warning names them.
func certificateLimits(obs *Observation, ps []*clients.Profile, version uint16) {
	if len(ps) == 0 || len(obs.Certs) == 0 {
		return
	}
	n := clients.Negotiated{CertificateMessageSize: certificateMessageSize(obs.Certs, version), ChainLength: len(obs.Certs)}
	var ok, refused, reasons []string
	for _, p := range ps {
		r := p.Refuses(n)
		if len(r) == 0 {
			ok = append(ok, displayName(p.Name))
			continue
		}
		refused = append(refused, displayName(p.Name))
		var why []string
		for _, x := range r {
			why = append(why, x.String())
		}
		reasons = append(reasons, fmt.Sprintf("%s refuses it (%s)", displayName(p.Name), strings.Join(why, "; ")))
	}
	if len(refused) == 0 {
		return
	}
	what := fmt.Sprintf("the server sends %d certificates in a Certificate message of %d bytes", n.ChainLength, n.CertificateMessageSize)
	fix := "send only the leaf and its intermediates, with fewer names per certificate"
	if len(ok) == 0 {
		obs.Err = &Failure{Code: result.CodeHandshake, ID: result.ProblemClientRefuses,
			Detail: fmt.Sprintf("%s: Go's client accepts it, but %s: the sender's handshake fails; %s", what, strings.Join(reasons, "; "), fix)}
		return
	}
	connects := "connects"
	if len(ok) > 1 {
		connects = "connect"
	}
	obs.Problems = append(obs.Problems, result.Problem{ID: result.ProblemClientRefuses, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("%s: %s %s, but %s: this endpoint breaks when the sender moves to %s; %s",
			what, joinAnd(ok), connects, strings.Join(reasons, "; "), joinAnd(refused), fix)})
}

// certificateMessageSize is the length of the body of the Certificate
// handshake message that carries certs: a 3-byte list length and, for each
// certificate, a 3-byte length; TLS 1.3 adds a 1-byte request context and
// a 2-byte extensions length per certificate.
func certificateMessageSize(certs []*x509.Certificate, version uint16) int {
	size := 3
	if version >= tls.VersionTLS13 {
		size++
	}
	for _, c := range certs {
		size += 3 + len(c.Raw)
		if version >= tls.VersionTLS13 {
			size += 2
		}
	}
	return size
}

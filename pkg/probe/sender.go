package probe

// The sender's client. Go's crypto/tls makes the first handshake (the fast
// path). When it fails to negotiate (an alert, no shared version or
// suite; not a TCP error, not a timeout), each client of
// Options.Clients replays its recorded ClientHello with package tlswire, and
// their verdict is the handshake's:
//
//   - a client connects when the server answers with a ServerHello (or a
//     TLS 1.3 HelloRetryRequest for a group the client offers) and the
//     client's own limits accept what was negotiated (Profile.Refuses);
//   - when one connects, the handshake passes with a client-fallback
//     warning naming what was negotiated and why Go's client could not; the
//     TLS 1.2 chain comes from the plaintext Certificate message;
//   - when some connect and others do not, a client-refuses warning names
//     those that refuse and why;
//   - when none connects, Go's classified failure (11220) stands, its detail
//     extended with what each client offered and how the server answered.
//
// A client that connects only at TLS 1.3 leaves the chain unread: it is
// encrypted, and tlswire never completes a TLS 1.3 handshake. The
// handshake verdict is still right, but the chain was not judged, so the
// result fails closed with chain-not-read (11237), as a chain nobody
// judged never passes.

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/tlswire"
)

// GoClient is the TLSInfo.Client of certgate's own crypto/tls handshake.
const GoClient = "go"

// SenderClients are the clients a sender is judged with by default: every
// recorded Java client, since the sender's Java version is unknown.
func SenderClients() ([]*clients.Profile, error) {
	all, err := clients.All()
	if err != nil {
		return nil, err
	}
	var out []*clients.Profile
	for _, p := range all {
		if strings.HasPrefix(p.Name, "java-") {
			out = append(out, p)
		}
	}
	return out, nil
}

// attempt is one recorded client's replayed handshake.
type attempt struct {
	profile  *clients.Profile
	flight   *tlswire.Flight
	neg      clients.Negotiated
	refusals []clients.Refusal
	err      error // the exchange's error, or the dial's *Failure
}

// connects reports whether the client would complete the handshake.
func (a *attempt) connects() bool {
	return a.err == nil && a.flight != nil && a.flight.ServerHello != nil && len(a.refusals) == 0
}

// replayOne sends p's recorded hello to t and judges the server's answer by
// p's limits.
func replayOne(ctx context.Context, t target.Target, opts Options, p *clients.Profile) *attempt {
	a := &attempt{profile: p}
	hello, err := p.Hello(serverName(t, opts))
	if err != nil {
		a.err = err
		return a
	}
	conn, _, fail := dial(ctx, t, opts)
	if fail != nil {
		a.err = fail
		return a
	}
	defer conn.Close()
	a.flight, a.err = tlswire.Exchange(ctx, conn, hello, maxBytes(opts))
	if a.err == nil && (a.flight == nil || a.flight.ServerHello == nil) {
		a.err = tlswire.ErrNotTLS // an SSL 2.0 answer to a TLS hello
	}
	if a.err == nil {
		a.neg = clients.NegotiatedFrom(a.flight)
		a.refusals = p.Refuses(a.neg)
	}
	return a
}

// negotiationFailure reports whether Go's handshake failed because the
// server refused it (an alert, or the connection closed on the hello), as
// opposed to Go refusing what the server sent (a certificate it cannot
// parse, a message over its limits): only then can another client's
// handshake decide differently.
func negotiationFailure(err error) bool {
	_, alert := remoteAlert(err)
	return alert || isReset(err)
}

// replay runs after Go's handshake failed with obs.Err (already diagnosed):
// it replays every client of opts.Clients and makes their verdict the
// handshake's.
func replay(ctx context.Context, t target.Target, opts Options, obs *Observation) {
	var ok, refused []*attempt
	for _, p := range opts.Clients {
		a := replayOne(ctx, t, opts, p)
		if a.connects() {
			ok = append(ok, a)
		} else {
			refused = append(refused, a)
		}
	}
	if len(ok) == 0 {
		if ctx.Err() != nil {
			return // out of time: Go's failure stands as it is
		}
		var parts []string
		for _, a := range refused {
			parts = append(parts, fmt.Sprintf("%s (offers %s with %d cipher suites) refuses: %s", displayName(a.profile.Name), strings.Join(a.profile.Decoded.Versions, " and "), suiteCount(a.profile), why(a, nil)))
		}
		f := *obs.Err
		f.Detail = strings.TrimSuffix(f.Detail, ".") + ". The sender's clients fail too: " + strings.Join(parts, "; ") + " (certgate check --list-clients names their suites)"
		obs.Err = &f
		return
	}
	// The verdict is made by the first client that connects at TLS 1.2 or
	// older, whose chain can be read; else by the first that connects.
	v := ok[0]
	for _, a := range ok {
		if a.neg.Version <= tlswire.VersionTLS12 {
			v = a
			break
		}
	}
	sh := v.flight.ServerHello
	goWhy := goRefusal(v.neg)
	if goWhy == "" {
		// The server chose what Go's client offers too.
		if _, alert := remoteAlert(obs.Err.Err); !alert {
			return // Go's connection was closed, not refused: its failure stands
		}
		goWhy = fmt.Sprintf("the server refused Go's ClientHello (%s) although Go offers it", refusal(obs.Err.Err))
	}
	obs.Err = nil
	obs.Certs = nil
	obs.TLS = &result.TLSInfo{
		Version:     tlswire.VersionName(sh.Version),
		CipherSuite: tlswire.SuiteName(sh.CipherSuite),
		ALPN:        sh.ALPN,
		OCSPStapled: len(v.flight.OCSPResponse) > 0,
		Client:      v.profile.Name,
	}
	var names []string
	for _, a := range ok {
		names = append(names, displayName(a.profile.Name))
	}
	accept := "accepts"
	if len(ok) > 1 {
		accept = "accept"
	}
	what := tlswire.SuiteName(sh.CipherSuite)
	switch {
	case v.neg.Group != 0:
		what += " with group " + tlswire.GroupName(v.neg.Group)
	case v.neg.DHBits > 0:
		what += fmt.Sprintf(" with a %d-bit DH group", v.neg.DHBits)
	}
	obs.Problems = append(obs.Problems, result.Problem{ID: result.ProblemClientFallback, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("negotiated %s (%s): %s; Go clients refuse it, %s %s it: enable ECDHE with AES-GCM or ChaCha20-Poly1305 and TLS 1.2 or 1.3 on the server so that every modern client connects",
			what, tlswire.VersionName(sh.Version), goWhy, joinAnd(names), accept)})
	if len(refused) > 0 {
		var parts, failing []string
		for _, a := range refused {
			parts = append(parts, fmt.Sprintf("%s refuses %s", displayName(a.profile.Name), why(a, v)))
			failing = append(failing, displayName(a.profile.Name))
		}
		connects := "connects"
		if len(ok) > 1 {
			connects = "connect"
		}
		obs.Problems = append(obs.Problems, result.Problem{ID: result.ProblemClientRefuses, Severity: result.SeverityWarn, Cert: -1,
			Message: fmt.Sprintf("%s %s; %s: this endpoint breaks when the sender moves to %s", joinAnd(names), connects, strings.Join(parts, "; "), joinAnd(failing))})
	}
	if sh.Version >= tlswire.VersionTLS13 {
		obs.Problems = append(obs.Problems, result.Problem{ID: result.ProblemChainNotRead, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1,
			Message: fmt.Sprintf("the handshake passes with %s at TLS 1.3, which Go's client cannot make, but TLS 1.3 sends the certificate chain encrypted and certgate reads it only from a handshake Go completes: the chain was not judged and does not pass; also enable a group Go implements (x25519, secp256r1) on the server to have it judged", displayName(v.profile.Name))})
		return
	}
	for i, der := range v.flight.Certificates {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			obs.Certs = nil
			obs.Problems = append(obs.Problems, result.Problem{ID: result.ProblemChainNotRead, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1,
				Message: fmt.Sprintf("certificate %d of the chain the server sent (0 is its own) does not parse (%v): the chain was not judged and does not pass; reissue the certificate", i, err)})
			return
		}
		obs.Certs = append(obs.Certs, c)
	}
	if p := rsaKeyUsage(v, obs.Certs); p != nil {
		obs.Problems = append(obs.Problems, *p)
	}
}

// rsaKeyUsage is the JDK trust manager's key usage rule for TLS 1.2 RSA key
// exchange: the server's leaf encrypts the premaster secret, so a keyUsage
// extension without keyEncipherment makes every Java client refuse it
// ("KeyUsage does not allow key encipherment"). nil when the rule does not
// apply or holds.
func rsaKeyUsage(v *attempt, certs []*x509.Certificate) *result.Problem {
	if len(certs) == 0 || !strings.HasPrefix(v.profile.Name, "java-") || tlswire.SuiteKeyExchange(v.neg.Suite) != tlswire.KeyExchangeRSA {
		return nil
	}
	leaf := certs[0]
	if !hasKeyUsage(leaf) || leaf.KeyUsage&x509.KeyUsageKeyEncipherment != 0 {
		return nil
	}
	return &result.Problem{ID: result.ProblemKeyUsage, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: 0,
		Message: fmt.Sprintf("the server negotiated RSA key exchange (%s), but its leaf certificate's keyUsage lacks keyEncipherment, so %s refuses the certificate (\"KeyUsage does not allow key encipherment\"): enable ECDHE key exchange on the server, or reissue the certificate with keyUsage keyEncipherment",
			tlswire.SuiteName(v.neg.Suite), displayName(v.profile.Name))}
}

// hasKeyUsage reports whether c carries a keyUsage extension (2.5.29.15).
func hasKeyUsage(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidKeyUsage) {
			return true
		}
	}
	return false
}

// oidKeyUsage is the keyUsage extension's identifier.
var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// goRefusal says why Go's client does not negotiate n; "" when it would.
func goRefusal(n clients.Negotiated) string {
	switch tlswire.SuiteKeyExchange(n.Suite) {
	case tlswire.KeyExchangeRSA:
		return "RSA key exchange, no forward secrecy"
	case tlswire.KeyExchangeDHE:
		return "finite-field DHE key exchange, which Go does not implement"
	}
	switch {
	case n.Version < tlswire.VersionTLS12:
		return tlswire.VersionName(n.Version) + ", older than the TLS 1.2 strict clients require"
	case n.Group != 0 && !goGroup(n.Group):
		return "group " + tlswire.GroupName(n.Group) + ", which Go does not implement"
	case insecureSuite(n.Suite):
		return "a cipher suite Go clients no longer offer"
	case !goSuite(n.Suite):
		return "a cipher suite Go does not implement"
	}
	return ""
}

// goGroup reports whether crypto/tls implements the key exchange group.
func goGroup(g uint16) bool {
	switch tls.CurveID(g) {
	case tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521, tls.X25519MLKEM768:
		return true
	}
	return false
}

// goSuite reports whether crypto/tls implements the cipher suite.
func goSuite(s uint16) bool {
	for _, id := range everySuite() {
		if id == s {
			return true
		}
	}
	return s>>8 == 0x13 // TLS 1.3 suites are all implemented
}

// why says why the client of a did not connect; ok, when set, is a client
// that did, whose negotiation a may not have offered.
func why(a *attempt, ok *attempt) string {
	if len(a.refusals) > 0 {
		var rs []string
		for _, r := range a.refusals {
			rs = append(rs, r.Reason+" ("+r.Rule+")")
		}
		return strings.Join(rs, "; ")
	}
	if ok != nil && a.err != nil && !a.profile.Offers(ok.neg.Suite) {
		if tlswire.SuiteKeyExchange(ok.neg.Suite) == tlswire.KeyExchangeRSA {
			return fmt.Sprintf("TLS_RSA key exchange (it does not offer %s)", tlswire.SuiteName(ok.neg.Suite))
		}
		return fmt.Sprintf("%s (it does not offer it)", tlswire.SuiteName(ok.neg.Suite))
	}
	var alert *tlswire.AlertError
	var fail *Failure
	switch {
	case errors.As(a.err, &fail):
		return fail.Detail
	case errors.As(a.err, &alert):
		return "the server answered with alert " + tlswire.AlertName(alert.Description)
	case a.err != nil:
		return a.err.Error()
	}
	return "the handshake"
}

// suiteCount is the number of cipher suites p offers, signalling values
// (TLS_EMPTY_RENEGOTIATION_INFO_SCSV, TLS_FALLBACK_SCSV) left out.
func suiteCount(p *clients.Profile) int {
	n := 0
	for _, s := range p.Decoded.CipherSuites {
		if !strings.HasSuffix(s, "_SCSV") {
			n++
		}
	}
	return n
}

// displayName names a recorded client for a sentence: "java-17" is
// "Java 17".
func displayName(name string) string {
	family, version, _ := strings.Cut(name, "-")
	pretty := map[string]string{"java": "Java", "openssl": "OpenSSL", "gnutls": "GnuTLS", "node": "Node.js",
		"python": "Python", "go": "Go", "curl": "curl", "chromium": "Chromium", "firefox": "Firefox"}
	if p, ok := pretty[family]; ok {
		family = p
	}
	return strings.TrimSpace(family + " " + version)
}

// joinAnd joins names as a sentence does: "a", "a and b", "a, b and c".
func joinAnd(names []string) string {
	if len(names) <= 1 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

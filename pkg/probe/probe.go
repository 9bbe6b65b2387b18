// Package probe makes the TLS handshakes certgate judges. It dials a target,
// shakes hands as a strict modern client does (TLS 1.2 or newer), and records
// what the server presented. It never judges trust: that is package verify's
// job, and no application data is ever sent.
package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/proxy"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
)

// Options controls how targets are probed.
type Options struct {
	// Timeout bounds connect plus handshake for one target. Zero means 10s.
	Timeout time.Duration
	// NoSNI sends no server name.
	NoSNI bool
	// Resolve maps "host:port" (host lower-case) to the address to dial
	// instead, as curl's --resolve does: SNI and validation still use host.
	Resolve map[string]string
	// Dialer, when set, replaces the default net.Dialer (for tests and later
	// for proxies).
	Dialer interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	}
	// MaxHandshakeBytes caps the bytes read from the peer during one
	// handshake; past it the handshake fails with ErrHandshakeTooLarge.
	// Zero means DefaultMaxHandshakeBytes.
	MaxHandshakeBytes int64
	// DNS, when set and Dialer is not, resolves host names through a
	// per-run cache (dnscache.go); --resolve entries and IP targets bypass
	// it.
	DNS *DNSCache
	// Clients are the sender's recorded TLS clients (package clients).
	// When Go's strict handshake fails to negotiate, each is replayed and
	// their verdict replaces Go's (sender.go). None means Go's client alone
	// decides.
	Clients []*clients.Profile
	// Address, when set, is the one "ip:port" to dial, in place of
	// resolving the host or a Resolve entry: SNI and validation still use
	// the host. A caller that checks every address of a name sets it once
	// per address.
	Address string
	// ServerName, when set, is the name sent in SNI in place of the
	// target's host (a certgate.yaml endpoint's sni).
	ServerName string
}

// DefaultMaxHandshakeBytes is the default cap on bytes read from a peer
// during one handshake: 1 MiB, four times the largest Certificate message
// crypto/tls accepts (256 KiB), so no real server comes near it.
const DefaultMaxHandshakeBytes = 1 << 20

// ErrHandshakeTooLarge results when a peer sends more than
// Options.MaxHandshakeBytes during one handshake.
var ErrHandshakeTooLarge = errors.New("peer sent more than the handshake byte limit")

// Observation is what one probe saw. Err is nil when the strict handshake
// completed. When it failed, TLS and Certs may still be set, from the
// diagnostic handshake (TLS 1.2 with every suite, or TLS 1.0/1.1) that
// completed, so that the certificate's problems are listed too.
type Observation struct {
	// Address is the address dialled, "ip:port", when a connection was made.
	Address string
	// Duration is the time from the start of the dial to the end of the
	// last handshake.
	Duration time.Duration
	// TLS describes the negotiated connection (the diagnostic one when Err
	// is set); nil when no handshake completed.
	TLS *result.TLSInfo
	// Certs is the chain as presented, in the order presented.
	Certs []*x509.Certificate
	// Err is the failure, nil when the strict handshake completed or a
	// client of Options.Clients connects.
	Err *Failure
	// Problems are the findings about the handshake that are not its
	// failure: that only a recorded client connects, that some recorded
	// clients refuse, that the chain could not be read.
	Problems []result.Problem
}

// Failure is a classified probe failure.
type Failure struct {
	// Code is the SPEC code: 11210, 11202, 11201, 11205 or 11220.
	Code result.Code
	// ID is the stable problem id.
	ID string
	// Detail is a lower-case sentence with the facts and the next step.
	Detail string
	// Err is the underlying error.
	Err error
}

func (f *Failure) Error() string { return f.Detail }

func (f *Failure) Unwrap() error { return f.Err }

// Phase says where a failure happened.
type Phase int

const (
	// PhaseDial covers DNS resolution and the TCP connect.
	PhaseDial Phase = iota
	// PhaseHandshake covers the TLS handshake.
	PhaseHandshake
)

// Probe dials t and performs the strict handshake. When the server refuses
// it, Probe finds out what the server does speak, with a TLS 1.2 handshake
// that offers every cipher suite Go implements and then a legacy TLS
// 1.0/1.1 one, so that the failure names the real cause (only TLS 1.0/1.1,
// RSA key exchange only, no shared cipher suite, weak signatures) and the
// certificate is still captured for its own problems to be listed.
func Probe(ctx context.Context, t target.Target, opts Options) Observation {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var obs Observation
	state, addr, fail := handshake(ctx, t, opts, strictConfig(t, opts))
	obs.Address = addr
	if fail == nil {
		obs.TLS = info(state)
		obs.Certs = state.PeerCertificates
		certificateLimits(&obs, opts.Clients, state.Version)
		obs.Duration = time.Since(start)
		return obs
	}
	obs.Err = fail
	if diagnosable(fail) && ctx.Err() == nil {
		diagnose(ctx, t, opts, &obs)
		if len(opts.Clients) > 0 && ctx.Err() == nil && negotiationFailure(fail.Err) {
			replay(ctx, t, opts, &obs)
		}
	}
	obs.Duration = time.Since(start)
	return obs
}

// diagnosable reports whether a failed strict handshake is worth more
// handshakes: the peer spoke TLS (or closed the connection) and time is left.
func diagnosable(f *Failure) bool {
	if f.Code != result.CodeHandshake || f.Err == nil {
		return false
	}
	var rh tls.RecordHeaderError
	return !errors.As(f.Err, &rh) && !errors.Is(f.Err, ErrHandshakeTooLarge) && !isTimeout(f.Err)
}

// diagnose runs after the strict handshake failed with obs.Err. It learns
// what the server speaks and replaces obs.Err with a failure that names the
// cause, keeping code 11220 and the strict handshake's error.
func diagnose(ctx context.Context, t target.Target, opts Options, obs *Observation) {
	strict := obs.Err
	strictAlert, _ := remoteAlert(strict.Err)
	fail := func(id, detail string) {
		obs.Err = &Failure{Code: result.CodeHandshake, ID: id, Detail: detail, Err: strict.Err}
	}

	wstate, _, wfail := handshake(ctx, t, opts, wideConfig(t, opts))
	if wfail == nil {
		// The server speaks TLS 1.2: what it chose says why the strict
		// client could not.
		obs.TLS = info(wstate)
		obs.Certs = wstate.PeerCertificates
		name := tls.CipherSuiteName(wstate.CipherSuite)
		switch {
		case rsaKeyExchange(wstate.CipherSuite):
			fail(result.ProblemRSAKeyExchange, fmt.Sprintf("the server speaks TLS 1.2 but offers only RSA key exchange (%s), which strict clients refuse: enable ECDHE key exchange (for example TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) on the server", name))
		case insecureSuite(wstate.CipherSuite):
			fail(result.ProblemInsecureCipher, fmt.Sprintf("the server speaks TLS 1.2 but offers only cipher suites strict clients refuse (it chose %s): enable ECDHE with AES-GCM or ChaCha20-Poly1305 on the server", name))
		default:
			fail(result.ProblemHandshake, fmt.Sprintf("the server refused a handshake that offers TLS 1.3 (%s) but completes one that offers TLS 1.2 alone (%s): it does not tolerate TLS 1.3 clients; update its TLS library", refusal(strict.Err), name))
		}
		return
	}
	if ctx.Err() != nil {
		return
	}
	wideAlert, wideAlerted := remoteAlert(wfail.Err)
	nothingShared := wideAlerted && (wideAlert == alertHandshakeFailure || wideAlert == alertInsufficientSecurity)

	lstate, _, lfail := handshake(ctx, t, opts, legacyConfig(t, opts))
	if lfail == nil && lstate.Version < tls.VersionTLS12 {
		v := tls.VersionName(lstate.Version)
		obs.TLS = info(lstate)
		obs.Certs = lstate.PeerCertificates
		if !nothingShared {
			fail(result.ProblemLegacyTLS, fmt.Sprintf("the server offers only %s; strict clients require TLS 1.2 or newer: enable TLS 1.2 and 1.3 on the server", v))
			return
		}
		// A server that answers a TLS 1.2 hello with "handshake failure"
		// rather than "protocol version" speaks TLS 1.2. The suite it chose
		// in the legacy handshake was offered in TLS 1.2 too, so what the
		// two disagree on is the signature algorithm: TLS 1.0/1.1 sign with
		// MD5 and SHA-1, TLS 1.2 with what the client offers.
		if i, alg, ok := weakSigned(lstate.PeerCertificates); ok {
			fail(result.ProblemWeakSignature, fmt.Sprintf("the server speaks TLS 1.2 but refuses it (%s) and completes only a %s handshake: certificate %d of its chain (0 is its own) is signed with %s, a signature algorithm TLS 1.2 clients do not offer; reissue the certificate signed with SHA-256", refusal(wfail.Err), v, i, alg))
			return
		}
		fail(result.ProblemWeakSignature, fmt.Sprintf("the server speaks TLS 1.2 but refuses it (%s) and completes only a %s handshake, whose signatures use MD5 and SHA-1: it offers no signature algorithm a TLS 1.2 client accepts; enable SHA-256 signature algorithms (RSA-PKCS1-SHA256, ECDSA-SHA256, RSA-PSS) on the server", refusal(wfail.Err), v))
		return
	}
	if nothingShared && strictAlert == wideAlert {
		fail(result.ProblemNoSharedCipher, fmt.Sprintf("no shared cipher suite: the server refuses every TLS 1.2 and 1.3 cipher suite and signature algorithm Go implements, even insecure ones (%s); enable ECDHE with AES-GCM or ChaCha20-Poly1305 on the server", refusal(wfail.Err)))
	}
}

// refusal says in a few words how a handshake was refused.
func refusal(err error) string {
	if a, ok := remoteAlert(err); ok {
		return fmt.Sprintf("alert %q", a.Error())
	}
	if isReset(err) {
		return "the connection was closed or reset"
	}
	return cause(err)
}

// TLS alert descriptions the diagnosis looks for (RFC 8446, section 6).
const (
	alertHandshakeFailure     tls.AlertError = 40
	alertInsufficientSecurity tls.AlertError = 71
)

// remoteAlert returns the alert the peer sent, when err is one. crypto/tls
// reports a peer's alert as a *net.OpError "remote error" whose Err has an
// unexported type whose value is the alert's description byte.
func remoteAlert(err error) (tls.AlertError, bool) {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "remote error" && op.Err != nil {
		if v := reflect.ValueOf(op.Err); v.Kind() == reflect.Uint8 {
			return tls.AlertError(v.Uint()), true
		}
	}
	var a tls.AlertError
	if errors.As(err, &a) {
		return a, true
	}
	return 0, false
}

// rsaKeyExchange reports whether suite uses static RSA key exchange.
func rsaKeyExchange(suite uint16) bool {
	switch suite {
	case tls.TLS_RSA_WITH_RC4_128_SHA, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA,
		tls.TLS_RSA_WITH_AES_128_CBC_SHA256, tls.TLS_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_RSA_WITH_AES_256_GCM_SHA384:
		return true
	}
	return false
}

// insecureSuite reports whether suite is one Go marks insecure.
func insecureSuite(suite uint16) bool {
	for _, s := range tls.InsecureCipherSuites() {
		if s.ID == suite {
			return true
		}
	}
	return false
}

// weakSigned returns the first certificate of chain signed with MD5 or
// SHA-1, its position and the algorithm.
func weakSigned(chain []*x509.Certificate) (int, x509.SignatureAlgorithm, bool) {
	for i, c := range chain {
		switch c.SignatureAlgorithm {
		case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
			return i, c.SignatureAlgorithm, true
		}
	}
	return 0, 0, false
}

func serverName(t target.Target, opts Options) string {
	if opts.NoSNI {
		return ""
	}
	if opts.ServerName != "" {
		return opts.ServerName
	}
	if t.IsIP {
		return ""
	}
	return t.Host
}

// strictConfig is the handshake of a strict modern client. Verification is
// skipped here on purpose: the probe only captures the presented chain, and
// package verify judges it against explicit trust stores, for every store
// separately. No application data is sent on the connection.
func strictConfig(t target.Target, opts Options) *tls.Config {
	return &tls.Config{
		ServerName:         serverName(t, opts),
		InsecureSkipVerify: true, // judged by package verify; see above
		MinVersion:         tls.VersionTLS12,
		NextProtos:         []string{"h2", "http/1.1"},
	}
}

// everySuite lists every TLS 1.0-1.2 cipher suite Go implements, the
// insecure ones included.
func everySuite() []uint16 {
	var suites []uint16
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	return suites
}

// wideConfig is the strict handshake limited to TLS 1.2 and offering every
// cipher suite Go implements, to learn whether a server that refused the
// strict handshake speaks TLS 1.2 and what it chooses. Its connections are
// never trusted.
func wideConfig(t target.Target, opts Options) *tls.Config {
	cfg := strictConfig(t, opts)
	cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS12, tls.VersionTLS12
	cfg.CipherSuites = everySuite()
	return cfg
}

// legacyConfig accepts TLS 1.0 and 1.1 with every cipher suite Go still
// implements, to diagnose outdated servers. Its connections are never trusted.
func legacyConfig(t target.Target, opts Options) *tls.Config {
	return &tls.Config{
		ServerName:         serverName(t, opts),
		InsecureSkipVerify: true, // diagnosis only; see strictConfig
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS11,
		CipherSuites:       everySuite(),
	}
}

func dialAddr(t target.Target, opts Options) string {
	if opts.Address != "" {
		return opts.Address
	}
	port := strconv.Itoa(t.Port)
	if a, ok := opts.Resolve[net.JoinHostPort(t.Host, port)]; ok {
		if _, _, err := net.SplitHostPort(a); err == nil {
			return a
		}
		return net.JoinHostPort(a, port)
	}
	return net.JoinHostPort(t.Host, port)
}

func handshake(ctx context.Context, t target.Target, opts Options, cfg *tls.Config) (tls.ConnectionState, string, *Failure) {
	raw, addr, fail := dial(ctx, t, opts)
	if fail != nil {
		return tls.ConnectionState{}, "", fail
	}
	defer raw.Close()
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, addr, classify(err, PhaseHandshake, opts.Timeout, addr)
	}
	return conn.ConnectionState(), addr, nil
}

// dial connects to t as opts say and returns the connection bounded by the
// handshake byte limit and ctx's deadline, and the address dialled.
func dial(ctx context.Context, t target.Target, opts Options) (net.Conn, string, *Failure) {
	var d interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	} = &net.Dialer{}
	if opts.Dialer != nil {
		d = opts.Dialer
	}
	var raw net.Conn
	var err error
	if _, resolved := opts.Resolve[t.Key()]; opts.Address == "" && opts.DNS != nil && opts.Dialer == nil && !t.IsIP && !resolved {
		raw, err = dialCached(ctx, opts.DNS, &net.Dialer{}, t.Host, t.Port)
	} else {
		raw, err = d.DialContext(ctx, "tcp", dialAddr(t, opts))
	}
	if err != nil {
		return nil, "", classify(err, PhaseDial, opts.Timeout, dialAddr(t, opts))
	}
	addr := raw.RemoteAddr().String()
	raw = &limitConn{Conn: raw, limit: maxBytes(opts)}
	if dl, ok := ctx.Deadline(); ok {
		// Bound every read and write, whatever the peer does.
		_ = raw.SetDeadline(dl)
	}
	return raw, addr, nil
}

// maxBytes is the handshake byte limit of opts.
func maxBytes(opts Options) int64 {
	if opts.MaxHandshakeBytes <= 0 {
		return DefaultMaxHandshakeBytes
	}
	return opts.MaxHandshakeBytes
}

func info(s tls.ConnectionState) *result.TLSInfo {
	return &result.TLSInfo{
		Version:     tls.VersionName(s.Version),
		CipherSuite: tls.CipherSuiteName(s.CipherSuite),
		ALPN:        s.NegotiatedProtocol,
		OCSPStapled: len(s.OCSPResponse) > 0,
		Client:      GoClient,
	}
}

// Classify turns a dial or handshake error into a SPEC code with a detail
// that names the address (when err carries it) and the next step. It is
// the one place where failures are classified; the Failure keeps err.
func Classify(err error, phase Phase, timeout time.Duration) *Failure {
	return classify(err, phase, timeout, "")
}

// classify is Classify with the address that was dialled, used when err
// does not carry one.
func classify(err error, phase Phase, timeout time.Duration, addr string) *Failure {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		addr = op.Addr.String()
	}
	peer := "the peer"
	if addr != "" {
		peer = addr
	}
	timedOut := isTimeout(err)
	if phase == PhaseDial {
		var dnsErr *net.DNSError
		var proxyErr *proxy.Error
		switch {
		case errors.As(err, &dnsErr):
			what := "does not resolve"
			if dnsErr.IsTimeout {
				what = "could not be resolved in time"
			} else if !dnsErr.IsNotFound {
				what = "could not be resolved (" + dnsErr.Err + ")"
			}
			return &Failure{Code: result.CodeBadHostName, ID: result.ProblemDNS, Err: err,
				Detail: fmt.Sprintf("host name %s %s: check the spelling and the DNS records, or use --resolve to test a server before the DNS switch", dnsErr.Name, what)}
		case errors.As(err, &proxyErr):
			// The proxy's own sentence names the proxy and the next step.
			return &Failure{Code: result.CodeConnFailure, ID: result.ProblemConnection, Err: err, Detail: proxyErr.Error()}
		case isRefused(err):
			return &Failure{Code: result.CodeTCPRefused, ID: result.ProblemTCPRefused, Err: err,
				Detail: fmt.Sprintf("%s refused the TCP connection: is the server listening on that port?", orServer(addr))}
		case timedOut:
			return &Failure{Code: result.CodeTCPTimeout, ID: result.ProblemTCPTimeout, Err: err,
				Detail: fmt.Sprintf("no TCP connection to %s within %s: check firewalls and the address, or raise --timeout", orServer(addr), timeout)}
		case isReset(err):
			return &Failure{Code: result.CodeConnFailure, ID: result.ProblemConnection, Err: err,
				Detail: fmt.Sprintf("%s reset the TCP connection before the handshake: check the network path and any firewall in front of the server", orServer(addr))}
		default:
			return &Failure{Code: result.CodeConnFailure, ID: result.ProblemConnection, Err: err,
				Detail: fmt.Sprintf("connection to %s failed (%s): check the network path to the server", orServer(addr), cause(err))}
		}
	}

	var rh tls.RecordHeaderError
	var cve *tls.CertificateVerificationError
	detail := ""
	switch {
	case errors.Is(err, ErrHandshakeTooLarge):
		detail = fmt.Sprintf("%s sent more data during the handshake than any real server does (%s): check that the port serves TLS and that the server sends only its certificate chain", peer, cause(err))
	case timedOut:
		detail = fmt.Sprintf("the TLS handshake with %s did not complete within %s: the peer accepted the connection but stalled; check that the port serves TLS, or raise --timeout", peer, timeout)
	case errors.As(err, &rh):
		if looksHTTP(rh.RecordHeader[:]) {
			detail = fmt.Sprintf("%s answered in plain HTTP, not TLS: use the port that serves HTTPS, or enable TLS on this one", peer)
		} else {
			detail = fmt.Sprintf("%s does not speak TLS (first bytes %q): use the port that serves HTTPS", peer, rh.RecordHeader[:])
		}
	case isAlert(err):
		a, _ := remoteAlert(err)
		detail = fmt.Sprintf("the server refused the handshake with TLS alert %q: it may offer no TLS 1.2+ version or cipher a strict client accepts, or require a different server name", a.Error())
	case errors.As(err, &cve):
		detail = "the server's certificate could not be processed: " + cause(err)
	case isReset(err):
		detail = fmt.Sprintf("%s closed or reset the connection during the handshake: check that the port serves TLS for this server name", peer)
	default:
		detail = "the TLS handshake failed: " + cause(err)
	}
	return &Failure{Code: result.CodeHandshake, ID: result.ProblemHandshake, Detail: detail, Err: err}
}

// orServer names addr, or "the server" when it is not known.
func orServer(addr string) string {
	if addr == "" {
		return "the server"
	}
	return addr
}

// isTimeout reports whether err is a deadline or a network timeout.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// isAlert reports whether err is a TLS alert the peer sent.
func isAlert(err error) bool {
	_, ok := remoteAlert(err)
	return ok
}

// cause describes the innermost error for a detail: a system error by its
// errno's description, the handshake byte cap by its limit, and any other
// error by its own text.
func cause(err error) string {
	var limit limitError
	var errno syscall.Errno
	switch {
	case errors.As(err, &limit):
		return limit.Error()
	case errors.As(err, &errno):
		return errno.Error()
	}
	return rootCause(err)
}

// looksHTTP reports whether the first bytes a peer sent (a TLS record
// header's worth) begin an HTTP response or an HTML page.
func looksHTTP(b []byte) bool {
	for _, p := range []string{"HTTP/", "<!DOC", "<html", "<HTML"} {
		if strings.HasPrefix(string(b), p) {
			return true
		}
	}
	return false
}

// rootCause returns the innermost error's text, lower-case as Go's are.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

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
	"strconv"
	"strings"
	"time"

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
}

// DefaultMaxHandshakeBytes is the default cap on bytes read from a peer
// during one handshake: 1 MiB, four times the largest Certificate message
// crypto/tls accepts (256 KiB), so no real server comes near it.
const DefaultMaxHandshakeBytes = 1 << 20

// ErrHandshakeTooLarge results when a peer sends more than
// Options.MaxHandshakeBytes during one handshake.
var ErrHandshakeTooLarge = errors.New("peer sent more than the handshake byte limit")

// Observation is what one probe saw. Exactly one of Err and TLS is the
// outcome of the strict handshake; Certs may be set with Err when the strict
// handshake failed but a legacy one still showed the certificate.
type Observation struct {
	// Address is the address dialled, "ip:port", when a connection was made.
	Address string
	// Duration is the time from the start of the dial to the end of the
	// last handshake.
	Duration time.Duration
	// TLS describes the negotiated connection; nil when no handshake completed.
	TLS *result.TLSInfo
	// Certs is the chain as presented, in the order presented.
	Certs []*x509.Certificate
	// Err is the failure, nil when the strict handshake completed.
	Err *Failure
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

// Probe dials t and performs the strict handshake, then, when that fails, a
// legacy TLS 1.0/1.1 handshake to tell an outdated server apart and still
// capture its certificate.
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
		obs.Duration = time.Since(start)
		return obs
	}
	obs.Err = fail
	if fail.Code == result.CodeHandshake && ctx.Err() == nil {
		// The strict handshake was refused: find out whether the server only
		// speaks TLS 1.0/1.1, and capture its chain so its problems are listed.
		if lstate, _, lfail := handshake(ctx, t, opts, legacyConfig(t, opts)); lfail == nil && lstate.Version < tls.VersionTLS12 {
			v := tls.VersionName(lstate.Version)
			obs.TLS = info(lstate)
			obs.Certs = lstate.PeerCertificates
			obs.Err = &Failure{
				Code:   result.CodeHandshake,
				ID:     result.ProblemLegacyTLS,
				Detail: fmt.Sprintf("server offers only %s; strict clients require TLS 1.2 or newer: enable TLS 1.2 and 1.3 on the server", v),
				Err:    fail.Err,
			}
		}
	}
	obs.Duration = time.Since(start)
	return obs
}

func serverName(t target.Target, opts Options) string {
	if opts.NoSNI || t.IsIP {
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

// legacyConfig accepts TLS 1.0 and 1.1 with every cipher suite Go still
// implements, to diagnose outdated servers. Its connections are never trusted.
func legacyConfig(t target.Target, opts Options) *tls.Config {
	var suites []uint16
	for _, s := range tls.CipherSuites() {
		suites = append(suites, s.ID)
	}
	for _, s := range tls.InsecureCipherSuites() {
		suites = append(suites, s.ID)
	}
	return &tls.Config{
		ServerName:         serverName(t, opts),
		InsecureSkipVerify: true, // diagnosis only; see strictConfig
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         tls.VersionTLS11,
		CipherSuites:       suites,
	}
}

func dialAddr(t target.Target, opts Options) string {
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
	var d interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	} = &net.Dialer{}
	if opts.Dialer != nil {
		d = opts.Dialer
	}
	var raw net.Conn
	var err error
	if _, resolved := opts.Resolve[t.Key()]; opts.DNS != nil && opts.Dialer == nil && !t.IsIP && !resolved {
		raw, err = dialCached(ctx, opts.DNS, &net.Dialer{}, t.Host, t.Port)
	} else {
		raw, err = d.DialContext(ctx, "tcp", dialAddr(t, opts))
	}
	if err != nil {
		return tls.ConnectionState{}, "", Classify(err, PhaseDial, opts.Timeout)
	}
	defer raw.Close()
	addr := raw.RemoteAddr().String()
	limit := opts.MaxHandshakeBytes
	if limit <= 0 {
		limit = DefaultMaxHandshakeBytes
	}
	raw = &limitConn{Conn: raw, limit: limit}
	if dl, ok := ctx.Deadline(); ok {
		// Bound every read and write, whatever the peer does.
		_ = raw.SetDeadline(dl)
	}
	conn := tls.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		return tls.ConnectionState{}, addr, Classify(err, PhaseHandshake, opts.Timeout)
	}
	return conn.ConnectionState(), addr, nil
}

func info(s tls.ConnectionState) *result.TLSInfo {
	return &result.TLSInfo{
		Version:     tls.VersionName(s.Version),
		CipherSuite: tls.CipherSuiteName(s.CipherSuite),
		ALPN:        s.NegotiatedProtocol,
		OCSPStapled: len(s.OCSPResponse) > 0,
	}
}

// Classify turns a dial or handshake error into a SPEC code with a detail
// that names the next step. It is the one place where failures are
// classified.
func Classify(err error, phase Phase, timeout time.Duration) *Failure {
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timedOut := errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		timedOut = true
	}
	if phase == PhaseDial {
		var dnsErr *net.DNSError
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
		case isRefused(err):
			return &Failure{Code: result.CodeTCPRefused, ID: result.ProblemTCPRefused, Err: err,
				Detail: "connection refused: nothing listens on that port; check the port and that the server is running"}
		case timedOut:
			return &Failure{Code: result.CodeTCPTimeout, ID: result.ProblemTCPTimeout, Err: err,
				Detail: fmt.Sprintf("no TCP connection within %s: check firewalls and the address, or raise --timeout", timeout)}
		default:
			return &Failure{Code: result.CodeConnFailure, ID: result.ProblemConnection, Err: err,
				Detail: "connection failed: " + rootCause(err) + "; check the network path to the server"}
		}
	}

	var rh tls.RecordHeaderError
	var alert tls.AlertError
	var cve *tls.CertificateVerificationError
	var op *net.OpError
	detail := ""
	switch {
	case errors.Is(err, ErrHandshakeTooLarge):
		detail = "the peer sent more data during the handshake than any real server does (" + rootCause(err) + "): check that the port serves TLS and that the server sends only its certificate chain"
	case timedOut:
		detail = fmt.Sprintf("the TLS handshake did not complete within %s: the peer accepted the connection but stalled; check that the port serves TLS, or raise --timeout", timeout)
	case errors.As(err, &rh):
		if looksHTTP(rh.RecordHeader[:]) {
			detail = "the peer answered in plain HTTP, not TLS: use the port that serves HTTPS, or enable TLS on this one"
		} else {
			detail = fmt.Sprintf("the peer does not speak TLS (first bytes %q): use the port that serves HTTPS", rh.RecordHeader[:])
		}
	case errors.As(err, &alert):
		detail = fmt.Sprintf("the server refused the handshake with TLS alert %q: it may offer no TLS 1.2+ version or cipher a strict client accepts, or require a different server name", alert.Error())
	case errors.As(err, &op) && op.Op == "remote error":
		// crypto/tls reports a peer's alert as a *net.OpError "remote error".
		detail = fmt.Sprintf("the server refused the handshake with TLS alert %q: it may offer no TLS 1.2+ version or cipher a strict client accepts, or require a different server name", rootCause(op.Err))
	case errors.As(err, &cve):
		detail = "the server's certificate could not be processed: " + rootCause(err)
	case isReset(err):
		detail = "the peer closed or reset the connection during the handshake: check that the port serves TLS for this server name"
	default:
		detail = "the TLS handshake failed: " + rootCause(err)
	}
	return &Failure{Code: result.CodeHandshake, ID: result.ProblemHandshake, Detail: detail, Err: err}
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

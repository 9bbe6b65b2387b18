// Package scan gathers the configuration report of one TLS endpoint (certgate
// scan): the protocols and cipher suites it accepts, its preference order,
// groups, DH size, key, protocol features, HSTS and what each recorded client
// would negotiate. It speaks to the server through package tlswire (and
// crypto/tls for the features that need a completed handshake: session
// resumption, HSTS); it never judges the certificate, which is check's work,
// and it never grades, which belongs to the grade.
//
// Every connection is bounded in time (Options.Timeout) and bytes
// (Options.MaxBytes); the connections of one scan run in parallel, at most
// Options.Concurrency at once. Nothing is kept from one scan to the next.
package scan

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/tlswire"
	"github.com/certgate/certgate/pkg/verify"
)

// Target is one endpoint to scan.
type Target struct {
	// Dial opens a new connection to the endpoint, ready for a TLS
	// ClientHello (for STARTTLS, already upgraded). It is called once per
	// probe, concurrently.
	Dial func(ctx context.Context) (net.Conn, error)
	// ServerName is sent as SNI; "" sends none.
	ServerName string
	// Host is the name of the Host header of the HSTS request; defaults
	// to ServerName.
	Host string
	// HTTPS asks for the Strict-Transport-Security header with one GET /.
	HTTPS bool
	// ALPN, when set, are the application protocols every hello of the
	// scan offers (the wire-level probes, the replayed client hellos and
	// the crypto/tls handshakes), for a server that refuses a hello
	// without them: PostgreSQL's direct TLS wants "postgresql"
	// (starttls.ALPN). Nil offers none, except where ALPN is probed.
	ALPN []string
}

// Options bound a scan.
type Options struct {
	// Timeout bounds each connection, connect plus exchange. Zero means 10s.
	Timeout time.Duration
	// Concurrency is the number of connections in flight at once. Zero
	// means DefaultConcurrency.
	Concurrency int
	// MaxBytes bounds what is read from the server on one connection.
	// Zero means tlswire.DefaultMaxBytes.
	MaxBytes int64
	// Clients are the client simulations to run; nil runs every embedded
	// profile, an empty non-nil slice none.
	Clients []*clients.Profile
	// Certs is the chain the server presented, leaf first, as check saw it
	// (for the server key, SCTs and must-staple). When empty, the chain of
	// the scan's own TLS 1.2-and-older handshakes is used.
	Certs []*x509.Certificate
	// Slots, when set, is shared by scans that run together: each
	// connection holds one of its slots, so that the scans of many targets
	// stay within one budget. Concurrency is ignored then.
	Slots chan struct{}
	// VerifyChain decides whether the HSTS request may be sent over a
	// connection that presented certs (leaf first). Nil sends no request.
	VerifyChain func(certs []*x509.Certificate) error
	// Negotiated is the protocol version ("TLS 1.3") of a handshake check
	// completed with the server before the scan, "" when none did. When
	// it is set and every protocol probe of the scan fails, the report
	// is empty for a reason of the scan's own: a scan-incomplete warning
	// says so, instead of a server that speaks no TLS.
	Negotiated string
}

// DefaultConcurrency is the default number of a scan's connections in
// flight.
const DefaultConcurrency = 8

// Report is the outcome of a scan.
type Report struct {
	// Scan is the configuration report; its Grade is left nil.
	Scan *result.Scan
	// OCSPStaple is the raw OCSP response the server stapled, nil when
	// none, for the staple's checker.
	OCSPStaple []byte
	// Problems are the scan's own findings: a server that selected what
	// was not offered, connections that failed.
	Problems []result.Problem
}

// legacyVersions are the versions enumerated with TLS 1.2-style hellos.
var legacyVersions = []uint16{tlswire.VersionTLS12, tlswire.VersionTLS11, tlswire.VersionTLS10, tlswire.VersionSSL30}

// scanner is the state of one scan.
type scanner struct {
	t   Target
	o   Options
	sem chan struct{}

	probes atomic.Int64

	mu          sync.Mutex
	lies        []string
	failures    []string
	dhBits      int
	sigSchemes  []uint16
	flightCerts [][]byte
	staple      []byte
	tlsSCTs     int
	legacySeen  bool
	renegSeen   bool
	// versionWhy is why the first probe of each version found nothing.
	versionWhy map[uint16]string
}

// Run scans t. It always returns a report; what could not be learnt is
// missing from it and said in its problems.
func Run(ctx context.Context, t Target, o Options) Report {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = tlswire.DefaultMaxBytes
	}
	if t.Host == "" {
		t.Host = t.ServerName
	}
	if o.Clients == nil {
		o.Clients, _ = clients.All()
	}
	sem := o.Slots
	if sem == nil {
		sem = make(chan struct{}, o.Concurrency)
	}
	s := &scanner{t: t, o: o, sem: sem, versionWhy: map[uint16]string{}}
	return s.run(ctx)
}

func (s *scanner) run(ctx context.Context) Report {
	sc := &result.Scan{HTTPS: s.t.HTTPS, ServerPreference: map[string]bool{}, Groups: []string{}, Clients: []result.ClientSimulation{},
		CipherSuites: []result.Suite{}, Features: result.Features{ALPN: []string{}}}
	var wg sync.WaitGroup
	goDo := func(f func()) {
		wg.Add(1)
		go func() { defer wg.Done(); f() }()
	}

	// Phase 1: protocols and suites; client simulations, TLS 1.3 groups,
	// resumption and HSTS need nothing from it.
	ssl2 := false
	goDo(func() { ssl2 = s.ssl2(ctx) })
	all := append([]uint16{tlswire.VersionTLS13}, legacyVersions...)
	// [version] chains of accepted suites, each in the server's order
	perClass := make([][][]uint16, len(all))
	for i, v := range all {
		goDo(func() { perClass[i] = s.enumerateVersion(ctx, v) })
	}
	sims := make([]result.ClientSimulation, len(s.o.Clients))
	for i, p := range s.o.Clients {
		goDo(func() { sims[i] = s.simulate(ctx, p) })
	}
	// Resumption and HSTS at TLS 1.2 and older; TLS 1.3 only servers are
	// retried below.
	var res resumption
	goDo(func() { res, _ = s.resume(ctx, tlswire.VersionTLS12) })
	var idResumed bool
	goDo(func() { idResumed = s.resumeID(ctx) })
	// TLS 1.3 groups, enumerated in chains of groupChain side by side: a
	// server without TLS 1.3 costs one connection a chain.
	groups13 := make([]bool, len(groups13Candidates))
	for part := range slices.Chunk(groups13Candidates, groupChain) {
		goDo(func() {
			for _, g := range s.groups13(ctx, part) {
				groups13[slices.Index(groups13Candidates, g)] = true
			}
		})
	}
	wg.Wait()

	supported := map[uint16]bool{}
	for i, v := range all {
		var n int
		for _, c := range perClass[i] {
			n += len(c)
		}
		supported[v] = n > 0
	}
	highest12 := uint16(0)
	for _, v := range legacyVersions {
		if supported[v] && highest12 == 0 {
			highest12 = v
		}
	}

	// Phase 2: what needs the accepted suites.
	order := make([][]uint16, len(all))
	prefs := make([]int, len(all)) // 0 unknown, 1 server, 2 client
	for i, v := range all {
		if !supported[v] {
			continue
		}
		goDo(func() { order[i], prefs[i] = s.preference(ctx, v, perClass[i]) })
	}
	var ecdhe12 []uint16
	for i, v := range all {
		if v == highest12 {
			for _, c := range perClass[i] {
				for _, id := range c {
					if tlswire.SuiteKeyExchange(id) == tlswire.KeyExchangeECDHE {
						ecdhe12 = append(ecdhe12, id)
					}
				}
			}
		}
	}
	found13 := map[uint16]bool{}
	for i, ok := range groups13 {
		if ok {
			found13[groups13Candidates[i]] = true
		}
	}
	groups12 := make([]bool, len(groups12Candidates))
	if len(ecdhe12) > 0 {
		var left []uint16
		for _, g := range groups12Candidates {
			if !found13[g] {
				left = append(left, g)
			}
		}
		// Chains of groupChain candidates side by side: a chain costs a
		// connection per group found plus one, one after another, so
		// short chains keep the round trips down.
		for part := range slices.Chunk(left, groupChain) {
			goDo(func() {
				for _, g := range s.groups12(ctx, highest12, ecdhe12, part, s.leafCurve()) {
					groups12[slices.Index(groups12Candidates, g)] = true
				}
			})
		}
	}
	var fallback bool
	goDo(func() { fallback = s.fallbackSCSV(ctx, supported, perClass, all) })
	var feat features
	if highest12 != 0 {
		i := slices.Index(all, highest12)
		goDo(func() { feat = s.features(ctx, highest12, flatten(perClass[i])) })
	}
	var alpn []string
	goDo(func() { alpn = s.alpn(ctx, supported, highest12, perClass, all) })
	wg.Wait()

	// Assemble.
	for _, v := range append([]uint16{tlswire.VersionTLS13}, legacyVersions...) {
		sc.Protocols = append(sc.Protocols, result.ProtocolSupport{Version: tlswire.VersionName(v), Supported: supported[v]})
	}
	sc.Protocols = append(sc.Protocols, result.ProtocolSupport{Version: tlswire.VersionName(tlswire.VersionSSL20), Supported: ssl2})
	for i, v := range all {
		for _, id := range order[i] {
			a := Attributes(id)
			a.Protocol = tlswire.VersionName(v)
			sc.CipherSuites = append(sc.CipherSuites, a)
		}
		if prefs[i] != 0 {
			sc.ServerPreference[tlswire.VersionName(v)] = prefs[i] == 1
		}
	}
	seen := map[uint16]bool{}
	for _, g := range groupOrder {
		i13 := slices.Index(groups13Candidates, g)
		i12 := slices.Index(groups12Candidates, g)
		if (i13 >= 0 && groups13[i13]) || (i12 >= 0 && groups12[i12]) {
			if !seen[g] {
				seen[g] = true
				sc.Groups = append(sc.Groups, tlswire.GroupName(g))
			}
		}
	}
	sc.Clients = sims
	s.mu.Lock()
	defer s.mu.Unlock()
	sc.DHBits = s.dhBits
	for _, sig := range s.sigSchemes {
		sc.SignatureAlgorithms = append(sc.SignatureAlgorithms, tlswire.SignatureSchemeName(sig))
	}
	certs := s.o.Certs
	if len(certs) == 0 {
		for _, der := range s.flightCerts {
			if c, err := x509.ParseCertificate(der); err == nil {
				certs = append(certs, c)
			}
		}
	}
	if len(certs) > 0 {
		leaf := certs[0]
		sc.ServerKey = verify.KeyDescription(leaf)
		sc.Features.MustStaple = MustStaple(leaf)
		sc.Features.SCTs.Certificate = CertificateSCTs(leaf)
	}
	f := &sc.Features
	f.SecureRenegotiation = s.renegSeen || !s.legacySeen
	f.FallbackSCSV = fallback
	f.SessionResumptionTickets = res.tickets
	f.SessionResumptionIDs = idResumed
	f.ALPN = alpn
	f.Compression = feat.compression
	f.Heartbeat = feat.heartbeat
	staple := s.staple
	if len(res.staple) > 0 {
		staple = res.staple
	}
	f.OCSPStapling = len(staple) > 0
	f.SCTs.TLS = max(s.tlsSCTs, res.scts)
	s.hsts(res, f)
	sc.Probes = int(s.probes.Load())

	var problems []result.Problem
	for _, l := range s.lies {
		problems = append(problems, result.Problem{ID: result.ProblemScanUnoffered, Severity: result.SeverityWarn, Cert: -1,
			Message: l + "; a real client aborts such a handshake: fix the server's TLS configuration"})
	}
	if len(s.failures) > 0 {
		fails := slices.Clone(s.failures)
		sort.Strings(fails)
		fails = slices.Compact(fails)
		more := ""
		if len(fails) > 3 {
			more = fmt.Sprintf(" and %d more", len(fails)-3)
			fails = fails[:3]
		}
		problems = append(problems, result.Problem{ID: result.ProblemScanIncomplete, Severity: result.SeverityInfo, Cert: -1,
			Message: fmt.Sprintf("%d of %d scan connections failed (%s%s): parts of the report may be missing; retry with a longer --timeout or a lower -c", len(s.failures), sc.Probes, strings.Join(fails, "; "), more)})
	}
	if p, ok := s.nothingFound(ssl2, supported, all); ok && ctx.Err() == nil {
		problems = append(problems, p)
	}
	return Report{Scan: sc, OCSPStaple: staple, Problems: problems}
}

// nothingFound is the warning of a scan whose every protocol probe failed
// although check completed a handshake with the server: the empty report
// (no protocol, suite or grade) is the scan's failure, not the server's
// configuration. Called with s.mu held.
func (s *scanner) nothingFound(ssl2 bool, supported map[uint16]bool, all []uint16) (result.Problem, bool) {
	if s.o.Negotiated == "" || ssl2 {
		return result.Problem{}, false
	}
	for _, v := range all {
		if supported[v] {
			return result.Problem{}, false
		}
	}
	var why []string
	for _, v := range all {
		if w := s.versionWhy[v]; w != "" {
			why = append(why, tlswire.VersionName(v)+": "+w)
		}
	}
	hint := "the server may want what the scan's hellos do not send (an ALPN protocol, a client certificate) or may limit connections: retry with a lower -c"
	if len(s.t.ALPN) > 0 {
		hint = "the scan's hellos offered ALPN " + strings.Join(s.t.ALPN, ", ") + "; the server may want a client certificate or may limit connections: retry with a lower -c"
	}
	return result.Problem{ID: result.ProblemScanIncomplete, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("check negotiated %s with the server, but every protocol probe of the scan failed (%s), so no protocol, suite or grade is reported; %s",
			s.o.Negotiated, strings.Join(why, "; "), hint)}, true
}

// withALPN returns cfg for a crypto/tls handshake of the scan: when the
// target needs ALPN protocols that cfg does not offer, a copy offering
// the target's.
func (s *scanner) withALPN(cfg *tls.Config) *tls.Config {
	if len(s.t.ALPN) == 0 || !slices.ContainsFunc(s.t.ALPN, func(p string) bool { return !slices.Contains(cfg.NextProtos, p) }) {
		return cfg
	}
	cfg = cfg.Clone()
	cfg.NextProtos = slices.Clone(s.t.ALPN)
	return cfg
}

// classesOf splits suites by key exchange class, keeping their order.
func classesOf(suites []uint16) [][]uint16 {
	idx := map[string]int{}
	var out [][]uint16
	for _, id := range suites {
		c := suiteClass(id)
		i, ok := idx[c]
		if !ok {
			i = len(out)
			idx[c] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], id)
	}
	return out
}

func flatten(lists [][]uint16) []uint16 {
	var out []uint16
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// errDial marks a probe whose connection could not be made.
var errDial = errors.New("scan: connection failed")

// exchange sends hello on a new connection and reads the server's first
// flight, recording what the flight says about the server.
func (s *scanner) exchange(ctx context.Context, hello *tlswire.ClientHello) (*tlswire.Flight, error) {
	return s.exchangeWith(ctx, func(ctx context.Context, conn net.Conn) (*tlswire.Flight, error) {
		return tlswire.Exchange(ctx, conn, hello, s.o.MaxBytes)
	}, hello, false)
}

// exchangeWith runs do on a new connection and observes its flight; quiet
// leaves its failure out of the scan's failures.
func (s *scanner) exchangeWith(ctx context.Context, do func(context.Context, net.Conn) (*tlswire.Flight, error), hello *tlswire.ClientHello, quiet bool) (*tlswire.Flight, error) {
	conn, cancel, err := s.dial(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer conn.Close()
	f, err := do(ctx, conn)
	if quiet && err != nil && !errors.Is(err, tlswire.ErrUnoffered) {
		return f, err
	}
	s.observe(ctx, f, err, hello)
	return f, err
}

// dial takes a token of the budget and opens a connection; the returned
// cancel releases both.
func (s *scanner) dial(ctx context.Context) (net.Conn, func(), error) {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	s.probes.Add(1)
	cctx, cancel := context.WithTimeout(ctx, s.o.Timeout)
	conn, err := s.t.Dial(cctx)
	if err != nil {
		cancel()
		<-s.sem
		if ctx.Err() == nil {
			s.fail("connect: " + rootCause(err))
		}
		return nil, nil, fmt.Errorf("%w: %w", errDial, err)
	}
	if dl, ok := cctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(cctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	return newLimitConn(conn, s.o.MaxBytes), func() { stop(); cancel(); <-s.sem }, nil
}

// limitConn fails its reads once left bytes were read: every connection
// of a scan, crypto/tls ones included, reads at most Options.MaxBytes. It
// reads the socket through a buffer, so that a record's header and body
// cost one read system call, not two.
type limitConn struct {
	net.Conn
	left int64
	buf  *bufio.Reader
}

func newLimitConn(c net.Conn, limit int64) *limitConn {
	l := &limitConn{Conn: c, left: limit}
	l.buf = bufio.NewReaderSize(rawReader{l}, 8<<10)
	return l
}

func (c *limitConn) Read(p []byte) (int, error) { return c.buf.Read(p) }

// rawReader reads the socket under the limit.
type rawReader struct{ c *limitConn }

func (r rawReader) Read(p []byte) (int, error) {
	if r.c.left <= 0 {
		return 0, tlswire.ErrTooLarge
	}
	if int64(len(p)) > r.c.left {
		p = p[:r.c.left]
	}
	n, err := r.c.Conn.Read(p)
	r.c.left -= int64(n)
	return n, err
}

func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

func (s *scanner) fail(what string) {
	s.mu.Lock()
	s.failures = append(s.failures, what)
	s.mu.Unlock()
}

func (s *scanner) lie(what string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !slices.Contains(s.lies, what) {
		s.lies = append(s.lies, what)
	}
}

// refused reports whether err is the server declining what was offered
// (an alert, or closing the connection) rather than a failure.
func refused(err error) bool {
	var al *tlswire.AlertError
	return errors.As(err, &al) || errors.Is(err, tlswire.ErrClosed)
}

// observe records what a flight says about the server: a selection that
// was not offered, failures, the DH size, signature schemes, the chain,
// renegotiation_info and a staple.
func (s *scanner) observe(ctx context.Context, f *tlswire.Flight, err error, hello *tlswire.ClientHello) {
	var un *tlswire.UnofferedError
	switch {
	case err == nil:
	case errors.As(err, &un):
		if un.What == "version" && hello != nil && slices.Contains(hello.SupportedVersions(), tlswire.VersionTLS13) &&
			f != nil && f.ServerHello != nil && f.ServerHello.Version < tlswire.VersionTLS13 && f.ServerHello.LegacyVersion <= tlswire.VersionTLS12 {
			// A server without TLS 1.3 answers a TLS 1.3-only hello with
			// its own version: not a lie, TLS 1.3 is not supported.
			break
		}
		s.lie("the server selected " + un.What + " " + un.Value + ", which the client did not offer")
	case refused(err), ctx.Err() != nil:
	default:
		s.fail(rootCause(err))
	}
	if f == nil || f.ServerHello == nil || (err != nil && un == nil) {
		return
	}
	sh := f.ServerHello
	s.mu.Lock()
	defer s.mu.Unlock()
	if sh.Version <= tlswire.VersionTLS12 && !sh.HelloRetryRequest {
		s.legacySeen = true
		s.renegSeen = s.renegSeen || sh.SecureRenegotiation
		for _, e := range sh.Extensions {
			if e.Type == tlswire.ExtSCT {
				if n, err := ParseSCTList(e.Data); err == nil {
					s.tlsSCTs = max(s.tlsSCTs, n)
				}
			}
		}
	}
	if len(f.Certificates) > 0 && s.flightCerts == nil {
		s.flightCerts = f.Certificates
	}
	if len(f.OCSPResponse) > 0 && s.staple == nil {
		s.staple = f.OCSPResponse
	}
	if kx := f.KeyExchange; kx != nil {
		// Anonymous DH is left out: dh_bits is the group of the
		// authenticated key exchanges (a server may pick a smaller group
		// for DH_anon, as OpenSSL's automatic choice does).
		if kx.Kind == tlswire.KeyExchangeDHE && kx.DHBits > 0 && Attributes(sh.CipherSuite).Auth != "anon" &&
			(s.dhBits == 0 || kx.DHBits < s.dhBits) {
			s.dhBits = kx.DHBits
		}
		if kx.Kind == tlswire.KeyExchangeECDHE && hello != nil && !slices.Contains(hello.Groups(), kx.Group) {
			if w := "the server selected group " + tlswire.GroupName(kx.Group) + ", which the client did not offer"; !slices.Contains(s.lies, w) {
				s.lies = append(s.lies, w)
			}
		}
		if sh.Version == tlswire.VersionTLS12 {
			if sig, ok := kx.SignatureScheme(); ok && !slices.Contains(s.sigSchemes, sig) {
				s.sigSchemes = append(s.sigSchemes, sig)
			}
		}
	}
}

// Hello parameters.
var (
	// sigSchemes are offered in signature_algorithms: every common scheme,
	// SHA-1 ones included, so that what the server signs with shows.
	sigSchemes = []uint16{0x0403, 0x0503, 0x0603, 0x0807, 0x0808, 0x081a, 0x081b, 0x081c,
		0x0804, 0x0805, 0x0806, 0x0809, 0x080a, 0x080b, 0x0401, 0x0501, 0x0601,
		0x0303, 0x0301, 0x0302, 0x0402, 0x0502, 0x0602, 0x0203, 0x0201, 0x0202}
	// curves12 are offered in supported_groups for TLS 1.2 and older.
	curves12 = []uint16{tlswire.GroupX25519, tlswire.GroupSecp256r1, tlswire.GroupSecp384r1, tlswire.GroupSecp521r1,
		0x001e, 0x001a, 0x001b, 0x001c, 0x0016, 0x0015, 0x0013, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104}
	// groups13 are offered in supported_groups for TLS 1.3 (a share is sent
	// for x25519; any other is asked for by a HelloRetryRequest).
	groups13 = []uint16{tlswire.GroupX25519, tlswire.GroupSecp256r1, tlswire.GroupSecp384r1, tlswire.GroupSecp521r1,
		0x001e, tlswire.GroupX25519MLKEM768, tlswire.GroupSecP256r1MLKEM768, 0x11ed,
		0x001f, 0x0020, 0x0021, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104}
	// groups13Candidates are enumerated at TLS 1.3.
	groups13Candidates = []uint16{tlswire.GroupX25519MLKEM768, tlswire.GroupSecP256r1MLKEM768, 0x11ed,
		0x0200, 0x0201, 0x0202, tlswire.GroupX25519, tlswire.GroupSecp256r1, tlswire.GroupSecp384r1,
		tlswire.GroupSecp521r1, 0x001e, 0x001f, 0x0020, 0x0021, 0x0029,
		0x0100, 0x0101, 0x0102, 0x0103, 0x0104}
	// groups12Candidates are the curves enumerated at TLS 1.2 and older
	// (those TLS 1.3 did not already show).
	groups12Candidates = []uint16{tlswire.GroupX25519, tlswire.GroupSecp256r1, tlswire.GroupSecp384r1,
		tlswire.GroupSecp521r1, 0x001e, 0x001a, 0x001b, 0x001c, 0x0016, 0x0015, 0x0013}
	// groupOrder is the order of Scan.Groups: hybrids, then curves by
	// strength, then finite fields.
	groupOrder = []uint16{tlswire.GroupX25519MLKEM768, tlswire.GroupSecP256r1MLKEM768, 0x11ed, 0x0200, 0x0201, 0x0202,
		tlswire.GroupX25519, tlswire.GroupSecp256r1, tlswire.GroupSecp384r1, tlswire.GroupSecp521r1, 0x001e,
		0x001a, 0x001b, 0x001c, 0x001f, 0x0020, 0x0021, 0x0029, 0x0016, 0x0015, 0x0013,
		0x0100, 0x0101, 0x0102, 0x0103, 0x0104}
)

// groupChain is how many candidate groups one enumeration chain takes:
// shorter chains cost more connections (one a chain) and fewer round trips
// one after another (one a group found, plus one).
const groupChain = 4

// helloSpec is the ClientHello of a probe at version v offering suites.
func (s *scanner) helloSpec(v uint16, suites []uint16) tlswire.Spec {
	spec := tlswire.Spec{MinVersion: v, MaxVersion: v, CipherSuites: suites}
	if v > tlswire.VersionSSL30 {
		spec.ALPN = s.t.ALPN
	}
	switch {
	case v == tlswire.VersionSSL30:
		// No extensions: SSL 3.0 has none.
	case v >= tlswire.VersionTLS13:
		// No key share: the server answers with a HelloRetryRequest that
		// names the suite it picked, without computing a key exchange or
		// signing.
		spec.ServerName = s.t.ServerName
		spec.Groups = groups13
		spec.KeyShareGroups = []uint16{}
		spec.SignatureSchemes = sigSchemes
	default:
		spec.ServerName = s.t.ServerName
		spec.Groups = curves12
		spec.PointFormats = []uint8{0}
		spec.RenegotiationInfo = true
		if v == tlswire.VersionTLS12 {
			spec.SignatureSchemes = sigSchemes
		}
	}
	return spec
}

// pick offers suites at version v and returns the suite the server
// selected at that version; ok is false when it selected none.
func (s *scanner) pick(ctx context.Context, spec tlswire.Spec) (uint16, bool) {
	cs, why := s.pickWhy(ctx, spec)
	return cs, why == ""
}

// pickWhy is pick saying why the server selected nothing ("" when it
// selected a suite at the hello's version).
func (s *scanner) pickWhy(ctx context.Context, spec tlswire.Spec) (uint16, string) {
	h, err := tlswire.Build(spec)
	if err != nil {
		return 0, err.Error()
	}
	f, err := s.exchange(ctx, h)
	switch {
	case errors.Is(err, tlswire.ErrClosed):
		return 0, "the server closed the connection"
	case err != nil:
		return 0, rootCause(err)
	case f == nil || f.ServerHello == nil:
		return 0, "no ServerHello"
	case f.ServerHello.Version != spec.MaxVersion:
		return 0, "the server answered with " + tlswire.VersionName(f.ServerHello.Version)
	}
	return f.ServerHello.CipherSuite, ""
}

// enumerateVersion finds the suites the server accepts at v: one hello
// with every suite tells whether it speaks v at all (one connection for a
// protocol it does not); then the rest is enumerated by key exchange
// class, the classes side by side.
func (s *scanner) enumerateVersion(ctx context.Context, v uint16) [][]uint16 {
	suites := SuitesFor(v)
	cs, why := s.pickWhy(ctx, s.helloSpec(v, suites))
	if why == "" && !slices.Contains(suites, cs) {
		why = "the server selected a suite that was not offered"
	}
	if why != "" {
		s.mu.Lock()
		s.versionWhy[v] = why
		s.mu.Unlock()
		return nil
	}
	rest := slices.DeleteFunc(suites, func(id uint16) bool { return id == cs })
	classes := classesOf(rest)
	found := make([][][]uint16, len(classes))
	var wg sync.WaitGroup
	for j, c := range classes {
		wg.Add(1)
		go func() { defer wg.Done(); found[j] = s.enumerate(ctx, v, c) }()
	}
	wg.Wait()
	var out [][]uint16
	for _, f := range found {
		out = append(out, f...)
	}
	// cs is the server's first choice of all: it heads any chain.
	if len(out) == 0 {
		return [][]uint16{{cs}}
	}
	out[0] = append([]uint16{cs}, out[0]...)
	return out
}

// splitAbove is the size of a suite list above which enumerate splits
// the rest of the list in two after each suite found, so that the
// connections of one list run side by side.
const splitAbove = 4

// enumerate finds the suites of the list the server accepts at v: it offers
// the list, removes the suite the server picks, and goes on with the rest
// until the server refuses. Above splitAbove suites, the rest is split in
// two halves enumerated in parallel. The accepted suites come back as
// chains, each in the order the server picked them (its order, when it
// has one).
func (s *scanner) enumerate(ctx context.Context, v uint16, suites []uint16) [][]uint16 {
	if len(suites) <= splitAbove {
		if c := s.enumerateChain(ctx, v, suites); len(c) > 0 {
			return [][]uint16{c}
		}
		return nil
	}
	cs, ok := s.pick(ctx, s.helloSpec(v, suites))
	if !ok || !slices.Contains(suites, cs) || ctx.Err() != nil {
		return nil
	}
	rest := slices.DeleteFunc(slices.Clone(suites), func(id uint16) bool { return id == cs })
	half := len(rest) / 2
	var a, b [][]uint16
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); a = s.enumerate(ctx, v, rest[:half]) }()
	b = s.enumerate(ctx, v, rest[half:])
	wg.Wait()
	// cs comes before everything else the server accepts from this list.
	out := append(a, b...)
	if len(out) == 0 {
		return [][]uint16{{cs}}
	}
	out[0] = append([]uint16{cs}, out[0]...)
	return out
}

// enumerateChain is enumerate without splitting: one connection after the
// other.
func (s *scanner) enumerateChain(ctx context.Context, v uint16, suites []uint16) []uint16 {
	remaining := slices.Clone(suites)
	var picked []uint16
	for len(remaining) > 0 && len(picked) < len(suites) && ctx.Err() == nil {
		cs, ok := s.pick(ctx, s.helloSpec(v, remaining))
		if !ok || !slices.Contains(remaining, cs) {
			break
		}
		picked = append(picked, cs)
		remaining = slices.DeleteFunc(remaining, func(id uint16) bool { return id == cs })
	}
	return picked
}

// preference finds whether the server chooses by its own order at v
// (1) or by the client's (2), 0 when one suite gives no way to tell, and
// returns the accepted suites in the server's order when it has one.
func (s *scanner) preference(ctx context.Context, v uint16, chains [][]uint16) ([]uint16, int) {
	classes := chains
	all := flatten(classes)
	if len(all) < 2 {
		return all, 0
	}
	rev := slices.Clone(all)
	slices.Reverse(rev)
	var a, b uint16
	var ok1, ok2 bool
	done := make(chan struct{})
	go func() { defer close(done); a, ok1 = s.pick(ctx, s.helloSpec(v, all)) }()
	b, ok2 = s.pick(ctx, s.helloSpec(v, rev))
	<-done
	if !ok1 || !ok2 {
		return all, 0
	}
	if a != b {
		return all, 2
	}
	// The server's order within each chain is the order picked; merge the
	// chains by asking the server to choose between their heads.
	var lists [][]uint16
	for _, c := range classes {
		if len(c) > 0 {
			lists = append(lists, slices.Clone(c))
		}
	}
	var out []uint16
	for len(lists) > 1 && ctx.Err() == nil {
		var heads []uint16
		for _, l := range lists {
			heads = append(heads, l[0])
		}
		cs, ok := s.pick(ctx, s.helloSpec(v, heads))
		i := slices.Index(heads, cs)
		if !ok || i < 0 {
			break
		}
		out = append(out, cs)
		if lists[i] = lists[i][1:]; len(lists[i]) == 0 {
			lists = slices.Delete(lists, i, i+1)
		}
	}
	for _, l := range lists {
		out = append(out, l...)
	}
	return out, 1
}

// ssl2 reports whether the server speaks SSL 2.0 with at least one cipher.
func (s *scanner) ssl2(ctx context.Context) bool {
	f, err := s.exchangeWith(ctx, func(ctx context.Context, conn net.Conn) (*tlswire.Flight, error) {
		return tlswire.ExchangeSSL2(ctx, conn, nil, s.o.MaxBytes)
	}, nil, true) // many TLS servers wait for more or answer oddly to an SSL 2.0 hello
	return err == nil && f != nil && f.SSL2 != nil && len(f.SSL2.CipherSpecs) > 0
}

// groups13 finds which of cands the server accepts at TLS 1.3, the
// sslscan way: it offers them all with no key share, the server's
// HelloRetryRequest names the one it wants a share of, and that one is
// taken out for the next hello, until the server refuses. The server
// computes no key exchange and signs nothing; a server that accepts k of
// them costs k+1 connections.
func (s *scanner) groups13(ctx context.Context, cands []uint16) []uint16 {
	left := slices.Clone(cands)
	var found []uint16
	for len(left) > 0 && ctx.Err() == nil {
		spec := s.helloSpec(tlswire.VersionTLS13, SuitesFor(tlswire.VersionTLS13))
		spec.Groups = left
		spec.KeyShareGroups = []uint16{}
		h, err := tlswire.Build(spec)
		if err != nil {
			break
		}
		f, err := s.exchange(ctx, h)
		if err != nil || f.ServerHello == nil || f.ServerHello.Version != tlswire.VersionTLS13 {
			break
		}
		i := slices.Index(left, f.ServerHello.KeyShareGroup)
		if i < 0 {
			break // a group not offered: exchange reported the lie
		}
		found = append(found, left[i])
		left = slices.Delete(left, i, i+1)
	}
	return found
}

// groups12 finds which of cands the server accepts for ECDHE at v the same
// way, from the ServerKeyExchange's curve. An ECDSA certificate's curve
// (certCurve) must be offered too (RFC 8422 section 5.1.1), last: when a
// server keeps choosing it over the rest, the rest are tried one by one.
func (s *scanner) groups12(ctx context.Context, v uint16, suites []uint16, cands []uint16, certCurve uint16) []uint16 {
	left := slices.Clone(cands)
	var found []uint16
	for len(left) > 0 && ctx.Err() == nil {
		g, ok := s.curve12(ctx, v, suites, left, certCurve)
		if !ok {
			return found
		}
		i := slices.Index(left, g)
		if i < 0 {
			break
		}
		found = append(found, g)
		left = slices.Delete(left, i, i+1)
	}
	if len(left) == 0 || certCurve == 0 || ctx.Err() != nil {
		return found
	}
	for _, g := range left {
		if got, ok := s.curve12(ctx, v, suites, []uint16{g}, certCurve); ok && got == g {
			found = append(found, g)
		}
	}
	return found
}

// curve12 offers the curves gs (and certCurve after them when not among
// them) at v and returns the curve of the server's ECDHE key exchange.
func (s *scanner) curve12(ctx context.Context, v uint16, suites []uint16, gs []uint16, certCurve uint16) (uint16, bool) {
	spec := s.helloSpec(v, suites)
	spec.Groups = slices.Clone(gs)
	if certCurve != 0 && !slices.Contains(gs, certCurve) {
		spec.Groups = append(spec.Groups, certCurve)
	}
	h, err := tlswire.Build(spec)
	if err != nil {
		return 0, false
	}
	f, err := s.exchange(ctx, h)
	if err != nil || f.KeyExchange == nil || f.KeyExchange.Kind != tlswire.KeyExchangeECDHE {
		return 0, false
	}
	return f.KeyExchange.Group, true
}

// leafCurve is the named group of the leaf's ECDSA key, 0 for other keys.
func (s *scanner) leafCurve() uint16 {
	var leaf *x509.Certificate
	if len(s.o.Certs) > 0 {
		leaf = s.o.Certs[0]
	} else {
		s.mu.Lock()
		if len(s.flightCerts) > 0 {
			leaf, _ = x509.ParseCertificate(s.flightCerts[0])
		}
		s.mu.Unlock()
	}
	if leaf == nil {
		return 0
	}
	if k, ok := leaf.PublicKey.(*ecdsa.PublicKey); ok {
		switch k.Curve.Params().Name {
		case "P-256":
			return tlswire.GroupSecp256r1
		case "P-384":
			return tlswire.GroupSecp384r1
		case "P-521":
			return tlswire.GroupSecp521r1
		}
	}
	return 0
}

// fallbackSCSV reports whether the server refuses a hello below its
// highest version that carries TLS_FALLBACK_SCSV (inappropriate_fallback).
// A server of one version has nothing to fall back to: true.
func (s *scanner) fallbackSCSV(ctx context.Context, supported map[uint16]bool, perClass [][][]uint16, all []uint16) bool {
	var vs []uint16
	for _, v := range all {
		if supported[v] {
			vs = append(vs, v)
		}
	}
	if len(vs) < 2 {
		return true
	}
	v := vs[1]
	suites := append(flatten(perClass[slices.Index(all, v)]), 0x5600)
	h, err := tlswire.Build(s.helloSpec(v, suites))
	if err != nil {
		return false
	}
	_, err = s.exchange(ctx, h)
	var al *tlswire.AlertError
	return errors.As(err, &al) && al.Description == 86
}

// features is what the TLS 1.2-and-older features probe found.
type features struct {
	compression, heartbeat bool
}

// extHeartbeat is the heartbeat extension (RFC 6520).
const extHeartbeat uint16 = 15

// features offers DEFLATE compression, the heartbeat extension, a staple
// and SCTs at v (TLS 1.2 or older) with the suites the server accepts.
func (s *scanner) features(ctx context.Context, v uint16, suites []uint16) features {
	spec := s.helloSpec(v, suites)
	if v > tlswire.VersionSSL30 {
		spec.StatusRequest = true
		spec.SCT = true
		spec.SessionTicket = true
		spec.Extra = []tlswire.Extension{{Type: extHeartbeat, Data: []byte{1}}}
	}
	h, err := tlswire.Build(spec)
	if err != nil {
		return features{}
	}
	h.CompressionMethods = []uint8{1, 0}
	f, err := s.exchange(ctx, h)
	if err != nil || f.ServerHello == nil {
		return features{}
	}
	out := features{compression: f.ServerHello.Compression == 1}
	for _, e := range f.ServerHello.Extensions {
		if e.Type == extHeartbeat {
			out.heartbeat = true
		}
	}
	return out
}

// Package preflight is the HTTP leg of certgate preflight: after the
// handshake and the chain were checked, it makes the one request a webhook
// sender would make (package sender describes how) and records what came
// back. It runs as a runner.Config.Stage: it only gathers facts (the
// result's Profile and HTTP fields, and problems); decide.Apply makes the
// verdict, so the HTTP leg never hides a certificate failure.
//
// Nothing is sent that the user did not ask for: the default request is
// HEAD, then GET when HEAD is refused; POST only when Config.Method says so.
package preflight

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// MaxBody is the most bytes of a response body read (and discarded).
const MaxBody = 64 << 10

// Config is how the HTTP leg is made.
type Config struct {
	// Profile is the sender; URL fragment overrides apply on top of it.
	Profile sender.Profile
	// Method is "HEAD", "GET" or "POST"; "" is HEAD, then GET when HEAD
	// is refused (405, 501).
	Method string
	// Body is the POST body; nil sends an empty form.
	Body []byte
	// Secret, when set, signs a POST as the profile does. It is never
	// written to any output.
	Secret []byte
	// AllowPrivate checks private and local addresses the profile
	// refuses, with a warning that the real sender will not call them.
	AllowPrivate bool
	// Stores returns the trust stores every hop is verified against.
	Stores func() []*truststore.Store
	// At is the validation time; WarnDays as check's.
	At       time.Time
	WarnDays int
	// Resolve maps "host:port" to an address, as check's --resolve: it is
	// used for redirect hops too.
	Resolve map[string]string
	// DNS, when set, resolves the host names of redirect hops (a run's
	// probe.DNSCache, or one a test answers for); nil is the system's
	// resolver. Every address a hop's name resolves to is judged against
	// the private-address rule.
	DNS *probe.DNSCache
	// HostsFile is the hosts file read for names only it knows; "" is
	// /etc/hosts.
	HostsFile string
	// Now is the clock of signature timestamps; nil is time.Now.
	Now func() time.Time
	// UserAgent is sent with every request.
	UserAgent string
	// Credentials says which targets had credentials in their URL; nil
	// for none.
	Credentials *Credentials
	// Dialer, when set, makes every connection of the leg (a proxy, as
	// the check's own probe.Options.Dialer): host names are then resolved
	// beyond it, so the addresses of the endpoint and its redirect hops
	// are not checked against the private-address rule here, which a
	// private-address-unchecked note says.
	Dialer interface {
		DialContext(ctx context.Context, network, addr string) (net.Conn, error)
	}
	// Endpoints holds the settings of the inputs that have their own (a
	// certgate.yaml entry), by input index (runner.Input.Index,
	// result.Result.Index). It is read, never written, during the run.
	Endpoints map[int]Endpoint
	// ProfileStores judges each chain with the stores of the target's
	// profile (the user named no --store), and those no profile names
	// (--ca-file): the run's stores are then those of every profile in
	// use, and a chain that only another profile's store trusts is the
	// sender-stores-untrusted error.
	ProfileStores bool
}

// Endpoint is one target's own settings.
type Endpoint struct {
	// Profile, when set, replaces Config.Profile for this target.
	Profile *sender.Profile
	// ServerName, when set, is the name sent and validated in place of
	// the target's host (a certgate.yaml sni:), as the check does.
	ServerName string
	// Where names the entry ("certgate.yaml:12") in messages.
	Where string
}

// Stage is the runner stage: it fills r.Profile and r.HTTP and returns the
// HTTP leg's problems. It follows runner.Config.Stage's contract.
func (c *Config) Stage(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem {
	e := c.Endpoints[r.Index]
	p := c.Profile
	if e.Profile != nil {
		p = *e.Profile
	}
	r.Profile = p.Name
	if t.StartTLS != "" && t.Scheme == "" {
		where := ""
		if e.Where != "" {
			where = " (starttls: " + t.StartTLS + " in " + e.Where + ")"
		}
		return []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError, Code: result.CodeInvalidURL, Cert: -1,
			Message: fmt.Sprintf("%s is upgraded with %s STARTTLS%s, and a webhook sender requests https:// URLs: leave it out of preflight (--only selects the endpoints), or judge it with certgate check", target.Redact(t.Raw), t.StartTLS, where)}}
	}
	if t.Scheme != "" && t.Scheme != "https" {
		return []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError, Code: result.CodeInvalidURL, Cert: -1,
			Message: fmt.Sprintf("%s is a %s:// target, and a webhook sender requests https:// URLs: give the https:// URL of the endpoint (certgate check judges other TLS services)", target.Redact(t.Raw), t.Scheme)}}
	}
	u, err := requestURL(t)
	if err != nil {
		return []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError, Code: result.CodeInvalidURL, Cert: -1,
			Message: fmt.Sprintf("%s is not a URL the sender can request: %v", target.Redact(t.Raw), err)}}
	}
	ov, err := sender.ParseOverrides(u.Fragment)
	if err != nil {
		return []result.Problem{{ID: result.ProblemOverrideInvalid, Severity: result.SeverityError, Code: result.CodeInvalidURL, Cert: -1,
			Message: err.Error() + ": fix the fragment of the webhook URL, as the sender would refuse it"}}
	}
	p = p.Apply(ov)
	u.Fragment, u.RawFragment = "", ""
	info := &result.HTTPInfo{Redirects: []result.Redirect{}, SNI: p.SNI.Variants(), Overrides: ov.Values, Budgets: budgets(p)}
	r.HTTP = info

	if obs.Err != nil {
		if probe.IsPlainHTTP(obs.Err) {
			return []result.Problem{{ID: result.ProblemPlainHTTP, Severity: result.SeverityError, Code: result.CodeHTTPProtocol, Cert: -1,
				Message: fmt.Sprintf("%s answers in plain HTTP on port %d, where the sender speaks HTTPS: serve TLS on this port, or give the sender the HTTPS port", orAddr(obs.Address, t), t.Port)}}
		}
		return nil // the connection error is the verdict
	}

	host := t.Host
	if e.ServerName != "" {
		host = e.ServerName
	}
	var ps []result.Problem
	ps = append(ps, c.nameProblems(t)...)
	addr := obs.Address
	if c.Dialer != nil {
		// The connection's address is the proxy's: the endpoint's name
		// is resolved beyond it (noted below), unless it is an address.
		addr = ""
		if t.IsIP {
			addr = hostKey(t.Host, t.Port)
		}
	}
	addrProblem, refused := c.addressProblem(addr, p)
	if addrProblem != nil {
		ps = append(ps, *addrProblem)
	}
	if refused {
		return ps
	}
	if len(obs.Certs) == 0 || hasProblem(obs.Problems, result.ProblemClientFallback) || hasProblem(obs.Problems, result.ProblemChainNotRead) {
		return append(ps, skipped("only a recorded client of the sender negotiates with the server, which Go's HTTP client cannot replay"))
	}
	if code, detail := c.verdictAs(obs.Certs, host, p); code != result.CodeNone {
		if c.ProfileStores {
			if all, _ := c.verdict(obs.Certs, host); all == result.CodeNone {
				// The run's other stores accept what this sender's refuse.
				return append(ps, result.Problem{ID: result.ProblemSenderStores, Severity: result.SeverityError, Code: code, Cert: -1,
					Message: fmt.Sprintf("%s judges with %s, which %s this chain (%d %s: %s), although another store of the run accepts it: serve a chain to a root of %s", p.Name, strings.Join(p.Stores, " and "), map[bool]string{true: "rejects", false: "reject"}[len(p.Stores) == 1], code, code.Message(), detail, strings.Join(p.Stores, " or "))})
			}
		}
		return append(ps, skipped(fmt.Sprintf("the certificate fails (%d), so the sender never sends its request", code)))
	}
	leg := &leg{c: c, p: p, info: info, t: t, serverName: e.ServerName, first: obs.Address, creds: c.Credentials.Has(r.Index),
		hopsChecked: map[string]bool{obs.Address + " " + t.Host: true}} // the check judged the first
	if c.Dialer != nil && !t.IsIP {
		leg.noteUnchecked(strings.ToLower(t.Host))
	}
	ps = append(ps, leg.run(ctx, u)...)
	if p.SNI == sender.SNIBoth {
		ps = append(ps, leg.withoutSNI(ctx)...)
	}
	return append(ps, leg.uncheckedNote()...)
}

// budgets are p's limits as the result records them.
func budgets(p sender.Profile) *result.Budgets {
	b := &result.Budgets{ConnectMS: ms(p.ConnectTimeout), ReadMS: ms(p.ReadTimeout), TotalMS: ms(p.TotalTimeout), Attempts: max(p.Attempts, 1)}
	if len(p.FollowCodes) > 0 {
		b.MaxRedirects = p.MaxRedirects
	}
	return b
}

func skipped(why string) result.Problem {
	return result.Problem{ID: result.ProblemHTTPSkipped, Severity: result.SeverityInfo, Cert: -1,
		Message: "the HTTP request was not made: " + why}
}

func hasProblem(ps []result.Problem, id string) bool {
	return slices.ContainsFunc(ps, func(p result.Problem) bool { return p.ID == id })
}

func orAddr(addr string, t target.Target) string {
	if addr != "" {
		return addr
	}
	return t.Addr()
}

// requestURL is the URL the sender requests for t: t's own when it is a
// URL, https://host:port/ otherwise.
func requestURL(t target.Target) (*url.URL, error) {
	raw := strings.TrimSpace(t.Raw)
	if t.Scheme == "" {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Path == "" {
		u.Path = "/"
	}
	return u, nil
}

// verdict judges a chain as check does: the code decide gives it (0 when
// it passes) and its detail.
func (c *Config) verdict(certs []*x509.Certificate, host string) (result.Code, string) {
	var stores []*truststore.Store
	if c.Stores != nil {
		stores = c.Stores()
	}
	return judge(certs, stores, host, c.At, c.WarnDays)
}

// verdictAs is verdict with the stores of profile p alone when
// ProfileStores is set: what that sender's client decides.
func (c *Config) verdictAs(certs []*x509.Certificate, host string, p sender.Profile) (result.Code, string) {
	if !c.ProfileStores {
		return c.verdict(certs, host)
	}
	var stores []*truststore.Store
	if c.Stores != nil {
		for _, s := range c.Stores() {
			// A store no profile names (--ca-file) judges for every one.
			if slices.Contains(p.Stores, s.Name) || !profileStore(s.Name) {
				stores = append(stores, s)
			}
		}
	}
	return judge(certs, stores, host, c.At, c.WarnDays)
}

// profileStore reports whether a sender profile names the store.
func profileStore(name string) bool {
	return slices.ContainsFunc(sender.Profiles(), func(p sender.Profile) bool { return slices.Contains(p.Stores, name) })
}

// judge is check's verdict of certs against stores.
func judge(certs []*x509.Certificate, stores []*truststore.Store, host string, at time.Time, warnDays int) (result.Code, string) {
	out := verify.Check(certs, stores, verify.Options{At: at, WarnDays: warnDays, Host: host, WebPKI: true})
	r := out.Result()
	if r.Status == result.StatusFail || r.Status == result.StatusError {
		return r.Code, r.Detail
	}
	return result.CodeNone, ""
}

// nonPublicSuffixes are suffixes no public DNS answers for.
var nonPublicSuffixes = []string{"local", "internal", "localhost", "test", "invalid", "example", "home.arpa", "lan", "corp"}

// nameProblems warns (11210) about a host name the sender cannot resolve:
// one under a non-public suffix, or one the hosts file names.
func (c *Config) nameProblems(t target.Target) []result.Problem {
	if t.IsIP {
		return nil
	}
	for _, s := range nonPublicSuffixes {
		if t.Host == s || strings.HasSuffix(t.Host, "."+s) {
			return []result.Problem{{ID: result.ProblemNonPublicName, Severity: result.SeverityWarn, Code: result.CodeNone, Cert: -1,
				Message: fmt.Sprintf("%s is under .%s, which public DNS does not answer for: the sender cannot resolve it (11210 HTTP bad host name); use a public name for the webhook", t.Host, s)}}
		}
	}
	path := c.HostsFile
	if path == "" {
		path = "/etc/hosts"
	}
	if inHostsFile(path, t.Host) {
		return []result.Problem{{ID: result.ProblemNonPublicName, Severity: result.SeverityWarn, Code: result.CodeNone, Cert: -1,
			Message: fmt.Sprintf("%s is named in %s, so this machine's answer may not be what public DNS gives the sender (11210 HTTP bad host name if it has no public record): check its public DNS records", t.Host, path)}}
	}
	return nil
}

// inHostsFile reports whether a hosts file names host.
func inHostsFile(path, host string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(io.LimitReader(f, 1<<20))
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		fields := strings.Fields(line)
		for _, name := range fields[min(1, len(fields)):] {
			if strings.EqualFold(strings.TrimSuffix(name, "."), host) {
				return true
			}
		}
	}
	return false
}

// PrivateKind names the kind of address a sender that refuses private
// addresses will not call ("loopback", "private", "link-local", "CGNAT",
// "unique-local", "unspecified"), or "" for a public one.
func PrivateKind(ip netip.Addr) string {
	ip = ip.Unmap()
	switch {
	case ip.IsLoopback():
		return "loopback"
	case ip.IsUnspecified():
		return "unspecified"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return "link-local"
	case ip.Is4() && netip.MustParsePrefix("100.64.0.0/10").Contains(ip):
		return "CGNAT"
	case ip.Is6() && netip.MustParsePrefix("fc00::/7").Contains(ip):
		return "unique-local"
	case ip.IsPrivate():
		return "private"
	case ip.IsMulticast():
		return "multicast"
	}
	return ""
}

// addressProblem judges the address a connection went to: refused (11200)
// for a profile that refuses private addresses, or a warning with
// AllowPrivate. It reports whether the HTTP leg must stop there.
func (c *Config) addressProblem(addr string, p sender.Profile) (*result.Problem, bool) {
	ap, err := netip.ParseAddrPort(addr)
	if err != nil || !p.RefusePrivate {
		return nil, false
	}
	kind := PrivateKind(ap.Addr())
	if kind == "" {
		return nil, false
	}
	if c.AllowPrivate {
		return &result.Problem{ID: result.ProblemPrivateAddress, Severity: result.SeverityWarn, Cert: -1,
			Message: fmt.Sprintf("%s is a %s address, which %s refuses to call (11200); checked anyway because of --allow-private: the real sender will not reach it", ap.Addr(), kind, p.Name)}, false
	}
	return &result.Problem{ID: result.ProblemPrivateAddress, Severity: result.SeverityError, Code: result.CodeHTTPRetrieval, Cert: -1,
		Message: fmt.Sprintf("%s is a %s address, which %s refuses to call: give the webhook a public address (or pass --allow-private to check a local server anyway)", ap.Addr(), kind, p.Name)}, true
}

// hostKey is "host:port" as Resolve keys it.
func hostKey(host string, port int) string { return net.JoinHostPort(host, strconv.Itoa(port)) }

// portOf is u's port, 443 by default.
func portOf(u *url.URL) int {
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	return 443
}

// maxQuoted is the most of a server's text (a status line's reason
// phrase, a Location) that a message repeats, in bytes.
const maxQuoted = 200

// clip cuts s, text the server chose, to maxQuoted bytes on a rune
// boundary, with "..." when cut, so a hostile or broken server cannot
// flood a message.
func clip(s string) string {
	if len(s) <= maxQuoted {
		return s
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// statusLine is the response's status line as the server sent it, its
// reason phrase cut to maxQuoted bytes.
func statusLine(resp *http.Response) string {
	return resp.Proto + " " + clip(resp.Status)
}

// redact drops the user information of a URL for output.
func redact(u *url.URL) string {
	v := *u
	v.User = nil
	return v.String()
}

// hopError is a hop that failed before a response: its handshake or its
// certificate.
type hopError struct {
	code   result.Code
	detail string
}

func (e *hopError) Error() string { return e.detail }

// dialError is a TCP connect that failed.
type dialError struct{ err error }

func (e *dialError) Error() string { return e.err.Error() }
func (e *dialError) Unwrap() error { return e.err }

// trace returns a context that calls firstByte when the response's first
// byte arrives.
func trace(ctx context.Context, firstByte func()) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: firstByte})
}

// tlsConfig is the handshake of the HTTP leg: a strict client's, each
// chain judged as check judges it (VerifyConnection), the server name sent
// or not as the variant says.
func (c *Config) tlsConfig(host string, sni bool, p sender.Profile) *tls.Config {
	name := host
	if !sni {
		name = ""
	}
	return &tls.Config{
		ServerName:         name,
		InsecureSkipVerify: true, // judged by verify.Check below, for every store
		MinVersion:         minVersion(p),
		NextProtos:         []string{"http/1.1"},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if code, detail := c.verdictAs(cs.PeerCertificates, host, p); code != result.CodeNone {
				return &hopError{code: code, detail: detail}
			}
			return nil
		},
	}
}

func minVersion(p sender.Profile) uint16 {
	if p.MinTLS == "TLS 1.3" {
		return tls.VersionTLS13
	}
	return tls.VersionTLS12
}

// ms is a duration in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// verifyHost is the host name a leaf must match for u.
func verifyHost(u *url.URL) string {
	return strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
}

// Credentials remembers the inputs whose URL carried user information.
// check refuses such targets (certgate never sends credentials), so the
// preflight command strips the credentials before the check and the HTTP
// leg asks here whether the sender would have had them: a 401 challenge is
// then a warning, as the sender retries with them. Inputs are known by
// their index (runner.Input.Index, result.Result.Index). It is safe for
// concurrent use; the credentials themselves are never kept.
type Credentials struct{ m sync.Map }

// Strip returns raw without its user information, and remembers that the
// input at index had some.
func (c *Credentials) Strip(index int, raw string) string {
	s := strings.TrimSpace(raw)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return raw
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	at := strings.LastIndex(rest[:end], "@")
	if at < 0 {
		return raw
	}
	c.m.Store(index, true)
	return scheme + "://" + rest[at+1:]
}

// Has reports whether the input at index had credentials.
func (c *Credentials) Has(index int) bool {
	if c == nil {
		return false
	}
	_, ok := c.m.Load(index)
	return ok
}

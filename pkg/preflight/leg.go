package preflight

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/target"
)

// errTotal is the cause of the leg's context when the profile's total
// budget runs out.
var errTotal = errors.New("the sender's total time budget ran out")

// leg is one target's HTTP leg at one address.
type leg struct {
	c    *Config
	p    sender.Profile
	info *result.HTTPInfo
	t    target.Target
	// first is the address the check's handshake was made with: the
	// first hop goes there.
	first string
	// creds says the URL had credentials the sender would retry with.
	creds bool
	// serverName, when set, is sent and validated in place of the
	// target's host on connections to the target itself.
	serverName string
	// hopsChecked holds the redirect hops (address and host) already
	// handshaken and judged.
	hopsChecked map[string]bool
	// headRefused says HEAD was refused (405, 501) and GET took its place.
	headRefused bool
	// unchecked are the hosts, the endpoint's and redirect hops', whose
	// names a proxy resolved.
	unchecked []string
}

// run makes the request for u as the profile does, following redirects
// as it allows, and returns the problems found.
func (l *leg) run(parent context.Context, u *url.URL) []result.Problem {
	ctx, cancel := context.WithTimeoutCause(parent, l.p.TotalTimeout, errTotal)
	defer cancel()
	start := time.Now()
	defer func() { l.info.DurationMS = ms(time.Since(start)) }()

	method := l.c.Method
	auto := method == ""
	if auto {
		method = http.MethodHead
	}
	l.info.Method = method
	visited := map[string]bool{canonical(u): true}
	cur := u
	for hop := 0; ; hop++ {
		resp, ps := l.request(ctx, cur, method, hop)
		if ps != nil {
			return ps
		}
		if auto && method == http.MethodHead && methodRefused(resp.StatusCode) {
			drain(resp)
			method = http.MethodGet
			l.headRefused = true
			l.info.Method = method
			if resp, ps = l.request(ctx, cur, method, hop); ps != nil {
				return ps
			}
		}
		drain(resp)
		l.info.Method, l.info.Status = method, resp.StatusCode
		if errors.Is(context.Cause(ctx), errTotal) {
			// The response (or its body) came after the budget: the
			// sender had given up by then.
			return l.failure(ctx, context.DeadlineExceeded, cur, hop)
		}
		code := resp.StatusCode
		if auto && l.headRefused && method == http.MethodGet && methodRefused(code) && l.p.Method == http.MethodPost && allows(resp, http.MethodPost) {
			return l.postOnly(u, cur, resp)
		}
		switch {
		case code >= 200 && code < 300:
			return l.slow(start)
		case isRedirect(code):
			next, ps := l.redirect(cur, resp, visited)
			if ps != nil {
				return ps
			}
			if code == http.StatusSeeOther && method != http.MethodHead || (code == http.StatusMovedPermanently || code == http.StatusFound) && method == http.MethodPost {
				method = http.MethodGet
				l.info.Method = method
			}
			cur = next
		case code == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") != "" && (u.User != nil || l.creds):
			return []result.Problem{{ID: result.ProblemHTTPAuthChallenge, Severity: result.SeverityWarn, Cert: -1,
				Message: fmt.Sprintf("%s answered %s with a WWW-Authenticate challenge: the sender will retry with the credentials in the URL, which certgate does not send", redact(cur), statusLine(resp))}}
		default:
			what := "an error status"
			if code < 400 {
				what = "a status the sender does not accept"
			}
			return []result.Problem{{ID: result.ProblemHTTPStatus, Severity: result.SeverityError, Code: result.CodeHTTPErrorStatus, Cert: -1,
				Message: fmt.Sprintf("%s %s answered %s (%s): the sender needs a 2xx; check the endpoint's routing and what it answers to a %s", method, redact(cur), statusLine(resp), what, method)}}
		}
	}
}

// methodRefused reports whether a status refuses the request's method:
// 405 Method Not Allowed or 501 Not Implemented.
func methodRefused(code int) bool {
	return code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented
}

// allows reports whether a response's Allow header, when it has one,
// lists method.
func allows(resp *http.Response, method string) bool {
	allow := resp.Header.Values("Allow")
	if len(allow) == 0 {
		return true
	}
	for _, v := range allow {
		for m := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(m), method) {
				return true
			}
		}
	}
	return false
}

// postOnly is the warning for an endpoint that refused HEAD and GET the
// way a POST-only handler does, over a verified connection and in proper
// HTTP: it is reachable, but whether it accepts the sender's POST was not
// tried, as nothing is POSTed unless asked. u is the URL checked, cur the
// one that refused.
func (l *leg) postOnly(u, cur *url.URL, resp *http.Response) []result.Problem {
	allow := ""
	if a := resp.Header.Get("Allow"); a != "" {
		allow = ", Allow: " + clip(a)
	}
	profile := ""
	if l.p.Name != sender.DefaultName {
		profile = " --profile " + l.p.Name
	}
	sign := ""
	if l.p.SignatureHeader != "" {
		sign = fmt.Sprintf(" (add --secret-env NAME, NAME holding the secret, if the endpoint checks %s)", l.p.SignatureHeader)
	}
	return []result.Problem{{ID: result.ProblemHTTPPostOnly, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("%s refused HEAD and GET (%s%s), as a handler that accepts only POST does: it is reachable and answers HTTP over a verified connection, but %s's POST was not tried, since certgate sends none unless asked; to test it, run certgate preflight%s --method POST %s%s",
			redact(cur), statusLine(resp), allow, l.p.Name, profile, redact(u), sign)}}
}

// slow warns when a connect took more than half the connect timeout, the
// last response's first byte more than half the read timeout, or the
// whole exchange more than half the total budget: the timings judged
// against the profile's budgets.
func (l *leg) slow(start time.Time) []result.Problem {
	var connect time.Duration
	for _, tm := range l.info.Tries {
		connect = max(connect, time.Duration(tm.ConnectMS*float64(time.Millisecond)))
	}
	firstByte := time.Duration(l.info.Timings.FirstByteMS * float64(time.Millisecond))
	total := time.Since(start)
	var what string
	switch {
	case connect > l.p.ConnectTimeout/2:
		what = fmt.Sprintf("its TCP connect took %s of %s's %s connect timeout", connect.Round(time.Millisecond), l.p.Name, l.p.ConnectTimeout)
	case firstByte > l.p.ReadTimeout/2:
		what = fmt.Sprintf("its first byte came after %s of %s's %s read timeout", firstByte.Round(time.Millisecond), l.p.Name, l.p.ReadTimeout)
	case total > l.p.TotalTimeout/2:
		what = fmt.Sprintf("the exchange took %s of %s's %s total budget", total.Round(time.Millisecond), l.p.Name, l.p.TotalTimeout)
	default:
		return nil
	}
	return []result.Problem{{ID: result.ProblemHTTPSlow, Severity: result.SeverityWarn, Cert: -1,
		Message: "the endpoint answered, but " + what + ": under load it may time out; acknowledge the request first and do the work after"}}
}

// redirect judges a redirect response and returns the next URL, or the
// problem that stops the leg.
func (l *leg) redirect(cur *url.URL, resp *http.Response, visited map[string]bool) (*url.URL, []result.Problem) {
	code := resp.StatusCode
	loc := resp.Header.Get("Location")
	stop := func(id string, c result.Code, msg string) []result.Problem {
		return []result.Problem{{ID: id, Severity: result.SeverityError, Code: c, Cert: -1, Message: msg}}
	}
	if !l.p.Follows(code) {
		follows := "no redirect"
		if len(l.p.FollowCodes) > 0 {
			follows = "only " + joinInts(l.p.FollowCodes)
		}
		l.info.Redirects = append(l.info.Redirects, result.Redirect{Status: code, Location: redactRaw(cur, loc)})
		return nil, stop(result.ProblemRedirectNotFollowed, result.CodeHTTPInvalidRedirect,
			fmt.Sprintf("%s redirects with %d to %q, and %s follows %s: give the sender the final URL", redact(cur), code, redactRaw(cur, loc), l.p.Name, follows))
	}
	if loc == "" {
		l.info.Redirects = append(l.info.Redirects, result.Redirect{Status: code})
		return nil, stop(result.ProblemRedirectNoLocation, result.CodeHTTPInvalidRedirect,
			fmt.Sprintf("%s answered %d without a Location header: the sender has nowhere to go; send Location with the redirect, or give the sender the final URL", redact(cur), code))
	}
	next, err := cur.Parse(loc)
	if err != nil || next.Host == "" {
		l.info.Redirects = append(l.info.Redirects, result.Redirect{Status: code, Location: clip(loc)})
		return nil, stop(result.ProblemRedirectNoLocation, result.CodeHTTPInvalidRedirect,
			fmt.Sprintf("%s answered %d with a Location the sender cannot follow (%q): send an absolute https:// URL", redact(cur), code, clip(loc)))
	}
	next.Fragment, next.RawFragment = "", ""
	l.info.Redirects = append(l.info.Redirects, result.Redirect{Status: code, Location: redact(next)})
	if next.Scheme != "https" {
		return nil, stop(result.ProblemRedirectToHTTP, result.CodeHTTPInvalidRedirect,
			fmt.Sprintf("%s redirects with %d to %s, which is not https://: the sender does not leave HTTPS; redirect to the https:// URL or give the sender the final URL", redact(cur), code, redact(next)))
	}
	if visited[canonical(next)] {
		return nil, stop(result.ProblemRedirectLoop, result.CodeHTTPTooManyRedirects,
			fmt.Sprintf("%s redirects back to %s, a URL already visited: the redirects loop; fix the server's redirect rules", redact(cur), redact(next)))
	}
	visited[canonical(next)] = true
	if len(l.info.Redirects) > l.p.MaxRedirects {
		return nil, stop(result.ProblemRedirectTooMany, result.CodeHTTPTooManyRedirects,
			fmt.Sprintf("%d redirects, and %s follows at most %d: give the sender the final URL (%s)", len(l.info.Redirects), l.p.Name, l.p.MaxRedirects, redact(next)))
	}
	return next, nil
}

func joinInts(ns []int) string {
	s := make([]string, len(ns))
	for i, n := range ns {
		s[i] = fmt.Sprint(n)
	}
	return strings.Join(s, "/")
}

// redactRaw is a Location for output, its user information dropped.
func redactRaw(base *url.URL, loc string) string {
	if u, err := base.Parse(loc); err == nil && u.User != nil {
		return redact(u)
	}
	return loc
}

func isRedirect(code int) bool {
	switch code {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// canonical is u as a loop is detected: scheme, lower-case host, port,
// path and query.
func canonical(u *url.URL) string {
	return fmt.Sprintf("%s://%s/%s?%s", u.Scheme, hostKey(verifyHost(u), portOf(u)), strings.TrimPrefix(u.EscapedPath(), "/"), u.RawQuery)
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxBody))
	_ = resp.Body.Close()
}

// request makes the request up to the profile's attempts, retrying the
// failures its retry policy names.
func (l *leg) request(ctx context.Context, u *url.URL, method string, hop int) (*http.Response, []result.Problem) {
	addr, ps := l.address(ctx, u, hop)
	if addr == "" {
		return nil, ps
	}
	if hop > 0 {
		if ps := l.checkHopTLS(ctx, u, addr, hop); ps != nil {
			return nil, ps
		}
	}
	var last []result.Problem
	attempts := max(l.p.Attempts, 1)
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			l.info.Attempts++ // a retry
		}
		resp, err := l.once(ctx, u, method, addr)
		if err == nil {
			retry := l.retries("all") || resp.StatusCode >= 500 && l.retries("5xx") || resp.StatusCode >= 400 && resp.StatusCode < 500 && l.retries("4xx")
			if l.c.Method == "" && methodRefused(resp.StatusCode) {
				retry = false // certgate's method refused, not the sender's request failing
			}
			if resp.StatusCode < 400 || !retry || attempt == attempts {
				return resp, nil
			}
			drain(resp)
			continue
		}
		last = l.failure(ctx, err, u, hop)
		var de *dialError
		switch {
		case ctx.Err() != nil:
			return nil, last
		case errors.As(err, &de) && (l.retries("ct") || l.retries("all")):
			continue
		case isTimeout(err) && (l.retries("rt") || l.retries("all")):
			continue
		}
		return nil, last
	}
	return nil, last
}

func (l *leg) retries(policy string) bool { return slices.Contains(l.p.RetryOn, policy) }

// address is the address the hop's request goes to: the checked address
// for the target itself, a --resolve entry, or the first the hop's name
// resolves to. Every address the name resolves to is judged, as the
// check judges every address of the target: one the profile refuses stops
// the leg. Through a proxy the name is resolved beyond it, which a note
// says.
func (l *leg) address(ctx context.Context, u *url.URL, hop int) (string, []result.Problem) {
	host, port := verifyHost(u), portOf(u)
	if l.c.Dialer != nil {
		switch {
		case isIP(host):
			if _, ps := l.checkHop(hostKey(host, port), u); ps != nil {
				return "", ps
			}
		case hop > 0:
			l.noteUnchecked(host)
		}
		return hostKey(host, port), nil // resolved beyond the proxy
	}
	if host == l.t.Host && port == l.t.Port && l.first != "" {
		return l.first, nil
	}
	if a, ok := l.c.Resolve[hostKey(host, port)]; ok {
		return l.checkHop(hostKey(a, port), u)
	}
	ips, err := l.lookup(ctx, host)
	if err != nil || len(ips) == 0 {
		return "", []result.Problem{{ID: result.ProblemRedirectTarget, Severity: result.SeverityError, Code: result.CodeHTTPInvalidRedirect, Cert: -1,
			Message: fmt.Sprintf("redirect %d goes to %s, whose host name does not resolve (11210): redirect to a name with public DNS records", hop, redact(u))}}
	}
	for _, ip := range ips[1:] {
		if _, ps := l.checkHop(netip.AddrPortFrom(ip, uint16(port)).String(), u); ps != nil {
			return "", ps
		}
	}
	return l.checkHop(netip.AddrPortFrom(ips[0], uint16(port)).String(), u)
}

// lookup resolves a redirect hop's host name: through Config.DNS when
// set, else the system's resolver.
func (l *leg) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if l.c.DNS == nil {
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		for i := range ips {
			ips[i] = ips[i].Unmap()
		}
		return ips, err
	}
	as, err := l.c.DNS.Lookup(ctx, host)
	var ips []netip.Addr
	for _, a := range as {
		if ip, ok := netip.AddrFromSlice(a.IP); ok {
			ips = append(ips, ip.Unmap())
		}
	}
	return ips, err
}

// noteUnchecked records, once per host, that a proxy resolves host, so
// its addresses were not judged against the profile's refusal of private
// addresses; uncheckedNote reports it.
func (l *leg) noteUnchecked(host string) {
	if !l.p.RefusePrivate || slices.Contains(l.unchecked, host) {
		return
	}
	l.unchecked = append(l.unchecked, host)
}

// uncheckedNote is the one note (decide keeps one problem of an id) that
// names every host whose addresses the proxy resolved, nil when none.
func (l *leg) uncheckedNote() []result.Problem {
	if len(l.unchecked) == 0 {
		return nil
	}
	return []result.Problem{{ID: result.ProblemAddressUnchecked, Severity: result.SeverityInfo, Cert: -1,
		Message: fmt.Sprintf("through the proxy, which resolves the names, the addresses of %s were not checked against %s's refusal of private addresses: where they lead is the proxy's network's business (run without --proxy to judge them)", strings.Join(l.unchecked, ", "), l.p.Name)}}
}

// checkHopTLS handshakes with a redirect hop and judges its chain the way
// the check does the first hop's: pkg/probe's handshake (with its
// diagnosis of a refusal), then the verdict of every store. A hop that
// fails stops the leg with redirect-target-invalid, naming the hop's code.
func (l *leg) checkHopTLS(ctx context.Context, u *url.URL, addr string, hop int) []result.Problem {
	key := addr + " " + verifyHost(u)
	if l.hopsChecked[key] {
		return nil
	}
	if l.hopsChecked == nil {
		l.hopsChecked = map[string]bool{}
	}
	l.hopsChecked[key] = true
	ht, err := target.Parse(redact(u))
	if err != nil {
		return l.hopProblem(u, hop, result.CodeInvalidURL, err.Error())
	}
	opts := probe.Options{Timeout: l.p.ConnectTimeout + l.p.ReadTimeout, Address: addr, NoSNI: l.p.SNI == sender.SNIWithout}
	if l.c.Dialer != nil {
		opts.Address, opts.Dialer = "", l.c.Dialer
	}
	obs := probe.Probe(ctx, ht, opts)
	if obs.Err != nil {
		if ctx.Err() != nil {
			return nil // the budget ran out: the request says so
		}
		switch obs.Err.Code {
		case result.CodeTCPRefused, result.CodeTCPTimeout, result.CodeConnFailure:
			// No connection: the sender's connection failure, as for
			// the endpoint itself.
			return []result.Problem{{ID: result.ProblemHTTPConnect, Severity: result.SeverityError, Code: result.CodeConnFailure, Cert: -1,
				Message: fmt.Sprintf("redirect %d goes to %s, which takes no connection (%d %s: %s): start the server the redirect points to, or give the sender the final URL", hop, redact(u), obs.Err.Code, obs.Err.Code.Message(), obs.Err.Detail)}}
		}
		return l.hopProblem(u, hop, obs.Err.Code, obs.Err.Detail)
	}
	if code, detail := l.c.verdictAs(obs.Certs, ht.Host, l.p); code != result.CodeNone {
		return l.hopProblem(u, hop, code, detail)
	}
	return nil
}

func (l *leg) hopProblem(u *url.URL, hop int, code result.Code, detail string) []result.Problem {
	return []result.Problem{{ID: result.ProblemRedirectTarget, Severity: result.SeverityError, Code: result.CodeHTTPInvalidRedirect, Cert: -1,
		Message: fmt.Sprintf("redirect %d goes to %s, which the sender cannot use (%d %s: %s): redirect to an endpoint that passes, or give the sender the final URL", hop, redact(u), code, code.Message(), detail)}}
}

// checkHop applies the private-address rule to a redirect hop's address.
func (l *leg) checkHop(addr string, u *url.URL) (string, []result.Problem) {
	p, refused := l.c.addressProblem(addr, l.p)
	if refused {
		p.Message = "redirect to " + redact(u) + ": " + p.Message
		return "", []result.Problem{*p}
	}
	return addr, nil
}

// once makes one attempt: connect, handshake (judged), request, response
// headers.
func (l *leg) once(ctx context.Context, u *url.URL, method, addr string) (*http.Response, error) {
	tm := &phases{}
	start := time.Now()
	host := l.nameFor(u)
	sni := l.p.SNI != sender.SNIWithout && !isIP(host)
	cfg := l.c.tlsConfig(host, sni, l.p)
	tr := &http.Transport{
		Proxy: nil,
		DialTLSContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			raw, err := l.dial(ctx, addr)
			if err != nil {
				return nil, &dialError{err: err}
			}
			tm.set(&tm.connect, time.Since(start))
			tc := tls.Client(raw, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				_ = raw.Close()
				var he *hopError
				if errors.As(err, &he) {
					return nil, he
				}
				return nil, &hopError{code: result.CodeHandshake, detail: probe.Classify(err, probe.PhaseHandshake, l.p.ReadTimeout).Detail}
			}
			tm.set(&tm.tls, time.Since(start)-tm.get(&tm.connect))
			return tc, nil
		},
		DisableKeepAlives:      true,
		ResponseHeaderTimeout:  l.p.ReadTimeout,
		MaxResponseHeaderBytes: MaxBody,
	}
	defer tr.CloseIdleConnections()
	req, err := l.newRequest(trace(ctx, func() { tm.set(&tm.firstByte, time.Since(start)) }), u, method)
	if err != nil {
		return nil, err
	}
	if l.info.Attempts == 0 {
		l.info.Attempts = 1 // the first try; request counts the retries
	}
	resp, err := tr.RoundTrip(req)
	l.info.Timings = result.Timings{ConnectMS: ms(tm.get(&tm.connect)), TLSMS: ms(tm.get(&tm.tls)), FirstByteMS: ms(tm.get(&tm.firstByte)), TotalMS: ms(time.Since(start))}
	l.info.Tries = append(l.info.Tries, l.info.Timings)
	return resp, err
}

// nameFor is the name a connection for u sends and validates: the
// endpoint's server name for the target itself (u nil or at the target's
// host and port) when it has one, else u's host.
func (l *leg) nameFor(u *url.URL) string {
	if u == nil || verifyHost(u) == l.t.Host && portOf(u) == l.t.Port {
		if l.serverName != "" {
			return l.serverName
		}
		return l.t.Host
	}
	return verifyHost(u)
}

// newRequest is the request as the profile makes it: no credentials, the
// profile's content type and signature on a POST.
func (l *leg) newRequest(ctx context.Context, u *url.URL, method string) (*http.Request, error) {
	v := *u
	v.User = nil
	var body []byte
	if method == http.MethodPost {
		body = l.c.Body
		if body == nil && !strings.Contains(l.p.ContentType, "form") {
			body = []byte("{}")
		}
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, v.String(), rd)
	if err != nil {
		return nil, err
	}
	if body == nil && method == http.MethodPost {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	if l.c.UserAgent != "" {
		req.Header.Set("User-Agent", l.c.UserAgent)
	}
	if method == http.MethodPost {
		if l.p.ContentType != "" {
			req.Header.Set("Content-Type", l.p.ContentType)
		}
		if len(l.c.Secret) > 0 {
			var form url.Values
			if strings.Contains(l.p.ContentType, "form") {
				form, _ = url.ParseQuery(string(body))
			}
			now := time.Now
			if l.c.Now != nil {
				now = l.c.Now
			}
			sender.Sign(l.p, req.Header, l.c.Secret, v.String(), body, form, now())
		}
	}
	return req, nil
}

// phases are one attempt's timings. The transport may still be dialling
// or reading after RoundTrip returned, so they are guarded.
type phases struct {
	mu                      sync.Mutex
	connect, tls, firstByte time.Duration
}

func (p *phases) set(f *time.Duration, d time.Duration) {
	p.mu.Lock()
	*f = d
	p.mu.Unlock()
}

func (p *phases) get(f *time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return *f
}

// dial connects to addr within the profile's connect timeout, through
// Config.Dialer when one is set.
func (l *leg) dial(ctx context.Context, addr string) (net.Conn, error) {
	if l.c.Dialer != nil {
		ctx, cancel := context.WithTimeout(ctx, l.p.ConnectTimeout)
		defer cancel()
		return l.c.Dialer.DialContext(ctx, "tcp", addr)
	}
	d := &net.Dialer{Timeout: l.p.ConnectTimeout}
	return d.DialContext(ctx, "tcp", addr)
}

// failure is the problem of an attempt that got no response.
func (l *leg) failure(ctx context.Context, err error, u *url.URL, hop int) []result.Problem {
	p := result.Problem{Severity: result.SeverityError, Cert: -1}
	var he *hopError
	var de *dialError
	switch {
	case errors.Is(context.Cause(ctx), errTotal):
		p.ID, p.Code = result.ProblemHTTPTotalTimeout, result.CodeHTTPTotalTimeout
		p.Message = fmt.Sprintf("no complete response from %s within %s's total budget of %s (%d %s): make the endpoint answer sooner (acknowledge first, work later), or raise the budget with #tt= in the URL where the sender allows it",
			redact(u), l.p.Name, l.p.TotalTimeout, l.info.Attempts, plural(l.info.Attempts, "attempt", "attempts"))
	case hop > 0 && errors.As(err, &he):
		p.ID, p.Code = result.ProblemRedirectTarget, result.CodeHTTPInvalidRedirect
		p.Message = fmt.Sprintf("redirect %d goes to %s, which the sender cannot use (%d %s: %s): redirect to an endpoint whose certificate passes, or give the sender the final URL", hop, redact(u), he.code, he.code.Message(), err)
	case hop > 0 && errors.As(err, &de):
		p.ID, p.Code = result.ProblemHTTPConnect, result.CodeConnFailure
		p.Message = fmt.Sprintf("redirect %d goes to %s, whose connection failed within %s's connect timeout of %s (%d %s): %s", hop, redact(u), l.p.Name, l.p.ConnectTimeout, l.info.Attempts, plural(l.info.Attempts, "attempt", "attempts"), probe.Classify(de.err, probe.PhaseDial, l.p.ConnectTimeout).Detail)
	case errors.As(err, &he):
		p.ID, p.Code = result.ProblemHTTPConnect, result.CodeConnFailure
		p.Message = fmt.Sprintf("the handshake of the HTTP request to %s failed although the check's passed (%d: %s): does the server present different certificates on different connections?", redact(u), he.code, he.detail)
	case errors.As(err, &de):
		p.ID, p.Code = result.ProblemHTTPConnect, result.CodeConnFailure
		p.Message = fmt.Sprintf("the HTTP request's connection to %s failed within %s's connect timeout of %s (%d %s): %s", redact(u), l.p.Name, l.p.ConnectTimeout, l.info.Attempts, plural(l.info.Attempts, "attempt", "attempts"), probe.Classify(de.err, probe.PhaseDial, l.p.ConnectTimeout).Detail)
	case isTimeout(err):
		p.ID, p.Code = result.ProblemHTTPReadTimeout, result.CodeConnFailure
		p.Message = fmt.Sprintf("%s sent no response within %s's read timeout of %s: make the endpoint answer sooner (acknowledge first, work later)", redact(u), l.p.Name, l.p.ReadTimeout)
	case noResponse(err):
		p.ID, p.Code = result.ProblemHTTPNoResponse, result.CodeHTTPRetrieval
		p.Message = fmt.Sprintf("%s closed the connection without a response to the request: check the server's logs for the request", redact(u))
	default:
		p.ID, p.Code = result.ProblemHTTPMalformed, result.CodeHTTPProtocol
		p.Message = fmt.Sprintf("%s answered something that is not a valid HTTP response (%v): check what the server or a proxy in front of it sends", redact(u), err)
	}
	return []result.Problem{p}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

// noResponse reports whether err is a connection closed or reset before
// a response.
func noResponse(err error) bool {
	var op *net.OpError
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) || errors.As(err, &op)
}

func isIP(host string) bool {
	_, err := netip.ParseAddr(host)
	return err == nil
}

// withoutSNI checks, for a sender that may connect without SNI, that the
// server's certificate passes without it at the checked address.
func (l *leg) withoutSNI(parent context.Context) []result.Problem {
	if l.t.IsIP || l.first == "" && l.c.Dialer == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(parent, l.p.ConnectTimeout+l.p.ReadTimeout)
	defer cancel()
	addr := l.first
	if l.c.Dialer != nil {
		addr = l.t.Addr()
	}
	raw, err := l.dial(ctx, addr)
	if err != nil {
		return nil // the request's own connection already says what fails
	}
	defer raw.Close()
	tc := tls.Client(raw, l.c.tlsConfig(l.nameFor(nil), false, l.p))
	err = tc.HandshakeContext(ctx)
	if err == nil {
		return nil
	}
	detail := probe.Classify(err, probe.PhaseHandshake, l.p.ConnectTimeout).Detail
	var he *hopError
	if errors.As(err, &he) {
		detail = fmt.Sprintf("%d %s: %s", he.code, he.code.Message(), he.detail)
	}
	return []result.Problem{{ID: result.ProblemSNIRequired, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("%s may connect without SNI, and without it %s fails (%s): serve this certificate as the default one, or add #sni=y to the webhook URL", l.p.Name, l.first, detail)}}
}

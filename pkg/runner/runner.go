// Package runner drives a check run: it takes targets in, probes and
// verifies them on a bounded pool of workers, and hands every result, exactly
// once, to the caller. Data flows one way: targets → probe → verify →
// report.
package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/tlswire"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// Config is one run's settings.
type Config struct {
	// Probe controls the handshakes.
	Probe probe.Options
	// Stores are the selected trust stores, in the order given.
	Stores []*truststore.Store
	// LoadStores, when set, replaces Stores: it is called just before a
	// chain is verified, so stores still being parsed do not hold up the
	// first handshakes. It must be cheap after its first call.
	LoadStores func() []*truststore.Store
	// At is the validation time.
	At time.Time
	// WarnDays warns about certificates that expire within this many days.
	WarnDays int
	// Concurrency is the number of targets in flight; at least 1.
	Concurrency int
	// Deadline, when positive, bounds the whole run: once it has passed,
	// every target still pending or in flight gets an error result with the
	// problem deadline-exceeded (code 11205). None is dropped.
	Deadline time.Duration
	// MaxChain caps the certificates of a presented chain that are judged;
	// the rest are dropped with a chain-too-long warning. Zero means
	// DefaultMaxChain.
	MaxChain int
	// FirstAddress checks a host name at the first address it resolves to
	// that accepts a connection, as a client does, rather than at every
	// address.
	FirstAddress bool
	// Stage, when set, gathers more facts about a target after its
	// handshake and chain were checked and before the verdict: the
	// configuration report of certgate scan, the HTTP leg of preflight.
	// It runs at each address checked, with the probe's observation (Err
	// is set when the handshake failed) and r with Chain still holding
	// the parsed certificates; it may fill r's Scan, HTTP and Profile
	// fields, and the problems it returns join the facts that
	// decide.Apply judges. It is not called for a target cut short by the
	// deadline, an interrupt or a local resource.
	Stage func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem
	// Ordered makes Run emit results in input order. It holds at most
	// OrderWindow(Concurrency) results: targets are not started further
	// ahead of the oldest one not yet emitted.
	Ordered bool

	// endpoint is the settings of the target being checked, if any.
	endpoint *Endpoint

	// sem holds one token per handshake in flight, Concurrency in all:
	// the addresses of a host name count against it.
	sem chan struct{}
	// probe replaces probe.Probe, for tests that watch the handshakes.
	probe func(context.Context, target.Target, probe.Options) probe.Observation
}

// DefaultMaxChain is the default cap on certificates judged per chain. Real
// chains have two to four; strict clients give up well before twenty.
const DefaultMaxChain = 20

// ErrDeadline is the cause of a run's context when its Deadline passes.
var ErrDeadline = errors.New("run deadline exceeded")

// Input is one target as read: its raw text and its position in the input.
type Input struct {
	// Raw is the target as given.
	Raw string
	// Index is the 0-based position in the whole input.
	Index int
	// Line is the 1-based line in a list file, 0 for arguments.
	Line int
	// Endpoint, when set, holds the target's own settings (a certgate.yaml
	// entry), which replace the run's.
	Endpoint *Endpoint
}

// Endpoint is one target's own settings; each field set replaces the
// run's for that target alone.
type Endpoint struct {
	// Addresses are the IP addresses to check the target at, every one,
	// in place of resolving its host name.
	Addresses []string
	// ServerName is the name sent in SNI and validated, in place of the host.
	ServerName string
	// WarnDays, when set, replaces Config.WarnDays.
	WarnDays *int
	// Clients, when set, replace Config.Probe.Clients.
	Clients []*clients.Profile
	// Expect, when set, gathers more facts from the chain and each store's
	// findings before the verdict (a config's pins); it runs at each
	// address where a chain was presented.
	Expect func(chain []result.Cert, stores []decide.Store) []result.Problem
}

// apply returns cfg with e's settings.
func (e *Endpoint) apply(cfg Config) Config {
	if e == nil {
		return cfg
	}
	if e.ServerName != "" {
		cfg.Probe.ServerName = e.ServerName
	}
	if e.WarnDays != nil {
		cfg.WarnDays = *e.WarnDays
	}
	if len(e.Clients) > 0 {
		cfg.Probe.Clients = e.Clients
	}
	cfg.endpoint = e
	return cfg
}

// Interrupted is Run's error when its context was cancelled (by a signal,
// not by Config.Deadline) before every input was checked. The targets not
// checked got no result: none is invented for them.
type Interrupted struct {
	// NotChecked counts the inputs taken from next whose result was not
	// complete when the run stopped; they were not emitted.
	NotChecked int
	// Cause is the cause of the cancelled context.
	Cause error
}

// Error says how many targets were not checked.
func (e *Interrupted) Error() string {
	return fmt.Sprintf("interrupted: %d %s not checked", e.NotChecked, plural(e.NotChecked, "target", "targets"))
}

// Unwrap returns the cause of the cancellation.
func (e *Interrupted) Unwrap() error { return e.Cause }

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// OrderWindow is the reorder window of an ordered run with concurrency n:
// how many targets the run may start past the oldest one not yet emitted.
func OrderWindow(n int) int { return max(4*n, 256) }

// done is one finished input: its result, or checked false when the run was
// interrupted before its result was complete.
type done struct {
	seq     int
	r       result.Result
	checked bool
}

// Run checks every input that next yields until it returns false, with at
// most cfg.Concurrency in flight, and calls emit once per input, from one
// goroutine at a time: in completion order, or in input order when
// cfg.Ordered is set. It returns emit's first error, after which remaining
// inputs are still drained but no longer emitted.
//
// When ctx is cancelled (an interrupt), Run stops taking inputs and starting
// handshakes; every result already complete is still emitted, and the
// others are left out and counted in the *Interrupted error it returns.
func Run(ctx context.Context, next func() (Input, bool), cfg Config, emit func(result.Result) error) error {
	n := cfg.Concurrency
	if n < 1 {
		n = 1
	}
	stop := ctx.Done() // an interrupt; the deadline below is not one
	if cfg.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Deadline, ErrDeadline)
		defer cancel()
	}
	if cfg.Probe.DNS == nil && cfg.Probe.Dialer == nil {
		cfg.Probe.DNS = probe.NewDNSCache() // one host, one lookup per run
	}
	cfg.sem = make(chan struct{}, n)
	type job struct {
		in  Input
		seq int
	}
	jobs := make(chan job)
	results := make(chan done, min(n, 256))
	// In an ordered run a slot is taken before a target starts and given
	// back when its result is emitted: the run never gets more than the
	// window ahead of the oldest target not yet emitted, so the results
	// waiting for it stay bounded.
	var slots chan struct{}
	if cfg.Ordered {
		slots = make(chan struct{}, OrderWindow(n))
	}
	// Workers start as targets need them, up to n: a large -c costs nothing
	// for a short list.
	var wg sync.WaitGroup
	workers := 0
	work := func() {
		for j := range jobs {
			r, ok := check(ctx, j.in, cfg)
			results <- done{seq: j.seq, r: r, checked: ok}
		}
	}
	undispatched := 0 // taken from next, never handed to a worker
	go func() {
		defer func() {
			close(jobs)
			wg.Wait()
			close(results)
		}()
		for seq := 0; ; seq++ {
			if slots != nil {
				select {
				case slots <- struct{}{}:
				case <-stop:
					return
				}
			}
			select {
			case <-stop:
				return
			default:
			}
			in, ok := next()
			if !ok {
				return
			}
			j := job{in: in, seq: seq}
			if workers < n {
				select {
				case jobs <- j:
					continue // an idle worker took it
				default:
					wg.Go(work)
					workers++
				}
			}
			select {
			case jobs <- j:
			case <-stop:
				undispatched++
				return
			}
		}
	}()
	var firstErr error
	notChecked := 0
	handle := func(d done) {
		switch {
		case !d.checked:
			notChecked++
		case firstErr == nil:
			firstErr = emit(d.r)
		}
	}
	pending := map[int]done{}
	nextSeq := 0
	for d := range results {
		if slots == nil {
			handle(d)
			continue
		}
		pending[d.seq] = d
		for {
			d, ok := pending[nextSeq]
			if !ok {
				break
			}
			delete(pending, nextSeq)
			handle(d)
			nextSeq++
			<-slots
		}
	}
	// Results after a gap left by an input taken but never dispatched.
	for seq := nextSeq; len(pending) > 0; seq++ {
		if d, ok := pending[seq]; ok {
			delete(pending, seq)
			handle(d)
		}
	}
	notChecked += undispatched
	if firstErr != nil {
		return firstErr
	}
	select {
	case <-stop:
		return &Interrupted{NotChecked: notChecked, Cause: context.Cause(ctx)}
	default:
	}
	return nil
}

// Check parses, probes and verifies one input and returns its one result.
func Check(ctx context.Context, in Input, cfg Config) result.Result {
	if cfg.Probe.DNS == nil && cfg.Probe.Dialer == nil {
		cfg.Probe.DNS = probe.NewDNSCache()
	}
	cfg.sem = make(chan struct{}, max(cfg.Concurrency, 1))
	r, _ := check(ctx, in, cfg)
	return r
}

// interrupted reports whether ctx was cancelled by something other than
// the run's deadline: the result of a probe cut short then is not the
// server's doing, and is not complete.
func interrupted(ctx context.Context, cfg Config) bool {
	return ctx.Err() != nil && !deadlinePassed(ctx, cfg)
}

// check is Check, and reports false when the run was interrupted before the
// result was complete.
func check(ctx context.Context, in Input, cfg Config) (result.Result, bool) {
	r := result.Result{Target: target.Redact(in.Raw), Index: in.Index, ValidatedAt: cfg.At.UTC()}
	if !utf8.ValidString(in.Raw) {
		r.TargetRaw = []byte(r.Target)
	}
	t, err := target.Parse(in.Raw)
	if err != nil {
		msg := err.Error()
		r.Problems = []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError,
			Code: result.CodeInvalidURL, Cert: -1, Message: msg}}
		decide.Apply(&r, decide.Facts{Problems: r.Problems})
		return r, true
	}
	r.Host, r.Port = t.Host, t.Port
	cfg = in.Endpoint.apply(cfg)
	if deadlinePassed(ctx, cfg) {
		r.Problems = []result.Problem{deadlineProblem(cfg, "before this target was checked")}
		decide.Apply(&r, decide.Facts{Problems: r.Problems})
		return r, true
	}
	if interrupted(ctx, cfg) {
		return r, false
	}
	addrs, obs := addresses(ctx, t, cfg)
	if obs != nil {
		r, ok, _ := judge(ctx, t, r, cfg, *obs)
		return r, ok
	}
	if len(addrs) == 0 {
		if !acquire(ctx, cfg) {
			return deadlineOrInterrupted(ctx, cfg, r)
		}
		defer release(cfg)
		r, ok, _ := checkAddr(ctx, t, r, cfg, cfg.Probe)
		return r, ok
	}
	return checkEvery(ctx, t, r, cfg, addrs)
}

// checkAddr probes t with opts and verifies what it presented, filling in
// r. It reports false when the run was interrupted before the result was
// complete, and whether the dial failed because this machine has no route
// to the address's network.
func checkAddr(ctx context.Context, t target.Target, r result.Result, cfg Config, opts probe.Options) (result.Result, bool, bool) {
	probeFn := cfg.probe
	if probeFn == nil {
		probeFn = probe.Probe
	}
	return judge(ctx, t, r, cfg, probeFn(ctx, t, opts))
}

// judge is checkAddr once the probe has made its observation.
func judge(ctx context.Context, t target.Target, r result.Result, cfg Config, obs probe.Observation) (result.Result, bool, bool) {
	r.Address = obs.Address
	r.DurationMS = float64(obs.Duration.Microseconds()) / 1000
	r.TLS = obs.TLS
	if obs.Err != nil && deadlinePassed(ctx, cfg) {
		// The probe was cut short by the run's deadline, not by the peer.
		r.TLS = nil
		r.Problems = []result.Problem{deadlineProblem(cfg, "while this target was being checked")}
		decide.Apply(&r, decide.Facts{Problems: r.Problems})
		return r, true, false
	}
	if obs.Err != nil && interrupted(ctx, cfg) {
		return r, false, false // cut short by an interrupt, not by the peer
	}
	if obs.Err != nil && probe.IsLocalResourceExhausted(obs.Err) {
		// Our own limit, not the server's: no connection code.
		r.TLS = nil
		r.Problems = []result.Problem{{ID: result.ProblemLocalResource, Severity: result.SeverityError, Cert: -1,
			Message: fmt.Sprintf("certgate ran out of a local resource while checking this target (%v); this is certgate's limit, not the server's: raise the open-file limit (ulimit -n) or lower --concurrency", probe.LocalCause(obs.Err))}}
		decide.Apply(&r, decide.Facts{Problems: r.Problems})
		return r, true, false
	}
	unreachable := obs.Err != nil && noRoute(obs.Err)
	var facts decide.Facts
	if obs.Err != nil {
		facts.Problems = append(facts.Problems, result.Problem{ID: obs.Err.ID, Severity: result.SeverityError,
			Code: obs.Err.Code, Cert: -1, Message: obs.Err.Detail})
	}
	facts.Problems = append(facts.Problems, obs.Problems...)
	certs := obs.Certs
	maxChain := cfg.MaxChain
	if maxChain <= 0 {
		maxChain = DefaultMaxChain
	}
	if len(certs) > maxChain {
		facts.Problems = append(facts.Problems, result.Problem{ID: result.ProblemChainTooLong, Severity: result.SeverityWarn, Cert: -1,
			Message: fmt.Sprintf("the server presented %d certificates; only the first %d were considered: send only the leaf and its intermediates", len(certs), maxChain)})
		certs = certs[:maxChain]
	}
	if len(certs) > 0 {
		stores := cfg.Stores
		if cfg.LoadStores != nil {
			stores = cfg.LoadStores()
		}
		host := t.Host
		if cfg.Probe.ServerName != "" {
			host = cfg.Probe.ServerName
		}
		out := verify.Check(certs, stores, verify.Options{At: cfg.At, WarnDays: cfg.WarnDays, Host: host, WebPKI: true, RSAKeyExchange: rsaKeyExchange(obs.TLS)})
		r.Chain = out.Chain
		facts.Presented, facts.ChainNotAfter, facts.Stores = out.Facts.Presented, out.Facts.ChainNotAfter, out.Facts.Stores
		facts.Problems = append(facts.Problems, out.Facts.Problems...)
		if cfg.endpoint != nil && cfg.endpoint.Expect != nil {
			facts.Problems = append(facts.Problems, cfg.endpoint.Expect(r.Chain, facts.Stores)...)
		}
	}
	if cfg.Stage != nil {
		facts.Problems = append(facts.Problems, cfg.Stage(ctx, t, obs, &r)...)
	}
	// The parsed certificates served verify and the stage only: a run that
	// keeps its results for ordered output keeps the summaries, not the
	// certificates.
	for i := range r.Chain {
		r.Chain[i].X509 = nil
	}
	decide.Apply(&r, facts)
	return r, true, unreachable
}

// deadlinePassed reports whether the run's deadline has passed. The clock
// is read as well as the context: a connection deadline set to the same
// instant can fire before the context's timer does.
func deadlinePassed(ctx context.Context, cfg Config) bool {
	if cfg.Deadline <= 0 {
		return false
	}
	if ctx.Err() != nil && errors.Is(context.Cause(ctx), ErrDeadline) {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

func deadlineProblem(cfg Config, when string) result.Problem {
	return result.Problem{ID: result.ProblemDeadlineExceeded, Severity: result.SeverityError, Code: result.CodeConnFailure, Cert: -1,
		Message: fmt.Sprintf("the run's --deadline of %s passed %s: raise --deadline, raise --concurrency, or check fewer targets per run", cfg.Deadline, when)}
}

// acquire takes a handshake token, and reports false when ctx ended first.
func acquire(ctx context.Context, cfg Config) bool {
	if ctx.Err() != nil {
		return false
	}
	select {
	case cfg.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func release(cfg Config) { <-cfg.sem }

// deadlineOrInterrupted finishes r when ctx ended before its handshake
// started: a deadline result, or not complete after an interrupt.
func deadlineOrInterrupted(ctx context.Context, cfg Config, r result.Result) (result.Result, bool) {
	if interrupted(ctx, cfg) {
		return r, false
	}
	r.Problems = []result.Problem{deadlineProblem(cfg, "before this target was checked")}
	decide.Apply(&r, decide.Facts{Problems: r.Problems})
	return r, true
}

// addresses returns the "ip:port" addresses to check t at, each once, in
// the order a client tries them (the first answer's family first); none
// when t is checked at one address: an IP target, a --resolve entry, a
// proxy, --first-address. When the name does not resolve, it returns the
// probe's observation of that instead, so the lookup is not made twice.
func addresses(ctx context.Context, t target.Target, cfg Config) ([]string, *probe.Observation) {
	if cfg.endpoint != nil && len(cfg.endpoint.Addresses) > 0 && cfg.Probe.Dialer == nil {
		addrs := make([]string, 0, len(cfg.endpoint.Addresses))
		for _, a := range cfg.endpoint.Addresses {
			addrs = append(addrs, net.JoinHostPort(a, strconv.Itoa(t.Port)))
		}
		return addrs, nil
	}
	if cfg.FirstAddress || t.IsIP || cfg.Probe.Dialer != nil || cfg.Probe.DNS == nil || cfg.Probe.Address != "" {
		return nil, nil
	}
	if _, ok := cfg.Probe.Resolve[t.Key()]; ok {
		return nil, nil
	}
	timeout := cfg.Probe.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second // the probe's default
	}
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	ips, err := cfg.Probe.DNS.Lookup(lctx, t.Host)
	if err == nil && len(ips) == 0 {
		err = &net.DNSError{Err: "no such host", Name: t.Host, IsNotFound: true}
	}
	if err != nil {
		// The error as the probe's own dial reports it.
		f := probe.Classify(&net.OpError{Op: "dial", Net: "tcp", Err: err}, probe.PhaseDial, timeout)
		return nil, &probe.Observation{Duration: time.Since(start), Err: f}
	}
	first4 := ips[0].IP.To4() != nil
	var primary, fallback []string
	seen := map[string]bool{}
	for _, a := range ips {
		ip := a.IP.String()
		if a.Zone != "" {
			ip += "%" + a.Zone
		}
		addr := net.JoinHostPort(ip, strconv.Itoa(t.Port))
		if seen[addr] {
			continue
		}
		seen[addr] = true
		if (a.IP.To4() != nil) == first4 {
			primary = append(primary, addr)
		} else {
			fallback = append(fallback, addr)
		}
	}
	return append(primary, fallback...), nil
}

// checkEvery checks t at each of addrs, at most as many at once as handshake
// tokens are free, and combines the outcomes into t's one result.
func checkEvery(ctx context.Context, t target.Target, r result.Result, cfg Config, addrs []string) (result.Result, bool) {
	start := time.Now()
	outs := make([]decide.AddressOutcome, len(addrs))
	complete := make([]bool, len(addrs))
	var wg sync.WaitGroup
	for i, addr := range addrs {
		wg.Go(func() {
			ar := r
			ar.Address = addr
			if !acquire(ctx, cfg) {
				ar, complete[i] = deadlineOrInterrupted(ctx, cfg, ar)
				outs[i] = decide.AddressOutcome{Result: ar}
				return
			}
			defer release(cfg)
			opts := cfg.Probe
			opts.Address = addr
			ar, ok, unreached := checkAddr(ctx, t, ar, cfg, opts)
			if ar.Address == "" {
				ar.Address = addr
			}
			outs[i], complete[i] = decide.AddressOutcome{Result: ar, Unreached: unreached}, ok
		})
	}
	wg.Wait()
	for _, ok := range complete {
		if !ok {
			return r, false
		}
	}
	out := decide.Combine(outs)
	out.DurationMS = float64(time.Since(start).Microseconds()) / 1000
	return out, true
}

// noRoute reports whether a probe failed because this machine has no
// route to the address's network (as for IPv6 on a host without it): a
// fact about this machine, not the server.
func noRoute(f *probe.Failure) bool {
	return errors.Is(f, syscall.ENETUNREACH) || errors.Is(f, syscall.EAFNOSUPPORT)
}

// rsaKeyExchange reports whether the handshake tls describes used TLS 1.2
// RSA key exchange (reached only by a replayed sender client).
func rsaKeyExchange(tls *result.TLSInfo) bool {
	if tls == nil {
		return false
	}
	id, ok := tlswire.SuiteByName(tls.CipherSuite)
	return ok && tlswire.SuiteKeyExchange(id) == tlswire.KeyExchangeRSA
}

// Package runner drives a check run: it takes targets in, probes and
// verifies them on a bounded pool of workers, and hands every result, exactly
// once, to the caller. Data flows one way: targets → probe → verify →
// report.
package runner

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/target"
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
}

// Run checks every input that next yields until it returns false, with at
// most cfg.Concurrency in flight, and calls emit once per input, from one
// goroutine at a time, in completion order. It returns emit's first error,
// after which remaining inputs are still drained but no longer emitted.
func Run(ctx context.Context, next func() (Input, bool), cfg Config, emit func(result.Result) error) error {
	n := cfg.Concurrency
	if n < 1 {
		n = 1
	}
	if cfg.Deadline > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, cfg.Deadline, ErrDeadline)
		defer cancel()
	}
	if cfg.Probe.DNS == nil && cfg.Probe.Dialer == nil {
		cfg.Probe.DNS = probe.NewDNSCache() // one host, one lookup per run
	}
	jobs := make(chan Input)
	results := make(chan result.Result, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for in := range jobs {
				results <- Check(ctx, in, cfg)
			}
		})
	}
	go func() {
		for {
			in, ok := next()
			if !ok {
				break
			}
			jobs <- in
		}
		close(jobs)
		wg.Wait()
		close(results)
	}()
	var firstErr error
	for r := range results {
		if firstErr != nil {
			continue
		}
		if err := emit(r); err != nil {
			firstErr = err
		}
	}
	return firstErr
}

// Check parses, probes and verifies one input and returns its one result.
func Check(ctx context.Context, in Input, cfg Config) result.Result {
	r := result.Result{Target: target.Redact(in.Raw), Index: in.Index, ValidatedAt: cfg.At.UTC()}
	if !utf8.ValidString(in.Raw) {
		r.TargetRaw = []byte(r.Target)
	}
	t, err := target.Parse(in.Raw)
	if err != nil {
		msg := err.Error()
		r.Problems = []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError,
			Code: result.CodeInvalidURL, Cert: -1, Message: msg}}
		verify.Finalize(&r)
		return r
	}
	r.Host, r.Port = t.Host, t.Port
	if deadlinePassed(ctx, cfg) {
		r.Problems = []result.Problem{deadlineProblem(cfg, "before this target was checked")}
		verify.Finalize(&r)
		return r
	}
	obs := probe.Probe(ctx, t, cfg.Probe)
	r.Address = obs.Address
	r.DurationMS = float64(obs.Duration.Microseconds()) / 1000
	r.TLS = obs.TLS
	if obs.Err != nil && deadlinePassed(ctx, cfg) {
		// The probe was cut short by the run's deadline, not by the peer.
		r.TLS = nil
		r.Problems = []result.Problem{deadlineProblem(cfg, "while this target was being checked")}
		verify.Finalize(&r)
		return r
	}
	if obs.Err != nil {
		r.Problems = append(r.Problems, result.Problem{ID: obs.Err.ID, Severity: result.SeverityError,
			Code: obs.Err.Code, Cert: -1, Message: obs.Err.Detail})
	}
	certs := obs.Certs
	maxChain := cfg.MaxChain
	if maxChain <= 0 {
		maxChain = DefaultMaxChain
	}
	if len(certs) > maxChain {
		r.Problems = append(r.Problems, result.Problem{ID: result.ProblemChainTooLong, Severity: result.SeverityWarn, Cert: -1,
			Message: fmt.Sprintf("the server presented %d certificates; only the first %d were considered: send only the leaf and its intermediates", len(certs), maxChain)})
		certs = certs[:maxChain]
	}
	if len(certs) > 0 {
		stores := cfg.Stores
		if cfg.LoadStores != nil {
			stores = cfg.LoadStores()
		}
		out := verify.Check(certs, stores, verify.Options{At: cfg.At, WarnDays: cfg.WarnDays, Host: t.Host, WebPKI: true})
		r.Chain, r.Trust = out.Chain, out.Trust
		r.Problems = append(r.Problems, out.Problems...)
		// The parsed certificates served verify only: a run that keeps its
		// results for ordered output keeps the summaries, not the
		// certificates.
		for i := range r.Chain {
			r.Chain[i].X509 = nil
		}
	}
	verify.Finalize(&r)
	return r
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

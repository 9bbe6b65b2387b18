// Package runner drives a check run: it takes targets in, probes and
// verifies them on a bounded pool of workers, and hands every result, exactly
// once, to the caller. Data flows one way: targets → probe → verify →
// report.
package runner

import (
	"context"
	"errors"
	"sync"
	"time"

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
	// At is the validation time.
	At time.Time
	// WarnDays warns about certificates that expire within this many days.
	WarnDays int
	// Concurrency is the number of targets in flight; at least 1.
	Concurrency int
}

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
	r := result.Result{Target: in.Raw, Index: in.Index, ValidatedAt: cfg.At.UTC()}
	t, err := target.Parse(in.Raw)
	if err != nil {
		msg := err.Error()
		r.Problems = []result.Problem{{ID: result.ProblemInvalidTarget, Severity: result.SeverityError,
			Code: result.CodeInvalidURL, Cert: -1, Message: msg}}
		verify.Finalize(&r)
		return r
	}
	r.Host, r.Port = t.Host, t.Port
	obs := probe.Probe(ctx, t, cfg.Probe)
	r.Address = obs.Address
	r.DurationMS = float64(obs.Duration.Microseconds()) / 1000
	r.TLS = obs.TLS
	if obs.Err != nil {
		r.Problems = append(r.Problems, result.Problem{ID: obs.Err.ID, Severity: result.SeverityError,
			Code: obs.Err.Code, Cert: -1, Message: obs.Err.Detail})
	}
	if len(obs.Certs) > 0 {
		out := verify.Check(obs.Certs, cfg.Stores, verify.Options{At: cfg.At, WarnDays: cfg.WarnDays, Host: t.Host})
		r.Chain, r.Trust = out.Chain, out.Trust
		r.Problems = append(r.Problems, out.Problems...)
	}
	verify.Finalize(&r)
	return r
}

// ErrNoTargets is returned by callers when a run was given no target.
var ErrNoTargets = errors.New("no targets")

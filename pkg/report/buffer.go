package report

import (
	"fmt"
	"sync"

	"github.com/certgate/certgate/pkg/result"
)

// buffer collects results for the renderers that write everything on Close,
// in input order, and guards against use after Close.
type buffer struct {
	mu      sync.Mutex
	results []result.Result
	skipped tally
	closed  bool
}

// add buffers r.
func (b *buffer) add(r result.Result) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return ErrClosed
	}
	b.results = append(b.results, r)
	return nil
}

// skip counts a result that Quiet left out, for the summary line.
func (b *buffer) skip(r result.Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.skipped.add(r.Status)
}

// close marks the buffer closed and returns the results in input order and
// the tally of the results left out.
func (b *buffer) close() ([]result.Result, tally, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, tally{}, ErrClosed
	}
	b.closed = true
	sortByIndex(b.results)
	return b.results, b.skipped, nil
}

// tally counts results by status.
type tally struct{ ok, warn, fail, errors int }

func (t *tally) add(s result.Status) {
	switch s {
	case result.StatusOK:
		t.ok++
	case result.StatusWarn:
		t.warn++
	case result.StatusFail:
		t.fail++
	default:
		t.errors++
	}
}

func (t tally) total() int { return t.ok + t.warn + t.fail + t.errors }

func (t tally) plus(o tally) tally {
	return tally{t.ok + o.ok, t.warn + o.warn, t.fail + o.fail, t.errors + o.errors}
}

func tallyOf(rs []result.Result) tally {
	var t tally
	for i := range rs {
		t.add(rs[i].Status)
	}
	return t
}

// String is "N targets: A ok, B warn, C fail, D error".
func (t tally) String() string {
	noun := "targets"
	if t.total() == 1 {
		noun = "target"
	}
	return fmt.Sprintf("%d %s: %d ok, %d warn, %d fail, %d error", t.total(), noun, t.ok, t.warn, t.fail, t.errors)
}

package report

import (
	"fmt"
	"slices"
	"strings"
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

// headline is the one-line statement of a result that is not ok: the code
// and its message for fail and error, "warning" for warn.
func headline(r *result.Result) string {
	if r.Code != result.CodeNone {
		msg := r.Message
		if msg == "" {
			msg = r.Code.Message()
		}
		return fmt.Sprintf("%d %s", r.Code, msg)
	}
	if r.Status == result.StatusWarn {
		return "warning"
	}
	return string(r.Status)
}

// problemLines lists the problems of a result at warn or error severity, one
// line each: "expired (error, 11236, certificate 0): message".
func problemLines(r *result.Result) []string {
	var lines []string
	for _, p := range r.Problems {
		if p.Severity == result.SeverityInfo {
			continue
		}
		where := []string{string(p.Severity)}
		if p.Code != result.CodeNone {
			where = append(where, fmt.Sprint(int(p.Code)))
		}
		if p.Cert >= 0 {
			where = append(where, fmt.Sprintf("certificate %d", p.Cert))
		}
		if p.Store != "" {
			where = append(where, "store "+p.Store)
		}
		lines = append(lines, fmt.Sprintf("%s (%s): %s", p.ID, strings.Join(where, ", "), p.Message))
	}
	return lines
}

// trustedRoot returns the root of the first store that trusts the chain, in
// the order of stores and then the other verdicts by name; "" when none does.
func trustedRoot(r *result.Result, stores []string) string {
	names := slices.Clone(stores)
	var rest []string
	for name := range r.Trust {
		if !slices.Contains(stores, name) {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range append(names, rest...) {
		if v, ok := r.Trust[name]; ok && v.Trusted && v.Root != "" {
			return v.Root
		}
	}
	return ""
}

// targetName is the target as given, or "(empty target)" for an empty line,
// so that no test case or annotation is nameless.
func targetName(r *result.Result) string {
	if r.Target == "" {
		return "(empty target)"
	}
	return r.Target
}

package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// jsonRenderer writes one indented JSON array in input order. It streams:
// each result is written as soon as every result before it in input order
// has been (Index 0, 1, 2…), so a caller that adds results roughly in order
// keeps only the few that are early. Close writes whatever is still held,
// in input order, and ends the array.
type jsonRenderer struct {
	out io.Writer

	mu      sync.Mutex
	next    int                     // the Index written next
	pending map[int][]result.Result // added early, by Index
	gaps    map[int]int             // Indexes left out by Quiet, with their count
	started bool                    // "[" is written
	closed  bool
	err     error // the first write error
}

func newJSON(ios *iostreams.IOStreams, _ Options) Renderer {
	return &jsonRenderer{out: ios.Out, pending: map[int][]result.Result{}, gaps: map[int]int{}}
}

// Add writes r, and every result it was holding back, when r is the next in
// input order; else it holds r.
func (j *jsonRenderer) Add(r result.Result) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	j.pending[r.Index] = append(j.pending[r.Index], r)
	return j.flush()
}

// skip records that Quiet left out r, so the results after it need not
// wait for it.
func (j *jsonRenderer) skip(r result.Result) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return
	}
	j.gaps[r.Index]++
	_ = j.flush() // a write error is returned by the next Add or Close
}

// flush writes the results that are next in input order.
func (j *jsonRenderer) flush() error {
	for {
		if rs, ok := j.pending[j.next]; ok {
			delete(j.pending, j.next)
			for _, r := range rs {
				j.write(r)
			}
		} else if j.gaps[j.next] > 0 {
			delete(j.gaps, j.next)
		} else {
			return j.err
		}
		j.next++
	}
}

// write writes one element of the array, after "[" or ",".
func (j *jsonRenderer) write(r result.Result) {
	if j.err != nil {
		return
	}
	b, err := encode(normalize(r), "  ")
	if err != nil {
		j.err = fmt.Errorf("report: encode json for %s: %w", Sanitize(r.Target), err)
		return
	}
	b = bytes.TrimSuffix(b, []byte("\n"))
	sep := ",\n  "
	if !j.started {
		sep, j.started = "[\n  ", true
	}
	// The element is indented one level inside the array.
	b = bytes.ReplaceAll(b, []byte("\n"), []byte("\n  "))
	if _, err := io.WriteString(j.out, sep); err != nil {
		j.err = fmt.Errorf("report: write json: %w", err)
		return
	}
	if _, err := j.out.Write(b); err != nil {
		j.err = fmt.Errorf("report: write json: %w", err)
	}
}

// Close writes the results still held, in input order, and ends the array:
// "[]" when no result was added.
func (j *jsonRenderer) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	j.closed = true
	idx := make([]int, 0, len(j.pending))
	for i := range j.pending {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	for _, i := range idx {
		for _, r := range j.pending[i] {
			j.write(r)
		}
	}
	j.pending = nil
	if j.err != nil {
		return j.err
	}
	end := "\n]\n"
	if !j.started {
		end = "[]\n"
	}
	if _, err := io.WriteString(j.out, end); err != nil {
		return fmt.Errorf("report: write json: %w", err)
	}
	return nil
}

// jsonlRenderer writes one compact JSON object a line as each result arrives
// and keeps nothing.
type jsonlRenderer struct {
	out    io.Writer
	mu     sync.Mutex
	closed bool
}

func newJSONL(ios *iostreams.IOStreams, _ Options) Renderer {
	return &jsonlRenderer{out: ios.Out}
}

// Add writes r as one line.
func (j *jsonlRenderer) Add(r result.Result) error {
	b, err := encode(normalize(r), "")
	if err != nil {
		return fmt.Errorf("report: encode json line for %s: %w", Sanitize(r.Target), err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	if _, err := j.out.Write(b); err != nil {
		return fmt.Errorf("report: write json line: %w", err)
	}
	return nil
}

// Close marks the renderer closed; everything is already written.
func (j *jsonlRenderer) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	j.closed = true
	return nil
}

// encode marshals v without HTML escaping, indented by indent when it is not
// empty, ending in a newline, with terminal-unsafe runes escaped.
func encode(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return escapeJSON(buf.Bytes()), nil
}

// normalize fills what the certgate.result/v1 schema promises in every
// object: the schema name, and arrays and objects rather than null for chain,
// trust, problems, dns_names and ip_addresses. It copies what it changes and
// judges nothing. tls stays null when no handshake completed.
func normalize(r result.Result) result.Result {
	if r.Schema == "" {
		r.Schema = result.Schema
	}
	if r.Chain == nil {
		r.Chain = []result.Cert{}
	} else {
		chain := make([]result.Cert, len(r.Chain))
		for i, c := range r.Chain {
			if c.DNSNames == nil {
				c.DNSNames = []string{}
			}
			if c.IPAddresses == nil {
				c.IPAddresses = []string{}
			}
			chain[i] = c
		}
		r.Chain = chain
	}
	if r.Trust == nil {
		r.Trust = map[string]result.Verdict{}
	}
	if r.Problems == nil {
		r.Problems = []result.Problem{}
	}
	return r
}

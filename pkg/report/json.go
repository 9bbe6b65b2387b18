package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// jsonRenderer buffers results and writes one indented JSON array, in input
// order, on Close.
type jsonRenderer struct {
	out io.Writer
	buf buffer
}

func newJSON(ios *iostreams.IOStreams, _ Options) Renderer {
	return &jsonRenderer{out: ios.Out}
}

// Add buffers r.
func (j *jsonRenderer) Add(r result.Result) error { return j.buf.add(r) }

// Close writes the array, "[]" when no result was added.
func (j *jsonRenderer) Close() error {
	rs, _, err := j.buf.close()
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []result.Result{} // "[]", not "null"
	}
	for i := range rs {
		rs[i] = normalize(rs[i])
	}
	b, err := encode(rs, "  ")
	if err != nil {
		return fmt.Errorf("report: encode json: %w", err)
	}
	if _, err := j.out.Write(b); err != nil {
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

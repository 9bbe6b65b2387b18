package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

func TestShardFlagErrors(t *testing.T) {
	for _, v := range []string{"4/4", "1", "x/2", "-1/3", "0/0"} {
		t.Run(v, func(t *testing.T) {
			code, out, errOut := cli(t, "", "check", "--shard", v, "example.com")
			if code != 2 || out != "" || !strings.Contains(errOut, "--shard") || !strings.Contains(errOut, "0/4") && !strings.Contains(errOut, "0/3") && !strings.Contains(errOut, "0 to") && !strings.Contains(errOut, "1 to") {
				t.Errorf("--shard %s: exit %d, stdout %q, stderr %q; want exit 2 naming --shard and the fix", v, code, out, errOut)
			}
		})
	}
}

// TestShardsConcatenate: the jsonl outputs of every shard together hold each
// target's result exactly once, whichever shard holds it.
func TestShardsConcatenate(t *testing.T) {
	var list []string
	for i := range 40 {
		list = append(list, fmt.Sprintf("http://bad-%d.example", i)) // invalid: no network needed
	}
	for i := range 8 {
		list = append(list, fmt.Sprintf("https://127.0.0.1:%s/%d", portOf(t), i))
	}
	stdin := strings.Join(list, "\n") + "\n"
	var got []string
	const n = 3
	for i := range n {
		code, out, errOut := cli(t, stdin, "check", "-f", "-", "-o", "jsonl", "--shard", fmt.Sprintf("%d/%d", i, n), "--timeout", "2s")
		if code != 0 && code != 1 {
			t.Fatalf("shard %d/%d: exit %d: %s", i, n, code, errOut)
		}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			if line == "" {
				continue
			}
			var r result.Result
			if err := json.Unmarshal([]byte(line), &r); err != nil {
				t.Fatalf("shard %d: %v: %q", i, err, line)
			}
			got = append(got, r.Target)
		}
	}
	want := slices.Clone(list)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("the shards' results together:\n%v\nwant every target once:\n%v", got, want)
	}
}

// TestShardEmpty: a shard with no target of the list is not an error.
func TestShardEmpty(t *testing.T) {
	for i := range 2 {
		code, out, errOut := cli(t, "", "check", "-o", "json", "--shard", fmt.Sprintf("%d/2", i), "http://only.example")
		if code == 2 {
			t.Fatalf("shard %d/2: exit 2: %s", i, errOut)
		}
		if code == 0 && strings.TrimSpace(out) != "[]" {
			t.Errorf("shard %d/2: empty shard printed %q, want []", i, out)
		}
	}
}

func portOf(t *testing.T) string {
	t.Helper()
	addr := testpki.ClosedPort(t)
	return addr[strings.LastIndex(addr, ":")+1:]
}

// genList is an io.Reader of n target lines, made as they are read.
type genList struct {
	n, i    int
	buf     []byte
	onEvery func(i int)
}

func (g *genList) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.buf = fmt.Appendf(g.buf[:0], "http://not-a-target-%d.example/\n", g.i)
		g.i++
		if g.onEvery != nil && g.i%20000 == 0 {
			g.onEvery(g.i)
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

type countWriter struct{ lines int }

func (c *countWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		if b == '\n' {
			c.lines++
		}
	}
	return len(p), nil
}

// TestJSONLStreams: with -o jsonl a long list read from stdin is streamed —
// read a line at a time and each result written as it completes — so the
// heap stays small however long the list is. 300,000 results kept would
// take hundreds of megabytes; the test allows 64 MiB.
func TestJSONLStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("300,000 targets")
	}
	const n = 300_000
	var peak uint64
	var ms runtime.MemStats
	gen := &genList{n: n, onEvery: func(int) {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}}
	ios, _, _, _ := iostreams.Test()
	ios.In = gen
	out := &countWriter{}
	ios.Out = out
	code := run(context.Background(), []string{"check", "-f", "-", "-o", "jsonl", "--fail-on", "never"}, ios)
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	if out.lines != n {
		t.Fatalf("%d results for %d targets", out.lines, n)
	}
	if peak > 64<<20 {
		t.Errorf("heap in use reached %d MiB over %d targets: jsonl must keep nothing", peak>>20, n)
	}
	t.Logf("peak heap in use: %.1f MiB over %d targets", float64(peak)/(1<<20), n)
}

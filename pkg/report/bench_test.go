package report

import (
	"io"
	"testing"

	"github.com/certgate/certgate/pkg/iostreams"
)

func benchRender(b *testing.B, format string, tty bool) {
	rs := manyResults(1000)
	ios, _, _, _ := iostreams.Test()
	ios.Out = io.Discard
	ios.SetStdoutTTY(tty)
	b.ReportAllocs()
	for b.Loop() {
		r, err := New(format, ios, Options{Stores: testStores, Width: 120})
		if err != nil {
			b.Fatal(err)
		}
		for i := range rs {
			if err := r.Add(rs[i]); err != nil {
				b.Fatal(err)
			}
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderTable renders 1,000 results as a terminal table.
func BenchmarkRenderTable(b *testing.B) { benchRender(b, "table", true) }

// BenchmarkRenderJSON renders 1,000 results as one JSON array.
func BenchmarkRenderJSON(b *testing.B) { benchRender(b, "json", false) }

// BenchmarkRenderJSONL renders 1,000 results as JSON lines.
func BenchmarkRenderJSONL(b *testing.B) { benchRender(b, "jsonl", false) }

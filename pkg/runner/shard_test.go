package runner

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr string
	}{
		{in: "", want: Shard{}},
		{in: "0/1", want: Shard{Index: 0, Count: 1}},
		{in: "3/4", want: Shard{Index: 3, Count: 4}},
		{in: " 2/5 ", want: Shard{Index: 2, Count: 5}},
		{in: "4/4", wantErr: "index must be 0 to 3"},
		{in: "1/0", wantErr: "must be 1 to"},
		{in: "-1/4", wantErr: "index must be 0 to 3"},
		{in: "1", wantErr: "e.g. 0/4"},
		{in: "a/b", wantErr: "e.g. 0/4"},
		{in: "1/4/2", wantErr: "e.g. 0/4"},
		{in: "0/99999999", wantErr: "must be 1 to"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseShard(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, ErrShardSyntax) {
					t.Fatalf("ParseShard(%q) = %v, %v; want an error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			if got.String() != strings.TrimSpace(tt.in) {
				t.Errorf("String() = %q, want %q", got.String(), strings.TrimSpace(tt.in))
			}
		})
	}
}

// TestShardPartition: for every N, each target lands in exactly one of the
// shards 0/N … (N-1)/N, and the shards are roughly even.
func TestShardPartition(t *testing.T) {
	var targets []string
	for i := range 3000 {
		switch i % 3 {
		case 0:
			targets = append(targets, fmt.Sprintf("https://host%d.example.com/hooks", i))
		case 1:
			targets = append(targets, fmt.Sprintf("10.%d.%d.1:8443", i/256, i%256))
		default:
			targets = append(targets, fmt.Sprintf("not a target %d", i)) // unparsable: hashed as given
		}
	}
	for _, n := range []int{1, 2, 3, 7, 16, 100} {
		counts := make([]int, n)
		for _, raw := range targets {
			in := 0
			for i := range n {
				if (Shard{Index: i, Count: n}).Contains(raw) {
					in++
					counts[i]++
				}
			}
			if in != 1 {
				t.Fatalf("N=%d: %q is in %d shards, want exactly 1", n, raw, in)
			}
		}
		even := len(targets) / n
		for i, c := range counts {
			if n <= 16 && (c < even/2 || c > even*3/2) {
				t.Errorf("N=%d: shard %d holds %d of %d targets: far from even", n, i, c, len(targets))
			}
		}
	}
}

// TestShardKey: spellings of one endpoint share a shard; the key is stable
// across releases (changing it moves every target to another machine).
func TestShardKey(t *testing.T) {
	same := []string{"api.example.com", "https://API.example.com/hooks/sms", "api.example.com:443", "https://api.example.com:443/?q=1", "  api.example.com.  "}
	for _, s := range same {
		if got := ShardKey(s); got != "api.example.com:443" {
			t.Errorf("ShardKey(%q) = %q, want api.example.com:443", s, got)
		}
	}
	if got := ShardKey("http://x"); got != "http://x" {
		t.Errorf("ShardKey of an unparsable target = %q, want it as given", got)
	}
	// Pinned: FNV-1a 64 of the key, modulo N.
	if got := ShardOf("api.example.com:443", 1000); got != 467 {
		t.Errorf("ShardOf(api.example.com:443, 1000) = %d, want 467: the hash changed, and with it every shard", got)
	}
}

func TestShardFilter(t *testing.T) {
	inputs := []Input{{Raw: "a.example"}, {Raw: "b.example"}, {Raw: "c.example"}, {Raw: "d.example"}, {Raw: "e.example"}}
	seen := map[string]int{}
	for i := range 3 {
		k := 0
		next := func() (Input, bool) {
			if k == len(inputs) {
				return Input{}, false
			}
			k++
			return inputs[k-1], true
		}
		skipped, kept := 0, 0
		f := Shard{Index: i, Count: 3}.Filter(next, &skipped)
		for in, ok := f(); ok; in, ok = f() {
			seen[in.Raw]++
			kept++
		}
		if kept+skipped != len(inputs) {
			t.Errorf("shard %d: kept %d + skipped %d, want %d", i, kept, skipped, len(inputs))
		}
	}
	for _, in := range inputs {
		if seen[in.Raw] != 1 {
			t.Errorf("%s came out of %d shards, want 1", in.Raw, seen[in.Raw])
		}
	}
}

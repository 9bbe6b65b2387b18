package runner

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/certgate/certgate/pkg/target"
)

// MaxShards is the largest shard count Shard accepts.
const MaxShards = 1 << 16

// Shard selects a deterministic part of a target list, so that a list can be
// spread over machines: with Count N, the shards 0/N … (N-1)/N are disjoint
// and together hold every target. Which shard a target lands in depends only
// on its text (see ShardKey), never on its position, the run or the machine.
// The zero Shard selects every target.
type Shard struct {
	// Index is the 0-based shard number, 0 ≤ Index < Count, as a Kubernetes
	// Indexed Job's JOB_COMPLETION_INDEX counts.
	Index int
	// Count is the number of shards; 0 or 1 selects everything.
	Count int
}

// ErrShardSyntax is the cause of every ParseShard error.
var ErrShardSyntax = errors.New("not I/N")

// ParseShard reads "I/N" (0 ≤ I < N ≤ MaxShards). The empty string is the
// zero Shard.
func ParseShard(s string) (Shard, error) {
	if s == "" {
		return Shard{}, nil
	}
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, ierr := strconv.Atoi(is)
	n, nerr := strconv.Atoi(ns)
	switch {
	case !ok || ierr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("%q is %w: give the 0-based shard index and the number of shards, e.g. 0/4 … 3/4", s, ErrShardSyntax)
	case n < 1 || n > MaxShards:
		return Shard{}, fmt.Errorf("%q: the number of shards must be 1 to %d: %w", s, MaxShards, ErrShardSyntax)
	case i < 0 || i >= n:
		return Shard{}, fmt.Errorf("%q: the index must be 0 to %d (shards count from 0, as JOB_COMPLETION_INDEX does): %w", s, n-1, ErrShardSyntax)
	}
	return Shard{Index: i, Count: n}, nil
}

// String returns "I/N", or "" for the zero Shard.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Contains reports whether the target raw (as given) belongs to s.
func (s Shard) Contains(raw string) bool {
	if s.Count <= 1 {
		return true
	}
	return ShardOf(raw, s.Count) == s.Index
}

// ShardOf returns the 0-based shard of n that the target raw lands in.
func ShardOf(raw string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(ShardKey(raw)))
	return int(h.Sum64() % uint64(n))
}

// ShardKey is the text a target is sharded by: its normalised host:port
// (target.Target.Key), so that spellings of one endpoint — with or without
// https://, a path, upper-case letters, the default port — land in the same
// shard; a target that cannot be parsed is sharded by its text as given,
// trimmed of surrounding white space.
func ShardKey(raw string) string {
	if t, err := target.Parse(raw); err == nil {
		return t.Key()
	}
	return strings.TrimSpace(raw)
}

// Filter returns a next function that yields only the inputs of next that
// belong to s, and counts the others in *skipped (when not nil).
func (s Shard) Filter(next func() (Input, bool), skipped *int) func() (Input, bool) {
	if s.Count <= 1 {
		return next
	}
	return func() (Input, bool) {
		for {
			in, ok := next()
			if !ok || s.Contains(in.Raw) {
				return in, ok
			}
			if skipped != nil {
				*skipped++
			}
		}
	}
}

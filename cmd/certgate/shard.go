package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/runner"
)

// addShardFlag registers --shard I/N.
func addShardFlag(cmd *cobra.Command, shard *string) {
	cmd.Flags().StringVar(shard, "shard", "", "check only shard `I/N` of the targets (0-based: 0/4 … 3/4), chosen by a stable hash of each target's host:port")
}

// parseShard reads --shard; a bad value is a usage error naming the fix.
func parseShard(s string) (runner.Shard, error) {
	// An index one past the last is the usual slip (shards count from 0):
	// say so plainly.
	is, ns, ok := strings.Cut(strings.TrimSpace(s), "/")
	i, ierr := strconv.Atoi(is)
	n, nerr := strconv.Atoi(ns)
	if ok && ierr == nil && nerr == nil && n >= 1 && n <= runner.MaxShards && (i < 0 || i >= n) {
		use := fmt.Sprintf("0/%d … %d/%d", n, n-1, n)
		if n == 1 {
			use = "0/1"
		}
		return runner.Shard{}, usagef("--shard: index %d is out of range for %s (0-based: use %s)", i, pluralize(n, "shard"), use)
	}
	sh, err := runner.ParseShard(s)
	if err != nil {
		return runner.Shard{}, usagef("--shard: %v", err)
	}
	return sh, nil
}

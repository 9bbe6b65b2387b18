package main

import (
	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/runner"
)

// addShardFlag registers --shard I/N.
func addShardFlag(cmd *cobra.Command, shard *string) {
	cmd.Flags().StringVar(shard, "shard", "", "check only shard `I/N` of the targets (0-based: 0/4 … 3/4), chosen by a stable hash of each target's host:port")
}

// parseShard reads --shard; a bad value is a usage error naming the fix.
func parseShard(s string) (runner.Shard, error) {
	sh, err := runner.ParseShard(s)
	if err != nil {
		return runner.Shard{}, usagef("--shard: %v", err)
	}
	return sh, nil
}

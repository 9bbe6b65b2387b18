package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

// addProfileFlag registers the hidden --cpuprofile flag, for the
// performance work of scripts/bench: `certgate check --cpuprofile cpu.out`.
func addProfileFlag(cmd *cobra.Command, path *string) {
	cmd.Flags().StringVar(path, "cpuprofile", "", "write a CPU profile of the run to `FILE` (go tool pprof FILE)")
	_ = cmd.Flags().MarkHidden("cpuprofile")
}

// startCPUProfile starts a CPU profile into path and returns the function
// that stops it; with an empty path it does nothing.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, usagef("--cpuprofile: %v", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

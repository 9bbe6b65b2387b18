package main

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/baseline"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
)

// diffOptions are the settings of one `certgate diff`.
type diffOptions struct {
	IO       *iostreams.IOStreams
	Old, New string
	Output   string
	FailOn   string
	NoColor  bool
	Verbose  bool
}

func newDiffCmd(ios *iostreams.IOStreams) *cobra.Command {
	o := &diffOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "diff OLD.json NEW.json",
		Short: "Compare two check runs and report what changed",
		Long: `Compare the results of two runs of certgate check (written with -o json or
-o jsonl), target by target and address by address. Each target gets one
result whose problems are the changes:

  changed-root      error  the chain ends at another root (a switch of CA)
  changed-issuer    warn   another intermediate of the same root issued the leaf
  changed-chain     warn   the presented chain has another shape
  verdict-worse     error  the status is worse (the code is the new one)
  key-weaker        error  the leaf's key is of a weaker type or size
  leaf-rollback     error  the leaf is older than the baseline's
  address-differs   warn   an address serves another certificate than its siblings
  address-added     warn   a new address answers for the host
  address-removed   warn   an address of the baseline no longer answers
  renewed           info   a routine renewal by the same CA
  target-added      info   the target is not in OLD
  target-removed    warn   a target of OLD is not in NEW

A result fails (or warns) on its changes alone: a target that failed in
both runs, the same way, has no change.`,
		Example: `  certgate check -f endpoints.txt -o json > today.json
  certgate diff yesterday.json today.json
  certgate check --baseline prod.json --update-baseline -f endpoints.txt`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usagef("diff takes two files, OLD and NEW, got %d (see 'certgate diff --help')", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Old, o.New = args[0], args[1]
			return runDiff(o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.Output, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVar(&o.FailOn, "fail-on", "error", "exit 1 when a result is at or above: error, warn, never")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "on a terminal, list every change under the table")
	f.BoolVar(&o.NoColor, "no-color", false, "no ANSI colour (also when NO_COLOR is set or stdout is not a terminal)")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"error", "warn", "never"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func runDiff(o *diffOptions) error {
	common := commonOptions{Output: o.Output, FailOn: o.FailOn}
	if err := common.validate(); err != nil {
		return err
	}
	if o.NoColor {
		o.IO.SetColorDisabled(true)
	}
	old, err := baseline.ReadFile(o.Old)
	if err != nil {
		return usagef("%v", err)
	}
	cur, err := baseline.ReadFile(o.New)
	if err != nil {
		return usagef("%v", err)
	}
	rs := baseline.Diff(old, cur)
	ren, err := report.New(o.Output, o.IO, report.Options{Stores: storesOf(cur, old), Verbose: o.Verbose, Command: "diff"})
	if err != nil {
		return usagef("--output: %v", err)
	}
	failed := 0
	for _, r := range rs {
		if r.Failed(o.FailOn) {
			failed++
		}
		if err := ren.Add(r); err != nil {
			return err
		}
	}
	if err := ren.Close(); err != nil {
		return err
	}
	if failed > 0 {
		return errFailOn
	}
	return nil
}

// storesOf names the trust stores the runs' results were judged against,
// sorted.
func storesOf(runs ...[]result.Result) []string {
	seen := map[string]bool{}
	var names []string
	for _, rs := range runs {
		for _, r := range rs {
			for n := range r.Trust {
				if !seen[n] {
					seen[n] = true
					names = append(names, n)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}

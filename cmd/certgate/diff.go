package main

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/baseline"
	"github.com/certgate/certgate/pkg/decide"
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
result: NEW's result as checked (OLD's for a target NEW lacks), with the
changes added to its problems:

  changed-root      error  both runs reached a store root, and not the same one (a switch of CA)
  changed-issuer    warn   another CA issued the leaf (no common root, or another organization)
  changed-chain     warn   the presented chain has another shape
  verdict-worse     warn   the status is worse: warn when it now warns, error when it fails
  key-weaker        error  the leaf's key is of a weaker type or size
  leaf-rollback     error  the leaf is older than the baseline's
  address-differs   warn   an address serves another certificate than its siblings
  address-added     warn   a new address answers for the host
  address-removed   warn   an address of the baseline no longer answers
  renewed           info   a routine renewal by the same CA (also from another
                           intermediate of the same organization under the same root)
  target-added      info   the target is not in OLD
  target-removed    warn   a target of OLD is not in NEW

A result's status and code stay the certificate's (as check reports them);
a change at warn or error makes an ok result warn, never worse. --fail-on
judges the changes' severities too: with the default (error) the exit
status is 1 for a fail or error result, as in check, and for any change at
error; with warn, for warnings and changes at warn as well.`,
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
	f.StringVar(&o.FailOn, "fail-on", "error", "exit 1 when a result, or one of its changes, is at or above: error, warn, never")
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
		if decide.FailsOn(&r, o.FailOn) {
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

package main

import (
	"encoding/json"
	"errors"
	"os"
	"sort"
	"sync"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/baseline"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
)

// baselineOptions are --baseline and --update-baseline of check.
type baselineOptions struct {
	// Path is --baseline: the results of an earlier run to compare with.
	Path string
	// Update is --update-baseline: write this run's results to Path.
	Update bool

	mu sync.Mutex
	// old are the baseline's results by target, each consumed once.
	old map[string][]result.Result
	// got are this run's results as checked, for Update.
	got []result.Result
}

func addBaselineFlags(cmd *cobra.Command, o *baselineOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Path, "baseline", "", "compare each result with this earlier run's results `FILE` (-o json or jsonl) and report the changes as problems")
	f.BoolVar(&o.Update, "update-baseline", false, "after the run, replace the --baseline file with this run's results (atomically; created when missing)")
}

// load reads the baseline, before any work: an unreadable baseline is a
// usage error. A missing one is fine with --update-baseline, which
// creates it.
func (o *baselineOptions) load() error {
	if o.Update && o.Path == "" {
		return usagef("--update-baseline: give the file to write with --baseline FILE")
	}
	if o.Path == "" {
		return nil
	}
	if _, err := os.Stat(o.Path); errors.Is(err, os.ErrNotExist) && o.Update {
		return nil
	}
	rs, err := baseline.ReadFile(o.Path)
	if err != nil {
		return usagef("--baseline: %v", err)
	}
	o.old = map[string][]result.Result{}
	for _, r := range rs {
		o.old[r.Target] = append(o.old[r.Target], r)
	}
	return nil
}

// compare adds to r the changes since its baseline result, and keeps r as
// checked for --update-baseline. Without --baseline it returns r as is.
func (o *baselineOptions) compare(r result.Result) result.Result {
	if o.Path == "" {
		return r
	}
	o.mu.Lock()
	if o.Update {
		o.got = append(o.got, r)
	}
	var old *result.Result
	if o.old != nil {
		if rs := o.old[r.Target]; len(rs) > 0 {
			old = &rs[0]
			o.old[r.Target] = rs[1:]
		}
	}
	o.mu.Unlock()
	if o.old == nil {
		return r // a baseline --update-baseline is about to create
	}
	decide.AddChanges(&r, baseline.Changes(old, &r))
	return r
}

// update writes this run's results to the baseline file, with
// --update-baseline.
func (o *baselineOptions) update() error {
	if !o.Update {
		return nil
	}
	rs := append([]result.Result{}, o.got...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].Index < rs[j].Index })
	data, err := json.MarshalIndent(rs, "", "  ")
	if err != nil {
		return err
	}
	return baseline.WriteFile(o.Path, append(data, '\n'))
}

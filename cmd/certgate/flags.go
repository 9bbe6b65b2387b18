package main

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/truststore"
)

// commonOptions are the flags shared by check and verify.
type commonOptions struct {
	Stores   []string
	CAFiles  []string
	At       string
	WarnDays int
	Output   string
	FailOn   string
	NoColor  bool
	Verbose  bool
}

func addCommonFlags(cmd *cobra.Command, o *commonOptions) {
	f := cmd.Flags()
	f.StringSliceVar(&o.Stores, "store", []string{"mozilla", "java"}, "trust stores, comma-separated: mozilla, java, system, or a PEM/DER file of roots; a chain passes if any trusts it")
	f.StringArrayVar(&o.CAFiles, "ca-file", nil, "extra trusted roots (PEM or DER file), added as one more store (repeatable)")
	f.StringVar(&o.At, "at", "", "validate as of this time: RFC 3339, YYYY-MM-DD, or +30d / +12h from now (default now)")
	f.IntVar(&o.WarnDays, "warn-days", 30, "warn when a certificate of the chain expires within this many days")
	f.StringVarP(&o.Output, "output", "o", "table", "output format: "+strings.Join(report.Formats(), ", "))
	f.StringVar(&o.FailOn, "fail-on", "error", "exit 1 when a result is at or above: error, warn, never")
	f.BoolVarP(&o.Verbose, "verbose", "v", false, "on a terminal, list under the table every problem, the presented chain and each store's verdict of each target")
	f.BoolVar(&o.NoColor, "no-color", false, "no ANSI colour (also when NO_COLOR is set or stdout is not a terminal)")
	_ = cmd.RegisterFlagCompletionFunc("store", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"mozilla", "java", "system"}, cobra.ShellCompDirectiveDefault
	})
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(report.Formats(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("fail-on", cobra.FixedCompletions([]string{"error", "warn", "never"}, cobra.ShellCompDirectiveNoFileComp))
}

// validate checks the shared flags up front, before any work.
func (o *commonOptions) validate() error {
	switch o.FailOn {
	case "error", "warn", "never":
	default:
		return usagef("--fail-on: %q is not a level (use error, warn or never)", o.FailOn)
	}
	if o.WarnDays < 0 {
		return usagef("--warn-days: %d is negative (use 0 to disable the warning)", o.WarnDays)
	}
	ok := false
	for _, f := range report.Formats() {
		if f == o.Output {
			ok = true
		}
	}
	if !ok {
		return usagef("--output: %q is not a format (use one of %s)", o.Output, strings.Join(report.Formats(), ", "))
	}
	return nil
}

// parseAt reads --at relative to now: RFC 3339, YYYY-MM-DD (midnight UTC),
// or a signed offset in days or hours (+30d, -12h). The time is truncated
// to the second, the granularity of certificate validity.
func parseAt(s string, now time.Time) (time.Time, error) {
	t, err := parseAtExact(strings.TrimSpace(s), now)
	return t.UTC().Truncate(time.Second), err
}

func parseAtExact(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return now, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if len(s) >= 3 && (s[0] == '+' || s[0] == '-') {
		unit := s[len(s)-1]
		n, err := strconv.Atoi(s[1 : len(s)-1])
		if err == nil && n >= 0 && n <= 365*100 {
			if s[0] == '-' {
				n = -n
			}
			switch unit {
			case 'd':
				return now.Add(time.Duration(n) * 24 * time.Hour), nil
			case 'h':
				return now.Add(time.Duration(n) * time.Hour), nil
			}
		}
	}
	return time.Time{}, usagef("--at: %q is not a time (use RFC 3339 like 2026-12-01T00:00:00Z, a date like 2026-12-01, or an offset like +30d or +12h)", s)
}

// storeSet is the trust stores a command validates against, in order.
type storeSet struct {
	// names are the store names, known before any store is parsed.
	names []string
	// wait returns the loaded stores, parsing what is still being parsed.
	wait func() ([]*truststore.Store, error)
}

// loadStore loads one store spec; tests replace it to make a store fail.
var loadStore = truststore.Load

// storeSpec is one store to load and the flag that named it.
type storeSpec struct {
	spec, flag string
}

// embeddedStore reports whether spec names an embedded store, which is
// parsed in the background.
func embeddedStore(spec string) bool {
	return spec == truststore.Mozilla || spec == truststore.Java
}

// storeSpecs returns the --store and --ca-file entries to load, in order and
// without duplicates. A --store value that selects no store at all (empty,
// a lone comma, blanks) is a usage error, never a run against no store.
func storeSpecs(o *commonOptions) ([]storeSpec, error) {
	var specs []storeSpec
	seen := map[string]bool{}
	for _, s := range o.Stores {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, usagef("--store: empty store name in %q (use mozilla, java, system or a file path, comma-separated)", strings.Join(o.Stores, ","))
		}
		if !seen[s] {
			seen[s] = true
			specs = append(specs, storeSpec{s, "--store"})
		}
	}
	if len(specs) == 0 {
		return nil, usagef("--store: no store selected (use --store mozilla,java, --store system or --store FILE; to trust only your own roots use --store FILE)")
	}
	for _, s := range o.CAFiles {
		if strings.TrimSpace(s) == "" {
			return nil, usagef("--ca-file: empty file name (give the path of a PEM or DER file of roots)")
		}
		if !seen[s] {
			seen[s] = true
			specs = append(specs, storeSpec{s, "--ca-file"})
		}
	}
	return specs, nil
}

// loadStores loads every --store and --ca-file once, in order, without
// duplicates. Files and the system store are read at once, so a store that
// cannot be loaded is a usage error naming the flag and the file before any
// work is done: never a silent fallback to another store. The embedded
// stores are parsed in the background, so a run overlaps most of its
// start-up with its first handshakes; should one fail, wait reports it and
// the caller emits no result.
func loadStores(o *commonOptions) (*storeSet, error) {
	specs, err := storeSpecs(o)
	if err != nil {
		return nil, err
	}
	loaded := make([]*truststore.Store, len(specs))
	errs := make([]error, len(specs))
	var files, embedded sync.WaitGroup
	for i, s := range specs {
		wg := &files
		if embeddedStore(s.spec) {
			wg = &embedded
		}
		wg.Go(func() { loaded[i], errs[i] = loadStore(s.spec) })
	}
	files.Wait()
	for i, s := range specs {
		if !embeddedStore(s.spec) && errs[i] != nil {
			return nil, usagef("%s %s: %v", s.flag, s.spec, errs[i])
		}
	}
	names := make([]string, len(specs))
	for i, s := range specs {
		names[i] = s.spec
		// An embedded store may still be loading (and is named by its spec).
		if !embeddedStore(s.spec) && loaded[i] != nil {
			names[i] = loaded[i].Name
		}
	}
	wait := sync.OnceValues(func() ([]*truststore.Store, error) {
		embedded.Wait()
		for i, s := range specs {
			if errs[i] != nil {
				return nil, usagef("%s %s: %v (nothing was judged)", s.flag, s.spec, errs[i])
			}
		}
		return loaded, nil
	})
	return &storeSet{names: names, wait: wait}, nil
}

func storeNames(stores []*truststore.Store) []string {
	names := make([]string, len(stores))
	for i, s := range stores {
		names[i] = s.Name
	}
	return names
}

func pluralize(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

package main

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// rootsOptions are the settings of one `certgate roots` subcommand.
type rootsOptions struct {
	IO     *iostreams.IOStreams
	Stores []string
	Output string
}

// rootJSON is one root in `roots list -o json`: one object per distinct
// certificate, whatever the number of stores that hold it.
type rootJSON struct {
	// Name is the root's name in the first selected store that holds it.
	Name string `json:"name"`
	// SHA256 is the lower-case hex SHA-256 of the DER certificate.
	SHA256    string    `json:"sha256"`
	Subject   string    `json:"subject"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	// Key is the key type and size: "RSA 4096", "ECDSA P-384".
	Key string `json:"key"`
	// Stores lists every loaded store that holds the root.
	Stores []string `json:"stores"`
	// Names is the root's name in each store that holds it.
	Names map[string]string `json:"names"`
	// Rules are the stores' restrictions on the root.
	Rules []ruleJSON `json:"rules"`

	cert *x509.Certificate
}

// ruleJSON is one store's restriction on a root.
type ruleJSON struct {
	Store        string   `json:"store"`
	Kind         string   `json:"kind"`
	Name         string   `json:"name"`
	Date         string   `json:"date,omitempty"`
	PermittedDNS []string `json:"permitted_dns,omitempty"`
	ExceptSubCA  []string `json:"except_subca,omitempty"`
	ExceptDate   string   `json:"except_date,omitempty"`
}

func newRootsCmd(ios *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roots",
		Short: "Inspect the embedded trust stores: list, show, export, diff",
		Long: `Inspect the trust stores certgate validates against: the embedded Mozilla
and Java stores, the operating system's store (system) or a PEM/DER file of
roots. The embedded stores are generated from upstream by scripts/genroots;
'certgate version' prints their versions.`,
		Example: `  certgate roots list
  certgate roots list --store java -o json | jq -r '.[] | select(.rules | length > 0) | .name'
  certgate roots show "ISRG Root X1"
  certgate roots show 96bcec06
  certgate roots export --store mozilla > mozilla-roots.pem
  certgate roots diff mozilla java`,
		Args: subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usagef("roots: name a subcommand: list, show, export or diff (see 'certgate roots --help')")
		},
	}
	cmd.AddCommand(newRootsListCmd(ios), newRootsShowCmd(ios), newRootsExportCmd(ios), newRootsDiffCmd(ios))
	return cmd
}

func addStoreFlag(cmd *cobra.Command, dst *[]string, def []string, usage string) {
	cmd.Flags().StringSliceVar(dst, "store", def, usage)
	_ = cmd.RegisterFlagCompletionFunc("store", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{truststore.Mozilla, truststore.Java, truststore.System}, cobra.ShellCompDirectiveDefault
	})
}

func newRootsListCmd(ios *iostreams.IOStreams) *cobra.Command {
	o := &rootsOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the roots of the trust stores",
		Long: `List every root of the selected stores (by default the embedded mozilla and
java stores), once per certificate, sorted by name: its name, SHA-256,
not-after date, key, the stores that hold it (of mozilla, java and the
selected stores) and any store rule on it: a distrust-after date or a name
constraint. The table shows the first 16 hex digits of the SHA-256; -o json
gives all of it.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCheckedOut(ios, func(ios *iostreams.IOStreams) error { o.IO = ios; return runRootsList(o) })
		},
	}
	addStoreFlag(cmd, &o.Stores, []string{truststore.Mozilla, truststore.Java}, "stores to list, comma-separated: mozilla, java, system, or a PEM/DER file of roots")
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func newRootsShowCmd(ios *iostreams.IOStreams) *cobra.Command {
	o := &rootsOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "show NAME|SHA256-PREFIX",
		Short: "Show one root's details and PEM",
		Long: `Show one root: its details, the stores that hold it, their rules, and the
certificate as PEM. The argument is a root's name (any store's name for it,
case-insensitive), the start of its SHA-256 in hex (colons allowed), or
else part of its name. When it matches more than one root, the matches are
listed and nothing is shown.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("roots show: give one root name or SHA-256 prefix (list them with certgate roots list)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCheckedOut(ios, func(ios *iostreams.IOStreams) error { o.IO = ios; return runRootsShow(o, args[0]) })
		},
	}
	addStoreFlag(cmd, &o.Stores, []string{truststore.Mozilla, truststore.Java}, "stores to search, comma-separated: mozilla, java, system, or a PEM/DER file of roots")
	return cmd
}

func newRootsExportCmd(ios *iostreams.IOStreams) *cobra.Command {
	o := &rootsOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "export --store STORE",
		Short: "Write a store's roots as a PEM bundle",
		Long: `Write every root of one store to standard output as a PEM bundle, each
certificate after a "# <name> sha256=<hex>" line, so that other tools (curl
--cacert, openssl -CAfile, a JVM truststore import) can use exactly the roots
certgate uses. The store's rules (distrust-after dates, name constraints)
cannot be expressed in PEM and are not exported; certgate roots list shows
them.`,
		Example: `  certgate roots export --store mozilla > mozilla-roots.pem
  curl --cacert mozilla-roots.pem https://api.example.com/`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return withCheckedOut(ios, func(ios *iostreams.IOStreams) error { o.IO = ios; return runRootsExport(o) })
		},
	}
	addStoreFlag(cmd, &o.Stores, nil, "the store to export: mozilla, java, system, or a PEM/DER file of roots")
	return cmd
}

func newRootsDiffCmd(ios *iostreams.IOStreams) *cobra.Command {
	o := &rootsOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "diff [STORE STORE]",
		Short: "Show the roots only one of two stores holds",
		Long: `Compare two stores by SHA-256 and list the roots only the first holds, then
those only the second holds, and count those both hold. A store is mozilla,
java, system or a PEM/DER file of roots; without arguments it compares
mozilla and java.`,
		Example: `  certgate roots diff mozilla java
  certgate roots diff system mozilla
  certgate roots diff -o json mozilla java | jq '.only_in.java[].name'`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 0 && len(args) != 2 {
				return usagef("roots diff: give two stores, like certgate roots diff mozilla java")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				args = []string{truststore.Mozilla, truststore.Java}
			}
			return withCheckedOut(ios, func(ios *iostreams.IOStreams) error { o.IO = ios; return runRootsDiff(o, args[0], args[1]) })
		},
	}
	cmd.Flags().StringVarP(&o.Output, "output", "o", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// loadStoreSpecs loads each spec once, in order.
func loadStoreSpecs(flag string, specs []string) ([]*truststore.Store, error) {
	var out []*truststore.Store
	seen := map[string]bool{}
	for _, s := range specs {
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, usagef("%s: empty store name in %q (use mozilla, java, system or a file path)", flag, strings.Join(specs, ","))
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		st, err := truststore.Load(s)
		if err != nil {
			return nil, usagef("%s %s: %v", flag, s, err)
		}
		out = append(out, st)
	}
	if len(out) == 0 {
		return nil, usagef("%s: no store selected (use mozilla, java, system or a file path)", flag)
	}
	return out, nil
}

// collectRoots returns one entry per distinct root of the selected stores,
// sorted by name then SHA-256. Stores names every store among the selected
// and the embedded ones that holds the root.
func collectRoots(selected []*truststore.Store) ([]*rootJSON, error) {
	all := append([]*truststore.Store(nil), selected...)
	for _, name := range []string{truststore.Mozilla, truststore.Java} {
		if !slices.ContainsFunc(all, func(s *truststore.Store) bool { return s.Name == name }) {
			s, err := truststore.Load(name)
			if err != nil {
				return nil, err
			}
			all = append(all, s)
		}
	}
	// Stores are named in a fixed order: mozilla, java, then the others
	// in the order given.
	rank := func(s *truststore.Store) int {
		switch s.Name {
		case truststore.Mozilla:
			return 0
		case truststore.Java:
			return 1
		}
		return 2
	}
	sort.SliceStable(all, func(i, j int) bool { return rank(all[i]) < rank(all[j]) })

	bySHA := map[string]*rootJSON{}
	var out []*rootJSON
	for _, s := range selected {
		for _, r := range s.Roots {
			if bySHA[r.SHA256] != nil {
				continue
			}
			c := r.Certificate()
			if c == nil {
				continue
			}
			e := &rootJSON{Name: r.Name, SHA256: r.SHA256, Subject: c.Subject.String(),
				NotBefore: c.NotBefore.UTC(), NotAfter: c.NotAfter.UTC(),
				Key: verify.KeyDescription(c), Stores: []string{}, Names: map[string]string{}, Rules: []ruleJSON{}, cert: c}
			bySHA[r.SHA256] = e
			out = append(out, e)
		}
	}
	for _, s := range all {
		for _, r := range s.Roots {
			e := bySHA[r.SHA256]
			if e == nil || slices.Contains(e.Stores, s.Name) {
				continue
			}
			e.Stores = append(e.Stores, s.Name)
			e.Names[s.Name] = r.Name
			for _, rule := range r.Rules {
				e.Rules = append(e.Rules, ruleOf(s.Name, rule))
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].Name), strings.ToLower(out[j].Name)
		if a != b {
			return a < b
		}
		return out[i].SHA256 < out[j].SHA256
	})
	return out, nil
}

func ruleOf(store string, r truststore.Rule) ruleJSON {
	j := ruleJSON{Store: store, Kind: r.Kind, Name: r.Name, PermittedDNS: r.PermittedDNS, ExceptSubCA: r.ExceptSubCA}
	if !r.Date.IsZero() {
		j.Date = r.Date.UTC().Format(time.RFC3339)
	}
	if !r.ExceptDate.IsZero() {
		j.ExceptDate = r.ExceptDate.UTC().Format(time.RFC3339)
	}
	return j
}

// ruleText is the short form of a rule for the table: "java SYMANTEC_TLS
// after 2019-04-16", "mozilla only .tr".
func ruleText(r ruleJSON) string {
	switch r.Kind {
	case truststore.RuleDistrustAfter:
		d := r.Date
		if t, err := time.Parse(time.RFC3339, d); err == nil {
			d = t.Format(time.DateOnly)
		}
		s := fmt.Sprintf("%s %s after %s", r.Store, r.Name, d)
		if len(r.ExceptSubCA) > 0 {
			s += fmt.Sprintf(" (%d sub-CAs exempt)", len(r.ExceptSubCA))
		}
		return s
	case truststore.RuleNameConstraint:
		return fmt.Sprintf("%s only %s", r.Store, strings.Join(r.PermittedDNS, ","))
	}
	return r.Store + " " + r.Name
}

func rulesText(rs []ruleJSON) string {
	if len(rs) == 0 {
		return "-"
	}
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = ruleText(r)
	}
	return strings.Join(parts, "; ")
}

func checkListOutput(o string) error {
	if o != "table" && o != "json" {
		return usagef("--output: %q is not a format of this command (use table or json)", o)
	}
	return nil
}

func runRootsList(o *rootsOptions) error {
	if err := checkListOutput(o.Output); err != nil {
		return err
	}
	stores, err := loadStoreSpecs("--store", o.Stores)
	if err != nil {
		return err
	}
	entries, err := collectRoots(stores)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return writeJSON(o.IO.Out, entries)
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSHA-256\tNOT AFTER\tKEY\tSTORES\tRULES")
	for _, e := range entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", report.Sanitize(e.Name), e.SHA256[:16], e.NotAfter.Format(time.DateOnly),
			e.Key, report.Sanitize(strings.Join(e.Stores, ",")), report.Sanitize(rulesText(e.Rules)))
	}
	return tw.Flush()
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// matchRoots finds the roots a show argument names: an exact name (any
// store's, case-insensitive), else a SHA-256 prefix, else part of a name.
func matchRoots(entries []*rootJSON, arg string) []*rootJSON {
	want := strings.ToLower(strings.TrimSpace(arg))
	var exact, prefix, partial []*rootJSON
	hexArg := strings.ReplaceAll(want, ":", "")
	isHex := hexArg != "" && strings.Trim(hexArg, "0123456789abcdef") == ""
	for _, e := range entries {
		names := []string{strings.ToLower(e.Name)}
		for _, n := range e.Names {
			names = append(names, strings.ToLower(n))
		}
		switch {
		case slices.Contains(names, want):
			exact = append(exact, e)
		case isHex && strings.HasPrefix(e.SHA256, hexArg):
			prefix = append(prefix, e)
		case slices.ContainsFunc(names, func(n string) bool { return strings.Contains(n, want) }):
			partial = append(partial, e)
		}
	}
	switch {
	case len(exact) > 0:
		return exact
	case len(prefix) > 0:
		return prefix
	}
	return partial
}

func runRootsShow(o *rootsOptions, arg string) error {
	stores, err := loadStoreSpecs("--store", o.Stores)
	if err != nil {
		return err
	}
	entries, err := collectRoots(stores)
	if err != nil {
		return err
	}
	if strings.TrimSpace(arg) == "" {
		return usagef("roots show: the root name is empty (give a name or a SHA-256 prefix)")
	}
	matches := matchRoots(entries, arg)
	where := strings.Join(storeNames(stores), ", ")
	switch len(matches) {
	case 0:
		return usagef("roots show: no root named %q or with that SHA-256 prefix in %s (list them with certgate roots list)", arg, where)
	case 1:
	default:
		var b strings.Builder
		fmt.Fprintf(&b, "roots show: %q matches %d roots; give more of the SHA-256 or the full name:", arg, len(matches))
		const maxShown = 20
		for i, m := range matches {
			if i == maxShown {
				fmt.Fprintf(&b, "\n  and %d more", len(matches)-maxShown)
				break
			}
			fmt.Fprintf(&b, "\n  %s  %s", m.SHA256, report.Sanitize(m.Name))
		}
		return usagef("%s", b.String())
	}
	e := matches[0]
	c := e.cert
	w := o.IO.Out
	field := func(k, v string) { fmt.Fprintf(w, "%-12s %s\n", k+":", report.Sanitize(v)) }
	field("Name", e.Name)
	field("SHA-256", e.SHA256)
	field("Subject", c.Subject.String())
	field("Issuer", c.Issuer.String())
	field("Serial", fmt.Sprintf("%x", c.SerialNumber))
	field("Not before", e.NotBefore.Format(time.RFC3339))
	field("Not after", e.NotAfter.Format(time.RFC3339))
	field("Key", e.Key)
	field("Signature", c.SignatureAlgorithm.String())
	var held []string
	for _, s := range e.Stores {
		if n := e.Names[s]; n != e.Name {
			held = append(held, fmt.Sprintf("%s (as %s)", s, n))
		} else {
			held = append(held, s)
		}
	}
	field("Stores", strings.Join(held, ", "))
	if len(e.Rules) == 0 {
		field("Rules", "none")
	}
	for _, r := range e.Rules {
		text := ruleText(r)
		switch r.Kind {
		case truststore.RuleDistrustAfter:
			text = fmt.Sprintf("%s: %s distrusts certificates issued after %s", r.Name, r.Store, r.Date)
			if len(r.ExceptSubCA) > 0 {
				text += fmt.Sprintf(", or after %s through sub-CA %s", r.ExceptDate, strings.Join(r.ExceptSubCA, ", "))
			}
		case truststore.RuleNameConstraint:
			text = fmt.Sprintf("%s: %s trusts it only for names under %s", r.Name, r.Store, strings.Join(r.PermittedDNS, ", "))
		}
		field("Rule", text)
	}
	fmt.Fprintln(w)
	return pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

func runRootsExport(o *rootsOptions) error {
	if len(o.Stores) == 0 {
		return usagef("roots export: name the store with --store (mozilla, java, system or a PEM/DER file)")
	}
	if len(o.Stores) > 1 {
		return usagef("roots export: --store takes one store, not %q (run export once per store)", strings.Join(o.Stores, ","))
	}
	stores, err := loadStoreSpecs("--store", o.Stores)
	if err != nil {
		return err
	}
	s := stores[0]
	if len(s.Roots) == 0 {
		return usagef("roots export: the %s store cannot be listed on this system (%s); export it with the system's own tools", s.Name, s.Source)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "# certgate roots export --store %s: %d roots", s.Name, len(s.Roots))
	if s.Version != "" {
		fmt.Fprintf(w, ", %s", s.Version)
	}
	fmt.Fprintln(w)
	for _, r := range s.Roots {
		fmt.Fprintf(w, "# %s sha256=%s\n", strings.Map(noControl, r.Name), r.SHA256)
		c := r.Certificate()
		if c == nil {
			return fmt.Errorf("roots export: root %s of the %s store does not parse", r.Name, s.Name)
		}
		if err := pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}); err != nil {
			return err
		}
	}
	return nil
}

// noControl drops control characters, so a name cannot break the comment
// line it is written on.
func noControl(r rune) rune {
	if r < 0x20 || r == 0x7f {
		return -1
	}
	return r
}

// diffJSON is `roots diff -o json`.
type diffJSON struct {
	Stores []string               `json:"stores"`
	OnlyIn map[string][]*rootJSON `json:"only_in"`
	Both   int                    `json:"both"`
}

func runRootsDiff(o *rootsOptions, a, b string) error {
	if err := checkListOutput(o.Output); err != nil {
		return err
	}
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if a == "" || b == "" {
		return usagef("roots diff: a store name is empty (name two stores, like certgate roots diff mozilla java)")
	}
	if a == b {
		return usagef("roots diff: %q and %q are the same store; name two different stores", a, b)
	}
	stores, err := loadStoreSpecs("roots diff", []string{a, b})
	if err != nil {
		return err
	}
	entries, err := collectRoots(stores)
	if err != nil {
		return err
	}
	sa, sb := stores[0], stores[1]
	hold := func(s *truststore.Store, sha string) bool {
		return slices.ContainsFunc(s.Roots, func(r *truststore.Root) bool { return r.SHA256 == sha })
	}
	d := diffJSON{Stores: []string{sa.Name, sb.Name}, OnlyIn: map[string][]*rootJSON{sa.Name: {}, sb.Name: {}}}
	for _, e := range entries {
		inA, inB := hold(sa, e.SHA256), hold(sb, e.SHA256)
		switch {
		case inA && inB:
			d.Both++
		case inA:
			d.OnlyIn[sa.Name] = append(d.OnlyIn[sa.Name], e)
		case inB:
			d.OnlyIn[sb.Name] = append(d.OnlyIn[sb.Name], e)
		}
	}
	if o.Output == "json" {
		return writeJSON(o.IO.Out, d)
	}
	w := o.IO.Out
	for _, s := range stores {
		only := d.OnlyIn[s.Name]
		fmt.Fprintf(w, "only in %s (%d):\n", report.Sanitize(s.Name), len(only))
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, e := range only {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", e.SHA256[:16], e.NotAfter.Format(time.DateOnly), report.Sanitize(e.Names[s.Name]))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "in both: %d\n", d.Both)
	return nil
}

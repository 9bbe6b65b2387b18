package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/report"
)

// addListClientsFlag registers check's --list-clients.
func addListClientsFlag(cmd *cobra.Command, list *bool) {
	cmd.Flags().BoolVar(list, "list-clients", false, "list the recorded TLS client profiles (name, client version, capture date, TLS versions, suites, groups) and exit; -o json for every field")
}

// clientJSON is one --list-clients -o json entry.
type clientJSON struct {
	Name         string   `json:"name"`
	Client       string   `json:"client"`
	Captured     string   `json:"captured"`
	SNI          string   `json:"sni"`
	Versions     []string `json:"versions"`
	CipherSuites []string `json:"cipher_suites"`
	Groups       []string `json:"groups"`
	JA3Hash      string   `json:"ja3_hash"`
	HasLimits    bool     `json:"has_limits"`
}

// maxClientWidth bounds the client version column of the table.
const maxClientWidth = 48

// runListClients prints the embedded client profiles.
func runListClients(o *checkOptions) error {
	if len(o.Targets) > 0 || len(o.Files) > 0 {
		return usagef("--list-clients takes no targets (run certgate check --list-clients alone)")
	}
	if err := checkListOutput(o.Common.Output); err != nil {
		return err
	}
	profiles, err := clients.All()
	if err != nil {
		return fmt.Errorf("reading the embedded client profiles: %w (the binary is damaged: rebuild it)", err)
	}
	if o.Common.Output == "json" {
		out := []clientJSON{}
		for _, p := range profiles {
			out = append(out, clientJSON{
				Name: p.Name, Client: p.Client, Captured: p.Captured, SNI: p.SNI,
				Versions: p.Decoded.Versions, CipherSuites: p.Decoded.CipherSuites, Groups: p.Decoded.Groups,
				JA3Hash: p.Decoded.JA3Hash, HasLimits: p.Limits != nil,
			})
		}
		return writeJSON(o.IO.Out, out)
	}
	tw := tabwriter.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCLIENT\tCAPTURED\tVERSIONS\tSUITES\tGROUPS")
	for _, p := range profiles {
		client := p.Client
		if r := []rune(client); len(r) > maxClientWidth {
			client = string(r[:maxClientWidth-1]) + "…"
		}
		suites, groups := withoutGREASE(p.Decoded.CipherSuites), withoutGREASE(p.Decoded.Groups)
		versions := strings.ReplaceAll(strings.Join(p.Decoded.Versions, ","), "TLS ", "")
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\n", report.Sanitize(p.Name), report.Sanitize(client), p.Captured,
			"TLS "+versions, len(suites), report.Sanitize(strings.Join(groups, ",")))
	}
	return tw.Flush()
}

// withoutGREASE drops the GREASE values (RFC 8701) of a decoded list.
func withoutGREASE(names []string) []string {
	var out []string
	for _, n := range names {
		if !strings.HasPrefix(n, "GREASE(") {
			out = append(out, n)
		}
	}
	return out
}

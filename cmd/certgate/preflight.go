package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/preflight"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/sender"
	"github.com/certgate/certgate/pkg/truststore"
)

// preflightOptions are the flags preflight adds to check's.
type preflightOptions struct {
	Profile      string
	ListProfiles bool
	Method       string
	Data         string
	SecretEnv    string
	AllowPrivate bool
}

// maxData is the largest --data file: a webhook body, not an upload.
const maxData = 1 << 20

func newPreflightCmd(ios *iostreams.IOStreams) *cobra.Command {
	po := &preflightOptions{}
	var cmd *cobra.Command
	cmd = newCheckCmd(ios, func(ctx context.Context, o *checkOptions) error {
		if err := po.apply(cmd, o); err != nil {
			return err
		}
		return runCheck(ctx, o)
	})
	cmd.Use = "preflight [URL...]"
	cmd.Short = "Check an endpoint as a webhook sender would call it: handshake, certificate, then the HTTP request"
	cmd.Long = `Run check's handshake and certificate verdict for each URL, then make the
request a webhook sender would make, as its profile (--profile) describes:
its budgets, its redirect rules, its refusal of private addresses. The
certificate verdict keeps its precedence: the HTTP leg never hides it.

By default the request is HEAD, then GET when HEAD is refused (405, 501):
webhook endpoints have side effects, so a POST is sent only with --method
POST, with an empty form (or --data @FILE), signed as the sender signs it
when --secret-env names an environment variable holding the secret. An
endpoint that refuses HEAD and GET as a POST-only handler does (405 with
Allow: POST, or 501) is reachable: a warning (http-post-only) says to try
the sender's request with --method POST.

Connection overrides in the URL fragment (#ct=3000&rt=8000&tt=10000&rc=2&sni=y,
also rp and e) are honoured within their documented ranges; one out of range
makes that target an error (11100, connection-override-invalid).

Endpoints of ./certgate.yaml (or --config, filtered by --only) are checked
as check checks them, each with the sender its profile: names.`
	cmd.Example = `  certgate preflight https://api.example.com/hooks/sms
  certgate preflight --profile stripe https://api.example.com/stripe
  certgate preflight --method POST --secret-env TWILIO_AUTH_TOKEN https://api.example.com/hooks/sms
  certgate preflight --config certgate.yaml --only team=payments
  certgate preflight --list-profiles`
	f := cmd.Flags()
	f.StringVar(&po.Profile, "profile", sender.DefaultName, "the sender `NAME` whose request is made: "+strings.Join(sender.Names(), ", ")+" (see --list-profiles)")
	f.BoolVar(&po.ListProfiles, "list-profiles", false, "print the sender profiles, each rule with its source, and exit")
	f.StringVar(&po.Method, "method", "", "HEAD, GET or POST (default HEAD, then GET if HEAD is refused; POST only when given)")
	f.StringVar(&po.Data, "data", "", "with --method POST, send the body of `@FILE` instead of an empty form")
	f.StringVar(&po.SecretEnv, "secret-env", "", "with --method POST, sign the request as the profile does with the secret in environment variable `NAME` (never printed)")
	f.BoolVar(&po.AllowPrivate, "allow-private", false, "check private and loopback addresses the profile refuses (local development), with a warning that the real sender will not call them")
	_ = cmd.RegisterFlagCompletionFunc("profile", cobra.FixedCompletions(sender.Names(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("method", cobra.FixedCompletions([]string{"HEAD", "GET", "POST"}, cobra.ShellCompDirectiveNoFileComp))
	checkRun := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if po.ListProfiles {
			if len(args) > 0 {
				return usagef("--list-profiles takes no targets (run certgate preflight --list-profiles alone)")
			}
			return listProfiles(ios, c.Flag("output").Value.String())
		}
		return checkRun(c, args)
	}
	return cmd
}

// apply checks preflight's flags and sets the check's run up for them: the
// profile's stores and clients unless given, and the HTTP leg as its stage.
func (po *preflightOptions) apply(cmd *cobra.Command, o *checkOptions) error {
	p, err := sender.ByName(po.Profile)
	var unknown *sender.UnknownError
	if errors.As(err, &unknown) {
		return usagef("--profile: %v", err)
	}
	method := strings.ToUpper(po.Method)
	switch method {
	case "", "HEAD", "GET", "POST":
	default:
		return usagef("--method: %q is not HEAD, GET or POST (leave it out for HEAD, then GET)", po.Method)
	}
	v, _, _ := buildInfo()
	cfg := &preflight.Config{Profile: p, Method: method, AllowPrivate: po.AllowPrivate, WarnDays: o.Common.WarnDays,
		Resolve: o.resolve, UserAgent: "certgate-preflight/" + v, Credentials: &preflight.Credentials{}}
	if po.Data != "" {
		if method != "POST" {
			return usagef("--data sends a body, which only a POST has: add --method POST")
		}
		path, ok := strings.CutPrefix(po.Data, "@")
		if !ok || path == "" {
			return usagef("--data: %q is not @FILE (give the file holding the body, as --data @body.txt)", po.Data)
		}
		st, err := os.Stat(path)
		if err != nil {
			return usagef("--data %s: %v (give a readable file)", po.Data, err)
		}
		if st.Size() > maxData {
			return usagef("--data %s: %d bytes is more than %d: give a webhook's body, not an upload", po.Data, st.Size(), maxData)
		}
		if cfg.Body, err = os.ReadFile(path); err != nil {
			return usagef("--data %s: %v (check its permissions)", po.Data, err)
		}
	}
	if po.SecretEnv != "" {
		if method != "POST" {
			return usagef("--secret-env signs a POST: add --method POST")
		}
		if p.SignatureHeader == "" {
			return usagef("--secret-env: the %s profile does not sign its requests (use a profile that does: twilio, stripe, github, slack)", p.Name)
		}
		secret, ok := os.LookupEnv(po.SecretEnv)
		if !ok || secret == "" {
			return usagef("--secret-env: environment variable %s is not set or empty (export it with the secret, then run again)", po.SecretEnv)
		}
		cfg.Secret = []byte(secret)
	}
	if o.NoSNI {
		p.SNI = sender.SNIWithout // the request as the handshake: no server name
		cfg.Profile = p
	}
	if o.StartTLS.Proto != "" {
		return usagef("--starttls: a webhook sender requests https:// URLs, never a STARTTLS upgrade (judge %s targets with certgate check)", o.StartTLS.Proto)
	}
	endpoints, err := po.endpoints(o, p)
	if err != nil {
		return err
	}
	cfg.Endpoints = endpoints
	if !cmd.Flags().Changed("store") {
		// The stores of every profile in use; each target is judged with
		// its own profile's.
		o.Common.Stores = append([]string(nil), p.Stores...)
		for _, e := range endpoints {
			if e.Profile != nil {
				for _, name := range e.Profile.Stores {
					if !slices.Contains(o.Common.Stores, name) {
						o.Common.Stores = append(o.Common.Stores, name)
					}
				}
			}
		}
		cfg.ProfileStores = true
	}
	// profileClients are the recorded clients of an endpoint whose
	// profile replays them when the run's profile does not.
	var profileClients []*clients.Profile
	if !cmd.Flags().Changed("client") {
		o.clients = nil
		if len(p.Clients) > 0 {
			if o.clients, err = senderClients(""); err != nil {
				return err
			}
		}
		for _, e := range endpoints {
			if e.Profile != nil && len(e.Profile.Clients) > 0 && len(o.clients) == 0 && profileClients == nil {
				if profileClients, err = senderClients(""); err != nil {
					return err
				}
			}
		}
	}
	at, err := parseAt(o.Common.At, o.Now())
	if err != nil {
		return err
	}
	cfg.At = at
	o.newRenderer = report.NewPreflight
	o.command = "preflight"
	o.extend = func(rc *runner.Config, next func() (runner.Input, bool)) func() (runner.Input, bool) {
		cfg.Stores = func() []*truststore.Store {
			if rc.LoadStores != nil {
				return rc.LoadStores()
			}
			return rc.Stores
		}
		rc.Stage = cfg.Stage
		cfg.Dialer = rc.Probe.Dialer // the request goes the way the handshake went
		if rc.Probe.DNS == nil && rc.Probe.Dialer == nil {
			rc.Probe.DNS = probe.NewDNSCache()
		}
		cfg.DNS = rc.Probe.DNS // redirect hops are resolved as the targets are
		return func() (runner.Input, bool) {
			in, ok := next()
			if ok {
				in.Raw = cfg.Credentials.Strip(in.Index, in.Raw)
				if e := endpoints[in.Index]; e.Profile != nil && len(e.Profile.Clients) > 0 && in.Endpoint != nil && len(in.Endpoint.Clients) == 0 && len(profileClients) > 0 {
					ep := *in.Endpoint
					ep.Clients = profileClients
					in.Endpoint = &ep
				}
			}
			return in, ok
		}
	}
	return nil
}

// endpoints returns the settings of the config's endpoints that preflight
// applies itself, by input index: the sender profile a profile: names
// (refused when unknown, naming the file and line) and the server name
// of sni:. The check applies the rest (resolve, warn_days, client,
// expect); a starttls: endpoint is refused by the stage, as the target
// of a sender must be an https:// URL. def is the --profile.
func (po *preflightOptions) endpoints(o *checkOptions, def sender.Profile) (map[int]preflight.Endpoint, error) {
	out := map[int]preflight.Endpoint{}
	for i, e := range o.Config.endpoints {
		where := fmt.Sprintf("%s:%d", o.Config.file.Path, e.Line)
		ep := preflight.Endpoint{ServerName: e.SNI, Where: where}
		if e.Profile != "" && !strings.EqualFold(e.Profile, def.Name) {
			p, err := sender.ByName(e.Profile)
			if err != nil {
				return nil, usagef("--config: %s: profile %q is not a sender profile; use one of %s (certgate preflight --list-profiles describes them)", where, e.Profile, strings.Join(sender.Names(), ", "))
			}
			if o.NoSNI {
				p.SNI = sender.SNIWithout
			}
			ep.Profile = &p
		}
		if ep.Profile != nil || ep.ServerName != "" || e.StartTLS != "" {
			out[i] = ep
		}
	}
	return out, nil
}

// listProfiles prints the profile table: one row per rule, with its source.
func listProfiles(ios *iostreams.IOStreams, output string) error {
	if output == "json" {
		type rule struct {
			Setting string `json:"setting"`
			Value   string `json:"value"`
			Source  string `json:"source"`
		}
		type profile struct {
			Name        string `json:"name"`
			Description string `json:"description"`
			Default     bool   `json:"default"`
			Rules       []rule `json:"rules"`
		}
		out := []profile{}
		for _, p := range sender.Profiles() {
			pj := profile{Name: p.Name, Description: p.Description, Default: p.Name == sender.DefaultName}
			for _, r := range p.Rules() {
				pj.Rules = append(pj.Rules, rule(r))
			}
			out = append(out, pj)
		}
		return writeJSON(ios.Out, out)
	}
	if output != "table" {
		return usagef("--output: --list-profiles prints table or json, not %q", output)
	}
	tw := tabwriter.NewWriter(ios.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PROFILE\tSETTING\tVALUE\tSOURCE")
	for _, p := range sender.Profiles() {
		name := p.Name
		if name == sender.DefaultName {
			name += " (default)"
		}
		for i, r := range p.Rules() {
			if i > 0 {
				name = ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", name, r.Setting, r.Value, r.Source)
		}
	}
	return tw.Flush()
}

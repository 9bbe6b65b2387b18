package main

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/starttls"
	"github.com/certgate/certgate/pkg/target"
)

// startTLSOptions are --starttls and --xmpp-domain, for every command that
// connects to targets.
type startTLSOptions struct {
	// Proto is --starttls: the protocol of targets written without a
	// scheme.
	Proto string
	// XMPPDomain is --xmpp-domain: the XMPP stream's "to".
	XMPPDomain string
}

func addStartTLSFlags(cmd *cobra.Command, o *startTLSOptions) {
	f := cmd.Flags()
	f.StringVar(&o.Proto, "starttls", "", "upgrade targets given without a scheme (host, host:port) with this plaintext `PROTOCOL` before the handshake, on its port when none is given: "+strings.Join(starttls.Protocols(), ", "))
	f.StringVar(&o.XMPPDomain, "xmpp-domain", "", "the XMPP `DOMAIN` to open the stream to, when it is not the target's host (the certificate must still match the host)")
	_ = cmd.RegisterFlagCompletionFunc("starttls", cobra.FixedCompletions(starttls.Protocols(), cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("xmpp-domain", cobra.NoFileCompletions)
}

// validate checks the flags up front.
func (o *startTLSOptions) validate() error {
	if o.Proto != "" {
		if _, ok := target.StartTLSPort(o.Proto); !ok || !starttls.Supported(o.Proto) {
			return usagef("--starttls: %q is not a STARTTLS protocol (use one of %s)", o.Proto, strings.Join(starttls.Protocols(), ", "))
		}
	}
	if o.XMPPDomain != "" {
		t, err := target.Parse(o.XMPPDomain)
		if err != nil || t.Scheme != "" || t.IsIP || strings.ContainsAny(o.XMPPDomain, ":/") {
			return usagef("--xmpp-domain: %q is not a domain name (try --xmpp-domain example.com)", o.XMPPDomain)
		}
		o.XMPPDomain = t.Host
	}
	return nil
}

// completeTargets offers the URL schemes while the first word of a target
// is typed: "smtp://", "https://" and the others, without a space after.
func completeTargets(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
	if strings.Contains(toComplete, "://") {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	var out []string
	for _, s := range target.Schemes() {
		if strings.HasPrefix(s, strings.ToLower(toComplete)) {
			out = append(out, s+"://")
		}
	}
	return out, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
}

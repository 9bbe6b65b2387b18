package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/grade"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/ocspcheck"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/proxy"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/revocation"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/scan"
	"github.com/certgate/certgate/pkg/starttls"
	"github.com/certgate/certgate/pkg/target"
)

// scanOptions are the settings of one `certgate scan`: check's, plus its own.
type scanOptions struct {
	check *checkOptions

	// MinGrade is --min-grade ("" for none); Clients is --clients;
	// Revocation is --revocation.
	MinGrade   string
	Clients    []string
	Revocation bool

	// sims are the client simulations, from Clients.
	sims []*clients.Profile
}

// grades are the values --min-grade takes, best first.
var grades = []string{"A+", "A", "A-", "B", "C", "D", "E", "F"}

func newScanCmd(ios *iostreams.IOStreams, runF func(context.Context, *scanOptions) error) *cobra.Command {
	so := &scanOptions{}
	cmd := newCheckCmd(ios, func(ctx context.Context, o *checkOptions) error {
		so.check = o
		if err := so.validate(); err != nil {
			return err
		}
		o.extend = func(rc *runner.Config, next func() (runner.Input, bool)) func() (runner.Input, bool) {
			rc.Stage = so.stage(rc)
			return next
		}
		o.finish = so.finish
		o.newRenderer = report.NewScan
		o.command = "scan"
		if runF != nil {
			return runF(ctx, so)
		}
		return runCheck(ctx, o)
	})
	cmd.Use = "scan [TARGET...]"
	cmd.Short = "Report an endpoint's TLS configuration: protocols, suites, groups, features, client simulations"
	cmd.Long = `Check each target as certgate check does (same verdict, same codes), then
scan its TLS configuration with many handshakes: the protocols it accepts
(SSL 2.0 to TLS 1.3, each on its own), its cipher suites per protocol over the
whole IANA registry (offered the way sslscan does: everything, then without
what the server picked, until it refuses), whether it prefers its own order,
the groups and DH size of its key exchange, its key and signature schemes,
secure renegotiation, TLS_FALLBACK_SCSV, session resumption, ALPN,
compression, the heartbeat extension, OCSP stapling, SCTs, must-staple, HSTS
(one GET / over a connection whose chain a selected store trusts), and what
each recorded client (--list-clients) would negotiate.

The grade is certgate's reading of the SSL Labs server rating guide 2009r
(with SSL Labs' later caps), not an SSL Labs rating; every cap that lowered it
is listed with its reason, and the README's "Scan grade, weaknesses and
revocation" section lists the rules. A server that no simulated client can complete a handshake with is
error 11220, unless the certificate already fails.

The connections of one target run in parallel; -c bounds the targets in
flight and the connections of all scans together. --timeout bounds each
handshake. The result is check's JSON with a "scan" object.`
	cmd.Example = `  certgate scan api.example.com
  certgate scan -o json https://api.example.com | jq '.[0].scan.cipher_suites'
  certgate scan --clients java-17,java-25 -f endpoints.txt -o jsonl`
	f := cmd.Flags()
	f.Lookup("timeout").Usage = "per handshake, connect + handshake"
	f.StringVar(&so.MinGrade, "min-grade", "", "fail (exit 1) a result whose grade is below `G`: A+, A, A-, B, C, D, E or F (T and M count as below F)")
	f.BoolVar(&so.Revocation, "revocation", false, "also ask the leaf's CA whether it is revoked: OCSP at the responder the certificate names, else its CRL (through --proxy, within --timeout); revoked fails a browser --client and warns for the Java sender")
	f.StringSliceVar(&so.Clients, "clients", nil, "client simulations to run, comma-separated `NAMES` (see --list-clients); default all")
	_ = cmd.RegisterFlagCompletionFunc("min-grade", cobra.FixedCompletions(grades, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate checks scan's own flags.
func (so *scanOptions) validate() error {
	if so.MinGrade != "" {
		g, err := grade.ParseGrade(so.MinGrade)
		if err != nil {
			return usagef("--min-grade: %q is not a grade (use one of %s)", so.MinGrade, strings.Join(grades, ", "))
		}
		so.MinGrade = g
	}
	all, err := clients.All()
	if err != nil {
		return fmt.Errorf("reading the embedded client profiles: %w (the binary is damaged: rebuild it)", err)
	}
	if len(so.Clients) == 0 {
		so.sims = all
		return nil
	}
	so.sims = []*clients.Profile{}
	for _, name := range so.Clients {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		p, err := clients.ByName(name)
		var unknown *clients.UnknownError
		if errors.As(err, &unknown) {
			return usagef("--clients: %q is not a recorded client; use names from %s (certgate scan --list-clients describes them)", name, strings.Join(unknown.Known, ", "))
		}
		if err != nil {
			return err
		}
		so.sims = append(so.sims, p)
	}
	return nil
}

// stage makes the runner's per-target stage: a scan of the address check
// just judged. It fills r.Scan and returns the scan's problems.
func (so *scanOptions) stage(cfg *runner.Config) func(context.Context, target.Target, probe.Observation, *result.Result) []result.Problem {
	slots := make(chan struct{}, max(cfg.Concurrency, 1))
	var revClient *http.Client // one for the run: its connections are reused
	if so.Revocation {
		revClient = so.revocationClient(cfg)
	}
	return func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem {
		if obs.Address == "" {
			return nil // no connection was made: there is nothing to scan
		}
		var ne net.Error
		if obs.Err != nil && errors.As(obs.Err, &ne) && ne.Timeout() {
			// A server that lets a handshake stall would make every one of
			// the scan's connections wait out --timeout: check's verdict
			// says it all.
			return nil
		}
		// Each of the scan's connections is dialled as the probe dials
		// (the proxy, --resolve) and, for a STARTTLS target, upgraded by a
		// fresh dialogue of its own; without a proxy it goes to the address
		// check just judged.
		opts := cfg.Probe
		if opts.Dialer == nil {
			opts.Address = obs.Address
		}
		dial := probe.Dialer(t, opts)
		var certs []*x509.Certificate
		for _, c := range r.Chain {
			if c.X509 != nil {
				certs = append(certs, c.X509)
			}
		}
		sni := t.Host
		if cfg.Probe.NoSNI {
			sni = ""
		}
		rep := scan.Run(ctx, scan.Target{
			Dial:       dial,
			ServerName: sni,
			Host:       t.Host,
			HTTPS:      t.StartTLS == "" && (t.Scheme == "" || t.Scheme == "https"),
			ALPN:       starttls.ALPN(t.StartTLS),
		}, scan.Options{
			Timeout:     cfg.Probe.Timeout,
			MaxBytes:    cfg.Probe.MaxHandshakeBytes,
			Clients:     so.sims,
			Certs:       certs,
			Slots:       slots,
			VerifyChain: storeVerifier(cfg, t.Host),
			Negotiated:  negotiated(obs),
		})
		r.Scan = rep.Scan
		problems := rep.Problems
		var leaf, issuer *x509.Certificate
		if len(certs) > 0 {
			leaf = certs[0]
		}
		if len(certs) > 1 {
			issuer = certs[1]
		}
		if leaf != nil {
			ocspcheck.Fill(&r.Scan.Features, rep.OCSPStaple, leaf, issuer, cfg.At)
		}
		problems = append(problems, grade.Weaknesses(r.Scan, grade.Context{Leaf: leaf, Client: so.check.Client})...)
		if so.Revocation && leaf != nil {
			rev := revocation.Check(ctx, revClient, leaf, issuer, cfg.At)
			problems = append(problems, revocation.Problems(rev, so.check.Client)...)
		}
		return problems
	}
}

// negotiated is the version of the handshake check completed, "" when none.
func negotiated(obs probe.Observation) string {
	if obs.TLS == nil {
		return ""
	}
	return obs.TLS.Version
}

// storeVerifier accepts a chain that one of the run's stores trusts for
// host at the validation time: the HSTS request goes only over such a
// connection.
func storeVerifier(cfg *runner.Config, host string) func([]*x509.Certificate) error {
	return func(certs []*x509.Certificate) error {
		stores := cfg.Stores
		if cfg.LoadStores != nil {
			stores = cfg.LoadStores()
		}
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		err := errors.New("no trust store selected")
		for _, s := range stores {
			_, err = certs[0].Verify(x509.VerifyOptions{Roots: s.PoolFor(certs), Intermediates: inter, DNSName: host, CurrentTime: cfg.At})
			if err == nil {
				return nil
			}
		}
		return err
	}
}

// finish grades a decided result and reports whether the least grade
// asked of it fails it: its certgate.yaml endpoint's expect.min_grade, else
// --min-grade.
func (so *scanOptions) finish(r *result.Result) bool {
	if r.Scan == nil {
		return false
	}
	r.Scan.Grade = grade.Rate(r)
	min := so.MinGrade
	if so.check != nil {
		if eps := so.check.Config.endpoints; r.Index >= 0 && r.Index < len(eps) && eps[r.Index].Expect.MinGrade != "" {
			min = eps[r.Index].Expect.MinGrade
		}
	}
	if min == "" || r.Scan.Grade == nil {
		return false
	}
	return grade.Below(r.Scan.Grade.Grade, min)
}

// revocationClient is the HTTP client of --revocation: through --proxy (or
// the environment's HTTP_PROXY, as Go's HTTP client reads it) and bounded
// by --timeout.
func (so *scanOptions) revocationClient(cfg *runner.Config) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if p := so.check.UX.Proxy; p != "" {
		if u, err := proxy.ParseURL(p); err == nil {
			tr.Proxy = http.ProxyURL(u)
		}
	}
	timeout := cfg.Probe.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/bundle"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// verifyOptions are the settings of one `certgate verify`.
type verifyOptions struct {
	IO     *iostreams.IOStreams
	Common commonOptions

	Files         []string
	Host          string
	Key           string
	Intermediates []string
	FixChain      string

	// host is Host as validate parsed it: an A-label name or an IP address.
	host string

	// Now is the clock for --at; tests pin it.
	Now func() time.Time
}

func newVerifyCmd(ios *iostreams.IOStreams, runF func(context.Context, *verifyOptions) error) *cobra.Command {
	opts := &verifyOptions{IO: ios, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "verify FILE... [flags]",
		Short: "Validate a certificate bundle before it is deployed",
		Long: `Validate certificate files offline, as a strict client would validate them
once a server sends them: the files (PEM or DER) together give the chain in
the order the server sends it, leaf first. The result has the same fields,
codes and exit status as check; its target is the file list joined with ",".

Without --host the name check is skipped, with a warning. --key checks that
a private key belongs to the leaf. --intermediates offers extra intermediates
(for example the CA's bundle) to find the ones the chain lacks, and
--fix-chain writes the bundle a server should send: the leaf, then the
intermediates of the path in order, without the root or anything unrelated.`,
		Example: `  certgate verify --host api.example.com fullchain.pem
  certgate verify --host api.example.com --key privkey.pem cert.pem chain.pem
  certgate verify --host api.example.com --intermediates ca-bundle.pem --fix-chain fixed.pem cert.pem`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runVerify(cmd.Context(), opts)
		},
	}
	addCommonFlags(cmd, &opts.Common)
	f := cmd.Flags()
	f.StringVar(&opts.Host, "host", "", "the DNS name or IP address clients will use (`NAME`); without it the name check is skipped")
	f.StringVar(&opts.Key, "key", "", "check that the private key in `PATH` belongs to the leaf (PEM or DER; PKCS#1, PKCS#8, SEC 1)")
	f.StringArrayVar(&opts.Intermediates, "intermediates", nil, "extra intermediates (`FILE`, PEM or DER) to find the ones the chain lacks (repeatable)")
	f.StringVar(&opts.FixChain, "fix-chain", "", "write the corrected bundle to `OUT`: leaf, then the path's intermediates in order")
	return cmd
}

func (o *verifyOptions) validate() error {
	if err := o.Common.validate(); err != nil {
		return err
	}
	if len(o.Files) == 0 {
		return usagef("no certificate files: give the bundle, leaf first (certgate verify --host NAME fullchain.pem)")
	}
	host, err := parseVerifyHost(o.Host)
	if err != nil {
		return err
	}
	o.host = host
	if o.FixChain != "" {
		type input struct{ flag, path string }
		var inputs []input
		for _, f := range o.Files {
			inputs = append(inputs, input{"a certificate file", f})
		}
		for _, f := range o.Intermediates {
			inputs = append(inputs, input{"--intermediates", f})
		}
		if o.Key != "" {
			inputs = append(inputs, input{"--key", o.Key})
		}
		for _, f := range o.Common.Stores {
			if f = strings.TrimSpace(f); f != "" && !embeddedStore(f) && f != truststore.System {
				inputs = append(inputs, input{"--store", f})
			}
		}
		for _, f := range o.Common.CAFiles {
			inputs = append(inputs, input{"--ca-file", f})
		}
		for _, in := range inputs {
			if samePath(o.FixChain, in.path) {
				return usagef("--fix-chain %s: is also an input (%s %s); write the fixed bundle to a new file (--fix-chain fixed.pem)", o.FixChain, in.flag, in.path)
			}
		}
	}
	return nil
}

// parseVerifyHost reads --host: a DNS name or an IP address, no port, no
// scheme or path. An internationalised name becomes its xn-- form, as check
// does with targets.
func parseVerifyHost(s string) (string, error) {
	h := strings.TrimSpace(s)
	if h == "" {
		return "", nil
	}
	if strings.Contains(h, "/") {
		return "", usagef("--host %s: give only the name clients use, without scheme or path (like --host api.example.com)", s)
	}
	bare := strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.Contains(bare, ":") && net.ParseIP(bare) == nil {
		return "", usagef("--host %s: give only the name, without a port (like --host api.example.com); the port does not affect the certificate", s)
	}
	t, err := target.Parse(bare)
	if err != nil {
		return "", usagef("--host %s: %v", s, err)
	}
	return t.Host, nil
}

// samePath reports whether a and b name the same file: the same clean
// absolute path, or (when both exist) the same file on disk.
func samePath(a, b string) bool {
	aa, err1 := filepath.Abs(a)
	bb, err2 := filepath.Abs(b)
	if err1 == nil && err2 == nil && aa == bb {
		return true
	}
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}

func runVerify(ctx context.Context, o *verifyOptions) error {
	ios := o.IO
	if o.Common.NoColor {
		ios.SetColorDisabled(true)
	}
	now := o.Now()
	at, err := parseAt(o.Common.At, now)
	if err != nil {
		return err
	}

	// A certificate that does not parse is a finding of the result
	// (malformed-certificate), not a usage error: the rest is judged.
	chain, malformed, err := bundle.LoadChainLenient(o.Files)
	if err != nil {
		return usagef("%v", err)
	}
	var extra []*x509.Certificate
	for _, p := range o.Intermediates {
		cs, err := bundle.LoadFile(p)
		if err != nil {
			return usagef("--intermediates %v", err)
		}
		extra = append(extra, cs...)
	}
	var key *bundle.Key
	if o.Key != "" {
		pub, err := bundle.LoadKey(o.Key)
		if err != nil {
			return usagef("--key %v", err)
		}
		key = &bundle.Key{Path: o.Key, Public: pub}
	}
	set, err := loadStores(&o.Common)
	if err != nil {
		return err
	}
	stores, err := set.wait()
	if err != nil {
		return usagef("%v", err)
	}
	warnStaleStores(ios, stores, now)
	if ctx.Err() != nil {
		// Interrupted while the stores loaded: nothing was judged.
		return fmt.Errorf("%w: 1 of 1 target not checked", errInterrupted)
	}
	ren, err := report.New(o.Common.Output, ios, report.Options{Stores: storeNames(stores), Command: "verify", Verbose: o.Common.Verbose})
	if err != nil {
		return usagef("--output: %v", err)
	}

	host := o.host
	certs := bundle.X509(chain)
	vopts := verify.Options{At: at, WarnDays: o.Common.WarnDays, Host: host, SkipHostname: host == "", Intermediates: extra}
	r := bundle.VerifyLenient(strings.Join(o.Files, ","), certs, malformed, stores, vopts, key)

	var fixErr error
	if o.FixChain != "" {
		fixErr = writeFixedChain(ios, o.FixChain, certs, extra, stores, at)
	}
	if err := ren.Add(r); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if err := ren.Close(); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	if fixErr != nil {
		return fixErr
	}
	if decide.FailsOn(&r, o.Common.FailOn) {
		return errFailOn
	}
	return nil
}

// errNoFix reports that --fix-chain found no path to write.
var errNoFix = errors.New("no path to a root of any selected store")

// writeFixedChain writes the bundle a server should send to out. When no
// path exists it writes nothing and says so on stderr; the result already
// explains why.
func writeFixedChain(ios *iostreams.IOStreams, out string, certs, extra []*x509.Certificate, stores []*truststore.Store, at time.Time) error {
	fixed := verify.FixChain(certs, extra, stores, at)
	if fixed == nil {
		fmt.Fprintf(ios.ErrOut, "certgate: --fix-chain %s: %v, even with --intermediates; nothing written (see the problems in the result)\n", out, errNoFix)
		return nil
	}
	var buf []byte
	for _, c := range fixed {
		buf = append(buf, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	if err := os.WriteFile(out, buf, 0o644); err != nil {
		return usagef("--fix-chain %s: %v (choose a writable path)", out, unwrapPathErr(err))
	}
	fmt.Fprintf(ios.ErrOut, "certgate: wrote %s: the leaf and %s in the order a server sends them\n", out, pluralize(len(fixed)-1, "intermediate"))
	return nil
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/report"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
)

// checkOptions are the settings of one `certgate check`.
type checkOptions struct {
	IO     *iostreams.IOStreams
	Common commonOptions

	Targets     []string
	File        string
	Concurrency int
	Timeout     time.Duration
	Resolve     []string
	NoSNI       bool
	Deadline    time.Duration

	// UX holds --quiet and --proxy (progress.go, proxy.go).
	UX uxOptions

	// Shard is --shard I/N; CPUProfile the hidden --cpuprofile (shard.go, profile.go).
	Shard      string
	CPUProfile string

	// Now is the clock for --at; tests pin it.
	Now func() time.Time

	// Set by validate from Resolve and Shard.
	resolve map[string]string
	shard   runner.Shard
}

func newCheckCmd(ios *iostreams.IOStreams, runF func(context.Context, *checkOptions) error) *cobra.Command {
	opts := &checkOptions{IO: ios, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "check [TARGET...]",
		Short: "Handshake with endpoints and validate their certificates",
		Long: `Run a TLS handshake against each target, as a strict client does (TLS 1.2 or
newer, SNI for the host), and validate the presented chain against each
selected trust store, the validity period and the host name.

A target is an https:// URL, host, host:port, an IPv4 address, or [IPv6] /
[IPv6]:port; the default port is 443. Every target yields exactly one result.`,
		Example: `  certgate check https://api.example.com/hooks/sms
  certgate check -f endpoints.txt -o json | jq '.[] | select(.status != "ok")'
  certgate check --resolve api.example.com:443:203.0.113.7 https://api.example.com`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Targets = args
			if err := opts.validate(); err != nil {
				return err
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return runCheck(cmd.Context(), opts)
		},
	}
	addCommonFlags(cmd, &opts.Common)
	f := cmd.Flags()
	f.StringVarP(&opts.File, "file", "f", "", "read targets from `PATH`, one a line (# comments and blank lines ignored; - is stdin)")
	f.IntVarP(&opts.Concurrency, "concurrency", "c", 32, "endpoints in flight at once")
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per endpoint, connect + handshake")
	f.StringArrayVar(&opts.Resolve, "resolve", nil, "given `HOST:PORT:ADDR`, connect to ADDR but validate and send SNI for HOST, as curl does (repeatable)")
	f.BoolVar(&opts.NoSNI, "no-sni", false, "send no server name (the certificate must still match the host)")
	f.DurationVar(&opts.Deadline, "deadline", 0, "bound the whole run: targets not done by then each get an error result (default none)")
	addUXFlags(cmd, &opts.UX)
	addShardFlag(cmd, &opts.Shard)
	addProfileFlag(cmd, &opts.CPUProfile)
	return cmd
}

func (o *checkOptions) validate() error {
	if err := o.Common.validate(); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return usagef("--concurrency: %d is not a positive number (try -c 32)", o.Concurrency)
	}
	if o.Timeout <= 0 {
		return usagef("--timeout: %s is not positive (try --timeout 10s)", o.Timeout)
	}
	if o.Deadline < 0 {
		return usagef("--deadline: %s is negative (try --deadline 5m, or leave it out for no deadline)", o.Deadline)
	}
	if len(o.Targets) == 0 && o.File == "" {
		return usagef("no targets: give URLs or hosts as arguments, or a list with -f FILE (- for stdin)")
	}
	var err error
	if o.shard, err = parseShard(o.Shard); err != nil {
		return err
	}
	o.resolve, err = parseResolve(o.Resolve)
	return err
}

// parseResolve reads curl-style HOST:PORT:ADDR entries into the probe's map.
func parseResolve(entries []string) (map[string]string, error) {
	m := map[string]string{}
	for _, e := range entries {
		host, rest, ok := strings.Cut(e, ":")
		port, addr, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || host == "" || addr == "" {
			return nil, usagef("--resolve: %q is not HOST:PORT:ADDR (try --resolve api.example.com:443:203.0.113.7)", e)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return nil, usagef("--resolve: %q has no valid port %q (try --resolve %s:443:%s)", e, port, host, addr)
		}
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		if net.ParseIP(addr) == nil {
			return nil, usagef("--resolve: %q: %q is not an IP address (ADDR must be an IPv4 or [IPv6] address)", e, addr)
		}
		t, err := target.Parse(net.JoinHostPort(host, port))
		if err != nil {
			return nil, usagef("--resolve: %q: %v", e, err)
		}
		m[net.JoinHostPort(t.Host, port)] = addr
	}
	return m, nil
}

func runCheck(ctx context.Context, o *checkOptions) error {
	ios := o.IO
	if o.Common.NoColor {
		ios.SetColorDisabled(true)
	}
	at, err := parseAt(o.Common.At, o.Now())
	if err != nil {
		return err
	}

	// Open the list before any work, so an unreadable file is a usage error.
	var list io.Reader
	listName := o.File
	switch o.File {
	case "":
	case "-":
		list, listName = ios.In, "stdin"
	default:
		f, err := openList(o.File)
		if err != nil {
			return err
		}
		defer f.Close()
		list = f
	}

	stopProfile, err := startCPUProfile(o.CPUProfile)
	if err != nil {
		return err
	}
	defer stopProfile()

	stores, err := loadStores(&o.Common)
	if err != nil {
		return err
	}
	dialer, err := proxyDialer(o)
	if err != nil {
		return err
	}
	prog := startProgress(o)
	ren, err := report.New(o.Common.Output, ios, report.Options{Stores: stores.names, Verbose: o.Common.Verbose})
	if err != nil {
		return usagef("--output: %v", err)
	}
	ren = quietRenderer(ren, &o.UX)

	inputs := make(chan runner.Input)
	readErr := make(chan error, 1)
	go func() {
		defer close(inputs)
		i := 0
		for _, a := range o.Targets {
			select {
			case inputs <- runner.Input{Raw: a, Index: i}:
			case <-ctx.Done():
				readErr <- nil
				return
			}
			i++
		}
		if list == nil {
			readErr <- nil
			return
		}
		readErr <- target.ReadList(list, func(line int, raw string) error {
			select {
			case inputs <- runner.Input{Raw: raw, Index: i, Line: line}:
			case <-ctx.Done():
				return ctx.Err()
			}
			i++
			return nil
		})
	}()
	next := func() (runner.Input, bool) {
		in, ok := <-inputs
		return in, ok
	}

	skipped := 0 // targets of other shards
	next = o.shard.Filter(next, &skipped)
	next = prog.wrapNext(next)
	cfg := runner.Config{
		Probe:       probe.Options{Timeout: o.Timeout, NoSNI: o.NoSNI, Resolve: o.resolve},
		LoadStores:  func() []*truststore.Store { s, _ := stores.wait(); return s },
		At:          at,
		WarnDays:    o.Common.WarnDays,
		Concurrency: o.Concurrency,
		Deadline:    o.Deadline,
	}
	if dialer != nil {
		cfg.Probe.Dialer = dialer
	}
	total, failed := 0, 0
	runErr := runner.Run(ctx, next, cfg, func(r result.Result) error {
		total++
		if r.Failed(o.Common.FailOn) {
			failed++
		}
		prog.add(r)
		return ren.Add(r)
	})
	prog.finish()
	// The embedded stores were parsed while the first targets were probed;
	// their age is known now.
	loaded, storeErr := stores.wait()
	if storeErr != nil {
		return usagef("%v", storeErr)
	}
	warnStaleStores(ios, loaded, o.Now())
	if err := <-readErr; err != nil && !errors.Is(err, context.Canceled) {
		return usagef("-f %s: reading targets: %v", listName, err)
	}
	if total == 0 && skipped == 0 && runErr == nil {
		return usagef("no targets in %s: add one target a line (https://host, host or host:port)", listName)
	}
	if err := ren.Close(); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil {
		return fmt.Errorf("writing results: %w", runErr)
	}
	if failed > 0 {
		return errFailOn
	}
	return nil
}

// openList opens a target list, with errors that name the file and the fix.
func openList(path string) (*os.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, usagef("-f %s: no such file (give the path of a list of targets, or - for stdin)", path)
		}
		return nil, usagef("-f %s: %v", path, err)
	}
	if fi.IsDir() {
		return nil, usagef("-f %s: is a directory (give the path of a file with one target a line)", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, usagef("-f %s: cannot be read: %v (check its permissions)", path, err)
	}
	return f, nil
}

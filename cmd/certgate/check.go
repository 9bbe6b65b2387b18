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
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/config"
	"github.com/certgate/certgate/pkg/decide"
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
	Files       []string
	Concurrency int
	Timeout     time.Duration
	Resolve     []string
	NoSNI       bool
	Deadline    time.Duration
	// Client is --client: the one recorded client that judges a handshake
	// Go's client cannot make; "" for every recorded Java client.
	Client string
	// FirstAddress is --first-address.
	FirstAddress bool
	// StartTLS holds --starttls and --xmpp-domain (starttls.go).
	StartTLS startTLSOptions

	// UX holds --quiet and --proxy (progress.go, proxy.go).
	UX uxOptions

	// Config is --config and --only (config.go); Baseline is --baseline
	// and --update-baseline (baseline.go).
	Config   configOptions
	Baseline baselineOptions

	// Shard is --shard I/N; CPUProfile the hidden --cpuprofile (shard.go, profile.go).
	Shard      string
	CPUProfile string

	// Now is the clock for --at; tests pin it.
	Now func() time.Time

	// Set by validate from Resolve and Shard.
	resolve map[string]string
	shard   runner.Shard
	// clients are the sender's clients, from Client.
	clients []*clients.Profile
	// extend, when set, adjusts the run before it starts (scan and
	// preflight add their stage) and may wrap the inputs.
	extend func(cfg *runner.Config, next func() (runner.Input, bool)) func() (runner.Input, bool)

	// finish, when set (certgate scan), completes each result before it
	// is written and reports whether it fails the run.
	finish func(r *result.Result) bool
	// command names the command for the renderers ("" is check).
	command string
	// newRenderer, when set, makes the renderer in place of report.New
	// (scan's and preflight's renderers).
	newRenderer func(format string, ios *iostreams.IOStreams, opts report.Options) (report.Renderer, error)
}

func newCheckCmd(ios *iostreams.IOStreams, runF func(context.Context, *checkOptions) error) *cobra.Command {
	opts := &checkOptions{IO: ios, Now: time.Now}
	var listClients bool
	cmd := &cobra.Command{
		Use:   "check [TARGET...]",
		Short: "Handshake with endpoints and validate their certificates",
		Long: `Run a TLS handshake against each target, as a strict client does (TLS 1.2 or
newer, SNI for the host), and validate the presented chain against each
selected trust store, the validity period and the host name. When the server
refuses Go's handshake, the sender's recorded clients (every recorded Java
client, or --client NAME) replay theirs and decide whether it passes.

A target is an https:// URL, host, host:port, an IPv4 address, or [IPv6] /
[IPv6]:port; the default port is 443. Every target yields exactly one result.
smtp://, submission://, lmtp://, imap://, pop3://, ftp://, xmpp://,
xmpp-server://, sieve://, ldap://, nntp://, postgres:// and mysql:// targets
upgrade a plaintext connection with STARTTLS first (--starttls PROTOCOL does
the same for host and host:port targets).`,
		Example: `  certgate check https://api.example.com/hooks/sms
  certgate check -f endpoints.txt -o json | jq '.[] | select(.status != "ok")'
  certgate check --resolve api.example.com:443:203.0.113.7 https://api.example.com
  certgate check --config certgate.yaml --only team=payments --baseline prod.json
  certgate check smtp://mx.example.com submission://mail.example.com imap://mail.example.com
  certgate check --starttls postgres db.example.com:5432`,
		ValidArgsFunction: completeTargets,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Targets = args
			if listClients {
				return runListClients(opts)
			}
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
	f.StringArrayVarP(&opts.Files, "file", "f", nil, "read targets from `PATH`, one a line (blank lines, lines starting with # and text after \" #\" ignored; - is stdin; repeatable, read in order)")
	f.IntVarP(&opts.Concurrency, "concurrency", "c", 32, fmt.Sprintf("endpoints in flight at once, 1 to %d", maxConcurrency))
	f.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per endpoint, connect + handshake")
	f.StringArrayVar(&opts.Resolve, "resolve", nil, "given `HOST:PORT:ADDR`, connect to ADDR but validate and send SNI for HOST, as curl does (repeatable)")
	f.BoolVar(&opts.NoSNI, "no-sni", false, "send no server name (the certificate must still match the host)")
	f.StringVar(&opts.Client, "client", "", "judge a handshake Go's client cannot make with this one recorded client `NAME` (see --list-clients); default: every recorded Java client")
	f.BoolVar(&opts.FirstAddress, "first-address", false, "check a host name at the first of its addresses that answers, not at every address it resolves to")
	f.DurationVar(&opts.Deadline, "deadline", 0, "bound the whole run: targets not done by then each get an error result (default none)")
	addConfigFlags(cmd, &opts.Config)
	addBaselineFlags(cmd, &opts.Baseline)
	addUXFlags(cmd, &opts.UX)
	addStartTLSFlags(cmd, &opts.StartTLS)
	addShardFlag(cmd, &opts.Shard)
	addProfileFlag(cmd, &opts.CPUProfile)
	addListClientsFlag(cmd, &listClients)
	return cmd
}

// maxConcurrency is the largest -c: far more endpoints in flight than a
// process has file descriptors or a network path has room for.
const maxConcurrency = 10000

func (o *checkOptions) validate() error {
	if err := o.Common.validate(); err != nil {
		return err
	}
	if o.Concurrency < 1 {
		return usagef("--concurrency: %d is not a positive number (try -c 32)", o.Concurrency)
	}
	if o.Concurrency > maxConcurrency {
		return usagef("--concurrency: %d is more than the maximum of %d (try -c 32, or -c %d at most)", o.Concurrency, maxConcurrency, maxConcurrency)
	}
	if o.Timeout <= 0 {
		return usagef("--timeout: %s is not positive (try --timeout 10s)", o.Timeout)
	}
	if o.Deadline < 0 {
		return usagef("--deadline: %s is negative (try --deadline 5m, or leave it out for no deadline)", o.Deadline)
	}
	if err := o.StartTLS.validate(); err != nil {
		return err
	}
	if err := o.Config.load(); err != nil {
		return err
	}
	if len(o.Targets) == 0 && len(o.Files) == 0 && len(o.Config.endpoints) == 0 {
		return usagef("no targets: give URLs or hosts as arguments, a list with -f FILE (- for stdin), or endpoints in ./" + config.FileName + " or --config PATH")
	}
	if err := o.Baseline.load(); err != nil {
		return err
	}
	var err error
	if o.shard, err = parseShard(o.Shard); err != nil {
		return err
	}
	if o.clients, err = senderClients(o.Client); err != nil {
		return err
	}
	o.resolve, err = parseResolve(o.Resolve)
	return err
}

// senderClients are the recorded clients --client names: the one called
// name, or every recorded Java client when name is empty.
func senderClients(name string) ([]*clients.Profile, error) {
	if name == "" {
		cs, err := probe.SenderClients()
		if err != nil {
			return nil, fmt.Errorf("reading the embedded client profiles: %w (the binary is damaged: rebuild it)", err)
		}
		return cs, nil
	}
	p, err := clients.ByName(name)
	var unknown *clients.UnknownError
	if errors.As(err, &unknown) {
		return nil, usagef("--client: %q is not a recorded client; use one of %s (certgate check --list-clients describes them)", name, strings.Join(unknown.Known, ", "))
	}
	if err != nil {
		return nil, fmt.Errorf("--client %s: reading the embedded client profile: %w (the binary is damaged: rebuild it)", name, err)
	}
	return []*clients.Profile{p}, nil
}

// parseResolve reads curl-style HOST:PORT:ADDR entries into the probe's map,
// keyed by the normalised host:port a target parses to (so 023000 is port
// 23000 and an IDN is its xn-- form). Two entries for the same host:port are
// an error naming both.
func parseResolve(entries []string) (map[string]string, error) {
	m := map[string]string{}
	from := map[string]string{}
	for _, e := range entries {
		host, rest, ok := strings.Cut(e, ":")
		port, addr, ok2 := strings.Cut(rest, ":")
		if !ok || !ok2 || host == "" || addr == "" {
			return nil, usagef("--resolve: %q is not HOST:PORT:ADDR (try --resolve api.example.com:443:203.0.113.7)", e)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return nil, usagef("--resolve: %q has no valid port %q (try --resolve %s:443:%s)", e, port, host, addr)
		}
		port = strconv.Itoa(p)
		addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
		if net.ParseIP(addr) == nil {
			return nil, usagef("--resolve: %q: %q is not an IP address (ADDR must be an IPv4 or [IPv6] address)", e, addr)
		}
		t, err := target.Parse(net.JoinHostPort(host, port))
		if err != nil {
			return nil, usagef("--resolve: %q: %v", e, err)
		}
		key := net.JoinHostPort(t.Host, port)
		if prev, dup := from[key]; dup {
			return nil, usagef("--resolve: %q and %q both give an address for %s (keep one)", prev, e, key)
		}
		m[key], from[key] = addr, e
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

	// Open the lists before any work, so an unreadable file is a usage error.
	var lists []targetList
	listName := "the arguments"
	for _, name := range o.Files {
		l := targetList{r: ios.In, name: "stdin"}
		if name != "-" {
			f, err := openList(name)
			if err != nil {
				return err
			}
			defer f.Close()
			l = targetList{r: f, name: name}
		}
		lists = append(lists, l)
		if len(lists) == 1 {
			listName = l.name
		} else {
			listName += ", " + l.name
		}
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
	newRenderer := report.New
	if o.newRenderer != nil {
		newRenderer = o.newRenderer
	}
	ren, err := newRenderer(o.Common.Output, ios, report.Options{Stores: stores.names, Verbose: o.Common.Verbose, Command: o.command})
	if err != nil {
		return usagef("--output: %v", err)
	}
	ren = quietRenderer(ren, &o.UX)

	// The reader stops at an interrupt between two reads; a read blocked
	// on an open stdin is abandoned, and exit ends it.
	fromConfig, err := o.Config.inputs()
	if err != nil {
		return err
	}
	inputs := make(chan runner.Input)
	readErr := make(chan error, 1)
	var sent, argsSent atomic.Int64
	go func() {
		defer close(inputs)
		i := 0
		for _, in := range fromConfig {
			select {
			case inputs <- in:
			case <-ctx.Done():
				readErr <- nil
				return
			}
			sent.Add(1)
			argsSent.Add(1)
			i++
		}
		for _, a := range o.Targets {
			select {
			case inputs <- runner.Input{Raw: a, Index: i}:
			case <-ctx.Done():
				readErr <- nil
				return
			}
			sent.Add(1)
			argsSent.Add(1)
			i++
		}
		for _, list := range lists {
			err := target.ReadList(ctxReader{ctx, list.r}, func(line int, raw string) error {
				select {
				case inputs <- runner.Input{Raw: raw, Index: i, Line: line}:
				case <-ctx.Done():
					return ctx.Err()
				}
				sent.Add(1)
				i++
				return nil
			})
			if err != nil {
				readErr <- fmt.Errorf("-f %s: reading targets: %w", list.name, err)
				return
			}
		}
		readErr <- nil
	}()
	next := func() (runner.Input, bool) {
		select {
		case in, ok := <-inputs:
			return in, ok
		case <-ctx.Done():
			return runner.Input{}, false
		}
	}

	skipped := 0 // targets of other shards
	next = o.shard.Filter(next, &skipped)
	next = prog.wrapNext(next)
	// A store that failed gives LoadStores no stores; the emit function
	// below then refuses every result, so none is judged without it.
	cfg := runner.Config{
		Probe:       probe.Options{Timeout: o.Timeout, NoSNI: o.NoSNI, Resolve: o.resolve, Clients: o.clients, XMPPDomain: o.StartTLS.XMPPDomain},
		StartTLS:    o.StartTLS.Proto,
		LoadStores:  func() []*truststore.Store { s, _ := stores.wait(); return s },
		At:          at,
		WarnDays:    o.Common.WarnDays,
		Concurrency: lowerConcurrency(ios, o.Concurrency),
		Deadline:    o.Deadline,
		// The JSON array streams in input order through a bounded window.
		Ordered: o.Common.Output == "json",
	}
	if dialer != nil {
		cfg.Probe.Dialer = dialer
	}
	cfg.FirstAddress = o.FirstAddress
	if o.extend != nil {
		next = o.extend(&cfg, next)
	}
	total, failed := 0, 0
	runErr := runner.Run(ctx, next, cfg, func(r result.Result) error {
		// No result is emitted against a store that failed to load.
		if _, err := stores.wait(); err != nil {
			return err
		}
		if len(fromConfig) > 0 {
			decide.AddChanges(&r, o.Config.addressExpectations(r.Index, &r))
		}
		r = o.Baseline.compare(r)
		if cfg.Ordered {
			// Results come in input order; numbered without the gaps
			// other shards leave, the renderer writes each at once.
			r.Index = total
		}
		total++
		fails := o.finish != nil && o.finish(&r)
		if decide.FailsOn(&r, o.Common.FailOn) || fails {
			failed++
		}
		prog.add(r)
		return ren.Add(r)
	})
	prog.finish()
	var intr *runner.Interrupted
	if errors.As(runErr, &intr) || ctx.Err() != nil {
		return finishInterrupted(ios, ren, o, listName, total+skipped, int(sent.Load())+len(fromConfig)+len(o.Targets)-int(argsSent.Load()), readErr)
	}
	// The embedded stores were parsed while the first targets were probed;
	// their age is known now.
	loaded, storeErr := stores.wait()
	if storeErr != nil {
		return usagef("%v", storeErr)
	}
	warnStaleStores(ios, loaded, o.Now())
	if err := <-readErr; err != nil && !errors.Is(err, context.Canceled) {
		return usagef("%v", err)
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
	if err := o.Baseline.update(); err != nil {
		return err
	}
	if failed > 0 {
		return errFailOn
	}
	return nil
}

// targetList is one -f list and the name errors give it.
type targetList struct {
	r    io.Reader
	name string
}

// errInterrupted is runCheck's error after an interrupt; main turns it
// into the signal's exit status.
var errInterrupted = errors.New("interrupted")

// finishInterrupted writes the results completed before an interrupt and
// says how many targets were not checked: done of given targets got a
// result. The list's reader may still be blocked on a read; it is not
// waited for.
func finishInterrupted(ios *iostreams.IOStreams, ren report.Renderer, o *checkOptions, listName string, done, given int, readErr <-chan error) error {
	closeErr := ren.Close()
	msg := fmt.Sprintf("%d of %d %s not checked", given-done, given, pluralWord(given, "target", "targets"))
	if len(o.Files) > 0 {
		select {
		case err := <-readErr:
			if err != nil && !errors.Is(err, context.Canceled) {
				msg += fmt.Sprintf("; reading %s failed: %v", listName, err)
			}
		default:
			msg += fmt.Sprintf("; the rest of %s was not read", listName)
			if given == 0 {
				msg = fmt.Sprintf("no target was read from %s yet", listName)
			}
		}
	}
	if closeErr != nil {
		msg += fmt.Sprintf("; writing results: %v", closeErr)
	}
	return fmt.Errorf("%w: %s", errInterrupted, msg)
}

func pluralWord(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lowerConcurrency caps -c to what the open-file limit allows, and says so
// once on stderr: past it, dials fail for want of descriptors, which is no
// fault of the servers.
func lowerConcurrency(ios *iostreams.IOStreams, c int) int {
	nofile, ok := runner.FileLimit()
	if !ok {
		return c
	}
	if m := runner.MaxConcurrency(nofile); c > m {
		fmt.Fprintf(ios.ErrOut, "certgate: -c %d lowered to %d: the open-file limit is %d (raise it with ulimit -n)\n", c, m, nofile)
		return m
	}
	return c
}

// ctxReader fails its reads once ctx is done, so that reading a list that
// never ends (a line with no newline) stops at an interrupt.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
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

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/config"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/exporter"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// serveOptions are the settings of one `certgate serve`.
type serveOptions struct {
	IO          *iostreams.IOStreams
	Config      string
	Listen      string
	Interval    time.Duration
	Concurrency int
	Timeout     time.Duration
	WarnDays    int
	Stores      []string
	CAFiles     []string
	Client      string
	Only        []string
	ProbeAny    bool
	ProbeAllow  []string
	// Scan is --scan: each check also scans the endpoint (certgate scan)
	// and exports its grade.
	Scan bool
	// EnableReload is --enable-reload: POST /-/reload reloads the
	// configuration, as SIGHUP does.
	EnableReload bool
	// Reload, when set, asks for a reload of the configuration at each
	// receive; nil means at each SIGHUP of the process.
	Reload <-chan struct{}

	// Dir is where certgate.yaml is looked for without --config; tests
	// set it.
	Dir string

	// clients are --client's recorded clients, set by runServe.
	clients []*clients.Profile
	// loaded is the configuration build read last.
	loaded *configOptions
	// reloadMu makes one reload, and its line on stderr, at a time.
	reloadMu sync.Mutex
}

// minInterval is the shortest --interval: checking more often than each
// second is load on the endpoints, not monitoring.
const minInterval = time.Second

// shutdownGrace bounds the wait for open HTTP requests at a stop signal;
// serveStopGrace, main's bound on the whole stop, leaves room for it.
const (
	shutdownGrace  = 2 * time.Second
	serveStopGrace = 5 * time.Second
)

// serveExitStatus is the exit status text of certgate serve's help.
const serveExitStatus = `

Exit status: 0 once stopped by SIGTERM or SIGINT; 2 on a usage error (bad
flag, configuration or store, --listen address in use) or when serving
fails; 130 or 143 when a second SIGINT or SIGTERM comes while it stops
(it stops at once). SIGHUP reloads the configuration and does not stop it.`

func newServeCmd(ios *iostreams.IOStreams, runF func(context.Context, *serveOptions) error) *cobra.Command {
	o := &serveOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Check the endpoints of certgate.yaml on an interval and export the results to Prometheus",
		Long: `Check every endpoint of the configuration (certgate.yaml in the working
directory, or --config) on an interval, as certgate check does, and serve the
latest results as Prometheus metrics:

  /metrics   the latest result of every endpoint (certgate_* metrics)
  /probe     ?target=T[&module=M]: a fresh check of one target, with its own
             metrics and probe_success, as blackbox_exporter answers; only
             configured targets unless --probe-allow or --probe-any
  /healthz   200 while the exporter runs
  /-/reload  POST: reload the configuration, with --enable-reload

Each endpoint is checked once at a random point of the first tenth of an
interval, then every --interval (moved by up to a tenth either way); at most
-c checks run at once, and a check still queued or running when its next one
is due is skipped and counted (certgate_checks_skipped_total), never run
twice. SIGTERM or SIGINT stops it: checks in flight are cancelled, open
requests get up to two seconds, and it exits 0.

SIGHUP (and POST /-/reload with --enable-reload) reloads the configuration:
endpoints that remain (same target and labels) keep their series and
schedule, removed ones' series vanish, new ones are checked within a tenth
of an interval. A configuration with an error is not used: the previous one
goes on, stderr says what to fix, and certgate_config_last_reload_successful
is 0 until a reload succeeds.

With --scan, an endpoint's expect.min_grade is exported
(certgate_scan_grade_min) and a check graded below it fails
(certgate_check_success 0), as certgate scan --min-grade fails it.`,
		Example: `  certgate serve --listen :9219
  certgate serve --config /etc/certgate/certgate.yaml --interval 10m -c 16
  curl 'http://localhost:9219/probe?target=https://api.example.com'
  kill -HUP "$(pidof certgate)"    # reload certgate.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), o)
			}
			return runServe(cmd.Context(), o)
		},
		Annotations: map[string]string{exitStatusAnnotation: serveExitStatus},
	}
	f := cmd.Flags()
	f.StringVar(&o.Config, "config", "", "the endpoints to check: a certgate.yaml `PATH` (default ./certgate.yaml)")
	f.StringVar(&o.Listen, "listen", ":9219", "serve HTTP on this `ADDR` (host:port; :9219 is every interface)")
	f.DurationVar(&o.Interval, "interval", exporter.DefaultInterval, "time between two checks of one endpoint, at least 1s")
	f.IntVarP(&o.Concurrency, "concurrency", "c", 32, fmt.Sprintf("checks in flight at once, 1 to %d; /probe has as many of its own", maxConcurrency))
	f.DurationVar(&o.Timeout, "timeout", 10*time.Second, "per endpoint address, connect + handshake")
	f.IntVar(&o.WarnDays, "warn-days", 30, "warn when a certificate of the chain expires within this many days (an endpoint's warn_days wins)")
	f.StringSliceVar(&o.Stores, "store", []string{"mozilla", "java"}, "trust stores, comma-separated: mozilla, java, system, or a PEM/DER file of roots; a chain passes if any trusts it")
	f.StringArrayVar(&o.CAFiles, "ca-file", nil, "extra trusted roots (PEM or DER file), added as one more store (repeatable)")
	f.StringVar(&o.Client, "client", "", "judge a handshake Go's client cannot make with this one recorded client `NAME` (an endpoint's client wins); default: every recorded Java client")
	f.StringArrayVar(&o.Only, "only", nil, "check only the endpoints with this `LABEL` (key=value, or a value; repeatable: any of them)")
	f.BoolVar(&o.Scan, "scan", false, "also scan each endpoint's TLS configuration at each check, as certgate scan does, and export its grade (certgate_scan_grade); a scan makes 50 to 150 handshakes an endpoint, one at a time")
	f.BoolVar(&o.EnableReload, "enable-reload", false, "let POST /-/reload reload the configuration, as SIGHUP does (anyone who can reach the port can then make certgate re-read its file)")
	f.BoolVar(&o.ProbeAny, "probe-any", false, "let /probe check any target, not only configured ones (anyone who can reach the port can then make certgate connect anywhere)")
	f.StringArrayVar(&o.ProbeAllow, "probe-allow", nil, "let /probe check host names matching `PATTERN` (such as *.example.com) besides the configured targets (repeatable)")
	return cmd
}

// validate checks the flags before any work.
func (o *serveOptions) validate() error {
	if o.Interval < minInterval {
		return usagef("--interval: %s is shorter than %s (try --interval 5m)", o.Interval, minInterval)
	}
	if o.Concurrency < 1 || o.Concurrency > maxConcurrency {
		return usagef("--concurrency: %d is not between 1 and %d (try -c 32)", o.Concurrency, maxConcurrency)
	}
	if o.Timeout <= 0 {
		return usagef("--timeout: %s is not positive (try --timeout 10s)", o.Timeout)
	}
	if o.WarnDays < 0 {
		return usagef("--warn-days: %d is negative (use 0 to disable the warning)", o.WarnDays)
	}
	for _, p := range o.ProbeAllow {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			return usagef("--probe-allow: %q is not a host name pattern (try --probe-allow '*.example.com')", p)
		}
	}
	if _, _, err := net.SplitHostPort(o.Listen); err != nil {
		return usagef("--listen: %q is not HOST:PORT (try --listen :9219 or --listen 127.0.0.1:9219)", o.Listen)
	}
	return nil
}

// loadConfig reads --config, or certgate.yaml in the working directory
// (there must be one), and keeps the endpoints --only selects.
func (o *serveOptions) loadConfig() (*configOptions, error) {
	co := &configOptions{Path: o.Config, Only: o.Only}
	if co.Path == "" {
		dir := o.Dir
		if dir == "" {
			dir = "."
		}
		p, ok := config.Find(dir)
		if !ok {
			return nil, usagef("--config: no %s in the working directory: certgate serve checks the endpoints of a config file; give one with --config PATH", config.FileName)
		}
		co.Path = p
	}
	if err := co.load(); err != nil {
		return nil, err
	}
	if len(co.endpoints) == 0 {
		return nil, usagef("--config: %s lists no endpoints: add them under endpoints:, one - target: HOST each", co.file.Path)
	}
	return co, nil
}

// serveEndpoints turns the configuration's endpoints into the exporter's:
// each with its own settings as certgate check applies them (addresses,
// sni, warn_days, client, root and issuer pins, expected addresses), the
// flags as the last defaults.
func (o *serveOptions) serveEndpoints(co *configOptions) ([]exporter.Endpoint, error) {
	out := make([]exporter.Endpoint, 0, len(co.endpoints))
	for _, ce := range co.endpoints {
		ep, err := o.serveEndpoint(co, ce)
		if err != nil {
			return nil, err
		}
		out = append(out, ep)
	}
	return out, nil
}

func (o *serveOptions) serveEndpoint(co *configOptions, ce config.Endpoint) (exporter.Endpoint, error) {
	where := fmt.Sprintf("%s:%d", co.file.Path, ce.Line)
	ep := exporter.Endpoint{Target: ce.Target, Labels: ce.Labels, WarnDays: o.WarnDays, Where: where,
		Probe: probe.Options{Timeout: o.Timeout, Clients: o.clients}}
	if o.Scan {
		ep.MinGrade = ce.Expect.MinGrade
	}
	settings, err := co.runnerEndpoint(ce)
	if err != nil {
		return ep, err
	}
	ep.Settings = settings
	var addresses func(r *result.Result)
	if x := ce.Expect; x.Addresses != nil {
		addresses = func(r *result.Result) { decide.AddChanges(r, x.AddressesProblem(r, where)) }
	}
	var graded func(r *result.Result) bool
	if o.Scan {
		sims, err := clients.All()
		if err != nil {
			return ep, fmt.Errorf("reading the embedded client profiles: %w (the binary is damaged: rebuild it)", err)
		}
		// The endpoint's expect.min_grade is its --min-grade: finish fails
		// a grade below it as certgate scan does.
		so := &scanOptions{check: &checkOptions{Client: o.Client}, sims: sims, MinGrade: ep.MinGrade}
		ep.Stage = so.stage
		graded = so.finish
	}
	if addresses != nil || graded != nil {
		ep.Finish = func(r *result.Result) bool {
			if addresses != nil {
				addresses(r)
			}
			return graded != nil && graded(r)
		}
	}
	return ep, nil
}

// modules are the settings /probe?module= names: "default" (and no module)
// is the configuration's defaults, and each recorded client's name is the
// defaults judged by that client alone.
func (o *serveOptions) modules(co *configOptions) (map[string]exporter.Endpoint, error) {
	d := co.file.Defaults
	d.Target = "/probe"
	base, err := o.serveEndpoint(co, d)
	if err != nil {
		return nil, err
	}
	base.Where = co.file.Path + " (defaults)"
	m := map[string]exporter.Endpoint{"": base, "default": base}
	all, err := clients.All()
	if err != nil {
		return nil, fmt.Errorf("reading the embedded client profiles: %w (the binary is damaged: rebuild it)", err)
	}
	for _, p := range all {
		ep := base
		s := *base.Settings
		s.Clients = []*clients.Profile{p}
		ep.Settings = &s
		m[p.Name] = ep
	}
	return m, nil
}

// serveGCPercent is certgate serve's garbage collection target (GOGC) when
// the environment sets none. The exporter keeps little (about 1 KiB per
// endpoint) but its checks make garbage all the time; at Go's default of
// 100 the heap grows to twice what is live before each collection, at 50
// to one and a half: 10,000 endpoints peak at about 60 MiB instead of 75,
// for a few percent of one core more spent collecting.
const serveGCPercent = 50

// tuneGC sets the collector's target to serveGCPercent unless GOGC is set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
}

// build reads the configuration and makes the exporter's endpoints and
// /probe's modules: at start and at each reload.
func (o *serveOptions) build() ([]exporter.Endpoint, map[string]exporter.Endpoint, error) {
	co, err := o.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	eps, err := o.serveEndpoints(co)
	if err != nil {
		return nil, nil, err
	}
	mods, err := o.modules(co)
	if err != nil {
		return nil, nil, err
	}
	o.loaded = co
	return eps, mods, nil
}

// warnMinGrade says, without --scan, that the endpoints' expect.min_grade
// is not checked.
func (o *serveOptions) warnMinGrade(co *configOptions) {
	if o.Scan {
		return
	}
	grades := 0
	for _, ce := range co.endpoints {
		if ce.Expect.MinGrade != "" {
			grades++
		}
	}
	if grades > 0 {
		fmt.Fprintf(o.IO.ErrOut, "certgate serve: warning: expect.min_grade is not checked: %d %s of %s set it, and min_grade needs --scan (a grade comes from a scan)\n",
			grades, pluralWord(grades, "endpoint", "endpoints"), co.file.Path)
	}
}

// reload reads the configuration again and gives it to e, saying on stderr
// (one line) what changed or why the previous configuration goes on; why
// names what asked for it (SIGHUP, POST /-/reload).
func (o *serveOptions) reload(e *exporter.Exporter, why string) (string, error) {
	o.reloadMu.Lock()
	defer o.reloadMu.Unlock()
	// Reading a large file makes garbage (some 35 MB for 10,000
	// endpoints) while the previous configuration is live: give it back
	// to the system at once rather than keep it until the scavenger does.
	defer debug.FreeOSMemory()
	before := e.Endpoints()
	c, err := e.Reload(o.build)
	if err != nil {
		var de *exporter.DuplicateError
		var le *exporter.LabelError
		if errors.As(err, &de) || errors.As(err, &le) {
			err = fmt.Errorf("--config: %w", err)
		}
		msg := fmt.Sprintf("%s: the configuration was not reloaded, the previous one (%d %s) goes on: %s",
			why, before, pluralWord(before, "endpoint", "endpoints"), oneLine(err.Error()))
		fmt.Fprintf(o.IO.ErrOut, "certgate serve: %s\n", msg)
		return msg, err
	}
	n := e.Endpoints()
	msg := fmt.Sprintf("%s: reloaded %s: %d %s (%d added, %d removed, %d kept)",
		why, o.loaded.file.Path, n, pluralWord(n, "endpoint", "endpoints"), c.Added, c.Removed, c.Kept)
	fmt.Fprintf(o.IO.ErrOut, "certgate serve: %s\n", msg)
	o.warnMinGrade(o.loaded)
	return msg, nil
}

// oneLine joins the lines of an error message, for a log line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// handler is the exporter's HTTP handler with /-/reload.
func (o *serveOptions) handler(e *exporter.Exporter) http.Handler {
	mux := http.NewServeMux()
	reload := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !o.EnableReload {
			http.Error(w, "reloading over HTTP is off: start certgate serve with --enable-reload, or send it SIGHUP", http.StatusForbidden)
			return
		}
		msg, err := o.reload(e, "POST /-/reload")
		if err != nil {
			http.Error(w, msg, http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, msg)
	}
	// As Prometheus, which takes PUT as well.
	mux.HandleFunc("POST /-/reload", reload)
	mux.HandleFunc("PUT /-/reload", reload)
	mux.HandleFunc("/-/reload", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Allow", "POST, PUT")
		http.Error(w, "reload with POST /-/reload", http.StatusMethodNotAllowed)
	})
	mux.Handle("/", e.Handler())
	return mux
}

func runServe(ctx context.Context, o *serveOptions) error {
	if o.Reload == nil {
		// From here on SIGHUP reloads; one arriving while starting is
		// served once it runs.
		hup := make(chan struct{}, 1)
		hangups.Store(&hup)
		defer hangups.Store(nil)
		o.Reload = hup
	}
	if err := o.validate(); err != nil {
		return err
	}
	tuneGC(os.Getenv)
	var err error
	if o.clients, err = senderClients(o.Client); err != nil {
		return err
	}
	eps, mods, err := o.build()
	if err != nil {
		return err
	}
	co := o.loaded
	o.warnMinGrade(co)
	common := &commonOptions{Stores: o.Stores, CAFiles: o.CAFiles}
	stores, err := loadStores(common)
	if err != nil {
		return err
	}
	if _, err := stores.wait(); err != nil {
		return err
	}
	e, err := exporter.New(eps, exporter.Options{
		Interval:    o.Interval,
		Concurrency: o.Concurrency,
		LoadStores:  func() ([]*truststore.Store, error) { return stores.wait() },
		ProbeAny:    o.ProbeAny,
		ProbeAllow:  o.ProbeAllow,
		Modules:     mods,
	})
	var de *exporter.DuplicateError
	var le *exporter.LabelError
	if errors.As(err, &de) || errors.As(err, &le) {
		return usagef("--config: %v", err)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return usagef("--listen %s: %v (choose another port, or stop what listens there)", o.Listen, err)
	}
	stopGrace.Store(int64(serveStopGrace))
	fmt.Fprintf(o.IO.ErrOut, "certgate serve: listening on %s, checking %d %s from %s every %s\n",
		ln.Addr(), e.Endpoints(), pluralWord(e.Endpoints(), "endpoint", "endpoints"), co.file.Path, o.Interval)

	// Checks and /probe requests run under work, which a stop signal ends.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	srv := &http.Server{
		Handler:           o.handler(e),
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return work },
	}
	ran := make(chan struct{})
	go func() { e.Run(work); close(ran) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
wait:
	for {
		select {
		case err := <-served:
			stopWork()
			<-ran
			return fmt.Errorf("--listen %s: serving HTTP: %w", o.Listen, err)
		case <-o.Reload:
			_, _ = o.reload(e, "SIGHUP")
		case <-ctx.Done():
			break wait
		}
	}
	stopWork()
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
	}
	<-ran
	signalEndsCleanly.Store(true)
	fmt.Fprintln(o.IO.ErrOut, "certgate serve: stopped")
	return nil
}

// Package exporter is certgate as a Prometheus exporter: it checks a fixed
// set of endpoints on an interval through the same pipeline as certgate
// check (package runner) and renders the latest result of each as metrics.
// It also answers one-off probes of a target, in the style of
// blackbox_exporter, with a registry of their own.
//
// The exporter keeps, per endpoint, a small summary of its latest result
// (status, code, trust per store, expiry dates, duration): never the
// certificates, so its memory is bounded by the number of endpoints.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
)

// Endpoint is one endpoint the exporter checks, with its own settings.
type Endpoint struct {
	// Target is the target as written (an https:// URL, host, host:port);
	// its redacted form is the value of the target label.
	Target string
	// Labels are the endpoint's own labels, exposed on each of its series
	// as label_<name> (see LabelName).
	Labels map[string]string
	// Probe holds the handshake settings: Timeout, Resolve, NoSNI,
	// Clients. Address and DNS are set per check.
	Probe probe.Options
	// Settings are the target's own settings (a certgate.yaml entry's
	// addresses, server name, warn days, client and pins), which replace
	// the others for it; nil for none.
	Settings *runner.Endpoint
	// Finish, when set, adds the facts known only once the result is
	// complete (an expected number of addresses) through package decide.
	Finish func(r *result.Result)
	// WarnDays warns about certificates that expire within this many days.
	WarnDays int
	// Stage, when set, makes the per-target stage of each check (a scan)
	// from that check's runner configuration; the result's Scan.Grade,
	// written by Finish, becomes certgate_scan_grade.
	Stage func(cfg *runner.Config) func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem
	// Where names the endpoint's place in the configuration ("certgate.yaml
	// line 12"), for errors.
	Where string
}

// Options are the exporter's settings.
type Options struct {
	// Interval is the time between two checks of one endpoint; each is
	// moved by up to a tenth of it at random (jitter). Zero means 5m.
	Interval time.Duration
	// Concurrency is the number of checks in flight at once; at least 1.
	Concurrency int
	// LoadStores returns the trust stores; it must be cheap after its
	// first call.
	LoadStores func() ([]*truststore.Store, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ProbeAny lets /probe check any target; otherwise only the targets of
	// the configured endpoints, and those matching ProbeAllow.
	ProbeAny bool
	// ProbeAllow are host name patterns (path.Match syntax, such as
	// "*.example.com") that /probe may check besides the configured
	// targets.
	ProbeAllow []string
	// Modules are the settings /probe?module=NAME uses for a target that
	// is not configured: by name. The module "" (no module parameter) is
	// Modules[""] when set, else the zero Endpoint.
	Modules map[string]Endpoint
}

// DefaultInterval is the interval when Options.Interval is zero.
const DefaultInterval = 5 * time.Minute

// Exporter checks its endpoints on an interval and renders their latest
// results. Make one with New; call Run to start checking.
type Exporter struct {
	opts      Options
	endpoints []*state
	// labelNames are the Prometheus names of the endpoints' labels, sorted;
	// every endpoint's series carry all of them ("" where it has none).
	labelNames []string
	// labelKeys are the configuration's label keys, index for index.
	labelKeys []string
	// probeSem bounds the /probe checks in flight.
	probeSem chan struct{}
	// byTarget finds the configured endpoint of a /probe target.
	byTarget map[string]*state
	// verdicts are the summaries' Trusted maps.
	verdicts verdicts
}

// state is one endpoint and what the exporter knows of it.
type state struct {
	ep      Endpoint
	target  string           // the target label
	labels  []string         // label values, in Exporter.labelNames order
	pairs   []*dto.LabelPair // labels and target as label pairs, sorted by name
	pending atomic.Bool
	last    atomic.Pointer[Summary]
	checks  atomic.Uint64
	errors  atomic.Uint64
	skipped atomic.Uint64
}

// DuplicateError is New's error when two endpoints would give the same
// series: the same target with the same labels.
type DuplicateError struct {
	// Target is the target label both share; First and Second say where
	// the two endpoints are.
	Target, First, Second string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("%s and %s both check %s with the same labels, so their series would be the same: remove one, or give them different labels", e.First, e.Second, e.Target)
}

// New returns an exporter of endpoints. Two endpoints with the same target
// and labels are a *DuplicateError; a label key that has no Prometheus
// name, or two keys with the same one, is a *LabelError.
func New(endpoints []Endpoint, opts Options) (*Exporter, error) {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Concurrency < 1 {
		opts.Concurrency = 1
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LoadStores == nil {
		return nil, errors.New("exporter: Options.LoadStores is not set")
	}
	e := &Exporter{opts: opts, probeSem: make(chan struct{}, opts.Concurrency), byTarget: map[string]*state{}}
	keyOf := map[string]string{} // Prometheus name → config key
	for _, ep := range endpoints {
		for k := range ep.Labels {
			name, err := LabelName(k)
			if err != nil {
				return nil, &LabelError{Key: k, Where: ep.Where, Err: err}
			}
			if prev, ok := keyOf[name]; ok && prev != k {
				return nil, &LabelError{Key: k, Where: ep.Where, Err: fmt.Errorf("label %q has the same metric label name %s as label %q: rename one", k, name, prev)}
			}
			keyOf[name] = k
		}
	}
	for name := range keyOf {
		e.labelNames = append(e.labelNames, name)
	}
	sort.Strings(e.labelNames)
	for _, name := range e.labelNames {
		e.labelKeys = append(e.labelKeys, keyOf[name])
	}
	seen := map[string]*state{}
	interned := map[labelValue]*dto.LabelPair{}
	for _, ep := range endpoints {
		s := &state{ep: ep, target: target.Redact(ep.Target)}
		for _, k := range e.labelKeys {
			s.labels = append(s.labels, ep.Labels[k])
		}
		id := s.target + "\x00" + fmt.Sprint(s.labels)
		if prev, dup := seen[id]; dup {
			return nil, &DuplicateError{Target: s.target, First: prev.ep.Where, Second: ep.Where}
		}
		seen[id] = s
		s.pairs = endpointPairs(e.labelNames, s, interned)
		// The values are in s.labels: keeping the map (the configuration's)
		// would cost some 600 bytes per endpoint.
		s.ep.Labels = nil
		e.endpoints = append(e.endpoints, s)
		if _, ok := e.byTarget[ep.Target]; !ok {
			e.byTarget[ep.Target] = s
		}
	}
	return e, nil
}

// Endpoints returns how many endpoints the exporter checks.
func (e *Exporter) Endpoints() int { return len(e.endpoints) }

// Run checks every endpoint, then again every interval, until ctx ends;
// then it cancels the checks in flight and returns once they have stopped.
// The first check of each endpoint comes at a random point in the first
// tenth of an interval (at most 30s), so a large configuration does not
// start all at once; later ones come an interval after the previous one was
// due, moved by up to a tenth of the interval either way. A check still
// queued or running when the next one is due is not started twice: the
// next one is skipped and counted (certgate_checks_skipped_total).
func (e *Exporter) Run(ctx context.Context) {
	n := len(e.endpoints)
	if n == 0 {
		<-ctx.Done()
		return
	}
	queue := make(chan *state, n) // each endpoint is queued at most once
	var wg sync.WaitGroup
	for range min(e.opts.Concurrency, n) {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case s := <-queue:
					e.check(ctx, s)
					s.pending.Store(false)
				}
			}
		})
	}
	defer wg.Wait()

	start := e.opts.Now()
	spread := min(e.opts.Interval/10, 30*time.Second)
	due := make(dueHeap, n)
	for i, s := range e.endpoints {
		off := time.Duration(0)
		if spread > 0 {
			off = rand.N(spread)
		}
		due[i] = dueItem{at: start.Add(off), s: s}
	}
	due.init()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		now := e.opts.Now()
		for due[0].at.Compare(now) <= 0 {
			it := &due[0]
			if it.s.pending.CompareAndSwap(false, true) {
				queue <- it.s
			} else {
				it.s.skipped.Add(1)
			}
			it.at = it.at.Add(e.jittered())
			if it.at.Before(now) {
				// Far behind (a suspended machine): due again from now.
				it.at = now.Add(e.jittered())
			}
			due.fix(0)
		}
		timer.Reset(due[0].at.Sub(now))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
	}
}

// jittered is the interval moved by up to a tenth either way.
func (e *Exporter) jittered() time.Duration {
	j := int64(e.opts.Interval / 10)
	if j <= 0 {
		return e.opts.Interval
	}
	return e.opts.Interval + time.Duration(rand.Int64N(2*j+1)-j)
}

// CheckAll checks every endpoint once, at most Concurrency at a time, and
// returns when all are done or ctx ends: for a first round before serving,
// and for tests.
func (e *Exporter) CheckAll(ctx context.Context) {
	sem := make(chan struct{}, e.opts.Concurrency)
	var wg sync.WaitGroup
	for _, s := range e.endpoints {
		if !s.pending.CompareAndSwap(false, true) {
			s.skipped.Add(1)
			continue
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			s.pending.Store(false)
			wg.Wait()
			return
		}
		wg.Go(func() {
			defer func() { <-sem; s.pending.Store(false) }()
			e.check(ctx, s)
		})
	}
	wg.Wait()
}

// check checks one configured endpoint and records its summary. A check
// cut short by ctx (shutdown) records nothing.
func (e *Exporter) check(ctx context.Context, s *state) {
	sum, ok := e.checkEndpoint(ctx, s.ep)
	if !ok {
		return
	}
	s.checks.Add(1)
	if sum.Status == result.StatusError {
		s.errors.Add(1)
	}
	sum.Trusted = e.verdicts.intern(sum.Trusted)
	s.last.Store(sum)
}

// verdicts holds one map of each set of store verdicts the summaries have:
// with two stores there are at most four, so 10,000 endpoints share them
// instead of keeping a map each. The maps are never written once interned.
type verdicts struct {
	mu sync.Mutex
	m  map[string]map[string]bool
}

func (v *verdicts) intern(t map[string]bool) map[string]bool {
	if len(t) == 0 {
		return t
	}
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	slices.Sort(names)
	var key strings.Builder
	for _, name := range names {
		key.WriteString(name)
		if t[name] {
			key.WriteString("\x00y\x00")
		} else {
			key.WriteString("\x00n\x00")
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if shared, ok := v.m[key.String()]; ok {
		return shared
	}
	if v.m == nil {
		v.m = map[string]map[string]bool{}
	}
	v.m[key.String()] = t
	return t
}

// checkEndpoint runs one check of ep through the pipeline of certgate check
// and summarises its result; false when ctx ended first.
func (e *Exporter) checkEndpoint(ctx context.Context, ep Endpoint) (*Summary, bool) {
	stores, err := e.opts.LoadStores()
	if err != nil {
		return nil, false
	}
	rec := &chainRecorder{}
	var inner func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem
	cfg := runner.Config{
		Probe:    ep.Probe,
		Stores:   stores,
		At:       e.opts.Now(),
		WarnDays: ep.WarnDays,
		// The exporter bounds the endpoints in flight; each checks its
		// addresses one at a time, so handshakes in flight stay within it.
		Concurrency: 1,
		Stage: func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem {
			rec.record(r)
			if inner != nil {
				return inner(ctx, t, obs, r)
			}
			return nil
		},
	}
	if ep.Stage != nil {
		inner = ep.Stage(&cfg)
	}
	r := runner.Check(ctx, runner.Input{Raw: ep.Target, Endpoint: ep.Settings}, cfg)
	if ctx.Err() != nil {
		return nil, false
	}
	if ep.Finish != nil {
		ep.Finish(&r)
	}
	return summarize(&r, rec, e.opts.Now()), true
}

// chainRecorder keeps the expiry dates of the chain served at each address
// of one check, from the runner's stage hook (which sees every address;
// the result keeps only the worst one's chain).
type chainRecorder struct {
	mu    sync.Mutex
	addrs map[string]addrExpiry
}

type addrExpiry struct {
	leafSHA        string
	leaf, earliest time.Time
}

func (c *chainRecorder) record(r *result.Result) {
	if len(r.Chain) == 0 || r.Address == "" {
		return
	}
	x := addrExpiry{leafSHA: r.Chain[0].SHA256, leaf: r.Chain[0].NotAfter, earliest: r.Chain[0].NotAfter}
	for _, c := range r.Chain[1:] {
		if c.NotAfter.Before(x.earliest) {
			x.earliest = c.NotAfter
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.addrs == nil {
		c.addrs = map[string]addrExpiry{}
	}
	c.addrs[r.Address] = x
}

// Summary is what the exporter keeps of one result: enough for its
// metrics, and no certificate.
type Summary struct {
	// Status and Code are the verdict.
	Status result.Status
	Code   result.Code
	// Trusted is each store's verdict, by store name.
	Trusted map[string]bool
	// Duration is the time the check took (connect and handshakes).
	Duration time.Duration
	// Expiry lists, per address served, the leaf's notAfter and the
	// earliest notAfter of the path.
	Expiry []AddressExpiry
	// Grade is the scan's grade, "" when not scanned.
	Grade string
	// At is when the check finished.
	At time.Time
}

// AddressExpiry is the expiry of the chain served at one address.
type AddressExpiry struct {
	Address        string
	Leaf, Earliest time.Time
}

// summarize reduces r to its Summary. The expiry of the address the
// verdict was made on (r.Address) is the result's own; the earliest date is
// that of its path, the store's root included. Other addresses serving
// another leaf get the earliest date of the chain they presented.
func summarize(r *result.Result, rec *chainRecorder, now time.Time) *Summary {
	s := &Summary{Status: r.Status, Code: r.Code, Duration: time.Duration(r.DurationMS * float64(time.Millisecond)), At: now}
	if len(r.Trust) > 0 {
		s.Trusted = make(map[string]bool, len(r.Trust))
		for name, v := range r.Trust {
			s.Trusted[name] = v.Trusted
		}
	}
	if r.Scan != nil && r.Scan.Grade != nil {
		s.Grade = r.Scan.Grade.Grade
	}
	var mainSHA string
	if len(r.Chain) > 0 && r.Address != "" {
		x := AddressExpiry{Address: r.Address, Leaf: r.Chain[0].NotAfter, Earliest: r.Chain[0].NotAfter}
		if r.PathNotAfter != nil {
			x.Earliest = *r.PathNotAfter
		}
		mainSHA = r.Chain[0].SHA256
		s.Expiry = append(s.Expiry, x)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, a := range r.Addresses {
		x, ok := rec.addrs[a.Address]
		if !ok || a.Address == r.Address {
			continue
		}
		ae := AddressExpiry{Address: a.Address, Leaf: x.leaf, Earliest: x.earliest}
		if x.leafSHA == mainSHA && r.PathNotAfter != nil && r.PathNotAfter.Before(ae.Earliest) {
			ae.Earliest = *r.PathNotAfter
		}
		s.Expiry = append(s.Expiry, ae)
	}
	slices.SortFunc(s.Expiry, func(a, b AddressExpiry) int { return strings.Compare(a.Address, b.Address) })
	return s
}

// dueHeap orders endpoints by when they are next due (a min-heap).
type dueHeap []dueItem

type dueItem struct {
	at time.Time
	s  *state
}

func (h dueHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.fix(i)
	}
}

// fix moves item i down to its place (its time only ever grows).
func (h dueHeap) fix(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h[r].at.Before(h[l].at) {
			m = r
		}
		if !h[m].at.Before(h[i].at) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

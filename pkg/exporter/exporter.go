// Package exporter is certgate as a Prometheus exporter: it checks a fixed
// set of endpoints on an interval through the same pipeline as certgate
// check (package runner) and renders the latest result of each as metrics.
// It also answers one-off probes of a target, in the style of
// blackbox_exporter, with a registry of their own.
//
// The exporter keeps, per endpoint, a small summary of its latest result
// (status, code, trust per store, expiry dates, duration): never the
// certificates, so its memory is bounded by the number of endpoints.
// Reload replaces the endpoints while it runs; those it keeps carry their
// summary and counters over.
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
	// complete (an expected number of addresses) through package decide,
	// grades a scan, and reports whether the result's grade is below the
	// least asked of the endpoint (MinGrade), as certgate scan --min-grade
	// decides: such a check fails (certgate_check_success 0) whatever its
	// verdict.
	Finish func(r *result.Result) (belowMinGrade bool)
	// WarnDays warns about certificates that expire within this many days.
	WarnDays int
	// Stage, when set, makes the per-target stage of each check (a scan)
	// from that check's runner configuration; the result's Scan.Grade,
	// written by Finish, becomes certgate_scan_grade.
	Stage func(cfg *runner.Config) func(ctx context.Context, t target.Target, obs probe.Observation, r *result.Result) []result.Problem
	// Where names the endpoint's place in the configuration ("certgate.yaml
	// line 12"), for errors.
	Where string
	// MinGrade is the least grade asked of the endpoint's scan (its
	// expect.min_grade: A+ … F), exported as certgate_scan_grade_min; ""
	// for none. Finish decides whether a grade is below it.
	MinGrade string
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
	// Modules[""] when set, else the zero Endpoint. Reload replaces them.
	Modules map[string]Endpoint
}

// DefaultInterval is the interval when Options.Interval is zero.
const DefaultInterval = 5 * time.Minute

// Exporter checks its endpoints on an interval and renders their latest
// results. Make one with New; call Run to start checking, and Reload to
// replace its endpoints while it runs.
type Exporter struct {
	opts Options
	// set is the endpoints being checked; Reload swaps it whole.
	set atomic.Pointer[endpointSet]
	// reloaded tells Run that set was swapped (one pending is enough).
	reloaded chan struct{}
	// reloadMu makes one Reload at a time.
	reloadMu sync.Mutex
	// reloadOK and reloadAt are the outcome of the latest load and when
	// the latest successful one was (Unix seconds).
	reloadOK atomic.Bool
	reloadAt atomic.Int64
	// mu guards inflight: the cancel function of each check in flight, by
	// endpoint, so that a reload can cancel those of endpoints it removed.
	mu       sync.Mutex
	inflight map[*record]context.CancelFunc
	// probeSem bounds the /probe checks in flight.
	probeSem chan struct{}
	// verdicts are the summaries' Trusted maps.
	verdicts verdicts
}

// endpointSet is one configuration's endpoints, as New or Reload made
// them; never changed once published.
type endpointSet struct {
	endpoints []*state
	// labelNames are the Prometheus names of the endpoints' labels, sorted;
	// every endpoint's series carry all of them ("" where it has none).
	labelNames []string
	// labelKeys are the configuration's label keys, index for index.
	labelKeys []string
	// byTarget finds the configured endpoint of a /probe target.
	byTarget map[string]*state
	// modules are /probe's modules (Options.Modules).
	modules map[string]Endpoint
	// descs describe the metrics of these label names, for Collector.
	descs *descs
}

// record is what the exporter knows of one endpoint's series: it outlives
// a reload that keeps the endpoint (same target and labels), so its latest
// result and counters carry over and its series have no gap.
type record struct {
	pending atomic.Bool
	// removed is set when a reload drops the endpoint: a queued check of
	// it is not started.
	removed atomic.Bool
	// current is the endpoint's state in the set in use: a check queued
	// before a reload runs with the settings of after it.
	current atomic.Pointer[state]
	last    atomic.Pointer[Summary]
	checks  atomic.Uint64
	errors  atomic.Uint64
	skipped atomic.Uint64
}

// state is one endpoint of a set and what the exporter knows of it.
type state struct {
	*record
	ep     Endpoint
	target string           // the target label
	labels []string         // label values, in endpointSet.labelNames order
	pairs  []*dto.LabelPair // labels and target as label pairs, sorted by name
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
	set, err := newSet(endpoints, opts.Modules)
	if err != nil {
		return nil, err
	}
	e := &Exporter{opts: opts, probeSem: make(chan struct{}, opts.Concurrency),
		reloaded: make(chan struct{}, 1), inflight: map[*record]context.CancelFunc{}}
	e.set.Store(set)
	e.reloadOK.Store(true)
	e.reloadAt.Store(opts.Now().Unix())
	return e, nil
}

// newSet makes the set of endpoints and modules, each endpoint with a
// record of its own.
func newSet(endpoints []Endpoint, modules map[string]Endpoint) (*endpointSet, error) {
	set := &endpointSet{byTarget: map[string]*state{}, modules: modules}
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
		set.labelNames = append(set.labelNames, name)
	}
	sort.Strings(set.labelNames)
	for _, name := range set.labelNames {
		set.labelKeys = append(set.labelKeys, keyOf[name])
	}
	seen := map[string]*state{}
	interned := map[labelValue]*dto.LabelPair{}
	for _, ep := range endpoints {
		s := &state{record: new(record), ep: ep, target: target.Redact(ep.Target)}
		s.current.Store(s)
		for _, k := range set.labelKeys {
			s.labels = append(s.labels, ep.Labels[k])
		}
		id := set.seriesKey(s)
		if prev, dup := seen[id]; dup {
			return nil, &DuplicateError{Target: s.target, First: prev.ep.Where, Second: ep.Where}
		}
		seen[id] = s
		s.pairs = endpointPairs(set.labelNames, s, interned)
		// The values are in s.labels: keeping the map (the configuration's)
		// would cost some 600 bytes per endpoint.
		s.ep.Labels = nil
		set.endpoints = append(set.endpoints, s)
		if _, ok := set.byTarget[ep.Target]; !ok {
			set.byTarget[ep.Target] = s
		}
	}
	set.descs = newDescs(set.labelNames)
	return set, nil
}

// seriesKey identifies the series of s, a state of set: its target label
// and the labels it has a value for. Two configurations' endpoints with
// the same key have the same series.
func (set *endpointSet) seriesKey(s *state) string {
	var b strings.Builder
	b.WriteString(s.target)
	for i, v := range s.labels {
		if v != "" {
			b.WriteString("\x00" + set.labelNames[i] + "=" + v)
		}
	}
	return b.String()
}

// Endpoints returns how many endpoints the exporter checks.
func (e *Exporter) Endpoints() int { return len(e.set.Load().endpoints) }

// states returns the endpoints being checked.
func (e *Exporter) states() []*state { return e.set.Load().endpoints }

// Change counts what a Reload did to the endpoints.
type Change struct {
	// Added and Removed are the endpoints new to the configuration and
	// gone from it; Kept are those with the same target and labels, whose
	// series carry on.
	Added, Removed, Kept int
}

// Reload replaces the endpoints and /probe's modules with those build
// returns, while Run runs: at once for /metrics and /probe, and for Run's
// schedule at its next step. An endpoint with the same target and labels
// as one checked before keeps its latest result, counters and place in the
// schedule, so its series go on without a gap (its new settings apply from
// its next check; a check of it in flight finishes and counts). A removed
// endpoint's series vanish and its check in flight, if any, is cancelled;
// a new one is first checked at a random point of the first tenth of an
// interval, as at start.
//
// An error from build, or one New would give (*DuplicateError,
// *LabelError), changes nothing but the reload metrics: Reload returns it
// and the exporter goes on with what it had.
// certgate_config_last_reload_successful says how the latest reload went,
// and certgate_config_last_reload_success_timestamp_seconds when the
// latest successful one (or New) was.
func (e *Exporter) Reload(build func() ([]Endpoint, map[string]Endpoint, error)) (Change, error) {
	e.reloadMu.Lock()
	defer e.reloadMu.Unlock()
	c, err := e.reload(build)
	if err != nil {
		e.reloadOK.Store(false)
		return Change{}, err
	}
	e.reloadAt.Store(e.opts.Now().Unix())
	e.reloadOK.Store(true)
	return c, nil
}

func (e *Exporter) reload(build func() ([]Endpoint, map[string]Endpoint, error)) (Change, error) {
	endpoints, modules, err := build()
	if err != nil {
		return Change{}, err
	}
	next, err := newSet(endpoints, modules)
	if err != nil {
		return Change{}, err
	}
	prev := e.set.Load()
	old := make(map[string]*state, len(prev.endpoints))
	for _, s := range prev.endpoints {
		old[prev.seriesKey(s)] = s
	}
	var c Change
	for _, s := range next.endpoints {
		k := next.seriesKey(s)
		if p, ok := old[k]; ok {
			s.record = p.record // published below, with next
			delete(old, k)
			c.Kept++
		} else {
			c.Added++
		}
	}
	for _, s := range next.endpoints {
		s.current.Store(s)
	}
	e.set.Store(next)
	e.mu.Lock()
	for _, s := range old {
		s.removed.Store(true)
		if cancel := e.inflight[s.record]; cancel != nil {
			cancel()
		}
		c.Removed++
	}
	e.mu.Unlock()
	select {
	case e.reloaded <- struct{}{}:
	default:
	}
	return c, nil
}

// Run checks every endpoint, then again every interval, until ctx ends;
// then it cancels the checks in flight and returns once they have stopped.
// The first check of each endpoint comes at a random point in the first
// tenth of an interval (at most 30s), so a large configuration does not
// start all at once; later ones come an interval after the previous one was
// due, moved by up to a tenth of the interval either way. A check still
// queued or running when the next one is due is not started twice: the
// next one is skipped and counted (certgate_checks_skipped_total). After a
// Reload, the endpoints it kept stay on their schedule and new ones are
// scheduled as at start.
func (e *Exporter) Run(ctx context.Context) {
	q := newWorkQueue()
	var wg sync.WaitGroup
	defer wg.Wait()
	workers := 0
	// At most Concurrency workers, and no more than there are endpoints.
	hire := func(n int) {
		for ; workers < min(e.opts.Concurrency, n); workers++ {
			wg.Go(func() {
				for {
					s, ok := q.pop(ctx)
					if !ok {
						return
					}
					e.check(ctx, s)
					s.pending.Store(false)
				}
			})
		}
	}
	set := e.set.Load()
	hire(len(set.endpoints))
	due := e.schedule(set, nil, e.opts.Now())
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := e.opts.Now()
		for len(due) > 0 && due[0].at.Compare(now) <= 0 {
			it := &due[0]
			if it.s.pending.CompareAndSwap(false, true) {
				q.push(it.s)
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
		var tick <-chan time.Time
		if len(due) > 0 {
			timer.Reset(due[0].at.Sub(now))
			tick = timer.C
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-e.reloaded:
			set = e.set.Load()
			hire(len(set.endpoints))
			due = e.schedule(set, due, e.opts.Now())
		}
	}
}

// schedule returns the schedule of set's endpoints: those of prev keep
// their time, others are due at a random point of the first tenth of an
// interval from now (at most 30s).
func (e *Exporter) schedule(set *endpointSet, prev dueHeap, now time.Time) dueHeap {
	at := make(map[*record]time.Time, len(prev))
	for _, it := range prev {
		at[it.s.record] = it.at
	}
	spread := min(e.opts.Interval/10, 30*time.Second)
	due := make(dueHeap, 0, len(set.endpoints))
	for _, s := range set.endpoints {
		t, ok := at[s.record]
		if !ok {
			t = now
			if spread > 0 {
				t = now.Add(rand.N(spread))
			}
		}
		due = append(due, dueItem{at: t, s: s})
	}
	due.init()
	return due
}

// workQueue is the endpoints due and not yet being checked, first in
// first out. Each endpoint is in it at most once (its pending flag), so
// it holds at most the endpoints of the configurations in use.
type workQueue struct {
	mu    sync.Mutex
	items []*state
	// ready holds a token while items may be non-empty.
	ready chan struct{}
}

func newWorkQueue() *workQueue { return &workQueue{ready: make(chan struct{}, 1)} }

func (q *workQueue) push(s *state) {
	q.mu.Lock()
	q.items = append(q.items, s)
	q.mu.Unlock()
	q.signal()
}

func (q *workQueue) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// pop returns the first endpoint queued, waiting for one; false once ctx
// has ended.
func (q *workQueue) pop(ctx context.Context) (*state, bool) {
	for {
		if ctx.Err() != nil {
			return nil, false
		}
		q.mu.Lock()
		if len(q.items) > 0 {
			s := q.items[0]
			q.items[0] = nil
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				q.signal() // wake another worker
			}
			return s, true
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, false
		case <-q.ready:
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
	for _, s := range e.states() {
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
// cut short by ctx (shutdown) or by a reload that removed the endpoint
// records nothing; nor is an endpoint removed before its check started
// checked.
func (e *Exporter) check(ctx context.Context, s *state) {
	s = s.current.Load()
	e.mu.Lock()
	if s.removed.Load() {
		e.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(ctx)
	e.inflight[s.record] = cancel
	e.mu.Unlock()
	defer func() {
		e.mu.Lock()
		delete(e.inflight, s.record)
		e.mu.Unlock()
		cancel()
	}()
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
	below := false
	if ep.Finish != nil {
		below = ep.Finish(&r)
	}
	sum := summarize(&r, rec, e.opts.Now())
	sum.BelowMinGrade = below
	return sum, true
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
	// BelowMinGrade is set when Grade is below the least grade asked of
	// the endpoint (Endpoint.Finish said so): the check fails.
	BelowMinGrade bool
	// At is when the check finished.
	At time.Time
}

// Success tells whether the check passed, the value of
// certgate_check_success and probe_success: its status is ok or warn, and
// its grade, when one is asked, is not below it.
func (s *Summary) Success() bool {
	return (s.Status == result.StatusOK || s.Status == result.StatusWarn) && !s.BelowMinGrade
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

package exporter

import (
	"cmp"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/certgate/certgate/pkg/truststore"
)

// The /metrics handler streams the exposition one metric family at a time:
// it builds a family's dto.Metric values in a reusable arena, pointing at
// the strings the exporter already keeps, encodes the family with expfmt
// and reuses the arena for the next. A scrape of N endpoints thus holds one
// family (at most two series per address of each endpoint) rather than
// every series at once, and allocates next to nothing. The output is that
// of promhttp rendering Collector() through a Registry, byte for byte: the
// same families in the same order, each with its series sorted as the
// Registry sorts them.

// Label names, addressable for dto.LabelPair.
var (
	lnTarget   = "target"
	lnAddress  = "address"
	lnPosition = "position"
	lnStatus   = "status"
	lnStore    = "store"
	lnVersion  = "version"
	lnGrade    = "grade"
)

// The two positions of certgate_cert_not_after_seconds, shared by every
// scrape (encoders only read them).
var (
	pairLeaf     = &dto.LabelPair{Name: &lnPosition, Value: strPtr("leaf")}
	pairEarliest = &dto.LabelPair{Name: &lnPosition, Value: strPtr("earliest")}
)

func strPtr(s string) *string { return &s }

// labelValue is a configured label's value, by index in
// Exporter.labelNames.
type labelValue struct {
	name  int
	value string
}

// endpointPairs returns s's constant label pairs, sorted by name: its
// configured labels (label_*), shared through interned by every endpoint
// with the same value, and then its target ("target" sorts after every
// other label name of the families).
func endpointPairs(names []string, s *state, interned map[labelValue]*dto.LabelPair) []*dto.LabelPair {
	out := make([]*dto.LabelPair, 0, len(names)+1)
	for i := range names {
		k := labelValue{i, s.labels[i]}
		p := interned[k]
		if p == nil {
			p = &dto.LabelPair{Name: &names[i], Value: &s.labels[i]}
			interned[k] = p
		}
		out = append(out, p)
	}
	return append(out, &dto.LabelPair{Name: &lnTarget, Value: &s.target})
}

// arena holds the values of one family being encoded. Its slices are sized
// before a family is filled, so pointers into them stay valid while it is
// encoded; they are reused for the next family and the next scrape.
type arena struct {
	sums     []*Summary // each endpoint's summary, loaded once per scrape
	metrics  []dto.Metric
	ptrs     []*dto.Metric
	gauges   []dto.Gauge
	counters []dto.Counter
	values   []float64
	labels   []*dto.LabelPair
	pairs    []dto.LabelPair
	strs     []string
	fam      dto.MetricFamily
}

// reset empties a for a family of type typ of at most metrics series with
// at most labels label pairs in all, of which at most pairs are made for
// it.
func (a *arena) reset(typ dto.MetricType, metrics, labels, pairs int) {
	a.metrics = grow(a.metrics, metrics)
	a.ptrs = grow(a.ptrs, metrics)
	if typ == dto.MetricType_COUNTER {
		a.counters = grow(a.counters, metrics)
	} else {
		a.gauges = grow(a.gauges, metrics)
	}
	a.values = grow(a.values, metrics)
	a.labels = grow(a.labels, labels)
	a.pairs = grow(a.pairs, pairs)
	a.strs = grow(a.strs, pairs)
}

// grow returns s emptied, with room for n elements. What a smaller
// backing array held is dropped; a larger one's stale pointers are
// overwritten before they are read again.
func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, 0, n)
	}
	return s[:0]
}

// pair makes a label pair of name and value in a.
func (a *arena) pair(name *string, value string) *dto.LabelPair {
	a.strs = append(a.strs, value)
	a.pairs = append(a.pairs, dto.LabelPair{Name: name, Value: &a.strs[len(a.strs)-1]})
	return &a.pairs[len(a.pairs)-1]
}

// add appends a series of value with the endpoint's labels (nil for none)
// and up to two more: before sorts before label_*, after between label_*
// and target.
func (a *arena) add(typ dto.MetricType, value float64, ep []*dto.LabelPair, before, after *dto.LabelPair) {
	start := len(a.labels)
	if before != nil {
		a.labels = append(a.labels, before)
	}
	if len(ep) > 0 {
		a.labels = append(a.labels, ep[:len(ep)-1]...)
	}
	if after != nil {
		a.labels = append(a.labels, after)
	}
	if len(ep) > 0 {
		a.labels = append(a.labels, ep[len(ep)-1])
	}
	a.values = append(a.values, value)
	v := &a.values[len(a.values)-1]
	// a was reset for typ, so counters or gauges has room.
	a.metrics = append(a.metrics, dto.Metric{Label: a.labels[start:len(a.labels):len(a.labels)]})
	m := &a.metrics[len(a.metrics)-1]
	if typ == dto.MetricType_COUNTER {
		a.counters = append(a.counters, dto.Counter{Value: v})
		m.Counter = &a.counters[len(a.counters)-1]
	} else {
		a.gauges = append(a.gauges, dto.Gauge{Value: v})
		m.Gauge = &a.gauges[len(a.gauges)-1]
	}
	a.ptrs = append(a.ptrs, m)
}

// family is one metric family of /metrics: per endpoint (perEndpoint
// tells at most how many series an endpoint has, fill adds them), or
// exporter-wide (global resets a and adds the series).
type family struct {
	name, help  string
	typ         dto.MetricType
	extra       int // label pairs a series has besides the endpoint's
	pairEvery   int // one label pair is made per pairEvery series; 0: none
	perEndpoint func(s *state, sum *Summary) int
	fill        func(a *arena, s *state, sum *Summary)
	global      func(a *arena, g *globals)
}

// globals are what the exporter-wide families render.
type globals struct {
	endpoints int
	stores    []*truststore.Store
	reloadOK  bool
	reloadAt  int64
}

func hasSummary(_ *state, sum *Summary) int {
	if sum == nil {
		return 0
	}
	return 1
}

// families are the families of /metrics but the runtime's, sorted by
// name.
var families = sortedFamilies([]family{
	{name: MetricEndpoints, help: helpEndpoints, typ: dto.MetricType_GAUGE,
		global: func(a *arena, g *globals) {
			a.reset(dto.MetricType_GAUGE, 1, 0, 0)
			a.add(dto.MetricType_GAUGE, float64(g.endpoints), nil, nil, nil)
		}},
	{name: MetricReloadSuccess, help: helpReloadOK, typ: dto.MetricType_GAUGE,
		global: func(a *arena, g *globals) {
			a.reset(dto.MetricType_GAUGE, 1, 0, 0)
			a.add(dto.MetricType_GAUGE, boolValue(g.reloadOK), nil, nil, nil)
		}},
	{name: MetricReloadTime, help: helpReloadAt, typ: dto.MetricType_GAUGE,
		global: func(a *arena, g *globals) {
			a.reset(dto.MetricType_GAUGE, 1, 0, 0)
			a.add(dto.MetricType_GAUGE, float64(g.reloadAt), nil, nil, nil)
		}},
	{name: MetricStoreInfo, help: helpStoreInfo, typ: dto.MetricType_GAUGE,
		global: func(a *arena, g *globals) {
			stores := g.stores
			a.reset(dto.MetricType_GAUGE, len(stores), 2*len(stores), 2*len(stores))
			for _, st := range stores {
				a.add(dto.MetricType_GAUGE, 1, nil, a.pair(&lnStore, st.Name), a.pair(&lnVersion, st.Version))
			}
		}},
	{name: MetricNotAfter, help: helpNotAfter, typ: dto.MetricType_GAUGE, extra: 2, pairEvery: 2,
		perEndpoint: func(_ *state, sum *Summary) int {
			if sum == nil {
				return 0
			}
			return 2 * len(sum.Expiry)
		},
		fill: func(a *arena, s *state, sum *Summary) {
			for i := range sum.Expiry {
				x := &sum.Expiry[i]
				addr := a.pair(&lnAddress, x.Address)
				a.add(dto.MetricType_GAUGE, float64(x.Leaf.Unix()), s.pairs, addr, pairLeaf)
				a.add(dto.MetricType_GAUGE, float64(x.Earliest.Unix()), s.pairs, addr, pairEarliest)
			}
		}},
	{name: MetricCheckErrors, help: helpErrors, typ: dto.MetricType_COUNTER,
		perEndpoint: func(*state, *Summary) int { return 1 },
		fill: func(a *arena, s *state, _ *Summary) {
			a.add(dto.MetricType_COUNTER, float64(s.errors.Load()), s.pairs, nil, nil)
		}},
	{name: MetricSuccess, help: helpSuccess, typ: dto.MetricType_GAUGE, perEndpoint: hasSummary,
		fill: func(a *arena, s *state, sum *Summary) {
			a.add(dto.MetricType_GAUGE, boolValue(sum.Success()), s.pairs, nil, nil)
		}},
	{name: MetricSkipped, help: helpSkipped, typ: dto.MetricType_COUNTER,
		perEndpoint: func(*state, *Summary) int { return 1 },
		fill: func(a *arena, s *state, _ *Summary) {
			a.add(dto.MetricType_COUNTER, float64(s.skipped.Load()), s.pairs, nil, nil)
		}},
	{name: MetricChecks, help: helpChecks, typ: dto.MetricType_COUNTER,
		perEndpoint: func(*state, *Summary) int { return 1 },
		fill: func(a *arena, s *state, _ *Summary) {
			a.add(dto.MetricType_COUNTER, float64(s.checks.Load()), s.pairs, nil, nil)
		}},
	{name: MetricDuration, help: helpDuration, typ: dto.MetricType_GAUGE, perEndpoint: hasSummary,
		fill: func(a *arena, s *state, sum *Summary) {
			a.add(dto.MetricType_GAUGE, sum.Duration.Seconds(), s.pairs, nil, nil)
		}},
	{name: MetricLastCheck, help: helpLast, typ: dto.MetricType_GAUGE, perEndpoint: hasSummary,
		fill: func(a *arena, s *state, sum *Summary) {
			a.add(dto.MetricType_GAUGE, float64(sum.At.UnixMilli())/1000, s.pairs, nil, nil)
		}},
	{name: MetricResultCode, help: helpCode, typ: dto.MetricType_GAUGE, extra: 1, pairEvery: 1, perEndpoint: hasSummary,
		fill: func(a *arena, s *state, sum *Summary) {
			a.add(dto.MetricType_GAUGE, float64(sum.Code), s.pairs, nil, a.pair(&lnStatus, string(sum.Status)))
		}},
	{name: MetricGrade, help: helpGrade, typ: dto.MetricType_GAUGE, extra: 1, pairEvery: 1,
		perEndpoint: func(_ *state, sum *Summary) int {
			if sum == nil || sum.Grade == "" {
				return 0
			}
			return 1
		},
		fill: func(a *arena, s *state, sum *Summary) {
			if sum.Grade != "" {
				a.add(dto.MetricType_GAUGE, GradeRank(sum.Grade), s.pairs, a.pair(&lnGrade, sum.Grade), nil)
			}
		}},
	// The least grade asked is the configuration's: there before a check.
	{name: MetricGradeMin, help: helpGradeMin, typ: dto.MetricType_GAUGE, extra: 1, pairEvery: 1,
		perEndpoint: func(s *state, _ *Summary) int {
			if s.ep.MinGrade == "" {
				return 0
			}
			return 1
		},
		fill: func(a *arena, s *state, _ *Summary) {
			a.add(dto.MetricType_GAUGE, GradeRank(s.ep.MinGrade), s.pairs, a.pair(&lnGrade, s.ep.MinGrade), nil)
		}},
	{name: MetricTrusted, help: helpTrusted, typ: dto.MetricType_GAUGE, extra: 1, pairEvery: 1,
		perEndpoint: func(_ *state, sum *Summary) int {
			if sum == nil {
				return 0
			}
			return len(sum.Trusted)
		},
		fill: func(a *arena, s *state, sum *Summary) {
			for store, trusted := range sum.Trusted {
				v := 0.0
				if trusted {
					v = 1
				}
				a.add(dto.MetricType_GAUGE, v, s.pairs, nil, a.pair(&lnStore, store))
			}
		}},
})

func sortedFamilies(fs []family) []family {
	slices.SortFunc(fs, func(a, b family) int { return strings.Compare(a.name, b.name) })
	return fs
}

// compareSeries orders series as client_golang's Registry does: by number
// of labels, then by label values in order.
func compareSeries(a, b *dto.Metric) int {
	if c := cmp.Compare(len(a.Label), len(b.Label)); c != 0 {
		return c
	}
	for i, l := range a.Label {
		if c := strings.Compare(*l.Value, *b.Label[i].Value); c != 0 {
			return c
		}
	}
	return 0
}

// metricsHandler serves /metrics: the exporter's families streamed, then
// those of a registry of the Go runtime's and the process's collectors.
type metricsHandler struct {
	e        *Exporter
	runtime  prometheus.Gatherer
	inFlight chan struct{}
	arenas   sync.Pool
}

func newMetricsHandler(e *Exporter) *metricsHandler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return &metricsHandler{e: e, runtime: reg, inFlight: make(chan struct{}, MaxScrapesInFlight),
		arenas: sync.Pool{New: func() any { return new(arena) }}}
}

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// ServeHTTP answers as promhttp.HandlerFor does with MaxRequestsInFlight:
// the format negotiated from Accept (Prometheus text, or protobuf), gzip
// when Accept-Encoding allows it, name[] parameters selecting families, 503
// beyond MaxScrapesInFlight scrapes at once.
func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", MaxScrapesInFlight), http.StatusServiceUnavailable)
		return
	}
	stores, err := h.e.opts.LoadStores()
	if err != nil {
		stores = nil // as the collector: no certgate_store_info
	}
	runtime, err := h.runtime.Gather()
	if err != nil {
		http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
		return
	}
	var only map[string]bool
	if names := req.URL.Query()["name[]"]; len(names) > 0 {
		only = map[string]bool{}
		for _, n := range names {
			only[n] = true
		}
	}
	format := expfmt.NegotiateAccept(req.Header, expfmt.DefaultAcceptedFormats()...)
	hdr := w.Header()
	hdr.Add("Vary", "Accept")
	hdr.Add("Vary", "Accept-Encoding")
	hdr.Set("Content-Type", string(format))
	var out io.Writer = w
	if acceptsGzip(req.Header.Get("Accept-Encoding")) {
		hdr.Set("Content-Encoding", "gzip")
		gz := gzipWriters.Get().(*gzip.Writer)
		gz.Reset(w)
		defer func() { _ = gz.Close(); gzipWriters.Put(gz) }()
		out = gz
	}
	// Every name /metrics has (certgate's, client_golang's runtime ones) is
	// a legacy Prometheus name, so escaping would change nothing but copy
	// each family's series list: encode without it.
	enc := expfmt.NewEncoder(out, format.WithEscapingScheme(model.NoEscaping))
	a := h.arenas.Get().(*arena)
	defer h.arenas.Put(a)
	if err := h.e.encode(enc, a, stores, only); err != nil {
		return // the client went away
	}
	for _, mf := range runtime {
		if only != nil && !only[mf.GetName()] {
			continue
		}
		if err := enc.Encode(mf); err != nil {
			return
		}
	}
	if c, ok := enc.(expfmt.Closer); ok {
		_ = c.Close()
	}
}

// acceptsGzip tells whether an Accept-Encoding header allows gzip: listed
// (or "*") without q=0.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		if q > 0 {
			return true
		}
	}
	return false
}

// encode writes the exporter's families to enc, one at a time, in a; only,
// when not nil, selects families by name.
func (e *Exporter) encode(enc expfmt.Encoder, a *arena, stores []*truststore.Store, only map[string]bool) error {
	set := e.set.Load()
	a.sums = grow(a.sums, len(set.endpoints))
	for _, s := range set.endpoints {
		a.sums = append(a.sums, s.last.Load())
	}
	defer clear(a.sums[:cap(a.sums)]) // keep no summary until the next scrape
	g := &globals{endpoints: len(set.endpoints), stores: stores, reloadOK: e.reloadOK.Load(), reloadAt: e.reloadAt.Load()}
	nLabels := len(set.labelNames) + 1
	for i := range families {
		f := &families[i]
		if only != nil && !only[f.name] {
			continue
		}
		if f.global != nil {
			f.global(a, g)
		} else {
			n := 0
			for j, s := range set.endpoints {
				n += f.perEndpoint(s, a.sums[j])
			}
			pairs := 0
			if f.pairEvery > 0 {
				pairs = n / f.pairEvery
			}
			a.reset(f.typ, n, n*(nLabels+f.extra), pairs)
			for j, s := range set.endpoints {
				if sum := a.sums[j]; f.perEndpoint(s, sum) > 0 {
					f.fill(a, s, sum)
				}
			}
		}
		if len(a.ptrs) == 0 {
			continue
		}
		slices.SortFunc(a.ptrs, compareSeries)
		name, help, typ := f.name, f.help, f.typ
		a.fam = dto.MetricFamily{Name: &name, Help: &help, Type: &typ, Metric: a.ptrs}
		err := enc.Encode(&a.fam)
		a.fam.Metric = nil
		if err != nil {
			return err
		}
	}
	return nil
}

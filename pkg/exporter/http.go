package exporter

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
)

// Handler returns the exporter's HTTP handler: /metrics (the latest result
// of every endpoint, the stores' versions, and the Go runtime's and
// process's metrics), /probe (a fresh check of one target) and /healthz.
func (e *Exporter) Handler() http.Handler {
	mux := http.NewServeMux()
	// Each scrape streams the endpoints' series one family at a time: a few
	// scrapes at a time bound the memory, and more get 503 (Prometheus
	// retries next time).
	mux.Handle("GET /metrics", newMetricsHandler(e))
	mux.HandleFunc("GET /probe", e.serveProbe)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<html><head><title>certgate exporter</title></head><body><h1>certgate exporter</h1><p><a href="/metrics">Metrics</a> · <a href="/healthz">Health</a> · /probe?target=HOST[&amp;module=NAME]</p></body></html>`)
	})
	return mux
}

// MaxScrapesInFlight is the number of /metrics requests answered at once.
const MaxScrapesInFlight = 4

// Probe metric names: a probe's registry has these besides the certgate_
// metrics of its one target.
const (
	// MetricProbeSuccess is 1 when the target passed (ok or warn).
	MetricProbeSuccess = "probe_success"
	// MetricProbeDuration is the time the probe took.
	MetricProbeDuration = "probe_duration_seconds"
)

// probeMargin is left of Prometheus' scrape timeout for the answer.
const probeMargin = 500 * time.Millisecond

// serveProbe checks one target now and answers with its metrics alone.
func (e *Exporter) serveProbe(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	raw := q.Get("target")
	if raw == "" {
		http.Error(w, "the target parameter is missing: /probe?target=https://host[&module=NAME]", http.StatusBadRequest)
		return
	}
	ep, status, msg := e.probeEndpoint(raw, q.Get("module"), q.Has("module"))
	if status != http.StatusOK {
		http.Error(w, msg, status)
		return
	}
	ctx := req.Context()
	if s := req.Header.Get("X-Prometheus-Scrape-Timeout-Seconds"); s != "" {
		if secs, err := strconv.ParseFloat(s, 64); err == nil && secs > 0 {
			d := time.Duration(secs*float64(time.Second)) - probeMargin
			if d < probeMargin {
				d = probeMargin
			}
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
			if ep.Probe.Timeout <= 0 || ep.Probe.Timeout > d {
				ep.Probe.Timeout = d
			}
		}
	}
	select {
	case e.probeSem <- struct{}{}:
	case <-ctx.Done():
		http.Error(w, "too many probes in flight: raise -c, or scrape less often", http.StatusServiceUnavailable)
		return
	}
	start := time.Now()
	sum, ok := e.checkEndpoint(ctx, ep)
	<-e.probeSem
	if !ok {
		http.Error(w, "the probe was cut short (the scrape timed out or the exporter is stopping)", http.StatusServiceUnavailable)
		return
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&probeCollector{tgt: target.Redact(raw), sum: sum, took: time.Since(start), minGrade: ep.MinGrade,
		d: newDescs(nil), storeInfo: storeInfoDesc(), load: e.opts.LoadStores})
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, req)
}

// probeEndpoint returns the settings to probe raw with, or an HTTP status
// and message saying why it may not be probed. A configured target is
// checked with its own settings unless a module is named; any other target
// only with Options.ProbeAny or a matching Options.ProbeAllow pattern.
func (e *Exporter) probeEndpoint(raw, module string, hasModule bool) (Endpoint, int, string) {
	var ep Endpoint
	set := e.set.Load()
	configured, isConfigured := set.byTarget[raw]
	switch {
	case hasModule:
		m, ok := set.modules[module]
		if !ok {
			return ep, http.StatusBadRequest, fmt.Sprintf("module %q is not known: use one of %s, or leave module out", module, strings.Join(e.ModuleNames(), ", "))
		}
		ep = m
	case isConfigured:
		ep = configured.ep
	default:
		ep = set.modules[""]
	}
	ep.Target, ep.Labels, ep.Where = raw, nil, "/probe"
	if isConfigured || e.opts.ProbeAny {
		return ep, http.StatusOK, ""
	}
	if t, err := target.Parse(raw); err == nil {
		for _, pat := range e.opts.ProbeAllow {
			if ok, _ := path.Match(strings.ToLower(pat), t.Host); ok {
				return ep, http.StatusOK, ""
			}
		}
	}
	return ep, http.StatusForbidden, fmt.Sprintf("target %q is not in the configuration: add it there, or start certgate serve with --probe-allow PATTERN (such as *.example.com) or --probe-any", target.Redact(raw))
}

// ModuleNames returns the names /probe?module= accepts, sorted.
func (e *Exporter) ModuleNames() []string {
	var names []string
	for n := range e.set.Load().modules {
		if n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// probeCollector renders one probe's result.
type probeCollector struct {
	tgt       string
	sum       *Summary
	minGrade  string
	took      time.Duration
	d         *descs
	storeInfo *prometheus.Desc
	load      func() ([]*truststore.Store, error)
}

var (
	probeSuccessDesc  = prometheus.NewDesc(MetricProbeSuccess, "1 when the target passed (status ok or warn, and a grade not below the least asked), else 0.", nil, nil)
	probeDurationDesc = prometheus.NewDesc(MetricProbeDuration, "Time the probe took.", nil, nil)
)

// Describe sends nothing: the collector is unchecked.
func (c *probeCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends the probe's metrics.
func (c *probeCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(probeSuccessDesc, prometheus.GaugeValue, boolValue(c.sum.Success()))
	ch <- prometheus.MustNewConstMetric(probeDurationDesc, prometheus.GaugeValue, c.took.Seconds())
	c.d.emitGradeMin(ch, c.tgt, nil, c.minGrade)
	c.d.emitSummary(ch, c.tgt, nil, c.sum)
	emitStores(ch, c.storeInfo, c.load)
}

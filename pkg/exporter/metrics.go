package exporter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certgate/certgate/pkg/truststore"
)

// Metric names. Every series of an endpoint also carries its configured
// labels as label_<name>.
const (
	// MetricNotAfter is the notAfter of the leaf (position="leaf") and the
	// earliest of the path (position="earliest"), per address, in Unix
	// seconds.
	MetricNotAfter = "certgate_cert_not_after_seconds"
	// MetricResultCode is the result's code (0 when ok or warn), with its
	// status as a label.
	MetricResultCode = "certgate_result_code"
	// MetricSuccess is 1 when the result is ok or warn, else 0.
	MetricSuccess = "certgate_check_success"
	// MetricTrusted is 1 when the store trusts the chain, else 0.
	MetricTrusted = "certgate_trusted"
	// MetricDuration is the time the latest check took.
	MetricDuration = "certgate_handshake_duration_seconds"
	// MetricGrade is the scan's grade as a rank (A+ 7 … F 0, T and M -1),
	// with the letter as a label.
	MetricGrade = "certgate_scan_grade"
	// MetricGradeMin is the least grade asked of the endpoint's scan (its
	// expect.min_grade) as a rank on MetricGrade's scale, with the letter
	// as a label: with --scan, for endpoints that set one.
	MetricGradeMin = "certgate_scan_grade_min"
	// MetricLastCheck is when the latest check finished, in Unix seconds.
	MetricLastCheck = "certgate_last_check_timestamp_seconds"
	// MetricChecks counts the checks made since start.
	MetricChecks = "certgate_checks_total"
	// MetricCheckErrors counts the checks whose status was error (no
	// certificate could be judged: DNS, TCP, handshake).
	MetricCheckErrors = "certgate_check_errors_total"
	// MetricSkipped counts the checks not started because the previous one
	// was still queued or running.
	MetricSkipped = "certgate_checks_skipped_total"
	// MetricStoreInfo is 1 for each trust store, with its version.
	MetricStoreInfo = "certgate_store_info"
	// MetricEndpoints is the number of configured endpoints.
	MetricEndpoints = "certgate_endpoints"
	// MetricReloadSuccess is 1 when the latest reload of the
	// configuration succeeded (or none was asked yet), 0 when it failed
	// and the previous configuration is still in use; named as
	// Prometheus names its own.
	MetricReloadSuccess = "certgate_config_last_reload_successful"
	// MetricReloadTime is when the configuration was last loaded
	// successfully (at start, or by a reload), in Unix seconds.
	MetricReloadTime = "certgate_config_last_reload_success_timestamp_seconds"
)

// MetricNames returns the names of every metric the exporter and /probe
// give, besides the Go runtime's and the process's.
func MetricNames() []string {
	return []string{MetricNotAfter, MetricResultCode, MetricSuccess, MetricTrusted, MetricDuration, MetricGrade,
		MetricGradeMin, MetricLastCheck, MetricChecks, MetricCheckErrors, MetricSkipped, MetricStoreInfo, MetricEndpoints,
		MetricReloadSuccess, MetricReloadTime, MetricProbeSuccess, MetricProbeDuration}
}

// LabelPrefix is put before the name of each configured label.
const LabelPrefix = "label_"

// LabelError is New's error about a configured label key.
type LabelError struct {
	// Key is the label key as configured; Where names the endpoint.
	Key, Where string
	Err        error
}

func (e *LabelError) Error() string {
	return fmt.Sprintf("%s: label %q: %v", e.Where, e.Key, e.Err)
}

func (e *LabelError) Unwrap() error { return e.Err }

// ErrLabelName is the cause of LabelName's error.
var ErrLabelName = errors.New("not usable as a metric label name: use letters, digits and underscores, starting with a letter or underscore")

// maxLabelName caps a label key's length.
const maxLabelName = 100

// LabelName returns the Prometheus label name of a configured label key:
// LabelPrefix and the key in snake_case ("Team-Name" → label_team_name).
// A key that is empty, too long, or has characters other than ASCII
// letters, digits, '_', '-', '.' and ' ', or starts with another character
// than a letter or '_', is an error wrapping ErrLabelName.
func LabelName(key string) (string, error) {
	if key == "" || len(key) > maxLabelName {
		return "", ErrLabelName
	}
	var b strings.Builder
	b.WriteString(LabelPrefix)
	for i := 0; i < len(key); i++ {
		c := key[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
			b.WriteByte(c)
		case c >= 'A' && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c == '-' || c == '.' || c == ' ':
			b.WriteByte('_')
		default:
			return "", ErrLabelName
		}
	}
	c := key[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return "", ErrLabelName
	}
	return b.String(), nil
}

// GradeRank is the value of certgate_scan_grade for a grade: A+ 7, A 6,
// A- 5, B 4, C 3, D 2, E 1, F 0, T and M (and anything else) -1. "Below B"
// is < 4.
func GradeRank(g string) float64 {
	switch g {
	case "A+":
		return 7
	case "A":
		return 6
	case "A-":
		return 5
	case "B":
		return 4
	case "C":
		return 3
	case "D":
		return 2
	case "E":
		return 1
	case "F":
		return 0
	}
	return -1
}

// descs are the metric descriptions for one set of extra label names.
type descs struct {
	notAfter, code, success, trusted, duration, grade, gradeMin, last, checks, errs, skipped *prometheus.Desc
}

// Help texts of the metrics, shared by the collector and the streamed
// /metrics.
const (
	helpNotAfter  = "notAfter of the leaf (position=leaf) and the earliest of the path to the root (position=earliest) served at each address, in Unix seconds."
	helpCode      = "The result's code (11235 name mismatch, 11236 expired, 11237 no trusted path, 112xx connection); 0 when the status is ok or warn."
	helpSuccess   = "1 when the latest check passed (status ok or warn, and with --scan a grade not below the endpoint's expect.min_grade), else 0."
	helpTrusted   = "1 when the trust store passes the chain for the host, else 0."
	helpDuration  = "Time the latest check took: connect and handshakes, every address."
	helpGrade     = "The scan's grade as a rank: A+ 7, A 6, A- 5, B 4, C 3, D 2, E 1, F 0, T and M -1."
	helpGradeMin  = "The least grade asked of the endpoint (expect.min_grade) as a rank on certgate_scan_grade's scale; a check graded below it fails."
	helpLast      = "When the latest check finished, in Unix seconds."
	helpChecks    = "Checks completed since the exporter started."
	helpErrors    = "Checks whose status was error (no certificate judged: DNS, TCP, handshake)."
	helpSkipped   = "Checks not started because the previous check of the endpoint was still queued or running."
	helpStoreInfo = "Trust stores the chains are judged against, with the version of their snapshot."
	helpEndpoints = "Endpoints in the configuration."
	helpReloadOK  = "1 when the latest reload of the configuration succeeded, 0 when it failed (the previous configuration is still in use)."
	helpReloadAt  = "When the configuration was last loaded successfully, in Unix seconds."
)

func newDescs(extra []string) *descs {
	l := func(names ...string) []string { return append(names, extra...) }
	return &descs{
		notAfter: prometheus.NewDesc(MetricNotAfter, helpNotAfter, l("target", "address", "position"), nil),
		code:     prometheus.NewDesc(MetricResultCode, helpCode, l("target", "status"), nil),
		success:  prometheus.NewDesc(MetricSuccess, helpSuccess, l("target"), nil),
		trusted:  prometheus.NewDesc(MetricTrusted, helpTrusted, l("target", "store"), nil),
		duration: prometheus.NewDesc(MetricDuration, helpDuration, l("target"), nil),
		grade:    prometheus.NewDesc(MetricGrade, helpGrade, l("target", "grade"), nil),
		gradeMin: prometheus.NewDesc(MetricGradeMin, helpGradeMin, l("target", "grade"), nil),
		last:     prometheus.NewDesc(MetricLastCheck, helpLast, l("target"), nil),
		checks:   prometheus.NewDesc(MetricChecks, helpChecks, l("target"), nil),
		errs:     prometheus.NewDesc(MetricCheckErrors, helpErrors, l("target"), nil),
		skipped:  prometheus.NewDesc(MetricSkipped, helpSkipped, l("target"), nil),
	}
}

// emitSummary sends the metrics of one endpoint's latest summary.
func (d *descs) emitSummary(ch chan<- prometheus.Metric, tgt string, extra []string, s *Summary) {
	lv := func(vals ...string) []string { return append(vals, extra...) }
	for _, x := range s.Expiry {
		ch <- prometheus.MustNewConstMetric(d.notAfter, prometheus.GaugeValue, float64(x.Leaf.Unix()), lv(tgt, x.Address, "leaf")...)
		ch <- prometheus.MustNewConstMetric(d.notAfter, prometheus.GaugeValue, float64(x.Earliest.Unix()), lv(tgt, x.Address, "earliest")...)
	}
	ch <- prometheus.MustNewConstMetric(d.code, prometheus.GaugeValue, float64(s.Code), lv(tgt, string(s.Status))...)
	ch <- prometheus.MustNewConstMetric(d.success, prometheus.GaugeValue, boolValue(s.Success()), lv(tgt)...)
	for store, trusted := range s.Trusted {
		v := 0.0
		if trusted {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(d.trusted, prometheus.GaugeValue, v, lv(tgt, store)...)
	}
	ch <- prometheus.MustNewConstMetric(d.duration, prometheus.GaugeValue, s.Duration.Seconds(), lv(tgt)...)
	if s.Grade != "" {
		ch <- prometheus.MustNewConstMetric(d.grade, prometheus.GaugeValue, GradeRank(s.Grade), lv(tgt, s.Grade)...)
	}
	ch <- prometheus.MustNewConstMetric(d.last, prometheus.GaugeValue, float64(s.At.UnixMilli())/1000, lv(tgt)...)
}

// emitGradeMin sends the least grade asked of an endpoint, if any.
func (d *descs) emitGradeMin(ch chan<- prometheus.Metric, tgt string, extra []string, min string) {
	if min != "" {
		ch <- prometheus.MustNewConstMetric(d.gradeMin, prometheus.GaugeValue, GradeRank(min), append([]string{tgt, min}, extra...)...)
	}
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collector renders the exporter's latest summaries: an unchecked
// collector, so an endpoint without a result yet has no series but its
// counters (and its least grade), and the series are exactly those of the
// configuration in use.
type collector struct {
	e                             *Exporter
	storeInfo                     *prometheus.Desc
	endpoints, reloadOK, reloadAt *prometheus.Desc
}

// Describe sends nothing: the collector is unchecked.
func (c *collector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every endpoint's metrics and the stores' versions.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	set := c.e.set.Load()
	d := set.descs
	for _, s := range set.endpoints {
		lv := func(vals ...string) []string { return append(vals, s.labels...) }
		ch <- prometheus.MustNewConstMetric(d.checks, prometheus.CounterValue, float64(s.checks.Load()), lv(s.target)...)
		ch <- prometheus.MustNewConstMetric(d.errs, prometheus.CounterValue, float64(s.errors.Load()), lv(s.target)...)
		ch <- prometheus.MustNewConstMetric(d.skipped, prometheus.CounterValue, float64(s.skipped.Load()), lv(s.target)...)
		d.emitGradeMin(ch, s.target, s.labels, s.ep.MinGrade)
		if sum := s.last.Load(); sum != nil {
			d.emitSummary(ch, s.target, s.labels, sum)
		}
	}
	ch <- prometheus.MustNewConstMetric(c.endpoints, prometheus.GaugeValue, float64(len(set.endpoints)))
	ch <- prometheus.MustNewConstMetric(c.reloadOK, prometheus.GaugeValue, boolValue(c.e.reloadOK.Load()))
	ch <- prometheus.MustNewConstMetric(c.reloadAt, prometheus.GaugeValue, float64(c.e.reloadAt.Load()))
	emitStores(ch, c.storeInfo, c.e.opts.LoadStores)
}

func emitStores(ch chan<- prometheus.Metric, d *prometheus.Desc, load func() ([]*truststore.Store, error)) {
	stores, err := load()
	if err != nil {
		return
	}
	for _, st := range stores {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 1, st.Name, st.Version)
	}
}

func storeInfoDesc() *prometheus.Desc {
	return prometheus.NewDesc(MetricStoreInfo, helpStoreInfo, []string{"store", "version"}, nil)
}

// Collector returns the collector of the exporter's metrics, for a
// registry of the caller's.
func (e *Exporter) Collector() prometheus.Collector {
	return &collector{e: e, storeInfo: storeInfoDesc(),
		endpoints: prometheus.NewDesc(MetricEndpoints, helpEndpoints, nil, nil),
		reloadOK:  prometheus.NewDesc(MetricReloadSuccess, helpReloadOK, nil, nil),
		reloadAt:  prometheus.NewDesc(MetricReloadTime, helpReloadAt, nil, nil)}
}

package exporter

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/runner"
	"github.com/certgate/certgate/pkg/target"
	"github.com/certgate/certgate/pkg/truststore"
)

// fleet is a test CA's store and TLS servers on loopback, each presenting
// a leaf for example.test.
type fleet struct {
	store *truststore.Store
	root  *testpki.CA
}

func newFleet(t *testing.T) *fleet {
	t.Helper()
	root := testpki.NewRoot(t, "Exporter Test Root")
	store, err := truststore.Load(testpki.WritePEM(t, "root.pem", root.Cert))
	if err != nil {
		t.Fatal(err)
	}
	return &fleet{store: store, root: root}
}

// serve starts a server presenting a leaf valid until notAfter and returns
// an endpoint for it, reached through a resolve entry.
func (f *fleet) serve(t *testing.T, notAfter time.Time) (Endpoint, *testpki.Leaf) {
	t.Helper()
	leaf := f.root.Leaf(t, testpki.DNS("example.test"), testpki.Validity(testpki.Epoch.AddDate(0, -3, 0), notAfter))
	addr := testpki.ServeCert(t, leaf)
	return f.endpoint(addr), leaf
}

func (f *fleet) endpoint(addr string) Endpoint {
	_, port, _ := net.SplitHostPort(addr)
	return Endpoint{
		Target:   "https://example.test:" + port,
		Probe:    probe.Options{Timeout: 5 * time.Second, Resolve: map[string]string{"example.test:" + port: "127.0.0.1"}},
		WarnDays: 30,
	}
}

func (f *fleet) options() Options {
	return Options{
		Concurrency: 4,
		LoadStores:  func() ([]*truststore.Store, error) { return []*truststore.Store{f.store}, nil },
		Now:         func() time.Time { return testpki.Epoch },
	}
}

// scrape GETs path from h and parses the exposition.
func scrape(t *testing.T, h http.Handler, path string) (map[string]*dto.MetricFamily, int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		return nil, rec.Code, body
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("GET %s: parsing the exposition: %v\n%s", path, err, body)
	}
	return fams, rec.Code, body
}

// series returns the values of name whose labels include want.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) []float64 {
	var out []float64
	f := fams[name]
	if f == nil {
		return nil
	}
next:
	for _, m := range f.Metric {
		got := map[string]string{}
		for _, l := range m.Label {
			got[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if got[k] != v {
				continue next
			}
		}
		switch {
		case m.Gauge != nil:
			out = append(out, m.Gauge.GetValue())
		case m.Counter != nil:
			out = append(out, m.Counter.GetValue())
		case m.Untyped != nil:
			out = append(out, m.Untyped.GetValue())
		}
	}
	return out
}

func one(t *testing.T, fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	t.Helper()
	vs := series(fams, name, want)
	if len(vs) != 1 {
		t.Fatalf("%s%v: %d series, want 1", name, want, len(vs))
	}
	return vs[0]
}

// TestMetrics checks a good, an expiring, an expired and an unreachable
// endpoint and reads each one's series from /metrics.
func TestMetrics(t *testing.T) {
	f := newFleet(t)
	goodEP, goodLeaf := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	soonEP, soonLeaf := f.serve(t, testpki.Epoch.AddDate(0, 0, 10))
	expiredEP, expiredLeaf := f.serve(t, testpki.Epoch.AddDate(0, 0, -2))
	downEP := f.endpoint(testpki.ClosedPort(t))
	goodEP.Labels = map[string]string{"team": "payments", "Env-Name": "prod"}
	soonEP.Labels = map[string]string{"team": "web"}
	e, err := New([]Endpoint{goodEP, soonEP, expiredEP, downEP}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	fams, code, body := scrape(t, e.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	addr := func(ep Endpoint) string {
		u, _ := url.Parse(ep.Target)
		return "127.0.0.1:" + u.Port()
	}
	for _, c := range []struct {
		name     string
		ep       Endpoint
		leaf     *testpki.Leaf
		status   string
		code     float64
		success  float64
		trusted  float64
		extraLbl map[string]string
	}{
		{"good", goodEP, goodLeaf, "ok", 0, 1, 1, map[string]string{"label_team": "payments", "label_env_name": "prod"}},
		{"expiring", soonEP, soonLeaf, "warn", 0, 1, 1, map[string]string{"label_team": "web", "label_env_name": ""}},
		{"expired", expiredEP, expiredLeaf, "fail", 11236, 0, 0, map[string]string{"label_team": ""}},
		{"down", downEP, nil, "error", 11202, 0, -1, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			lbl := func(kv ...string) map[string]string {
				m := map[string]string{"target": c.ep.Target}
				for k, v := range c.extraLbl {
					m[k] = v
				}
				for i := 0; i+1 < len(kv); i += 2 {
					m[kv[i]] = kv[i+1]
				}
				return m
			}
			if got := one(t, fams, MetricResultCode, lbl("status", c.status)); got != c.code {
				t.Errorf("%s = %v, want %v", MetricResultCode, got, c.code)
			}
			if n := len(series(fams, MetricResultCode, lbl())); n != 1 {
				t.Errorf("%s: %d series for the target, want 1 (the latest status only)", MetricResultCode, n)
			}
			if got := one(t, fams, MetricSuccess, lbl()); got != c.success {
				t.Errorf("%s = %v, want %v", MetricSuccess, got, c.success)
			}
			if got := one(t, fams, MetricChecks, lbl()); got != 1 {
				t.Errorf("%s = %v, want 1", MetricChecks, got)
			}
			wantErrs := 0.0
			if c.status == "error" {
				wantErrs = 1
			}
			if got := one(t, fams, MetricCheckErrors, lbl()); got != wantErrs {
				t.Errorf("%s = %v, want %v", MetricCheckErrors, got, wantErrs)
			}
			if got := one(t, fams, MetricLastCheck, lbl()); got != float64(testpki.Epoch.Unix()) {
				t.Errorf("%s = %v, want %v", MetricLastCheck, got, testpki.Epoch.Unix())
			}
			one(t, fams, MetricDuration, lbl())
			if c.leaf == nil {
				if vs := series(fams, MetricNotAfter, lbl()); len(vs) != 0 {
					t.Errorf("%s: %v for an endpoint that presented no certificate", MetricNotAfter, vs)
				}
				if vs := series(fams, MetricTrusted, lbl()); len(vs) != 0 {
					t.Errorf("%s: %v for an endpoint that presented no certificate", MetricTrusted, vs)
				}
				return
			}
			want := float64(c.leaf.Cert.NotAfter.Unix())
			if got := one(t, fams, MetricNotAfter, lbl("address", addr(c.ep), "position", "leaf")); got != want {
				t.Errorf("leaf notAfter = %v, want %v", got, want)
			}
			// The test root outlives every leaf: the path's earliest is the leaf's.
			if got := one(t, fams, MetricNotAfter, lbl("address", addr(c.ep), "position", "earliest")); got != want {
				t.Errorf("earliest notAfter = %v, want %v", got, want)
			}
			if got := one(t, fams, MetricTrusted, lbl("store", f.store.Name)); got != c.trusted {
				t.Errorf("%s = %v, want %v", MetricTrusted, got, c.trusted)
			}
		})
	}
	if got := one(t, fams, MetricStoreInfo, map[string]string{"store": f.store.Name, "version": f.store.Version}); got != 1 {
		t.Errorf("%s = %v, want 1", MetricStoreInfo, got)
	}
	if got := one(t, fams, MetricEndpoints, nil); got != 4 {
		t.Errorf("%s = %v, want 4", MetricEndpoints, got)
	}
	if _, ok := fams[MetricGrade]; ok {
		t.Errorf("%s present without a scan", MetricGrade)
	}
}

// TestLint runs promlint, Prometheus' own naming and help checks, over the
// exporter's metrics.
func TestLint(t *testing.T) {
	f := newFleet(t)
	ep, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	ep.Labels = map[string]string{"team": "a"}
	e, err := New([]Endpoint{ep}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(e.Collector())
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
}

// TestSeriesFollowTheConfiguration: the collector renders only the
// configured endpoints, so an endpoint left out of a new configuration has
// no series, and each endpoint has a fixed number of them.
func TestSeriesFollowTheConfiguration(t *testing.T) {
	f := newFleet(t)
	a, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	b, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	count := func(eps ...Endpoint) map[string]int {
		e, err := New(eps, f.options())
		if err != nil {
			t.Fatal(err)
		}
		for range 3 { // repeated checks add no series
			e.CheckAll(context.Background())
		}
		fams, _, _ := scrape(t, e.Handler(), "/metrics")
		n := map[string]int{}
		for _, fam := range fams {
			for _, m := range fam.Metric {
				for _, l := range m.Label {
					if l.GetName() == "target" {
						n[l.GetValue()]++
					}
				}
			}
		}
		return n
	}
	both := count(a, b)
	if len(both) != 2 || both[a.Target] != both[b.Target] {
		t.Fatalf("series per target = %v, want the same number for both", both)
	}
	// code, success, trusted, duration, last check, 3 counters, 2 notAfter
	if both[a.Target] != 10 {
		t.Errorf("series per target = %d, want 10", both[a.Target])
	}
	onlyA := count(a)
	if _, ok := onlyA[b.Target]; ok || len(onlyA) != 1 {
		t.Errorf("series per target after removing %s = %v", b.Target, onlyA)
	}
}

// stallServer accepts connections and holds each until the test ends,
// counting the connections open at once.
type stallServer struct {
	open, max, total atomic.Int64
	release          chan struct{}
}

func newStallServer(t *testing.T) (*stallServer, string) {
	s := &stallServer{release: make(chan struct{})}
	var once sync.Once
	t.Cleanup(func() { once.Do(func() { close(s.release) }) })
	addr := testpki.ServeRaw(t, func(c net.Conn) {
		n := s.open.Add(1)
		s.total.Add(1)
		for {
			m := s.max.Load()
			if n <= m || s.max.CompareAndSwap(m, n) {
				break
			}
		}
		// Hold until the client gives up or the test ends.
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, c); close(done) }()
		select {
		case <-done:
		case <-s.release:
		}
		s.open.Add(-1)
	})
	return s, addr
}

// TestNoOverlappingChecks: a check that is still running when its next
// one is due is not started twice; the skipped checks are counted, and
// stopping Run cancels the check in flight.
func TestNoOverlappingChecks(t *testing.T) {
	f := newFleet(t)
	srv, addr := newStallServer(t)
	ep := f.endpoint(addr)
	ep.Probe.Timeout = time.Minute
	opts := f.options()
	opts.Now = time.Now
	opts.Interval = 10 * time.Millisecond
	e, err := New([]Endpoint{ep}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { e.Run(ctx); close(stopped) }()
	for e.states()[0].skipped.Load() < 5 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-stopped
	if m := srv.max.Load(); m != 1 {
		t.Errorf("%d connections open at once, want 1", m)
	}
	if n := srv.total.Load(); n != 1 {
		t.Errorf("%d checks started, want 1 (the rest skipped while it ran)", n)
	}
	if n := e.states()[0].checks.Load(); n != 0 {
		t.Errorf("%d checks recorded, want 0 (the one in flight was cancelled, not recorded)", n)
	}
}

// TestRunChecksAgain: Run checks each endpoint again on its interval.
func TestRunChecksAgain(t *testing.T) {
	f := newFleet(t)
	ep, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	opts := f.options()
	opts.Interval = 20 * time.Millisecond
	opts.Now = time.Now
	e, err := New([]Endpoint{ep, f.endpoint(testpki.ClosedPort(t))}, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.Run(ctx)
	for _, s := range e.states() {
		for s.checks.Load() < 3 {
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestProbe(t *testing.T) {
	f := newFleet(t)
	configured, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	other, _ := f.serve(t, testpki.Epoch.AddDate(0, 0, -1))
	base := f.options()
	base.Modules = map[string]Endpoint{
		"":      {WarnDays: 30, Probe: probe.Options{Timeout: 5 * time.Second}},
		"short": {WarnDays: 30, Probe: other.Probe},
	}
	withAllow := base
	withAllow.ProbeAllow = []string{"*.TEST"}
	withAny := base
	withAny.ProbeAny = true
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return "/probe?" + v.Encode()
	}
	for _, c := range []struct {
		name    string
		opts    Options
		path    string
		status  int
		success float64
		code    string // certgate_result_code's status label
	}{
		{"configured", base, q("target", configured.Target), 200, 1, "ok"},
		{"not configured", base, q("target", other.Target), 403, 0, ""},
		{"not configured, module", base, q("target", other.Target, "module", "short"), 403, 0, ""},
		{"allowed by pattern, module", withAllow, q("target", other.Target, "module", "short"), 200, 0, "fail"},
		{"any", withAny, q("target", other.Target, "module", "short"), 200, 0, "fail"},
		// The "" module has no resolve entry: example.test does not resolve.
		{"any, default module", withAny, q("target", other.Target), 200, 0, "error"},
		{"unknown module", base, q("target", configured.Target, "module", "nope"), 400, 0, ""},
		{"no target", base, "/probe", 400, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			e, err := New([]Endpoint{configured}, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			fams, code, body := scrape(t, e.Handler(), c.path)
			if code != c.status {
				t.Fatalf("GET %s: %d %s, want %d", c.path, code, body, c.status)
			}
			if code != 200 {
				return
			}
			if got := one(t, fams, MetricProbeSuccess, nil); got != c.success {
				t.Errorf("%s = %v, want %v", MetricProbeSuccess, got, c.success)
			}
			one(t, fams, MetricProbeDuration, nil)
			one(t, fams, MetricResultCode, map[string]string{"status": c.code})
			if fams[MetricChecks] != nil {
				t.Errorf("a probe's answer has %s, the exporter's own counter", MetricChecks)
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	f := newFleet(t)
	e, err := New(nil, f.options())
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	e.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != 200 || strings.TrimSpace(rec.Body.String()) != "ok" {
		t.Errorf("GET /healthz: %d %q", rec.Code, rec.Body.String())
	}
}

func TestNewErrors(t *testing.T) {
	f := newFleet(t)
	a := Endpoint{Target: "a.example", Where: "line 3"}
	a2 := Endpoint{Target: "a.example", Where: "line 7"}
	a3 := Endpoint{Target: "a.example", Where: "line 9", Labels: map[string]string{"site": "b"}}
	for _, c := range []struct {
		name string
		eps  []Endpoint
		dup  bool
		lbl  bool
	}{
		{"distinct by labels", []Endpoint{a, a3}, false, false},
		{"duplicate", []Endpoint{a, a2}, true, false},
		{"bad label", []Endpoint{{Target: "b", Labels: map[string]string{"9lives": "x"}}}, false, true},
		{"labels with one name", []Endpoint{{Target: "b", Labels: map[string]string{"a-b": "x"}}, {Target: "c", Labels: map[string]string{"a_b": "y"}}}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.eps, f.options())
			var de *DuplicateError
			var le *LabelError
			if errors.As(err, &de) != c.dup || errors.As(err, &le) != c.lbl {
				t.Fatalf("New: %v", err)
			}
			if c.dup && (de.First != "line 3" || de.Second != "line 7") {
				t.Errorf("DuplicateError names %q and %q", de.First, de.Second)
			}
		})
	}
}

func TestLabelName(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"team", "label_team"},
		{"Team-Name", "label_team_name"},
		{"app.kubernetes.io name", "label_app_kubernetes_io_name"},
		{"a_1", "label_a_1"},
		{"", ""},
		{"1a", ""},
		{"_a", "label__a"},
		{"-a", ""},
		{"ü", ""},
		{"a/b", ""},
		{strings.Repeat("a", maxLabelName+1), ""},
	} {
		got, err := LabelName(c.in)
		if got != c.want || (err != nil) != (c.want == "") {
			t.Errorf("LabelName(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func FuzzLabelName(f *testing.F) {
	for _, s := range []string{"team", "Team-Name", "", "1a", "a b.c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		name, err := LabelName(key)
		if err != nil {
			return
		}
		if !model.LabelName(name).IsValidLegacy() || strings.HasPrefix(name, "__") || !strings.HasPrefix(name, LabelPrefix) {
			t.Fatalf("LabelName(%q) = %q, not a valid label name", key, name)
		}
	})
}

func TestGradeRank(t *testing.T) {
	order := []string{"A+", "A", "A-", "B", "C", "D", "E", "F", "T"}
	for i := 1; i < len(order); i++ {
		if GradeRank(order[i]) >= GradeRank(order[i-1]) {
			t.Errorf("GradeRank(%s) = %v is not below GradeRank(%s) = %v", order[i], GradeRank(order[i]), order[i-1], GradeRank(order[i-1]))
		}
	}
	if GradeRank("B") != 4 {
		t.Errorf("GradeRank(B) = %v; the alert rules compare with 4", GradeRank("B"))
	}
}

// TestGradeFromStage: an endpoint's stage (a scan) that grades the target
// gives certgate_scan_grade, the grade's rank with the letter as a label.
func TestGradeFromStage(t *testing.T) {
	f := newFleet(t)
	ep, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	ep.Stage = gradeStage("C")
	e, err := New([]Endpoint{ep}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	fams, _, _ := scrape(t, e.Handler(), "/metrics")
	if got := one(t, fams, MetricGrade, map[string]string{"target": ep.Target, "grade": "C"}); got != 3 {
		t.Errorf("%s = %v, want 3 (C)", MetricGrade, got)
	}
}

// gradeStage is a stage that grades each result g, as a scan's would.
func gradeStage(g string) func(*runner.Config) func(context.Context, target.Target, probe.Observation, *result.Result) []result.Problem {
	return func(*runner.Config) func(context.Context, target.Target, probe.Observation, *result.Result) []result.Problem {
		return func(_ context.Context, _ target.Target, _ probe.Observation, r *result.Result) []result.Problem {
			r.Scan = &result.Scan{Grade: &result.Grade{Grade: g}}
			return nil
		}
	}
}

// TestAddresses: a host name served at two addresses with different leaves
// has the expiry of each address's leaf, and the verdict of the worst.
func TestAddresses(t *testing.T) {
	f := newFleet(t)
	good := f.root.Leaf(t, testpki.DNS("example.test"), testpki.Validity(testpki.Epoch.AddDate(0, -3, 0), testpki.Epoch.AddDate(0, 6, 0)))
	soon := f.root.Leaf(t, testpki.DNS("example.test"), testpki.Validity(testpki.Epoch.AddDate(0, -3, 0), testpki.Epoch.AddDate(0, 0, 10)))
	addr1 := testpki.ServeCert(t, good)
	_, port, _ := net.SplitHostPort(addr1)
	ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.2", port))
	if err != nil {
		t.Skipf("127.0.0.2:%s cannot be listened on here: %v", port, err)
	}
	addr2 := testpki.ServeTLSOn(t, ln, &tls.Config{Certificates: []tls.Certificate{soon.TLSCert()}})
	ep := Endpoint{Target: "https://example.test:" + port, WarnDays: 30,
		Probe: probe.Options{Timeout: 5 * time.Second, DNS: probe.NewDNSCacheFunc(func(context.Context, string) ([]net.IPAddr, error) {
			return []net.IPAddr{{IP: net.ParseIP("127.0.0.1")}, {IP: net.ParseIP("127.0.0.2")}}, nil
		})}}
	e, err := New([]Endpoint{ep}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	fams, _, _ := scrape(t, e.Handler(), "/metrics")
	one(t, fams, MetricResultCode, map[string]string{"status": "warn"})
	for _, c := range []struct {
		addr string
		leaf *testpki.Leaf
	}{{addr1, good}, {addr2, soon}} {
		for _, pos := range []string{"leaf", "earliest"} {
			got := one(t, fams, MetricNotAfter, map[string]string{"address": c.addr, "position": pos})
			if want := float64(c.leaf.Cert.NotAfter.Unix()); got != want {
				t.Errorf("%s %s notAfter = %v, want %v", c.addr, pos, got, want)
			}
		}
	}
}

// TestJitter: the time to an endpoint's next check stays within a tenth of
// the interval either way, and varies.
func TestJitter(t *testing.T) {
	for _, iv := range []time.Duration{time.Second, 5 * time.Minute, time.Hour} {
		e := &Exporter{opts: Options{Interval: iv}}
		seen := map[time.Duration]bool{}
		for range 200 {
			d := e.jittered()
			if d < iv-iv/10 || d > iv+iv/10 {
				t.Fatalf("interval %s: next check after %s, outside ±10%%", iv, d)
			}
			seen[d] = true
		}
		if len(seen) < 2 {
			t.Errorf("interval %s: every next check after the same time (no jitter)", iv)
		}
	}
}

package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// syntheticFleet returns an exporter of n endpoints whose latest summaries
// are set as checks would leave them, in every shape the metrics take: no
// check yet, an error without a certificate, one or two addresses, both
// stores or one, a grade or none, below the least asked or not,
// configured labels or none.
func syntheticFleet(t testing.TB, n int) *Exporter {
	t.Helper()
	var eps []Endpoint
	for i := range n {
		ep := Endpoint{Target: fmt.Sprintf("https://h%05d.fleet.test", n-i), Where: fmt.Sprintf("line %d", i)}
		switch i % 3 {
		case 1:
			ep.MinGrade = "A"
		case 2:
			ep.MinGrade = "B"
		}
		switch i % 4 {
		case 0:
			ep.Labels = map[string]string{"shard": fmt.Sprint(i % 16), "Team-Name": "payments"}
		case 1:
			ep.Labels = map[string]string{"zone": "eu \"west\"\n"}
		case 2:
			ep.Labels = map[string]string{"shard": "7"}
		}
		eps = append(eps, ep)
	}
	stores := []*truststore.Store{{Name: "mozilla", Version: "2026-11-01"}, {Name: "java", Version: "25.0.1"}}
	e, err := New(eps, Options{LoadStores: func() ([]*truststore.Store, error) { return stores, nil }})
	if err != nil {
		t.Fatal(err)
	}
	at := testpki.Epoch
	for i, s := range e.states() {
		leaf, earliest := at.AddDate(0, 0, i%400), at.AddDate(0, 0, i%300)
		var sum *Summary
		switch i % 5 {
		case 0: // not checked yet
		case 1:
			sum = &Summary{Status: result.StatusError, Code: 11202, Duration: time.Duration(i) * time.Millisecond, At: at}
		case 2:
			sum = &Summary{Status: result.StatusOK, Trusted: map[string]bool{"mozilla": true, "java": true},
				Expiry:   []AddressExpiry{{Address: "192.0.2.1:443", Leaf: leaf, Earliest: earliest}},
				Duration: 1500 * time.Microsecond, At: at.Add(1234 * time.Millisecond)}
		case 3:
			sum = &Summary{Status: result.StatusFail, Code: 11237, Trusted: map[string]bool{"mozilla": false, "java": true},
				Expiry: []AddressExpiry{{Address: "192.0.2.1:443", Leaf: leaf, Earliest: earliest}, {Address: "[2001:db8::1]:443", Leaf: earliest, Earliest: earliest}},
				Grade:  "B", At: at}
		case 4:
			sum = &Summary{Status: result.StatusWarn, Trusted: map[string]bool{"mozilla": true},
				Expiry: []AddressExpiry{{Address: "198.51.100.7:8443", Leaf: leaf, Earliest: leaf}}, Grade: "A+", At: at}
		}
		if sum != nil && sum.Grade != "" && i%2 == 0 {
			sum.BelowMinGrade = true
		}
		if sum != nil {
			s.last.Store(sum)
			s.checks.Add(uint64(i%3 + 1))
		}
		s.errors.Add(uint64(i % 2))
		s.skipped.Add(uint64(i % 7))
	}
	return e
}

// registryHandler is /metrics as promhttp renders Collector() through a
// Registry: what the streamed /metrics must equal.
func registryHandler(e *Exporter) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collector())
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// certgateOnly selects the exporter's families (not the runtime's, which
// change between two scrapes) with name[].
func certgateOnly() string {
	q := "/metrics?"
	for _, n := range MetricNames() {
		q += "name[]=" + n + "&"
	}
	return q
}

func get(t *testing.T, h http.Handler, path string, hdr map[string]string) (*httptest.ResponseRecorder, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	body := rec.Body.Bytes()
	if rec.Header().Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body, err = io.ReadAll(zr); err != nil {
			t.Fatal(err)
		}
	}
	return rec, body
}

// TestStreamedMetricsEqualRegistry: the streamed /metrics is, byte for
// byte and in every format Prometheus negotiates, what client_golang's
// Registry and promhttp make of the exporter's collector, for checked
// endpoints on loopback and for every shape of summary.
func TestStreamedMetricsEqualRegistry(t *testing.T) {
	f := newFleet(t)
	goodEP, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	soonEP, _ := f.serve(t, testpki.Epoch.AddDate(0, 0, 10))
	downEP := f.endpoint(testpki.ClosedPort(t))
	goodEP.Labels = map[string]string{"team": "payments", "Env-Name": "prod"}
	checked, err := New([]Endpoint{goodEP, soonEP, downEP}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	checked.CheckAll(context.Background())

	formats := []struct {
		name string
		hdr  map[string]string
	}{
		{"text", nil},
		{"text gzip", map[string]string{"Accept-Encoding": "gzip"}},
		{"prometheus", map[string]string{"Accept": "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1", "Accept-Encoding": "gzip"}},
		{"protobuf", map[string]string{"Accept": "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3"}},
		{"gzip refused", map[string]string{"Accept-Encoding": "gzip;q=0, identity"}},
	}
	for _, fleet := range []struct {
		name string
		e    *Exporter
	}{{"checked", checked}, {"synthetic", syntheticFleet(t, 300)}, {"none", syntheticFleet(t, 0)}, {"reloaded", reloadedFleet(t)}} {
		for _, format := range formats {
			t.Run(fleet.name+"/"+format.name, func(t *testing.T) {
				wantRec, want := get(t, registryHandler(fleet.e), certgateOnly(), format.hdr)
				gotRec, got := get(t, fleet.e.Handler(), certgateOnly(), format.hdr)
				for _, h := range []string{"Content-Type", "Content-Encoding"} {
					if g, w := gotRec.Header().Get(h), wantRec.Header().Get(h); g != w {
						t.Errorf("%s: %q, want %q", h, g, w)
					}
				}
				if !bytes.Equal(got, want) {
					t.Errorf("streamed /metrics (%d bytes) differs from the registry's (%d bytes):\n%s\n--- want ---\n%s", len(got), len(want), got, want)
				}
			})
		}
	}
}

// reloadedFleet is a synthetic fleet reloaded with some of its endpoints
// (without one of its label names) and some new ones, then reloaded with a
// bad configuration (the previous one goes on, the gauge is 0).
func reloadedFleet(t *testing.T) *Exporter {
	e := syntheticFleet(t, 300)
	var eps []Endpoint
	for i, s := range e.states() {
		if i%2 == 1 {
			continue
		}
		ep := s.ep
		ep.Labels = map[string]string{}
		for j, k := range e.set.Load().labelKeys {
			if v := s.labels[j]; v != "" && k != "zone" {
				ep.Labels[k] = v
			}
		}
		eps = append(eps, ep)
	}
	for i := range 20 {
		eps = append(eps, Endpoint{Target: fmt.Sprintf("https://new%02d.fleet.test", i), MinGrade: "C", Labels: map[string]string{"role": "new"}})
	}
	if _, err := e.Reload(endpoints(eps...)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reload(endpoints(eps[0], eps[0])); err == nil {
		t.Fatal("a reload with a duplicate endpoint succeeded")
	}
	return e
}

// TestMetricsKeepsRuntime: /metrics still has the Go runtime's and the
// process's metrics after the exporter's, and the name[] selection works.
func TestMetricsKeepsRuntime(t *testing.T) {
	e := syntheticFleet(t, 10)
	fams, code, body := scrape(t, e.Handler(), "/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", code, body)
	}
	for _, name := range []string{"go_goroutines", "process_start_time_seconds", MetricChecks, MetricEndpoints, MetricStoreInfo} {
		if fams[name] == nil {
			t.Errorf("%s missing from /metrics", name)
		}
	}
	fams, _, _ = scrape(t, e.Handler(), "/metrics?name[]="+MetricEndpoints+"&name[]=go_goroutines")
	if len(fams) != 2 || fams[MetricEndpoints] == nil || fams["go_goroutines"] == nil {
		t.Errorf("name[] selection: %d families, want %s and go_goroutines", len(fams), MetricEndpoints)
	}
}

// discard is a ResponseWriter that keeps nothing of the body.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func scrapeAllocs(t *testing.T, n int) float64 {
	e := syntheticFleet(t, n)
	h := e.Handler()
	req := httptest.NewRequest(http.MethodGet, certgateOnly(), nil)
	// The least of a few tries: a collection during one empties the pools
	// (ours and expfmt's) it relies on.
	least := -1.0
	for range 3 {
		n := testing.AllocsPerRun(2, func() { h.ServeHTTP(&discard{h: http.Header{}}, req) })
		if least < 0 || n < least {
			least = n
		}
	}
	return least
}

// TestScrapeAllocationsDoNotGrowWithEndpoints: rendering /metrics makes
// about the same number of allocations for 2,000 endpoints as for 200
// (client_golang's Registry makes some 180 per endpoint), so a scrape of a
// large configuration leaves next to no garbage.
func TestScrapeAllocationsDoNotGrowWithEndpoints(t *testing.T) {
	if raceDetector {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items at random); run without -race")
	}
	small, large := scrapeAllocs(t, 200), scrapeAllocs(t, 2000)
	if extra := large - small; extra > 1800/10 {
		t.Errorf("a scrape of 2000 endpoints makes %.0f allocations, %.0f more than one of 200: want under one per ten endpoints", large, extra)
	}
	t.Logf("allocations per scrape: %.0f for 200 endpoints, %.0f for 2000", small, large)
}

// BenchmarkScrape10000 renders /metrics of 10,000 endpoints (as the
// serverss fleet: one address, two stores, a label) to a client that
// discards it, as client_golang's Registry and promhttp did it ("registry")
// and as the exporter streams it ("streamed"):
//
//	go test ./pkg/exporter -run '^$' -bench Scrape -benchmem -benchtime 3x
func BenchmarkScrape10000(b *testing.B) {
	e := benchFleet(b)
	for _, c := range []struct {
		name string
		h    http.Handler
	}{{"registry", registryHandler(e)}, {"streamed", e.Handler()}} {
		b.Run(c.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, certgateOnly(), nil)
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(&discard{h: http.Header{}}, req)
			}
		})
	}
}

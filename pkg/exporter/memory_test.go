package exporter

import (
	"context"
	"crypto/x509"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestSummaryHoldsNoCertificates: what the exporter keeps of a result
// cannot reach a certificate, parsed or summarised, so its memory per
// endpoint does not grow with the chains served.
func TestSummaryHoldsNoCertificates(t *testing.T) {
	banned := map[reflect.Type]bool{
		reflect.TypeFor[x509.Certificate](): true,
		reflect.TypeFor[result.Cert]():      true,
		reflect.TypeFor[result.Result]():    true,
	}
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		if banned[typ] {
			t.Errorf("%s is a %s", path, typ)
			return
		}
		if seen[typ] {
			return
		}
		seen[typ] = true
		switch typ.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Map:
			walk(typ.Key(), path+".key")
			walk(typ.Elem(), path+".value")
		case reflect.Struct:
			for i := range typ.NumField() {
				f := typ.Field(i)
				walk(f.Type, path+"."+f.Name)
			}
		case reflect.Interface, reflect.Func, reflect.Chan:
			t.Errorf("%s is a %s, which could hold anything", path, typ)
		}
	}
	walk(reflect.TypeFor[Summary](), "Summary")
}

// benchFleet is 10,000 endpoints checked as in the serverss fleet: one
// address, two stores, one label.
func benchFleet(b *testing.B) *Exporter {
	var eps []Endpoint
	for i := range 10000 {
		eps = append(eps, Endpoint{Target: fmt.Sprintf("https://h%05d.fleet.test", i), Labels: map[string]string{"shard": fmt.Sprint(i % 16)}})
	}
	e, err := New(eps, Options{LoadStores: func() ([]*truststore.Store, error) { return nil, nil }})
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	for _, s := range e.states() {
		s.last.Store(&Summary{Status: result.StatusOK, Trusted: map[string]bool{"mozilla": true, "java": true},
			Expiry: []AddressExpiry{{Address: "192.0.2.1:443", Leaf: now, Earliest: now}}, At: now})
	}
	return e
}

// BenchmarkCollect10000 gathers Collector() of 10,000 endpoints through a
// Registry (what /metrics did before it streamed; BenchmarkScrape10000
// compares the two):
//
//	go test ./pkg/exporter -run '^$' -bench Collect -benchmem -benchtime 3x
func BenchmarkCollect10000(b *testing.B) {
	e := benchFleet(b)
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collector())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := reg.Gather(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSummariesShareVerdicts: endpoints whose stores judged alike keep one
// Trusted map between them, not one each.
func TestSummariesShareVerdicts(t *testing.T) {
	f := newFleet(t)
	a, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	b, _ := f.serve(t, testpki.Epoch.AddDate(0, 5, 0))
	expired, _ := f.serve(t, testpki.Epoch.AddDate(0, 0, -2))
	e, err := New([]Endpoint{a, b, expired}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	var maps []uintptr
	for _, s := range e.states() {
		sum := s.last.Load()
		if sum == nil || len(sum.Trusted) != 1 {
			t.Fatalf("%s: summary %+v, want one store's verdict", s.target, sum)
		}
		maps = append(maps, reflect.ValueOf(sum.Trusted).Pointer())
	}
	if maps[0] != maps[1] {
		t.Errorf("two endpoints trusted alike keep two Trusted maps")
	}
	if maps[0] == maps[2] {
		t.Errorf("a trusted and an untrusted endpoint share a Trusted map")
	}
	if !e.states()[0].last.Load().Trusted[f.store.Name] || e.states()[2].last.Load().Trusted[f.store.Name] {
		t.Errorf("verdicts: %v and %v", e.states()[0].last.Load().Trusted, e.states()[2].last.Load().Trusted)
	}
}

// TestReloadsKeepNoGarbage: reloads that each rename a tenth of 2,000
// endpoints (a tenth removed, a tenth added) leave the live heap as it was:
// nothing of a removed endpoint or a former configuration is kept.
func TestReloadsKeepNoGarbage(t *testing.T) {
	const n = 2000
	version := func(v int) []Endpoint {
		eps := make([]Endpoint, 0, n)
		for i := range n {
			name := fmt.Sprintf("h%05d", i)
			if v > 0 && i%10 == v%10 {
				name += fmt.Sprintf("-v%d", v)
			}
			eps = append(eps, Endpoint{Target: "https://" + name + ".fleet.test", Labels: map[string]string{"shard": fmt.Sprint(i % 16)}})
		}
		return eps
	}
	e, err := New(version(0), Options{LoadStores: func() ([]*truststore.Store, error) { return nil, nil }})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	heap := func(from, to int) uint64 {
		for v := from; v <= to; v++ {
			if _, err := e.Reload(endpoints(version(v)...)); err != nil {
				t.Fatal(err)
			}
			for _, s := range e.states() {
				if s.last.Load() == nil { // as a check of the new endpoint would
					s.last.Store(&Summary{Status: result.StatusOK, Trusted: map[string]bool{"mozilla": true},
						Expiry: []AddressExpiry{{Address: "192.0.2.1:443", Leaf: now, Earliest: now}}, At: now})
				}
			}
		}
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		runtime.KeepAlive(e) // what is measured is e's
		return ms.HeapAlloc
	}
	after3 := heap(1, 3)
	after30 := heap(4, 30)
	t.Logf("live heap of %d endpoints: %d KiB after 3 reloads, %d KiB after 30", n, after3>>10, after30>>10)
	if after30 > after3+after3/10 {
		t.Errorf("the live heap grew from %d KiB after 3 reloads to %d KiB after 30", after3>>10, after30>>10)
	}
}

package exporter

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// endpoints is a Reload build that returns eps and no modules.
func endpoints(eps ...Endpoint) func() ([]Endpoint, map[string]Endpoint, error) {
	return func() ([]Endpoint, map[string]Endpoint, error) { return eps, nil, nil }
}

// TestReload: a reload swaps the endpoints at once. An endpoint kept
// (same target and labels) keeps its latest result and counters, so its
// series have no gap, even when the set of label names changes; a removed
// one's series vanish; a new one has its counters and no result yet. A
// reload that fails (its build's error, duplicate endpoints, a bad label)
// changes nothing but certgate_config_last_reload_successful.
func TestReload(t *testing.T) {
	f := newFleet(t)
	kept, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	removed, _ := f.serve(t, testpki.Epoch.AddDate(0, 0, -2))
	added, _ := f.serve(t, testpki.Epoch.AddDate(0, 5, 0))
	kept.Labels = map[string]string{"team": "payments"}
	now := testpki.Epoch
	opts := f.options()
	opts.Now = func() time.Time { return now }
	e, err := New([]Endpoint{kept, removed}, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.CheckAll(context.Background())
	e.CheckAll(context.Background())
	fams, _, _ := scrape(t, e.Handler(), "/metrics")
	keptLbl := map[string]string{"target": kept.Target, "label_team": "payments"}
	if got := one(t, fams, MetricChecks, keptLbl); got != 2 {
		t.Fatalf("%s = %v before the reload, want 2", MetricChecks, got)
	}
	if got := one(t, fams, MetricReloadSuccess, nil); got != 1 {
		t.Errorf("%s = %v at start, want 1", MetricReloadSuccess, got)
	}
	if got := one(t, fams, MetricReloadTime, nil); got != float64(testpki.Epoch.Unix()) {
		t.Errorf("%s = %v at start, want New's time %d", MetricReloadTime, got, testpki.Epoch.Unix())
	}

	// The kept endpoint has new settings and an added one a new label
	// name: its series (with label_zone="") go on.
	now = testpki.Epoch.Add(time.Minute)
	kept2 := kept
	kept2.Labels = map[string]string{"team": "payments"}
	kept2.WarnDays = 7
	added.Labels = map[string]string{"zone": "eu"}
	c, err := e.Reload(endpoints(kept2, added))
	if err != nil {
		t.Fatal(err)
	}
	if c != (Change{Added: 1, Removed: 1, Kept: 1}) {
		t.Errorf("Reload's change = %+v, want 1 added, 1 removed, 1 kept", c)
	}
	fams, _, _ = scrape(t, e.Handler(), "/metrics")
	keptLbl["label_zone"] = ""
	if got := one(t, fams, MetricChecks, keptLbl); got != 2 {
		t.Errorf("%s of the kept endpoint = %v after the reload, want 2 (carried over)", MetricChecks, got)
	}
	if got := one(t, fams, MetricResultCode, keptLbl); got != 0 {
		t.Errorf("%s of the kept endpoint = %v, want its result of before the reload (0)", MetricResultCode, got)
	}
	one(t, fams, MetricNotAfter, map[string]string{"target": kept.Target, "position": "leaf"})
	for name := range fams {
		if vs := series(fams, name, map[string]string{"target": removed.Target}); len(vs) > 0 {
			t.Errorf("%s has series of the removed endpoint: %v", name, vs)
		}
	}
	addedLbl := map[string]string{"target": added.Target, "label_zone": "eu", "label_team": ""}
	if got := one(t, fams, MetricChecks, addedLbl); got != 0 {
		t.Errorf("%s of the added endpoint = %v, want 0", MetricChecks, got)
	}
	if vs := series(fams, MetricResultCode, addedLbl); len(vs) != 0 {
		t.Errorf("%s of the added endpoint before its check: %v", MetricResultCode, vs)
	}
	if got := one(t, fams, MetricReloadTime, nil); got != float64(now.Unix()) {
		t.Errorf("%s = %v after the reload, want %d", MetricReloadTime, got, now.Unix())
	}
	e.CheckAll(context.Background())
	fams, _, _ = scrape(t, e.Handler(), "/metrics")
	if got := one(t, fams, MetricChecks, keptLbl); got != 3 {
		t.Errorf("%s of the kept endpoint = %v after one more check, want 3", MetricChecks, got)
	}
	if got := one(t, fams, MetricResultCode, addedLbl); got != 0 {
		t.Errorf("%s of the added endpoint = %v, want 0", MetricResultCode, got)
	}

	// Failed reloads keep the two endpoints and flip the gauge.
	errBuild := errors.New("certgate.yaml:3: unknown key")
	dup := kept2
	dup.Where = "line 9"
	for _, c := range []struct {
		name  string
		build func() ([]Endpoint, map[string]Endpoint, error)
		want  any
	}{
		{"build", func() ([]Endpoint, map[string]Endpoint, error) { return nil, nil, errBuild }, &errBuild},
		{"duplicate", endpoints(kept2, dup), new(*DuplicateError)},
		{"label", endpoints(Endpoint{Target: "https://x.test", Labels: map[string]string{"9x": "y"}}), new(*LabelError)},
	} {
		t.Run(c.name, func(t *testing.T) {
			now = now.Add(time.Minute)
			if _, err := e.Reload(c.build); !errors.As(err, c.want) {
				t.Fatalf("Reload: %v, want a %T", err, c.want)
			}
			fams, _, _ := scrape(t, e.Handler(), "/metrics")
			if got := one(t, fams, MetricReloadSuccess, nil); got != 0 {
				t.Errorf("%s = %v after a failed reload, want 0", MetricReloadSuccess, got)
			}
			if got := one(t, fams, MetricReloadTime, nil); got != float64(testpki.Epoch.Add(time.Minute).Unix()) {
				t.Errorf("%s = %v, want the last successful reload's time", MetricReloadTime, got)
			}
			if got := one(t, fams, MetricEndpoints, nil); got != 2 {
				t.Errorf("%s = %v, want 2 (the configuration before)", MetricEndpoints, got)
			}
			one(t, fams, MetricResultCode, keptLbl)
			one(t, fams, MetricResultCode, addedLbl)
		})
	}
	if _, err := e.Reload(endpoints(kept2)); err != nil {
		t.Fatal(err)
	}
	fams, _, _ = scrape(t, e.Handler(), "/metrics")
	if got := one(t, fams, MetricReloadSuccess, nil); got != 1 {
		t.Errorf("%s = %v after a good reload, want 1", MetricReloadSuccess, got)
	}
}

// TestReloadWhileRunning: while Run runs, a reload cancels the check in
// flight of an endpoint it removes (nothing recorded), and an endpoint it
// adds is checked within the first tenth of an interval.
func TestReloadWhileRunning(t *testing.T) {
	f := newFleet(t)
	srv, addr := newStallServer(t)
	stalled := f.endpoint(addr)
	stalled.Probe.Timeout = time.Minute
	added, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	opts := f.options()
	opts.Now = time.Now
	opts.Interval = time.Second
	e, err := New([]Endpoint{stalled}, opts)
	if err != nil {
		t.Fatal(err)
	}
	old := e.states()[0]
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { e.Run(ctx); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	waitFor(t, "the stalled check to connect", func() bool { return srv.open.Load() == 1 })
	if _, err := e.Reload(endpoints(added)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the removed endpoint's check to be cancelled", func() bool { return srv.open.Load() == 0 })
	waitFor(t, "the added endpoint's first check", func() bool { return e.states()[0].last.Load() != nil })
	if n := old.checks.Load(); n != 0 {
		t.Errorf("the removed endpoint has %d checks recorded, want 0 (its check was cancelled)", n)
	}
	if n := srv.total.Load(); n != 1 {
		t.Errorf("%d connections to the removed endpoint, want 1", n)
	}
	// The clock is the machine's, the certificates' times testpki.Epoch's:
	// any verdict but error is a check of the server.
	if sum := e.states()[0].last.Load(); sum.Status == result.StatusError {
		t.Errorf("the added endpoint's check: status error, code %d", sum.Code)
	}
}

// waitFor polls cond until it holds; the bound only ends a hung test.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 20s for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestMinGrade: an endpoint's least grade is exported from the start
// (certgate_scan_grade_min, on certgate_scan_grade's scale), and a check
// whose Finish says its grade is below it fails, in /metrics and /probe,
// whatever its status.
func TestMinGrade(t *testing.T) {
	f := newFleet(t)
	below, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	above, _ := f.serve(t, testpki.Epoch.AddDate(0, 6, 0))
	below.MinGrade, above.MinGrade = "A", "B"
	grade := func(ep *Endpoint, g string, isBelow bool) {
		ep.Stage = gradeStage(g)
		ep.Finish = func(*result.Result) bool { return isBelow }
	}
	grade(&below, "A-", true)
	grade(&above, "A-", false)
	e, err := New([]Endpoint{below, above}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	fams, _, _ := scrape(t, e.Handler(), "/metrics")
	if got := one(t, fams, MetricGradeMin, map[string]string{"target": below.Target, "grade": "A"}); got != 6 {
		t.Errorf("%s before any check = %v, want 6 (A)", MetricGradeMin, got)
	}
	e.CheckAll(context.Background())
	fams, _, _ = scrape(t, e.Handler(), "/metrics")
	for _, c := range []struct {
		ep      Endpoint
		min     float64
		success float64
	}{{below, 6, 0}, {above, 4, 1}} {
		lbl := map[string]string{"target": c.ep.Target}
		if got := one(t, fams, MetricGradeMin, lbl); got != c.min {
			t.Errorf("%s %s = %v, want %v", MetricGradeMin, c.ep.MinGrade, got, c.min)
		}
		if got := one(t, fams, MetricSuccess, lbl); got != c.success {
			t.Errorf("%s of the endpoint with min_grade %s = %v, want %v", MetricSuccess, c.ep.MinGrade, got, c.success)
		}
		if got := one(t, fams, MetricResultCode, map[string]string{"target": c.ep.Target, "status": "ok"}); got != 0 {
			t.Errorf("%s = %v: the verdict is not the grade's", MetricResultCode, got)
		}
	}
	pf, code, body := scrape(t, e.Handler(), "/probe?target="+below.Target)
	if code != http.StatusOK {
		t.Fatalf("GET /probe: %d %s", code, body)
	}
	if got := one(t, pf, MetricProbeSuccess, nil); got != 0 {
		t.Errorf("%s of the endpoint graded below its min_grade = %v, want 0", MetricProbeSuccess, got)
	}
	one(t, pf, MetricGradeMin, map[string]string{"grade": "A"})
}

// TestReloadQueuedCheck: a check queued before a reload (the queue holds
// the state of before) runs with the endpoint's settings of after it.
func TestReloadQueuedCheck(t *testing.T) {
	f := newFleet(t)
	ep, _ := f.serve(t, testpki.Epoch.AddDate(0, 0, 10))
	e, err := New([]Endpoint{ep}, f.options())
	if err != nil {
		t.Fatal(err)
	}
	queued := e.states()[0]
	relaxed := ep
	relaxed.WarnDays = 5
	if _, err := e.Reload(endpoints(relaxed)); err != nil {
		t.Fatal(err)
	}
	e.check(context.Background(), queued)
	if sum := e.states()[0].last.Load(); sum == nil || sum.Status != result.StatusOK {
		t.Errorf("the queued check's summary = %+v, want status ok (warn_days 5 of after the reload, the leaf has 10 days)", sum)
	}
}

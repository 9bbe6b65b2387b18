//go:build linux

package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// waitGone polls /metrics until none of its lines has any of gone.
func (p *serveProc) waitGone(t *testing.T, gone ...string) string {
	t.Helper()
	deadline := time.Now().Add(stopBound)
	var body string
	for time.Now().Before(deadline) {
		_, body = p.get(t, "/metrics")
		found := false
		for _, g := range gone {
			if strings.Contains(body, g) {
				found = true
			}
		}
		if !found {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("/metrics still has one of %q after %s:\n%s", gone, stopBound, body)
	return ""
}

// waitErr polls stderr until it has want.
func (p *serveProc) waitErr(t *testing.T, want string) string {
	t.Helper()
	deadline := time.Now().Add(stopBound)
	for time.Now().Before(deadline) {
		if s := p.errText(); strings.Contains(s, want) {
			return s
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("stderr has no %q after %s:\n%s", want, stopBound, p.errText())
	return ""
}

// post POSTs to path and returns the status and body.
func (p *serveProc) post(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Post("http://"+p.addr+path, "text/plain", nil)
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// entryTarget is the target of a config entry made by endpointYAML.
func entryTarget(entry string) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.SplitN(entry, "\n", 2)[0], "  - target:"))
}

// value returns the value of series in a /metrics body.
func value(t *testing.T, body, series string) float64 {
	t.Helper()
	for line := range strings.SplitSeq(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("/metrics has no %s:\n%s", series, body)
	return 0
}

// TestServeReloadSIGHUP runs certgate serve as a process and sends it
// SIGHUP: after a new certgate.yaml, a new endpoint's series appear, a
// removed one's vanish and a kept one's go on (its counters carried
// over); after a broken certgate.yaml, the endpoints stay as they were,
// stderr names the file, line and fix on one line, and
// certgate_config_last_reload_successful is 0 until a good reload. SIGHUP
// never stops it; SIGTERM still does, with exit status 0.
func TestServeReloadSIGHUP(t *testing.T) {
	f := newServeFleet(t)
	now := time.Now()
	keptE := f.server(t, "kept.test", now.AddDate(0, 6, 0), "labels: {team: payments}")
	removedE := f.server(t, "removed.test", now.AddDate(0, 6, 0), "")
	addedE := f.server(t, "added.test", now.AddDate(0, 0, -2), "")
	kept, removed, added := entryTarget(keptE), entryTarget(removedE), entryTarget(addedE)
	dir := t.TempDir()
	cfg := writeServeConfig(t, dir, keptE, removedE)
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "10s")
	keptCode := fmt.Sprintf(`certgate_result_code{label_team="payments",status="ok",target=%q} 0`, kept)
	body := p.waitMetrics(t, keptCode,
		fmt.Sprintf(`certgate_result_code{label_team="",status="ok",target=%q} 0`, removed),
		`certgate_config_last_reload_successful 1`, `certgate_endpoints 2`)
	keptChecks := fmt.Sprintf(`certgate_checks_total{label_team="payments",target=%q}`, kept)
	checksBefore := value(t, body, keptChecks)
	startedAt := value(t, body, "certgate_config_last_reload_success_timestamp_seconds")

	writeServeConfig(t, dir, keptE, addedE)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitErr(t, "SIGHUP: reloaded "+cfg+": 2 endpoints (1 added, 1 removed, 1 kept)")
	// At once, the kept endpoint has its result and counters of before:
	// its series have no gap.
	_, body = p.get(t, "/metrics")
	if !strings.Contains(body, keptCode+"\n") {
		t.Errorf("right after the reload, /metrics has no %s:\n%s", keptCode, body)
	}
	if got := value(t, body, keptChecks); got < checksBefore {
		t.Errorf("%s went from %v to %v: the reload reset it", keptChecks, checksBefore, got)
	}
	p.waitMetrics(t, keptCode,
		fmt.Sprintf(`certgate_result_code{label_team="",status="fail",target=%q} 11236`, added),
		`certgate_config_last_reload_successful 1`, `certgate_endpoints 2`)
	p.waitGone(t, fmt.Sprintf("target=%q", removed))

	// A typo: the previous configuration goes on.
	broken := "endpoints:\n" + keptE + "  - targt: https://typo.test\n"
	if err := os.WriteFile(cfg, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitMetrics(t, `certgate_config_last_reload_successful 0`, keptCode,
		fmt.Sprintf(`certgate_result_code{label_team="",status="fail",target=%q} 11236`, added), `certgate_endpoints 2`)
	errText := p.waitErr(t, "the configuration was not reloaded")
	var line string
	for l := range strings.SplitSeq(errText, "\n") {
		if strings.Contains(l, "not reloaded") {
			line = l
		}
	}
	lineNo := strings.Count(broken[:strings.Index(broken, "targt")], "\n") + 1
	for _, want := range []string{fmt.Sprintf("%s:%d", cfg, lineNo), "targt", "target", "the previous one (2 endpoints) goes on"} {
		if !strings.Contains(line, want) {
			t.Errorf("the reload error %q does not name %q", line, want)
		}
	}
	if strings.Contains(p.errText(), "stopped") {
		t.Fatalf("SIGHUP stopped certgate serve:\n%s", p.errText())
	}
	body = p.waitMetrics(t, `certgate_config_last_reload_successful 0`)
	if got := value(t, body, "certgate_config_last_reload_success_timestamp_seconds"); got < startedAt {
		t.Errorf("the last successful reload's time went back from %v to %v", startedAt, got)
	}

	// Fixed: the gauge is back to 1.
	writeServeConfig(t, dir, keptE)
	if err := p.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	p.waitMetrics(t, `certgate_config_last_reload_successful 1`, `certgate_endpoints 1`, keptCode)
	p.waitGone(t, fmt.Sprintf("target=%q", added))

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if code := waitStatus(t, p.cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, p.errText())
	}
}

// TestServeReloadHTTP: POST /-/reload reloads the configuration only with
// --enable-reload (200, or 500 naming the error); without it, 403 naming
// the flag. GET is not a reload.
func TestServeReloadHTTP(t *testing.T) {
	f := newServeFleet(t)
	now := time.Now()
	first := f.server(t, "first.test", now.AddDate(0, 6, 0), "")
	second := f.server(t, "second.test", now.AddDate(0, 6, 0), "")
	dir := t.TempDir()
	cfg := writeServeConfig(t, dir, first)

	off := startServe(t, "--config", cfg, "--store", f.store, "--interval", "10s")
	if code, body := off.post(t, "/-/reload"); code != http.StatusForbidden || !strings.Contains(body, "--enable-reload") {
		t.Errorf("POST /-/reload without --enable-reload: %d %q, want 403 naming --enable-reload", code, body)
	}

	on := startServe(t, "--config", cfg, "--store", f.store, "--interval", "10s", "--enable-reload")
	on.waitMetrics(t, `certgate_endpoints 1`)
	if code, _ := on.get(t, "/-/reload"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /-/reload: %d, want 405", code)
	}
	writeServeConfig(t, dir, first, second)
	if code, body := on.post(t, "/-/reload"); code != http.StatusOK || !strings.Contains(body, "1 added") {
		t.Errorf("POST /-/reload: %d %q, want 200 saying 1 added", code, body)
	}
	on.waitMetrics(t, `certgate_endpoints 2`, `certgate_config_last_reload_successful 1`)
	writeServeConfig(t, dir, first, first)
	code, body := on.post(t, "/-/reload")
	if code != http.StatusInternalServerError || !strings.Contains(body, cfg+":4:") || !strings.Contains(body, "listed twice") {
		t.Errorf("POST /-/reload of duplicate endpoints: %d %q, want 500 naming the file and the duplicate", code, body)
	}
	// The previous two endpoints go on.
	on.waitMetrics(t, `certgate_endpoints 2`, `certgate_config_last_reload_successful 0`,
		fmt.Sprintf(`certgate_result_code{status="ok",target=%q} 0`, entryTarget(second)))
}

// TestServeMinGrade: with --scan, an endpoint's expect.min_grade is
// exported as certgate_scan_grade_min and a grade below it fails the check
// (certgate_check_success 0) while the verdict stays ok, as certgate scan
// --min-grade fails it; without --scan, a warning says min_grade needs it.
// The test servers speak TLS 1.2 and 1.3 with AEAD suites and no HTTP, so
// HSTS is not measured: graded A (A+ needs HSTS measured).
func TestServeMinGrade(t *testing.T) {
	f := newServeFleet(t)
	now := time.Now()
	strict := f.server(t, "strict.test", now.AddDate(0, 6, 0), "expect: {min_grade: A+}")
	lenient := f.server(t, "lenient.test", now.AddDate(0, 6, 0), "expect: {min_grade: B}")
	plainE := f.server(t, "plain.test", now.AddDate(0, 6, 0), "")
	target := entryTarget
	cfg := writeServeConfig(t, t.TempDir(), strict, lenient, plainE)
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1m", "--scan")
	body := p.waitMetrics(t,
		fmt.Sprintf(`certgate_scan_grade{grade="A",target=%q} 6`, target(strict)),
		fmt.Sprintf(`certgate_scan_grade{grade="A",target=%q} 6`, target(lenient)),
		fmt.Sprintf(`certgate_scan_grade{grade="A",target=%q} 6`, target(plainE)),
		fmt.Sprintf(`certgate_scan_grade_min{grade="A+",target=%q} 7`, target(strict)),
		fmt.Sprintf(`certgate_scan_grade_min{grade="B",target=%q} 4`, target(lenient)),
		fmt.Sprintf(`certgate_check_success{target=%q} 0`, target(strict)),
		fmt.Sprintf(`certgate_check_success{target=%q} 1`, target(lenient)),
		fmt.Sprintf(`certgate_check_success{target=%q} 1`, target(plainE)),
		fmt.Sprintf(`certgate_result_code{status="ok",target=%q} 0`, target(strict)),
	)
	if strings.Contains(body, fmt.Sprintf(`certgate_scan_grade_min{grade="",target=%q}`, target(plainE))) ||
		strings.Count(body, "certgate_scan_grade_min{") != 2 {
		t.Errorf("certgate_scan_grade_min for an endpoint without min_grade:\n%s", body)
	}
	if strings.Contains(p.errText(), "min_grade") {
		t.Errorf("a min_grade warning with --scan:\n%s", p.errText())
	}
	if code, pb := p.get(t, "/probe?target="+target(strict)); code != 200 || !strings.Contains(pb, "probe_success 0\n") {
		t.Errorf("GET /probe of the endpoint graded below its min_grade: %d\n%s", code, pb)
	}

	plain := startServe(t, "--config", cfg, "--store", f.store, "--interval", "10s")
	body = plain.waitMetrics(t, fmt.Sprintf(`certgate_check_success{target=%q} 1`, target(strict)))
	if strings.Contains(body, "certgate_scan_grade_min{") {
		t.Errorf("certgate_scan_grade_min without --scan:\n%s", body)
	}
	if w := plain.errText(); !strings.Contains(w, "2 endpoints of "+cfg) || !strings.Contains(w, "min_grade needs --scan") {
		t.Errorf("stderr without --scan does not warn that min_grade needs --scan:\n%s", w)
	}
}

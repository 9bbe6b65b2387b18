//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/promtest"
	"github.com/certgate/certgate/internal/testpki"
)

// serveProc is a certgate serve process and what it said on stderr.
type serveProc struct {
	cmd  *exec.Cmd
	addr string // the address it listens on

	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{} // closed when stderr is closed
}

var listeningRE = regexp.MustCompile(`listening on (\S+),`)

// startServe runs certgate serve with args in a new process and waits until
// it listens.
func startServe(t *testing.T, args ...string) *serveProc {
	t.Helper()
	return startServeEnv(t, nil, args...)
}

// startServeEnv is startServe with env (KEY=value) added to the
// environment.
func startServeEnv(t *testing.T, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := certgateProc(t, append([]string{"serve", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	addr := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			p.mu.Lock()
			p.stderr.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, errPipe)
	}()
	select {
	case p.addr = <-addr:
	case <-p.done:
		t.Fatalf("certgate serve stopped before listening: %s", p.errText())
	case <-time.After(stopBound):
		t.Fatalf("certgate serve did not listen within %s: %s", stopBound, p.errText())
	}
	return p
}

func (p *serveProc) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// get fetches path and returns the status and body.
func (p *serveProc) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + p.addr + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// waitMetrics polls /metrics until every line of want is in it.
func (p *serveProc) waitMetrics(t *testing.T, want ...string) string {
	t.Helper()
	deadline := time.Now().Add(stopBound)
	var body string
	for time.Now().Before(deadline) {
		_, body = p.get(t, "/metrics")
		missing := false
		for _, w := range want {
			if !strings.Contains(body, w+"\n") {
				missing = true
			}
		}
		if !missing {
			return body
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(body, w+"\n") {
			t.Errorf("/metrics has no line %q", w)
		}
	}
	t.Fatalf("/metrics after %s:\n%s", stopBound, body)
	return ""
}

// serveTargets starts a good, an expiring (10 days left, under the default
// 30 of --warn-days) and an expired endpoint, and returns the config file
// and their targets.
func serveTargets(t *testing.T) (f *serveFleet, cfg, good, expiring, expired string) {
	t.Helper()
	f = newServeFleet(t)
	now := time.Now()
	entries := []string{
		f.server(t, "good.test", now.AddDate(0, 6, 0), "labels: {team: payments}"),
		f.server(t, "expiring.test", now.AddDate(0, 0, 10), ""),
		f.server(t, "expired.test", now.AddDate(0, 0, -2), ""),
	}
	target := func(e string) string {
		return strings.TrimSpace(strings.TrimPrefix(strings.SplitN(e, "\n", 2)[0], "  - target:"))
	}
	cfg = writeServeConfig(t, t.TempDir(), entries...)
	return f, cfg, target(entries[0]), target(entries[1]), target(entries[2])
}

// TestServeProcess runs certgate serve as a process: /metrics has each
// endpoint's verdict, /probe answers for a configured target, and SIGTERM
// stops it cleanly (exit 0) while a probe is in flight.
func TestServeProcess(t *testing.T) {
	f, cfg, good, expiring, expired := serveTargets(t)
	accepted := make(chan struct{}, 8)
	hang := hangServer(t, accepted)
	hangTarget := "https://" + hang
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1s", "--probe-allow", "127.0.0.1")
	p.waitMetrics(t,
		fmt.Sprintf(`certgate_result_code{label_team="payments",status="ok",target=%q} 0`, good),
		fmt.Sprintf(`certgate_result_code{label_team="",status="warn",target=%q} 0`, expiring),
		fmt.Sprintf(`certgate_result_code{label_team="",status="fail",target=%q} 11236`, expired),
		`certgate_endpoints 3`,
	)
	if code, body := p.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz: %d %s", code, body)
	}
	code, body := p.get(t, "/probe?target="+url.QueryEscape(expired))
	if code != 200 || !strings.Contains(body, "probe_success 0\n") || !strings.Contains(body, "11236\n") {
		t.Errorf("GET /probe of the expired target: %d\n%s", code, body)
	}
	if code, body := p.get(t, "/probe?target="+url.QueryEscape("https://other.example")); code != http.StatusForbidden {
		t.Errorf("GET /probe of a target not configured: %d %s, want 403", code, body)
	}

	// A probe of a server that never answers is in flight at SIGTERM.
	probeDone := make(chan error, 1)
	go func() {
		resp, err := http.Get("http://" + p.addr + "/probe?target=" + url.QueryEscape(hangTarget))
		if err == nil {
			resp.Body.Close()
		}
		probeDone <- err
	}()
	select {
	case <-accepted:
	case <-time.After(stopBound):
		t.Fatal("the probe never connected to the hanging server")
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if code := waitStatus(t, p.cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, p.errText())
	}
	select {
	case <-probeDone:
	case <-time.After(stopBound):
		t.Error("the probe in flight was not ended by the shutdown")
	}
	if !strings.Contains(p.errText(), "stopped") {
		t.Errorf("stderr does not say it stopped:\n%s", p.errText())
	}
}

// TestServePrometheus is the exporter against the real Prometheus:
// Debian's prometheus scrapes certgate serve every second (/metrics, and
// /probe for one target as blackbox_exporter is scraped), and its query
// API must return the right series for a good, an expiring and an expired
// endpoint.
func TestServePrometheus(t *testing.T) {
	promtest.Need(t, "prometheus")
	f, cfg, good, expiring, expired := serveTargets(t)
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1s")
	rules, err := filepath.Abs(filepath.Join("..", "..", "scripts", "deploy", "alerts.yml"))
	if err != nil {
		t.Fatal(err)
	}
	prom := promtest.Start(t, fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: certgate
    static_configs:
      - targets: [%q]
  - job_name: certgate-probe
    metrics_path: /probe
    params:
      target: [%q]
    static_configs:
      - targets: [%q]
`, rules, p.addr, expired, p.addr))

	codes := prom.WaitQuery(t, `certgate_result_code{job="certgate"}`, 60*time.Second, func(s []promtest.Sample) bool { return len(s) == 3 })
	want := map[string]struct {
		status string
		code   float64
	}{good: {"ok", 0}, expiring: {"warn", 0}, expired: {"fail", 11236}}
	for _, s := range codes {
		w, ok := want[s.Labels["target"]]
		if !ok || s.Labels["status"] != w.status || s.Value != w.code {
			t.Errorf("certgate_result_code%v = %v; want status %q, code %v", s.Labels, s.Value, w.status, w.code)
		}
		if s.Labels["target"] == good && s.Labels["label_team"] != "payments" {
			t.Errorf("the good endpoint's series lack label_team=payments: %v", s.Labels)
		}
	}

	// Days left on the leaf, as an alert rule computes them.
	days, err := prom.Query(t.Context(), `(certgate_cert_not_after_seconds{job="certgate",position="leaf"} - time()) / 86400`)
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 3 {
		t.Fatalf("%d leaf expiry series, want 3: %v", len(days), days)
	}
	for _, s := range days {
		var lo, hi float64
		switch s.Labels["target"] {
		case good:
			lo, hi = 150, 200
		case expiring:
			lo, hi = 9, 10.1
		case expired:
			lo, hi = -3, -1.9
		}
		if s.Value < lo || s.Value > hi {
			t.Errorf("%s: %.2f days left on the leaf, want between %v and %v", s.Labels["target"], s.Value, lo, hi)
		}
	}

	trusted, err := prom.Query(t.Context(), `certgate_trusted{job="certgate"}`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range trusted {
		wantV := 1.0
		if s.Labels["target"] == expired {
			wantV = 0
		}
		if s.Value != wantV {
			t.Errorf("certgate_trusted%v = %v, want %v", s.Labels, s.Value, wantV)
		}
	}
	if len(trusted) != 3 {
		t.Errorf("%d certgate_trusted series, want 3 (one store)", len(trusted))
	}

	probe := prom.WaitQuery(t, `probe_success{job="certgate-probe"}`, 30*time.Second, func(s []promtest.Sample) bool { return len(s) == 1 })
	if probe[0].Value != 0 {
		t.Errorf("probe_success of the expired target = %v, want 0", probe[0].Value)
	}
	pc, err := prom.Query(t.Context(), `certgate_result_code{job="certgate-probe"}`)
	if err != nil {
		t.Fatal(err)
	}
	if len(pc) != 1 || pc[0].Value != 11236 || pc[0].Labels["target"] != expired {
		t.Errorf("certgate_result_code of the probe = %v, want 11236 for %s", pc, expired)
	}
	// The example alert rules, evaluated by Prometheus on these series:
	// pending (their for: has not passed) for exactly these targets.
	wantAlerts := map[string]bool{
		"CertificateExpiringSoon " + expiring: true,
		"CertificateExpiringSoon " + expired:  true,
		"CertificateExpired " + expired:       true,
	}
	prom.WaitQuery(t, `ALERTS`, 30*time.Second, func(s []promtest.Sample) bool {
		got := map[string]bool{}
		for _, a := range s {
			got[a.Labels["alertname"]+" "+a.Labels["target"]] = true
		}
		return maps.Equal(got, wantAlerts)
	})
	up, err := prom.Query(t.Context(), `up`)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range up {
		if s.Value != 1 {
			t.Errorf("up%v = 0: prometheus could not scrape certgate serve", s.Labels)
		}
	}
}

// TestServeEndpointSettings: serve applies an endpoint's own settings as
// check does: sni, resolve, issuer pins and expected addresses.
func TestServeEndpointSettings(t *testing.T) {
	f := newServeFleet(t)
	now := time.Now()
	leaf := f.root.Leaf(t, testpki.DNS("good.test"), testpki.Validity(now.AddDate(0, -3, 0), now.AddDate(0, 6, 0)))
	addr := testpki.ServeCert(t, leaf)
	_, port, _ := net.SplitHostPort(addr)
	alias := "https://alias.test:" + port
	pinned := "https://good.test:" + port
	counted := "good.test:" + port
	cfg := writeServeConfig(t, t.TempDir(),
		"  - target: "+alias+"\n    resolve: 127.0.0.1\n    sni: good.test\n",
		"  - target: "+pinned+"\n    resolve: 127.0.0.1\n    expect: {issuer: No Such Issuing CA}\n",
		"  - target: "+counted+"\n    resolve: 127.0.0.1\n    expect: {addresses: 2}\n",
	)
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1s")
	p.waitMetrics(t,
		fmt.Sprintf(`certgate_result_code{status="ok",target=%q} 0`, alias),
		fmt.Sprintf(`certgate_result_code{status="fail",target=%q} 11237`, pinned),
		fmt.Sprintf(`certgate_result_code{status="warn",target=%q} 0`, counted),
	)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.done
	if code := waitStatus(t, p.cmd); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0; stderr:\n%s", code, p.errText())
	}
}

// TestServeScan: with --scan, each check also scans the endpoint and its
// grade is exported; without it there is no grade series.
func TestServeScan(t *testing.T) {
	f := newServeFleet(t)
	now := time.Now()
	leaf := f.root.Leaf(t, testpki.DNS("good.test"), testpki.Validity(now.AddDate(0, -3, 0), now.AddDate(0, 6, 0)))
	addr := testpki.ServeCert(t, leaf)
	_, port, _ := net.SplitHostPort(addr)
	tgt := "good.test:" + port
	cfg := writeServeConfig(t, t.TempDir(), "  - target: "+tgt+"\n    resolve: 127.0.0.1\n")
	p := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1m", "--scan")
	// The test server speaks TLS 1.2 and 1.3 with AEAD suites and no HTTP:
	// HSTS is not measured, so A (A+ needs it measured).
	p.waitMetrics(t, fmt.Sprintf(`certgate_scan_grade{grade="A",target=%q} 6`, tgt))

	plain := startServe(t, "--config", cfg, "--store", f.store, "--interval", "1m")
	body := plain.waitMetrics(t, fmt.Sprintf(`certgate_result_code{status="ok",target=%q} 0`, tgt))
	if strings.Contains(body, "certgate_scan_grade{") {
		t.Errorf("a grade series without --scan:\n%s", body)
	}
}

// TestServeGCPercent: certgate serve collects garbage at GOGC=50 unless
// the environment sets GOGC, as the Go runtime's own metric reports.
func TestServeGCPercent(t *testing.T) {
	f, cfg, _, _, _ := serveTargets(t)
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"default", []string{"GOGC="}, "go_gc_gogc_percent 50"},
		{"GOGC set", []string{"GOGC=120"}, "go_gc_gogc_percent 120"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startServeEnv(t, c.env, "--config", cfg, "--store", f.store, "--interval", "1m")
			p.waitMetrics(t, c.want)
		})
	}
}

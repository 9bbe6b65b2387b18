// Package promtest runs the real Prometheus programs in tests: a
// prometheus server on loopback with a scrape configuration of the test's
// own, queried through its HTTP API, and promtool.
//
// When a program is missing the test is skipped with a message saying so,
// or fails when CERTGATE_REQUIRE_SHARED=1 (as CI sets it), so a run without
// it cannot pass silently. Debian's package "prometheus" has both.
package promtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
)

// Need returns the path of the program name (prometheus, promtool). When
// it is not installed it skips the test loudly, or fails it when
// CERTGATE_REQUIRE_SHARED is set.
func Need(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	report := t.Skipf
	if shareddata.Required() {
		report = t.Fatalf
	}
	report("PROMETHEUS TEST NOT RUN: %s is not installed: install Debian's prometheus package (apt-get install prometheus); %s=1 makes this a failure", name, shareddata.EnvRequire)
	return ""
}

// Server is a prometheus server started for a test.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	log *os.File
}

// Start runs prometheus on a free loopback port with the scrape
// configuration config (prometheus.yml contents) and its storage in a
// temporary directory, and waits until it is ready. It is stopped when
// the test ends.
func Start(t testing.TB, config string) *Server {
	t.Helper()
	bin := Need(t, "prometheus")
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfg, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	log, err := os.Create(filepath.Join(dir, "prometheus.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin,
		"--config.file="+cfg,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting prometheus: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	s := &Server{URL: "http://" + addr, log: log}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		log.Close()
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("prometheus exited before it was ready (%v):\n%s", err, s.Log())
		default:
		}
		resp, err := http.Get(s.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus was not ready within 30s:\n%s", s.Log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Log returns what prometheus wrote so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log.Name())
	return string(b)
}

// Sample is one series of an instant query's answer.
type Sample struct {
	// Labels are the series' labels, __name__ included.
	Labels map[string]string
	// Value is the sample's value.
	Value float64
}

// Query runs the PromQL instant query q through /api/v1/query and returns
// its vector.
func (s *Server) Query(ctx context.Context, q string) ([]Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/api/v1/query?query="+url.QueryEscape(q), nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	var out struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("query %q: %w: %s", q, err, body)
	}
	if out.Status != "success" {
		return nil, fmt.Errorf("query %q: %s", q, out.Error)
	}
	if out.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %q: a %s, not a vector", q, out.Data.ResultType)
	}
	var samples []Sample
	for _, r := range out.Data.Result {
		str, _ := r.Value[1].(string)
		v, err := strconv.ParseFloat(str, 64)
		if err != nil {
			return nil, fmt.Errorf("query %q: value %v: %w", q, r.Value[1], err)
		}
		samples = append(samples, Sample{Labels: r.Metric, Value: v})
	}
	return samples, nil
}

// WaitQuery runs q until ok accepts its answer, and returns that answer;
// it fails the test when ok has not accepted one within bound.
func (s *Server) WaitQuery(t testing.TB, q string, bound time.Duration, ok func([]Sample) bool) []Sample {
	t.Helper()
	deadline := time.Now().Add(bound)
	var last []Sample
	var lastErr error
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		last, lastErr = s.Query(ctx, q)
		cancel()
		if lastErr == nil && ok(last) {
			return last
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("query %q: no acceptable answer within %s; last %v (error %v)\nprometheus log:\n%s", q, bound, last, lastErr, s.Log())
	return nil
}

// freePort returns a loopback address with a port that was free a moment
// ago.
func freePort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Tool runs promtool with args and returns its combined output and error.
func Tool(t testing.TB, dir string, args ...string) (string, error) {
	t.Helper()
	bin := Need(t, "promtool")
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

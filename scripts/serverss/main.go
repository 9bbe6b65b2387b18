// Command serverss measures certgate serve's memory with a large
// configuration: one TLS server on loopback with a wildcard certificate,
// N endpoints (hNNNNN.fleet.test on its port, each with resolve:
// 127.0.0.1), and certgate serve checking them all for a number of rounds
// while /metrics is scraped. It prints the exporter's peak and current
// resident set size (VmHWM and VmRSS of /proc/PID/status, Linux) and the
// size of one scrape. With -before, another certgate binary (an older
// build) is measured first against the same server and configuration, and
// the ratios of the two are printed. With -reloads, certgate serve is
// then sent SIGHUP that many times, each time with a tenth of the
// endpoints renamed (a tenth removed, a tenth added, the rest kept), and
// its memory is measured again once each reload has taken effect.
//
//	go run ./scripts/serverss                   # 10000 endpoints, 2 rounds
//	go run ./scripts/serverss -n 10 -rounds 1   # the baseline
//	go run ./scripts/serverss -before ./certgate-old
//	go run ./scripts/serverss -rounds 1 -reloads 5
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/certgate/certgate/internal/testpki"
)

func main() {
	n := flag.Int("n", 10000, "endpoints in the configuration")
	conc := flag.Int("c", 64, "certgate serve -c")
	interval := flag.Duration("interval", 30*time.Second, "certgate serve --interval")
	rounds := flag.Int("rounds", 2, "wait until every endpoint was checked this many times")
	bin := flag.String("bin", "", "the certgate binary (default: built from ./cmd/certgate)")
	before := flag.String("before", "", "a certgate binary to measure first, for ratios (such as one built from an older commit)")
	flag.IntVar(&reloads, "reloads", 0, "then send SIGHUP this many times, each with a tenth of the endpoints renamed, and measure again")
	flag.Parse()
	if err := run(*n, *conc, *interval, *rounds, *bin, *before); err != nil {
		fmt.Fprintln(os.Stderr, "serverss:", err)
		os.Exit(1)
	}
}

// reloads is -reloads.
var reloads int

// writeConfig writes the configuration of n endpoints on port; in version
// v > 0, the endpoints whose number ends in v%10 are renamed.
func writeConfig(path string, n int, port string, v int) error {
	var b strings.Builder
	b.WriteString("endpoints:\n")
	for i := range n {
		name := fmt.Sprintf("h%05d", i)
		if v > 0 && i%10 == v%10 {
			name += fmt.Sprintf("-v%d", v)
		}
		fmt.Fprintf(&b, "  - target: https://%s.fleet.test:%s\n    resolve: 127.0.0.1\n    labels: {shard: s%d}\n", name, port, i%16)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func run(n, conc int, interval time.Duration, rounds int, bin, before string) error {
	work, err := os.MkdirTemp("", "serverss")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if bin == "" {
		bin = filepath.Join(work, "certgate")
		build := exec.Command("go", "build", "-o", bin, "./cmd/certgate")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("building certgate: %w", err)
		}
	}

	root, err := testpki.MakeRoot("serverss Root")
	if err != nil {
		return err
	}
	now := time.Now()
	leaf, err := root.MakeLeaf(testpki.DNS("*.fleet.test"), testpki.Validity(now.AddDate(0, -1, 0), now.AddDate(0, 6, 0)))
	if err != nil {
		return err
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{leaf.TLSCert()}})
	if err != nil {
		return err
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				_ = c.(*tls.Conn).Handshake()
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())

	store := filepath.Join(work, "root.pem")
	if err := os.WriteFile(store, testpki.PEM(root.Cert), 0o600); err != nil {
		return err
	}
	cfg := filepath.Join(work, "certgate.yaml")
	if err := writeConfig(cfg, n, port, 0); err != nil {
		return err
	}

	var old *measure
	if before != "" {
		fmt.Printf("before: %s\n", before)
		if old, err = serve(before, cfg, store, n, conc, interval, rounds, nil); err != nil {
			return err
		}
		old.print()
		fmt.Printf("after: %s\n", bin)
	}
	m, err := serve(bin, cfg, store, n, conc, interval, rounds, func(cmd *exec.Cmd, addr string) error {
		return reload(cmd, addr, cfg, n, port)
	})
	if err != nil {
		return err
	}
	m.print()
	if old != nil {
		fmt.Printf("after/before: peak RSS %.2f, current RSS %.2f\n", float64(m.hwm)/float64(old.hwm), float64(m.rss)/float64(old.rss))
	}
	return nil
}

// measure is what one certgate serve run gave.
type measure struct {
	elapsed, scrape time.Duration
	hwm, rss, size  int
}

func (m *measure) print() {
	fmt.Printf("rounds done after:   %s\n", m.elapsed.Round(time.Second))
	fmt.Printf("peak RSS (VmHWM):    %d MiB\n", m.hwm>>10)
	fmt.Printf("current RSS (VmRSS): %d MiB\n", m.rss>>10)
	fmt.Printf("one /metrics scrape: %d KiB in %s\n", m.size>>10, m.scrape.Round(time.Millisecond))
}

// reload sends the certgate serve of cmd -reloads SIGHUPs, each with the
// next version of the configuration, and waits for each to take effect (an
// endpoint of the new version in /metrics); it prints the memory after
// each.
func reload(cmd *exec.Cmd, addr, cfg string, n int, port string) error {
	for v := 1; v <= reloads; v++ {
		if err := writeConfig(cfg, n, port, v); err != nil {
			return err
		}
		t0 := time.Now()
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			return err
		}
		want := fmt.Sprintf("-v%d.fleet.test", v)
		for {
			body, err := get("http://" + addr + "/metrics?name[]=certgate_checks_total")
			if err != nil {
				return err
			}
			if strings.Contains(body, want) {
				break
			}
			if time.Since(t0) > 2*time.Minute {
				return fmt.Errorf("reload %d did not take effect within 2 minutes", v)
			}
			time.Sleep(500 * time.Millisecond)
		}
		hwm, rss, err := memory(cmd.Process.Pid)
		if err != nil {
			return err
		}
		fmt.Printf("reload %d: in effect after %s, peak RSS %d MiB, current RSS %d MiB\n", v, time.Since(t0).Round(10*time.Millisecond), hwm>>10, rss>>10)
	}
	return nil
}

// serve runs bin's certgate serve on cfg until every endpoint was checked
// rounds times, scraping /metrics every 2s, and measures it; then, when
// set, it calls after (the reloads) and measures again.
func serve(bin, cfg, store string, n, conc int, interval time.Duration, rounds int, after func(cmd *exec.Cmd, addr string) error) (*measure, error) {
	cmd := exec.Command(bin, "serve", "--config", cfg, "--store", store, "--listen", "127.0.0.1:0",
		"--interval", interval.String(), "-c", strconv.Itoa(conc), "--timeout", "10s")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr, err := listenAddr(stderr)
	if err != nil {
		return nil, err
	}

	fmt.Printf("certgate serve: %d endpoints, -c %d, --interval %s, waiting for %d rounds\n", n, conc, interval, rounds)
	checksRE := regexp.MustCompile(`(?m)^certgate_checks_total\{[^}]*\} (\d+)$`)
	m := &measure{}
	for {
		t0 := time.Now()
		body, err := get("http://" + addr + "/metrics")
		if err != nil {
			return nil, err
		}
		m.scrape, m.size = time.Since(t0), len(body)
		least := -1
		for _, match := range checksRE.FindAllStringSubmatch(body, -1) {
			v, _ := strconv.Atoi(match[1])
			if least < 0 || v < least {
				least = v
			}
		}
		if least >= rounds {
			break
		}
		if cmd.ProcessState != nil {
			return nil, errors.New("certgate serve exited")
		}
		time.Sleep(2 * time.Second)
	}
	m.elapsed = time.Since(start)
	if m.hwm, m.rss, err = memory(cmd.Process.Pid); err != nil {
		return nil, err
	}
	if after != nil && reloads > 0 {
		m.print()
		if err := after(cmd, addr); err != nil {
			return nil, err
		}
		if m.hwm, m.rss, err = memory(cmd.Process.Pid); err != nil {
			return nil, err
		}
		fmt.Printf("after %d reloads:\n", reloads)
	}
	return m, nil
}

func listenAddr(r io.Reader) (string, error) {
	re := regexp.MustCompile(`listening on (\S+),`)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text()); m != nil {
			go func() { _, _ = io.Copy(io.Discard, r) }()
			return m[1], nil
		}
		fmt.Fprintln(os.Stderr, sc.Text())
	}
	return "", errors.New("certgate serve stopped before listening")
}

func get(url string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// memory returns VmHWM and VmRSS of pid in KiB.
func memory(pid int) (hwm, rss int, err error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, fmt.Errorf("reading the process's memory (Linux /proc): %w", err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.Atoi(f[1])
		switch f[0] {
		case "VmHWM:":
			hwm = v
		case "VmRSS:":
			rss = v
		}
	}
	return hwm, rss, nil
}

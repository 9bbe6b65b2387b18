// Command bench measures certgate against a bare Go loop on a local TLS
// server, as the README's "Performance" section reports:
//
//	go run ./scripts/bench                 # 1,000 targets, -c 32 and -c 128
//	go run ./scripts/bench -n 1000,10000   # memory at two list sizes
//	go run ./scripts/bench -server nginx   # nginx (Debian: apt-get install nginx) instead
//	go run ./scripts/bench -mode scan -server nginx -n 1000 -c 32   # certgate scan vs sslscan
//
// It starts the server, writes N targets that reach it, and in the same run
// measures, at each concurrency and for several rounds, alternating: (a) a
// bare Go loop — dial, handshake, x509.Verify against one pool, one line out
// per target — run as its own process (this binary in a hidden mode), and
// (b) `certgate check -o jsonl` over the same list. It prints the throughput
// of both, the ratio certgate/baseline, the peak RSS of each, and the
// one-target cold-start time of `certgate check` beside `openssl s_client`
// (skipped when openssl is not installed).
//
// With the in-process Go server every target is a distinct loopback address
// (127.1.x.y) with its own leaf certificate, all issued by one intermediate;
// the server listens on every local address and closes connections that do
// not arrive on a loopback one. With nginx every target is 127.0.0.1 with a
// distinct URL path, so one certificate serves them all.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	// Hidden modes: the baseline loop, as a process of its own; and a
	// wrapper that runs one command and reports its peak RSS on fd 3 (the
	// RUSAGE_CHILDREN of a process with one child is that child's).
	rusage := flag.Bool("rusage", false, "(internal) run the command after -- and report its peak RSS on fd 3")
	baseline := flag.Bool("baseline", false, "(internal) run the bare Go baseline over -list")
	list := flag.String("list", "", "(internal) target list of -baseline")
	root := flag.String("root", "", "(internal) root PEM of -baseline")

	sizes := flag.String("n", "1000", "number of targets; a comma-separated list runs each size (e.g. 1000,10000)")
	concs := flag.String("c", "32,128", "concurrencies to measure, comma-separated")
	rounds := flag.Int("rounds", 3, "rounds per concurrency, baseline and certgate alternating")
	server := flag.String("server", "go", "TLS server: go (in-process), nginx, or both (nginx is skipped when not installed)")
	bin := flag.String("certgate", "", "certgate binary to measure (default: build ./cmd/certgate)")
	stores := flag.String("store", "mozilla,java", "--store of certgate; the bench root is added with --ca-file")
	cold := flag.Int("cold", 20, "runs of the one-target cold-start comparison (0 skips it)")
	serve := flag.String("serve", "", "only serve: write the bench root to `DIR`/root.pem, print one target a line for -n, and serve until interrupted")
	profile := flag.String("cpuprofile", "", "also write a CPU profile of one certgate run (first -n and -c) to `FILE`")
	rtts := flag.String("rtt", "0,10ms", "-mode scan: round trips of the one-target comparison, comma-separated; above 0 a delaying proxy sits in front of the server")
	mode := flag.String("mode", "check", "what to measure: check (against a bare Go loop) or scan (certgate scan against sslscan and testssl.sh, then -n targets)")
	flag.Parse()

	if *rusage {
		os.Exit(runRusage(flag.Args()))
	}
	if *baseline {
		c, _ := strconv.Atoi(flag.Arg(0))
		if err := runBaseline(*list, *root, max(c, 1), os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "bench: baseline: %v\n", err)
			os.Exit(1)
		}
		return
	}
	cfg := config{rounds: *rounds, stores: *stores, cold: *cold, certgate: *bin, profile: *profile, scan: *mode == "scan"}
	for _, f := range strings.Split(*rtts, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(f))
		if f == "0" {
			d, err = 0, nil
		}
		if err != nil || d < 0 {
			fail(fmt.Errorf("-rtt: %q is not a duration", f))
		}
		cfg.rtts = append(cfg.rtts, d)
	}
	if *mode != "check" && *mode != "scan" {
		fail(fmt.Errorf("-mode: %q is not check or scan", *mode))
	}
	var err error
	if cfg.sizes, err = ints(*sizes); err != nil {
		fail(fmt.Errorf("-n: %w", err))
	}
	if cfg.concs, err = ints(*concs); err != nil {
		fail(fmt.Errorf("-c: %w", err))
	}
	if *serve != "" {
		if err := serveOnly(*serve, cfg.sizes[0]); err != nil {
			fail(err)
		}
		return
	}
	if err := run(cfg, *server); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "bench: %v\n", err)
	os.Exit(1)
}

type config struct {
	sizes, concs []int
	rounds, cold int
	stores       string
	certgate     string
	profile      string
	self         string
	work         string
	scan         bool
	rtts         []time.Duration
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}

func run(cfg config, server string) error {
	work, err := os.MkdirTemp("", "certgate-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	cfg.work = work
	if cfg.self, err = os.Executable(); err != nil {
		return err
	}
	if cfg.certgate == "" {
		cfg.certgate = filepath.Join(work, "certgate")
		fmt.Println("building certgate ...")
		b := exec.Command("go", "build", "-trimpath", "-o", cfg.certgate, "./cmd/certgate")
		b.Stdout, b.Stderr = os.Stderr, os.Stderr
		if err := b.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/certgate (run the bench from the repository root): %w", err)
		}
	}
	fmt.Println("minting the bench CA ...")
	p, err := newPKI()
	if err != nil {
		return err
	}
	rootFile := filepath.Join(work, "root.pem")
	if err := os.WriteFile(rootFile, pemOf(p.root), 0o600); err != nil {
		return err
	}
	maxN := slices.Max(cfg.sizes)

	modes := []string{server}
	if server == "both" {
		modes = []string{"go", "nginx"}
	}
	for _, m := range modes {
		var srv benchServer
		switch m {
		case "go":
			srv, err = startGoServer(p, maxN)
		case "nginx":
			srv, err = startNginx(p, work)
			if errors.Is(err, exec.ErrNotFound) {
				fmt.Println("\nnginx is not installed: skipping the nginx server (Debian: apt-get install nginx)")
				continue
			}
		default:
			return fmt.Errorf("-server: %q is not go, nginx or both", m)
		}
		if err != nil {
			return fmt.Errorf("%s server: %w", m, err)
		}
		if cfg.scan {
			err = measureScan(cfg, srv, rootFile)
		} else {
			err = measure(cfg, srv, rootFile)
		}
		srv.stop()
		if err != nil {
			return err
		}
	}
	return nil
}

// serveOnly runs the in-process server alone, for profiling by hand.
func serveOnly(dir string, n int) error {
	p, err := newPKI()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "root.pem"), pemOf(p.root), 0o600); err != nil {
		return err
	}
	srv, err := startGoServer(p, n)
	if err != nil {
		return err
	}
	defer srv.stop()
	fmt.Fprintln(os.Stderr, "one target:", srv.one)
	fmt.Println(strings.Join(srv.targets(n), "\n"))
	select {}
}

// benchServer is a running TLS server and the targets that reach it.
type benchServer struct {
	name    string
	targets func(n int) []string
	one     string // host:port of the one-target cold start
	stop    func()
}

func startGoServer(p *pki, n int) (benchServer, error) {
	ips := make([]net.IP, 0, n+1)
	ips = append(ips, net.IPv4(127, 0, 0, 1).To4())
	for i := range n {
		ips = append(ips, benchIP(i))
	}
	fmt.Printf("minting %d leaf certificates ...\n", len(ips))
	certs, err := p.leaves(ips)
	if err != nil {
		return benchServer{}, err
	}
	ln, err := net.Listen("tcp4", "0.0.0.0:0")
	if err != nil {
		return benchServer{}, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	cfg := &tls.Config{
		SessionTicketsDisabled: true,
		GetCertificate: func(h *tls.ClientHelloInfo) (*tls.Certificate, error) {
			ip, _, _ := net.SplitHostPort(h.Conn.LocalAddr().String())
			if c, ok := certs[ip]; ok {
				return c, nil
			}
			return certs["127.0.0.1"], nil
		},
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serveConn(c, cfg)
		}
	}()
	return benchServer{
		name: "in-process Go server",
		targets: func(n int) []string {
			ts := make([]string, n)
			for i := range n {
				ts[i] = net.JoinHostPort(benchIP(i).String(), strconv.Itoa(port))
			}
			return ts
		},
		one:  net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		stop: func() { ln.Close() },
	}, nil
}

// benchIP is the loopback address of target i: 127.1.0.1, 127.1.0.2, …
func benchIP(i int) net.IP {
	return net.IPv4(127, byte(1+i/(250*256)), byte(i/250%256), byte(i%250+1)).To4()
}

func serveConn(c net.Conn, cfg *tls.Config) {
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.TCPAddr); !ok || !a.IP.IsLoopback() {
		return // the bench serves loopback only
	}
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	tc := tls.Server(c, cfg)
	if err := tc.Handshake(); err != nil {
		return
	}
	// Wait for the client to close, as a real server would keep the
	// connection open for a request.
	_, _ = io.Copy(io.Discard, tc)
}

func startNginx(p *pki, work string) (benchServer, error) {
	nginx, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr != nil {
			return benchServer{}, err
		}
		nginx = "/usr/sbin/nginx"
	}
	leaf, err := p.leaf(net.IPv4(127, 0, 0, 1).To4())
	if err != nil {
		return benchServer{}, err
	}
	dir := filepath.Join(work, "nginx")
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o700); err != nil {
		return benchServer{}, err
	}
	key, err := keyPEM(leaf.PrivateKey)
	if err != nil {
		return benchServer{}, err
	}
	chain := append(pemOf(leaf.Leaf), pemOf(p.inter)...)
	if err := os.WriteFile(filepath.Join(dir, "chain.pem"), chain, 0o600); err != nil {
		return benchServer{}, err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), key, 0o600); err != nil {
		return benchServer{}, err
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		return benchServer{}, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := fmt.Sprintf(`daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body; proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fcgi; uwsgi_temp_path %[1]s/uwsgi; scgi_temp_path %[1]s/scgi;
  server {
    listen 127.0.0.1:%[2]d ssl backlog=4096;
    ssl_certificate %[1]s/chain.pem;
    ssl_certificate_key %[1]s/key.pem;
    ssl_session_tickets off;
    ssl_session_cache off;
    location / { return 204; }
  }
}
`, dir, port)
	confFile := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		return benchServer{}, err
	}
	cmd := exec.Command(nginx, "-p", dir, "-c", confFile)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return benchServer{}, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i > 50 {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return benchServer{}, fmt.Errorf("nginx did not start: %s", strings.TrimSpace(stderr.String()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	return benchServer{
		name: "nginx",
		targets: func(n int) []string {
			ts := make([]string, n)
			for i := range n {
				ts[i] = fmt.Sprintf("https://%s/t/%d", addr, i)
			}
			return ts
		},
		one: addr,
		stop: func() {
			_ = cmd.Process.Signal(syscall.SIGQUIT)
			_ = cmd.Wait()
		},
	}, nil
}

// runStat is one measured run of one program.
type runStat struct {
	secs  float64
	rss   int64 // peak resident set, bytes
	lines int64
}

type lineCounter struct{ n atomic.Int64 }

func (l *lineCounter) Write(b []byte) (int, error) {
	l.n.Add(int64(bytes.Count(b, []byte{'\n'})))
	return len(b), nil
}

// timed runs name with args through the -rusage wrapper and returns its
// wall time, peak RSS and the number of lines it printed.
func timed(name string, args ...string) (runStat, error) {
	self, err := os.Executable()
	if err != nil {
		return runStat{}, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return runStat{}, err
	}
	defer r.Close()
	cmd := exec.Command(self, append([]string{"-rusage", "--", name}, args...)...)
	var lc lineCounter
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &lc, &stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	start := time.Now()
	err = cmd.Start()
	w.Close()
	if err != nil {
		return runStat{}, err
	}
	report, _ := io.ReadAll(r)
	err = cmd.Wait()
	secs := time.Since(start).Seconds()
	if err != nil {
		return runStat{}, fmt.Errorf("%s: %w: %s", filepath.Base(name), err, lastLines(stderr.String()))
	}
	kb, perr := strconv.ParseInt(strings.TrimSpace(string(report)), 10, 64)
	if perr != nil {
		return runStat{}, fmt.Errorf("%s: no peak RSS reported: %s", filepath.Base(name), lastLines(stderr.String()))
	}
	return runStat{secs: secs, rss: kb * 1024, lines: lc.n.Load()}, nil
}

// runRusage is the -rusage wrapper: it runs args, passes its output
// through, and writes the child's peak RSS in kilobytes to fd 3.
func runRusage(args []string) int {
	if len(args) == 0 {
		return 2
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	err := cmd.Run()
	var ru syscall.Rusage
	if rerr := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); rerr == nil {
		fmt.Fprintln(os.NewFile(3, "report"), ru.Maxrss) // kilobytes on Linux
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func lastLines(s string) string {
	ls := strings.Split(strings.TrimSpace(s), "\n")
	if len(ls) > 5 {
		ls = ls[len(ls)-5:]
	}
	return strings.Join(ls, "\n")
}

func measure(cfg config, srv benchServer, rootFile string) error {
	fmt.Printf("\n== %s, %d round(s) per concurrency, baseline and certgate alternating\n", srv.name, cfg.rounds)
	fmt.Printf("certgate: check -o jsonl --store %s --ca-file ROOT --fail-on never\n", cfg.stores)
	fmt.Printf("baseline: dial, TLS handshake, x509.Verify against one pool, one line per target\n\n")
	fmt.Printf("%7s %5s  %12s %12s  %7s  %9s %9s\n", "targets", "-c", "baseline/s", "certgate/s", "ratio", "base RSS", "cg RSS")
	for _, n := range cfg.sizes {
		list := filepath.Join(cfg.work, fmt.Sprintf("targets-%d.txt", n))
		if err := os.WriteFile(list, []byte(strings.Join(srv.targets(n), "\n")+"\n"), 0o600); err != nil {
			return err
		}
		for _, c := range cfg.concs {
			var base, cg []runStat
			for r := range cfg.rounds {
				runBase := func() error {
					st, err := timed(cfg.self, "-baseline", "-list", list, "-root", rootFile, strconv.Itoa(c))
					base = append(base, st)
					return err
				}
				runCG := func() error {
					st, err := timed(cfg.certgate, "check", "-f", list, "-o", "jsonl", "-c", strconv.Itoa(c),
						"--store", cfg.stores, "--ca-file", rootFile, "--fail-on", "never")
					cg = append(cg, st)
					return err
				}
				first, second := runBase, runCG
				if r%2 == 1 {
					first, second = runCG, runBase
				}
				if err := first(); err != nil {
					return err
				}
				if err := second(); err != nil {
					return err
				}
			}
			for _, s := range append(slices.Clone(base), cg...) {
				if s.lines != int64(n) {
					return fmt.Errorf("a run printed %d lines for %d targets", s.lines, n)
				}
			}
			bt, ct := float64(n)/median(base), float64(n)/median(cg)
			fmt.Printf("%7d %5d  %12.0f %12.0f  %7.2f  %8.1fM %8.1fM\n", n, c, bt, ct, ct/bt,
				mib(peak(base)), mib(peak(cg)))
		}
	}
	if cfg.profile != "" {
		list := filepath.Join(cfg.work, fmt.Sprintf("targets-%d.txt", cfg.sizes[0]))
		if _, err := timed(cfg.certgate, "check", "-f", list, "-o", "jsonl", "-c", strconv.Itoa(cfg.concs[0]),
			"--store", cfg.stores, "--ca-file", rootFile, "--fail-on", "never", "--cpuprofile", cfg.profile); err != nil {
			return err
		}
		fmt.Printf("\nCPU profile of one certgate run (%d targets, -c %d): %s\n", cfg.sizes[0], cfg.concs[0], cfg.profile)
	}
	if cfg.cold > 0 {
		return coldStart(cfg, srv, rootFile)
	}
	return nil
}

func median(rs []runStat) float64 {
	s := make([]float64, len(rs))
	for i, r := range rs {
		s[i] = r.secs
	}
	sort.Float64s(s)
	return s[len(s)/2]
}

func peak(rs []runStat) int64 {
	var m int64
	for _, r := range rs {
		m = max(m, r.rss)
	}
	return m
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// coldStart times one-target runs of certgate — with the stores of the run,
// and with the bench root as its only store, as openssl has it — and of
// openssl s_client, interleaved, and prints the medians.
func coldStart(cfg config, srv benchServer, rootFile string) error {
	host, port, _ := net.SplitHostPort(srv.one)
	openssl, lookErr := exec.LookPath("openssl")
	runs := []struct {
		name string
		run  func() (time.Duration, error)
	}{
		{"certgate check --store " + cfg.stores + " --ca-file ROOT", func() (time.Duration, error) {
			return wall(cfg.certgate, "check", "https://"+srv.one, "-o", "jsonl", "--store", cfg.stores, "--ca-file", rootFile)
		}},
		{"certgate check --store ROOT", func() (time.Duration, error) {
			return wall(cfg.certgate, "check", "https://"+srv.one, "-o", "jsonl", "--store", rootFile)
		}},
	}
	if lookErr == nil {
		runs = append(runs, struct {
			name string
			run  func() (time.Duration, error)
		}{"openssl s_client -CAfile ROOT", func() (time.Duration, error) {
			return wall(openssl, "s_client", "-connect", net.JoinHostPort(host, port), "-CAfile", rootFile,
				"-verify_return_error", "-verify_ip", host, "-no_ign_eof")
		}})
	}
	times := make([][]time.Duration, len(runs))
	for range cfg.cold {
		for i, r := range runs {
			d, err := r.run()
			if err != nil {
				return err
			}
			times[i] = append(times[i], d)
		}
	}
	fmt.Printf("\ncold start, one target, median of %d runs:\n", cfg.cold)
	for i, r := range runs {
		m := medianDur(times[i])
		fmt.Printf("  %-55s %6.1f ms", r.name, ms(m))
		if lookErr == nil && i < len(runs)-1 {
			fmt.Printf("  (%.2f x openssl)", ms(m)/ms(medianDur(times[len(runs)-1])))
		}
		fmt.Println()
	}
	if lookErr != nil {
		fmt.Println("  openssl is not installed: no comparison")
	}
	return nil
}

func wall(name string, args ...string) (time.Duration, error) {
	return wallWithin(30*time.Second, name, args...)
}

// wallWithin is wall with its own limit, for a tool that takes minutes.
func wallWithin(limit time.Duration, name string, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader("")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, fmt.Errorf("%s: %w: %s", filepath.Base(name), err, lastLines(stderr.String()))
	}
	return time.Since(start), nil
}

func medianDur(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

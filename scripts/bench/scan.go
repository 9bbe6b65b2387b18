package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// measureScan compares `certgate scan` of one target with sslscan (and
// testssl.sh when installed) on the same server in the same run, rounds
// alternating, then scans n targets with certgate for throughput and peak
// RSS.
func measureScan(cfg config, srv benchServer, rootFile string) error {
	for _, rtt := range cfg.rtts {
		if err := compareOne(cfg, srv, rootFile, rtt); err != nil {
			return err
		}
	}
	return scanMany(cfg, srv, rootFile)
}

// compareOne times certgate scan, sslscan and testssl.sh on one target,
// directly (rtt 0) or through a delaying proxy with that round trip.
func compareOne(cfg config, srv benchServer, rootFile string, rtt time.Duration) error {
	addr := srv.one
	if rtt > 0 {
		a, stop, err := delayProxy(srv.one, rtt/2)
		if err != nil {
			return err
		}
		defer stop()
		addr = a
	}
	fmt.Printf("\n== certgate scan on %s, round trip %s, %d round(s), alternating\n", srv.name, rtt, cfg.rounds)
	one := "https://" + addr + "/"
	cg := func() (time.Duration, error) {
		return wall(cfg.certgate, "scan", "-o", "json", "--store", cfg.stores, "--ca-file", rootFile, "--fail-on", "never", one)
	}
	type tool struct {
		name string
		run  func() (time.Duration, error)
		once bool // timed in the first round only (testssl.sh takes tens of seconds)
	}
	tools := []tool{{name: "certgate scan", run: cg}}
	if p, err := exec.LookPath("sslscan"); err == nil {
		tools = append(tools, tool{name: "sslscan", run: func() (time.Duration, error) { return wall(p, "--no-colour", addr) }})
	} else {
		fmt.Println("sslscan is not installed: no comparison (Debian: apt-get install sslscan)")
	}
	testssl := ""
	for _, name := range []string{"testssl.sh", "testssl"} {
		if p, err := exec.LookPath(name); err == nil {
			testssl = p
		}
	}
	if testssl != "" {
		tools = append(tools, tool{"testssl.sh", func() (time.Duration, error) {
			return wallWithin(20*time.Minute, testssl, "--quiet", "--color", "0", "--warnings", "off", addr)
		}, true})
	} else {
		fmt.Println("testssl.sh is not installed (Debian: apt-get install testssl.sh): no comparison with it")
	}
	times := make([][]time.Duration, len(tools))
	for round := range cfg.rounds {
		for i, t := range tools {
			if t.once && round > 0 {
				continue
			}
			d, err := t.run()
			if err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
			times[i] = append(times[i], d)
		}
	}
	base := medianDur(times[0])
	fmt.Printf("%-14s %10s  %s\n", "one target", "median ms", "certgate is")
	for i, t := range tools {
		m := medianDur(times[i])
		ratio := ""
		if i > 0 {
			ratio = fmt.Sprintf("%.1fx faster", float64(m)/float64(base))
		}
		fmt.Printf("%-14s %10.1f  %s\n", t.name, ms(m), ratio)
	}
	return nil
}

// scanMany scans every -n list at every -c and prints throughput and peak
// RSS.
func scanMany(cfg config, srv benchServer, rootFile string) error {
	for _, n := range cfg.sizes {
		list := filepath.Join(cfg.work, fmt.Sprintf("scan-targets-%d.txt", n))
		if err := os.WriteFile(list, []byte(strings.Join(srv.targets(n), "\n")+"\n"), 0o600); err != nil {
			return err
		}
		for _, c := range cfg.concs {
			st, err := timed(cfg.certgate, "scan", "-o", "jsonl", "-c", fmt.Sprint(c), "--store", cfg.stores, "--ca-file", rootFile, "--fail-on", "never", "-f", list)
			if err != nil {
				return err
			}
			if st.lines != int64(n) {
				return fmt.Errorf("certgate scan printed %d results for %d targets", st.lines, n)
			}
			fmt.Printf("%d targets, -c %d: %.1f s, %.1f targets/s, peak RSS %.1f MiB\n", n, c, st.secs, float64(n)/st.secs, mib(st.rss))
		}
	}
	return nil
}

// delayProxy listens on 127.0.0.1 and forwards every connection to addr,
// holding each chunk of bytes, in each direction, for delay before it is
// passed on: a network path with a round trip of twice delay, without a
// bandwidth limit, in front of the same loopback server.
func delayProxy(addr string, delay time.Duration) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				s, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer s.Close()
				done := make(chan struct{}, 2)
				go func() { delayCopy(s, c, delay); done <- struct{}{} }()
				go func() { delayCopy(c, s, delay); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return ln.Addr().String(), func() { ln.Close() }, nil
}

// delayCopy copies src to dst, each chunk delay after it was read.
func delayCopy(dst, src net.Conn, delay time.Duration) {
	type chunk struct {
		due  time.Time
		data []byte
	}
	q := make(chan chunk, 1024)
	go func() {
		defer close(q)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				q <- chunk{time.Now().Add(delay), buf[:n]}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range q {
		time.Sleep(time.Until(c.due))
		if _, err := dst.Write(c.data); err != nil {
			break
		}
	}
	if tc, ok := dst.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	for range q {
	}
}

package main

import (
	"fmt"
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
	fmt.Printf("\n== certgate scan on %s, %d round(s), alternating\n", srv.name, cfg.rounds)
	one := "https://" + srv.one + "/"
	cg := func() (time.Duration, error) {
		return wall(cfg.certgate, "scan", "-o", "json", "--store", cfg.stores, "--ca-file", rootFile, "--fail-on", "never", one)
	}
	type tool struct {
		name string
		run  func() (time.Duration, error)
	}
	tools := []tool{{"certgate scan", cg}}
	if p, err := exec.LookPath("sslscan"); err == nil {
		tools = append(tools, tool{"sslscan", func() (time.Duration, error) { return wall(p, "--no-colour", srv.one) }})
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
			return wall(testssl, "--quiet", "--color", "0", "--warnings", "off", srv.one)
		}})
	} else {
		fmt.Println("testssl.sh is not installed (it is not packaged for Debian): no comparison with it")
	}
	times := make([][]time.Duration, len(tools))
	for range cfg.rounds {
		for i, t := range tools {
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

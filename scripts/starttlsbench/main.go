// Command starttlsbench measures what a STARTTLS check costs against the
// real servers users run, as the README's "STARTTLS targets" section
// reports:
//
//	go run ./scripts/starttlsbench            # every daemon, 11 runs each
//	go run ./scripts/starttlsbench -n 21 -daemons postfix,dovecot
//	go run ./scripts/starttlsbench -certgate ./certgate   # a binary already built
//
// It makes a test hierarchy (root → intermediate → leaf for
// example.test), starts each daemon of internal/daemons once with it
// (Postfix, Dovecot, slapd, PostgreSQL, MariaDB, Prosody, vsftpd, nnrpd;
// a daemon that is not installed is skipped with the package to install)
// and, for every dialect it serves, takes the median of N runs of:
//
//   - `certgate check TARGET --resolve ... --store ROOT -o json` (the built
//     binary, a process per run; every run must be ok);
//   - `openssl s_client -starttls DIALECT -verify_return_error -CAfile ROOT`
//     on the same endpoint (every run must verify);
//   - in process: one probe (pkg/probe: dial, dialogue, handshake), and on
//     one connection the dial with the dialogue (starttls.Upgrade) and the
//     TLS handshake after it, timed apart.
//
// A first row does the same over implicit TLS against an in-process Go
// server with the same chain, the baseline without a dialogue. It prints
// one table; "ratio" is certgate's median over openssl's. The in-process
// costs against in-process fake servers of every dialect are also
// measured by `go test ./pkg/probe -run '^$' -bench ProbeStartTLS`.
//
// The daemons run as root as their own users, as in production; Postfix
// and nnrpd need root (see internal/daemons).
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/certgate/certgate/internal/daemons"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/starttls"
	"github.com/certgate/certgate/pkg/target"
)

func main() {
	n := flag.Int("n", 11, "runs per measurement (the median is reported)")
	only := flag.String("daemons", "", "comma-separated daemons to measure (default: all of "+strings.Join(daemons.Daemons(), ",")+")")
	bin := flag.String("certgate", "", "certgate binary to measure (default: build ./cmd/certgate)")
	flag.Parse()
	if *n < 1 {
		fmt.Fprintln(os.Stderr, "starttlsbench: -n must be at least 1")
		os.Exit(2)
	}
	for _, d := range strings.Split(*only, ",") {
		if d != "" && !slices.Contains(daemons.Daemons(), d) {
			fmt.Fprintf(os.Stderr, "starttlsbench: -daemons: unknown daemon %q; use some of %s\n", d, strings.Join(daemons.Daemons(), ","))
			os.Exit(2)
		}
	}
	if err := run(*n, *only, *bin); err != nil {
		fmt.Fprintln(os.Stderr, "starttlsbench:", err)
		os.Exit(1)
	}
}

// row is one measured endpoint.
type row struct {
	name, daemon               string
	certgate, openssl          time.Duration
	probe, dialogue, handshake time.Duration
}

// bench is one run's shared state: the hierarchy and its files.
type bench struct {
	n        int
	certgate string
	openssl  string
	rootFile string
	leaf     *testpki.Leaf
	inter    *testpki.CA
}

func run(n int, only, bin string) error {
	top, err := os.MkdirTemp("", "starttlsbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(top)
	if err := os.Chmod(top, 0o755); err != nil { // the daemons' own users read below it
		return err
	}
	b := &bench{n: n, certgate: bin}
	if b.certgate == "" {
		b.certgate = filepath.Join(top, "certgate")
		fmt.Fprintln(os.Stderr, "building ./cmd/certgate ...")
		cmd := exec.Command("go", "build", "-o", b.certgate, "./cmd/certgate")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/certgate (run from the module's root, or pass -certgate): %w", err)
		}
	}
	if b.openssl, err = exec.LookPath("openssl"); err != nil {
		return errors.New("openssl is not installed (apt-get install openssl); it is the reference measured against")
	}
	now := time.Now()
	root, err := testpki.MakeRoot("starttlsbench root")
	if err != nil {
		return err
	}
	if b.inter, err = root.MakeIntermediate("starttlsbench intermediate"); err != nil {
		return err
	}
	if b.leaf, err = b.inter.MakeLeaf(testpki.DNS("example.test"), testpki.Validity(now.Add(-24*time.Hour), now.AddDate(1, 0, 0))); err != nil {
		return err
	}
	b.rootFile = filepath.Join(top, "root.pem")
	if err := os.WriteFile(b.rootFile, testpki.PEM(root.Cert), 0o644); err != nil {
		return err
	}

	var rows []row
	r, err := b.implicit()
	if err != nil {
		return err
	}
	rows = append(rows, r)
	for _, d := range daemons.Daemons() {
		if only != "" && !slices.Contains(strings.Split(only, ","), d) {
			continue
		}
		got, err := b.daemon(top, d)
		if err != nil {
			return err
		}
		rows = append(rows, got...)
	}
	printTable(rows, n)
	return nil
}

// implicit measures the baseline: implicit TLS to an in-process Go server
// serving the same chain.
func (b *bench) implicit() (row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return row{}, err
	}
	defer ln.Close()
	cfg := &tls.Config{Certificates: []tls.Certificate{b.leaf.TLSCert(b.inter.Cert)}}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				tc := tls.Server(c, cfg)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if tc.Handshake() == nil {
					_, _ = tc.Read(make([]byte, 1)) // until the client closes
				}
			}()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	r := row{name: "https (implicit TLS)", daemon: "Go crypto/tls"}
	err = b.measure(&r, "https://example.test:"+port, "example.test:"+port+":127.0.0.1", ln.Addr().String(), "", "example.test")
	return r, err
}

// daemon starts d once and measures every dialect it serves.
func (b *bench) daemon(top, d string) ([]row, error) {
	t := newTB(top, d)
	defer t.cleanup()
	var eps []daemons.Endpoint
	if skipped, err := t.do(func() {
		cert := daemons.WriteCert(t, "example.test", b.leaf, b.inter.Cert)
		eps = daemons.StartDaemon(t, d, cert)
	}); skipped || err != nil {
		if skipped {
			fmt.Fprintf(os.Stderr, "%s: %v\n", d, t.msg)
			return nil, nil
		}
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "%s: started in %v\n", d, eps[0].StartTime.Round(time.Millisecond))
	var rows []row
	for _, ep := range eps {
		r := row{name: ep.Kind.Name, daemon: d}
		if err := b.measure(&r, ep.Target(), ep.Resolve(), ep.Addr, ep.Kind.OpenSSL, ep.Host); err != nil {
			return nil, fmt.Errorf("%s (%s): %w", ep.Kind.Name, d, err)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// measure fills r's medians for the endpoint: tgt by name with its
// --resolve entry, addr the address, dialect openssl's -starttls name
// ("" for implicit TLS), host the name to verify.
func (b *bench) measure(r *row, tgt, resolve, addr, dialect, host string) error {
	cg := []string{"check", tgt, "--resolve", resolve, "--store", b.rootFile, "-o", "json"}
	ossl := []string{"s_client", "-connect", addr, "-servername", host, "-verify_hostname", host,
		"-verify_return_error", "-CAfile", b.rootFile}
	if dialect != "" {
		ossl = append(ossl, "-starttls", dialect)
		if strings.HasPrefix(dialect, "xmpp") {
			ossl = append(ossl, "-xmpphost", host)
		}
	}
	tg, err := target.Parse(tgt)
	if err != nil {
		return err
	}
	opts := probe.Options{Timeout: 10 * time.Second, Resolve: map[string]string{tg.Key(): "127.0.0.1"}}
	var cgT, osT, prT, dlT, hsT []time.Duration
	for range b.n {
		took, out, err := timed(b.certgate, cg...)
		if err != nil || !checkOK(out) {
			return fmt.Errorf("certgate %s: not ok (%v):\n%s", strings.Join(cg, " "), err, out)
		}
		cgT = append(cgT, took)

		took, out, err = timed(b.openssl, ossl...)
		if err != nil || !bytes.Contains(out, []byte("Verify return code: 0 (ok)")) {
			return fmt.Errorf("openssl %s: did not verify (%v):\n%s", strings.Join(ossl, " "), err, out)
		}
		osT = append(osT, took)

		start := time.Now()
		if obs := probe.Probe(context.Background(), tg, opts); obs.Err != nil {
			return fmt.Errorf("probe %s: %v", tgt, obs.Err)
		}
		prT = append(prT, time.Since(start))

		up, hs, err := dialogue(addr, tg.StartTLS, host)
		if err != nil {
			return fmt.Errorf("dialogue %s: %w", tgt, err)
		}
		dlT, hsT = append(dlT, up), append(hsT, hs)
	}
	r.certgate, r.openssl, r.probe = median(cgT), median(osT), median(prT)
	r.dialogue, r.handshake = median(dlT), median(hsT)
	return nil
}

// dialogue times, on one connection, a dial with proto's STARTTLS
// dialogue (a dial alone when proto is ""), then the TLS handshake that
// follows it.
func dialogue(addr, proto, host string) (upgrade, handshake time.Duration, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := time.Now()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	if proto != "" {
		if err := starttls.Upgrade(ctx, c, proto, starttls.Options{Host: host}); err != nil {
			return 0, 0, err
		}
	}
	upgrade = time.Since(start)
	start = time.Now()
	// Only the time is measured here; the chain is verified by the
	// certgate and openssl runs of the same endpoint.
	tc := tls.Client(c, &tls.Config{ServerName: host, InsecureSkipVerify: true, NextProtos: starttls.ALPN(proto)})
	if err := tc.HandshakeContext(ctx); err != nil {
		return 0, 0, fmt.Errorf("TLS handshake after the dialogue: %w", err)
	}
	return upgrade, time.Since(start), nil
}

// timed runs prog with args, stdin empty, and returns its wall time and
// standard output; standard error joins a failure's error.
func timed(prog string, args ...string) (time.Duration, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, prog, args...)
	cmd.Stdin = strings.NewReader("")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil {
		err = fmt.Errorf("%w: %s", err, bytes.TrimSpace(errOut.Bytes()))
	}
	return took, out.Bytes(), err
}

// checkOK reports whether out is certgate's JSON array of one ok result.
func checkOK(out []byte) bool {
	var rs []struct {
		Status string `json:"status"`
	}
	return json.Unmarshal(out, &rs) == nil && len(rs) == 1 && rs[0].Status == "ok"
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64)
}

func printTable(rows []row, n int) {
	fmt.Printf("median of %d runs, wall time in ms; ratio = certgate / openssl\n\n", n)
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "dialect\tserver\tcertgate check\topenssl s_client\tratio\tprobe (in process)\tdial+dialogue\tTLS handshake\t")
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%.2f\t%s\t%s\t%s\t\n", r.name, r.daemon, ms(r.certgate), ms(r.openssl),
			float64(r.certgate)/float64(r.openssl), ms(r.probe), ms(r.dialogue), ms(r.handshake))
	}
	w.Flush()
}

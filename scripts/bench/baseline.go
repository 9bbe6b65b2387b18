package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// runBaseline is the bare Go loop certgate is measured against: for every
// target of list, dial, complete a TLS handshake, verify the chain with
// x509.Verify against the one pool in rootFile, and print one line, with
// conc targets in flight. It runs as its own process (the hidden -baseline
// mode) so its memory is measured as certgate's is.
func runBaseline(list, rootFile string, conc int, out io.Writer) error {
	pemBytes, err := os.ReadFile(rootFile)
	if err != nil {
		return err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		return fmt.Errorf("%s: no certificate", rootFile)
	}
	f, err := os.Open(list)
	if err != nil {
		return err
	}
	defer f.Close()

	jobs := make(chan string)
	lines := make(chan string, conc)
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for t := range jobs {
				lines <- checkOne(t, pool)
			}
		})
	}
	go func() {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if t := strings.TrimSpace(sc.Text()); t != "" {
				jobs <- t
			}
		}
		close(jobs)
		wg.Wait()
		close(lines)
	}()
	w := bufio.NewWriter(out)
	for l := range lines {
		w.WriteString(l)
		w.WriteByte('\n')
		w.Flush() // one line out per target, as it completes
	}
	return nil
}

func checkOne(t string, pool *x509.CertPool) string {
	addr := t
	if u, err := url.Parse(t); err == nil && u.Scheme == "https" {
		addr = u.Host
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return t + " error " + err.Error()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := tls.Dialer{Config: &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return t + " error " + err.Error()
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	inter := x509.NewCertPool()
	for _, ic := range certs[1:] {
		inter.AddCert(ic)
	}
	if _, err := certs[0].Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter, DNSName: host}); err != nil {
		return t + " fail " + err.Error()
	}
	return t + " ok"
}

// Command hostileserve starts one loopback fault server of every kind that
// package faultserver offers and writes a list of n targets cycling through
// them, for measuring certgate against a hostile crowd
// (scripts/hostile-rss.sh). It serves until interrupted or until its
// standard input closes.
//
//	go run ./scripts/hostileserve -n 2000 -list targets.txt
package main

import (
	"encoding/pem"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/certgate/certgate/internal/faultserver"
)

func main() {
	n := flag.Int("n", 2000, "number of targets to list")
	list := flag.String("list", "hostile-targets.txt", "file to write the target list to")
	root := flag.String("root", "", "file to write the fault servers' root CA to (PEM), for --store")
	flag.Parse()
	if err := run(*n, *list, *root); err != nil {
		fmt.Fprintf(os.Stderr, "hostileserve: %v\n", err)
		os.Exit(1)
	}
}

func run(n int, list, rootFile string) error {
	ca, err := faultserver.NewRoot("Hostile Crowd Root")
	if err != nil {
		return err
	}
	good, err := ca.Leaf()
	if err != nil {
		return err
	}
	certs := map[string]faultserver.Option{
		"huge":    faultserver.Padding(1 << 20),
		"y9999":   faultserver.Validity(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)),
		"y1950":   faultserver.Validity(time.Date(1949, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)),
		"nul-san": faultserver.DNS("example.test\x00.evil.test"),
		"subject": faultserver.Subject("\x1b[31mevil\r\u202egnp.exe", "\x1b]0;owned\x07", "x"),
	}
	handlers := map[string]faultserver.Handler{
		"silent": faultserver.Silent(),
		"stall":  faultserver.StallAfter(faultserver.Config(good), 100),
		"drip":   faultserver.Drip(faultserver.Config(good), time.Second),
		"reset":  faultserver.Reset(),
		"http":   faultserver.PlainHTTP(),
		"alert":  faultserver.Alert(40),
		"good":   faultserver.TLS(faultserver.Config(good), nil),
	}
	for name, opt := range certs {
		c, err := ca.Leaf(opt)
		if err != nil {
			return err
		}
		handlers[name] = faultserver.TLS(faultserver.Config(c), nil)
	}
	chain, err := ca.Chain(200)
	if err != nil {
		return err
	}
	handlers["chain200"] = faultserver.TLS(faultserver.Config(chain), nil)
	bad, err := faultserver.Malformed()
	if err != nil {
		return err
	}
	handlers["malformed"] = faultserver.TLS(faultserver.Config(bad), nil)

	var addrs []string
	for name, h := range handlers {
		s, err := faultserver.Start(h)
		if err != nil {
			return err
		}
		defer s.Close()
		addrs = append(addrs, s.Addr())
		fmt.Fprintf(os.Stderr, "hostileserve: %-10s %s\n", name, s.Addr())
	}
	var b strings.Builder
	for i := range n {
		fmt.Fprintln(&b, addrs[i%len(addrs)])
	}
	if err := os.WriteFile(list, []byte(b.String()), 0o644); err != nil {
		return err
	}
	if rootFile != "" {
		if err := os.WriteFile(rootFile, pemCert(ca), 0o644); err != nil {
			return err
		}
	}
	fmt.Println("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	eof := make(chan struct{})
	go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-stop:
	case <-eof:
	}
	return nil
}

func pemCert(ca *faultserver.CA) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
}

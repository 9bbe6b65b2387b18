//go:build unix

package runner

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// BenchmarkEveryAddress checks 200 names of two loopback addresses each,
// at every address and with FirstAddress, at -c 32. One op is the whole
// run of 200 targets.
func BenchmarkEveryAddress(b *testing.B) {
	root := testpki.NewRoot(b, "Bench Addresses Root")
	cert := root.Leaf(b, testpki.DNS("*.bench.test")).TLSCert()
	port, lns := listenSamePort(b, "127.0.0.1", "127.0.0.2")
	for _, ln := range lns {
		serveTLS(b, ln, cert)
	}
	const hosts = 200
	table := map[string][]string{}
	raws := make([]string, hosts)
	for i := range raws {
		name := fmt.Sprintf("h%d.bench.test", i)
		table[name] = []string{"127.0.0.1", "127.0.0.2"}
		raws[i] = name + ":" + strconv.Itoa(port)
	}
	store, err := truststore.Load(testpki.WritePEM(b, "root.pem", root.Cert))
	if err != nil {
		b.Fatal(err)
	}
	for _, first := range []bool{false, true} {
		name := "every"
		if first {
			name = "first"
		}
		b.Run(name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				cfg := Config{Stores: []*truststore.Store{store}, At: testpki.Epoch, WarnDays: 30, Concurrency: 32, FirstAddress: first,
					Probe: probe.Options{Timeout: 10 * time.Second, DNS: hostsDNS(table)}}
				err := Run(context.Background(), inputs(raws), cfg, func(r result.Result) error {
					if r.Status != result.StatusOK {
						return fmt.Errorf("%s: %s %s", r.Target, r.Status, r.Detail)
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N)/hosts, "ms/host")
			// CPU time, client and servers alike, is steadier than wall
			// time on a shared machine.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/1000/float64(b.N)/hosts, "cpu-ms/host")
		})
	}
}

// cpuTime is the CPU time this process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

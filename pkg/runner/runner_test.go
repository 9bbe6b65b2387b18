package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

func loadStore(t *testing.T, ca *testpki.CA) *truststore.Store {
	t.Helper()
	s, err := truststore.Load(testpki.WritePEM(t, "root.pem", ca.Cert))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// inputs yields the given raw targets in order.
func inputs(raws []string) func() (Input, bool) {
	i := 0
	return func() (Input, bool) {
		if i >= len(raws) {
			return Input{}, false
		}
		in := Input{Raw: raws[i], Index: i}
		i++
		return in, true
	}
}

func TestRunEveryTargetExactlyOnce(t *testing.T) {
	root := testpki.NewRoot(t, "Runner Root")
	good := testpki.ServeCert(t, root.Leaf(t, testpki.IPs("127.0.0.1")))
	closed := testpki.ClosedPort(t)
	silent := testpki.ServeRaw(t, func(c net.Conn) { time.Sleep(10 * time.Second) })

	var raws []string
	want := map[int]result.Code{}
	for i := range 240 {
		switch i % 4 {
		case 0:
			raws, want[i] = append(raws, good), result.CodeNone
		case 1:
			raws, want[i] = append(raws, closed), result.CodeTCPRefused
		case 2:
			raws, want[i] = append(raws, fmt.Sprintf("bad target %d", i)), result.CodeInvalidURL
		case 3:
			if i%80 == 3 {
				raws, want[i] = append(raws, silent), result.CodeHandshake
			} else {
				raws, want[i] = append(raws, "http://"+good), result.CodeInvalidURL
			}
		}
	}
	for _, conc := range []int{1, 7, 64} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			cfg := Config{
				// Long enough for a loopback handshake on a loaded machine
				// under the race detector; the silent peers still time out.
				Probe:       probe.Options{Timeout: 2 * time.Second},
				Stores:      []*truststore.Store{loadStore(t, root)},
				At:          testpki.Epoch,
				WarnDays:    30,
				Concurrency: conc,
			}
			seen := map[int]int{}
			err := Run(context.Background(), inputs(raws), cfg, func(r result.Result) error {
				seen[r.Index]++
				if r.Code != want[r.Index] {
					t.Errorf("target %d (%s): code %d, want %d: %s", r.Index, r.Target, r.Code, want[r.Index], r.Detail)
				}
				if r.Target != raws[r.Index] {
					t.Errorf("result %d names %q, want %q", r.Index, r.Target, raws[r.Index])
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(seen) != len(raws) {
				t.Errorf("%d distinct results for %d targets", len(seen), len(raws))
			}
			for i, n := range seen {
				if n != 1 {
					t.Errorf("target %d emitted %d times", i, n)
				}
			}
		})
	}
}

func TestRunStopsEmittingAfterEmitError(t *testing.T) {
	raws := []string{"a b", "c d", "e f", "g h"}
	boom := errors.New("disk full")
	calls := 0
	err := Run(context.Background(), inputs(raws), Config{At: testpki.Epoch, Concurrency: 2}, func(result.Result) error {
		calls++
		return boom
	})
	if !errors.Is(err, boom) || calls != 1 {
		t.Errorf("err %v after %d calls, want %v after 1", err, calls, boom)
	}
}

func TestCheckSetsSchemaAndEmptyCollections(t *testing.T) {
	r := Check(context.Background(), Input{Raw: "http://example.test", Index: 3}, Config{At: testpki.Epoch})
	if r.Schema != result.Schema || r.Index != 3 || r.Chain == nil || r.Problems == nil || r.Trust == nil {
		t.Errorf("result %+v: want schema, index 3 and non-nil collections", r)
	}
	if !r.ValidatedAt.Equal(testpki.Epoch) {
		t.Errorf("validated_at %s, want %s", r.ValidatedAt, testpki.Epoch)
	}
}

package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
)

// exhaustEnv, in a child process of this test binary, names a target to
// check after using up every file descriptor (see TestMain).
const exhaustEnv = "CERTGATE_TEST_EXHAUST_TARGET"

func TestMain(m *testing.M) {
	if tgt := os.Getenv(exhaustEnv); tgt != "" {
		os.Exit(checkExhausted(tgt))
	}
	os.Exit(m.Run())
}

// checkExhausted lowers the open-file limit, opens files until none is
// left, checks tgt and writes its result as JSON on stdout.
func checkExhausted(tgt string) int {
	lim := syscall.Rlimit{Cur: 64, Max: 64}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 3
	}
	var held []*os.File
	for {
		f, err := os.Open(os.DevNull)
		if err != nil {
			break
		}
		held = append(held, f)
	}
	r := Check(context.Background(), Input{Raw: tgt}, Config{Probe: probe.Options{Timeout: 10 * time.Second}, At: testpki.Epoch})
	runtime.KeepAlive(held)
	if err := json.NewEncoder(os.Stdout).Encode(r); err != nil {
		return 3
	}
	return 0
}

// TestLocalResourceExhausted checks that a dial that fails because certgate
// has no file descriptor left is reported as certgate's problem, not the
// server's: local-resource-exhausted, status error, no code.
func TestLocalResourceExhausted(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("sets RLIMIT_NOFILE in a child process")
	}
	root := testpki.NewRoot(t, "Exhaust Root")
	addr := testpki.ServeCert(t, root.Leaf(t, testpki.IPs("127.0.0.1")))
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), exhaustEnv+"="+addr)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	var r result.Result
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("child wrote %q: %v", out, err)
	}
	if r.Status != result.StatusError || r.Code != result.CodeNone || len(r.Problems) != 1 || r.Problems[0].ID != result.ProblemLocalResource {
		t.Fatalf("result %s %d %+v, want error, code 0, problem %s", r.Status, r.Code, r.Problems, result.ProblemLocalResource)
	}
	if d := r.Detail; d == "" || !containsAll(d, "certgate's limit", "not the server's", "ulimit -n") {
		t.Errorf("detail %q does not say the limit is certgate's and how to raise it", d)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestOrderedWindow checks that an ordered run emits in input order and
// starts no target more than OrderWindow past the oldest one not yet
// emitted, however long that one takes.
func TestOrderedWindow(t *testing.T) {
	// At least two workers: one is held by the slow first target.
	for _, conc := range []int{2, 80} {
		t.Run(fmt.Sprint(conc), func(t *testing.T) {
			w := OrderWindow(conc)
			release := make(chan struct{})
			var once sync.Once
			free := func() { once.Do(func() { close(release) }) }
			t.Cleanup(free)
			slow := testpki.ServeRaw(t, func(c net.Conn) { <-release })
			var emittedFirst atomic.Bool
			calls, total := 0, 3*w
			var violation string
			next := func() (Input, bool) {
				if calls == total {
					return Input{}, false
				}
				calls++
				switch {
				case calls == w:
					// The window is full: let the first target end.
					free()
				case calls == w+1 && !emittedFirst.Load():
					violation = fmt.Sprintf("target %d started before target 0 was emitted", w)
				}
				raw := "not a target"
				if calls == 1 {
					raw = slow
				}
				return Input{Raw: raw, Index: calls - 1}, true
			}
			var got []int
			err := Run(context.Background(), next, Config{Concurrency: conc, Ordered: true, Probe: probe.Options{Timeout: time.Minute}}, func(r result.Result) error {
				if r.Index == 0 {
					emittedFirst.Store(true)
				}
				got = append(got, r.Index)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if violation != "" {
				t.Error(violation)
			}
			if len(got) != total {
				t.Fatalf("%d results, want %d", len(got), total)
			}
			for i, idx := range got {
				if idx != i {
					t.Fatalf("result %d has index %d: not in input order", i, idx)
				}
			}
		})
	}
}

// TestInterruptLeavesOutUnfinished checks that cancelling a run emits every
// complete result, none for the targets cut short, and counts those.
func TestInterruptLeavesOutUnfinished(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			release := make(chan struct{})
			t.Cleanup(func() { close(release) })
			accepted := make(chan struct{}, 8)
			slow := testpki.ServeRaw(t, func(c net.Conn) {
				accepted <- struct{}{}
				<-release
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			raws := []string{"not a target", slow, "not a target", slow, slow, "also not"}
			i := 0
			next := func() (Input, bool) {
				if i == len(raws) {
					return Input{}, false
				}
				i++
				return Input{Raw: raws[i-1], Index: i - 1}, true
			}
			go func() {
				// Both workers are held by slow targets: stop the run.
				<-accepted
				<-accepted
				cancel()
			}()
			var got []result.Result
			err := Run(ctx, next, Config{Concurrency: 2, Ordered: ordered, Probe: probe.Options{Timeout: time.Minute}}, func(r result.Result) error {
				got = append(got, r)
				return nil
			})
			var intr *Interrupted
			if !errors.As(err, &intr) {
				t.Fatalf("error %v, want *Interrupted", err)
			}
			for _, r := range got {
				if r.Target == slow {
					t.Errorf("target cut short got a result: %s %d %q", r.Status, r.Code, r.Detail)
				}
			}
			first := false
			for _, r := range got {
				first = first || r.Index == 0
			}
			if !first {
				t.Errorf("the complete first result was not emitted: %+v", got)
			}
			if emitted := len(got); emitted+intr.NotChecked != i {
				t.Errorf("%d emitted + %d not checked != %d taken", emitted, intr.NotChecked, i)
			}
		})
	}
}

// TestWorkersOnDemand checks that a large concurrency starts no more
// workers than the targets need.
func TestWorkersOnDemand(t *testing.T) {
	const conc = 10000
	most := 0
	err := Run(context.Background(), inputs([]string{"not a target", "nor this", "nor that"}), Config{Concurrency: conc}, func(r result.Result) error {
		most = max(most, runtime.NumGoroutine())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if most > 100 {
		t.Errorf("%d goroutines for 3 targets at -c %d", most, conc)
	}
}

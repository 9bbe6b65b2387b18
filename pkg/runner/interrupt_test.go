package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
)

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

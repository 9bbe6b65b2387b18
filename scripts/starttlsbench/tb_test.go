package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestTB: the adapter ends a call at Fatalf (an error naming the daemon)
// and Skipf (skipped, with the message), runs clean-ups last first, and
// makes temporary directories below the run's own, which clean-up removes.
func TestTB(t *testing.T) {
	top := t.TempDir()
	for _, tc := range []struct {
		name        string
		f           func(*tb)
		skipped     bool
		errContains string
	}{
		{"returns", func(*tb) {}, false, ""},
		{"fatal", func(x *tb) { x.Fatalf("no %s", "luck"); panic("not reached") }, false, "postfix: no luck"},
		{"skip", func(x *tb) { x.Skipf("SKIPPED: %s", "not installed"); panic("not reached") }, true, ""},
		{"error goes on", func(x *tb) { x.Errorf("bad"); x.Logf("after") }, false, "postfix: bad"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := newTB(top, "postfix")
			skipped, err := x.do(func() { tc.f(x) })
			if skipped != tc.skipped || (err == nil) != (tc.errContains == "") || (err != nil && !strings.Contains(err.Error(), tc.errContains)) {
				t.Fatalf("do: skipped %v, err %v; want skipped %v, error containing %q", skipped, err, tc.skipped, tc.errContains)
			}
			if tc.skipped && x.msg != "SKIPPED: not installed" {
				t.Errorf("skip message %q", x.msg)
			}
		})
	}

	x := newTB(top, "dovecot")
	var order []int
	dir := x.TempDir()
	if !strings.HasPrefix(dir, top+string(os.PathSeparator)) {
		t.Errorf("TempDir %s is not below %s", dir, top)
	}
	x.Cleanup(func() { order = append(order, 1) })
	x.Cleanup(func() { order = append(order, 2) })
	x.cleanup()
	if len(order) != 2 || order[0] != 2 || order[1] != 1 {
		t.Errorf("clean-ups ran in order %v, want [2 1]", order)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("TempDir %s left after clean-up: %v", dir, err)
	}
}

func TestMedian(t *testing.T) {
	for _, tc := range []struct {
		in   []time.Duration
		want time.Duration
	}{
		{[]time.Duration{3}, 3},
		{[]time.Duration{5, 1, 3}, 3},
		{[]time.Duration{9, 1, 8, 2, 7}, 7},
	} {
		if got := median(tc.in); got != tc.want {
			t.Errorf("median(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

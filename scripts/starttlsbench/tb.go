package main

import (
	"fmt"
	"os"
	"testing"
)

// tb lets a program call internal/daemons, whose functions take a
// testing.TB: it implements the methods they call (Helper, TempDir,
// Cleanup, Logf, Errorf, Fatalf, Skipf); Fatalf and Skipf end the call
// that do runs, as they end a test. Any other method is not implemented
// and panics.
type tb struct {
	testing.TB
	top, name string
	cleanups  []func()
	msg       string
	skipped   bool
	failed    bool
}

// stop is the panic value Fatalf and Skipf end a call with.
type stop struct{}

func newTB(top, name string) *tb { return &tb{top: top, name: name} }

// do runs f, and reports whether it was skipped, or an error when it
// failed.
func (t *tb) do(f func()) (skipped bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
		}
		switch {
		case t.skipped:
			skipped = true
		case t.failed:
			err = fmt.Errorf("%s: %s", t.name, t.msg)
		}
	}()
	f()
	return false, nil
}

// cleanup runs the registered clean-ups, the last registered first.
func (t *tb) cleanup() {
	for i := len(t.cleanups) - 1; i >= 0; i-- {
		t.cleanups[i]()
	}
	t.cleanups = nil
}

func (t *tb) Name() string     { return t.name }
func (t *tb) Helper()          {}
func (t *tb) Cleanup(f func()) { t.cleanups = append(t.cleanups, f) }
func (t *tb) Failed() bool     { return t.failed }
func (t *tb) Skipped() bool    { return t.skipped }
func (t *tb) Log(args ...any)  { fmt.Fprintln(os.Stderr, append([]any{t.name + ":"}, args...)...) }
func (t *tb) Logf(f string, args ...any) {
	fmt.Fprintf(os.Stderr, t.name+": "+f+"\n", args...)
}

// TempDir makes a directory below the run's own directory (never directly
// in the system's temporary directory: the daemons' set-up opens a
// directory's parent to their users).
func (t *tb) TempDir() string {
	d, err := os.MkdirTemp(t.top, t.name)
	if err != nil {
		t.Fatalf("temporary directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

func (t *tb) Errorf(f string, args ...any) {
	t.failed = true
	t.msg = fmt.Sprintf(f, args...)
	fmt.Fprintln(os.Stderr, t.name+": "+t.msg)
}

func (t *tb) Fatalf(f string, args ...any) {
	t.failed = true
	t.msg = fmt.Sprintf(f, args...)
	panic(stop{})
}

func (t *tb) Skipf(f string, args ...any) {
	t.skipped = true
	t.msg = fmt.Sprintf(f, args...)
	panic(stop{})
}

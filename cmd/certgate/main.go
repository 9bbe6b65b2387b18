// Command certgate checks TLS endpoints and certificate bundles the way a
// strict HTTPS client (such as a webhook platform) validates them, against
// embedded copies of the Mozilla and Java trust stores.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/certgate/certgate/pkg/iostreams"
)

// interruptGrace is how long certgate may take, after an interrupt, to write
// the results it has: past it (stdout blocked, say) it exits anyway.
const interruptGrace = 750 * time.Millisecond

// signalEndsCleanly is set by a command whose normal end is a stop signal
// (certgate serve): once it has stopped cleanly, it exits 0, not 128+signal.
var signalEndsCleanly atomic.Bool

// stopGrace, when set (in nanoseconds), replaces interruptGrace for a
// command that needs longer to stop cleanly (certgate serve).
var stopGrace atomic.Int64

// interruptSignals stop a run: each is handled as Ctrl-C is.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// hangups, when set by a command that reloads on SIGHUP (certgate serve),
// receives SIGHUP instead of SIGHUP stopping the run.
var hangups atomic.Pointer[chan struct{}]

// divert hands a SIGHUP to the command that takes it and reports whether
// it did; one reload pending is enough, so a SIGHUP arriving while one is
// pending is dropped.
func divert(sig os.Signal) bool {
	ch := hangups.Load()
	if sig != syscall.SIGHUP || ch == nil {
		return false
	}
	select {
	case *ch <- struct{}{}:
	default:
	}
	return true
}

func main() {
	ios := iostreams.System()
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, interruptSignals...)
	caught := make(chan os.Signal, 1)
	go func() {
		sig := <-sigs
		for divert(sig) {
			sig = <-sigs
		}
		caught <- sig
		cancel(fmt.Errorf("%w: %s", errInterrupted, sig))
		select {
		case again := <-sigs:
			sig = again // a second signal: stop now
		case <-time.After(grace()):
			fmt.Fprintf(ios.ErrOut, "certgate: %s: the results could not all be written within %s; exiting without them\n", signalName(sig), grace())
		}
		os.Exit(signalStatus(sig))
	}()
	code := run(ctx, os.Args[1:], ios)
	select {
	case sig := <-caught:
		if !signalEndsCleanly.Load() {
			code = signalStatus(sig)
		}
	default:
	}
	os.Exit(code)
}

// grace is how long certgate may take to stop after an interrupt.
func grace() time.Duration {
	if g := stopGrace.Load(); g > 0 {
		return time.Duration(g)
	}
	return interruptGrace
}

// signalStatus is the exit status after sig, as shells report it: 128 plus
// the signal number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func signalStatus(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return 128 + int(syscall.SIGINT)
}

// signalName is the conventional name of an interrupt signal.
func signalName(sig os.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case os.Interrupt:
		return "SIGINT"
	}
	return sig.String()
}

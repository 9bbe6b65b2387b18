//go:build linux

package main

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
)

// stopBound bounds how long a test waits for a process that should stop; a
// process still running then has hung, and the test fails.
const stopBound = 20 * time.Second

// certgateProc returns a command that runs certgate's main with args in a
// new process (this test binary, see TestMain).
func certgateProc(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	return cmd
}

// waitStatus waits for cmd to exit and returns its exit status; it fails
// the test when cmd was killed by a signal or does not stop.
func waitStatus(t *testing.T, cmd *exec.Cmd) int {
	t.Helper()
	return waitStatusWithin(t, cmd, stopBound)
}

// waitStatusWithin is waitStatus with its own bound, for runs that do
// real work rather than stop.
func waitStatusWithin(t *testing.T, cmd *exec.Cmd, bound time.Duration) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("certgate was killed by %s instead of exiting", ws.Signal())
			}
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(bound):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("certgate did not stop within %s", bound)
		return -1
	}
}

// goodServer serves a chain for good.test and sends on hello at each
// ClientHello. It returns the --store file and the target with its
// --resolve flag.
func goodServer(t *testing.T, hello chan<- struct{}) (store, tgt, resolve string) {
	t.Helper()
	p := newPKI(t, "Interrupt")
	cert := p.inter.Leaf(t, testpki.DNS("good.test")).TLSCert(p.inter.Cert)
	addr := testpki.Serve(t, &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) {
			select {
			case hello <- struct{}{}:
			default:
			}
			return nil, nil
		},
	})
	_, port, _ := net.SplitHostPort(addr)
	return p.store, "good.test:" + port, "--resolve=good.test:" + port + ":127.0.0.1"
}

// hangServer accepts connections and never answers; it sends on accepted at
// each connection.
func hangServer(t *testing.T, accepted chan<- struct{}) string {
	t.Helper()
	release := make(chan struct{})
	addr := testpki.ServeRaw(t, func(c net.Conn) {
		select {
		case accepted <- struct{}{}:
		default:
		}
		<-release
	})
	t.Cleanup(func() { close(release) })
	return addr
}

// TestInterruptSignals checks that SIGINT, SIGTERM and SIGHUP each stop a
// run, print every completed result in the chosen format and no result for
// the targets not checked, say how many those are, and exit 128+signal.
func TestInterruptSignals(t *testing.T) {
	for _, tt := range []struct {
		sig    syscall.Signal
		format string
		want   int
	}{
		{syscall.SIGINT, "json", 130},
		{syscall.SIGTERM, "json", 143},
		{syscall.SIGTERM, "junit", 143},
		{syscall.SIGHUP, "table", 129},
		{syscall.SIGINT, "junit", 130},
	} {
		t.Run(fmt.Sprintf("%s_%s", tt.sig, tt.format), func(t *testing.T) {
			store, good, resolve := goodServer(t, make(chan struct{}, 1))
			accepted := make(chan struct{}, 1)
			hang := hangServer(t, accepted)
			// One at a time: the three good targets are complete when
			// the first hanging one is dialled.
			args := []string{"check", "-c", "1", "--timeout", "1m", "-o", tt.format, epochArg, "--store", store, resolve}
			args = append(args, good, good, good)
			for range 5 {
				args = append(args, hang)
			}
			cmd := certgateProc(t, args...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			select {
			case <-accepted:
			case <-time.After(stopBound):
				_ = cmd.Process.Kill()
				t.Fatalf("certgate never reached the hanging target; stderr: %s", stderr.String())
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			if got := waitStatus(t, cmd); got != tt.want {
				t.Errorf("exit status %d, want %d; stderr: %s", got, tt.want, stderr.String())
			}
			// The table's summary line may come first.
			if want := "certgate: interrupted: 5 of 8 targets not checked\n"; !strings.HasSuffix(stderr.String(), want) || strings.Count(stderr.String(), "certgate:") != 1 {
				t.Errorf("stderr %q, want it to end in %q", stderr.String(), want)
			}
			out := stdout.String()
			n := 0
			switch tt.format {
			case "json":
				var rs []result.Result
				if err := json.Unmarshal(stdout.Bytes(), &rs); err != nil {
					t.Fatalf("stdout is not a JSON array: %v\n%s", err, out)
				}
				for _, r := range rs {
					if r.Status != result.StatusOK || r.Host != "good.test" {
						t.Errorf("result %s %s %d %q, want only the good targets, ok", r.Target, r.Status, r.Code, r.Detail)
					}
				}
				n = len(rs)
			case "junit":
				var suites struct {
					Cases []struct {
						Name string `xml:"name,attr"`
					} `xml:"testsuite>testcase"`
				}
				if err := xml.Unmarshal(stdout.Bytes(), &suites); err != nil {
					t.Fatalf("stdout is not JUnit XML: %v\n%s", err, out)
				}
				n = len(suites.Cases)
			case "table":
				n = strings.Count(out, "good.test")
			}
			if n != 3 {
				t.Errorf("%d results printed, want the 3 completed:\n%s", n, out)
			}
			if strings.Contains(out, hang) || strings.Contains(out, "canceled") {
				t.Errorf("a target not checked got a result:\n%s", out)
			}
		})
	}
}

// TestInterruptWhileReading checks that an interrupt stops certgate while
// it waits for a list on an open stdin and while it reads a line that never
// ends.
func TestInterruptWhileReading(t *testing.T) {
	for _, tt := range []struct {
		name string
		list string
	}{
		{"open stdin", "-"},
		{"endless line", "/dev/zero"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			hello := make(chan struct{}, 1)
			store, good, resolve := goodServer(t, hello)
			cmd := certgateProc(t, "check", "-o", "json", epochArg, "--store", store, resolve, good, "-f", tt.list)
			stdin, err := cmd.StdinPipe() // open, and nothing is ever written
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// The argument is dialled first: certgate is running and
			// reading the list.
			select {
			case <-hello:
			case <-time.After(stopBound):
				_ = cmd.Process.Kill()
				t.Fatalf("certgate never dialled the first target; stderr: %s", stderr.String())
			}
			if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
				t.Fatal(err)
			}
			if got := waitStatus(t, cmd); got != 130 {
				t.Errorf("exit status %d, want 130; stderr: %s", got, stderr.String())
			}
			if !strings.Contains(stderr.String(), "certgate: interrupted:") {
				t.Errorf("stderr %q does not say the run was interrupted", stderr.String())
			}
		})
	}
}

// pipeBuffered returns the bytes waiting in the pipe r.
func pipeBuffered(t *testing.T, r *os.File) int {
	t.Helper()
	var n int32
	const fionread = 0x541B
	if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, r.Fd(), fionread, uintptr(unsafe.Pointer(&n))); errno != 0 {
		t.Fatal(errno)
	}
	return int(n)
}

// TestInterruptBlockedStdout checks that an interrupt stops certgate while
// its stdout is a pipe that nobody reads.
func TestInterruptBlockedStdout(t *testing.T) {
	list := filepath.Join(t.TempDir(), "list.txt")
	// Targets that are invalid give results at once, and fill the pipe.
	if err := os.WriteFile(list, bytes.Repeat([]byte("not a target\n"), 20000), 0o644); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := certgateProc(t, "check", "-o", "json", epochArg, "-f", list)
	cmd.Stdout = w
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	deadline := time.Now().Add(stopBound)
	for pipeBuffered(t, r) < 60000 {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("certgate never filled its stdout; stderr: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if got := waitStatus(t, cmd); got != 130 {
		t.Errorf("exit status %d, want 130; stderr: %s", got, stderr.String())
	}
}

// TestFileLimit checks that with an open-file limit of 64 and -c 500, the
// concurrency is lowered with a message and no healthy server is blamed for
// the descriptors certgate lacks.
func TestFileLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("800 handshakes")
	}
	store, good, resolve := goodServer(t, make(chan struct{}, 1))
	list := filepath.Join(t.TempDir(), "list.txt")
	// More targets than -c, and -c far above what 64 descriptors allow.
	const n = 800
	if err := os.WriteFile(list, bytes.Repeat([]byte(good+"\n"), n), 0o644); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-c", `ulimit -n 64 && exec "$0" "$@"`, exe,
		"check", "-c", "500", "-o", "jsonl", epochArg, "--store", store, resolve, "-f", list)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A hang guard, not a timing claim: the run does real handshakes.
	if got := waitStatusWithin(t, cmd, 3*time.Minute); got != 0 {
		t.Errorf("exit status %d, want 0; stderr: %.2000s", got, stderr.String())
	}
	if want := "certgate: -c 500 lowered to 40: the open-file limit is 64 (raise it with ulimit -n)\n"; stderr.String() != want {
		t.Errorf("stderr %.2000q, want %q", stderr.String(), want)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != n {
		t.Fatalf("%d results, want %d", len(lines), n)
	}
	bad := 0
	for _, l := range lines {
		var r result.Result
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Status != result.StatusOK {
			if bad++; bad <= 3 {
				t.Errorf("healthy server reported %s %d: %s", r.Status, r.Code, r.Detail)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d healthy targets not ok", bad, n)
	}
}

//go:build linux

package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
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

package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
)

// TestInterruptedBeforeJudging checks that check and verify, interrupted
// before any target was judged, print no result (not even an invented one),
// say so on stderr, and return errInterrupted, which main turns into the
// signal's exit status.
func TestInterruptedBeforeJudging(t *testing.T) {
	p := newPKI(t, "Cancelled")
	leaf := p.inter.Leaf(t, testpki.DNS("good.test"))
	bundle := writeFile(t, t.TempDir(), "fullchain.pem", testpki.PEM(leaf.Cert, p.inter.Cert))
	addr := testpki.ServeCert(t, leaf, p.inter.Cert)
	tgt, resolve := hostTarget(addr, "good.test")
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"check", []string{"check", "-o", "json", epochArg, "--store", p.store, resolve, tgt, tgt}},
		{"verify", []string{"verify", "-o", "json", epochArg, "--store", p.store, "--host", "good.test", bundle}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancelCause(context.Background())
			cancel(errInterrupted)
			ios, _, out, errOut := iostreams.Test()
			root := newRootCmd(ios)
			root.SetArgs(tt.args)
			root.SetOut(ios.Out)
			root.SetErr(ios.ErrOut)
			err := root.ExecuteContext(ctx)
			if !errors.Is(err, errInterrupted) {
				t.Fatalf("error %v, want errInterrupted", err)
			}
			if strings.Contains(out.String(), "good.test") {
				t.Errorf("a result was printed for a target not checked:\n%s", out)
			}
			if !strings.Contains(err.Error(), "not checked") {
				t.Errorf("error %q does not say how many targets were not checked (stderr %q)", err, errOut)
			}
		})
	}
}

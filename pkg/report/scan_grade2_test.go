package report

import (
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
)

// TestScanFeaturesNotMeasured: the terminal report never claims a test
// certgate did not make: insecure renegotiation is "not tested" (Go's
// client cannot renegotiate), and HSTS that was not asked for is "not
// checked" with the reason, not "none".
func TestScanFeaturesNotMeasured(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(f *result.Features)
		want   []string
		not    []string
	}{
		{"measured, absent", func(f *result.Features) {}, []string{"HSTS                    none", "insecure renegotiation  not tested"}, []string{"not checked", "insecure renegotiation  no\n"}},
		{"untrusted chain", func(f *result.Features) { f.HSTSChecked, f.HSTSNotChecked = false, result.HSTSUntrustedChain },
			[]string{"HSTS                    not checked (untrusted-chain)"}, []string{"HSTS                    none"}},
		{"reported insecure renegotiation", func(f *result.Features) { f.InsecureRenegotiation = true },
			[]string{"insecure renegotiation  yes"}, []string{"not tested"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r0 := scanFixtures()[0]
			tt.mutate(&r0.Scan.Features)
			ios, _, out, _ := iostreams.Test()
			ios.SetStdoutTTY(true)
			ios.SetTerminalWidth(132)
			ios.SetColorDisabled(true)
			r, err := NewScan("table", ios, Options{Stores: testStores})
			if err != nil {
				t.Fatal(err)
			}
			if err := r.Add(r0); err != nil {
				t.Fatal(err)
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("report lacks %q:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("report has %q:\n%s", n, got)
				}
			}
		})
	}
}

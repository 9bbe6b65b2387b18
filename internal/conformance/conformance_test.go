package conformance

import (
	"fmt"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
)

// suitePath finds the x509-limbo subset in the shared test data; the test
// skips when it is absent, or fails under CERTGATE_REQUIRE_SHARED.
func suitePath(t *testing.T) string {
	t.Helper()
	return shareddata.Dir(t, "conformance/limbo-server-subset.jsonl.gz")
}

// Floors, one per corpus, so that sampling fewer BetterTLS testcases
// (-short) cannot move the bar for x509-limbo's own: crypto/x509 used
// directly agrees with 127 of x509-limbo's 182 testcases; the validator
// must agree with at least minLimboAgree of them (what it measured when the
// floor was set) and with every BetterTLS testcase that runs.
const (
	limboTotal    = 182
	minLimboAgree = 177
	// bettertlsStride samples every n-th BetterTLS testcase (all of them
	// without -short would take ~10 s under -race).
	bettertlsStride = 10
)

// belowFloors lists, for each corpus of sum that falls below its floor,
// what it scored and what it needs.
func belowFloors(sum Summary) []string {
	var out []string
	if sum.Limbo.Total != limboTotal {
		out = append(out, fmt.Sprintf("x509-limbo testcases: %d, want %d", sum.Limbo.Total, limboTotal))
	}
	if sum.Limbo.Agree < minLimboAgree {
		out = append(out, fmt.Sprintf("x509-limbo agreement %d/%d, want at least %d", sum.Limbo.Agree, sum.Limbo.Total, minLimboAgree))
	}
	if sum.BetterTLS.Total == 0 {
		out = append(out, "no BetterTLS testcase ran")
	} else if sum.BetterTLS.Agree != sum.BetterTLS.Total {
		out = append(out, fmt.Sprintf("BetterTLS agreement %d/%d, want all of them", sum.BetterTLS.Agree, sum.BetterTLS.Total))
	}
	return out
}

func TestBelowFloors(t *testing.T) {
	tests := []struct {
		name             string
		limbo, bettertls Tally
		want             int // how many floors are missed
	}{
		{"full run at the floors", Tally{Agree: 177, Total: 182}, Tally{Agree: 958, Total: 958}, 0},
		{"short run: few BetterTLS cases", Tally{Agree: 177, Total: 182}, Tally{Agree: 96, Total: 96}, 0},
		{"one limbo case fewer", Tally{Agree: 176, Total: 182}, Tally{Agree: 96, Total: 96}, 1},
		{"one BetterTLS disagreement", Tally{Agree: 182, Total: 182}, Tally{Agree: 95, Total: 96}, 1},
		{"limbo cases missing", Tally{Agree: 177, Total: 181}, Tally{Agree: 96, Total: 96}, 1},
		{"no BetterTLS case ran", Tally{Agree: 177, Total: 182}, Tally{}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := belowFloors(Summary{Limbo: tt.limbo, BetterTLS: tt.bettertls}); len(got) != tt.want {
				t.Errorf("belowFloors = %q, want %d misses", got, tt.want)
			}
		})
	}
}

func TestLimboConformance(t *testing.T) {
	cases, err := ReadFile(suitePath(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(cases) != 9754 {
		t.Fatalf("suite has %d testcases, want 9754", len(cases))
	}
	stride := bettertlsStride
	if testing.Short() {
		stride = 100
	}
	var sample []Case
	n := 0
	for _, c := range cases {
		if c.Limbo() {
			sample = append(sample, c)
			continue
		}
		if n%stride == 0 {
			sample = append(sample, c)
		}
		n++
	}
	// Testcases without a time use certificates valid 1970–2969: any now works.
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	sum := RunAll(sample, now)
	for _, o := range sum.Disagreements {
		t.Logf("disagrees: %s expected %s, got %s", o.Case.ID, o.Case.Expected, o.Why)
	}
	t.Logf("x509-limbo %d/%d, bettertls sample %d/%d, all %.2f%%", sum.Limbo.Agree, sum.Limbo.Total, sum.BetterTLS.Agree, sum.BetterTLS.Total, sum.All.Percent())
	for _, miss := range belowFloors(sum) {
		t.Error(miss)
	}
	// Every x509-limbo bundle loads; a certificate that does not parse is
	// judged as a malformed-certificate result, as verify does.
	t.Logf("malformed certificates judged: %d, bundles not loaded: %d, trust anchors refused: %d", sum.Malformed, sum.NotLoaded, sum.StoreRefused)
	if sum.NotLoaded != 0 || sum.Malformed == 0 {
		t.Errorf("%d x509-limbo bundles not loaded and %d judged malformed, want 0 not loaded", sum.NotLoaded, sum.Malformed)
	}
}

func TestJudgeNeedsAnExplainingWarning(t *testing.T) {
	// A FAILURE testcase about serial numbers is not explained by a
	// warning about the CN.
	if got := explains("rfc5280::serial::zero"); !got["invalid-serial-number"] || got["cn-not-in-san"] {
		t.Errorf("explains(rfc5280::serial::zero) = %v", got)
	}
	if got := explains("bettertls::nameconstraints::tc1"); len(got) != 0 {
		t.Errorf("explains(bettertls…) = %v, want none", got)
	}
}

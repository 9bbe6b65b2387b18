package conformance

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// suitePath finds the x509-limbo subset beside the repository (or under
// $CERTGATE_SHARED); the test skips when it is absent.
func suitePath(t *testing.T) string {
	t.Helper()
	shared := os.Getenv("CERTGATE_SHARED")
	if shared == "" {
		dir, err := os.Getwd()
		if err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
				shared = filepath.Join(dir, "..", "shared")
				break
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				t.Skip("repository root not found")
			}
			dir = parent
		}
	}
	p := filepath.Join(shared, "conformance", "limbo-server-subset.jsonl.gz")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("conformance suite not found (%s); set CERTGATE_SHARED", p)
	}
	return p
}

// Floors: crypto/x509 used directly agrees with 127 of x509-limbo's own 182
// testcases and 99.44 % of all; the validator must do at least that, and
// the floors below are what it measured when they were set.
const (
	minLimboAgree = 177
	minAllPercent = 99.44
	// bettertlsStride samples every n-th BetterTLS testcase (all of them
	// without -short would take ~10 s under -race).
	bettertlsStride = 10
)

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
	if sum.Limbo.Total != 182 {
		t.Errorf("x509-limbo testcases: %d, want 182", sum.Limbo.Total)
	}
	if sum.Limbo.Agree < minLimboAgree {
		t.Errorf("x509-limbo agreement %d/182, want at least %d", sum.Limbo.Agree, minLimboAgree)
	}
	// Every x509-limbo bundle loads; a certificate that does not parse is
	// judged as a malformed-certificate result, as verify does.
	t.Logf("malformed certificates judged: %d, bundles not loaded: %d, trust anchors refused: %d", sum.Malformed, sum.NotLoaded, sum.StoreRefused)
	if sum.NotLoaded != 0 || sum.Malformed == 0 {
		t.Errorf("%d x509-limbo bundles not loaded and %d judged malformed, want 0 not loaded", sum.NotLoaded, sum.Malformed)
	}
	if p := sum.All.Percent(); p < minAllPercent {
		t.Errorf("overall agreement %.2f%%, want at least %.2f%%", p, minAllPercent)
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

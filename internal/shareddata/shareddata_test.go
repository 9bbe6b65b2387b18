package shareddata

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "conformance", "realchains"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, dir)
	tests := []struct {
		sub     string
		missing bool
	}{
		{"conformance/realchains", false},
		{"conformance", false},
		{"truststores", true},
	}
	for _, tt := range tests {
		t.Run(tt.sub, func(t *testing.T) {
			p, err := Find(tt.sub)
			if want := filepath.Join(dir, filepath.FromSlash(tt.sub)); p != want {
				t.Errorf("path %s, want %s", p, want)
			}
			if got := errors.Is(err, ErrMissing); got != tt.missing {
				t.Errorf("err %v, missing %v want %v", err, got, tt.missing)
			}
		})
	}
}

func TestRequired(t *testing.T) {
	for _, tt := range []struct {
		val  string
		want bool
	}{{"", false}, {"0", false}, {"false", false}, {"1", true}, {"yes", true}} {
		t.Setenv(EnvRequire, tt.val)
		if got := Required(); got != tt.want {
			t.Errorf("%s=%q: Required() = %v, want %v", EnvRequire, tt.val, got, tt.want)
		}
	}
}

// TestDirMissing runs helperDir in a child test process with the data
// missing: it skips, or fails when CERTGATE_REQUIRE_SHARED is set.
func TestDirMissing(t *testing.T) {
	if os.Getenv("SHAREDDATA_HELPER") == "1" {
		Dir(t, "no-such-data")
		return
	}
	tests := []struct {
		require  string
		wantFail bool
		wantOut  string
	}{
		{"", false, "SKIP"},
		{"1", true, "fails instead of skipping"},
	}
	for _, tt := range tests {
		t.Run("require="+tt.require, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestDirMissing$", "-test.v")
			cmd.Env = append(os.Environ(), "SHAREDDATA_HELPER=1", EnvDir+"="+t.TempDir(), EnvRequire+"="+tt.require)
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Errorf("child failed = %v (%v), want %v\n%s", failed, err, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantOut) || !strings.Contains(string(out), "no-such-data") {
				t.Errorf("child output lacks %q and the missing path:\n%s", tt.wantOut, out)
			}
		})
	}
}

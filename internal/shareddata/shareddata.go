// Package shareddata finds the test data kept outside the repository: the
// conformance suites, real chains and trust-store mirror in a "shared"
// directory beside the repository root, or wherever $CERTGATE_SHARED points.
//
// Tests that need it call Dir. Where the data is missing they skip, saying
// what is missing and how to provide it; with CERTGATE_REQUIRE_SHARED=1 (as
// CI sets it) they fail instead, so a run without the data cannot pass
// silently.
package shareddata

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// EnvDir names the environment variable that points at the shared
// directory; EnvRequire names the one that makes missing data a failure.
const (
	EnvDir     = "CERTGATE_SHARED"
	EnvRequire = "CERTGATE_REQUIRE_SHARED"
)

// ErrMissing is returned by Find when the shared data is not there.
var ErrMissing = errors.New("shared test data missing")

// Required reports whether CERTGATE_REQUIRE_SHARED asks for missing shared
// data to fail tests.
func Required() bool {
	v := os.Getenv(EnvRequire)
	return v != "" && v != "0" && v != "false"
}

// Find returns the path of sub (a slash-separated path such as
// "conformance/realchains") inside the shared directory: $CERTGATE_SHARED,
// or else "shared" beside the root of the module that holds the working
// directory. The error wraps ErrMissing when the path does not exist.
func Find(sub string) (string, error) {
	base := os.Getenv(EnvDir)
	if base == "" {
		root, err := moduleRoot()
		if err != nil {
			return "", err
		}
		base = filepath.Join(root, "..", "shared")
	}
	p := filepath.Join(base, filepath.FromSlash(sub))
	if _, err := os.Stat(p); err != nil {
		return p, fmt.Errorf("%w: %s not found; put the shared data beside the repository or set %s", ErrMissing, p, EnvDir)
	}
	return p, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%w: no go.mod above the working directory; set %s", ErrMissing, EnvDir)
		}
		dir = parent
	}
}

// Dir returns the path of sub inside the shared directory. When it is
// missing the test fails if Required, and is skipped otherwise, with a
// message that says which.
func Dir(t testing.TB, sub string) string {
	t.Helper()
	p, err := Find(sub)
	if err == nil {
		return p
	}
	if Required() {
		t.Fatalf("%v (%s is set, so this fails instead of skipping)", err, EnvRequire)
	}
	t.Skipf("SKIPPED: %v (set %s=1 to make this a failure)", err, EnvRequire)
	return ""
}

package main

import (
	"os"
	"testing"
)

// runMainEnv, set to 1, makes the test binary run certgate's main with its
// arguments instead of the tests: process tests start real certgate
// processes this way, send them real signals and read their exit status.
const runMainEnv = "CERTGATE_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
	}
	os.Exit(m.Run())
}

package main

import (
	"regexp"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	version, commit, date = "v1.2.3", "abc1234", "2026-11-28T00:00:00Z"
	t.Cleanup(func() { version, commit, date = "", "", "" })
	code, out, errOut := cli(t, "", "version")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != "certgate v1.2.3 (commit abc1234, built 2026-11-28T00:00:00Z)" {
		t.Fatalf("output:\n%s", out)
	}
	for i, store := range []string{"mozilla", "java"} {
		re := regexp.MustCompile(`^trust store ` + store + `: +\S.*, snapshot \d{4}-\d{2}-\d{2}, \d+ roots$`)
		if !re.MatchString(lines[i+1]) {
			t.Errorf("line %q does not match %s", lines[i+1], re)
		}
	}
	if code, out, _ := cli(t, "", "--version"); code != 0 || !strings.HasPrefix(out, "certgate v1.2.3") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

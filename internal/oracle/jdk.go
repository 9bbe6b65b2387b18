package oracle

import (
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// JVMDir is where Debian and Ubuntu install JDKs, one directory each.
const JVMDir = "/usr/lib/jvm"

// JDK is one installed Java runtime.
type JDK struct {
	// Home is the JDK's directory (it holds bin/java); "" for the java
	// program on the PATH.
	Home string
	// Major is the Java feature version: 17 for 17.0.15.
	Major int
}

// Name is the name of the recorded client of the same version, as package
// clients spells it: "java-17".
func (j JDK) Name() string { return "java-" + strconv.Itoa(j.Major) }

// JDKs returns the Java 17 runtime and the newest runtime installed under
// dir (JVMDir, usually), oldest first, each once; one when they are the
// same. A directory without a readable release file is not a JDK. It skips
// t (fails it when Required) when dir holds no JDK.
func JDKs(t testing.TB, dir string) []JDK {
	t.Helper()
	entries, _ := os.ReadDir(dir)
	seen := map[string]bool{}
	var all []JDK
	for _, e := range entries {
		home, err := filepath.EvalSymlinks(filepath.Join(dir, e.Name()))
		if err != nil || seen[home] {
			continue
		}
		seen[home] = true
		major := releaseMajor(filepath.Join(home, "release"))
		if major == 0 {
			continue
		}
		if _, err := os.Stat(filepath.Join(home, "bin", "java")); err != nil {
			continue
		}
		all = append(all, JDK{Home: home, Major: major})
	}
	if len(all) == 0 {
		report := t.Skipf
		if Required() {
			report = t.Fatalf
		}
		report("ORACLE NOT RUN: no JDK under %s, so the real Java clients cannot run: install a JDK (default-jdk-headless)", dir)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Major < all[j].Major })
	var out []JDK
	for _, j := range all {
		if j.Major == 17 {
			out = append(out, j)
			break
		}
	}
	if newest := all[len(all)-1]; len(out) == 0 || newest.Major != out[0].Major {
		out = append(out, newest)
	}
	return out
}

// releaseMajor reads JAVA_VERSION from a JDK's release file and returns its
// feature version; 0 when it cannot.
func releaseMajor(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		v, ok := strings.CutPrefix(s.Text(), "JAVA_VERSION=")
		if !ok {
			continue
		}
		v = strings.TrimPrefix(strings.Trim(v, `"`), "1.") // "1.8.0_402" is Java 8
		v, _, _ = strings.Cut(v, ".")
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0
		}
		return n
	}
	return 0
}

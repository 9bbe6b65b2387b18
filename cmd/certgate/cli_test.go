package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/iostreams"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestCLIUsageErrors: every bad command line exits 2 before any work, with
// a message naming the flag the user typed, the real command path and the
// fix.
func TestCLIUsageErrors(t *testing.T) {
	p := newPKI(t, "CLI")
	leaf := p.inter.Leaf(t, testpki.DNS("good.test"))
	dir := t.TempDir()
	full := writeFile(t, dir, "full.pem", testpki.PEM(leaf.Cert, p.inter.Cert))
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		args []string
		want []string
		not  string // must not appear in stderr
	}{
		{"verify --store empty", []string{"verify", "--store", "", "--host", "good.test", full}, []string{"--store: no store selected"}, ""},
		{"check --store empty", []string{"check", "--store", "", "good.test"}, []string{"--store: no store selected"}, ""},
		{"check --store comma", []string{"check", "--store", ",", "good.test"}, []string{"--store: empty store name"}, ""},
		{"check --store blank", []string{"check", "--store", " ", "good.test"}, []string{"--store: empty store name"}, ""},
		{"verify --store empty with --ca-file", []string{"verify", "--store", "", "--ca-file", p.store, full}, []string{"--store: no store selected"}, ""},
		{"check --ca-file missing", []string{"check", "--ca-file", missing, "good.test"}, []string{"--ca-file " + missing}, "--store"},
		{"verify --ca-file missing", []string{"verify", "--ca-file", missing, full}, []string{"--ca-file " + missing}, "--store"},
		{"check --ca-file empty", []string{"check", "--ca-file", "", "good.test"}, []string{"--ca-file: empty file name"}, ""},
		{"-c too large", []string{"check", "-c", "99999999999", "good.test"}, []string{"--concurrency", "maximum of 10000"}, ""},
		{"-c just over", []string{"check", "-c", "10001", "good.test"}, []string{"maximum of 10000"}, ""},
		{"flag error names the subcommand path", []string{"roots", "show", "--bogus"}, []string{"unknown flag: --bogus", "'certgate roots show --help'"}, "'certgate show --help'"},
		{"flag error on check", []string{"check", "--warn-days", "3w", "x.test"}, []string{"--warn-days", "'certgate check --help'"}, ""},
		{"misspelt command", []string{"chek", "x.test"}, []string{`unknown command "chek"`, "did you mean check?"}, ""},
		{"misspelt roots subcommand", []string{"roots", "lst"}, []string{`unknown command "lst" for "certgate roots"`, "did you mean list?"}, ""},
		{"unknown shell", []string{"completion", "bsh"}, []string{`unknown command "bsh" for "certgate completion"`, "did you mean bash, fish or zsh?"}, ""},
		{"version takes no arguments", []string{"version", "extra"}, []string{"certgate version takes no arguments", "'certgate version --help'"}, ""},
		{"roots list takes no arguments", []string{"roots", "list", "extra"}, []string{"certgate roots list takes no arguments"}, ""},
		{"duplicate --resolve", []string{"check", "--resolve", "good.test:023000:127.0.0.1", "--resolve", "Good.test:23000:127.0.0.2", "good.test"},
			[]string{`"good.test:023000:127.0.0.1"`, `"Good.test:23000:127.0.0.2"`, "good.test:23000"}, ""},
		{"verify --host with port", []string{"verify", "--host", "good.test:443", full}, []string{"--host good.test:443", "without a port"}, ""},
		{"verify --host URL", []string{"verify", "--host", "https://good.test/", full}, []string{"--host https://good.test/", "without scheme or path"}, ""},
		{"verify --host bad name", []string{"verify", "--host", "bad_name!.test", full}, []string{"--host bad_name!.test"}, ""},
		{"shard one past the end", []string{"check", "--shard", "4/4", "good.test"}, []string{"--shard: index 4 is out of range for 4 shards (0-based: use 0/4 … 3/4)"}, ""},
		{"fix-chain over --store", []string{"verify", "--store", p.store, "--fix-chain", p.store, full}, []string{"--fix-chain " + p.store, "(--store " + p.store + ")"}, ""},
		{"unknown --client", []string{"check", "--client", "java-8", "good.test"}, []string{`--client: "java-8" is not a recorded client`, "java-17, java-25", "--list-clients"}, ""},
		{"fix-chain over --ca-file", []string{"verify", "--ca-file", p.store, "--fix-chain", p.store, full}, []string{"(--ca-file " + p.store + ")"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", tt.args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q", errOut, w)
				}
			}
			if tt.not != "" && strings.Contains(errOut, tt.not) {
				t.Errorf("stderr %q contains %q", errOut, tt.not)
			}
		})
	}
}

// TestRootsOddStoreNames: every roots subcommand takes store names with
// stray blanks, empty names and repeated names without a panic: it trims,
// or refuses with a usage error.
func TestRootsOddStoreNames(t *testing.T) {
	tests := []struct {
		args []string
		exit int
	}{
		{[]string{"roots", "diff", "mozilla", " mozilla"}, exitUsage},
		{[]string{"roots", "diff", "mozilla ", "mozilla"}, exitUsage},
		{[]string{"roots", "diff", "mozilla", ""}, exitUsage},
		{[]string{"roots", "diff", " ", " "}, exitUsage},
		{[]string{"roots", "diff", "-o", "json", " mozilla", "java "}, exitOK},
		{[]string{"roots", "diff", "mozilla", "\x00"}, exitUsage},
		{[]string{"roots", "list", "--store", ""}, exitUsage},
		{[]string{"roots", "list", "--store", ","}, exitUsage},
		{[]string{"roots", "list", "--store", " java, java ", "-o", "json"}, exitOK},
		{[]string{"roots", "show", "--store", "", "ISRG Root X1"}, exitUsage},
		{[]string{"roots", "show", "--store", " ", "ISRG Root X1"}, exitUsage},
		{[]string{"roots", "show", "--store", " mozilla", "ISRG Root X1"}, exitOK},
		{[]string{"roots", "show", " "}, exitUsage},
		{[]string{"roots", "export", "--store", ""}, exitUsage},
		{[]string{"roots", "export", "--store", " "}, exitUsage},
		{[]string{"roots", "export", "--store", ","}, exitUsage},
		{[]string{"roots", "export", "--store", " java"}, exitOK},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, "|"), func(t *testing.T) {
			code, out, errOut := cli(t, "", tt.args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.exit, errOut)
			}
			if code == exitUsage && (out != "" || !strings.HasPrefix(errOut, "certgate: ")) {
				t.Errorf("stdout %q, stderr %q: want only a message", out, errOut)
			}
			if code == exitOK && out == "" {
				t.Errorf("no output (stderr %q)", errOut)
			}
		})
	}
}

// TestOutputWriteErrors: a command whose standard output cannot be written
// (here the real /dev/full) exits non-zero and says why.
func TestOutputWriteErrors(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full on this system: %v", err)
	}
	t.Cleanup(func() { full.Close() })
	for _, args := range [][]string{
		{"version"},
		{"roots", "list"},
		{"roots", "list", "-o", "json"},
		{"roots", "show", "ISRG Root X1"},
		{"roots", "export", "--store", "mozilla"},
		{"roots", "diff", "mozilla", "java"},
		{"roots", "diff", "-o", "json", "mozilla", "java"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			ios.Out = full
			code := run(context.Background(), args, ios)
			if code == exitOK {
				t.Fatalf("exit 0 with stdout on /dev/full (stderr %q)", errOut)
			}
			if !strings.Contains(errOut.String(), "writing output") {
				t.Errorf("stderr %q does not say the output could not be written", errOut)
			}
		})
	}
}

// TestHelpListsExitStatus: every command's --help, and every man page,
// lists the exit statuses.
func TestHelpListsExitStatus(t *testing.T) {
	root := newRootCmd(iostreams.System())
	var paths [][]string
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		paths = append(paths, []string{c.Name()})
		for _, s := range c.Commands() {
			if !s.Hidden && s.Name() != "help" {
				paths = append(paths, []string{c.Name(), s.Name()})
			}
		}
	}
	paths = append(paths, nil)
	for _, p := range paths {
		t.Run(strings.Join(append([]string{"certgate"}, p...), " "), func(t *testing.T) {
			code, out, errOut := cli(t, "", append(p, "--help")...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			for _, w := range []string{"Exit status: 0", "2 on", "130", "143"} {
				if !strings.Contains(out, w) {
					t.Errorf("help lacks %q:\n%s", w, out)
				}
			}
			if len(p) > 0 && (p[0] == "check" || p[0] == "verify") && !strings.Contains(out, "1 when") {
				t.Errorf("help of %s lacks exit status 1:\n%s", p[0], out)
			}
		})
	}
	dir := t.TempDir()
	if code, _, errOut := cli(t, "", "man", "--dir", dir); code != exitOK {
		t.Fatalf("man: exit %d: %s", code, errOut)
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	if len(pages) == 0 {
		t.Fatal("no man pages written")
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(data, []byte("Exit status: 0")) {
			t.Errorf("%s does not list the exit statuses", filepath.Base(page))
		}
	}
}

// TestCheckFailedStoreJudgesNothing: when a store fails to load after the
// run has started (an embedded store, parsed in the background), no result
// is emitted against the stores that did load: the run is a usage error.
func TestCheckFailedStoreJudgesNothing(t *testing.T) {
	p := newPKI(t, "Lazy")
	addr := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	tgt, resolve := hostTarget(addr, "example.test")
	orig := loadStore
	t.Cleanup(func() { loadStore = orig })
	loadStore = func(spec string) (*truststore.Store, error) {
		if spec == truststore.Java {
			return nil, errors.New("the embedded store is corrupt")
		}
		return orig(spec)
	}
	for _, format := range []string{"json", "jsonl", "table"} {
		t.Run(format, func(t *testing.T) {
			code, out, errOut := cli(t, "", "check", "-o", format, epochArg, "--store", "java", "--ca-file", p.store, resolve, tgt)
			if code != exitUsage {
				t.Errorf("exit %d, want %d (stderr %q)", code, exitUsage, errOut)
			}
			if strings.Contains(out, "example.test") {
				t.Errorf("a result was emitted against a failed store:\n%s", out)
			}
			if !strings.Contains(errOut, "--store java: the embedded store is corrupt") {
				t.Errorf("stderr %q does not name the store and its error", errOut)
			}
		})
	}
}

// TestCheckResolvePortNormalised: --resolve matches the port as a number,
// so a leading zero still sends the target to the address given.
func TestCheckResolvePortNormalised(t *testing.T) {
	p := newPKI(t, "Resolve")
	addr := testpki.ServeCert(t, p.inter.Leaf(t), p.inter.Cert)
	tgt, resolve := hostTarget(addr, "example.test")
	resolve = strings.Replace(resolve, "example.test:", "example.test:0", 1)
	code, rs, errOut := jsonResults(t, "--store", p.store, resolve, tgt)
	if code != exitOK || len(rs) != 1 || rs[0].Status != result.StatusOK {
		t.Fatalf("exit %d, results %+v, stderr %q; want one ok result through %s", code, rs, errOut, resolve)
	}
}

// TestCheckRepeatedFileFlag: -f a -f b reads both lists, in order, after
// the arguments.
func TestCheckRepeatedFileFlag(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.txt", []byte("a.invalid # first list\n"))
	b := writeFile(t, dir, "b.txt", []byte("# second list\nb.invalid\n"))
	_, rs, errOut := jsonResults(t, "--timeout", "1s", "-f", a, "--file", b, "arg.invalid")
	var got []string
	for _, r := range rs {
		got = append(got, r.Target)
	}
	if want := "arg.invalid a.invalid b.invalid"; strings.Join(got, " ") != want {
		t.Errorf("targets %v, want %s (stderr %q)", got, want, errOut)
	}
	code, out, errOut := cli(t, "", "check", "-f", a, "-f", filepath.Join(dir, "missing.txt"))
	if code != exitUsage || out != "" || !strings.Contains(errOut, "-f "+filepath.Join(dir, "missing.txt")) {
		t.Errorf("a missing second list: exit %d, stdout %q, stderr %q; want a usage error naming it", code, out, errOut)
	}
}

// TestVerifyHostIDN: verify --host takes an internationalised name as check
// does, converted to its xn-- form.
func TestVerifyHostIDN(t *testing.T) {
	p := newPKI(t, "IDN")
	leaf := p.inter.Leaf(t, testpki.DNS("xn--bcher-kva.example"))
	full := writeFile(t, t.TempDir(), "full.pem", testpki.PEM(leaf.Cert, p.inter.Cert))
	for _, host := range []string{"bücher.example", "BÜCHER.example.", "xn--bcher-kva.example"} {
		code, r, errOut := verifyJSON(t, "--store", p.store, "--host", host, full)
		if code != exitOK || r.Status != result.StatusOK {
			t.Errorf("--host %s: exit %d status %s (%s), stderr %q; want 0 ok", host, code, r.Status, r.Detail, errOut)
		}
	}
}

// TestVerifyFixChainSafety: --fix-chain refuses any input, by name or as the
// same file under another name, and keeps the leaf of a bundle that lists
// it after its intermediate.
func TestVerifyFixChainSafety(t *testing.T) {
	p := newPKI(t, "FixSafe")
	leaf := p.inter.Leaf(t, testpki.DNS("good.test"))
	dir := t.TempDir()
	rootCopy := writeFile(t, dir, "myroot.pem", testpki.PEM(p.root.Cert))
	inter := writeFile(t, dir, "inter.pem", testpki.PEM(p.inter.Cert))
	leafOnly := writeFile(t, dir, "leaf.pem", testpki.PEM(leaf.Cert))
	link := filepath.Join(dir, "link.pem")
	if err := os.Link(rootCopy, link); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(rootCopy)
	for _, args := range [][]string{
		{"--store", rootCopy, "--intermediates", inter, "--fix-chain", rootCopy, leafOnly},
		{"--store", "mozilla," + rootCopy, "--intermediates", inter, "--fix-chain", link, leafOnly},
		{"--ca-file", rootCopy, "--intermediates", inter, "--fix-chain", link, leafOnly},
		{"--ca-file", link, "--intermediates", inter, "--fix-chain", "./" + filepath.Base(rootCopy), leafOnly},
	} {
		if strings.HasPrefix(args[len(args)-2], "./") {
			t.Chdir(dir)
		}
		code, out, errOut := cli(t, "", append([]string{"verify", "--host", "good.test"}, args...)...)
		if code != exitUsage || out != "" || !strings.Contains(errOut, "is also an input") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want a usage error", args, code, out, errOut)
		}
	}
	if after, _ := os.ReadFile(rootCopy); !bytes.Equal(before, after) {
		t.Fatal("--fix-chain overwrote the store file")
	}

	// The intermediate first, then the leaf: the fixed bundle has both, the
	// leaf first.
	lnf := writeFile(t, dir, "lnf.pem", testpki.PEM(p.inter.Cert, leaf.Cert))
	out := filepath.Join(dir, "fixed.pem")
	_, _, errOut := verifyJSON(t, "--host", "good.test", "--ca-file", rootCopy, "--fix-chain", out, lnf)
	if !strings.Contains(errOut, "the leaf and 1 intermediate") {
		t.Errorf("stderr %q does not report the leaf and 1 intermediate", errOut)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if want := testpki.PEM(leaf.Cert, p.inter.Cert); !bytes.Equal(data, want) {
		t.Errorf("fixed bundle:\n%s\nwant the leaf, then the intermediate:\n%s", data, want)
	}
	code, r, _ := verifyJSON(t, "--host", "good.test", "--ca-file", rootCopy, "--store", "mozilla", out)
	if code != exitOK || r.Status != result.StatusOK {
		t.Errorf("fixed bundle: exit %d status %s (%s), want 0 ok", code, r.Status, r.Detail)
	}
}

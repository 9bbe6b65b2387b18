package baseline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/result"
)

const one = `{"schema":"certgate.result/v1","target":"a.test","status":"ok","code":0}`
const two = `{"schema":"certgate.result/v1","target":"b.test","status":"fail","code":11237}`

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		targets  []string
		line     int
		err      string
	}{
		{"array", "[" + one + ",\n" + two + "]\n", []string{"a.test", "b.test"}, 0, ""},
		{"jsonl", one + "\n\n" + two + "\n", []string{"a.test", "b.test"}, 0, ""},
		{"bom and blanks", "\ufeff\n  " + one + "\n", []string{"a.test"}, 0, ""},
		{"empty array", "[]", nil, 0, ""},
		{"empty", " \n", nil, 0, "is empty"},
		{"bad line", one + "\n{x\n", nil, 2, "not a JSON result"},
		{"trailing data", "[" + one + "] []", nil, 0, "data after the JSON array"},
		{"other schema", `{"schema":"x/v9","target":"a"}`, nil, 0, `schema "x/v9"`},
		{"no target", `{"schema":"certgate.result/v1"}`, nil, 0, "no target"},
		{"not results", `[1,2]`, nil, 0, "not a JSON array of results"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := Read(strings.NewReader(tc.in), "in.json")
			if tc.err != "" {
				var fe *FormatError
				if !errors.As(err, &fe) || fe.Line != tc.line || !strings.Contains(fe.Msg, tc.err) || fe.Name != "in.json" {
					t.Fatalf("error %v, want a FormatError at line %d with %q", err, tc.line, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, r := range rs {
				got = append(got, r.Target)
				if r.Index != i {
					t.Errorf("result %d has index %d", i, r.Index)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.targets, ",") {
				t.Errorf("targets %v, want %v", got, tc.targets)
			}
		})
	}
}

// TestMatch: targets pair by text in the new run's order, repeated ones in
// order, then the baseline's targets that are gone.
func TestMatch(t *testing.T) {
	r := func(target, detail string) result.Result {
		return result.Result{Target: target, Detail: detail, Status: result.StatusOK}
	}
	old := []result.Result{r("a", "old a1"), r("gone", ""), r("a", "old a2")}
	cur := []result.Result{r("new", ""), r("a", "new a1"), r("a", "new a2")}
	ps := Match(old, cur)
	got := []string{}
	for _, p := range ps {
		s := "-"
		if p.Old != nil {
			s = p.Old.Target + "/" + p.Old.Detail
		}
		if p.New != nil {
			s += " > " + p.New.Target + "/" + p.New.Detail
		}
		got = append(got, s)
	}
	want := "- > new/ | a/old a1 > a/new a1 | a/old a2 > a/new a2 | gone/"
	if strings.Join(got, " | ") != want {
		t.Errorf("Match = %q\nwant %q", strings.Join(got, " | "), want)
	}
	ds := Diff(old, cur)
	if len(ds) != 4 || ds[0].Problems[0].ID != result.ProblemTargetAdded || ds[3].Problems[0].ID != result.ProblemTargetRemoved || ds[3].Status != result.StatusWarn {
		t.Errorf("Diff: %+v", ds)
	}
}

func TestKeyStrength(t *testing.T) {
	for _, tc := range []struct {
		weaker, stronger string
	}{
		{"RSA 2048", "RSA 3072"}, {"RSA 2048", "ECDSA P-256"}, {"ECDSA P-256", "ECDSA P-384"}, {"RSA 1024", "RSA 2048"}, {"RSA 4096", "ECDSA P-384"},
	} {
		if keyStrength(tc.weaker) >= keyStrength(tc.stronger) {
			t.Errorf("%s (%d) is not weaker than %s (%d)", tc.weaker, keyStrength(tc.weaker), tc.stronger, keyStrength(tc.stronger))
		}
	}
	if keyStrength("RSA 4096") != keyStrength("RSA 3072") || keyStrength("Ed25519") != keyStrength("ECDSA P-256") {
		t.Error("keys of one strength class differ")
	}
}

// TestWriteFile: the file is replaced whole, keeps its mode, and no
// temporary file stays behind.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "base.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(p, []byte("new")); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	fi, _ := os.Stat(p)
	if string(b) != "new" || fi.Mode().Perm() != 0o600 {
		t.Errorf("content %q mode %v", b, fi.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
	if err := WriteFile(filepath.Join(dir, "no", "such", "dir.json"), []byte("x")); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}

// TestVerdictWorse: a worse status, or between failures a code of higher
// precedence, is verdict-worse with the new code; a better one is not.
func TestVerdictWorse(t *testing.T) {
	r := func(s result.Status, c result.Code) *result.Result {
		return &result.Result{Target: "a", Status: s, Code: c}
	}
	for _, tc := range []struct {
		old, new *result.Result
		worse    bool
	}{
		{r(result.StatusOK, 0), r(result.StatusWarn, 0), true},
		{r(result.StatusOK, 0), r(result.StatusFail, result.CodeExpired), true},
		{r(result.StatusFail, result.CodeDomainMismatch), r(result.StatusFail, result.CodeNoPath), true},
		{r(result.StatusFail, result.CodeNoPath), r(result.StatusFail, result.CodeDomainMismatch), false},
		{r(result.StatusError, result.CodeTCPRefused), r(result.StatusOK, 0), false},
		{r(result.StatusWarn, 0), r(result.StatusWarn, 0), false},
	} {
		cs := Changes(tc.old, tc.new)
		got := len(cs) == 1 && cs[0].ID == result.ProblemVerdictWorse && cs[0].Code == tc.new.Code
		if got != tc.worse || !tc.worse && len(cs) != 0 {
			t.Errorf("%s %d -> %s %d: %+v, want worse=%v", tc.old.Status, tc.old.Code, tc.new.Status, tc.new.Code, cs, tc.worse)
		}
	}
}

// TestDNAttr reads attributes of the names pkix.Name.String writes,
// escapes included.
func TestDNAttr(t *testing.T) {
	for _, tc := range []struct{ dn, key, want string }{
		{"CN=R11,O=Let's Encrypt,C=US", "O", "Let's Encrypt"},
		{"CN=R11,O=Let's Encrypt,C=US", "CN", "R11"},
		{`CN=E6,O=Acme\, Inc.,C=US`, "O", "Acme, Inc."},
		{`CN=x+O=a,O=b`, "O", "a+b"},
		{"CN=no org", "O", ""},
		{`O=\41\42`, "O", "AB"},
		{"", "O", ""},
	} {
		if got := dnAttr(tc.dn, tc.key); got != tc.want {
			t.Errorf("dnAttr(%q, %s) = %q, want %q", tc.dn, tc.key, got, tc.want)
		}
	}
}

// TestRootsCompared: roots are compared only when both runs have a path
// to a store root: a passing verdict, or one that fails on time or name
// (11236, 11235) with its path; a verdict without a path (11237) has no
// root to compare, whatever root the store's policy refused.
func TestRootsCompared(t *testing.T) {
	run := func(trusted bool, code result.Code, root string) *result.Result {
		st := result.StatusOK
		if !trusted {
			st = result.StatusFail
		}
		return &result.Result{Target: "a", Status: st, Code: code,
			Chain: []result.Cert{{Subject: "CN=a", Issuer: "CN=I,O=CA", SHA256: "leaf"}},
			Trust: map[string]result.Verdict{"mozilla": {Trusted: trusted, Code: code, Root: root, RootSHA256: root}}}
	}
	for _, tc := range []struct {
		name     string
		old, new *result.Result
		changed  bool
	}{
		{"both trusted, same root", run(true, 0, "r1"), run(true, 0, "r1"), false},
		{"both trusted, another root", run(true, 0, "r1"), run(true, 0, "r2"), true},
		{"expired, then another root", run(false, result.CodeExpired, "r1"), run(true, 0, "r2"), true},
		{"no path, then trusted", run(false, result.CodeNoPath, ""), run(true, 0, "r1"), false},
		{"a refused root, then trusted", run(false, result.CodeNoPath, "r0"), run(true, 0, "r1"), false},
		{"trusted, then no path", run(true, 0, "r1"), run(false, result.CodeNoPath, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := false
			for _, c := range Changes(tc.old, tc.new) {
				got = got || c.ID == result.ProblemChangedRoot
			}
			if got != tc.changed {
				t.Errorf("changed-root = %v, want %v: %+v", got, tc.changed, Changes(tc.old, tc.new))
			}
		})
	}
}

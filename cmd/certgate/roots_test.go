package main

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/truststore"
)

const subsetPEM = "testdata/roots_subset.pem" // ISRG Root X1, TUBITAK, geotrustprimaryca

func TestRootsGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
	}{
		{"roots_list_table", []string{"roots", "list"}},
		{"roots_list_subset_json", []string{"roots", "list", "--store", subsetPEM, "-o", "json"}},
		{"roots_list_subset_table", []string{"roots", "list", "--store", subsetPEM}},
		{"roots_diff_table", []string{"roots", "diff", "mozilla", "java"}},
		{"roots_show_tubitak", []string{"roots", "show", "tubitak kamu sm ssl kok sertifikasi - surum 1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", c.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			goldenFile(t, c.name, out)
		})
	}
}

// embedded returns the fingerprints of an embedded store.
func embedded(t *testing.T, name string) map[string]bool {
	t.Helper()
	s, err := truststore.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, r := range s.Roots {
		m[r.SHA256] = true
	}
	return m
}

func TestRootsListJSON(t *testing.T) {
	moz, java := embedded(t, "mozilla"), embedded(t, "java")
	hexRE := regexp.MustCompile(`^[0-9a-f]{64}$`)
	tests := []struct {
		name  string
		args  []string
		want  map[string]bool // the fingerprints listed
		store string          // a store every entry must name
	}{
		{"default", nil, union(moz, java), ""},
		{"mozilla", []string{"--store", "mozilla"}, moz, "mozilla"},
		{"java", []string{"--store=java"}, java, "java"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", append([]string{"roots", "list", "-o", "json"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var entries []map[string]any
			if err := json.Unmarshal([]byte(out), &entries); err != nil {
				t.Fatalf("not a JSON array: %v", err)
			}
			if len(entries) != len(tt.want) {
				t.Errorf("%d entries, want %d", len(entries), len(tt.want))
			}
			for _, e := range entries {
				sha, _ := e["sha256"].(string)
				if !hexRE.MatchString(sha) || !tt.want[sha] {
					t.Errorf("entry %v: sha256 %q is not a listed root", e["name"], sha)
				}
				for _, k := range []string{"name", "not_after", "key"} {
					if s, _ := e[k].(string); s == "" {
						t.Errorf("entry %s: no %s", sha, k)
					}
				}
				stores, _ := e["stores"].([]any)
				var names []string
				for _, s := range stores {
					names = append(names, s.(string))
				}
				wantStores := []string{}
				if moz[sha] {
					wantStores = append(wantStores, "mozilla")
				}
				if java[sha] {
					wantStores = append(wantStores, "java")
				}
				if strings.Join(names, ",") != strings.Join(wantStores, ",") {
					t.Errorf("entry %s: stores %v, want %v", sha, names, wantStores)
				}
			}
		})
	}
}

func union(a, b map[string]bool) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

func TestRootsShow(t *testing.T) {
	const isrg = "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
	tests := []struct {
		name     string
		arg      string
		wantCode int
		wantOut  []string
		wantErr  []string
	}{
		{"exact name", "ISRG Root X1", 0, []string{"Name:        ISRG Root X1", "SHA-256:     " + isrg, "Stores:      mozilla, java (as letsencryptisrgx1)", "BEGIN CERTIFICATE"}, nil},
		{"java alias", "letsencryptisrgx1", 0, []string{"SHA-256:     " + isrg}, nil},
		{"sha256 prefix", "96BCEC06", 0, []string{"SHA-256:     " + isrg}, nil},
		{"openssl-style prefix", "96:BC:EC:06", 0, []string{"SHA-256:     " + isrg}, nil},
		{"rule shown", "geotrustprimaryca", 0, []string{"Rule:        SYMANTEC_TLS: java distrusts certificates issued after 2019-04-16T23:59:59Z"}, nil},
		{"ambiguous prefix", "4", 2, nil, []string{`"4" matches`, "46edc3689046d53a453fb3104ab80dcaec658b2660ea1629dd7e867990648716  TUBITAK Kamu SM SSL Kok Sertifikasi - Surum 1"}},
		{"ambiguous name part", "amazon root", 2, nil, []string{"matches 4 roots", "Amazon Root CA 1", "Amazon Root CA 4"}},
		{"no match", "no such root", 2, nil, []string{`no root named "no such root"`, "certgate roots list"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", "roots", "show", tt.arg)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %s)", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			if tt.wantCode != 0 {
				if out != "" {
					t.Errorf("stdout %q on a usage error", out)
				}
				return
			}
			block, _ := pem.Decode([]byte(out[strings.Index(out, "-----BEGIN"):]))
			if block == nil {
				t.Fatal("no PEM block")
			}
			if sum := sha256.Sum256(block.Bytes); hex.EncodeToString(sum[:]) != isrg && tt.name != "rule shown" {
				t.Errorf("PEM is not ISRG Root X1")
			}
		})
	}
}

func TestRootsExport(t *testing.T) {
	dir := t.TempDir()
	for _, store := range []string{"mozilla", "java", subsetPEM} {
		t.Run(filepath.Base(store), func(t *testing.T) {
			code, out, errOut := cli(t, "", "roots", "export", "--store", store)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			want, err := truststore.Load(store)
			if err != nil {
				t.Fatal(err)
			}
			// Every block follows its "# name sha256=hex" line, and the
			// bundle loads back as the same store.
			lines := strings.Split(out, "\n")
			n := 0
			for i, l := range lines {
				if l != "-----BEGIN CERTIFICATE-----" {
					continue
				}
				r := want.Roots[n]
				if lines[i-1] != "# "+r.Name+" sha256="+r.SHA256 {
					t.Errorf("block %d: comment %q, want %s %s", n, lines[i-1], r.Name, r.SHA256)
				}
				n++
			}
			p := filepath.Join(dir, filepath.Base(store)+".pem")
			if err := os.WriteFile(p, []byte(out), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := truststore.Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Roots) != len(want.Roots) || n != len(want.Roots) {
				t.Fatalf("%d roots (%d blocks), want %d", len(got.Roots), n, len(want.Roots))
			}
			for i := range got.Roots {
				if got.Roots[i].SHA256 != want.Roots[i].SHA256 {
					t.Errorf("root %d: %s, want %s", i, got.Roots[i].SHA256, want.Roots[i].SHA256)
				}
			}
		})
	}
}

func TestRootsDiffJSON(t *testing.T) {
	moz, java := embedded(t, "mozilla"), embedded(t, "java")
	both := 0
	for k := range moz {
		if java[k] {
			both++
		}
	}
	code, out, errOut := cli(t, "", "roots", "diff", "-o", "json", "mozilla", "java")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var d struct {
		Stores []string                             `json:"stores"`
		OnlyIn map[string][]struct{ SHA256 string } `json:"only_in"`
		Both   int                                  `json:"both"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	if d.Both != both || len(d.OnlyIn["mozilla"]) != len(moz)-both || len(d.OnlyIn["java"]) != len(java)-both {
		t.Errorf("both %d, only mozilla %d, only java %d; want %d, %d, %d", d.Both, len(d.OnlyIn["mozilla"]), len(d.OnlyIn["java"]), both, len(moz)-both, len(java)-both)
	}
	for _, e := range d.OnlyIn["mozilla"] {
		if !moz[e.SHA256] || java[e.SHA256] {
			t.Errorf("%s is not only in mozilla", e.SHA256)
		}
	}
	for _, e := range d.OnlyIn["java"] {
		if moz[e.SHA256] || !java[e.SHA256] {
			t.Errorf("%s is not only in java", e.SHA256)
		}
	}
}

func TestRootsUsageErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.pem")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no subcommand", []string{"roots"}, "name a subcommand"},
		{"unknown subcommand", []string{"roots", "lsit"}, "unknown command"},
		{"bad output", []string{"roots", "list", "-o", "yaml"}, `"yaml" is not a format`},
		{"missing store file", []string{"roots", "list", "--store", filepath.Join(dir, "nope.pem")}, "no such file"},
		{"empty store file", []string{"roots", "list", "--store", empty}, "the file is empty"},
		{"show without argument", []string{"roots", "show"}, "give one root name"},
		{"show two arguments", []string{"roots", "show", "a", "b"}, "give one root name"},
		{"export without store", []string{"roots", "export"}, "name the store with --store"},
		{"export two stores", []string{"roots", "export", "--store", "mozilla,java"}, "takes one store"},
		{"diff one store", []string{"roots", "diff", "mozilla"}, "give two stores"},
		{"diff same store", []string{"roots", "diff", "java", "java"}, "same store"},
		{"diff bad store", []string{"roots", "diff", "mozilla", filepath.Join(dir, "nope.pem")}, "no such file"},
		{"unknown flag", []string{"roots", "list", "--bogus"}, "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", tt.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errOut)
			}
			if out != "" || !strings.Contains(errOut, tt.want) || !strings.HasPrefix(errOut, "certgate: ") {
				t.Errorf("stdout %q, stderr %q: want only a message with %q", out, errOut, tt.want)
			}
		})
	}
}

// TestRootsSubsetFixture keeps the fixture honest: its three certificates
// are embedded roots.
func TestRootsSubsetFixture(t *testing.T) {
	data, err := os.ReadFile(subsetPEM)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := truststore.ParseCertificates(data)
	if err != nil {
		t.Fatal(err)
	}
	all := union(embedded(t, "mozilla"), embedded(t, "java"))
	for _, c := range certs {
		if !all[fingerprintOf(c)] {
			t.Errorf("%s is not an embedded root", c.Subject)
		}
	}
}

func fingerprintOf(c *x509.Certificate) string { return truststore.Fingerprint(c) }

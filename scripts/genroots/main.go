// Command genroots regenerates certgate's embedded trust stores: it writes
// roots/mozilla.pem, roots/java.pem and roots/manifest.json.
//
// By default it reads a verified offline mirror of the upstream data (see
// its PROVENANCE.md); with -certdata and -jdk-cacerts it reads the upstream
// formats themselves. It is deterministic: the same input gives the same
// bytes. Run it from the repository root:
//
//	go run ./scripts/genroots
//
// Upstream sources:
//
//   - Mozilla NSS certdata.txt:
//     https://hg.mozilla.org/mozilla-central/raw-file/tip/security/nss/lib/ckfw/builtins/certdata.txt
//     (mirrored for Go by golang.org/x/crypto/x509roots/fallback)
//   - OpenJDK cacerts:
//     https://github.com/openjdk/jdk/tree/master/src/java.base/share/data/cacerts
//     with the distrust policies of
//     https://github.com/openjdk/jdk/blob/master/src/java.base/share/conf/security/java.security
package main

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"github.com/certgate/certgate/roots"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Upstream addresses, recorded in the manifest and shown by -h.
const (
	nssCertdataURL = "https://hg.mozilla.org/mozilla-central/raw-file/tip/security/nss/lib/ckfw/builtins/certdata.txt"
	goFallbackMod  = "golang.org/x/crypto/x509roots/fallback"
	jdkCacertsURL  = "https://github.com/openjdk/jdk/tree/master/src/java.base/share/data/cacerts"
	jdkSecurityURL = "https://github.com/openjdk/jdk/blob/master/src/java.base/share/conf/security/java.security"
)

// Snapshot the mirror holds (PROVENANCE.md). run checks that PROVENANCE.md
// still names these, so a refreshed mirror cannot go out under an old label.
const (
	mirrorMozillaModVersion = "v0.0.0-20261030153154-30a33513ff6d"
	mirrorMozillaVersion    = "x509roots/fallback " + mirrorMozillaModVersion + " (NSS as of 2026-10-20)"
	mirrorMozillaDate       = "2026-10-20"
	mirrorJavaRelease       = "26.0.2.1"
	mirrorJavaVersion       = "OpenJDK " + mirrorJavaRelease + " (2026-08-18)"
	mirrorJavaDate          = "2026-08-18"
)

// Java's SYMANTEC_TLS policy exempts two Apple sub-CAs until the end of 2019
// (sun/security/validator/SymantecTLSPolicy.java, EXEMPT_SUBCAS).
var symantecExemptSubCAs = []string{
	"a4fe7c7f15155f3f0aef7aaa83cf6e06deb97ca3f909df920ac1490882d488ed", // Apple IST CA 8 - G1
	"ac2b922ecfd5e01711772fea8ed372de9d1e2245fce3f57a9cdbec77296a424b", // Apple IST CA 2 - G1
}

const symantecExemptDate = "2019-12-31T23:59:59Z"

// The manifest's layout is package roots' own, shared with its reader.
type (
	manifest      = roots.ManifestDoc
	manifestStore = roots.StoreEntry
	manifestRoot  = roots.RootEntry
	manifestRule  = roots.RuleEntry
)

// root is one certificate on its way to the output.
type root struct {
	name  string
	sha   string
	der   []byte
	rules []manifestRule
}

// storeData is one store ready to be written.
type storeData struct {
	meta  manifestStore
	roots []root
}

type options struct {
	mirror      string
	out         string
	certdata    string
	jdkCacerts  string
	distrust    string
	mozVersion  string
	mozDate     string
	javaVersion string
	javaDate    string
	check       bool
	stdout      io.Writer
	stderr      io.Writer
}

const usage = `usage: go run ./scripts/genroots [flags]

Regenerates roots/mozilla.pem, roots/java.pem and roots/manifest.json.

By default it reads the verified offline mirror in -mirror (mozilla.pem,
java.pem, *.sha256, distrust.txt, PROVENANCE.md), checks every fingerprint
and refuses to write on any mismatch. Given the upstream files it reads
those instead:

  -certdata PATH     Mozilla NSS certdata.txt, from
                     ` + nssCertdataURL + `
                     (Go mirrors the same data as ` + goFallbackMod + `)
  -jdk-cacerts DIR   OpenJDK src/java.base/share/data/cacerts, from
                     ` + jdkCacertsURL + `

Distrust dates and name constraints come from -distrust (the mirror's
distrust.txt by default) and, with -certdata, from CKA_NSS_SERVER_DISTRUST_AFTER.
Java's jdk.security.caDistrustPolicies are in
` + jdkSecurityURL + `.

Flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("genroots", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{stdout: stdout, stderr: stderr}
	fs.StringVar(&o.mirror, "mirror", filepath.Join("..", "shared", "truststores"), "offline mirror `DIR` of the upstream data")
	fs.StringVar(&o.out, "out", "roots", "output `DIR`")
	fs.StringVar(&o.certdata, "certdata", "", "read Mozilla roots from NSS certdata.txt at `PATH` instead of the mirror")
	fs.StringVar(&o.jdkCacerts, "jdk-cacerts", "", "read Java roots from an OpenJDK cacerts source `DIR` instead of the mirror")
	fs.StringVar(&o.distrust, "distrust", "", "distrust rules `FILE` (default: distrust.txt in -mirror)")
	fs.StringVar(&o.mozVersion, "mozilla-version", "", "Mozilla version label (required with -certdata)")
	fs.StringVar(&o.mozDate, "mozilla-date", "", "Mozilla snapshot date YYYY-MM-DD (required with -certdata)")
	fs.StringVar(&o.javaVersion, "java-version", "", "Java version label (required with -jdk-cacerts)")
	fs.StringVar(&o.javaDate, "java-date", "", "Java snapshot date YYYY-MM-DD (required with -jdk-cacerts)")
	fs.BoolVar(&o.check, "check", false, "write nothing; exit 1 if the files in -out differ from what would be written")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "genroots: unexpected argument %q; all inputs are flags (see -h)\n", fs.Arg(0))
		return 2
	}
	files, err := generate(&o)
	if err != nil {
		fmt.Fprintf(stderr, "genroots: %v\n", err)
		return 1
	}
	if o.check {
		stale := false
		for _, name := range sortedKeys(files) {
			old, err := os.ReadFile(filepath.Join(o.out, name))
			if err != nil || !bytes.Equal(old, files[name]) {
				fmt.Fprintf(stderr, "genroots: %s is out of date; run go run ./scripts/genroots\n", filepath.Join(o.out, name))
				stale = true
			}
		}
		if stale {
			return 1
		}
		return 0
	}
	if err := writeFiles(o.out, files); err != nil {
		fmt.Fprintf(stderr, "genroots: %v\n", err)
		return 1
	}
	for _, name := range sortedKeys(files) {
		fmt.Fprintf(stdout, "wrote %s\n", filepath.Join(o.out, name))
	}
	return 0
}

// generate reads and checks every input and returns the output files by
// name. It writes nothing.
func generate(o *options) (map[string][]byte, error) {
	distrustPath := o.distrust
	if distrustPath == "" {
		distrustPath = filepath.Join(o.mirror, "distrust.txt")
	}
	distrustData, err := os.ReadFile(distrustPath)
	if err != nil {
		return nil, fmt.Errorf("read distrust rules: %w; give the mirror with -mirror DIR or the rules file with -distrust FILE", err)
	}
	rows, err := parseDistrust(distrustData)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", distrustPath, err)
	}
	mirrorMode := o.certdata == "" || o.jdkCacerts == ""
	var provenance []byte
	if mirrorMode {
		provenance, err = os.ReadFile(filepath.Join(o.mirror, "PROVENANCE.md"))
		if err != nil {
			return nil, fmt.Errorf("read mirror: %w; give the mirror directory with -mirror DIR", err)
		}
	}

	var stores []storeData
	moz, err := mozillaStore(o, rows, provenance, distrustPath, distrustData)
	if err != nil {
		return nil, fmt.Errorf("mozilla: %w", err)
	}
	stores = append(stores, moz)
	java, err := javaStore(o, rows, provenance, distrustPath, distrustData)
	if err != nil {
		return nil, fmt.Errorf("java: %w", err)
	}
	stores = append(stores, java)

	// Every distrust row must land on a root (mirror) or is reported (upstream).
	for _, r := range rows {
		if !r.used {
			msg := fmt.Sprintf("%s:%d: rule %s for %s (%s) matches no %s root", distrustPath, r.line, r.rule.Name, r.name, r.sha, r.store)
			if (r.store == "mozilla" && o.certdata == "") || (r.store == "java" && o.jdkCacerts == "") {
				return nil, errors.New(msg + "; fix distrust.txt or the mirror")
			}
			fmt.Fprintf(o.stderr, "genroots: warning: %s\n", msg)
		}
	}

	files := map[string][]byte{}
	m := manifest{Schema: "certgate.roots/v1", Generator: "go run ./scripts/genroots"}
	sort.Slice(stores, func(i, j int) bool { return stores[i].meta.Name < stores[j].meta.Name })
	for _, s := range stores {
		files[s.meta.File] = renderPEM(s)
		m.Stores = append(m.Stores, s.meta)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, err
	}
	files["manifest.json"] = buf.Bytes()
	return files, nil
}

func mozillaStore(o *options, rows []*distrustRow, provenance []byte, distrustPath string, distrustData []byte) (storeData, error) {
	s := storeData{meta: manifestStore{
		Name:        "mozilla",
		File:        "mozilla.pem",
		Upstream:    []string{nssCertdataURL, goFallbackMod},
		InputSHA256: map[string]string{filepath.Base(distrustPath): sum(distrustData)},
	}}
	if o.certdata != "" {
		if o.mozVersion == "" || o.mozDate == "" {
			return s, errors.New("-certdata needs -mozilla-version and -mozilla-date to label the snapshot")
		}
		data, err := os.ReadFile(o.certdata)
		if err != nil {
			return s, fmt.Errorf("%w; give the NSS certdata.txt with -certdata PATH", err)
		}
		roots, err := parseCertdata(data)
		if err != nil {
			return s, fmt.Errorf("%s: %w", o.certdata, err)
		}
		s.roots = roots
		s.meta.Source = "Mozilla NSS built-in roots with the server-auth (Websites) trust bit, read from certdata.txt"
		s.meta.InputSHA256[filepath.Base(o.certdata)] = sum(data)
		s.meta.Version, s.meta.Date = o.mozVersion, o.mozDate
	} else {
		if !bytes.Contains(provenance, []byte(goFallbackMod+"@"+mirrorMozillaModVersion)) {
			return s, fmt.Errorf("PROVENANCE.md in %s does not name %s@%s; the mirror changed, update the mirror constants in scripts/genroots", o.mirror, goFallbackMod, mirrorMozillaModVersion)
		}
		roots, inputs, err := readMirror(o.mirror, "mozilla")
		if err != nil {
			return s, err
		}
		s.roots = roots
		for k, v := range inputs {
			s.meta.InputSHA256[k] = v
		}
		s.meta.InputSHA256["PROVENANCE.md"] = sum(provenance)
		s.meta.Source = "Mozilla NSS built-in roots with the server-auth (Websites) trust bit, as bundled in " +
			goFallbackMod + ", plus TUBITAK Kamu SM SSL Kok Sertifikasi - Surum 1 (which Go leaves out; Mozilla constrains it to .tr)"
		s.meta.Version, s.meta.Date = orDefault(o.mozVersion, mirrorMozillaVersion), orDefault(o.mozDate, mirrorMozillaDate)
	}
	if _, err := time.Parse(time.DateOnly, s.meta.Date); err != nil {
		return s, fmt.Errorf("snapshot date %q is not YYYY-MM-DD", s.meta.Date)
	}
	return finish(s, rows, o.stderr)
}

func javaStore(o *options, rows []*distrustRow, provenance []byte, distrustPath string, distrustData []byte) (storeData, error) {
	s := storeData{meta: manifestStore{
		Name:        "java",
		File:        "java.pem",
		Upstream:    []string{jdkCacertsURL, jdkSecurityURL},
		InputSHA256: map[string]string{filepath.Base(distrustPath): sum(distrustData)},
	}}
	if o.jdkCacerts != "" {
		if o.javaVersion == "" || o.javaDate == "" {
			return s, errors.New("-jdk-cacerts needs -java-version and -java-date to label the snapshot")
		}
		roots, digest, err := parseJDKCacerts(o.jdkCacerts)
		if err != nil {
			return s, err
		}
		s.roots = roots
		s.meta.Source = "OpenJDK cacerts (src/java.base/share/data/cacerts), with the jdk.security.caDistrustPolicies of java.security"
		s.meta.InputSHA256["cacerts"] = digest
		s.meta.Version, s.meta.Date = o.javaVersion, o.javaDate
	} else {
		if !bytes.Contains(provenance, []byte("version="+mirrorJavaRelease)) || !bytes.Contains(provenance, []byte("DEFAULT_VERSION_DATE="+mirrorJavaDate)) {
			return s, fmt.Errorf("PROVENANCE.md in %s does not name OpenJDK %s of %s; the mirror changed, update the mirror constants in scripts/genroots", o.mirror, mirrorJavaRelease, mirrorJavaDate)
		}
		roots, inputs, err := readMirror(o.mirror, "java")
		if err != nil {
			return s, err
		}
		s.roots = roots
		for k, v := range inputs {
			s.meta.InputSHA256[k] = v
		}
		s.meta.InputSHA256["PROVENANCE.md"] = sum(provenance)
		s.meta.Source = "OpenJDK " + mirrorJavaRelease + " cacerts (src/java.base/share/data/cacerts) without luxtrustglobalrootca (JDK-8387123), " +
			"with the jdk.security.caDistrustPolicies of java.security (SYMANTEC_TLS, ENTRUST_TLS, CAMERFIRMA_TLS, CHUNGHWA_TLS)"
		s.meta.Version, s.meta.Date = orDefault(o.javaVersion, mirrorJavaVersion), orDefault(o.javaDate, mirrorJavaDate)
	}
	if _, err := time.Parse(time.DateOnly, s.meta.Date); err != nil {
		return s, fmt.Errorf("snapshot date %q is not YYYY-MM-DD", s.meta.Date)
	}
	return finish(s, rows, o.stderr)
}

// finish attaches the distrust rows, sorts, checks for duplicates and fills
// the manifest roots.
func finish(s storeData, rows []*distrustRow, stderr io.Writer) (storeData, error) {
	if len(s.roots) == 0 {
		return s, errors.New("no roots found; check the input")
	}
	bySHA := map[string]int{}
	for i, r := range s.roots {
		if j, dup := bySHA[r.sha]; dup {
			return s, fmt.Errorf("%s and %s are the same certificate (sha256=%s)", s.roots[j].name, r.name, r.sha)
		}
		bySHA[r.sha] = i
	}
	for _, row := range rows {
		if row.store != s.meta.Name {
			continue
		}
		i, ok := bySHA[row.sha]
		if !ok {
			continue
		}
		row.used = true
		r := &s.roots[i]
		if row.name != r.name {
			fmt.Fprintf(stderr, "genroots: warning: distrust.txt:%d names %q, the root is %q\n", row.line, row.name, r.name)
		}
		merged := false
		for k := range r.rules {
			if r.rules[k].Kind == row.rule.Kind {
				// Upstream certdata already set it; keep upstream, note a disagreement.
				if r.rules[k].Date != row.rule.Date {
					fmt.Fprintf(stderr, "genroots: warning: %s: upstream date %s, distrust.txt:%d says %s; keeping upstream\n", r.name, r.rules[k].Date, row.line, row.rule.Date)
				}
				merged = true
			}
		}
		if !merged {
			r.rules = append(r.rules, row.rule)
		}
	}
	sort.Slice(s.roots, func(i, j int) bool {
		if s.roots[i].name != s.roots[j].name {
			return s.roots[i].name < s.roots[j].name
		}
		return s.roots[i].sha < s.roots[j].sha
	})
	s.meta.Count = len(s.roots)
	s.meta.Roots = make([]manifestRoot, 0, len(s.roots))
	for _, r := range s.roots {
		sort.Slice(r.rules, func(i, j int) bool {
			if r.rules[i].Kind != r.rules[j].Kind {
				return r.rules[i].Kind < r.rules[j].Kind
			}
			return r.rules[i].Name < r.rules[j].Name
		})
		s.meta.Roots = append(s.meta.Roots, manifestRoot{Name: r.name, SHA256: r.sha, Rules: r.rules})
	}
	sort.Strings(s.meta.Upstream)
	return s, nil
}

// readMirror reads <store>.pem and <store>.sha256 from the mirror, checks
// every comment fingerprint against the certificate, and checks the .sha256
// list against the comments.
func readMirror(dir, store string) ([]root, map[string]string, error) {
	pemPath := filepath.Join(dir, store+".pem")
	data, err := os.ReadFile(pemPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read mirror: %w; give the mirror directory with -mirror DIR", err)
	}
	listPath := filepath.Join(dir, store+".sha256")
	list, err := os.ReadFile(listPath)
	if err != nil {
		return nil, nil, fmt.Errorf("read mirror: %w; give the mirror directory with -mirror DIR", err)
	}
	roots, err := parseCommentedPEM(data)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", pemPath, err)
	}
	want := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(list), "\n"), "\n") {
		hexsum, name, ok := strings.Cut(line, "  ")
		if !ok || len(hexsum) != 64 {
			return nil, nil, fmt.Errorf("%s:%d: want \"<sha256>  <name>\", got %q", listPath, i+1, line)
		}
		want[hexsum] = name
	}
	if len(want) != len(roots) {
		return nil, nil, fmt.Errorf("%s lists %d roots, %s holds %d; the mirror is inconsistent", listPath, len(want), pemPath, len(roots))
	}
	for _, r := range roots {
		if name, ok := want[r.sha]; !ok || name != r.name {
			return nil, nil, fmt.Errorf("%s: %s sha256=%s is not listed as such in %s; the mirror is inconsistent", pemPath, r.name, r.sha, listPath)
		}
	}
	return roots, map[string]string{store + ".pem": sum(data), store + ".sha256": sum(list)}, nil
}

// parseCommentedPEM reads blocks that each follow a "# <name> sha256=<hex>"
// line, and refuses any block whose fingerprint disagrees with its comment.
func parseCommentedPEM(data []byte) ([]root, error) {
	var roots []root
	rest := data
	for n := 1; ; n++ {
		i := bytes.Index(rest, []byte("-----BEGIN "))
		if i < 0 {
			break
		}
		pre := rest[:i]
		block, after := pem.Decode(rest[i:])
		if block == nil {
			return nil, fmt.Errorf("block %d: malformed PEM", n)
		}
		rest = after
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("block %d: type %s, want CERTIFICATE", n, block.Type)
		}
		name, claimed := lastComment(pre)
		if claimed == "" {
			return nil, fmt.Errorf("block %d: no \"# <name> sha256=<hex>\" line before it", n)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("block %d (%s): %w", n, name, err)
		}
		got := sum(block.Bytes)
		if got != claimed {
			return nil, fmt.Errorf("block %d (%s): comment says sha256=%s, certificate is %s; refusing to write", n, name, claimed, got)
		}
		roots = append(roots, root{name: name, sha: got, der: block.Bytes})
	}
	if len(roots) == 0 {
		return nil, errors.New("no certificates")
	}
	return roots, nil
}

func lastComment(pre []byte) (name, sha string) {
	lines := strings.Split(strings.TrimSpace(string(pre)), "\n")
	line := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(line, "# ") {
		return "", ""
	}
	i := strings.LastIndex(line, " sha256=")
	if i < 0 {
		return "", ""
	}
	return strings.TrimSpace(line[2:i]), strings.ToLower(line[i+len(" sha256="):])
}

// distrustRow is one line of distrust.txt.
type distrustRow struct {
	line  int
	sha   string
	store string
	rule  manifestRule
	name  string
	used  bool
}

// parseDistrust reads "sha256 store rule date name" lines.
func parseDistrust(data []byte) ([]*distrustRow, error) {
	var rows []*distrustRow
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 5 {
			return nil, fmt.Errorf("line %d: want \"sha256 store rule date name\", got %q", i+1, line)
		}
		row := &distrustRow{line: i + 1, sha: strings.ToLower(f[0]), store: f[1], name: strings.Join(f[4:], " ")}
		if len(row.sha) != 64 {
			return nil, fmt.Errorf("line %d: %q is not a SHA-256 fingerprint", i+1, f[0])
		}
		rule, err := ruleFor(row.store, f[2], f[3], row.name)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		row.rule = rule
		rows = append(rows, row)
	}
	return rows, nil
}

// ruleFor turns a distrust.txt rule column into a manifest rule.
func ruleFor(store, rule, date, rootName string) (manifestRule, error) {
	switch {
	case rule == "CKA_NSS_SERVER_DISTRUST_AFTER":
		t, err := time.Parse(time.RFC3339, date)
		if err != nil {
			return manifestRule{}, fmt.Errorf("%s date %q is not RFC 3339", rule, date)
		}
		return manifestRule{Kind: "distrust-after", Name: rule, Date: t.UTC().Format(time.RFC3339)}, nil
	case strings.HasPrefix(rule, "NAME_CONSTRAINT_permitted_dNSName="):
		suffix := strings.TrimPrefix(rule, "NAME_CONSTRAINT_permitted_dNSName=")
		if suffix == "" {
			return manifestRule{}, errors.New("empty permitted dNSName")
		}
		first := strings.ToLower(strings.Fields(rootName)[0])
		return manifestRule{
			Kind:         "name-constraint",
			Name:         store + "-" + first + "-" + strings.TrimPrefix(suffix, "."),
			PermittedDNS: strings.Split(suffix, ","),
		}, nil
	case store == "java":
		// JDK compares the leaf's notBefore by day: distrusted when the day is
		// after the cut-off day, so the instant is the end of that day, UTC.
		d, err := time.Parse(time.DateOnly, date)
		if err != nil {
			return manifestRule{}, fmt.Errorf("%s date %q is not YYYY-MM-DD", rule, date)
		}
		r := manifestRule{Kind: "distrust-after", Name: rule, Date: d.Add(24*time.Hour - time.Second).Format(time.RFC3339)}
		if rule == "SYMANTEC_TLS" {
			r.ExceptSubCA = append([]string(nil), symantecExemptSubCAs...)
			r.ExceptDate = symantecExemptDate
		}
		return r, nil
	}
	return manifestRule{}, fmt.Errorf("unknown rule %q for store %q", rule, store)
}

// renderPEM writes a store's roots, each after its comment line.
func renderPEM(s storeData) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "# certgate %s trust store: %d roots. Generated by go run ./scripts/genroots; do not edit.\n", s.meta.Name, len(s.roots))
	fmt.Fprintf(&b, "# Version: %s\n", s.meta.Version)
	fmt.Fprintf(&b, "# Rules (distrust-after dates, name constraints) are in manifest.json.\n")
	for _, r := range s.roots {
		fmt.Fprintf(&b, "\n# %s sha256=%s\n", r.name, r.sha)
		pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: r.der})
	}
	return b.Bytes()
}

// writeFiles writes every file to a temporary name first, then renames, so
// an interrupted run leaves the old files whole.
func writeFiles(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var tmps []string
	defer func() {
		for _, t := range tmps {
			os.Remove(t)
		}
	}()
	for _, name := range sortedKeys(files) {
		f, err := os.CreateTemp(dir, "."+name+".tmp*")
		if err != nil {
			return err
		}
		tmps = append(tmps, f.Name())
		if _, err := f.Write(files[name]); err != nil {
			f.Close()
			return err
		}
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	for i, name := range sortedKeys(files) {
		if err := os.Rename(tmps[i], filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func orDefault(v, def string) string {
	if v != "" {
		return v
	}
	return def
}

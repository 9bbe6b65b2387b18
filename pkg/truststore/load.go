package truststore

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/certgate/certgate/roots"
)

// Names of the built-in stores Load accepts.
const (
	// Mozilla is the embedded Mozilla NSS server-auth root set.
	Mozilla = "mozilla"
	// Java is the embedded OpenJDK cacerts root set.
	Java = "java"
	// System is the operating system's root store.
	System = "system"
)

// ErrNoCertificates is wrapped by the errors of ParseCertificates and Load
// when the input holds no certificate.
var ErrNoCertificates = errors.New("no certificates")

// LoadError results when Load cannot make a store from its spec: the file is
// missing, a directory, empty, holds no certificates, or does not parse.
type LoadError struct {
	// Spec is the argument given to Load.
	Spec string
	// Path is the file that failed, when there is one.
	Path string
	// Err is the underlying error (fs.ErrNotExist, ErrNoCertificates, a
	// parse error).
	Err error
	// Hint is the next step for the user.
	Hint string
}

// Error returns "truststore: <path>: <problem>; <next step>".
func (e *LoadError) Error() string {
	var b strings.Builder
	b.WriteString("truststore: ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.Hint != "" {
		b.WriteString("; ")
		b.WriteString(e.Hint)
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

const fileHint = "give a PEM or DER file of CA certificates, or one of mozilla, java, system"

// Load returns the store named by spec: "mozilla" or "java" (embedded, parsed
// once per process on first use), "system" (the operating system's store,
// read on each call), or else the path of a PEM or DER file of roots, named
// by its path. It never falls back to another store. The embedded stores are
// shared: callers must not modify them.
func Load(spec string) (*Store, error) {
	switch spec {
	case Mozilla:
		return mozillaStore()
	case Java:
		return javaStore()
	case System:
		return loadSystem()
	case "":
		return nil, &LoadError{Spec: spec, Err: errors.New("empty store name"), Hint: fileHint}
	}
	return loadFile(spec)
}

// loadFile returns a store of the certificates in the PEM or DER file at
// path. The store's Name and Source are the path.
func loadFile(path string) (*Store, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, &LoadError{Spec: path, Path: path, Err: unwrapPathError(err), Hint: "check the path, or " + fileHint}
	}
	if fi.IsDir() {
		return nil, &LoadError{Spec: path, Path: path, Err: errors.New("is a directory, not a file of certificates"), Hint: "give a PEM or DER file (a CA bundle) inside it"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Spec: path, Path: path, Err: unwrapPathError(err), Hint: "check the file's permissions"}
	}
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, &LoadError{Spec: path, Path: path, Err: err, Hint: fileHint}
	}
	s := newStore(path, path, "")
	for _, c := range certs {
		s.add(&Root{Name: certName(c), SHA256: fingerprint(c), Cert: c})
	}
	return s, nil
}

// unwrapPathError turns "stat x: no such file or directory" into the inner
// error, since LoadError names the path itself; errors.Is still sees
// fs.ErrNotExist.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// ParseCertificates returns the certificates in data, which is PEM (blocks
// other than CERTIFICATE are skipped, text between blocks is ignored) or DER
// (one or more concatenated certificates). Data without any certificate is
// an error wrapping ErrNoCertificates.
func ParseCertificates(data []byte) ([]*x509.Certificate, error) {
	certs, err := parseCertificates(data)
	if err != nil {
		return nil, fmt.Errorf("truststore: %w", err)
	}
	return certs, nil
}

func parseCertificates(data []byte) ([]*x509.Certificate, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("%w: the file is empty", ErrNoCertificates)
	}
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		certs, err := x509.ParseCertificates(data)
		if err != nil {
			return nil, fmt.Errorf("neither PEM nor DER certificates: %w", err)
		}
		if len(certs) == 0 {
			return nil, fmt.Errorf("%w in DER data", ErrNoCertificates)
		}
		return certs, nil
	}
	var certs []*x509.Certificate
	var others []string
	rest := data
	for n := 1; ; n++ {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			others = append(others, block.Type)
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("PEM block %d: %w", n, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		if len(others) > 0 {
			return nil, fmt.Errorf("%w, only %s", ErrNoCertificates, strings.Join(dedupe(others), ", "))
		}
		return nil, fmt.Errorf("%w: no complete PEM block", ErrNoCertificates)
	}
	return certs, nil
}

func dedupe(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

// Embedded stores are parsed once per process, on first use.
var (
	mozillaStore = sync.OnceValues(func() (*Store, error) { return loadEmbedded(Mozilla, roots.MozillaPEM) })
	javaStore    = sync.OnceValues(func() (*Store, error) { return loadEmbedded(Java, roots.JavaPEM) })
	manifestOnce = sync.OnceValues(func() (*manifest, error) { return parseManifest(roots.Manifest) })
)

// The manifest's layout is package roots' own, shared with its writer.
type (
	manifest      = roots.ManifestDoc
	manifestStore = roots.StoreEntry
	manifestRule  = roots.RuleEntry
)

func parseManifest(data []byte) (*manifest, error) {
	var m manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("truststore: embedded roots/manifest.json: %w; regenerate it with go run ./scripts/genroots", err)
	}
	if m.Schema != "certgate.roots/v1" {
		return nil, fmt.Errorf("truststore: embedded roots/manifest.json has schema %q, want certgate.roots/v1; regenerate it with go run ./scripts/genroots", m.Schema)
	}
	return &m, nil
}

func ruleOf(r manifestRule) (Rule, error) {
	out := Rule{Kind: r.Kind, Name: r.Name, PermittedDNS: r.PermittedDNS, ExceptSubCA: r.ExceptSubCA}
	var err error
	if r.Date != "" {
		if out.Date, err = time.Parse(time.RFC3339, r.Date); err != nil {
			return out, err
		}
	}
	if r.ExceptDate != "" {
		if out.ExceptDate, err = time.Parse(time.RFC3339, r.ExceptDate); err != nil {
			return out, err
		}
	}
	switch r.Kind {
	case RuleDistrustAfter:
		if out.Date.IsZero() {
			return out, fmt.Errorf("rule %s has no date", r.Name)
		}
	case RuleNameConstraint:
		if len(out.PermittedDNS) == 0 {
			return out, fmt.Errorf("rule %s permits no names", r.Name)
		}
	default:
		return out, fmt.Errorf("unknown rule kind %q", r.Kind)
	}
	return out, nil
}

// loadEmbedded reads an embedded PEM bundle and attaches the manifest's
// names and rules, checking that the two agree root for root (by the SHA-256
// of each DER certificate). The roots are parsed on demand (lazy.go).
func loadEmbedded(name string, data []byte) (*Store, error) {
	fail := func(err error) (*Store, error) {
		return nil, fmt.Errorf("truststore: embedded %s store: %w; regenerate roots/ with go run ./scripts/genroots", name, err)
	}
	// Decode and hash the bundle before waiting for the manifest, which the
	// other embedded store may be decoding meanwhile.
	ders, err := pemCertificates(data)
	if err != nil {
		return fail(err)
	}
	sums := make([]string, len(ders))
	for i, der := range ders {
		sum := sha256.Sum256(der)
		sums[i] = hex.EncodeToString(sum[:])
	}
	m, err := manifestOnce()
	if err != nil {
		return nil, err
	}
	var ms *manifestStore
	for i := range m.Stores {
		if m.Stores[i].Name == name {
			ms = &m.Stores[i]
		}
	}
	if ms == nil {
		return fail(errors.New("not in manifest.json"))
	}
	if len(ders) != ms.Count || len(ms.Roots) != ms.Count {
		return fail(fmt.Errorf("%d certificates, manifest.json says %d", len(ders), ms.Count))
	}
	date, err := time.Parse(time.DateOnly, ms.Date)
	if err != nil {
		return fail(fmt.Errorf("manifest date %q: %w", ms.Date, err))
	}
	s := newStore(name, ms.Source, ms.Version)
	s.Date = date
	s.Pool = nil
	s.lazy = true
	s.Roots = make([]*Root, 0, len(ders))
	s.index = make(map[string]*Root, len(ders))
	for i, der := range ders {
		mr := ms.Roots[i]
		fp := sums[i]
		if fp != mr.SHA256 {
			return fail(fmt.Errorf("certificate %d has sha256 %s, manifest.json says %s (%s)", i+1, fp, mr.SHA256, mr.Name))
		}
		r, err := newLazyRoot(mr.Name, fp, der)
		if err != nil {
			return fail(fmt.Errorf("certificate %d (%s): %w", i+1, mr.Name, err))
		}
		for _, mrule := range mr.Rules {
			rule, err := ruleOf(mrule)
			if err != nil {
				return fail(fmt.Errorf("root %s: %w", mr.Name, err))
			}
			r.Rules = append(r.Rules, rule)
		}
		s.add(r)
	}
	return s, nil
}

// pemCertificates returns the DER of every CERTIFICATE block of data, in
// order, without parsing the certificates. Blocks without headers (what
// scripts/genroots writes) are decoded in one pass into one buffer; anything
// else falls back to encoding/pem.
func pemCertificates(data []byte) ([][]byte, error) {
	const begin, end = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(data)))
	var ders [][]byte
	rest := data
	for {
		i := bytes.Index(rest, []byte(begin))
		if i < 0 {
			break
		}
		body := rest[i+len(begin):]
		j := bytes.Index(body, []byte(end))
		if j < 0 || bytes.Contains(body[:j], []byte(":")) {
			return pemDecodeAll(data)
		}
		// base64 skips the line breaks; other white space is an error.
		n, err := base64.StdEncoding.Decode(buf, body[:j])
		if err != nil {
			return pemDecodeAll(data)
		}
		ders = append(ders, buf[:n:n])
		buf = buf[n:]
		rest = body[j+len(end):]
	}
	if len(ders) == 0 {
		return pemDecodeAll(data)
	}
	return ders, nil
}

// pemDecodeAll is pemCertificates by encoding/pem.
func pemDecodeAll(data []byte) ([][]byte, error) {
	var ders [][]byte
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			ders = append(ders, block.Bytes)
		}
	}
	if len(ders) == 0 {
		return nil, fmt.Errorf("%w: no complete PEM block", ErrNoCertificates)
	}
	return ders, nil
}

// Linux and BSD bundle files and directories, as crypto/x509 knows them.
var (
	systemFiles = []string{
		"/etc/ssl/certs/ca-certificates.crt",                // Debian, Ubuntu, Gentoo, Arch
		"/etc/pki/tls/certs/ca-bundle.crt",                  // Fedora, RHEL 6
		"/etc/ssl/ca-bundle.pem",                            // openSUSE
		"/etc/pki/tls/cacert.pem",                           // OpenELEC
		"/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", // CentOS, RHEL 7
		"/etc/ssl/cert.pem",                                 // Alpine, macOS, OpenBSD
		"/usr/local/share/certs/ca-root-nss.crt",            // FreeBSD
		"/usr/local/etc/ssl/cert.pem",                       // FreeBSD
	}
	systemDirs = []string{
		"/etc/ssl/certs",     // SLES10/SLES11
		"/etc/pki/tls/certs", // Fedora/RHEL
	}
)

// loadSystem reads the OS store: SSL_CERT_FILE and SSL_CERT_DIR when set
// (as crypto/x509 does), else the first bundle file found plus the
// certificate directories. On Windows the roots cannot be listed, so Roots
// is empty and only Pool is set.
func loadSystem() (*Store, error) {
	if runtime.GOOS == "windows" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			return nil, &LoadError{Spec: System, Err: err, Hint: "use --store mozilla or java"}
		}
		s := newStore(System, "Windows certificate store", "")
		s.Pool = pool
		s.index = map[string]*Root{}
		return s, nil
	}
	files, dirs := systemFiles, systemDirs
	if f := os.Getenv("SSL_CERT_FILE"); f != "" {
		files = []string{f}
	}
	if d := os.Getenv("SSL_CERT_DIR"); d != "" {
		dirs = filepath.SplitList(d)
	}
	s := newStore(System, "", "")
	var sources []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		certs, err := parseCertificates(data)
		if err != nil {
			continue
		}
		for _, c := range certs {
			s.add(&Root{Name: certName(c), SHA256: fingerprint(c), Cert: c})
		}
		sources = append(sources, f)
		break
	}
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		n := len(s.Roots)
		for _, e := range entries {
			path := filepath.Join(d, e.Name())
			if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
				continue
			}
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			certs, err := parseCertificates(data)
			if err != nil {
				continue
			}
			for _, c := range certs {
				s.add(&Root{Name: certName(c), SHA256: fingerprint(c), Cert: c})
			}
		}
		if len(s.Roots) > n {
			sources = append(sources, d)
		}
	}
	if len(s.Roots) == 0 {
		return nil, &LoadError{Spec: System, Err: fmt.Errorf("%w in the system store (looked in %s)", ErrNoCertificates, strings.Join(append(append([]string(nil), files...), dirs...), ", ")),
			Hint: "install the ca-certificates package, set SSL_CERT_FILE or SSL_CERT_DIR, or use --store mozilla"}
	}
	s.Source = strings.Join(sources, ", ")
	return s, nil
}

func newStore(name, source, version string) *Store {
	return &Store{Name: name, Source: source, Version: version, Pool: x509.NewCertPool()}
}

// add appends r unless a root with its fingerprint is already there.
func (s *Store) add(r *Root) {
	if s.index == nil {
		s.index = map[string]*Root{}
	}
	if _, dup := s.index[r.SHA256]; dup {
		return
	}
	s.index[r.SHA256] = r
	s.Roots = append(s.Roots, r)
	if s.Pool != nil && r.Cert != nil {
		s.Pool.AddCert(r.Cert)
	}
}

// certName names a certificate the way stores do: its CN, else its first
// OU, else its first O, else the whole subject.
func certName(c *x509.Certificate) string {
	switch {
	case c.Subject.CommonName != "":
		return c.Subject.CommonName
	case len(c.Subject.OrganizationalUnit) > 0:
		return c.Subject.OrganizationalUnit[0]
	case len(c.Subject.Organization) > 0:
		return c.Subject.Organization[0]
	}
	return c.Subject.String()
}

func fingerprint(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

package truststore

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/shareddata"
	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/roots"
)

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// issue creates a certificate signed by parent (self-signed when parent is
// nil), valid for a year from notBefore.
func issue(t testing.TB, parent *testCA, cn string, isCA bool, notBefore time.Time, dns ...string) *testCA {
	t.Helper()
	opts := []testpki.Option{
		testpki.Subject(pkix.Name{CommonName: cn}),
		testpki.Validity(notBefore, notBefore.Add(365*24*time.Hour)),
		testpki.IsCA(isCA), testpki.RawDNS(dns...), testpki.EKU(),
		testpki.KeyUsage(x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign),
	}
	var l *testpki.Leaf
	if parent == nil {
		l = testpki.SelfSigned(t, opts...)
	} else {
		l = (&testpki.CA{Cert: parent.cert, Key: parent.key}).Leaf(t, opts...)
	}
	return &testCA{cert: l.Cert, key: l.Key.(*ecdsa.PrivateKey)}
}

var pemOf = testpki.PEM

func fp(c *x509.Certificate) string {
	h := sha256.Sum256(c.Raw)
	return hex.EncodeToString(h[:])
}

func TestLoadEmbedded(t *testing.T) {
	var m struct {
		Stores []struct {
			Name  string `json:"name"`
			Date  string `json:"date"`
			Count int    `json:"count"`
			Roots []struct {
				Name   string `json:"name"`
				SHA256 string `json:"sha256"`
			} `json:"roots"`
		} `json:"stores"`
	}
	if err := json.Unmarshal(roots.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		wantCount int
		wantRules map[string]string // root name -> rule name
	}{
		{Mozilla, 118, map[string]string{"Izenpe.com": "CKA_NSS_SERVER_DISTRUST_AFTER", "TUBITAK Kamu SM SSL Kok Sertifikasi - Surum 1": "mozilla-tubitak-tr"}},
		{Java, 110, map[string]string{"geotrustglobalca": "SYMANTEC_TLS", "entrustevca": "ENTRUST_TLS", "camerfirmachambersca": "CAMERFIRMA_TLS", "chunghwaepkirootca": "CHUNGHWA_TLS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			again, _ := Load(tt.name)
			if again != s {
				t.Error("second Load parsed the store again")
			}
			if len(s.Roots) != tt.wantCount {
				t.Errorf("%d roots, want %d", len(s.Roots), tt.wantCount)
			}
			if s.Name != tt.name || s.Source == "" || s.Version == "" || s.Date.IsZero() {
				t.Errorf("store metadata incomplete: %+v", s)
			}
			var found bool
			for _, ms := range m.Stores {
				if ms.Name != tt.name {
					continue
				}
				found = true
				if ms.Count != tt.wantCount || len(ms.Roots) != ms.Count {
					t.Errorf("manifest count %d with %d roots, want %d", ms.Count, len(ms.Roots), tt.wantCount)
				}
				if s.Date.Format(time.DateOnly) != ms.Date {
					t.Errorf("Date %v, manifest %s", s.Date, ms.Date)
				}
				for i, r := range s.Roots {
					if got := fp(r.Certificate()); got != r.SHA256 || got != ms.Roots[i].SHA256 || r.Name != ms.Roots[i].Name {
						t.Errorf("root %d %s: sha %s, Root.SHA256 %s, manifest %s %s", i, r.Name, got, r.SHA256, ms.Roots[i].Name, ms.Roots[i].SHA256)
					}
					if s.Lookup(r.Certificate()) != r {
						t.Errorf("Lookup(%s) did not find it", r.Name)
					}
				}
			}
			if !found {
				t.Fatalf("store %s not in manifest", tt.name)
			}
			rules := map[string]string{}
			for _, r := range s.Roots {
				for _, rule := range r.Rules {
					rules[r.Name] = rule.Name
				}
			}
			for root, rule := range tt.wantRules {
				if rules[root] != rule {
					t.Errorf("root %s: rule %q, want %q", root, rules[root], rule)
				}
			}
		})
	}
	java, _ := Load(Java)
	for _, r := range java.Roots {
		for _, rule := range r.Rules {
			if rule.Name == "SYMANTEC_TLS" {
				if len(rule.ExceptSubCA) != 2 || rule.ExceptDate.Format(time.RFC3339) != "2019-12-31T23:59:59Z" || rule.Date.Format(time.RFC3339) != "2019-04-16T23:59:59Z" {
					t.Errorf("%s: SYMANTEC_TLS rule %+v", r.Name, rule)
				}
			}
		}
	}
}

// TestRootsAreGenerated runs the generator in -check mode against the
// mirror, when the mirror is there: the committed roots/ must be exactly what
// it writes.
func TestRootsAreGenerated(t *testing.T) {
	mirror, err := filepath.Abs(shareddata.Dir(t, "truststores"))
	if err != nil {
		t.Fatal(err)
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command")
	}
	if testing.Short() {
		t.Skip("runs the generator")
	}
	cmd := exec.Command(gobin, "run", "./scripts/genroots", "-check", "-mirror", mirror)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("roots/ is not what genroots writes: %v\n%s", err, out)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyDER, err := x509.MarshalECPrivateKey(testpki.Key(t, testpki.ECDSA(256)).(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    string
		wantIs  error
		wantSub string
	}{
		{"missing", filepath.Join(dir, "nope.pem"), fs.ErrNotExist, "no such file"},
		{"directory", dir, nil, "is a directory"},
		{"empty", write("empty.pem", nil), ErrNoCertificates, "empty"},
		{"blank", write("blank.pem", []byte("\n \n")), ErrNoCertificates, "empty"},
		{"key only", write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})), ErrNoCertificates, "EC PRIVATE KEY"},
		{"garbage", write("junk.bin", []byte("not a certificate")), nil, "neither PEM nor DER"},
		{"broken PEM cert", write("broken.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})), nil, "PEM block 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Load(tt.spec)
			if err == nil {
				t.Fatalf("Load(%q) = %d roots, want error", tt.spec, len(s.Roots))
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T, want *LoadError", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "truststore: "+tt.spec+": ") || !strings.Contains(msg, tt.wantSub) || !strings.Contains(msg, "; ") {
				t.Errorf("error %q: want the path, %q and a hint", msg, tt.wantSub)
			}
			if msg != strings.ToLower(msg[:1])+msg[1:] || strings.HasSuffix(msg, ".") {
				t.Errorf("error %q: want lower-case, no trailing period", msg)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %q is not %v", msg, tt.wantIs)
			}
		})
	}
}

func TestLoadUserFile(t *testing.T) {
	now := time.Now()
	a := issue(t, nil, "Test Root A", true, now)
	b := issue(t, nil, "Test Root B", true, now)
	keyDER, _ := x509.MarshalECPrivateKey(a.key)
	dir := t.TempDir()
	mixed := append([]byte("Bag Attributes\n  friendlyName: a\n"), pemOf(a.cert)...)
	mixed = append(mixed, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})...)
	mixed = append(mixed, []byte("subject=CN = Test Root B\n")...)
	mixed = append(mixed, pemOf(b.cert, a.cert)...) // a twice: kept once
	files := map[string][]byte{
		"mixed.pem":  mixed,
		"one.der":    a.cert.Raw,
		"two.der":    append(append([]byte{}, a.cert.Raw...), b.cert.Raw...),
		"crlf.pem":   []byte(strings.ReplaceAll(string(pemOf(b.cert)), "\n", "\r\n")),
		"single.crt": pemOf(b.cert),
	}
	want := map[string][]string{
		"mixed.pem":  {"Test Root A", "Test Root B"},
		"one.der":    {"Test Root A"},
		"two.der":    {"Test Root A", "Test Root B"},
		"crlf.pem":   {"Test Root B"},
		"single.crt": {"Test Root B"},
	}
	for name, data := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			s, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if s.Name != p || s.Source != p {
				t.Errorf("Name %q Source %q, want the path", s.Name, s.Source)
			}
			var got []string
			for _, r := range s.Roots {
				got = append(got, r.Name)
				if r.SHA256 != fp(r.Cert) || s.Lookup(r.Cert) != r {
					t.Errorf("root %s: bad fingerprint or lookup", r.Name)
				}
			}
			if strings.Join(got, ",") != strings.Join(want[name], ",") {
				t.Errorf("roots %v, want %v", got, want[name])
			}
			if _, err := s.Roots[0].Cert.Verify(x509.VerifyOptions{Roots: s.Pool}); err != nil {
				t.Errorf("root does not verify against Pool: %v", err)
			}
		})
	}
}

func TestLoadSystem(t *testing.T) {
	dir := t.TempDir()
	a := issue(t, nil, "System Test Root", true, time.Now())
	p := filepath.Join(dir, "bundle.pem")
	if err := os.WriteFile(p, pemOf(a.cert), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SSL_CERT_FILE", p)
	t.Setenv("SSL_CERT_DIR", filepath.Join(dir, "none"))
	s, err := Load(System)
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != System || len(s.Roots) != 1 || s.Roots[0].Name != "System Test Root" || s.Source != p {
		t.Errorf("system store %+v", s)
	}
	t.Setenv("SSL_CERT_FILE", filepath.Join(dir, "missing.pem"))
	if _, err := Load(System); err == nil || !errors.Is(err, ErrNoCertificates) || !strings.Contains(err.Error(), "SSL_CERT_FILE") {
		t.Errorf("empty system store: err %v", err)
	}
}

func TestCheckPolicy(t *testing.T) {
	cut := time.Date(2019, 4, 16, 23, 59, 59, 0, time.UTC)
	except := time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC)
	day := 24 * time.Hour

	root := issue(t, nil, "Policy Root", true, cut.Add(-1000*day))
	plainSub := issue(t, root, "Plain Sub CA", true, cut.Add(-500*day))
	appleSub := issue(t, root, "Apple IST CA 2 - G1", true, cut.Add(-500*day))
	trRoot := issue(t, nil, "TR Root", true, cut.Add(-1000*day))

	s := newStore("test", "test", "")
	s.add(&Root{Name: "Policy Root", SHA256: fp(root.cert), Cert: root.cert, Rules: []Rule{{
		Kind: RuleDistrustAfter, Name: "SYMANTEC_TLS", Date: cut,
		ExceptSubCA: []string{fp(appleSub.cert)}, ExceptDate: except,
	}}})
	s.add(&Root{Name: "TR Root", SHA256: fp(trRoot.cert), Cert: trRoot.cert, Rules: []Rule{{
		Kind: RuleNameConstraint, Name: "mozilla-tubitak-tr", PermittedDNS: []string{".tr"},
	}}})
	other := issue(t, nil, "Unrelated Root", true, cut)

	leaf := func(parent *testCA, nb time.Time, dns ...string) *x509.Certificate {
		return issue(t, parent, "leaf", false, nb, dns...).cert
	}
	tests := []struct {
		name     string
		chain    []*x509.Certificate
		wantRule string
		wantIn   string
	}{
		{"at the cut-off", []*x509.Certificate{leaf(plainSub, cut), plainSub.cert, root.cert}, "", ""},
		{"a second after the cut-off", []*x509.Certificate{leaf(plainSub, cut.Add(time.Second)), plainSub.cert, root.cert}, "SYMANTEC_TLS", "2019-04-16T23:59:59Z"},
		{"leaf directly under root, after", []*x509.Certificate{leaf(root, cut.Add(day)), root.cert}, "SYMANTEC_TLS", "after the SYMANTEC_TLS cut-off"},
		{"leaf directly under root, before", []*x509.Certificate{leaf(root, cut.Add(-day)), root.cert}, "", ""},
		{"exempt sub-CA, after the cut-off, before the exception", []*x509.Certificate{leaf(appleSub, cut.Add(30*day)), appleSub.cert, root.cert}, "", ""},
		{"exempt sub-CA, at the exception date", []*x509.Certificate{leaf(appleSub, except), appleSub.cert, root.cert}, "", ""},
		{"exempt sub-CA, after the exception date", []*x509.Certificate{leaf(appleSub, except.Add(time.Second)), appleSub.cert, root.cert}, "SYMANTEC_TLS", "2019-12-31T23:59:59Z for sub-CA Apple IST CA 2 - G1"},
		{"root alone", []*x509.Certificate{root.cert}, "", ""},
		{"not this store's root", []*x509.Certificate{leaf(other, cut.Add(day)), other.cert}, "", ""},
		{"empty chain", nil, "", ""},
		{"name under .tr", []*x509.Certificate{leaf(trRoot, cut, "www.example.com.tr", "x.tr", "*.gov.tr", "EXAMPLE.TR."), trRoot.cert}, "", ""},
		{"name outside .tr", []*x509.Certificate{leaf(trRoot, cut, "x.tr", "example.com"), trRoot.cert}, "mozilla-tubitak-tr", "example.com is outside the permitted names .tr"},
		{"bare tr", []*x509.Certificate{leaf(trRoot, cut, "tr"), trRoot.cert}, "mozilla-tubitak-tr", "tr is outside"},
		{"lookalike suffix", []*x509.Certificate{leaf(trRoot, cut, "example.xtr"), trRoot.cert}, "mozilla-tubitak-tr", "example.xtr"},
		{"no DNS names", []*x509.Certificate{leaf(trRoot, cut), trRoot.cert}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pe := s.CheckPolicy(tt.chain)
			if tt.wantRule == "" {
				if pe != nil {
					t.Fatalf("CheckPolicy = %v, want nil", pe)
				}
				return
			}
			if pe == nil {
				t.Fatalf("CheckPolicy = nil, want a %s violation", tt.wantRule)
			}
			if pe.Rule.Name != tt.wantRule || pe.Store != "test" || pe.Root == nil || !strings.Contains(pe.Reason, tt.wantIn) {
				t.Errorf("CheckPolicy = %+v (%v), want rule %s, reason with %q", pe, pe, tt.wantRule, tt.wantIn)
			}
		})
	}
}

func TestCheckPolicyEmbedded(t *testing.T) {
	moz, err := Load(Mozilla)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range moz.Roots {
		if r.Name != "Izenpe.com" {
			continue
		}
		// A self-signed stand-in cannot chain to Izenpe, but CheckPolicy
		// only needs the root's identity: the chain's last element.
		after := issue(t, nil, "leaf", false, time.Date(2026, 4, 16, 0, 0, 0, 0, time.UTC)).cert
		before := issue(t, nil, "leaf", false, time.Date(2026, 4, 15, 0, 0, 0, 0, time.UTC)).cert
		if pe := moz.CheckPolicy([]*x509.Certificate{after, r.Certificate()}); pe == nil || pe.Rule.Name != "CKA_NSS_SERVER_DISTRUST_AFTER" {
			t.Errorf("Izenpe leaf after 2026-04-15: %v", pe)
		}
		if pe := moz.CheckPolicy([]*x509.Certificate{before, r.Certificate()}); pe != nil {
			t.Errorf("Izenpe leaf before 2026-04-15: %v", pe)
		}
		return
	}
	t.Fatal("no Izenpe.com root")
}

func TestParseCertificates(t *testing.T) {
	a := issue(t, nil, "A", true, time.Now())
	certs, err := ParseCertificates(append([]byte("junk\n"), pemOf(a.cert)...))
	if err != nil || len(certs) != 1 {
		t.Fatalf("PEM: %v, %d", err, len(certs))
	}
	if _, err := ParseCertificates(nil); !errors.Is(err, ErrNoCertificates) || !strings.HasPrefix(err.Error(), "truststore: ") {
		t.Errorf("empty: %v", err)
	}
}

func FuzzParseCertificates(f *testing.F) {
	a := issue(f, nil, "Fuzz Root", true, time.Now())
	key, _ := x509.MarshalECPrivateKey(a.key)
	f.Add(pemOf(a.cert))
	f.Add(a.cert.Raw)
	f.Add([]byte{})
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: key}))
	f.Add(append([]byte("text\n"), pemOf(a.cert, a.cert)...))
	f.Add(roots.MozillaPEM[:4096])
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := ParseCertificates(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificates")
		}
		if err != nil && (certs != nil || !strings.HasPrefix(err.Error(), "truststore: ")) {
			t.Fatalf("error %v with %d certificates", err, len(certs))
		}
	})
}

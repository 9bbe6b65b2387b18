package truststore

import (
	"bytes"
	"crypto/x509"
	"testing"
	"time"

	"github.com/certgate/certgate/roots"
)

// TestEmbeddedRawSubject proves that the subject read from the DER of every
// embedded root, without parsing it, is the RawSubject crypto/x509 parses.
func TestEmbeddedRawSubject(t *testing.T) {
	for _, tt := range []struct {
		name string
		pem  []byte
	}{{Mozilla, roots.MozillaPEM}, {Java, roots.JavaPEM}} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := loadEmbedded(tt.name, tt.pem)
			if err != nil {
				t.Fatal(err)
			}
			if s.Pool != nil {
				t.Error("an embedded store has a Pool: its roots were parsed eagerly")
			}
			for i, r := range s.Roots {
				raw := r.RawSubject()
				if r.Cert != nil {
					t.Fatalf("root %d %s: Cert set on an embedded root", i, r.Name)
				}
				c := r.Certificate()
				if c == nil {
					t.Fatalf("root %d %s: does not parse", i, r.Name)
				}
				if !bytes.Equal(raw, c.RawSubject) {
					t.Errorf("root %d %s: raw subject %x, x509 says %x", i, r.Name, raw, c.RawSubject)
				}
				if r.Certificate() != c {
					t.Errorf("root %d %s: parsed twice", i, r.Name)
				}
			}
		})
	}
}

func TestRawSubjectMalformed(t *testing.T) {
	der := roots.MozillaPEM // any certificate will do
	ders, err := pemCertificates(der)
	if err != nil {
		t.Fatal(err)
	}
	good := ders[0]
	for _, tt := range []struct {
		name string
		der  []byte
	}{
		{"empty", nil},
		{"one byte", []byte{0x30}},
		{"not a sequence", []byte{0x02, 0x01, 0x00}},
		{"length beyond the end", []byte{0x30, 0x82, 0xff, 0xff, 0x30}},
		{"zero-length long form", []byte{0x30, 0x80}},
		{"truncated certificate", good[:len(good)/3]},
		{"tbs only a version", []byte{0x30, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x02}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := rawSubject(tt.der); err == nil {
				t.Error("no error")
			}
		})
	}
}

// FuzzRawSubject checks rawSubject against crypto/x509: it never panics, and
// for a certificate x509 parses it returns x509's RawSubject.
func FuzzRawSubject(f *testing.F) {
	ders, err := pemCertificates(roots.JavaPEM)
	if err != nil {
		f.Fatal(err)
	}
	for _, d := range ders[:4] {
		f.Add(d)
	}
	f.Add([]byte{0x30, 0x03, 0x30, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		got, err := rawSubject(der)
		c, perr := x509.ParseCertificate(der)
		if perr != nil {
			return
		}
		if err != nil {
			t.Fatalf("x509 parses it, rawSubject: %v", err)
		}
		if !bytes.Equal(got, c.RawSubject) {
			t.Fatalf("raw subject %x, x509 says %x", got, c.RawSubject)
		}
	})
}

// TestPoolFor checks that PoolFor holds exactly the roots a chain names,
// parses only them, and verifies as the pool of every root does.
func TestPoolFor(t *testing.T) {
	s, err := loadEmbedded(Mozilla, roots.MozillaPEM)
	if err != nil {
		t.Fatal(err)
	}
	stranger := issue(t, nil, "stranger", true, time.Now())
	target := s.Roots[len(s.Roots)/2]
	for _, tt := range []struct {
		name  string
		chain []*x509.Certificate
		want  int // roots in the pool
	}{
		{"unknown issuer", []*x509.Certificate{stranger.cert}, 0},
		{"a root itself", []*x509.Certificate{target.Certificate()}, len(s.RootsBySubject(target.RawSubject()))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := s.PoolFor(tt.chain)
			if p == nil {
				t.Fatal("nil pool")
			}
			if n := len(p.Subjects()); n != tt.want { //nolint:staticcheck // counting, not trusting
				t.Errorf("%d roots in the pool, want %d", n, tt.want)
			}
			_, errFor := tt.chain[0].Verify(x509.VerifyOptions{Roots: p})
			_, errAll := tt.chain[0].Verify(x509.VerifyOptions{Roots: s.CertPool()})
			if (errFor == nil) != (errAll == nil) {
				t.Errorf("PoolFor: %v; every root: %v", errFor, errAll)
			}
			if s.PoolFor(tt.chain) != p {
				t.Error("the pool is not remembered")
			}
		})
	}

	fresh, err := loadEmbedded(Java, roots.JavaPEM)
	if err != nil {
		t.Fatal(err)
	}
	n := parsedRoots.Load()
	r := fresh.Roots[3]
	leafLike := &x509.Certificate{RawIssuer: r.RawSubject(), RawSubject: []byte("0\x00")}
	if p := fresh.PoolFor([]*x509.Certificate{leafLike}); len(p.Subjects()) != len(fresh.RootsBySubject(r.RawSubject())) { //nolint:staticcheck // counting
		t.Errorf("pool of %d roots", len(p.Subjects())) //nolint:staticcheck // counting
	}
	if got, want := parsedRoots.Load()-n, int64(len(fresh.RootsBySubject(r.RawSubject()))); got != want {
		t.Errorf("PoolFor parsed %d roots, want %d (only those the chain names)", got, want)
	}

	eager := New("eager", "", []*Root{{Cert: stranger.cert}})
	if eager.PoolFor([]*x509.Certificate{stranger.cert}) != eager.Pool || eager.CertPool() != eager.Pool {
		t.Error("an eager store's PoolFor or CertPool is not its Pool")
	}
	literal := &Store{Name: "literal", Roots: []*Root{{Name: "stranger", Cert: stranger.cert}}}
	if _, err := stranger.cert.Verify(x509.VerifyOptions{Roots: literal.PoolFor([]*x509.Certificate{stranger.cert})}); err != nil {
		t.Errorf("a store literal without Pool: %v", err)
	}
	if got := literal.RootsBySubject(stranger.cert.RawSubject); len(got) != 1 {
		t.Errorf("RootsBySubject of a store literal: %d roots", len(got))
	}
}

// TestPEMCertificates checks the one-pass PEM decoder of the embedded
// bundles against encoding/pem, and its fallback for PEM it does not expect.
func TestPEMCertificates(t *testing.T) {
	withHeader := []byte("-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n")
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"mozilla", roots.MozillaPEM},
		{"java", roots.JavaPEM},
		{"headers", withHeader},
		{"tabs in the body", bytes.ReplaceAll(roots.JavaPEM[:8000], []byte("\n"), []byte("\n\t"))},
		{"no block", []byte("# nothing here\n")},
		{"unterminated", []byte("-----BEGIN CERTIFICATE-----\nAAAA\n")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pemCertificates(tt.data)
			want, werr := pemDecodeAll(tt.data)
			if (err == nil) != (werr == nil) {
				t.Fatalf("error %v, encoding/pem: %v", err, werr)
			}
			if len(got) != len(want) {
				t.Fatalf("%d blocks, encoding/pem finds %d", len(got), len(want))
			}
			for i := range got {
				if !bytes.Equal(got[i], want[i]) {
					t.Errorf("block %d differs from encoding/pem's", i)
				}
			}
		})
	}
}

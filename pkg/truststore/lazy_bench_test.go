package truststore

import (
	"testing"

	"github.com/certgate/certgate/roots"
)

// BenchmarkLoadEmbedded measures what a cold process pays to load both
// embedded stores: the manifest decode, the PEM decode, the SHA-256 check
// and the subject index, without parsing any root.
func BenchmarkLoadEmbedded(b *testing.B) {
	for b.Loop() {
		if _, err := parseManifest(roots.Manifest); err != nil {
			b.Fatal(err)
		}
		for _, st := range []struct {
			name string
			pem  []byte
		}{{Mozilla, roots.MozillaPEM}, {Java, roots.JavaPEM}} {
			s, err := loadEmbedded(st.name, st.pem)
			if err != nil {
				b.Fatal(err)
			}
			s.subjects()
		}
	}
}

// BenchmarkManifest measures decoding the embedded manifest alone.
func BenchmarkManifest(b *testing.B) {
	for b.Loop() {
		if _, err := parseManifest(roots.Manifest); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseAllRoots measures what loading cost before roots were
// parsed on demand: parsing every embedded root.
func BenchmarkParseAllRoots(b *testing.B) {
	for b.Loop() {
		for _, p := range [][]byte{roots.MozillaPEM, roots.JavaPEM} {
			if _, err := parseCertificates(p); err != nil {
				b.Fatal(err)
			}
		}
	}
}

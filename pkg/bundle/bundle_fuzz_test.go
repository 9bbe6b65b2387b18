package bundle

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
)

// fuzzSeeds are inputs from the real world of bundle files: PEM and DER
// certificates and keys, mixed, truncated and with garbage between blocks.
func fuzzSeeds(f *testing.F) {
	root := testpki.NewRoot(f, "Fuzz Root")
	leaf := root.Leaf(f)
	certPEM := testpki.PEM(leaf.Cert, root.Cert)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		f.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8})
	for _, s := range [][]byte{
		certPEM,
		leaf.Cert.Raw,
		append(append([]byte{}, leaf.Cert.Raw...), root.Cert.Raw...),
		keyPEM,
		p8,
		sec1,
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}),
		append(append([]byte("garbage\x00\xff\n"), certPEM...), keyPEM...),
		certPEM[:len(certPEM)/2],
		[]byte("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
		[]byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"),
		[]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"),
		{},
		[]byte("   \n"),
		{0x30, 0x82, 0xff, 0xff},
	} {
		f.Add(s)
	}
}

// FuzzParse feeds arbitrary bytes to the bundle loader: it never panics,
// returns certificates or a *LoadError naming the file, never both nor
// neither.
func FuzzParse(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := Parse("bundle.pem", data)
		checkLoad(t, len(certs), err)
		for _, c := range certs {
			if c == nil {
				t.Fatal("nil certificate without an error")
			}
		}
	})
}

// FuzzParseKey feeds arbitrary bytes to the private-key loader with the same
// contract.
func FuzzParseKey(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		pub, err := ParseKey("key.pem", data)
		n := 0
		if pub != nil {
			n = 1
		}
		checkLoad(t, n, err)
	})
}

func checkLoad(t *testing.T, n int, err error) {
	t.Helper()
	if (n == 0) == (err == nil) {
		t.Fatalf("%d values with error %v: want exactly one of them", n, err)
	}
	if err == nil {
		return
	}
	var le *LoadError
	if !errors.As(err, &le) {
		t.Fatalf("error %T %q is not a *LoadError", err, err)
	}
	if !strings.HasPrefix(err.Error(), le.Path+": ") {
		t.Fatalf("error %q does not start with the file name", err)
	}
}

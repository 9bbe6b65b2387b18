package bundle

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/truststore"
)

func write(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadChain(t *testing.T) {
	root := testpki.NewRoot(t, "Bundle Root")
	inter := root.Intermediate(t, "Bundle CA")
	leaf := inter.Leaf(t)
	keyPEM := pemKey(t, leaf.Key, "PKCS8")
	dir := t.TempDir()

	tests := []struct {
		name    string
		files   map[string][]byte // written in order of paths
		paths   []string
		want    int
		wantErr error  // errors.Is target
		errHas  string // substring of the message
	}{
		{name: "one PEM file, leaf and intermediate", files: map[string][]byte{"full.pem": testpki.PEM(leaf.Cert, inter.Cert)}, paths: []string{"full.pem"}, want: 2},
		{name: "two files in server order", files: map[string][]byte{"leaf.pem": testpki.PEM(leaf.Cert), "chain.pem": testpki.PEM(inter.Cert)}, paths: []string{"leaf.pem", "chain.pem"}, want: 2},
		{name: "DER leaf then PEM chain", files: map[string][]byte{"leaf.der": leaf.Cert.Raw, "chain.pem": testpki.PEM(inter.Cert)}, paths: []string{"leaf.der", "chain.pem"}, want: 2},
		{name: "concatenated DER", files: map[string][]byte{"two.der": append(append([]byte{}, leaf.Cert.Raw...), inter.Cert.Raw...)}, paths: []string{"two.der"}, want: 2},
		{name: "text between PEM blocks is tolerated", files: map[string][]byte{"notes.pem": []byte("subject=CN = example.test\n" + string(testpki.PEM(leaf.Cert)) + "\nissuer: Bundle CA\n\n" + string(testpki.PEM(inter.Cert)) + "trailing words")}, paths: []string{"notes.pem"}, want: 2},
		{name: "certificate and key in one file: key skipped", files: map[string][]byte{"combined.pem": append(testpki.PEM(leaf.Cert), keyPEM...)}, paths: []string{"combined.pem"}, want: 1},
		{name: "missing file", paths: []string{"nope.pem"}, wantErr: fs.ErrNotExist, errHas: "nope.pem"},
		{name: "directory", paths: []string{"."}, errHas: "is a directory"},
		{name: "empty file", files: map[string][]byte{"empty.pem": []byte(" \n")}, paths: []string{"empty.pem"}, wantErr: ErrEmpty},
		{name: "no certificates", files: map[string][]byte{"text.pem": []byte("hello\n")}, paths: []string{"text.pem"}, errHas: "text.pem"},
		{name: "only a CSR", files: map[string][]byte{"req.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte{1}})}, paths: []string{"req.pem"}, wantErr: truststore.ErrNoCertificates, errHas: "CERTIFICATE REQUEST"},
		{name: "key where certificates are expected", files: map[string][]byte{"key.pem": keyPEM}, paths: []string{"key.pem"}, wantErr: ErrKeyNotCertificate, errHas: "--key"},
		{name: "DER key where certificates are expected", files: map[string][]byte{"key.der": derKey(t, leaf.Key)}, paths: []string{"key.der"}, wantErr: ErrKeyNotCertificate},
		{name: "damaged certificate", files: map[string][]byte{"bad.pem": pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}})}, paths: []string{"bad.pem"}, errHas: "PEM block 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_"))
			if err := os.MkdirAll(sub, 0o700); err != nil {
				t.Fatal(err)
			}
			var paths []string
			for _, p := range tt.paths {
				full := filepath.Join(sub, p)
				if data, ok := tt.files[p]; ok {
					if err := os.WriteFile(full, data, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				paths = append(paths, full)
			}
			got, err := LoadChain(paths)
			if tt.wantErr == nil && tt.errHas == "" {
				if err != nil {
					t.Fatalf("LoadChain: %v", err)
				}
				if len(got) != tt.want {
					t.Fatalf("got %d certificates, want %d", len(got), tt.want)
				}
				if !got[0].X509.Equal(leaf.Cert) {
					t.Errorf("first certificate is %s, want the leaf", got[0].X509.Subject)
				}
				return
			}
			if err == nil {
				t.Fatalf("LoadChain succeeded, want an error")
			}
			var le *LoadError
			if !errors.As(err, &le) {
				t.Fatalf("error %T %v is not a *LoadError", err, err)
			}
			if !strings.Contains(err.Error(), paths[0]) && tt.paths[0] != "." {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not contain %q", err, tt.errHas)
			}
		})
	}
}

func derKey(t *testing.T, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// pemKey encodes k as PKCS8, PKCS1 (RSA) or SEC1 (ECDSA).
func pemKey(t *testing.T, k crypto.Signer, enc string) []byte {
	t.Helper()
	var b pem.Block
	switch enc {
	case "PKCS8":
		b = pem.Block{Type: "PRIVATE KEY", Bytes: derKey(t, k)}
	case "PKCS1":
		b = pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey))}
	case "SEC1":
		der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
		if err != nil {
			t.Fatal(err)
		}
		b = pem.Block{Type: "EC PRIVATE KEY", Bytes: der}
	}
	return pem.EncodeToMemory(&b)
}

// certFor makes a self-signed certificate for key.
func certFor(t *testing.T, key crypto.Signer) *x509.Certificate {
	t.Helper()
	return testpki.SelfSigned(t, testpki.UseKey(key), testpki.CN("key.test"), testpki.Validity(testpki.Epoch, testpki.Epoch.AddDate(1, 0, 0))).Cert
}

func TestLoadKeyMatches(t *testing.T) {
	rsaKey := testpki.Key(t, testpki.RSA(2048))
	ecKey := testpki.Key(t, testpki.ECDSA(384))
	edKey := testpki.Key(t, testpki.Ed25519)
	otherEC := testpki.Key(t, testpki.ECDSA(384))
	keys := map[string]crypto.Signer{"RSA": rsaKey, "ECDSA": ecKey, "Ed25519": edKey}
	certs := map[string]*x509.Certificate{}
	for n, k := range keys {
		certs[n] = certFor(t, k)
	}

	tests := []struct {
		key, enc string
		der      bool
		want     string // KeyType
	}{
		{"RSA", "PKCS1", false, "RSA 2048"},
		{"RSA", "PKCS8", false, "RSA 2048"},
		{"RSA", "PKCS8", true, "RSA 2048"},
		{"ECDSA", "SEC1", false, "ECDSA P-384"},
		{"ECDSA", "PKCS8", false, "ECDSA P-384"},
		{"ECDSA", "PKCS8", true, "ECDSA P-384"},
		{"Ed25519", "PKCS8", false, "Ed25519"},
		{"Ed25519", "PKCS8", true, "Ed25519"},
	}
	for _, tt := range tests {
		name := tt.key + " " + tt.enc
		if tt.der {
			name += " DER"
		}
		t.Run(name, func(t *testing.T) {
			data := pemKey(t, keys[tt.key], tt.enc)
			if tt.der {
				data = derKey(t, keys[tt.key])
			}
			pub, err := LoadKey(write(t, "key", data))
			if err != nil {
				t.Fatalf("LoadKey: %v", err)
			}
			if got := KeyType(pub); got != tt.want {
				t.Errorf("KeyType = %q, want %q", got, tt.want)
			}
			for n, c := range certs {
				if got, want := KeyMatches(c, pub), n == tt.key; got != want {
					t.Errorf("KeyMatches(%s certificate) = %v, want %v", n, got, want)
				}
			}
		})
	}
	t.Run("other ECDSA key does not match", func(t *testing.T) {
		pub, err := ParseKey("k", pemKey(t, otherEC, "SEC1"))
		if err != nil {
			t.Fatal(err)
		}
		if KeyMatches(certs["ECDSA"], pub) {
			t.Error("KeyMatches = true for another key")
		}
	})
}

func TestLoadKeyErrors(t *testing.T) {
	ecKey := testpki.Key(t, testpki.ECDSA(256))
	legacy := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}})
	pkcs8Enc := pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0x00}})
	tests := []struct {
		name    string
		data    []byte
		wantErr error
		errHas  string
	}{
		{"legacy encrypted PEM", legacy, ErrEncryptedKey, "passphrase"},
		{"encrypted PKCS#8", pkcs8Enc, ErrEncryptedKey, "openssl pkey"},
		{"certificate instead of key", testpki.PEM(certFor(t, ecKey)), ErrNoKey, "CERTIFICATE"},
		{"garbage", []byte("not a key"), ErrNoKey, "PKCS#8"},
		{"damaged PKCS#8", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0x01, 0}}), nil, "PRIVATE KEY block"},
		{"empty", nil, ErrEmpty, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := write(t, "server.key", tt.data)
			_, err := LoadKey(p)
			if err == nil {
				t.Fatal("LoadKey succeeded, want an error")
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("error %q does not name the file", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("error %q is not %v", err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not contain %q", err, tt.errHas)
			}
		})
	}
}

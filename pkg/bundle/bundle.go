// Package bundle reads the certificate files a server is about to be
// deployed with — the chain in the order the server sends it, and optionally
// its private key — and judges them with the same validator as a live check.
// Every error names the file and says what to do instead.
package bundle

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io/fs"
	"os"
	"strings"

	"github.com/certgate/certgate/pkg/truststore"
)

// ErrKeyNotCertificate is wrapped by LoadError when a file that should hold
// certificates holds only a private key.
var ErrKeyNotCertificate = errors.New("holds a private key, not certificates")

// ErrEmpty is wrapped by LoadError when a file is empty or only white space.
var ErrEmpty = errors.New("the file is empty")

// LoadError results when a bundle or key file cannot be used: it is
// missing, a directory, empty, holds no certificate (or no key), or does not
// parse.
type LoadError struct {
	// Path is the file that failed.
	Path string
	// Err is the underlying error (fs.ErrNotExist, truststore.ErrNoCertificates,
	// ErrKeyNotCertificate, ErrEncryptedKey, a parse error).
	Err error
	// Hint is the next step for the user.
	Hint string
}

// Error returns "<path>: <problem>; <next step>".
func (e *LoadError) Error() string {
	s := e.Path + ": " + e.Err.Error()
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// Cert is one certificate of a bundle with where it came from.
type Cert struct {
	// X509 is the parsed certificate.
	X509 *x509.Certificate
	// Path is the file it was read from.
	Path string
	// Index is its position in that file, from 1.
	Index int
}

// LoadChain reads paths in order and returns their certificates in that
// order: leaf first, then what the server sends after it. Each file is PEM
// (text between blocks is ignored, non-certificate blocks are skipped) or
// DER (one or more concatenated certificates).
func LoadChain(paths []string) ([]Cert, error) {
	var out []Cert
	for _, p := range paths {
		certs, err := LoadFile(p)
		if err != nil {
			return nil, err
		}
		for i, c := range certs {
			out = append(out, Cert{X509: c, Path: p, Index: i + 1})
		}
	}
	return out, nil
}

// X509 returns the parsed certificates of cs, in order.
func X509(cs []Cert) []*x509.Certificate {
	out := make([]*x509.Certificate, len(cs))
	for i, c := range cs {
		out[i] = c.X509
	}
	return out
}

// LoadFile returns the certificates of one PEM or DER file.
func LoadFile(path string) ([]*x509.Certificate, error) {
	data, err := readFile(path, "a PEM or DER file of certificates")
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse returns the certificates in data, read from the file name (used in
// errors only).
func Parse(name string, data []byte) ([]*x509.Certificate, error) {
	certs, err := truststore.ParseCertificates(data)
	if err == nil {
		return certs, nil
	}
	if isKeyOnly(data) {
		return nil, &LoadError{Path: name, Err: ErrKeyNotCertificate,
			Hint: "give the certificate files as arguments and the key with --key " + name}
	}
	if errors.Is(err, truststore.ErrNoCertificates) {
		return nil, &LoadError{Path: name, Err: trimPrefix(err),
			Hint: "give a PEM file with -----BEGIN CERTIFICATE----- blocks or a DER certificate"}
	}
	return nil, &LoadError{Path: name, Err: trimPrefix(err),
		Hint: "the file is damaged or not a certificate: export it again from the CA or the server"}
}

// trimPrefix drops truststore's layer prefix: the LoadError names the file.
func trimPrefix(err error) error {
	return &prefixless{err}
}

type prefixless struct{ err error }

func (p *prefixless) Error() string { return strings.TrimPrefix(p.err.Error(), "truststore: ") }
func (p *prefixless) Unwrap() error { return p.err }

// isKeyOnly reports whether data holds a private key and no certificate.
func isKeyOnly(data []byte) bool {
	if !bytes.Contains(data, []byte("-----BEGIN ")) {
		_, err := parseDERKey(data)
		return err == nil
	}
	rest := data
	key := false
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			return key
		}
		if b.Type == "CERTIFICATE" {
			return false
		}
		if strings.HasSuffix(b.Type, "PRIVATE KEY") {
			key = true
		}
	}
}

// readFile reads a file the user named, with errors that name it and say
// what to give instead.
func readFile(path, want string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &LoadError{Path: path, Err: fs.ErrNotExist, Hint: "check the path; give " + want}
		}
		return nil, &LoadError{Path: path, Err: unwrapPath(err)}
	}
	if fi.IsDir() {
		return nil, &LoadError{Path: path, Err: errors.New("is a directory"), Hint: "give " + want + " inside it"}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &LoadError{Path: path, Err: unwrapPath(err), Hint: "check the file's permissions"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &LoadError{Path: path, Err: ErrEmpty, Hint: "give " + want}
	}
	return data, nil
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

package bundle

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// ErrEncryptedKey is wrapped by LoadError when a private key is protected by
// a passphrase: certgate never asks for one.
var ErrEncryptedKey = errors.New("the private key is passphrase-protected")

// ErrNoKey is wrapped by LoadError when a key file holds no private key.
var ErrNoKey = errors.New("no private key")

// LoadKey reads a private key file and returns its public key. The file is
// PEM (PKCS#1 "RSA PRIVATE KEY", SEC 1 "EC PRIVATE KEY" or PKCS#8 "PRIVATE
// KEY"; other blocks such as certificates or EC PARAMETERS are skipped) or
// DER in one of those encodings. A passphrase-protected key is an error
// wrapping ErrEncryptedKey.
func LoadKey(path string) (crypto.PublicKey, error) {
	data, err := readFile(path, "a PEM or DER private key file")
	if err != nil {
		return nil, err
	}
	return ParseKey(path, data)
}

const decryptHint = "certgate does not ask for passphrases: check an unencrypted copy (openssl pkey -in KEY -out plain.pem), and delete it afterwards"

// ParseKey returns the public key of the private key in data, read from the
// file name (used in errors only).
func ParseKey(name string, data []byte) (crypto.PublicKey, error) {
	if !strings.Contains(string(data), "-----BEGIN ") {
		pub, err := parseDERKey(data)
		if err != nil {
			return nil, &LoadError{Path: name, Err: fmt.Errorf("%w: not a PEM or DER private key: %w", ErrNoKey, err),
				Hint: "give the server's private key (PKCS#1, PKCS#8 or SEC 1)"}
		}
		return pub, nil
	}
	var types []string
	rest := data
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		types = append(types, b.Type)
		if b.Type == "ENCRYPTED PRIVATE KEY" || (strings.HasSuffix(b.Type, "PRIVATE KEY") && b.Headers["Proc-Type"] != "") {
			return nil, &LoadError{Path: name, Err: ErrEncryptedKey, Hint: decryptHint}
		}
		var (
			k   any
			err error
		)
		switch b.Type {
		case "RSA PRIVATE KEY":
			k, err = x509.ParsePKCS1PrivateKey(b.Bytes)
		case "EC PRIVATE KEY":
			k, err = x509.ParseECPrivateKey(b.Bytes)
		case "PRIVATE KEY":
			k, err = x509.ParsePKCS8PrivateKey(b.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, &LoadError{Path: name, Err: fmt.Errorf("%s block: %w", b.Type, err),
				Hint: "the key is damaged or of an unsupported type: export it again"}
		}
		pub, err := publicOf(k)
		if err != nil {
			return nil, &LoadError{Path: name, Err: err}
		}
		return pub, nil
	}
	msg := "no complete PEM block"
	if len(types) > 0 {
		msg = "only " + strings.Join(types, ", ")
	}
	return nil, &LoadError{Path: name, Err: fmt.Errorf("%w: %s", ErrNoKey, msg),
		Hint: "give the server's private key file (-----BEGIN PRIVATE KEY-----)"}
}

func parseDERKey(der []byte) (crypto.PublicKey, error) {
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		return publicOf(k)
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return publicOf(k)
	}
	k, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, errors.New("neither PKCS#8, PKCS#1 nor SEC 1")
	}
	return publicOf(k)
}

func publicOf(k any) (crypto.PublicKey, error) {
	switch k := k.(type) {
	case *rsa.PrivateKey:
		return &k.PublicKey, nil
	case *ecdsa.PrivateKey:
		return &k.PublicKey, nil
	case ed25519.PrivateKey:
		return k.Public(), nil
	case *ecdh.PrivateKey:
		return k.PublicKey(), nil
	}
	return nil, fmt.Errorf("unsupported private key type %T", k)
}

// KeyMatches reports whether pub is the public key of cert.
func KeyMatches(cert *x509.Certificate, pub crypto.PublicKey) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	if e, ok := pub.(equaler); ok {
		return e.Equal(cert.PublicKey)
	}
	return false
}

// KeyType names a public key the way certificates are summarised: "RSA
// 2048", "ECDSA P-256", "Ed25519".
func KeyType(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA %d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "Ed25519"
	case *ecdh.PublicKey:
		return "ECDH"
	}
	return fmt.Sprintf("%T", pub)
}

package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
)

// KeySpec names a kind of key to generate: RSA of Bits bits, ECDSA on the
// NIST curve of Bits bits (256, 384 or 521), or Ed25519. The zero KeySpec
// is ECDSA P-256.
type KeySpec struct {
	// Algorithm is x509.RSA, x509.ECDSA or x509.Ed25519; zero means ECDSA.
	Algorithm x509.PublicKeyAlgorithm
	// Bits is the RSA modulus size or the ECDSA curve size; zero means
	// 2048 for RSA and 256 for ECDSA.
	Bits int
}

// RSA is an RSA key of bits bits.
func RSA(bits int) KeySpec { return KeySpec{Algorithm: x509.RSA, Bits: bits} }

// ECDSA is an ECDSA key on the NIST curve of bits bits: 256, 384 or 521.
func ECDSA(bits int) KeySpec { return KeySpec{Algorithm: x509.ECDSA, Bits: bits} }

// Ed25519 is an Ed25519 key.
var Ed25519 = KeySpec{Algorithm: x509.Ed25519}

// String names the key kind as "RSA 2048", "ECDSA P-256" or "Ed25519".
func (s KeySpec) String() string {
	switch s.Algorithm {
	case x509.RSA:
		return fmt.Sprintf("RSA %d", s.bits())
	case x509.Ed25519:
		return "Ed25519"
	default:
		return fmt.Sprintf("ECDSA P-%d", s.bits())
	}
}

func (s KeySpec) bits() int {
	switch {
	case s.Bits != 0:
		return s.Bits
	case s.Algorithm == x509.RSA:
		return 2048
	default:
		return 256
	}
}

// GenerateKey makes a fresh private key of kind spec.
func GenerateKey(spec KeySpec) (crypto.Signer, error) {
	switch spec.Algorithm {
	case x509.RSA:
		k, err := rsa.GenerateKey(rand.Reader, spec.bits())
		if err != nil {
			return nil, fmt.Errorf("testpki: generate %s key: %w", spec, err)
		}
		return k, nil
	case x509.Ed25519:
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("testpki: generate %s key: %w", spec, err)
		}
		return k, nil
	case x509.ECDSA, x509.UnknownPublicKeyAlgorithm:
		var curve elliptic.Curve
		switch spec.bits() {
		case 256:
			curve = elliptic.P256()
		case 384:
			curve = elliptic.P384()
		case 521:
			curve = elliptic.P521()
		default:
			return nil, fmt.Errorf("testpki: no ECDSA curve of %d bits; use 256, 384 or 521", spec.bits())
		}
		k, err := ecdsa.GenerateKey(curve, rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("testpki: generate %s key: %w", spec, err)
		}
		return k, nil
	default:
		return nil, fmt.Errorf("testpki: cannot generate %v keys; use RSA, ECDSA or Ed25519", spec.Algorithm)
	}
}

// subjectKey returns the key that WithKey or UseKey asked for in the
// template's PublicKey field (a fresh ECDSA P-256 key when neither did),
// and clears the field, which crypto/x509 fills from the key it is given.
func subjectKey(tmpl *x509.Certificate) (crypto.Signer, error) {
	asked := tmpl.PublicKey
	tmpl.PublicKey = nil
	switch k := asked.(type) {
	case nil:
		return GenerateKey(KeySpec{})
	case KeySpec:
		return GenerateKey(k)
	case crypto.Signer:
		return k, nil
	default:
		return nil, fmt.Errorf("testpki: template PublicKey is a %T; set the key with WithKey or UseKey", asked)
	}
}

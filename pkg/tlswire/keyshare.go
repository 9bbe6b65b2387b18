package tlswire

import (
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"fmt"
)

// KeyShare is a freshly generated TLS 1.3 key share. The private half is
// kept only so that the share is a real one; this package never completes a
// handshake.
type KeyShare struct {
	// Group is the named group.
	Group uint16
	// Public is the key_exchange field as sent.
	Public []byte

	ecdhKey  *ecdh.PrivateKey
	mlkemKey *mlkem.DecapsulationKey768
}

// KeyShareSupported reports whether NewKeyShare can generate a share for
// group.
func KeyShareSupported(group uint16) bool {
	switch group {
	case GroupX25519, GroupSecp256r1, GroupSecp384r1, GroupSecp521r1,
		GroupX25519MLKEM768, GroupSecP256r1MLKEM768:
		return true
	}
	return false
}

func ecdhCurve(group uint16) ecdh.Curve {
	switch group {
	case GroupX25519, GroupX25519MLKEM768:
		return ecdh.X25519()
	case GroupSecp256r1, GroupSecP256r1MLKEM768:
		return ecdh.P256()
	case GroupSecp384r1:
		return ecdh.P384()
	case GroupSecp521r1:
		return ecdh.P521()
	}
	return nil
}

// NewKeyShare generates a fresh key share for group: x25519, secp256r1,
// secp384r1 and secp521r1 with crypto/ecdh, and the hybrids X25519MLKEM768
// (ML-KEM-768 encapsulation key, then the X25519 key) and SecP256r1MLKEM768
// (P-256 point, then the ML-KEM-768 key) with crypto/mlkem.
func NewKeyShare(group uint16) (*KeyShare, error) {
	curve := ecdhCurve(group)
	if curve == nil {
		return nil, fmt.Errorf("no key share generator for group %s: offer it in supported_groups only", GroupName(group))
	}
	ks := &KeyShare{Group: group}
	var err error
	if ks.ecdhKey, err = curve.GenerateKey(rand.Reader); err != nil {
		return nil, fmt.Errorf("key share for %s: %w", GroupName(group), err)
	}
	ecPub := ks.ecdhKey.PublicKey().Bytes()
	switch group {
	case GroupX25519MLKEM768, GroupSecP256r1MLKEM768:
		if ks.mlkemKey, err = mlkem.GenerateKey768(); err != nil {
			return nil, fmt.Errorf("key share for %s: %w", GroupName(group), err)
		}
		ek := ks.mlkemKey.EncapsulationKey().Bytes()
		if group == GroupX25519MLKEM768 {
			ks.Public = append(ek, ecPub...)
		} else {
			ks.Public = append(ecPub, ek...)
		}
	default:
		ks.Public = ecPub
	}
	return ks, nil
}

// Package tlswire writes TLS ClientHello messages and reads a server's first
// flight at the wire level, without completing a handshake.
//
// It speaks SSL 3.0 and TLS 1.0 to 1.3 with any cipher suite list, groups,
// signature schemes and extensions, can replay a recorded ClientHello with
// fresh random, session id, key shares and server name, and sends an SSL 2.0
// CLIENT-HELLO for detection only. From the server it reads the ServerHello
// or HelloRetryRequest, alerts and, for TLS 1.2 and older, the plaintext
// Certificate, CertificateStatus, ServerKeyExchange and ServerHelloDone
// messages. Every structure is encoded and decoded with
// golang.org/x/crypto/cryptobyte.
//
// Failures are typed: an *AlertError for an alert, an *UnofferedError for a
// server that selects what the client did not offer, and errors matching
// ErrNotTLS, ErrTooLarge, ErrTimeout, ErrClosed or ErrMalformed with
// errors.Is. In the terms of certgate's SPEC, every error after the TCP
// connection is made is a handshake error (11220).
package tlswire

import (
	"errors"
	"fmt"
)

// Protocol versions, as they appear on the wire.
const (
	VersionSSL20 uint16 = 0x0002
	VersionSSL30 uint16 = 0x0300
	VersionTLS10 uint16 = 0x0301
	VersionTLS11 uint16 = 0x0302
	VersionTLS12 uint16 = 0x0303
	VersionTLS13 uint16 = 0x0304
)

// Extension types used by this package (IANA TLS ExtensionType Values).
const (
	ExtServerName              uint16 = 0
	ExtStatusRequest           uint16 = 5
	ExtSupportedGroups         uint16 = 10
	ExtECPointFormats          uint16 = 11
	ExtSignatureAlgorithms     uint16 = 13
	ExtALPN                    uint16 = 16
	ExtSCT                     uint16 = 18
	ExtPadding                 uint16 = 21
	ExtEncryptThenMAC          uint16 = 22
	ExtExtendedMasterSecret    uint16 = 23
	ExtSessionTicket           uint16 = 35
	ExtPreSharedKey            uint16 = 41
	ExtEarlyData               uint16 = 42
	ExtSupportedVersions       uint16 = 43
	ExtCookie                  uint16 = 44
	ExtPSKKeyExchangeModes     uint16 = 45
	ExtSignatureAlgorithmsCert uint16 = 50
	ExtKeyShare                uint16 = 51
	ExtRenegotiationInfo       uint16 = 0xff01
)

// Named groups (IANA TLS Supported Groups) with key share support here.
const (
	GroupSecp256r1         uint16 = 23
	GroupSecp384r1         uint16 = 24
	GroupSecp521r1         uint16 = 25
	GroupX25519            uint16 = 29
	GroupSecP256r1MLKEM768 uint16 = 0x11eb
	GroupX25519MLKEM768    uint16 = 0x11ec
)

// Record content types.
const (
	recordChangeCipherSpec uint8 = 20
	recordAlert            uint8 = 21
	recordHandshake        uint8 = 22
	recordApplicationData  uint8 = 23
)

// Handshake message types.
const (
	typeClientHello        uint8 = 1
	typeServerHello        uint8 = 2
	typeNewSessionTicket   uint8 = 4
	typeCertificate        uint8 = 11
	typeServerKeyExchange  uint8 = 12
	typeCertificateRequest uint8 = 13
	typeServerHelloDone    uint8 = 14
	typeCertificateStatus  uint8 = 22
)

// maxRecordPayload is the largest record fragment a peer may send (2^14), plus
// the 2048 bytes of expansion TLS allows for protected records.
const maxRecordPayload = 1<<14 + 2048

// DefaultMaxBytes bounds what is read from one peer: 1 MiB, four times the
// largest Certificate message crypto/tls accepts.
const DefaultMaxBytes = 1 << 20

var (
	// ErrNotTLS: the peer's first bytes are not a TLS or SSL record.
	ErrNotTLS = errors.New("the server does not speak TLS")
	// ErrTooLarge: the peer sent more than the byte limit.
	ErrTooLarge = errors.New("the server sent more than the handshake byte limit")
	// ErrTimeout: the caller's deadline passed before the flight was read.
	ErrTimeout = errors.New("timed out waiting for the server's handshake")
	// ErrClosed: the peer closed or reset the connection mid-flight.
	ErrClosed = errors.New("the server closed the connection during the handshake")
	// ErrMalformed: the peer sent bytes that do not parse as the protocol.
	ErrMalformed = errors.New("malformed handshake from the server")
	// ErrUnoffered is matched by every *UnofferedError.
	ErrUnoffered = errors.New("the server selected a parameter the client did not offer")
)

// AlertError is an alert received from the server.
type AlertError struct {
	// Level is 1 (warning) or 2 (fatal).
	Level uint8
	// Description is the alert code, e.g. 40 for handshake_failure.
	Description uint8
}

// Error names the alert, e.g. "server sent fatal alert handshake_failure (40)".
func (e *AlertError) Error() string {
	lvl := "fatal"
	if e.Level == 1 {
		lvl = "warning"
	}
	return fmt.Sprintf("server sent %s alert %s (%d)", lvl, AlertName(e.Description), e.Description)
}

// UnofferedError is a ServerHello that selects a version, cipher suite,
// group, compression method or ALPN protocol the ClientHello did not offer.
type UnofferedError struct {
	// What names the parameter: "version", "cipher suite", "group",
	// "compression method" or "ALPN protocol".
	What string
	// Value is what the server selected (the protocol name for ALPN).
	Value string
}

// Error says what the server selected.
func (e *UnofferedError) Error() string {
	return fmt.Sprintf("the server selected %s %s, which the client did not offer", e.What, e.Value)
}

// Is makes errors.Is(err, ErrUnoffered) true.
func (e *UnofferedError) Is(target error) bool { return target == ErrUnoffered }

// malformed wraps ErrMalformed with what failed to parse.
func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

package tlswire

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"slices"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/crypto/cryptobyte"
)

// helloRetryRandom is the ServerHello.random of a HelloRetryRequest
// (RFC 8446, section 4.1.3): SHA-256 of "HelloRetryRequest".
var helloRetryRandom = sha256.Sum256([]byte("HelloRetryRequest"))

// ServerHello is a decoded ServerHello or HelloRetryRequest.
type ServerHello struct {
	// LegacyVersion is the version field of the message.
	LegacyVersion uint16
	// Version is the negotiated version: supported_versions when present,
	// else LegacyVersion.
	Version uint16
	// Random is the server random.
	Random []byte
	// SessionID is the echoed or new session id.
	SessionID []byte
	// CipherSuite is the selected suite.
	CipherSuite uint16
	// Compression is the selected compression method.
	Compression uint8
	// Extensions in wire order; nil when the message has no extension block.
	Extensions []Extension
	// HelloRetryRequest is true when the random is the HelloRetryRequest
	// value.
	HelloRetryRequest bool
	// KeyShareGroup is the group of the server's key share, or for a
	// HelloRetryRequest the group it asks for; 0 when absent.
	KeyShareGroup uint16
	// ALPN is the selected application protocol, "" when none.
	ALPN string
	// SecureRenegotiation is true when renegotiation_info is present.
	SecureRenegotiation bool
	// ExtendedMasterSecret is true when extended_master_secret is present.
	ExtendedMasterSecret bool
	// StatusRequest is true when status_request is present (TLS 1.2: a
	// CertificateStatus message follows).
	StatusRequest bool
}

// KeyExchange is the kind of a TLS 1.2-and-older ServerKeyExchange.
type KeyExchange uint8

// Key exchange kinds, from the cipher suite name.
const (
	KeyExchangeOther KeyExchange = iota // PSK, SRP, ... (parameters not decoded)
	KeyExchangeRSA                      // RSA key transport (no ServerKeyExchange, or RSA_EXPORT)
	KeyExchangeDHE                      // finite-field Diffie-Hellman
	KeyExchangeECDHE                    // elliptic-curve Diffie-Hellman
	KeyExchangeTLS13                    // TLS 1.3 suite: key exchange is in key_share
)

// String names the kind.
func (k KeyExchange) String() string {
	switch k {
	case KeyExchangeRSA:
		return "RSA"
	case KeyExchangeDHE:
		return "DHE"
	case KeyExchangeECDHE:
		return "ECDHE"
	case KeyExchangeTLS13:
		return "TLS 1.3"
	}
	return "other"
}

// ServerKeyExchange is a decoded ServerKeyExchange message.
type ServerKeyExchange struct {
	// Kind is the key exchange of the negotiated suite.
	Kind KeyExchange
	// Group is the named curve for ECDHE.
	Group uint16
	// DHBits is the size in bits of the DHE prime.
	DHBits int
	// Raw is the message body.
	Raw []byte
}

// SignatureScheme returns the signature scheme of a TLS 1.2
// ServerKeyExchange for ECDHE or DHE, read after the key exchange
// parameters; false for another key exchange or a body it cannot read.
func (kx *ServerKeyExchange) SignatureScheme() (uint16, bool) {
	s := cryptobyte.String(kx.Raw)
	switch kx.Kind {
	case KeyExchangeECDHE:
		var typ uint8
		var group uint16
		var point cryptobyte.String
		if !s.ReadUint8(&typ) || !s.ReadUint16(&group) || !s.ReadUint8LengthPrefixed(&point) {
			return 0, false
		}
	case KeyExchangeDHE:
		var p, g, y cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&p) || !s.ReadUint16LengthPrefixed(&g) || !s.ReadUint16LengthPrefixed(&y) {
			return 0, false
		}
	default:
		return 0, false
	}
	var scheme uint16
	var sig cryptobyte.String
	if !s.ReadUint16(&scheme) || !s.ReadUint16LengthPrefixed(&sig) || !s.Empty() {
		return 0, false
	}
	return scheme, true
}

// SSL2ServerHello is an SSL 2.0 SERVER-HELLO.
type SSL2ServerHello struct {
	// Version is the server's version, 0x0002.
	Version uint16
	// Certificate is the DER certificate, if any.
	Certificate []byte
	// CipherSpecs lists the 3-byte SSL 2.0 cipher kinds.
	CipherSpecs []uint32
}

// Flight is what the server sent in reply to the ClientHello, up to the end
// of its first flight: the ServerHello (TLS 1.3 or a HelloRetryRequest: the
// rest is encrypted or absent), else to ServerHelloDone.
type Flight struct {
	// ServerHello is nil when the server answered with an alert or SSL 2.0.
	ServerHello *ServerHello
	// Certificates are the DER certificates of the TLS 1.2-and-older
	// Certificate message, as sent; x509 parsing is the caller's.
	Certificates [][]byte
	// OCSPResponse is the stapled OCSP response of CertificateStatus.
	OCSPResponse []byte
	// KeyExchange is the decoded ServerKeyExchange, nil when none.
	KeyExchange *ServerKeyExchange
	// CertificateRequested is true when a CertificateRequest was sent.
	CertificateRequested bool
	// Done is true when ServerHelloDone (or, for TLS 1.3 and
	// HelloRetryRequest, the ServerHello) ended the flight.
	Done bool
	// Warnings are warning-level alerts received before the flight ended.
	Warnings []AlertError
	// SSL2 is set when the server answered with an SSL 2.0 SERVER-HELLO.
	SSL2 *SSL2ServerHello
	// BytesRead is what was read from the server.
	BytesRead int64
}

// Exchange writes hello on conn and reads the server's first flight. The
// context's deadline, if any, becomes the connection's deadline; maxBytes
// bounds what is read (DefaultMaxBytes when 0 or less). The flight is
// returned with the error when an alert or a protocol error arrives after a
// part of it.
func Exchange(ctx context.Context, conn net.Conn, hello *ClientHello, maxBytes int64) (*Flight, error) {
	out, err := hello.Marshal()
	if err != nil {
		return nil, err
	}
	return exchangeBytes(ctx, conn, out, hello, maxBytes)
}

// exchangeBytes writes out and reads the reply within ctx. A cancelled context
// gives context.Canceled; a passed deadline gives ErrTimeout.
func exchangeBytes(ctx context.Context, conn net.Conn, out []byte, hello *ClientHello, maxBytes int64) (*Flight, error) {
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	f, err := &Flight{}, error(nil)
	if _, err = conn.Write(out); err != nil {
		err = ioError(err)
	} else {
		f, err = ReadFlight(conn, hello, maxBytes)
	}
	if err != nil && errors.Is(ctx.Err(), context.Canceled) {
		err = fmt.Errorf("%w (%w)", context.Canceled, err)
	}
	return f, err
}

// aLongTimeAgo is a deadline in the past, which interrupts a blocked read.
var aLongTimeAgo = time.Unix(1, 0)

// ReadFlight reads the server's first flight from r in reply to hello (the
// hello decides which versions, suites, groups and protocols the server may
// select). It stops after maxBytes (DefaultMaxBytes when 0 or less).
func ReadFlight(r io.Reader, hello *ClientHello, maxBytes int64) (*Flight, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	rd := &recordReader{r: r, limit: maxBytes}
	f := &Flight{}
	err := readFlight(rd, hello, f)
	f.BytesRead = rd.read
	return f, err
}

type recordReader struct {
	r           io.Reader
	limit, read int64
}

func (rd *recordReader) readFull(n int) ([]byte, error) {
	if rd.read+int64(n) > rd.limit {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, rd.limit)
	}
	buf := make([]byte, n)
	m, err := io.ReadFull(rd.r, buf)
	rd.read += int64(m)
	if err != nil {
		return nil, ioError(err)
	}
	return buf, nil
}

// ioError classifies a read or write error.
func ioError(err error) error {
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return fmt.Errorf("%w: %w", ErrClosed, err)
	}
	return err
}

func readFlight(rd *recordReader, hello *ClientHello, f *Flight) error {
	var hs []byte // handshake bytes not yet consumed
	first := true
	for {
		hdr, err := rd.readFull(5)
		if err != nil {
			return err
		}
		s := cryptobyte.String(hdr)
		var typ, verHi, verLo uint8
		var n uint16
		s.ReadUint8(&typ)
		s.ReadUint8(&verHi)
		s.ReadUint8(&verLo)
		s.ReadUint16(&n)
		if first && typ&0x80 != 0 && verLo == ssl2ServerHello {
			// An SSL 2.0 record: 2-byte length with the top bit set, then
			// the message type.
			return readSSL2(rd, hdr, f)
		}
		ver := uint16(verHi)<<8 | uint16(verLo)
		if typ < recordChangeCipherSpec || typ > recordApplicationData || ver>>8 != 3 {
			if first {
				return fmt.Errorf("%w: first bytes %q", ErrNotTLS, printable(hdr))
			}
			return malformed("record type %d version %#04x", typ, ver)
		}
		first = false
		if int(n) > maxRecordPayload {
			return malformed("record of %d bytes, more than the protocol allows", n)
		}
		payload, err := rd.readFull(int(n))
		if err != nil {
			return err
		}
		switch typ {
		case recordAlert:
			a := cryptobyte.String(payload)
			var al AlertError
			if !a.ReadUint8(&al.Level) || !a.ReadUint8(&al.Description) || !a.Empty() {
				return malformed("alert record of %d bytes", n)
			}
			if al.Level == 1 && al.Description != 0 {
				f.Warnings = append(f.Warnings, al)
				continue
			}
			return &al
		case recordHandshake:
			hs = append(hs, payload...)
			var done bool
			if hs, done, err = consumeHandshake(hs, hello, f); err != nil || done {
				return err
			}
		case recordChangeCipherSpec:
			if f.ServerHello == nil {
				return malformed("ChangeCipherSpec before ServerHello")
			}
			// A resumed TLS 1.2 session: the flight ends here.
			f.Done = true
			return nil
		default:
			return malformed("application data before the handshake ended")
		}
	}
}

// consumeHandshake parses every complete message at the start of hs.
func consumeHandshake(hs []byte, hello *ClientHello, f *Flight) (rest []byte, done bool, err error) {
	for {
		s := cryptobyte.String(hs)
		var typ uint8
		var n uint32
		if !s.ReadUint8(&typ) || !s.ReadUint24(&n) || len(s) < int(n) {
			return hs, false, nil
		}
		var body []byte
		s.ReadBytes(&body, int(n))
		hs = s
		if done, err = handleMessage(typ, body, hello, f); err != nil || done {
			return hs, done, err
		}
	}
}

func handleMessage(typ uint8, body []byte, hello *ClientHello, f *Flight) (bool, error) {
	if f.ServerHello == nil {
		if typ != typeServerHello {
			return false, malformed("handshake message type %d before ServerHello", typ)
		}
		sh, err := ParseServerHello(body)
		if err != nil {
			return false, err
		}
		f.ServerHello = sh
		if err := checkOffered(sh, hello); err != nil {
			return false, err
		}
		if sh.HelloRetryRequest || sh.Version >= VersionTLS13 {
			f.Done = true
			return true, nil
		}
		return false, nil
	}
	var err error
	switch typ {
	case typeCertificate:
		f.Certificates, err = ParseCertificate(body)
	case typeCertificateStatus:
		f.OCSPResponse, err = ParseCertificateStatus(body)
	case typeServerKeyExchange:
		f.KeyExchange, err = ParseServerKeyExchange(body, f.ServerHello.CipherSuite)
	case typeCertificateRequest:
		f.CertificateRequested = true
	case typeServerHelloDone:
		if len(body) != 0 {
			return false, malformed("ServerHelloDone with a body")
		}
		f.Done = true
		return true, nil
	case typeNewSessionTicket:
	default:
		return false, malformed("unexpected handshake message type %d", typ)
	}
	return false, err
}

// ParseServerHello decodes the body of a ServerHello (without the 4-byte
// handshake header), HelloRetryRequest included.
func ParseServerHello(body []byte) (*ServerHello, error) {
	s := cryptobyte.String(body)
	sh := &ServerHello{}
	var sid cryptobyte.String
	if !s.ReadUint16(&sh.LegacyVersion) || !s.ReadBytes(&sh.Random, 32) ||
		!s.ReadUint8LengthPrefixed(&sid) || !s.ReadUint16(&sh.CipherSuite) ||
		!s.ReadUint8(&sh.Compression) {
		return nil, malformed("ServerHello truncated")
	}
	sh.Random = slices.Clone(sh.Random)
	sh.SessionID = append([]byte{}, sid...)
	sh.Version = sh.LegacyVersion
	sh.HelloRetryRequest = bytes.Equal(sh.Random, helloRetryRandom[:])
	if s.Empty() {
		return sh, nil
	}
	exts, err := parseExtensions(&s)
	if err != nil {
		return nil, fmt.Errorf("ServerHello: %w", err)
	}
	if !s.Empty() {
		return nil, malformed("ServerHello: bytes after the extensions")
	}
	sh.Extensions = exts
	for _, e := range exts {
		d := cryptobyte.String(e.Data)
		ok := true
		switch e.Type {
		case ExtSupportedVersions:
			ok = d.ReadUint16(&sh.Version) && d.Empty()
		case ExtKeyShare:
			ok = d.ReadUint16(&sh.KeyShareGroup)
			if ok && !sh.HelloRetryRequest {
				var pub cryptobyte.String
				ok = d.ReadUint16LengthPrefixed(&pub) && len(pub) > 0
			}
			ok = ok && d.Empty()
		case ExtALPN:
			var list, p cryptobyte.String
			ok = d.ReadUint16LengthPrefixed(&list) && list.ReadUint8LengthPrefixed(&p) &&
				list.Empty() && d.Empty() && len(p) > 0
			sh.ALPN = string(p)
		case ExtRenegotiationInfo:
			var info cryptobyte.String
			ok = d.ReadUint8LengthPrefixed(&info) && d.Empty()
			sh.SecureRenegotiation = ok
		case ExtExtendedMasterSecret:
			sh.ExtendedMasterSecret = true
		case ExtStatusRequest:
			sh.StatusRequest = true
		}
		if !ok {
			return nil, malformed("ServerHello: extension %s", ExtensionName(e.Type))
		}
	}
	return sh, nil
}

// checkOffered rejects a ServerHello that selects what hello did not offer.
func checkOffered(sh *ServerHello, hello *ClientHello) error {
	if hello == nil {
		return nil
	}
	if !slices.Contains(hello.SupportedVersions(), sh.Version) {
		return &UnofferedError{What: "version", Value: VersionName(sh.Version)}
	}
	if !slices.Contains(hello.CipherSuites, sh.CipherSuite) {
		return &UnofferedError{What: "cipher suite", Value: SuiteName(sh.CipherSuite)}
	}
	if is13 := sh.CipherSuite>>8 == 0x13; is13 != (sh.Version >= VersionTLS13) {
		return malformed("cipher suite %s with version %s", SuiteName(sh.CipherSuite), VersionName(sh.Version))
	}
	comp := hello.CompressionMethods
	if comp == nil {
		comp = []uint8{0}
	}
	if !slices.Contains(comp, sh.Compression) {
		return &UnofferedError{What: "compression method", Value: strconv.Itoa(int(sh.Compression))}
	}
	if sh.KeyShareGroup != 0 {
		ok := slices.Contains(hello.KeyShareGroups(), sh.KeyShareGroup)
		if sh.HelloRetryRequest {
			// A retry must ask for a supported group the client sent no share for.
			ok = slices.Contains(hello.Groups(), sh.KeyShareGroup) && !ok
		}
		if !ok {
			return &UnofferedError{What: "group", Value: GroupName(sh.KeyShareGroup)}
		}
	}
	if sh.ALPN != "" && !slices.Contains(hello.ALPN(), sh.ALPN) {
		return &UnofferedError{What: "ALPN protocol", Value: strconv.Quote(sh.ALPN)}
	}
	return nil
}

// ParseCertificate decodes the body of a TLS 1.2-and-older Certificate
// message into DER blocks.
func ParseCertificate(body []byte) ([][]byte, error) {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, malformed("Certificate message")
	}
	certs := [][]byte{}
	for !list.Empty() {
		var der cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&der) || der.Empty() {
			return nil, malformed("Certificate message entry")
		}
		certs = append(certs, append([]byte{}, der...))
	}
	return certs, nil
}

// ParseCertificateStatus decodes the body of a CertificateStatus message
// and returns the OCSP response.
func ParseCertificateStatus(body []byte) ([]byte, error) {
	s := cryptobyte.String(body)
	var typ uint8
	var resp cryptobyte.String
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint24LengthPrefixed(&resp) || !s.Empty() || resp.Empty() {
		return nil, malformed("CertificateStatus message")
	}
	return append([]byte{}, resp...), nil
}

// ParseServerKeyExchange decodes the body of a ServerKeyExchange sent for
// suite: the named curve for ECDHE, the prime size for DHE. Other kinds are
// returned with Raw only.
func ParseServerKeyExchange(body []byte, suite uint16) (*ServerKeyExchange, error) {
	ske := &ServerKeyExchange{Kind: SuiteKeyExchange(suite), Raw: append([]byte{}, body...)}
	s := cryptobyte.String(body)
	switch ske.Kind {
	case KeyExchangeECDHE:
		var curveType uint8
		var point cryptobyte.String
		if !s.ReadUint8(&curveType) || curveType != 3 || !s.ReadUint16(&ske.Group) ||
			!s.ReadUint8LengthPrefixed(&point) || point.Empty() {
			return nil, malformed("ECDHE ServerKeyExchange (only named curves are valid)")
		}
	case KeyExchangeDHE:
		var p, g, y cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&p) || !s.ReadUint16LengthPrefixed(&g) ||
			!s.ReadUint16LengthPrefixed(&y) || p.Empty() || g.Empty() || y.Empty() {
			return nil, malformed("DHE ServerKeyExchange")
		}
		ske.DHBits = new(big.Int).SetBytes(p).BitLen()
	}
	return ske, nil
}

func printable(b []byte) string {
	out := make([]rune, 0, len(b))
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '.'
		}
		out = append(out, rune(c))
	}
	return string(out)
}

package tlswire

import (
	"context"
	"fmt"
	"net"

	"golang.org/x/crypto/cryptobyte"
)

// SSL 2.0 message types.
const (
	ssl2ClientHello uint8 = 1
	ssl2ServerHello uint8 = 4
)

// SSL2CipherSpecs are the seven SSL 2.0 cipher kinds, offered by
// SSL2ClientHello when it is given none.
var SSL2CipherSpecs = []uint32{0x010080, 0x020080, 0x030080, 0x040080, 0x050080, 0x060040, 0x0700c0}

// SSL2ClientHello encodes an SSL 2.0 CLIENT-HELLO offering specs (3-byte
// cipher kinds; SSL2CipherSpecs when nil) with a fresh 16-byte challenge. It
// serves to detect SSL 2.0 servers only.
func SSL2ClientHello(specs []uint32) ([]byte, error) {
	if specs == nil {
		specs = SSL2CipherSpecs
	}
	var msg cryptobyte.Builder
	msg.AddUint8(ssl2ClientHello)
	msg.AddUint16(VersionSSL20)
	msg.AddUint16(uint16(3 * len(specs)))
	msg.AddUint16(0)  // session id length
	msg.AddUint16(16) // challenge length
	for _, cs := range specs {
		msg.AddUint24(cs)
	}
	msg.AddBytes(fresh(16))
	body, err := msg.Bytes()
	if err != nil {
		return nil, err
	}
	if len(body) > 0x7fff {
		return nil, fmt.Errorf("SSL 2.0 client hello: %d cipher specs are too many", len(specs))
	}
	var b cryptobyte.Builder
	b.AddUint16(0x8000 | uint16(len(body)))
	b.AddBytes(body)
	return b.Bytes()
}

// ExchangeSSL2 writes an SSL 2.0 CLIENT-HELLO (see SSL2ClientHello) and
// reads the reply as Exchange does; Flight.SSL2 is set when the server
// speaks SSL 2.0.
func ExchangeSSL2(ctx context.Context, conn net.Conn, specs []uint32, maxBytes int64) (*Flight, error) {
	out, err := SSL2ClientHello(specs)
	if err != nil {
		return nil, err
	}
	return exchangeBytes(ctx, conn, out, nil, maxBytes)
}

// readSSL2 reads the rest of an SSL 2.0 SERVER-HELLO whose first 5 bytes
// are hdr.
func readSSL2(rd *recordReader, hdr []byte, f *Flight) error {
	s := cryptobyte.String(hdr)
	var n uint16
	s.ReadUint16(&n) // the rest of hdr is the message's first 3 bytes
	n &= 0x7fff
	if n < 3 {
		return malformed("SSL 2.0 record of %d bytes", n)
	}
	rest, err := rd.readFull(int(n) - 3)
	if err != nil {
		return err
	}
	sh, err := ParseSSL2ServerHello(append(append([]byte{}, s...), rest...))
	if err != nil {
		return err
	}
	f.SSL2 = sh
	f.Done = true
	return nil
}

// ParseSSL2ServerHello decodes an SSL 2.0 SERVER-HELLO message (from its
// message type byte on, without the 2-byte record header).
func ParseSSL2ServerHello(msg []byte) (*SSL2ServerHello, error) {
	s := cryptobyte.String(msg)
	var typ, hit, certType uint8
	var certLen, specsLen, connIDLen uint16
	sh := &SSL2ServerHello{}
	if !s.ReadUint8(&typ) || typ != ssl2ServerHello || !s.ReadUint8(&hit) || !s.ReadUint8(&certType) ||
		!s.ReadUint16(&sh.Version) || !s.ReadUint16(&certLen) || !s.ReadUint16(&specsLen) ||
		!s.ReadUint16(&connIDLen) {
		return nil, malformed("SSL 2.0 SERVER-HELLO truncated")
	}
	var cert, specs, connID cryptobyte.String
	if !s.ReadBytes((*[]byte)(&cert), int(certLen)) || !s.ReadBytes((*[]byte)(&specs), int(specsLen)) ||
		!s.ReadBytes((*[]byte)(&connID), int(connIDLen)) || !s.Empty() || specsLen%3 != 0 {
		return nil, malformed("SSL 2.0 SERVER-HELLO lengths")
	}
	if certLen > 0 {
		sh.Certificate = append([]byte{}, cert...)
	}
	for !specs.Empty() {
		var cs uint32
		specs.ReadUint24(&cs)
		sh.CipherSpecs = append(sh.CipherSpecs, cs)
	}
	return sh, nil
}

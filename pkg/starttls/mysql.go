package starttls

import (
	"encoding/binary"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
)

// MySQL capability flags (MySQL source, "Capabilities Flags").
const (
	mysqlClientProtocol41       = 0x00000200
	mysqlClientSSL              = 0x00000800
	mysqlClientSecureConnection = 0x00008000
)

// mysqlCharsetUTF8MB4 is utf8mb4_general_ci, the character set the
// SSLRequest names.
const mysqlCharsetUTF8MB4 = 45

// mysql is MySQL's and MariaDB's upgrade: read the server's greeting
// (Protocol::HandshakeV10), check its CLIENT_SSL capability, and send the
// SSLRequest packet, after which the client starts TLS at once.
func mysql(d *dialogue) error {
	payload, err := readMySQLPacket(d)
	if err != nil {
		return err
	}
	g, err := parseMySQLGreeting(payload)
	if err != nil {
		if g.ErrorMessage != "" {
			return d.refusedSession([]byte(g.ErrorMessage))
		}
		return d.protocol(payload, err.Error())
	}
	if g.Capabilities&mysqlClientSSL == 0 {
		return d.notOffered([]byte("server " + g.ServerVersion + " without the CLIENT_SSL capability"))
	}
	req := make([]byte, 0, 36)
	req = append(req, 32, 0, 0, 1) // payload length 32, sequence id 1
	req = binary.LittleEndian.AppendUint32(req, mysqlClientProtocol41|mysqlClientSSL|mysqlClientSecureConnection)
	req = binary.LittleEndian.AppendUint32(req, 1<<24) // max packet size
	req = append(req, mysqlCharsetUTF8MB4)
	req = append(req, make([]byte, 23)...)
	return d.send("SSLRequest", req)
}

// mysqlGreeting is what the upgrade reads of the server's greeting.
type mysqlGreeting struct {
	Protocol      uint8
	ServerVersion string
	Capabilities  uint32
	// ErrorMessage is set when the server answered with an error packet
	// (too many connections, host not allowed) instead of a greeting.
	ErrorMessage string
}

// parseMySQLGreeting parses a Protocol::HandshakeV10 payload, or an error
// packet (0xff) that a server sends instead.
func parseMySQLGreeting(p []byte) (mysqlGreeting, error) {
	var g mysqlGreeting
	s := cryptobyte.String(p)
	if !s.ReadUint8(&g.Protocol) {
		return g, fmt.Errorf("an empty greeting")
	}
	if g.Protocol == 0xff {
		var code []byte
		if !s.ReadBytes(&code, 2) {
			return g, fmt.Errorf("a truncated error packet")
		}
		g.ErrorMessage = fmt.Sprintf("error %d: %s", binary.LittleEndian.Uint16(code), string(s))
		return g, fmt.Errorf("an error packet")
	}
	if g.Protocol != 10 {
		return g, fmt.Errorf("protocol version %d, not 10", g.Protocol)
	}
	var version []byte
	for {
		var c uint8
		if !s.ReadUint8(&c) {
			return g, fmt.Errorf("a server version without its NUL")
		}
		if c == 0 {
			break
		}
		version = append(version, c)
	}
	g.ServerVersion = string(version)
	var connID, authData, lower []byte
	if !s.ReadBytes(&connID, 4) || !s.ReadBytes(&authData, 8) || !s.Skip(1) || !s.ReadBytes(&lower, 2) {
		return g, fmt.Errorf("a truncated greeting")
	}
	g.Capabilities = uint32(binary.LittleEndian.Uint16(lower))
	var upper []byte
	if s.Skip(3) && s.ReadBytes(&upper, 2) {
		g.Capabilities |= uint32(binary.LittleEndian.Uint16(upper)) << 16
	}
	return g, nil
}

// readMySQLPacket reads one packet (3-byte little-endian length, sequence
// id, payload) and returns its payload.
func readMySQLPacket(d *dialogue) ([]byte, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(d.r, hdr[:]); err != nil {
		return nil, d.ioError(hdr[:n], err)
	}
	if hdr[3] != 0 {
		return nil, d.protocol(hdr[:], "expected the greeting packet (sequence number 0)")
	}
	n := int64(hdr[0]) | int64(hdr[1])<<8 | int64(hdr[2])<<16
	if n > d.lim.left+int64(d.r.Buffered()) {
		return nil, d.ioError(hdr[:], ErrTooLarge)
	}
	if n == 0 {
		return nil, d.protocol(hdr[:], "an empty packet where the greeting was due")
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(d.r, p); err != nil {
		return nil, d.ioError(hdr[:], err)
	}
	return p, nil
}

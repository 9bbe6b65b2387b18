package starttls

import (
	"encoding/binary"
	"io"
	"strings"
)

// postgresSSLRequestCode is the SSLRequest's request code (PostgreSQL
// protocol 53, "Message Formats"): 1234 << 16 | 5679.
const postgresSSLRequestCode = 80877103

// postgres is PostgreSQL's upgrade: the SSLRequest message, answered by
// one byte, 'S' to start TLS or 'N' when the server has no TLS. An old
// server answers with an ErrorResponse ('E').
func postgres(d *dialogue) error {
	msg := binary.BigEndian.AppendUint32(nil, 8)
	msg = binary.BigEndian.AppendUint32(msg, postgresSSLRequestCode)
	if err := d.send("SSLRequest", msg); err != nil {
		return err
	}
	b, err := d.r.ReadByte()
	if err != nil {
		return d.ioError(nil, err)
	}
	switch b {
	case 'S':
		return nil
	case 'N':
		return d.notOffered([]byte("N"))
	case 'E':
		return d.refusedSession(postgresError(d))
	}
	return d.protocol([]byte{b}, "expected 'S' or 'N'")
}

// postgresError reads what it can of an ErrorResponse after its type byte
// and returns its message field ('M'), for the error's text.
func postgresError(d *dialogue) []byte {
	var n [4]byte
	if _, err := io.ReadFull(d.r, n[:]); err != nil {
		return []byte("E")
	}
	size := int64(binary.BigEndian.Uint32(n[:])) - 4
	if size <= 0 || size > 4096 {
		return []byte("E")
	}
	body := make([]byte, size)
	if _, err := io.ReadFull(d.r, body); err != nil {
		return []byte("E")
	}
	for _, f := range strings.Split(string(body), "\x00") {
		if strings.HasPrefix(f, "M") {
			return []byte(f[1:])
		}
	}
	return []byte("E")
}

package starttls

import (
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ldapStartTLSOID is the StartTLS extended operation (RFC 4511 4.14.1).
const ldapStartTLSOID = "1.3.6.1.4.1.1466.20037"

// ldapNoticeOfDisconnection is the unsolicited notification a server sends
// before it closes the session (RFC 4511 4.4.1).
const ldapNoticeOfDisconnection = "1.3.6.1.4.1.1466.20036"

// BER tags of the LDAP messages (RFC 4511 4.12, 4.14).
const (
	tagExtendedRequest  = 0x40 | 0x20 | 23 // [APPLICATION 23] SEQUENCE
	tagExtendedResponse = 0x40 | 0x20 | 24 // [APPLICATION 24] SEQUENCE
	tagRequestName      = 0x80 | 0         // [0] LDAPOID
	tagResponseName     = 0x80 | 10        // [10] LDAPOID
)

// LDAP result codes the upgrade tells apart (RFC 4511 appendix A).
const (
	ldapSuccess       = 0
	ldapProtocolError = 2
)

// ldap is LDAP's upgrade (RFC 4511 4.14, RFC 4513 3): the StartTLS
// extended request, answered by an extended response with resultCode
// success. protocolError means the server does not know the operation.
func ldap(d *dialogue) error {
	if err := d.send("the StartTLS extended request", ldapStartTLSRequest(1)); err != nil {
		return err
	}
	msg, err := readBERMessage(d)
	if err != nil {
		return err
	}
	resp, err := parseLDAPResponse(msg)
	if err != nil {
		return d.protocol(msg, err.Error())
	}
	reply := []byte(fmt.Sprintf("resultCode %d %q", resp.ResultCode, resp.Diagnostic))
	switch {
	case resp.MessageID == 0 && resp.Name == ldapNoticeOfDisconnection:
		return d.refusedSession(reply)
	case resp.MessageID != 1:
		return d.protocol(reply, fmt.Sprintf("a response to message %d, not to the request (1)", resp.MessageID))
	case resp.ResultCode == ldapSuccess:
		return nil
	case resp.ResultCode == ldapProtocolError:
		return d.notOffered(reply)
	}
	return d.refused(reply)
}

// ldapStartTLSRequest encodes the LDAPMessage of the StartTLS extended
// request with message id.
func ldapStartTLSRequest(id int64) []byte {
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(id)
		b.AddASN1(cbasn1.Tag(tagExtendedRequest), func(b *cryptobyte.Builder) {
			b.AddASN1(cbasn1.Tag(tagRequestName), func(b *cryptobyte.Builder) {
				b.AddBytes([]byte(ldapStartTLSOID))
			})
		})
	})
	return b.BytesOrPanic()
}

// ldapResponse is what the upgrade reads of an ExtendedResponse.
type ldapResponse struct {
	MessageID  int64
	ResultCode int
	Diagnostic string
	Name       string
}

// parseLDAPResponse parses one LDAPMessage holding an ExtendedResponse.
// LDAP uses BER: lengths need not be minimal (Active Directory writes
// 0x84 and four bytes), so the elements are read with readBER rather than
// cryptobyte's DER reader.
func parseLDAPResponse(msg []byte) (ldapResponse, error) {
	var r ldapResponse
	s := cryptobyte.String(msg)
	var tag uint8
	var body, op, id, field cryptobyte.String
	if !readBER(&s, &tag, &body) || tag != 0x30 || !s.Empty() {
		return r, fmt.Errorf("not an LDAP message (a BER SEQUENCE)")
	}
	if !readBER(&body, &tag, &id) || tag != 0x02 || !berInt(id, &r.MessageID) {
		return r, fmt.Errorf("no message id")
	}
	if !readBER(&body, &tag, &op) {
		return r, fmt.Errorf("no protocol operation")
	}
	if tag != tagExtendedResponse {
		return r, fmt.Errorf("operation tag 0x%02x, not an ExtendedResponse", tag)
	}
	var code int64
	if !readBER(&op, &tag, &field) || tag != 0x0a || !berInt(field, &code) {
		return r, fmt.Errorf("no resultCode")
	}
	r.ResultCode = int(code)
	if !readBER(&op, &tag, &field) || tag != 0x04 {
		return r, fmt.Errorf("no matchedDN")
	}
	if !readBER(&op, &tag, &field) || tag != 0x04 {
		return r, fmt.Errorf("no diagnosticMessage")
	}
	r.Diagnostic = string(field)
	for !op.Empty() {
		if !readBER(&op, &tag, &field) {
			return r, fmt.Errorf("a malformed optional field")
		}
		if tag == tagResponseName {
			r.Name = string(field)
		}
	}
	return r, nil
}

// berInt reads the content of a BER INTEGER or ENUMERATED of at most 8
// bytes.
func berInt(c cryptobyte.String, out *int64) bool {
	if len(c) == 0 || len(c) > 8 {
		return false
	}
	var v int64
	var b uint8
	first := true
	for c.ReadUint8(&b) {
		if first && b&0x80 != 0 {
			v = -1
		}
		first = false
		v = v<<8 | int64(b)
	}
	*out = v
	return true
}

// readBER reads one BER element with a one-byte tag and a definite
// length, short or long form (up to four length bytes, minimal or not).
func readBER(s *cryptobyte.String, tag *uint8, content *cryptobyte.String) bool {
	var l uint8
	if !s.ReadUint8(tag) || *tag&0x1f == 0x1f || !s.ReadUint8(&l) {
		return false
	}
	n := uint32(l)
	if l&0x80 != 0 {
		lenLen := int(l & 0x7f)
		if lenLen == 0 || lenLen > 4 { // indefinite length, or longer than any message
			return false
		}
		var lb []byte
		if !s.ReadBytes(&lb, lenLen) {
			return false
		}
		n = 0
		for _, b := range lb {
			n = n<<8 | uint32(b)
		}
	}
	if uint64(n) > uint64(len(*s)) {
		return false
	}
	var b []byte
	if !s.ReadBytes(&b, int(n)) {
		return false
	}
	*content = b
	return true
}

// readBERMessage reads one BER element from the server: its header, then
// as many bytes as the header says, within the dialogue's byte limit.
func readBERMessage(d *dialogue) ([]byte, error) {
	var hdr [2]byte
	if n, err := io.ReadFull(d.r, hdr[:]); err != nil {
		return nil, d.ioError(hdr[:n], err)
	}
	msg := append([]byte(nil), hdr[:]...)
	if hdr[0] != 0x30 {
		return nil, d.protocol(msg, "expected an LDAP message (a BER SEQUENCE)")
	}
	n := int64(hdr[1])
	if hdr[1]&0x80 != 0 {
		lenLen := int(hdr[1] & 0x7f)
		if lenLen == 0 || lenLen > 4 {
			return nil, d.protocol(msg, "a BER length LDAP does not allow")
		}
		lb := make([]byte, lenLen)
		if _, err := io.ReadFull(d.r, lb); err != nil {
			return nil, d.ioError(msg, err)
		}
		msg = append(msg, lb...)
		n = 0
		for _, b := range lb {
			n = n<<8 | int64(b)
		}
	}
	if n > d.lim.left+int64(d.r.Buffered()) {
		return nil, d.ioError(msg, ErrTooLarge)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(d.r, body); err != nil {
		return nil, d.ioError(msg, err)
	}
	return append(msg, body...), nil
}

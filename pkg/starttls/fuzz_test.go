package starttls

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// scriptConn is a connection whose peer's bytes are fixed in advance and
// whose writes go nowhere: it feeds a dialogue with fuzzed replies.
type scriptConn struct {
	net.Conn // nil: only the methods below are used
	r        *bytes.Reader
}

func (c *scriptConn) Read(p []byte) (int, error)       { return c.r.Read(p) }
func (c *scriptConn) Write(p []byte) (int, error)      { return len(p), nil }
func (c *scriptConn) SetDeadline(time.Time) error      { return nil }
func (c *scriptConn) SetReadDeadline(time.Time) error  { return nil }
func (c *scriptConn) SetWriteDeadline(time.Time) error { return nil }
func (c *scriptConn) Close() error                     { return nil }

// fuzzDialogue runs proto's dialogue on the server bytes data: it must
// return nil or an *Error, and never read past the byte limit.
func fuzzDialogue(t *testing.T, proto string, data []byte) {
	const limit = 4096
	c := &scriptConn{r: bytes.NewReader(data)}
	err := Upgrade(context.Background(), c, proto, Options{Host: "fake.test", MaxBytes: limit})
	var se *Error
	if err != nil && !errors.As(err, &se) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if read := len(data) - c.r.Len(); read > limit {
		t.Fatalf("read %d bytes, past the limit of %d", read, limit)
	}
	if err != nil && len(err.Error()) > 1000 {
		t.Fatalf("message of %d bytes", len(err.Error()))
	}
}

func FuzzSMTPReply(f *testing.F) {
	f.Add([]byte("220 mx ESMTP\r\n250-mx\r\n250-SIZE 1000\r\n250 STARTTLS\r\n220 go ahead\r\n"))
	f.Add([]byte("220-mx\r\n220 ESMTP\r\n250 mx\r\n"))
	f.Add([]byte("220 mx\r\n250-mx\r\n251 STARTTLS\r\n"))
	f.Add([]byte("554 no service\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDialogue(t, SMTP, data)
		fuzzDialogue(t, LMTP, data)
		fuzzDialogue(t, FTP, data)
	})
}

func FuzzIMAPResponse(f *testing.F) {
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK go\r\n"))
	f.Add([]byte("* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\na2 OK go\r\n"))
	f.Add([]byte("* OK hi\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK go\r\n"))
	f.Add([]byte("* PREAUTH hi\r\n"))
	f.Add([]byte("* OK hi\r\n* BYE bye\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDialogue(t, IMAP, data) })
}

func FuzzDottedList(f *testing.F) {
	f.Add([]byte("+OK hi\r\n+OK\r\nSTLS\r\n.\r\n+OK go\r\n"))
	f.Add([]byte("200 news\r\n101 caps\r\nSTARTTLS\r\n.\r\n382 go\r\n"))
	f.Add([]byte("200 news\r\n500 what\r\n580 no\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDialogue(t, POP3, data)
		fuzzDialogue(t, NNTP, data)
	})
}

func FuzzSieveResponse(f *testing.F) {
	f.Add([]byte("\"IMPLEMENTATION\" \"x\"\r\n\"STARTTLS\"\r\nOK \"hi\"\r\nOK \"go\"\r\n"))
	f.Add([]byte("\"SASL\" \"PLAIN\"\r\nOK\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDialogue(t, Sieve, data) })
}

func FuzzXMPPFeatures(f *testing.F) {
	f.Add([]byte("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features><proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"))
	f.Add([]byte("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"))
	f.Add([]byte("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><x>&a;</x>"))
	// A parser message that repeats a long element name from the wire.
	f.Add([]byte("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><" + strings.Repeat("a", 1500) + "></b>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDialogue(t, XMPP, data)
	})
}

func FuzzLDAPExtendedResponse(f *testing.F) {
	f.Add([]byte("\x30\x0c\x02\x01\x01\x78\x07\x0a\x01\x00\x04\x00\x04\x00"))
	f.Add([]byte("\x30\x84\x00\x00\x00\x0c\x02\x01\x01\x78\x07\x0a\x01\x02\x04\x00\x04\x00"))
	f.Add([]byte("\x30\x84\x10\x00\x00\x00\x02\x01\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzDialogue(t, LDAP, data)
		_, _ = parseLDAPResponse(data)
	})
}

func FuzzMySQLGreeting(f *testing.F) {
	f.Add([]byte("\x0a5.7.0\x00\x01\x00\x00\x00abcdefgh\x00\x00\x0a\x21\x02\x00\x0f\x00\x15"))
	f.Add([]byte("\xff\x10\x04Too many connections"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseMySQLGreeting(data)
		n := len(data)
		fuzzDialogue(t, MySQL, append([]byte{byte(n), byte(n >> 8), byte(n >> 16), 0}, data...))
	})
}

func FuzzPostgresReply(f *testing.F) {
	f.Add([]byte("S"))
	f.Add([]byte("E\x00\x00\x00\x10SFATAL\x00Mno\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzDialogue(t, Postgres, data) })
}

// TestSMTPHelloReplies: how each answer to EHLO is classified.
func TestSMTPHelloReplies(t *testing.T) {
	for _, tc := range []struct {
		reply string
		kind  Kind
		says  string
	}{
		{"502 5.5.2 Error: command not recognized\r\n", KindNotOffered, "does not offer STARTTLS"},
		{"550 5.7.1 <certgate.invalid>: Helo command rejected\r\n", KindRefused, "rejected the client's hello"},
		{"421 4.3.2 Service shutting down\r\n", KindRefused, "HELO/EHLO restrictions for the name certgate.invalid"},
		{"250-mx\r\n250 SIZE 1000\r\n", KindNotOffered, "250 SIZE 1000"},
		{"250-mx\r\n220 STARTTLS\r\n", KindProtocol, "different codes"},
		{"hello\r\n", KindProtocol, "three-digit code"},
	} {
		c := &scriptConn{r: bytes.NewReader([]byte("220 mx ESMTP\r\n" + tc.reply))}
		err := Upgrade(context.Background(), c, SMTP, Options{})
		var se *Error
		if !errors.As(err, &se) || se.Kind != tc.kind || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("EHLO answered %q: %v, want %v saying %q", tc.reply, err, tc.kind, tc.says)
		}
	}
}

// TestIMAPLiteral: a literal in an untagged response is skipped whole, so
// a line inside it that looks tagged ends nothing.
func TestIMAPLiteral(t *testing.T) {
	script := "* OK hi\r\n* ID (\"name\" {13}\r\na1 NO\r\nfake\r\n)\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\na1 OK done\r\na2 OK go\r\n"
	c := &scriptConn{r: bytes.NewReader([]byte(script))}
	if err := Upgrade(context.Background(), c, IMAP, Options{}); err != nil {
		t.Fatal(err)
	}
	c = &scriptConn{r: bytes.NewReader([]byte("* OK hi\r\n* X {99999999}\r\n"))}
	if err := Upgrade(context.Background(), c, IMAP, Options{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a literal past the limit: %v", err)
	}
}

func TestLongServerTextIsClipped(t *testing.T) {
	long := strings.Repeat("n", 1500)
	tests := []struct {
		name, proto string
		data        string
		want        string
	}{
		{"xml element names", XMPP, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><" + long + "></b>", "XML that is not well-formed"},
		{"xml entity", XMPP, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><x>&" + long + ";</x>", "XML that is not well-formed"},
		{"control bytes", XMPP, "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'><stream:features><a\x1b[31m></b\x1b[0m>", "XML that is not well-formed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &scriptConn{r: bytes.NewReader([]byte(tt.data))}
			err := Upgrade(context.Background(), c, tt.proto, Options{Host: "fake.test", MaxBytes: 4096})
			if err == nil {
				t.Fatal("no error for a broken dialogue")
			}
			msg := err.Error()
			if !strings.Contains(msg, tt.want) {
				t.Errorf("message %q lacks %q", msg, tt.want)
			}
			if len(msg) > 600 {
				t.Errorf("message of %d bytes repeats the server's text unbounded", len(msg))
			}
			if strings.ContainsRune(msg, '\x1b') {
				t.Errorf("message %q carries a raw control byte", msg)
			}
		})
	}
}

// Package starttlsfake runs in-process STARTTLS servers on 127.0.0.1 for
// tests: each dialect's server side, upgrading to a real crypto/tls server
// (Mode OK), or failing the ways real servers fail (no upgrade offered,
// upgrade refused, garbage, silence, an endless line).
package starttlsfake

import (
	"bufio"
	"crypto/tls"
	"encoding/binary"
	"encoding/xml"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/certgate/certgate/internal/testpki"
)

// Mode is how a fake server behaves.
type Mode int

const (
	// OK offers the upgrade, accepts it and completes a TLS handshake.
	OK Mode = iota
	// NotOffered speaks the protocol but does not offer the upgrade.
	NotOffered
	// Refused offers the upgrade and refuses it when asked.
	Refused
	// Garbage answers with an HTTP response instead of the protocol.
	Garbage
	// Stall accepts the connection and never writes.
	Stall
	// Huge sends an endless reply (a line without end, a huge length).
	Huge
)

// String names the mode in test names.
func (m Mode) String() string {
	return [...]string{"ok", "not-offered", "refused", "garbage", "stall", "huge"}[m]
}

// Modes lists every mode.
func Modes() []Mode { return []Mode{OK, NotOffered, Refused, Garbage, Stall, Huge} }

// Config is a fake server's settings.
type Config struct {
	// Proto is the dialect, a starttls protocol name.
	Proto string
	// Mode is how it behaves.
	Mode Mode
	// TLS serves the handshake after the upgrade.
	TLS *tls.Config
	// Domain, when set, is the only XMPP domain the server hosts: a stream
	// to another is refused with host-unknown.
	Domain string
	// BareGreeting makes the IMAP greeting carry no [CAPABILITY] code, so
	// that a client must ask with CAPABILITY.
	BareGreeting bool
	// OnCommand, when set, is called with each command line a client of a
	// line-based dialect sends before TLS, without its line ending.
	OnCommand func(line string)
}

// Start runs a fake server until the test ends and returns its address.
func Start(t testing.TB, cfg Config) string {
	t.Helper()
	if cfg.Proto == "postgres-direct" {
		tcfg := cfg.TLS.Clone()
		tcfg.NextProtos = []string{"postgresql"}
		tcfg.GetConfigForClient = func(h *tls.ClientHelloInfo) (*tls.Config, error) {
			for _, p := range h.SupportedProtos {
				if p == "postgresql" {
					return nil, nil
				}
			}
			return nil, io.ErrUnexpectedEOF // PostgreSQL 17 closes a direct connection without the ALPN
		}
		return testpki.Serve(t, tcfg)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return StartOn(t, ln, cfg)
}

// StartOn is Start on a listener the caller made (an address of its
// choosing); it closes ln when the test ends. Proto "postgres-direct" is
// not served here.
func StartOn(t testing.TB, ln net.Listener, cfg Config) string {
	t.Helper()
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serveConn(c, cfg)
			}()
		}
	}()
	return ln.Addr().String()
}

// serveConn runs one connection's session.
func serveConn(c net.Conn, cfg Config) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	s := &session{c: c, r: bufio.NewReader(c), cfg: cfg}
	if cfg.Mode == Stall {
		_, _ = io.Copy(io.Discard, c)
		return
	}
	if s.dialogue() {
		tc := tls.Server(bufConn{c, s.r}, cfg.TLS)
		_ = tc.Handshake()
		_ = tc.Close()
	}
}

// session is one connection to a fake server.
type session struct {
	c   net.Conn
	r   *bufio.Reader
	cfg Config
}

// dialogue runs the server side of the protocol and reports whether TLS
// starts.
func (s *session) dialogue() bool {
	switch s.cfg.Proto {
	case "smtp":
		return s.smtp("EHLO")
	case "lmtp":
		return s.smtp("LHLO")
	case "imap":
		return s.imap()
	case "pop3":
		return s.lines("+OK fake POP3 ready", "CAPA", "+OK\r\nUSER\r\n%s.", "STLS\r\n", "STLS", "+OK begin TLS", "-ERR TLS not available")
	case "ftp":
		return s.ftp()
	case "nntp":
		return s.lines("200 fake news ready", "CAPABILITIES", "101 Capability list:\r\nVERSION 2\r\nREADER\r\n%s.", "STARTTLS\r\n", "STARTTLS", "382 Continue with TLS negotiation", "580 Can not initiate TLS negotiation")
	case "sieve":
		return s.sieve()
	case "xmpp", "xmpp-server":
		return s.xmpp()
	case "ldap":
		return s.ldap()
	case "postgres":
		return s.postgres()
	case "mysql":
		return s.mysql()
	}
	panic("starttlsfake: unknown protocol " + s.cfg.Proto)
}

const garbage = "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>bad</html>\r\n"

// write sends s, with CRLF line ends.
func (s *session) write(text string) { _, _ = io.WriteString(s.c, text) }

// readLine reads one command line.
func (s *session) readLine() string {
	l, _ := s.r.ReadString('\n')
	l = strings.TrimRight(l, "\r\n")
	if s.cfg.OnCommand != nil && l != "" {
		s.cfg.OnCommand(l)
	}
	return l
}

// huge sends a line that never ends, until the peer goes away.
func (s *session) huge(prefix string) bool {
	s.write(prefix)
	chunk := []byte(strings.Repeat("a", 4096))
	for i := 0; i < 1024; i++ {
		if _, err := s.c.Write(chunk); err != nil {
			break
		}
	}
	return false
}

// greet sends the greeting, or fails as Garbage and Huge do.
func (s *session) greet(greeting string) bool {
	switch s.cfg.Mode {
	case Garbage:
		s.write(garbage)
		return false
	case Huge:
		return s.huge(greeting[:4])
	}
	s.write(greeting + "\r\n")
	return true
}

func (s *session) smtp(hello string) bool {
	if !s.greet("220 fake.test ESMTP ready") {
		return false
	}
	if l := s.readLine(); !strings.HasPrefix(l, hello+" ") {
		s.write("500 5.5.1 expected " + hello + "\r\n")
		return false
	}
	ext := "250-STARTTLS\r\n"
	if s.cfg.Mode == NotOffered {
		ext = ""
	}
	s.write("250-fake.test greets you\r\n250-PIPELINING\r\n" + ext + "250 8BITMIME\r\n")
	if s.readLine() != "STARTTLS" {
		return false
	}
	if s.cfg.Mode == Refused {
		s.write("454 4.7.0 TLS not available due to local problem\r\n")
		return false
	}
	s.write("220 2.0.0 Ready to start TLS\r\n")
	return true
}

func (s *session) imap() bool {
	caps := "IMAP4rev1 STARTTLS LOGINDISABLED"
	if s.cfg.Mode == NotOffered {
		caps = "IMAP4rev1 AUTH=PLAIN"
	}
	greeting := "* OK [CAPABILITY " + caps + "] fake IMAP ready"
	if s.cfg.BareGreeting {
		greeting = "* OK fake IMAP ready"
	}
	if !s.greet(greeting) {
		return false
	}
	for {
		l := s.readLine()
		tag, cmd, _ := strings.Cut(l, " ")
		switch strings.ToUpper(cmd) {
		case "CAPABILITY":
			s.write("* CAPABILITY " + caps + "\r\n" + tag + " OK CAPABILITY completed\r\n")
		case "STARTTLS":
			if s.cfg.Mode == Refused {
				s.write(tag + " NO [UNAVAILABLE] TLS support is not configured\r\n")
				return false
			}
			s.write(tag + " OK Begin TLS negotiation now\r\n")
			return true
		default:
			return false
		}
	}
}

// lines is a POP3- or NNTP-like dialogue: greeting, a capability command
// answered by a list (%s is where the upgrade's keyword goes), then the
// upgrade command answered by ok or no.
func (s *session) lines(greeting, capaCmd, capaReply, keyword, startCmd, ok, no string) bool {
	if !s.greet(greeting) {
		return false
	}
	if s.cfg.Mode == NotOffered {
		keyword = ""
	}
	// Clients may ask for the capabilities first, or not at all.
	for cmd := s.readLine(); cmd != startCmd; cmd = s.readLine() {
		if cmd != capaCmd {
			return false
		}
		s.write(strings.Replace(capaReply, "%s", keyword, 1) + "\r\n")
	}
	if s.cfg.Mode == Refused {
		s.write(no + "\r\n")
		return false
	}
	s.write(ok + "\r\n")
	return true
}

func (s *session) ftp() bool {
	if !s.greet("220-fake FTP server\r\n220-second line\r\n220 ready") {
		return false
	}
	if s.readLine() != "AUTH TLS" {
		return false
	}
	switch s.cfg.Mode {
	case NotOffered:
		s.write("502 Command not implemented\r\n")
		return false
	case Refused:
		s.write("431 Unable to accept security mechanism\r\n")
		return false
	}
	s.write("234 AUTH TLS successful\r\n")
	return true
}

func (s *session) sieve() bool {
	tls := "\"STARTTLS\"\r\n"
	if s.cfg.Mode == NotOffered {
		tls = ""
	}
	if !s.greet("\"IMPLEMENTATION\" \"fake sieve\"\r\n\"SASL\" \"PLAIN\"\r\n" + tls + "\"VERSION\" \"1.0\"\r\nOK \"ready\"") {
		return false
	}
	if s.readLine() != "STARTTLS" {
		return false
	}
	if s.cfg.Mode == Refused {
		s.write("NO \"TLS is not configured\"\r\n")
		return false
	}
	s.write("OK \"Begin TLS negotiation now\"\r\n")
	return true
}

func (s *session) xmpp() bool {
	dec := xml.NewDecoder(s.r)
	var to string
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "stream" {
			for _, a := range se.Attr {
				if a.Name.Local == "to" {
					to = a.Value
				}
			}
			break
		}
	}
	switch s.cfg.Mode {
	case Garbage:
		s.write(garbage)
		return false
	case Huge:
		return s.huge("<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='")
	}
	ns := "jabber:client" // the port's kind of stream, whatever the client opened (as Prosody answers)
	if s.cfg.Proto == "xmpp-server" {
		ns = "jabber:server"
	}
	s.write("<?xml version='1.0'?><stream:stream xmlns='" + ns + "' xmlns:stream='http://etherx.jabber.org/streams' id='fake1' from='" + to + "' version='1.0'>")
	if s.cfg.Domain != "" && to != s.cfg.Domain {
		s.write("<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>")
		return false
	}
	feature := "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"
	if s.cfg.Mode == NotOffered {
		feature = ""
	}
	s.write("<stream:features>" + feature + "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>")
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "starttls" {
			break
		}
	}
	if s.cfg.Mode == Refused {
		s.write("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>")
		return false
	}
	s.write("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
	return true
}

func (s *session) ldap() bool {
	// The request: a SEQUENCE with a one- or two-byte length.
	var hdr [2]byte
	if _, err := io.ReadFull(s.r, hdr[:]); err != nil || hdr[0] != 0x30 || hdr[1] > 0x7f {
		return false
	}
	if _, err := io.ReadFull(s.r, make([]byte, hdr[1])); err != nil {
		return false
	}
	switch s.cfg.Mode {
	case Garbage:
		s.write(garbage)
		return false
	case Huge:
		s.write("\x30\x84\x10\x00\x00\x00\x02\x01\x01")
		return s.huge("")
	}
	code, diag := 0, ""
	switch s.cfg.Mode {
	case NotOffered:
		code, diag = 2, "unsupported extended operation"
	case Refused:
		code, diag = 52, "TLS not configured"
	}
	var b cryptobyte.Builder
	b.AddASN1Int64(1)
	b.AddASN1(cbasn1.Tag(0x40|0x20|24), func(b *cryptobyte.Builder) {
		b.AddASN1Enum(int64(code))
		b.AddASN1OctetString(nil)
		b.AddASN1OctetString([]byte(diag))
		if code == 0 {
			b.AddASN1(cbasn1.Tag(0x80|10), func(b *cryptobyte.Builder) { b.AddBytes([]byte("1.3.6.1.4.1.1466.20037")) })
		}
	})
	body := b.BytesOrPanic()
	// The outer length in the four-byte long form some servers write.
	msg := append([]byte{0x30, 0x84}, binary.BigEndian.AppendUint32(nil, uint32(len(body)))...)
	_, _ = s.c.Write(append(msg, body...))
	return code == 0
}

func (s *session) postgres() bool {
	var req [8]byte
	if _, err := io.ReadFull(s.r, req[:]); err != nil || binary.BigEndian.Uint32(req[4:]) != 80877103 {
		return false
	}
	switch s.cfg.Mode {
	case Garbage:
		s.write(garbage)
		return false
	case Huge:
		return s.huge("")
	case NotOffered:
		s.write("N")
		return false
	case Refused:
		msg := "SFATAL\x00C08P01\x00Mtoo many connections for role \"x\"\x00\x00"
		s.write("E" + string(binary.BigEndian.AppendUint32(nil, uint32(4+len(msg)))) + msg)
		return false
	}
	s.write("S")
	return true
}

// mysql greeting capability flags: CLIENT_PROTOCOL_41, CLIENT_SSL and
// CLIENT_SECURE_CONNECTION in the lower half.
func (s *session) mysql() bool {
	caps := uint16(0x0200 | 0x0800 | 0x8000 | 0x0001)
	if s.cfg.Mode == NotOffered {
		caps &^= 0x0800
	}
	switch s.cfg.Mode {
	case Garbage:
		s.write(garbage)
		return false
	case Huge:
		s.write("\xff\xff\xff\x00\x0a")
		return s.huge("")
	case Refused:
		p := append([]byte{0xff}, binary.LittleEndian.AppendUint16(nil, 1040)...)
		p = append(p, "Too many connections"...)
		s.packet(0, p)
		return false
	}
	p := []byte{10}
	p = append(p, "11.8.3-MariaDB-fake\x00"...)
	p = binary.LittleEndian.AppendUint32(p, 7)
	p = append(p, "abcdefgh\x00"...)
	p = binary.LittleEndian.AppendUint16(p, caps)
	p = append(p, 45)
	p = binary.LittleEndian.AppendUint16(p, 2)
	p = binary.LittleEndian.AppendUint16(p, 0x000f)
	p = append(p, 21)
	p = append(p, make([]byte, 10)...)
	p = append(p, "ijklmnopqrst\x00mysql_native_password\x00"...)
	s.packet(0, p)
	var req [36]byte
	if _, err := io.ReadFull(s.r, req[:]); err != nil || req[3] != 1 || binary.LittleEndian.Uint32(req[4:])&0x0800 == 0 {
		return false
	}
	return true
}

// packet writes one MySQL packet.
func (s *session) packet(seq byte, p []byte) {
	n := len(p)
	_, _ = s.c.Write(append([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}, p...))
}

// bufConn reads what the session's reader holds before the connection.
type bufConn struct {
	net.Conn
	r *bufio.Reader
}

func (b bufConn) Read(p []byte) (int, error) { return b.r.Read(p) }

// OpenSSLArgs are the arguments of `openssl s_client` that upgrade with
// proto at addr and shake hands for host, for tests and benchmarks that
// compare with it.
func OpenSSLArgs(proto, addr, host string) []string {
	args := []string{"s_client", "-connect", addr, "-servername", host}
	switch proto {
	case "":
	case "postgres-direct":
		args = append(args, "-alpn", "postgresql")
	case "xmpp", "xmpp-server":
		args = append(args, "-starttls", proto, "-xmpphost", host)
	default:
		args = append(args, "-starttls", proto)
	}
	return args
}

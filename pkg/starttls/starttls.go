// Package starttls upgrades a plaintext connection to the point where a TLS
// ClientHello is the next thing to send: the STARTTLS dialogue of SMTP,
// LMTP, IMAP, POP3, FTP, XMPP, ManageSieve, LDAP, NNTP, PostgreSQL and MySQL.
//
// Each dialect is a small file of its own; Upgrade is the one entry point.
// Every dialogue is bounded in bytes (Options.MaxBytes) and in time (the
// context's deadline), sends no credentials and nothing beyond what the
// upgrade needs, and fails with an *Error whose Kind says whether the server
// does not offer the upgrade, refuses it, or broke the protocol.
package starttls

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The protocols Upgrade speaks, as --starttls and Result.StartTLS name them.
const (
	SMTP       = "smtp"
	LMTP       = "lmtp"
	IMAP       = "imap"
	POP3       = "pop3"
	FTP        = "ftp"
	XMPP       = "xmpp"
	XMPPServer = "xmpp-server"
	Sieve      = "sieve"
	LDAP       = "ldap"
	NNTP       = "nntp"
	Postgres   = "postgres"
	MySQL      = "mysql"
	// PostgresDirect is PostgreSQL 17's direct TLS: no dialogue at all,
	// the ClientHello is sent at once with the ALPN protocol "postgresql"
	// (ALPN returns it). Upgrade does nothing for it.
	PostgresDirect = "postgres-direct"
)

// protocols maps each protocol to its dialogue.
var protocols = map[string]func(*dialogue) error{
	SMTP:           func(d *dialogue) error { return smtp(d, "EHLO") },
	LMTP:           func(d *dialogue) error { return smtp(d, "LHLO") },
	IMAP:           imap,
	POP3:           pop3,
	FTP:            ftp,
	XMPP:           func(d *dialogue) error { return xmpp(d, "jabber:client") },
	XMPPServer:     func(d *dialogue) error { return xmpp(d, "jabber:server") },
	Sieve:          sieve,
	LDAP:           ldap,
	NNTP:           nntp,
	Postgres:       postgres,
	MySQL:          mysql,
	PostgresDirect: func(*dialogue) error { return nil },
}

// Protocols returns the names Upgrade accepts, sorted.
func Protocols() []string {
	var out []string
	for p := range protocols {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// Supported reports whether Upgrade speaks proto.
func Supported(proto string) bool {
	_, ok := protocols[proto]
	return ok
}

// ALPN returns the ALPN protocols the TLS handshake after proto's upgrade
// should offer, or nil to keep the caller's own.
func ALPN(proto string) []string {
	if proto == PostgresDirect {
		return []string{"postgresql"}
	}
	return nil
}

// DefaultMaxBytes bounds the bytes read from the server during one
// dialogue when Options.MaxBytes is zero: 64 KiB, far more than any
// greeting and capability list.
const DefaultMaxBytes = 64 << 10

// maxLine is the longest line of a line-based dialogue.
const maxLine = 8 << 10

// DefaultClientName is the name a client gives itself in SMTP's EHLO and
// LMTP's LHLO when Options.ClientName is empty.
const DefaultClientName = "certgate.invalid"

// Options controls one dialogue.
type Options struct {
	// Host is the server's host name: the XMPP stream's "to" when Domain
	// is empty.
	Host string
	// Domain, when set, is the XMPP stream's "to" (--xmpp-domain).
	Domain string
	// ClientName is the name in SMTP's EHLO and LMTP's LHLO; empty means
	// DefaultClientName.
	ClientName string
	// MaxBytes caps the bytes read from the server; zero means
	// DefaultMaxBytes.
	MaxBytes int64
}

// Kind says how a dialogue failed.
type Kind int

const (
	// KindProtocol: the server broke the protocol (garbage, a reply out of
	// place, too many bytes, silence until the deadline, a closed
	// connection).
	KindProtocol Kind = iota
	// KindNotOffered: the server speaks the protocol but does not offer
	// the upgrade.
	KindNotOffered
	// KindRefused: the server offers the upgrade but refused to start it.
	KindRefused
)

// String names the kind in messages and test output.
func (k Kind) String() string {
	switch k {
	case KindNotOffered:
		return "not offered"
	case KindRefused:
		return "refused"
	}
	return "protocol violation"
}

// ErrTooLarge is the cause of a KindProtocol error when the server sent
// more than Options.MaxBytes, or a line longer than the dialect allows.
var ErrTooLarge = errors.New("the server sent more than the STARTTLS dialogue's byte limit")

// Error is a failed dialogue. Its text is a lower-case sentence that names
// the protocol, the server's reply (quoted, truncated) and the next step.
type Error struct {
	// Proto is the protocol of the dialogue, one of Protocols.
	Proto string
	// Kind says how it failed.
	Kind Kind
	// Step names what the client had sent or was waiting for ("the
	// greeting", "EHLO").
	Step string
	// Reply is the server's reply at that step, quoted and truncated; ""
	// when there was none.
	Reply string
	// Why says what was wrong with it (KindProtocol), or that the server
	// turned the whole session away rather than the upgrade (KindRefused).
	Why string
	// Fix, when set, is the next step in place of the usual one (of a
	// refused session or a protocol error).
	Fix string
	// Err is the underlying I/O error, if any.
	Err error
}

// Error is the sentence that names the protocol, the step, the server's
// reply and the next step.
func (e *Error) Error() string {
	name := displayName(e.Proto)
	reply := ""
	if e.Reply != "" && e.Reply != `""` {
		reply = " (reply " + e.Reply + ")"
	}
	switch e.Kind {
	case KindNotOffered:
		return fmt.Sprintf("the %s server does not offer STARTTLS in its answer to %s%s: enable TLS on the server (%s), or check its implicit-TLS port instead", name, e.Step, reply, fixHint(e.Proto))
	case KindRefused:
		if e.Why != "" {
			fix := e.Fix
			if fix == "" {
				fix = "check its connection limits, access rules and logs"
			}
			return fmt.Sprintf("the %s server %s at %s%s: %s", name, e.Why, e.Step, reply, fix)
		}
		return fmt.Sprintf("the %s server refused the upgrade to TLS at %s%s: check the server's TLS certificate and key configuration and its logs (%s)", name, e.Step, reply, fixHint(e.Proto))
	}
	why := e.Why
	switch {
	case errors.Is(e.Err, ErrTooLarge):
		why = "it sent more than the dialogue's byte limit"
	case isTimeout(e.Err):
		why = "it did not answer in time"
	case errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF):
		why = "it closed the connection"
	case e.Err != nil && why == "":
		why = clipText(e.Err.Error())
	}
	if e.Fix != "" {
		return fmt.Sprintf("the %s dialogue failed before TLS at %s: %s%s; %s", name, e.Step, why, reply, e.Fix)
	}
	return fmt.Sprintf("the %s dialogue failed before TLS at %s: %s%s; check that the port serves %s (choose the protocol with --starttls), or raise --timeout for a slow server", name, e.Step, why, reply, name)
}

// Unwrap returns the underlying I/O error, if any.
func (e *Error) Unwrap() error { return e.Err }

// displayName is the protocol's name in messages.
func displayName(proto string) string {
	switch proto {
	case XMPP:
		return "XMPP"
	case XMPPServer:
		return "XMPP (server-to-server)"
	case Sieve:
		return "ManageSieve"
	case Postgres, PostgresDirect:
		return "PostgreSQL"
	case MySQL:
		return "MySQL"
	}
	return strings.ToUpper(proto)
}

// fixHint names the usual server setting that enables TLS.
func fixHint(proto string) string {
	switch proto {
	case SMTP:
		return "Postfix: smtpd_tls_cert_file, smtpd_tls_key_file and smtpd_tls_security_level = may"
	case LMTP, IMAP, POP3, Sieve:
		return "Dovecot: ssl = yes with ssl_cert and ssl_key"
	case FTP:
		return "vsftpd: ssl_enable=YES; ProFTPD: TLSEngine on"
	case XMPP, XMPPServer:
		return "Prosody: a certificate for the domain; check --xmpp-domain"
	case LDAP:
		return "OpenLDAP: olcTLSCertificateFile and olcTLSCertificateKeyFile"
	case NNTP:
		return "INN: tlscertfile and tlskeyfile"
	case Postgres:
		return "PostgreSQL: ssl = on with ssl_cert_file and ssl_key_file"
	case MySQL:
		return "MariaDB/MySQL: ssl_cert and ssl_key"
	}
	return "see its TLS documentation"
}

// Upgrade runs proto's STARTTLS dialogue on conn and returns once the next
// bytes to send are a TLS ClientHello. It reads at most opts.MaxBytes and
// stops at ctx's deadline or cancellation. A failed dialogue is an *Error;
// an unknown proto is a plain error.
func Upgrade(ctx context.Context, conn net.Conn, proto string, opts Options) error {
	run, ok := protocols[proto]
	if !ok {
		return fmt.Errorf("unknown STARTTLS protocol %q: use one of %s", proto, strings.Join(Protocols(), ", "))
	}
	if proto == PostgresDirect {
		return nil
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	max := opts.MaxBytes
	if max <= 0 {
		max = DefaultMaxBytes
	}
	d := &dialogue{conn: conn, proto: proto, opts: opts, step: "the greeting"}
	d.lim = &limitReader{r: conn, left: max}
	d.r = bufio.NewReaderSize(d.lim, maxLine)
	if err := run(d); err != nil {
		if ctx.Err() != nil && !isTimeout(err) {
			return &Error{Proto: proto, Kind: KindProtocol, Step: d.step, Err: ctx.Err()}
		}
		return err
	}
	if n := d.r.Buffered(); n > 0 {
		b, _ := d.r.Peek(n)
		return d.protocol(b, "it sent data after agreeing to start TLS, before the client's hello")
	}
	return nil
}

// dialogue is one STARTTLS exchange in progress.
type dialogue struct {
	conn  net.Conn
	r     *bufio.Reader
	lim   *limitReader
	proto string
	opts  Options
	// step names what was last sent, for errors.
	step string
}

// send writes s and records it as the step errors name.
func (d *dialogue) send(step string, b []byte) error {
	d.step = step
	if _, err := d.conn.Write(b); err != nil {
		return &Error{Proto: d.proto, Kind: KindProtocol, Step: step, Err: err}
	}
	return nil
}

// sendLine writes line and CRLF; the step is the line's command.
func (d *dialogue) sendLine(line string) error {
	return d.send(line, []byte(line+"\r\n"))
}

// readLine reads one line, without its line ending. A line longer than
// maxLine is ErrTooLarge.
func (d *dialogue) readLine() (string, error) {
	b, err := d.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", d.ioError(b, ErrTooLarge)
	}
	if err != nil {
		return "", d.ioError(b, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// ioError is a read or write failure during the dialogue, with what was
// read so far.
func (d *dialogue) ioError(partial []byte, err error) error {
	return &Error{Proto: d.proto, Kind: KindProtocol, Step: d.step, Reply: Quote(partial), Err: err}
}

// protocol is a reply that breaks the protocol.
func (d *dialogue) protocol(reply []byte, why string) error {
	return &Error{Proto: d.proto, Kind: KindProtocol, Step: d.step, Reply: Quote(reply), Why: why}
}

// notOffered and refused are the other two outcomes.
func (d *dialogue) notOffered(reply []byte) error {
	return &Error{Proto: d.proto, Kind: KindNotOffered, Step: d.step, Reply: Quote(reply)}
}

func (d *dialogue) refused(reply []byte) error {
	return &Error{Proto: d.proto, Kind: KindRefused, Step: d.step, Reply: Quote(reply)}
}

// refusedSession is a server that turns the session away before any
// upgrade could be asked for (too many connections, an address not
// allowed, a service shutting down).
func (d *dialogue) refusedSession(reply []byte) error {
	return &Error{Proto: d.proto, Kind: KindRefused, Step: d.step, Reply: Quote(reply), Why: "turned the session away before any upgrade"}
}

// maxQuoted is the longest reply an error quotes, in bytes before quoting.
const maxQuoted = 120

// Quote returns b as a Go-quoted string, ASCII only, cut to its first 120
// bytes (and "..." after the quote when cut), safe to print.
func Quote(b []byte) string {
	if len(b) > maxQuoted {
		return strconv.QuoteToASCII(string(b[:maxQuoted])) + "..."
	}
	return strconv.QuoteToASCII(string(b))
}

// maxWhy is the longest text from the wire or an underlying error that a
// message repeats, in bytes after escaping.
const maxWhy = 160

// clipText returns s escaped to printable ASCII (as inside a Go string
// literal) and cut to maxWhy bytes, with "..." when cut: for text that
// carries the server's bytes, such as an XML parser's message naming the
// element it choked on.
func clipText(s string) string {
	q := strconv.QuoteToASCII(s)
	q = q[1 : len(q)-1]
	if len(q) > maxWhy {
		q = q[:maxWhy]
		// Do not end inside an escape sequence.
		if i := strings.LastIndexByte(q, '\\'); i >= 0 && i > maxWhy-10 {
			q = q[:i]
		}
		q += "..."
	}
	return q
}

// limitReader fails with ErrTooLarge once more than left bytes were read.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// isTimeout reports whether err is a deadline or a network timeout.
func isTimeout(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

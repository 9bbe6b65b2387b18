package scan

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/tlswire"
)

// resumption is what the scan's completed handshakes found.
type resumption struct {
	tickets bool
	staple  []byte
	scts    int
	hsts    *result.HSTS
	// hstsChecked is true when GET / was answered; otherwise hstsWhy
	// says why the header was not asked for (result.HSTSUntrustedChain,
	// result.HSTSNoResponse), "" when no handshake completed.
	hstsChecked bool
	hstsWhy     string
}

// maxHTTPBytes bounds what the HSTS request reads of the response.
const maxHTTPBytes = 64 << 10

// resume makes two real handshakes with crypto/tls, up to maxVersion, and
// one session cache: the second resumes when the server issues session
// tickets. The first also reads the staple and SCTs, and, for an https
// target whose chain VerifyChain accepts, sends one GET / for the
// Strict-Transport-Security header. When the first handshake fails below
// TLS 1.3 (a server whose TLS 1.2 suites Go lacks, such as DHE only, beside
// TLS 1.3), it is tried again up to TLS 1.3, so that HSTS is still asked
// for. ok is false when no first handshake completed.
func (s *scanner) resume(ctx context.Context, maxVersion uint16) (out resumption, ok bool) {
	out, ok = s.resumeAt(ctx, maxVersion)
	if !ok && maxVersion < tls.VersionTLS13 {
		out, ok = s.resumeAt(ctx, tls.VersionTLS13)
	}
	return out, ok
}

// hsts sets f's HSTS fields from what resume found: the header and
// whether it was measured, or why it was not. A target that is not https
// has none of them.
func (s *scanner) hsts(res resumption, f *result.Features) {
	if !s.t.HTTPS {
		return
	}
	f.HSTS, f.HSTSChecked, f.HSTSNotChecked = res.hsts, res.hstsChecked, res.hstsWhy
	if !res.hstsChecked && res.hstsWhy == "" {
		f.HSTSNotChecked = result.HSTSNoHandshake
	}
}

// resumeAt is one try of resume, up to maxVersion.
func (s *scanner) resumeAt(ctx context.Context, maxVersion uint16) (out resumption, ok bool) {
	cfg := &tls.Config{
		ServerName:         s.t.ServerName,
		InsecureSkipVerify: true, // the chain is check's to judge; HSTS asks VerifyChain
		ClientSessionCache: tls.NewLRUClientSessionCache(1),
		MinVersion:         tls.VersionTLS10,
		MaxVersion:         maxVersion,
		NextProtos:         []string{"http/1.1"},
	}
	first := s.handshake(ctx, cfg, func(conn *tls.Conn) {
		st := conn.ConnectionState()
		out.staple = st.OCSPResponse
		out.scts = len(st.SignedCertificateTimestamps)
		trusted := s.o.VerifyChain != nil && len(st.PeerCertificates) > 0 && s.o.VerifyChain(st.PeerCertificates) == nil
		if s.t.HTTPS && !trusted {
			out.hstsWhy = result.HSTSUntrustedChain
		}
		if s.t.HTTPS && trusted {
			out.hsts, out.hstsChecked = s.getHSTS(conn)
			if !out.hstsChecked {
				out.hstsWhy = result.HSTSNoResponse
			}
		} else if st.Version == tls.VersionTLS13 {
			// TLS 1.3 tickets come after the handshake: read them.
			_ = conn.SetReadDeadline(time.Now().Add(min(s.o.Timeout, 300*time.Millisecond)))
			_, _ = conn.Read(make([]byte, 1))
		}
	})
	if !first {
		return out, false
	}
	s.handshake(ctx, cfg, func(conn *tls.Conn) { out.tickets = conn.ConnectionState().DidResume })
	return out, true
}

// handshake completes a crypto/tls handshake on a new connection and runs
// then on it; false when the handshake failed.
func (s *scanner) handshake(ctx context.Context, cfg *tls.Config, then func(*tls.Conn)) bool {
	return s.handshakeOn(ctx, cfg, nil, then)
}

// handshakeOn is handshake with the connection passed through wrap first
// (when not nil), to see the bytes crypto/tls exchanges.
func (s *scanner) handshakeOn(ctx context.Context, cfg *tls.Config, wrap func(net.Conn) net.Conn, then func(*tls.Conn)) bool {
	raw, cancel, err := s.dial(ctx)
	if err != nil {
		return false
	}
	defer cancel()
	defer raw.Close()
	if wrap != nil {
		raw = wrap(raw)
	}
	conn := tls.Client(raw, s.withALPN(cfg))
	if err := conn.HandshakeContext(ctx); err != nil {
		return false // Go lacks the server's suites or groups: not the server's failure
	}
	then(conn)
	return true
}

// resumeID reports whether the server resumes a TLS 1.2 session by its
// session id, as sslscan and testssl.sh test it: a complete crypto/tls
// handshake without session tickets (a server that only hands out ids it
// never caches, as nginx does by default, must not count), its
// ServerHello's session id read off the wire, closed with close_notify so
// the server keeps the session; then the same ClientHello again offering
// that id. The server resumes when its ServerHello echoes the id and
// goes straight to ChangeCipherSpec.
func (s *scanner) resumeID(ctx context.Context) bool {
	tap := &tapConn{limit: s.o.MaxBytes}
	cfg := &tls.Config{
		ServerName:             s.t.ServerName,
		InsecureSkipVerify:     true, // a scan fact; the chain is check's to judge
		SessionTicketsDisabled: true,
		MinVersion:             tls.VersionTLS10,
		MaxVersion:             tls.VersionTLS12,
	}
	var id []byte
	var hello *tlswire.ClientHello
	s.handshakeOn(ctx, cfg, func(c net.Conn) net.Conn { tap.Conn = c; return tap }, func(conn *tls.Conn) {
		h, err := tlswire.ParseClientHello(tap.hello)
		if err != nil {
			return
		}
		f, err := tlswire.ReadFlight(bytes.NewReader(tap.in.Bytes()), h, s.o.MaxBytes)
		if err != nil || f.ServerHello == nil || len(f.ServerHello.SessionID) == 0 {
			return
		}
		id, hello = f.ServerHello.SessionID, h
		_ = conn.Close() // close_notify: a session cut short may be dropped
	})
	if id == nil {
		return false
	}
	again, err := hello.Refresh(s.t.ServerName)
	if err != nil {
		return false
	}
	again.SessionID = id
	conn, cancel, err := s.dial(ctx)
	if err != nil {
		return false
	}
	defer cancel()
	defer conn.Close()
	f, err := tlswire.Exchange(ctx, conn, again, s.o.MaxBytes)
	return err == nil && f.Done && f.ServerHello != nil && f.ServerHello.Version <= tlswire.VersionTLS12 &&
		len(f.Certificates) == 0 && bytes.Equal(f.ServerHello.SessionID, id)
}

// tapConn keeps the first record batch the client writes (its
// ClientHello) and, up to limit bytes, what it reads.
type tapConn struct {
	net.Conn
	limit int64
	hello []byte
	in    bytes.Buffer
}

func (c *tapConn) Write(p []byte) (int, error) {
	if c.hello == nil {
		c.hello = append([]byte{}, p...)
	}
	return c.Conn.Write(p)
}

func (c *tapConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if room := c.limit - int64(c.in.Len()); room > 0 {
		c.in.Write(p[:min(int64(n), room)])
	}
	return n, err
}

// getHSTS sends GET / and parses the Strict-Transport-Security header of
// the response: nil when there is none. answered is false when no
// response came, so that nothing was measured.
func (s *scanner) getHSTS(conn *tls.Conn) (h *result.HSTS, answered bool) {
	req, err := http.NewRequest(http.MethodGet, "https://"+s.t.Host+"/", nil)
	if err != nil {
		return nil, false
	}
	req.Header.Set("User-Agent", "certgate-scan")
	req.Close = true
	if err := req.Write(conn); err != nil {
		return nil, false
	}
	resp, err := http.ReadResponse(bufio.NewReader(io.LimitReader(conn, maxHTTPBytes)), req)
	if err != nil {
		return nil, false
	}
	defer resp.Body.Close()
	// The tickets of TLS 1.3 arrived before the response and were read.
	v := resp.Header.Values("Strict-Transport-Security")
	if len(v) == 0 {
		return nil, true
	}
	return ParseHSTS(v[0]), true
}

// VerifyWith returns a VerifyChain for Options that accepts a chain
// leading to one of roots and valid for host.
func VerifyWith(roots *x509.CertPool, host string) func([]*x509.Certificate) error {
	return func(certs []*x509.Certificate) error {
		inter := x509.NewCertPool()
		for _, c := range certs[1:] {
			inter.AddCert(c)
		}
		_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, DNSName: host})
		return err
	}
}

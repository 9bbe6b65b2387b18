// Package proxy dials TCP connections through an HTTP proxy with the CONNECT
// method, as HTTPS clients do behind a corporate proxy. The tunnel carries
// the TLS handshake end to end: the proxy sees only the host and port, and
// the certificate is still validated for the target host.
//
// The proxy is chosen per target from HTTPS_PROXY and NO_PROXY (or their
// lower-case forms), with the rules of golang.org/x/net/http/httpproxy: the
// same that Go's HTTP client follows. localhost and loopback addresses are
// always dialled directly.
package proxy

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
)

// ContextDialer dials a network address; *net.Dialer is one.
type ContextDialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Dialer dials each address directly or through the HTTP proxy that its
// configuration selects for it. Its zero value is not usable; build it with
// New or FromEnvironment.
type Dialer struct {
	proxy   *url.URL
	useFor  func(*url.URL) (*url.URL, error)
	forward ContextDialer
}

// Error is a failure to open a tunnel through the proxy: the proxy could not
// be reached, or it answered CONNECT with another status than 200. It does
// not unwrap, so that a refused or timed-out connection to the proxy is not
// taken for one to the target; Err keeps the cause.
type Error struct {
	// Proxy is the proxy URL with any password redacted.
	Proxy string
	// Target is the "host:port" the tunnel was asked for.
	Target string
	// Status is the proxy's HTTP status, 0 when it gave none.
	Status int
	// Err is the underlying failure, nil when the proxy answered.
	Err error
	// msg is the sentence that says what happened and what to do.
	msg string
}

// Error says what happened, naming the proxy and the fix.
func (e *Error) Error() string { return e.msg }

// MaxResponseHeaderBytes caps what a proxy may send in answer to CONNECT
// before the tunnel opens: the status line and every header together, 1 MiB,
// as much as the probe allows a TLS peer's handshake.
const MaxResponseHeaderBytes = 1 << 20

// ErrResponseTooLarge is the cause (Error.Err) when a proxy's answer to
// CONNECT exceeds MaxResponseHeaderBytes.
var ErrResponseTooLarge = errors.New("proxy answer to CONNECT too large")

// ErrUnsupportedScheme results when a proxy URL has a scheme other than
// http.
var ErrUnsupportedScheme = errors.New("unsupported proxy scheme")

// Config names the proxy settings; it is what the environment or the flags
// give.
type Config struct {
	// HTTPSProxy is the proxy URL for TLS targets, like HTTPS_PROXY:
	// http://[user:password@]host:port; "host:port" means http://host:port.
	// Empty means no proxy.
	HTTPSProxy string
	// NoProxy lists the hosts to reach directly, like NO_PROXY:
	// comma-separated host names (a leading "." or none matches
	// subdomains too), IP addresses, CIDR ranges, optional ":port", or "*"
	// for all.
	NoProxy string
}

// FromEnvironment reads HTTPS_PROXY and NO_PROXY, or https_proxy and
// no_proxy, through getenv.
func FromEnvironment(getenv func(string) string) Config {
	first := func(names ...string) string {
		for _, n := range names {
			if v := getenv(n); v != "" {
				return v
			}
		}
		return ""
	}
	return Config{
		HTTPSProxy: first("HTTPS_PROXY", "https_proxy"),
		NoProxy:    first("NO_PROXY", "no_proxy"),
	}
}

// ParseURL reads a proxy URL as HTTPS_PROXY takes it. Only http:// proxies
// are supported; a bare "host:port" means http://host:port.
func ParseURL(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Error quotes the whole URL, password included: keep only
		// the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("proxy URL is not valid (%w): use http://[USER:PASSWORD@]HOST:PORT, percent-encoding the password", err)
	}
	if !strings.EqualFold(u.Scheme, "http") {
		return nil, fmt.Errorf("proxy URL %s: %w %q (use http://HOST:PORT; the tunnel still carries TLS end to end)", display(u), ErrUnsupportedScheme, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("proxy URL %s: no host (use http://HOST:PORT)", display(u))
	}
	if u.Port() == "" {
		u.Host = net.JoinHostPort(u.Hostname(), "80")
	}
	return u, nil
}

// New returns a Dialer for cfg that dials the proxy and direct connections
// with forward (a *net.Dialer when nil). It returns nil and no error when
// cfg names no proxy: dial directly then.
func New(cfg Config, forward ContextDialer) (*Dialer, error) {
	if strings.TrimSpace(cfg.HTTPSProxy) == "" {
		return nil, nil
	}
	u, err := ParseURL(cfg.HTTPSProxy)
	if err != nil {
		return nil, err
	}
	if forward == nil {
		forward = &net.Dialer{}
	}
	hc := httpproxy.Config{HTTPSProxy: u.String(), NoProxy: cfg.NoProxy}
	return &Dialer{proxy: u, useFor: hc.ProxyFunc(), forward: forward}, nil
}

// Proxy returns the proxy URL the Dialer uses, password redacted.
func (d *Dialer) Proxy() string { return display(d.proxy) }

// display is the scheme, user and host of u, password redacted: what a
// message may show of a proxy URL.
func display(u *url.URL) string {
	v := url.URL{Scheme: u.Scheme, User: u.User, Host: u.Host}
	return v.Redacted()
}

// DialContext connects to addr ("host:port") through the proxy, or directly
// when NO_PROXY exempts it. Only "tcp" networks go through the proxy.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if !strings.HasPrefix(network, "tcp") {
		return d.forward.DialContext(ctx, network, addr)
	}
	p, err := d.useFor(&url.URL{Scheme: "https", Host: addr})
	if err != nil {
		return nil, &Error{Proxy: d.Proxy(), Target: addr, Err: err,
			msg: fmt.Sprintf("proxy %s: %v", d.Proxy(), err)}
	}
	if p == nil {
		return d.forward.DialContext(ctx, network, addr)
	}
	return d.connect(ctx, addr)
}

// connect opens a tunnel to addr with CONNECT.
func (d *Dialer) connect(ctx context.Context, addr string) (net.Conn, error) {
	name := d.Proxy()
	conn, err := d.forward.DialContext(ctx, "tcp", d.proxy.Host)
	if err != nil {
		return nil, &Error{Proxy: name, Target: addr, Err: err,
			msg: fmt.Sprintf("cannot reach proxy %s: %s: check HTTPS_PROXY or --proxy", name, reason(err))}
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Unblock the exchange when ctx ends without a deadline.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{"User-Agent": {"certgate"}},
	}
	if u := d.proxy.User; u != nil {
		pw, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pw)))
	}
	if err := req.Write(conn); err != nil {
		conn.Close()
		return nil, &Error{Proxy: name, Target: addr, Err: err,
			msg: fmt.Sprintf("proxy %s: sending CONNECT %s: %s", name, addr, reason(err))}
	}
	// The answer is read through a cap, as a TLS peer's handshake is: a
	// proxy that never ends its headers must not use up our memory.
	lr := &headerLimit{r: conn, left: MaxResponseHeaderBytes}
	br := bufio.NewReader(lr)
	resp, err := http.ReadResponse(br, req)
	if err != nil && lr.exceeded {
		// Whatever the parser made of the cut, the cause is the size.
		conn.Close()
		return nil, &Error{Proxy: name, Target: addr, Err: ErrResponseTooLarge,
			msg: fmt.Sprintf("proxy %s sent more than %d bytes of headers in answer to CONNECT %s: it is not a working HTTP proxy (check HTTPS_PROXY or --proxy)", name, MaxResponseHeaderBytes, addr)}
	}
	if err != nil {
		conn.Close()
		return nil, &Error{Proxy: name, Target: addr, Err: err,
			msg: fmt.Sprintf("proxy %s: no valid answer to CONNECT %s: %s", name, addr, reason(err))}
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		conn.Close()
		return nil, &Error{Proxy: name, Target: addr, Status: resp.StatusCode,
			msg: fmt.Sprintf("proxy %s answered CONNECT %s with %s%s", name, addr, resp.Status, hint(resp.StatusCode, d.proxy.User != nil))}
	}
	_ = conn.SetDeadline(time.Time{})
	lr.off = true // the tunnel carries the TLS handshake, bounded by the probe
	if br.Buffered() > 0 {
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

// hint is the next step for a CONNECT status.
func hint(status int, creds bool) string {
	switch status {
	case http.StatusProxyAuthRequired:
		if creds {
			return ": the proxy rejected the user and password in the proxy URL; check them (percent-encode : @ and %)"
		}
		return ": give the user and password in the proxy URL (http://USER:PASSWORD@HOST:PORT)"
	case http.StatusForbidden:
		return ": the proxy does not allow tunnels to this host or port; ask its administrators, or exempt the host with NO_PROXY"
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return ": the proxy could not reach the target; check the host name and port"
	}
	return ""
}

// reason is the innermost error's text.
func reason(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}

// bufferedConn returns the bytes the proxy sent after its answer before
// reading more from the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }

// headerLimit fails reads once left bytes have been read, until off is set,
// and records that it did.
type headerLimit struct {
	r        net.Conn
	left     int64
	off      bool
	exceeded bool
}

func (h *headerLimit) Read(p []byte) (int, error) {
	if h.off {
		return h.r.Read(p)
	}
	if h.left <= 0 {
		h.exceeded = true
		return 0, ErrResponseTooLarge
	}
	if int64(len(p)) > h.left {
		p = p[:h.left]
	}
	n, err := h.r.Read(p)
	h.left -= int64(n)
	return n, err
}

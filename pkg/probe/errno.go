package probe

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"

	"github.com/certgate/certgate/pkg/proxy"
)

func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// limitConn fails reads once the peer has sent limit bytes: a handshake
// never needs more, whatever the peer would like to send.
type limitConn struct {
	net.Conn
	limit, read int64
}

func (l *limitConn) Read(p []byte) (int, error) {
	if l.read >= l.limit {
		return 0, limitError(l.limit)
	}
	if int64(len(p)) > l.limit-l.read {
		p = p[:l.limit-l.read]
	}
	n, err := l.Conn.Read(p)
	l.read += int64(n)
	return n, err
}

// limitError is the error of a limitConn past its limit; it is
// ErrHandshakeTooLarge with the limit in its text.
type limitError int64

func (e limitError) Error() string {
	return fmt.Sprintf("%s of %d bytes", ErrHandshakeTooLarge, int64(e))
}

func (e limitError) Is(target error) bool { return target == ErrHandshakeTooLarge }

// localExhaustion are the errors that mean certgate itself ran out of file
// descriptors or memory, whatever the peer did.
var localExhaustion = []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM}

// IsLocalResourceExhausted reports whether err, from a dial or a handshake,
// is certgate running out of a local resource (EMFILE, ENFILE, ENOBUFS,
// ENOMEM) rather than anything the server did.
func IsLocalResourceExhausted(err error) bool {
	return LocalCause(err) != nil
}

// LocalCause returns the errno of a local resource exhaustion in err's
// chain, or nil when there is none. The cause kept by a *proxy.Error, which
// does not unwrap, counts too: a dial to the proxy fails for want of a
// descriptor just as one to the target does.
func LocalCause(err error) error {
	for _, e := range localExhaustion {
		if errors.Is(err, e) {
			return e
		}
	}
	if pe, ok := errors.AsType[*proxy.Error](err); ok && pe.Err != nil {
		return LocalCause(pe.Err)
	}
	return nil
}

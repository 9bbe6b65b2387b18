package probe

import (
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
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

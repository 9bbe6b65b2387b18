//go:build linux

package faultserver

import (
	"fmt"
	"net"
	"strconv"
	"syscall"
)

// Unanswered is a loopback listener whose accept queue is full, so that
// every further TCP connection attempt times out, as to a host behind a
// firewall that drops packets.
type Unanswered struct {
	fd     int
	filler net.Conn
	addr   string
}

// StartUnanswered listens on 127.0.0.1:0 with a backlog of zero, never
// accepts, and fills the queue with one connection of its own: Linux then
// drops every later SYN.
func StartUnanswered() (*Unanswered, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("faultserver: socket: %w", err)
	}
	u := &Unanswered{fd: fd}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		u.Close()
		return nil, fmt.Errorf("faultserver: bind: %w", err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		u.Close()
		return nil, fmt.Errorf("faultserver: listen: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		u.Close()
		return nil, fmt.Errorf("faultserver: getsockname: %w", err)
	}
	u.addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(sa.(*syscall.SockaddrInet4).Port))
	if u.filler, err = net.Dial("tcp", u.addr); err != nil {
		u.Close()
		return nil, fmt.Errorf("faultserver: fill the accept queue: %w", err)
	}
	return u, nil
}

// Addr is the listener's address, "127.0.0.1:port".
func (u *Unanswered) Addr() string { return u.addr }

// Close closes the filling connection and the listener.
func (u *Unanswered) Close() error {
	if u.filler != nil {
		_ = u.filler.Close()
	}
	return syscall.Close(u.fd)
}

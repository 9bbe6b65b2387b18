package probe

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"

	"github.com/certgate/certgate/pkg/proxy"
)

func TestLocalCause(t *testing.T) {
	dial := func(errno syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("socket", errno)}
	}
	for _, tt := range []struct {
		name string
		err  error
		want error
	}{
		{"EMFILE on dial", dial(syscall.EMFILE), syscall.EMFILE},
		{"ENFILE on dial", dial(syscall.ENFILE), syscall.ENFILE},
		{"ENOBUFS on write", fmt.Errorf("handshake: %w", dial(syscall.ENOBUFS)), syscall.ENOBUFS},
		{"ENOMEM", &Failure{Err: dial(syscall.ENOMEM)}, syscall.ENOMEM},
		{"EMFILE dialling the proxy", &Failure{Err: &proxy.Error{Proxy: "http://127.0.0.1:3128", Err: dial(syscall.EMFILE)}}, syscall.EMFILE},
		{"refused", dial(syscall.ECONNREFUSED), nil},
		{"proxy refused", &proxy.Error{Err: dial(syscall.ECONNREFUSED)}, nil},
		{"proxy status", &proxy.Error{Status: 403}, nil},
		{"other", errors.New("handshake failure"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := LocalCause(tt.err); got != tt.want {
				t.Errorf("LocalCause = %v, want %v", got, tt.want)
			}
			if got := IsLocalResourceExhausted(tt.err); got != (tt.want != nil) {
				t.Errorf("IsLocalResourceExhausted = %v, want %v", got, tt.want != nil)
			}
		})
	}
}

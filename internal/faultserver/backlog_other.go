//go:build !linux

package faultserver

import "errors"

// Unanswered is a loopback listener whose accept queue is full; it is
// available on Linux only.
type Unanswered struct{}

// StartUnanswered returns errors.ErrUnsupported outside Linux, where a full
// accept queue does not reliably drop new connections.
func StartUnanswered() (*Unanswered, error) { return nil, errors.ErrUnsupported }

// Addr is empty outside Linux.
func (u *Unanswered) Addr() string { return "" }

// Close does nothing outside Linux.
func (u *Unanswered) Close() error { return nil }

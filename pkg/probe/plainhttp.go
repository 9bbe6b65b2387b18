package probe

import (
	"crypto/tls"
	"errors"
)

// IsPlainHTTP reports whether a failed handshake failed because the peer
// answered in plain HTTP: the port serves HTTP, not HTTPS.
func IsPlainHTTP(f *Failure) bool {
	if f == nil {
		return false
	}
	var rh tls.RecordHeaderError
	return errors.As(f.Err, &rh) && looksHTTP(rh.RecordHeader[:])
}

package probe

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"time"
)

// DNSCache remembers host name lookups for the length of one run, so that a
// list naming one host many times (many paths, many ports) resolves it
// once. Answers and "no such host" errors are both kept; a lookup cut short
// by its context is not. Concurrent lookups of one host wait for the first.
// The zero value is not usable; make one with NewDNSCache.
type DNSCache struct {
	lookup func(ctx context.Context, host string) ([]net.IPAddr, error)
	mu     sync.Mutex
	m      map[string]*dnsEntry
}

type dnsEntry struct {
	done  chan struct{}
	addrs []net.IPAddr
	err   error
}

// NewDNSCache returns an empty cache that looks names up with
// net.DefaultResolver.
func NewDNSCache() *DNSCache {
	return &DNSCache{lookup: net.DefaultResolver.LookupIPAddr, m: map[string]*dnsEntry{}}
}

// NewDNSCacheFunc returns an empty cache that looks names up with lookup,
// which must behave as net.Resolver.LookupIPAddr does (a *net.DNSError
// when the name does not resolve): for a program with a resolver of its
// own, or a test that answers for names of its own.
func NewDNSCacheFunc(lookup func(ctx context.Context, host string) ([]net.IPAddr, error)) *DNSCache {
	return &DNSCache{lookup: lookup, m: map[string]*dnsEntry{}}
}

// Lookup returns the addresses of host, from the cache when it has them.
// Its error, like net.Resolver.LookupIPAddr's, is a *net.DNSError when the
// name does not resolve.
func (c *DNSCache) Lookup(ctx context.Context, host string) ([]net.IPAddr, error) {
	for {
		c.mu.Lock()
		e, ok := c.m[host]
		if !ok {
			e = &dnsEntry{done: make(chan struct{})}
			c.m[host] = e
		}
		c.mu.Unlock()
		if ok {
			select {
			case <-e.done:
				if e.err == nil || keepDNSError(e.err) {
					return e.addrs, e.err
				}
				continue // the first lookup was cut short: try again
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		e.addrs, e.err = c.lookup(ctx, host)
		if e.err != nil && !keepDNSError(e.err) {
			c.mu.Lock()
			delete(c.m, host)
			c.mu.Unlock()
		}
		close(e.done)
		return e.addrs, e.err
	}
}

// keepDNSError reports whether a lookup error is an answer about the name
// (kept for the run) rather than about this lookup (a timeout, a cancelled
// run).
func keepDNSError(err error) bool {
	var de *net.DNSError
	return errors.As(err, &de) && !de.IsTimeout && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// dialCached dials host:port through the cache: each address in turn, as
// net.Dialer does (addresses of the first family first), each given a fair
// part of what is left of ctx's time. It returns the first error when every
// address fails.
func dialCached(ctx context.Context, c *DNSCache, d *net.Dialer, host string, port int) (net.Conn, error) {
	addrs, err := c.Lookup(ctx, host)
	if err != nil {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: err}
	}
	if len(addrs) == 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var primary, fallback []net.IPAddr
	first4 := addrs[0].IP.To4() != nil
	for _, a := range addrs {
		if (a.IP.To4() != nil) == first4 {
			primary = append(primary, a)
		} else {
			fallback = append(fallback, a)
		}
	}
	ordered := append(primary, fallback...)
	var firstErr error
	for i, a := range ordered {
		dctx := ctx
		if dl, ok := ctx.Deadline(); ok {
			if part := partialDeadline(time.Until(dl), len(ordered)-i); part > 0 {
				var cancel context.CancelFunc
				dctx, cancel = context.WithTimeout(ctx, part)
				defer cancel()
			}
		}
		ip := a.IP.String()
		if a.Zone != "" {
			ip += "%" + a.Zone
		}
		conn, err := d.DialContext(dctx, "tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// partialDeadline shares remaining time among n addresses, at least 2s
// each when there is that much, as net.Dialer does.
func partialDeadline(remaining time.Duration, n int) time.Duration {
	if n <= 1 {
		return remaining
	}
	const floor = 2 * time.Second
	part := remaining / time.Duration(n)
	if part < floor {
		part = min(floor, remaining)
	}
	return part
}

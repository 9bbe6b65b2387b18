package truststore

import (
	"crypto/x509"
	"errors"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// The embedded stores hold some 150 roots each, and parsing all of them
// costs more than a one-target run spends on everything else. So their
// roots are parsed on demand: loading a store decodes each root's DER and
// reads its subject name (a few bytes of the DER, without x509 parsing);
// verification asks PoolFor for a pool of just the roots whose subject a
// chain names, and only those are parsed.

// Certificate returns the root's parsed certificate: Cert when it is set
// (stores built by New, from files or from the system store), else the
// certificate parsed from the embedded DER on first use. It returns nil only
// when the embedded DER does not parse, which the embedded stores' tests
// rule out.
func (r *Root) Certificate() *x509.Certificate {
	if r == nil {
		return nil
	}
	if r.Cert != nil {
		return r.Cert
	}
	if r.parsed != nil {
		return r.parsed()
	}
	return nil
}

// RawSubject returns the DER of the root's subject name, without parsing the
// certificate when it is not parsed yet.
func (r *Root) RawSubject() []byte {
	if r == nil {
		return nil
	}
	if r.rawSubject != nil {
		return r.rawSubject
	}
	if c := r.Certificate(); c != nil {
		return c.RawSubject
	}
	return nil
}

// parsedRoots counts the embedded roots parsed so far (for tests).
var parsedRoots atomic.Int64

// newLazyRoot returns a root of the DER certificate der, parsed on first use
// of Certificate.
func newLazyRoot(name, sha string, der []byte) (*Root, error) {
	subject, err := rawSubject(der)
	if err != nil {
		return nil, err
	}
	r := &Root{Name: name, SHA256: sha, rawSubject: subject}
	r.parsed = sync.OnceValue(func() *x509.Certificate {
		parsedRoots.Add(1)
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil
		}
		return c
	})
	return r, nil
}

// rawSubject returns the subject name of the DER certificate der, as
// x509.Certificate.RawSubject would: the complete TLV of the subject field of
// TBSCertificate.
func rawSubject(der []byte) ([]byte, error) {
	cert, _, err := derElement(der, 0x30) // Certificate
	if err != nil {
		return nil, err
	}
	tbs, _, err := derElement(contents(cert), 0x30) // TBSCertificate
	if err != nil {
		return nil, err
	}
	rest := contents(tbs)
	if len(rest) > 0 && rest[0] == 0xa0 { // [0] EXPLICIT version
		if _, rest, err = derElement(rest, 0xa0); err != nil {
			return nil, err
		}
	}
	// serialNumber INTEGER, signature AlgorithmIdentifier, issuer Name,
	// validity Validity, then subject Name.
	for _, tag := range []byte{0x02, 0x30, 0x30, 0x30} {
		if _, rest, err = derElement(rest, tag); err != nil {
			return nil, err
		}
	}
	subject, _, err := derElement(rest, 0x30)
	if err != nil {
		return nil, err
	}
	return subject, nil
}

// derElement splits the DER element of the given tag off the front of b: it
// returns the whole element (tag, length and contents) and the rest.
func derElement(b []byte, tag byte) (elem, rest []byte, err error) {
	if len(b) < 2 {
		return nil, nil, errors.New("certificate DER is truncated")
	}
	if b[0] != tag {
		return nil, nil, errors.New("certificate DER has tag 0x" + strconv.FormatUint(uint64(b[0]), 16) + " where 0x" + strconv.FormatUint(uint64(tag), 16) + " belongs")
	}
	n, hdr := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 || len(b) < 2+k {
			return nil, nil, errors.New("certificate DER has a bad length")
		}
		n = 0
		for _, x := range b[2 : 2+k] {
			n = n<<8 | int(x)
		}
		hdr += k
	}
	if len(b)-hdr < n {
		return nil, nil, errors.New("certificate DER is truncated")
	}
	return b[:hdr+n], b[hdr+n:], nil
}

// contents returns the contents of a DER element derElement returned.
func contents(elem []byte) []byte {
	if elem[1]&0x80 == 0 {
		return elem[2:]
	}
	return elem[2+int(elem[1]&0x7f):]
}

// RootsBySubject returns the roots of s whose subject name is the DER name
// raw (a certificate's RawIssuer or RawSubject), in store order, without
// parsing any root. The caller must not modify the returned slice.
func (s *Store) RootsBySubject(raw []byte) []*Root {
	if s == nil {
		return nil
	}
	idx := s.subjects()
	var out []*Root
	for _, i := range idx[string(raw)] {
		out = append(out, s.Roots[i])
	}
	return out
}

// subjects returns the index of s.Roots by subject name, built once.
func (s *Store) subjects() map[string][]int {
	s.subjectOnce.Do(func() {
		s.bySubject = make(map[string][]int, len(s.Roots))
		for i, r := range s.Roots {
			if raw := r.RawSubject(); raw != nil {
				s.bySubject[string(raw)] = append(s.bySubject[string(raw)], i)
			}
		}
	})
	return s.bySubject
}

// maxPools bounds the pools PoolFor remembers per store.
const maxPools = 256

// PoolFor returns a pool of the roots of s that crypto/x509 may use for a
// chain of certs: those whose subject is the issuer or the subject of one of
// the certificates (x509.Certificate.Verify looks roots up only by the
// issuer name of each certificate on a path, and by the leaf's own name to
// see whether it is a root). Verifying with it gives the answer verifying
// with every root gives, but parses only those roots. For a store built
// eagerly (New, files, the system store) it is Pool. Pools are remembered
// per set of roots. It never returns nil.
func (s *Store) PoolFor(certs ...[]*x509.Certificate) *x509.CertPool {
	if !s.lazy && s.Pool != nil {
		return s.Pool
	}
	idx := s.subjects()
	var picked []int
	for _, cs := range certs {
		for _, c := range cs {
			if c == nil {
				continue
			}
			picked = append(picked, idx[string(c.RawIssuer)]...)
			picked = append(picked, idx[string(c.RawSubject)]...)
		}
	}
	slices.Sort(picked)
	picked = slices.Compact(picked)
	var key strings.Builder
	for _, i := range picked {
		key.WriteString(strconv.Itoa(i))
		key.WriteByte(',')
	}
	k := key.String()
	s.poolMu.Lock()
	p, ok := s.pools[k]
	s.poolMu.Unlock()
	if ok {
		return p
	}
	p = x509.NewCertPool()
	for _, i := range picked {
		if c := s.Roots[i].Certificate(); c != nil {
			p.AddCert(c)
		}
	}
	s.poolMu.Lock()
	if s.pools == nil || len(s.pools) >= maxPools {
		s.pools = map[string]*x509.CertPool{}
	}
	s.pools[k] = p
	s.poolMu.Unlock()
	return p
}

// CertPool returns a pool of every root of s: Pool when it is set, else (the
// embedded stores) a pool built once from every root, parsing them all.
// Verification uses PoolFor instead.
func (s *Store) CertPool() *x509.CertPool {
	if s.Pool != nil {
		return s.Pool
	}
	s.fullOnce.Do(func() {
		s.full = x509.NewCertPool()
		for _, r := range s.Roots {
			if c := r.Certificate(); c != nil {
				s.full.AddCert(c)
			}
		}
	})
	return s.full
}

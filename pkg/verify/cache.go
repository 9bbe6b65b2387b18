package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"strconv"
	"sync"
	"sync/atomic"
	"weak"

	"github.com/certgate/certgate/pkg/truststore"
)

// The verification cache. Checking 10,000 sites behind one CA repeats the
// same work for every site: the signature of the intermediate by the root,
// the search for a path from the intermediate to a root of each store. This
// file keeps that work across chains, keyed by certificate fingerprints, so
// each site costs one signature check: its own leaf's.
//
// It never changes an answer. Two caches:
//
//   - signature checks (CheckSignatureFrom and self-signatures), keyed by the
//     SHA-256 of the child and of the parent: a pure function of the two
//     certificates' bytes;
//   - x509.Verify results per store, for leaves that crypto/x509 cannot tell
//     apart. The result of Verify depends on the leaf only through its
//     issuer name and authority key id (which parents are tried), whether
//     each tried parent's signature on it verifies, its validity at the
//     time, its extended key usages, its policies, and — only when a
//     certificate that could be on the path has name constraints or policy
//     constraints — its names and policy constraints. The cache key holds
//     all of these (or the cache is bypassed when constraints make the
//     leaf's names matter), plus the store, the presented intermediates'
//     fingerprints and which of the certificates that could be on a path
//     are valid at the time. A hit returns the remembered chains and error
//     with the leaf (and the presented intermediates) swapped in.
//
// Both are bounded: when full they are emptied and refill.

// cacheEnabled switches both caches; tests compare answers with and without.
var cacheEnabled = true

const (
	maxSigEntries    = 1 << 15
	maxVerifyEntries = 1 << 12
	maxClosure       = 64
	// maxUnreachable bounds the closure for the unreachable-root shortcut:
	// with at most 3 candidates crypto/x509 makes fewer than its 100
	// signature checks, so it cannot fail for that reason instead.
	maxUnreachable = 3
)

// verifyHits counts Verify answers served from the cache (for tests).
var verifyHits, unreachableHits atomic.Int64

type fingerprint = [sha256.Size]byte

func fp(c *x509.Certificate) fingerprint { return sha256.Sum256(c.Raw) }

type sigKey struct {
	child, parent fingerprint
	self          bool
}

var sigCache = struct {
	sync.Mutex
	m map[sigKey]error
}{m: map[sigKey]error{}}

func cachedSig(k sigKey, check func() error) error {
	if !cacheEnabled {
		return check()
	}
	sigCache.Lock()
	err, ok := sigCache.m[k]
	sigCache.Unlock()
	if ok {
		return err
	}
	err = check()
	sigCache.Lock()
	if len(sigCache.m) >= maxSigEntries {
		clear(sigCache.m)
	}
	sigCache.m[k] = err
	sigCache.Unlock()
	return err
}

// checkSignatureFrom is child.CheckSignatureFrom(parent), remembered.
func checkSignatureFrom(child, parent *x509.Certificate) error {
	return cachedSig(sigKey{child: fp(child), parent: fp(parent)}, func() error { return child.CheckSignatureFrom(parent) })
}

// checkSelfSignature is c.CheckSignature over c's own signature with c's
// own key, remembered.
func checkSelfSignature(c *x509.Certificate) error {
	f := fp(c)
	return cachedSig(sigKey{child: f, parent: f, self: true}, func() error {
		return c.CheckSignature(c.SignatureAlgorithm, c.RawTBSCertificate, c.Signature)
	})
}

// storeIndex finds a store's roots by subject name.
type storeIndex struct{ s *truststore.Store }

// named returns the roots of the store whose subject is the DER name raw,
// parsing only those.
func (x storeIndex) named(raw []byte) []*x509.Certificate {
	var out []*x509.Certificate
	for _, r := range x.s.RootsBySubject(raw) {
		if c := r.Certificate(); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// has reports whether the store holds a root whose subject is raw, without
// parsing any root.
func (x storeIndex) has(raw []byte) bool { return len(x.s.RootsBySubject(raw)) > 0 }

// verifyEntry is what is known for one class of leaves.
type verifyEntry struct {
	closure       []*x509.Certificate // certificates that could be on a path, leaf excluded
	rootReachable bool                // a root of the store is among them
	usable        bool                // false: the leaf's names or policies matter; do not cache
	byMask        map[uint64]verifyResult
}

type verifyResult struct {
	chains [][]*x509.Certificate
	err    error
	leaf   *x509.Certificate   // the leaf the result was computed for
	inter  []*x509.Certificate // its presented intermediates (certs[1:])
}

var verifyCache = struct {
	sync.Mutex
	m map[string]*verifyEntry
}{m: map[string]*verifyEntry{}}

// indexOf returns the subject index of s (the store keeps it).
func indexOf(s *truststore.Store) storeIndex { return storeIndex{s} }

// verifyLeaf is leaf.Verify(vo) for the chain certs (leaf first) against
// store s, whose pool (s.PoolFor(certs)) is vo.Roots, with vo.Intermediates holding certs[1:];
// remembered across leaves that Verify cannot tell apart.
func verifyLeaf(certs []*x509.Certificate, s *truststore.Store, vo x509.VerifyOptions) ([][]*x509.Certificate, error) {
	leaf := certs[0]
	if !cacheEnabled || s == nil || s.Name == truststore.System || vo.DNSName != "" ||
		len(vo.CertificatePolicies) > 0 || len(certs) > 8 || !plainLeaf(leaf) ||
		vo.CurrentTime.Before(leaf.NotBefore) || vo.CurrentTime.After(leaf.NotAfter) {
		return leaf.Verify(vo)
	}
	idx := indexOf(s)
	if idx.has(leaf.RawSubject) {
		return leaf.Verify(vo) // the leaf may itself be a root of the store
	}
	key := verifyKey(certs, s, vo)
	verifyCache.Lock()
	e, seen := verifyCache.m[key]
	verifyCache.Unlock()
	if !seen {
		e = newEntry(certs, idx)
		verifyCache.Lock()
		if len(verifyCache.m) >= maxVerifyEntries {
			clear(verifyCache.m)
		}
		verifyCache.m[key] = e
		verifyCache.Unlock()
	}
	if !e.rootReachable && len(e.closure) <= maxUnreachable {
		// No certificate the path search can reach by issuer names is a
		// root of this store: crypto/x509 can build no chain at any time,
		// and for a valid, plain leaf it says so with an
		// UnknownAuthorityError (the closure is too small to reach its
		// signature-check limit). Skip its signature checks.
		unreachableHits.Add(1)
		return nil, x509.UnknownAuthorityError{Cert: leaf}
	}
	if !e.usable || !seen {
		// The first leaf of a class is verified by crypto/x509 alone, so a
		// one-target run checks its leaf's signature once; the cache
		// starts with the second.
		return leaf.Verify(vo)
	}
	// Every parent crypto/x509 will try for the leaf must accept its
	// signature: the one leaf-specific signature check, remembered for the
	// rest of this chain's checks.
	for _, p := range certs[1:] {
		if bytes.Equal(p.RawSubject, leaf.RawIssuer) && checkSignatureFrom(leaf, p) != nil {
			return leaf.Verify(vo)
		}
	}
	for _, p := range idx.named(leaf.RawIssuer) {
		if checkSignatureFrom(leaf, p) != nil {
			return leaf.Verify(vo)
		}
	}
	var mask uint64
	for i, c := range e.closure {
		if !vo.CurrentTime.Before(c.NotBefore) && !vo.CurrentTime.After(c.NotAfter) {
			mask |= 1 << i
		}
	}
	verifyCache.Lock()
	r, hit := e.byMask[mask]
	verifyCache.Unlock()
	if hit {
		verifyHits.Add(1)
		return r.rebind(certs)
	}
	chains, err := leaf.Verify(vo)
	if cacheable(err) {
		verifyCache.Lock()
		e.byMask[mask] = verifyResult{chains: chains, err: err, leaf: leaf, inter: certs[1:]}
		verifyCache.Unlock()
	}
	return chains, err
}

// plainLeaf reports whether nothing about the leaf beyond the cache key can
// change Verify's answer: it is no CA, has no unhandled critical extension,
// and sets no policy constraints or mappings of its own.
func plainLeaf(c *x509.Certificate) bool {
	return len(c.Raw) > 0 && !c.IsCA && len(c.UnhandledCriticalExtensions) == 0 && !policyConstrained(c) &&
		!bytes.Equal(c.RawSubject, c.RawIssuer)
}

func policyConstrained(c *x509.Certificate) bool {
	return len(c.PolicyMappings) > 0 || c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero ||
		c.InhibitPolicyMapping > 0 || c.InhibitPolicyMappingZero || c.InhibitAnyPolicy > 0 || c.InhibitAnyPolicyZero
}

func nameConstrained(c *x509.Certificate) bool {
	return len(c.PermittedDNSDomains) > 0 || len(c.ExcludedDNSDomains) > 0 ||
		len(c.PermittedIPRanges) > 0 || len(c.ExcludedIPRanges) > 0 ||
		len(c.PermittedEmailAddresses) > 0 || len(c.ExcludedEmailAddresses) > 0 ||
		len(c.PermittedURIDomains) > 0 || len(c.ExcludedURIDomains) > 0 || c.PermittedDNSDomainsCritical
}

// digests remembers storeDigest per store: hashing every root for every
// chain and store was a quarter of a run's allocations. An entry is used
// only while the store's Roots slice is the one it was computed from (like
// the subject index the store keeps, it assumes roots are not edited in
// place once verification has started). Keys are weak, so a store that is
// dropped is not kept, and a later store at its address is a new key; the
// memo is emptied when it reaches maxDigests.
var (
	digests     sync.Map // weak.Pointer[truststore.Store] -> storeDigestMemo
	digestCount atomic.Int64
)

const maxDigests = 1 << 10

type storeDigestMemo struct {
	first weak.Pointer[truststore.Root]
	n     int
	d     fingerprint
}

// storeDigest identifies a store by what Verify reads of it: its roots,
// by fingerprint, in order. Two stores with the same roots share answers;
// a store is never known by its address, which a later store may reuse.
func storeDigest(s *truststore.Store) fingerprint {
	var first weak.Pointer[truststore.Root]
	if len(s.Roots) > 0 {
		first = weak.Make(s.Roots[0])
	}
	key := weak.Make(s)
	if v, ok := digests.Load(key); ok {
		if m := v.(storeDigestMemo); m.first == first && m.n == len(s.Roots) {
			return m.d
		}
	}
	d := computeStoreDigest(s)
	if digestCount.Add(1) > maxDigests {
		digests.Clear()
		digestCount.Store(1)
	}
	digests.Store(key, storeDigestMemo{first: first, n: len(s.Roots), d: d})
	return d
}

// computeStoreDigest is storeDigest without the memo.
func computeStoreDigest(s *truststore.Store) fingerprint {
	h := sha256.New()
	for _, r := range s.Roots {
		switch {
		case r.SHA256 != "":
			h.Write([]byte(r.SHA256))
		case r.Cert != nil:
			f := fp(r.Cert) // a store built by hand, without fingerprints
			h.Write([]byte(hex.EncodeToString(f[:])))
		}
		h.Write([]byte{0})
	}
	var d fingerprint
	h.Sum(d[:0])
	return d
}

// verifyKey names the class of the leaf and everything else Verify reads.
func verifyKey(certs []*x509.Certificate, s *truststore.Store, vo x509.VerifyOptions) string {
	leaf := certs[0]
	var b bytes.Buffer
	d := storeDigest(s)
	b.Write(d[:])
	b.WriteByte(0)
	for _, c := range certs[1:] {
		f := fp(c)
		b.Write(f[:])
	}
	b.WriteByte(0)
	for _, u := range vo.KeyUsages {
		b.WriteString(strconv.Itoa(int(u)))
		b.WriteByte(',')
	}
	b.WriteByte(0)
	writeLen(&b, leaf.RawIssuer)
	writeLen(&b, leaf.AuthorityKeyId)
	b.WriteString(strconv.Itoa(int(leaf.SignatureAlgorithm)))
	b.WriteByte(0)
	for _, u := range leaf.ExtKeyUsage {
		b.WriteString(strconv.Itoa(int(u)))
		b.WriteByte(',')
	}
	b.WriteString(strconv.Itoa(len(leaf.UnknownExtKeyUsage)))
	b.WriteByte(0)
	for _, p := range leaf.Policies {
		writeLen(&b, []byte(p.String()))
	}
	return b.String()
}

func writeLen(b *bytes.Buffer, v []byte) {
	b.WriteString(strconv.Itoa(len(v)))
	b.WriteByte(':')
	b.Write(v)
}

// newEntry finds every certificate that could be on a path from the leaf:
// presented certificates and store roots reached by following issuer names.
func newEntry(certs []*x509.Certificate, idx storeIndex) *verifyEntry {
	leaf := certs[0]
	e := &verifyEntry{usable: true, byMask: map[uint64]verifyResult{}}
	seen := map[*x509.Certificate]bool{}
	queue := [][]byte{leaf.RawIssuer}
	seenName := map[string]bool{}
	for len(queue) > 0 {
		name := queue[0]
		queue = queue[1:]
		if seenName[string(name)] {
			continue
		}
		seenName[string(name)] = true
		var found []*x509.Certificate
		for _, c := range certs[1:] {
			if bytes.Equal(c.RawSubject, name) {
				found = append(found, c)
			}
		}
		roots := idx.named(name)
		found = append(found, roots...)
		if len(roots) > 0 {
			e.rootReachable = true
		}
		for _, c := range found {
			if seen[c] {
				continue
			}
			seen[c] = true
			e.closure = append(e.closure, c)
			queue = append(queue, c.RawIssuer)
		}
	}
	if len(e.closure) > maxClosure {
		e.usable = false
	}
	for _, c := range e.closure {
		// Constraints make the leaf's names or policies matter; a
		// certificate like the leaf could be taken for it (alreadyInChain).
		if nameConstrained(c) || policyConstrained(c) || bytes.Equal(c.RawSubject, leaf.RawSubject) {
			e.usable = false
		}
	}
	return e
}

// cacheable reports whether err names no certificate in a way rebind cannot
// swap.
func cacheable(err error) bool {
	if err == nil {
		return true
	}
	switch e := err.(type) {
	case x509.UnknownAuthorityError:
		return true
	case x509.CertificateInvalidError:
		return e.Reason != x509.CANotAuthorizedForThisName && e.Reason != x509.Expired
	}
	return false
}

// rebind returns the remembered answer with the certificates of certs in
// place of those it was computed for.
func (r verifyResult) rebind(certs []*x509.Certificate) ([][]*x509.Certificate, error) {
	swap := func(c *x509.Certificate) *x509.Certificate {
		if c == r.leaf {
			return certs[0]
		}
		for i, p := range r.inter {
			if c == p {
				return certs[1+i]
			}
		}
		return c
	}
	var chains [][]*x509.Certificate
	for _, ch := range r.chains {
		n := make([]*x509.Certificate, len(ch))
		for i, c := range ch {
			n[i] = swap(c)
		}
		chains = append(chains, n)
	}
	err := r.err
	switch e := err.(type) {
	case x509.UnknownAuthorityError:
		e.Cert = swap(e.Cert)
		err = e
	case x509.CertificateInvalidError:
		e.Cert = swap(e.Cert)
		err = e
	}
	return chains, err
}

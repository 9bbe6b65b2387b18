package truststore

import (
	"crypto/x509"
	"strings"
	"sync"
	"time"
)

// Rule kinds.
const (
	// RuleDistrustAfter rejects a chain ending at the root when the leaf's
	// notBefore is after Rule.Date (Mozilla CKA_NSS_SERVER_DISTRUST_AFTER,
	// Java jdk.security.caDistrustPolicies).
	RuleDistrustAfter = "distrust-after"
	// RuleNameConstraint rejects a chain ending at the root when a DNS name of
	// the leaf lies outside Rule.PermittedDNS.
	RuleNameConstraint = "name-constraint"
)

// Rule is one server-auth restriction a store's owner places on a root.
type Rule struct {
	// Kind is RuleDistrustAfter or RuleNameConstraint.
	Kind string
	// Name is the owner's name for the rule, e.g. "CKA_NSS_SERVER_DISTRUST_AFTER"
	// or "SYMANTEC_TLS".
	Name string
	// Date is the cut-off of a distrust-after rule.
	Date time.Time
	// PermittedDNS lists the DNS suffixes a name constraint permits (".tr").
	PermittedDNS []string
	// ExceptSubCA lists SHA-256 fingerprints (lower-case hex) of sub-CAs
	// directly under the root that get ExceptDate as their cut-off instead.
	ExceptSubCA []string
	// ExceptDate is the cut-off for chains through an ExceptSubCA.
	ExceptDate time.Time
}

// Root is one trust anchor of a store.
type Root struct {
	// Name is the store's name for the root (Mozilla: CN or OU; Java: alias).
	Name string
	// SHA256 is the lower-case hex SHA-256 of the DER certificate.
	SHA256 string
	// Cert is the parsed certificate of a root built eagerly (New, files,
	// the system store); nil for a root of an embedded store, which is
	// parsed on demand. Use Certificate, which serves both.
	Cert *x509.Certificate
	// Rules are the restrictions on the root, empty for most.
	Rules []Rule

	// rawSubject is the subject name read from the DER of an embedded root.
	rawSubject []byte
	// parsed parses an embedded root once, on first use.
	parsed func() *x509.Certificate
}

// Store is one named set of trust anchors with its policy.
type Store struct {
	// Name is "mozilla", "java", "system", or the path of a user file.
	Name string
	// Source says where the roots come from (upstream name or file path).
	Source string
	// Version identifies the snapshot: an upstream version or date.
	Version string
	// Date is the snapshot date of an embedded store (freshness checks);
	// zero for the system store and user files.
	Date time.Time
	// Roots are the anchors in the store's order.
	Roots []*Root
	// Pool holds every root of a store built eagerly (New, files, the system
	// store), without constraints: the validator applies Rules itself so it
	// can name the rule that rejected a chain. It is nil for the embedded
	// stores, whose roots are parsed on demand: verification uses PoolFor,
	// and CertPool gives every root of any store.
	Pool *x509.CertPool

	// index maps lower-case hex SHA-256 to root; built once by Lookup.
	indexOnce sync.Once
	index     map[string]*Root

	// lazy marks an embedded store: roots are parsed on demand.
	lazy bool
	// bySubject maps raw subject names to indexes of Roots; built once.
	subjectOnce sync.Once
	bySubject   map[string][]int
	// pools remembers PoolFor's pools by their set of roots.
	poolMu sync.Mutex
	pools  map[string]*x509.CertPool
	// full is CertPool's pool of a store without Pool.
	fullOnce sync.Once
	full     *x509.CertPool
}

// New returns a store named name, at version, holding roots in order (a
// root whose fingerprint is already there is skipped). A Root without
// SHA256 gets it from its certificate. It is how callers and tests build a
// store from certificates and rules of their own; Load builds the others.
func New(name, version string, roots []*Root) *Store {
	s := newStore(name, name, version)
	for _, r := range roots {
		if r == nil || r.Cert == nil {
			continue
		}
		if r.SHA256 == "" {
			r.SHA256 = fingerprint(r.Cert)
		}
		r.SHA256 = strings.ToLower(r.SHA256)
		if r.Name == "" {
			r.Name = certName(r.Cert)
		}
		s.add(r)
	}
	return s
}

// Fingerprint returns the lower-case hex SHA-256 of c's DER encoding, the
// form Root.SHA256 and the manifest use.
func Fingerprint(c *x509.Certificate) string { return fingerprint(c) }

// PolicyError results when a chain reaches a root of the store but the
// store's owner restricts that root (a distrust-after date or a name
// constraint) in a way the chain violates.
type PolicyError struct {
	// Store is the store name.
	Store string
	// Root is the restricted root.
	Root *Root
	// Rule is the rule the chain violates.
	Rule Rule
	// Reason is a lower-case sentence with the facts, e.g. "leaf notBefore
	// 2026-05-01 is after the SYMANTEC_TLS cut-off 2019-04-16".
	Reason string
}

func (e *PolicyError) Error() string {
	return "truststore " + e.Store + ": root " + e.Root.Name + " is restricted by " + e.Rule.Name + ": " + e.Reason
}

package truststore

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Lookup returns the root of s that is cert (by SHA-256 of the DER), or nil.
// The fingerprint index is built once; a Store must not be copied after its
// first use.
func (s *Store) Lookup(cert *x509.Certificate) *Root {
	if s == nil || cert == nil {
		return nil
	}
	s.indexOnce.Do(func() {
		if len(s.index) == len(s.Roots) {
			return
		}
		s.index = make(map[string]*Root, len(s.Roots))
		for _, r := range s.Roots {
			fp := r.SHA256
			if fp == "" && r.Cert != nil {
				fp = fingerprint(r.Cert)
			}
			s.index[strings.ToLower(fp)] = r
		}
	})
	return s.index[fingerprint(cert)]
}

// CheckPolicy applies the rules of the root that chain ends at. chain[0] is
// the leaf and chain[len(chain)-1] a root of s. It returns nil when the chain
// is empty, does not end at a root of s, or violates none of the root's
// rules; else it describes the first rule violated.
//
// A distrust-after rule is judged on the leaf's NotBefore: later than
// Rule.Date is a violation, except that when the certificate directly under
// the root is one of Rule.ExceptSubCA the cut-off is Rule.ExceptDate. A
// name-constraint rule requires every DNS name of the leaf to be one of
// Rule.PermittedDNS or under it (".tr" permits "x.tr", "a.b.tr").
func (s *Store) CheckPolicy(chain []*x509.Certificate) *PolicyError {
	if len(chain) == 0 {
		return nil
	}
	root := s.Lookup(chain[len(chain)-1])
	if root == nil || len(root.Rules) == 0 {
		return nil
	}
	leaf := chain[0]
	for _, rule := range root.Rules {
		var reason string
		switch rule.Kind {
		case RuleDistrustAfter:
			reason = checkDistrustAfter(rule, chain)
		case RuleNameConstraint:
			reason = checkNameConstraint(rule, leaf)
		}
		if reason != "" {
			return &PolicyError{Store: s.Name, Root: root, Rule: rule, Reason: reason}
		}
	}
	return nil
}

// Cutoff returns the distrust-after date that applies to chain (leaf first,
// root last): Rule.ExceptDate when the certificate directly under the root
// is one of Rule.ExceptSubCA, else Rule.Date. It returns the zero time for a
// rule that is not a distrust-after rule.
func (r Rule) Cutoff(chain []*x509.Certificate) time.Time {
	if r.Kind != RuleDistrustAfter {
		return time.Time{}
	}
	if exemptSubCA(r, chain) != nil {
		return r.ExceptDate
	}
	return r.Date
}

// exemptSubCA returns the certificate directly under the root when it is
// one of rule.ExceptSubCA, else nil.
func exemptSubCA(rule Rule, chain []*x509.Certificate) *x509.Certificate {
	if len(chain) <= 2 || len(rule.ExceptSubCA) == 0 {
		return nil
	}
	sub := chain[len(chain)-2]
	h := sha256.Sum256(sub.Raw)
	if slices.Contains(rule.ExceptSubCA, hex.EncodeToString(h[:])) {
		return sub
	}
	return nil
}

func checkDistrustAfter(rule Rule, chain []*x509.Certificate) string {
	if len(chain) < 2 || rule.Date.IsZero() {
		return "" // the root itself, or a rule without a date
	}
	leaf := chain[0]
	cutoff, via := rule.Date, ""
	if sub := exemptSubCA(rule, chain); sub != nil {
		cutoff, via = rule.ExceptDate, " for sub-CA "+certName(sub)
	}
	if !leaf.NotBefore.After(cutoff) {
		return ""
	}
	return fmt.Sprintf("leaf notBefore %s is after the %s cut-off %s%s",
		leaf.NotBefore.UTC().Format(time.RFC3339), rule.Name, cutoff.UTC().Format(time.RFC3339), via)
}

func checkNameConstraint(rule Rule, leaf *x509.Certificate) string {
	for _, name := range leaf.DNSNames {
		if !permitted(name, rule.PermittedDNS) {
			return fmt.Sprintf("leaf name %s is outside the permitted names %s", name, strings.Join(rule.PermittedDNS, ", "))
		}
	}
	return ""
}

// permitted reports whether DNS name lies within one of the permitted
// suffixes: ".tr" permits names ending in ".tr"; "example.tr" permits itself
// and names under it.
func permitted(name string, suffixes []string) bool {
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	for _, p := range suffixes {
		p = strings.TrimSuffix(strings.ToLower(p), ".")
		if p == "" {
			continue
		}
		if strings.HasPrefix(p, ".") {
			if strings.HasSuffix(name, p) && len(name) > len(p) {
				return true
			}
			continue
		}
		if name == p || strings.HasSuffix(name, "."+p) {
			return true
		}
	}
	return false
}

package config

import (
	"fmt"
	"strings"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
)

// Check returns the problems of a chain that does not meet x's root and
// issuer pins: chain is the presented chain, stores what each trust store
// found; where names the config entry ("certgate.yaml:12") in messages.
// A pin is judged only when a store has a path: a chain no store trusts
// fails already.
func (x Expect) Check(chain []result.Cert, stores []decide.Store, where string) []result.Problem {
	var ps []result.Problem
	if x.Root != "" {
		var roots []string
		matched := false
		for _, s := range stores {
			if !s.Path {
				continue
			}
			if matches(x.Root, s.Root, s.RootSHA256) {
				matched = true
			}
			roots = append(roots, fmt.Sprintf("%q (%s store)", s.Root, s.Name))
		}
		if !matched && len(roots) > 0 {
			ps = append(ps, result.Problem{ID: result.ProblemExpectRootMismatch, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1,
				Message: fmt.Sprintf("the chain ends at %s, not at the root %q that %s expects: if the CA switch was planned, update expect.root", strings.Join(roots, ", "), x.Root, where)})
		}
	}
	if x.Issuer != "" && len(chain) > 0 {
		fp := ""
		if len(chain) > 1 && chain[1].Subject == chain[0].Issuer {
			fp = chain[1].SHA256
		}
		if !matches(x.Issuer, chain[0].Issuer, fp) {
			ps = append(ps, result.Problem{ID: result.ProblemExpectIssuerMismatch, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: 0,
				Message: fmt.Sprintf("the leaf is issued by %q, not by %q as %s expects: if the CA change was planned, update expect.issuer", chain[0].Issuer, x.Issuer, where)})
		}
	}
	return ps
}

// matches reports whether pin names a certificate: its SHA-256
// fingerprint (hex; colons, spaces and case ignored) or a part of its name
// (case ignored).
func matches(pin, name, sha256 string) bool {
	fp := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(pin))
	if len(fp) == 64 && sha256 != "" && fp == strings.ToLower(sha256) {
		return true
	}
	return name != "" && strings.Contains(strings.ToLower(name), strings.ToLower(strings.TrimSpace(pin)))
}

// AddressesProblem returns the problem of a result checked at another
// number of addresses than x expects, if any; where names the entry.
func (x Expect) AddressesProblem(r *result.Result, where string) []result.Problem {
	if x.Addresses == nil || r.Status == result.StatusError && len(r.Addresses) == 0 {
		return nil
	}
	n := len(r.Addresses)
	if n == 0 && r.Address != "" {
		n = 1
	}
	if n == *x.Addresses {
		return nil
	}
	return []result.Problem{{ID: result.ProblemExpectAddresses, Severity: result.SeverityWarn, Cert: -1,
		Message: fmt.Sprintf("%s answered at %d %s, not %d as %s expects: check the DNS records, or update expect.addresses", r.Target, n, map[bool]string{true: "address", false: "addresses"}[n == 1], *x.Addresses, where)}}
}

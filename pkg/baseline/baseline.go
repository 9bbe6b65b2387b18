// Package baseline compares two runs of certgate check, target by target
// and address by address. The changes it finds are facts, problems with
// stable ids (result.ProblemChangedRoot and the others of
// pkg/result/problems_diff.go); decide.ApplyChanges and decide.AddChanges
// judge them.
package baseline

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
)

// MaxBytes bounds the size of a results file Read accepts.
const MaxBytes = 1 << 30

// FormatError is a results file that cannot be read: what is wrong, where,
// and how to fix it.
type FormatError struct {
	// Name names the file.
	Name string
	// Line is the 1-based line of a JSON Lines file, 0 for a JSON array.
	Line int
	// Msg says what is wrong and how to fix it.
	Msg string
}

// Error returns "name:line: message".
func (e *FormatError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.Name, e.Msg)
}

// Read reads the results of a check run as -o json (an array) or -o jsonl
// (one object a line) writes them. name names the input in errors.
func Read(r io.Reader, name string) ([]result.Result, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, &FormatError{Name: name, Msg: fmt.Sprintf("cannot be read: %v", err)}
	}
	if len(data) > MaxBytes {
		return nil, &FormatError{Name: name, Msg: "is larger than 1 GiB (compare fewer targets per file)"}
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n\ufeff")
	trimmed = bytes.TrimPrefix(trimmed, []byte("\ufeff"))
	if len(trimmed) == 0 {
		return nil, &FormatError{Name: name, Msg: "is empty (write it with certgate check -o json > FILE)"}
	}
	var out []result.Result
	if trimmed[0] == '[' {
		dec := json.NewDecoder(bytes.NewReader(trimmed))
		if err := dec.Decode(&out); err != nil {
			return nil, &FormatError{Name: name, Msg: fmt.Sprintf("not a JSON array of results: %v (write it with certgate check -o json)", err)}
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return nil, &FormatError{Name: name, Msg: "has data after the JSON array (keep one array per file)"}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(trimmed))
		sc.Buffer(make([]byte, 0, 64<<10), MaxBytes)
		line := 0
		for sc.Scan() {
			line++
			l := bytes.TrimSpace(sc.Bytes())
			if len(l) == 0 {
				continue
			}
			var r result.Result
			if err := json.Unmarshal(l, &r); err != nil {
				return nil, &FormatError{Name: name, Line: line, Msg: fmt.Sprintf("not a JSON result: %v (write the file with certgate check -o json or -o jsonl)", err)}
			}
			out = append(out, r)
		}
		if err := sc.Err(); err != nil {
			return nil, &FormatError{Name: name, Line: line + 1, Msg: fmt.Sprintf("cannot be read: %v", err)}
		}
	}
	for i := range out {
		if out[i].Schema != result.Schema {
			return nil, &FormatError{Name: name, Msg: fmt.Sprintf("result %d has schema %q, not %s (write the file with this certgate's check -o json)", i+1, out[i].Schema, result.Schema)}
		}
		if out[i].Target == "" {
			return nil, &FormatError{Name: name, Msg: fmt.Sprintf("result %d has no target", i+1)}
		}
		out[i].Index = i
	}
	return out, nil
}

// ReadFile reads a results file (see Read).
func ReadFile(path string) ([]result.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, &FormatError{Name: path, Msg: "no such file (write one with certgate check -o json > " + path + ", or --update-baseline)"}
		}
		return nil, &FormatError{Name: path, Msg: fmt.Sprintf("cannot be read: %v", err)}
	}
	defer f.Close()
	return Read(f, path)
}

// Pair is one target of a comparison: its baseline result and its new
// one; Old is nil for a target not in the baseline, New nil for one that
// was not checked again.
type Pair struct {
	Old, New *result.Result
}

// Match pairs the targets of two runs by their target text, in the new
// run's order, then the baseline's targets missing from it. A target
// listed several times is paired in order of appearance.
func Match(old, new []result.Result) []Pair {
	byTarget := map[string][]int{}
	for i := range old {
		byTarget[old[i].Target] = append(byTarget[old[i].Target], i)
	}
	used := make([]bool, len(old))
	var out []Pair
	for i := range new {
		p := Pair{New: &new[i]}
		if idx := byTarget[new[i].Target]; len(idx) > 0 {
			p.Old = &old[idx[0]]
			used[idx[0]] = true
			byTarget[new[i].Target] = idx[1:]
		}
		out = append(out, p)
	}
	for i := range old {
		if !used[i] {
			out = append(out, Pair{Old: &old[i]})
		}
	}
	return out
}

// Diff compares two runs and returns one result per target, its problems
// the changes, judged by decide.ApplyChanges: the new result as it was
// decided (for a target no longer checked, the baseline's), its status and
// code the certificates', with the changes added to its problems.
func Diff(old, new []result.Result) []result.Result {
	pairs := Match(old, new)
	out := make([]result.Result, 0, len(pairs))
	for i, p := range pairs {
		var r result.Result
		if p.New != nil {
			r = *p.New
		} else {
			r = *p.Old
		}
		r.Index = i
		decide.ApplyChanges(&r, Changes(p.Old, p.New))
		out = append(out, r)
	}
	return out
}

// Changes lists what changed for one target between its baseline result
// old and its new result; either may be nil. The problems' severities
// are decide's (decide.ChangeSeverity).
func Changes(old, new *result.Result) []result.Problem {
	var cs []result.Problem
	add := func(id, format string, a ...any) {
		cs = append(cs, result.Problem{ID: id, Severity: decide.ChangeSeverity(id), Cert: -1, Message: fmt.Sprintf(format, a...)})
	}
	switch {
	case old == nil && new == nil:
		return nil
	case old == nil:
		add(result.ProblemTargetAdded, "%s is not in the baseline: it is compared from the next run on", new.Target)
		return cs
	case new == nil:
		add(result.ProblemTargetRemoved, "%s is in the baseline but was not checked: check it again, or update the baseline to drop it", old.Target)
		return cs
	}

	if decide.Worse(new, old) {
		p := result.Problem{ID: result.ProblemVerdictWorse, Severity: decide.VerdictWorseSeverity(new.Status), Code: new.Code, Cert: -1,
			Message: fmt.Sprintf("the verdict went from %s to %s", verdict(old), verdict(new))}
		if new.Detail != "" {
			p.Message += ": " + new.Detail
		}
		cs = append(cs, p)
	}

	ol, nl := leaf(old), leaf(new)
	if ol != nil && nl != nil {
		// Roots are compared only when both runs reached a root of a
		// store: an untrusted run has no root to compare, and what changed
		// then shows as changed-chain and in the verdict.
		oRoots, nRoots := roots(old), roots(new)
		rootsKnown := len(oRoots) > 0 && len(nRoots) > 0
		sameRoot := rootsKnown && shareRoot(oRoots, nRoots)
		rollback := ol.SHA256 != nl.SHA256 && nl.NotBefore.Before(ol.NotBefore)
		// A CA that rotates its intermediates at renewal (Let's Encrypt's
		// R10/R11, E5/E6) issues from another intermediate of its own,
		// under the same root: a routine renewal.
		rotated := false
		switch {
		case rootsKnown && !sameRoot:
			add(result.ProblemChangedRoot, "the chain now ends at the root %s, not %s as in the baseline: a switch of CA; if it was planned, update the baseline", rootName(new), rootName(old))
		case ol.Issuer != nl.Issuer:
			oOrg, nOrg := dnAttr(ol.Issuer, "O"), dnAttr(nl.Issuer, "O")
			switch {
			case sameRoot && !rollback && oOrg != "" && oOrg == nOrg:
				rotated = true
			case sameRoot:
				add(result.ProblemChangedIssuer, "the leaf is now issued by %q, not %q as in the baseline (the same root, another organization): update the baseline if the change of CA was planned", nl.Issuer, ol.Issuer)
			default:
				add(result.ProblemChangedIssuer, "the leaf is now issued by %q, not %q as in the baseline: update the baseline if the change of CA was planned", nl.Issuer, ol.Issuer)
			}
		}
		oc, nc := chainShape(old.Chain), chainShape(new.Chain)
		if rotated {
			oc = chainShape(renameIssuer(old.Chain, ol.Issuer, nl.Issuer))
		}
		if oc != nc {
			add(result.ProblemChangedChain, "the presented chain changed from %s to %s: check that the server sends the intended intermediates", chainShape(old.Chain), nc)
		}
		if ob, nb := keyStrength(ol.Key), keyStrength(nl.Key); ob > 0 && nb > 0 && nb < ob {
			add(result.ProblemKeyWeaker, "the leaf's key is now %s, weaker than %s in the baseline: reissue with a key at least as strong", nl.Key, ol.Key)
		}
		if ol.SHA256 != nl.SHA256 {
			switch {
			case rollback:
				add(result.ProblemLeafRollback, "the leaf (issued %s, expires %s) is older than the baseline's (issued %s): an old certificate is back; deploy the current one",
					day(nl.NotBefore), day(nl.NotAfter), day(ol.NotBefore))
			case rotated:
				add(result.ProblemRenewed, "the leaf was renewed by the same CA under the same root, from its intermediate %q instead of %q: it now expires %s (was %s)",
					dnAttr(nl.Issuer, "CN"), dnAttr(ol.Issuer, "CN"), day(nl.NotAfter), day(ol.NotAfter))
			case ol.Issuer == nl.Issuer && (sameRoot || !rootsKnown):
				add(result.ProblemRenewed, "the leaf was renewed by the same CA: it now expires %s (was %s)", day(nl.NotAfter), day(ol.NotAfter))
			}
		}
	}

	oa, na := addresses(old), addresses(new)
	for _, a := range sortedKeys(na) {
		if _, ok := oa[a]; !ok && len(oa) > 0 {
			add(result.ProblemAddressAdded, "%s now answers for %s; the baseline did not have it: check that the address is yours", a, new.Host)
		}
	}
	for _, a := range sortedKeys(oa) {
		if _, ok := na[a]; !ok && len(na) > 0 {
			add(result.ProblemAddressRemoved, "%s answered for %s in the baseline and no longer does", a, old.Host)
		}
	}
	if d := differing(new); d != "" {
		add(result.ProblemAddressDiffers, "%s", d)
	}
	return cs
}

func verdict(r *result.Result) string {
	if r.Code != result.CodeNone {
		return fmt.Sprintf("%s (%d)", r.Status, r.Code)
	}
	return string(r.Status)
}

func leaf(r *result.Result) *result.Cert {
	if len(r.Chain) == 0 {
		return nil
	}
	return &r.Chain[0]
}

// roots returns the fingerprints of the roots the result's paths end at,
// one per store with a path to one of its roots (a verdict other than
// 11237 with a root); none for a run no store has a path for.
func roots(r *result.Result) map[string]bool {
	out := map[string]bool{}
	for _, v := range r.Trust {
		if v.RootSHA256 != "" && (v.Trusted || v.Code != result.CodeNoPath) {
			out[v.RootSHA256] = true
		}
	}
	return out
}

// shareRoot reports whether two runs reached a root in common.
func shareRoot(a, b map[string]bool) bool {
	for k := range a {
		if b[k] {
			return true
		}
	}
	return false
}

// renameIssuer returns chain with the certificate whose subject is from
// named to as the leaf's new issuer is, to compare a chain's shape apart
// from a rotated intermediate.
func renameIssuer(chain []result.Cert, from, to string) []result.Cert {
	out := append([]result.Cert{}, chain...)
	for i := range out {
		if i > 0 && out[i].Subject == from {
			out[i].Subject = to
		}
	}
	return out
}

// dnAttr returns the values of the attribute key ("CN", "O") of a
// distinguished name, joined by "+"; "" when the name has none.
func dnAttr(dn, key string) string {
	return strings.Join(result.DNValues(dn, key), "+")
}

func rootName(r *result.Result) string {
	names := make([]string, 0, len(r.Trust))
	for n := range r.Trust {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if v := r.Trust[n]; v.RootSHA256 != "" && (v.Trusted || v.Code != result.CodeNoPath) {
			if v.Root != "" {
				return strconv.Quote(v.Root)
			}
			return v.RootSHA256
		}
	}
	if len(r.Chain) > 0 {
		return strconv.Quote(r.Chain[len(r.Chain)-1].Issuer)
	}
	return "(none)"
}

// chainShape describes a chain by its length and the subjects of its
// certificates after the leaf.
func chainShape(chain []result.Cert) string {
	if len(chain) <= 1 {
		return fmt.Sprintf("%d certificate", len(chain)) + plural(len(chain))
	}
	subjects := make([]string, 0, len(chain)-1)
	for _, c := range chain[1:] {
		subjects = append(subjects, strconv.Quote(c.Subject))
	}
	return fmt.Sprintf("%d certificates (leaf, %s)", len(chain), strings.Join(subjects, ", "))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// keyStrength is the security strength in bits of a key as
// verify.KeyDescription names it (NIST SP 800-57); 0 when unknown.
func keyStrength(key string) int {
	alg, size, _ := strings.Cut(key, " ")
	switch alg {
	case "RSA", "DSA":
		bits, err := strconv.Atoi(size)
		if err != nil {
			return 0
		}
		switch {
		case bits >= 15360:
			return 256
		case bits >= 7680:
			return 192
		case bits >= 3072:
			return 128
		case bits >= 2048:
			return 112
		case bits >= 1024:
			return 80
		}
		return 1
	case "ECDSA":
		switch size {
		case "P-256":
			return 128
		case "P-384":
			return 192
		case "P-521":
			return 256
		case "P-224":
			return 112
		}
	case "Ed25519":
		return 128
	}
	return 0
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// addresses maps the addresses a result was checked at to the leaf served
// there.
func addresses(r *result.Result) map[string]string {
	m := map[string]string{}
	for _, a := range r.Addresses {
		m[a.Address] = a.LeafSHA256
	}
	return m
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// differing says which addresses serve another leaf than most of their
// siblings, or "" when they all serve one.
func differing(r *result.Result) string {
	count := map[string]int{}
	for _, a := range r.Addresses {
		if a.LeafSHA256 != "" {
			count[a.LeafSHA256]++
		}
	}
	if len(count) < 2 {
		return ""
	}
	major, n := "", -1
	for _, a := range r.Addresses { // the most served leaf; ties go to the first address
		if c := count[a.LeafSHA256]; a.LeafSHA256 != "" && c > n {
			major, n = a.LeafSHA256, c
		}
	}
	var odd []string
	for _, a := range r.Addresses {
		if a.LeafSHA256 != "" && a.LeafSHA256 != major {
			odd = append(odd, a.Address)
		}
	}
	return fmt.Sprintf("%s %s another certificate than the other addresses of %s (leaf %s…): deploy one certificate to every address",
		strings.Join(odd, ", "), map[bool]string{true: "serves", false: "serve"}[len(odd) == 1], r.Host, short(major))
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// WriteFile writes data to path atomically: to a temporary file in the
// same directory, synced, then renamed over path, so a reader sees the old
// file or the new one, never a part.
func WriteFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("--update-baseline %s: %w (check that the directory exists and is writable)", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op once renamed
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("--update-baseline %s: writing: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("--update-baseline %s: writing: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--update-baseline %s: writing: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil {
		_ = os.Chmod(tmp, fi.Mode().Perm())
	} else {
		_ = os.Chmod(tmp, 0o644)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("--update-baseline %s: %w", path, err)
	}
	return nil
}

// Package decide is the one place where a result's verdict is made. The
// stages before it (target parsing, the probe, the validator, the bundle
// checks) only gather facts: problems, and for each trust store whether a
// path to one of its roots exists and what that store alone found wrong.
// Apply turns those facts into the result's status, code, message, detail,
// problem list and every trust store's verdict, so they always agree.
//
// The rules, from SPEC:
//
//   - a connection-level error (invalid target, DNS, TCP, handshake) makes
//     the result error with that error's code; certgate's own failure
//     (local-resource-exhausted) makes it error with code 0; a problem
//     that names the cause of a handshake failure more precisely
//     (plain-http) is the primary one;
//   - otherwise each store's verdict is the certificate error of highest
//     precedence among the store's own problems and those about the chain
//     itself (11237 > 11236 > 11235 > any other certificate code); a store
//     without a path to one of its roots is 11237 whatever else was found;
//   - the result takes the verdict of the store closest to passing: its
//     code, and fail when that code is not 0. A chain that was presented
//     but that no store judged fails closed with 11237;
//   - a certificate verdict that passes gives way to an error of the HTTP
//     leg (preflight): the result is error with that error's code, so the
//     HTTP leg never hides a certificate failure;
//   - otherwise a warning makes the result warn, and notes change nothing.
package decide

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/result"
)

// Kind says whose side a problem is on, which decides the status it gives
// when it is an error.
type Kind int

const (
	// KindCertificate is a problem with the certificates presented or with
	// the bundle: an error makes the result fail.
	KindCertificate Kind = iota
	// KindConnection is a problem that kept any certificate from being
	// judged (target, DNS, TCP, handshake, run deadline): an error makes
	// the result error with its code.
	KindConnection
	// KindLocal is certgate's own failure (a local resource ran out): an
	// error makes the result error with code 0.
	KindLocal
	// KindChange is a change against a baseline (certgate diff, check
	// --baseline): it never changes a store's verdict or the code;
	// ApplyChanges and AddChanges judge it.
	KindChange
	// KindHTTP is a problem of preflight's HTTP leg (address refused,
	// redirect, status, budget): an error makes the result error with its
	// code, after any certificate code (a certificate failure stays fail
	// with its own code) and after any connection error.
	KindHTTP
)

// kinds lists every problem id that is not about the certificates. Every
// other id is a certificate problem.
var kinds = map[string]Kind{
	result.ProblemInvalidTarget:    KindConnection,
	result.ProblemDNS:              KindConnection,
	result.ProblemTCPRefused:       KindConnection,
	result.ProblemTCPTimeout:       KindConnection,
	result.ProblemConnection:       KindConnection,
	result.ProblemHandshake:        KindConnection,
	result.ProblemLegacyTLS:        KindConnection,
	result.ProblemRSAKeyExchange:   KindConnection,
	result.ProblemInsecureCipher:   KindConnection,
	result.ProblemNoSharedCipher:   KindConnection,
	result.ProblemWeakSignature:    KindConnection,
	result.ProblemDeadlineExceeded: KindConnection,
	result.ProblemClientFallback:   KindConnection,
	result.ProblemClientRefuses:    KindConnection,
	result.ProblemScanUnoffered:    KindConnection,
	result.ProblemScanIncomplete:   KindConnection,
	result.ProblemLocalResource:    KindLocal,
	// Changes against a baseline (changes.go) are facts about two runs.
	result.ProblemChangedRoot:     KindChange,
	result.ProblemChangedIssuer:   KindChange,
	result.ProblemChangedChain:    KindChange,
	result.ProblemVerdictWorse:    KindChange,
	result.ProblemKeyWeaker:       KindChange,
	result.ProblemAddressDiffers:  KindChange,
	result.ProblemLeafRollback:    KindChange,
	result.ProblemAddressAdded:    KindChange,
	result.ProblemAddressRemoved:  KindChange,
	result.ProblemRenewed:         KindChange,
	result.ProblemTargetAdded:     KindChange,
	result.ProblemTargetRemoved:   KindChange,
	result.ProblemExpectAddresses: KindChange,
	result.ProblemPlainHTTP:       KindConnection,
	result.ProblemOverrideInvalid: KindConnection,

	// A scan no simulated client can complete: error 11220 after any
	// certificate code, as an error of the HTTP leg is.
	result.ProblemNoClientConnects: KindHTTP,

	result.ProblemPrivateAddress:      KindHTTP,
	result.ProblemNonPublicName:       KindHTTP,
	result.ProblemHTTPConnect:         KindHTTP,
	result.ProblemHTTPNoResponse:      KindHTTP,
	result.ProblemHTTPReadTimeout:     KindHTTP,
	result.ProblemHTTPTotalTimeout:    KindHTTP,
	result.ProblemHTTPMalformed:       KindHTTP,
	result.ProblemHTTPStatus:          KindHTTP,
	result.ProblemHTTPAuthChallenge:   KindHTTP,
	result.ProblemRedirectTooMany:     KindHTTP,
	result.ProblemRedirectLoop:        KindHTTP,
	result.ProblemRedirectToHTTP:      KindHTTP,
	result.ProblemRedirectNoLocation:  KindHTTP,
	result.ProblemRedirectNotFollowed: KindHTTP,
	result.ProblemRedirectTarget:      KindHTTP,
	result.ProblemSNIRequired:         KindHTTP,
	result.ProblemHTTPSkipped:         KindHTTP,
	result.ProblemHTTPSlow:            KindHTTP,
	result.ProblemHTTPPostOnly:        KindHTTP,
	result.ProblemAddressUnchecked:    KindHTTP,

	result.ProblemStartTLSNotOffered: KindConnection,
	result.ProblemStartTLSRefused:    KindConnection,
	result.ProblemStartTLSProtocol:   KindConnection,
}

// refines lists connection-level ids that name the cause of another
// connection error more precisely: one of them is the primary problem.
var refines = map[string]bool{
	result.ProblemPlainHTTP: true, // the handshake failed because the port speaks HTTP
	// The target's own fragment is invalid: the sender would not even try.
	result.ProblemOverrideInvalid: true,
}

// KindOf returns the kind of the problem id: connection, local, HTTP, or
// (every other id) certificate.
func KindOf(id string) Kind { return kinds[id] }

// Store is what one trust store's validation found.
type Store struct {
	// Name is the store's name ("mozilla", "java", a --ca-file path).
	Name string
	// Version identifies the store's snapshot.
	Version string
	// Path is true when a chain from the leaf to a root of the store
	// exists, its own policy allowing it (time and name aside).
	Path bool
	// Root and RootSHA256 name the root the path ends at (or the root the
	// store's policy refused), when known.
	Root, RootSHA256 string
	// PathNotAfter is the earliest notAfter among the certificates of the
	// path, root included; zero when there is no path.
	PathNotAfter time.Time
	// Problems are the store's own findings: why no path exists, which
	// certificate of its path is outside its validity. A problem found
	// the same by several stores may be listed under each; Apply keeps one.
	Problems []result.Problem
}

// Facts is everything known about one target before the verdict.
type Facts struct {
	// Presented is the number of certificates presented (and judged).
	Presented int
	// ChainNotAfter is the earliest notAfter among the presented
	// certificates; zero when none was presented.
	ChainNotAfter time.Time
	// Problems are the findings that belong to no one store: connection
	// errors, the name check, the chain's shape, warnings and notes.
	Problems []result.Problem
	// Stores holds one entry per trust store asked, in the order given.
	Stores []Store
}

// Apply writes r's Schema, Status, Code, Message, Detail, PathNotAfter,
// Trust and Problems from f, and nothing else. It is the only writer of
// those fields: every command calls it once per result.
func Apply(r *result.Result, f Facts) {
	r.Schema = result.Schema
	if r.Chain == nil {
		r.Chain = []result.Cert{}
	}
	r.Trust = map[string]result.Verdict{}

	// The errors every store shares: those about the chain itself.
	var shared []result.Problem
	for _, p := range f.Problems {
		if p.Severity == result.SeverityError && KindOf(p.ID) == KindCertificate {
			shared = append(shared, p)
		}
	}

	codes := make([]result.Code, len(f.Stores))
	best := -1
	anyPath := false
	for i, s := range f.Stores {
		c := StoreCode(s, shared)
		codes[i] = c
		r.Trust[s.Name] = result.Verdict{Trusted: c == result.CodeNone, Code: c, Root: s.Root, RootSHA256: s.RootSHA256, StoreVersion: s.Version}
		if best < 0 || codes[i].Precedence() > codes[best].Precedence() {
			best = i
		}
		anyPath = anyPath || s.Path
	}

	r.Problems = problems(f, best, codes, anyPath)

	switch {
	case best >= 0 && f.Stores[best].Path && !f.Stores[best].PathNotAfter.IsZero():
		t := f.Stores[best].PathNotAfter.UTC()
		r.PathNotAfter = &t
	case f.Presented > 0 && !f.ChainNotAfter.IsZero():
		t := f.ChainNotAfter.UTC()
		r.PathNotAfter = &t
	default:
		r.PathNotAfter = nil
	}

	if p, ok := first(r.Problems, func(p result.Problem) bool {
		return p.Severity == result.SeverityError && KindOf(p.ID) == KindLocal
	}); ok {
		set(r, result.StatusError, result.CodeNone, p.Message)
		return
	}
	p, ok := first(r.Problems, func(p result.Problem) bool {
		return p.Severity == result.SeverityError && refines[p.ID]
	})
	if !ok {
		p, ok = first(r.Problems, func(p result.Problem) bool {
			return p.Severity == result.SeverityError && KindOf(p.ID) == KindConnection
		})
	}
	if ok {
		code := p.Code
		if code == result.CodeNone {
			code = result.CodeConnFailure
		}
		set(r, result.StatusError, code, p.Message)
		return
	}

	var code result.Code
	switch {
	case best >= 0:
		code = codes[best]
	case f.Presented > 0:
		code = result.CodeNoPath // a chain nobody judged never passes
	default:
		code = worst(shared)
	}
	if code == result.CodeNone && f.Presented == 0 {
		// Nothing was presented and nothing went wrong on the way: there
		// is no certificate to pass, so the gate fails closed.
		code = result.CodeNoPath
	}
	if code != result.CodeNone {
		detail, ok := detailFor(r.Problems, code)
		if !ok {
			p := failClosed(f)
			r.Problems = sortProblems(append(r.Problems, p))
			detail = p.Message
		}
		set(r, result.StatusFail, code, detail)
		return
	}
	if p, ok := first(r.Problems, func(p result.Problem) bool {
		return p.Severity == result.SeverityError && KindOf(p.ID) == KindHTTP
	}); ok {
		code := p.Code
		if code == result.CodeNone {
			code = result.CodeHTTPRetrieval
		}
		set(r, result.StatusError, code, p.Message)
		return
	}
	if p, ok := first(r.Problems, func(p result.Problem) bool {
		return p.Severity == result.SeverityWarn && !IsWebPKIProblem(p.ID) && !IsScanWeakness(p.ID)
	}); ok {
		set(r, result.StatusWarn, result.CodeNone, p.Message)
		return
	}
	if p, ok := first(r.Problems, func(p result.Problem) bool { return p.Severity == result.SeverityWarn && !IsScanWeakness(p.ID) }); ok {
		set(r, result.StatusWarn, result.CodeNone, p.Message)
		return
	}
	if p, ok := first(r.Problems, func(p result.Problem) bool { return p.Severity == result.SeverityWarn }); ok {
		set(r, result.StatusWarn, result.CodeNone, p.Message)
		return
	}
	set(r, result.StatusOK, result.CodeNone, "")
}

func set(r *result.Result, s result.Status, c result.Code, detail string) {
	r.Status, r.Code, r.Message, r.Detail = s, c, c.Message(), detail
}

// StoreCode is one store's verdict: the code of highest precedence among
// the store's own certificate errors and shared, the errors about the chain
// every store sees; 11237 when the store has no path. Apply gives every
// store's verdict with it, and the validator asks it which store is closest
// to passing before the facts are complete.
func StoreCode(s Store, shared []result.Problem) result.Code {
	if !s.Path {
		return result.CodeNoPath // fail closed: no root of this store, no trust
	}
	return worst(append(append([]result.Problem{}, s.Problems...), shared...))
}

// clientModelIDs are the problem ids a store's client model gives where
// crypto/x509 would pass (pkg/verify's ClientModel): when another store
// trusts the chain, one real client refuses what another accepts, which
// the result shows as a warning rather than a note.
var clientModelIDs = map[string]bool{
	result.ProblemNoDigitalSignature:     true,
	result.ProblemLeafEKUNotServerAuth:   true,
	result.ProblemKeyTooSmall:            true,
	result.ProblemCNNameConstraint:       true,
	result.ProblemWildcardSuffixRejected: true,
}

// worst returns the code of highest precedence among the certificate
// errors of ps; an error without a code counts as 11237.
func worst(ps []result.Problem) result.Code {
	c := result.CodeNone
	for _, p := range ps {
		if p.Severity != result.SeverityError || KindOf(p.ID) != KindCertificate {
			continue
		}
		pc := p.Code
		if pc == result.CodeNone {
			pc = result.CodeNoPath
		}
		if pc.Precedence() < c.Precedence() {
			c = pc
		}
	}
	return c
}

// problems lists the result's problems: the shared ones, the best store's
// at their severity, and the other stores' — notes when another store has
// a path (a warning for an explicit distrust). A problem several stores
// found is listed once.
func problems(f Facts, best int, codes []result.Code, anyPath bool) []result.Problem {
	ps := append([]result.Problem{}, f.Problems...)
	if best >= 0 {
		ps = append(ps, f.Stores[best].Problems...)
		for i, s := range f.Stores {
			if i == best {
				continue
			}
			for _, p := range s.Problems {
				if anyPath && p.Severity == result.SeverityError {
					p.Severity = result.SeverityInfo
					if p.ID == result.ProblemDistrustedRoot || codes[best] == result.CodeNone && clientModelIDs[p.ID] {
						p.Severity = result.SeverityWarn
					}
					if codes[best] == result.CodeNone {
						p.Message += fmt.Sprintf(" (the %s store trusts this chain)", f.Stores[best].Name)
					}
				}
				ps = append(ps, p)
			}
		}
	}
	return sortProblems(dedupe(ps))
}

// detailFor is the message of the first error with the code.
func detailFor(ps []result.Problem, code result.Code) (string, bool) {
	for _, p := range ps {
		if p.Severity == result.SeverityError && KindOf(p.ID) == KindCertificate && (p.Code == code || p.Code == result.CodeNone && code == result.CodeNoPath) {
			return p.Message, true
		}
	}
	return "", false
}

// failClosed is the problem of a result that fails with no finding to
// say why: nothing presented, no store asked, or no store that says why
// it has no path.
func failClosed(f Facts) result.Problem {
	p := result.Problem{ID: result.ProblemUnknownAuthority, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1}
	switch {
	case f.Presented == 0:
		p.ID = result.ProblemNoCertificate
		p.Message = "no certificate was presented, so none could be judged: configure the server with its certificate chain"
	case len(f.Stores) == 0:
		p.Message = "no trust store was asked, so the chain was not judged and does not pass: select a store with --store or pass a root with --ca-file"
	default:
		names := make([]string, 0, len(f.Stores))
		for _, s := range f.Stores {
			names = append(names, s.Name)
		}
		p.Message = fmt.Sprintf("no path leads to a root of %s: use a certificate from a CA a selected store trusts", StoresPhrase(names))
	}
	return p
}

// StoresPhrase names stores for a message: "the mozilla store", "the
// mozilla and java stores", "the mozilla, java and root.pem stores".
func StoresPhrase(stores []string) string {
	switch len(stores) {
	case 0:
		return "no store"
	case 1:
		return "the " + stores[0] + " store"
	}
	return "the " + strings.Join(stores[:len(stores)-1], ", ") + " and " + stores[len(stores)-1] + " stores"
}

func first(ps []result.Problem, ok func(result.Problem) bool) (result.Problem, bool) {
	for _, p := range ps {
		if ok(p) {
			return p, true
		}
	}
	return result.Problem{}, false
}

func same(a, b result.Problem) bool { return a.ID == b.ID && a.Cert == b.Cert }

// dedupe keeps the first problem of each id and certificate: the one at
// the highest severity, since the best store's come first.
func dedupe(ps []result.Problem) []result.Problem {
	out := make([]result.Problem, 0, len(ps))
	for _, p := range ps {
		dup := false
		for _, q := range out {
			if same(p, q) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, p)
		}
	}
	return out
}

// sortProblems orders problems by severity, then code precedence, id,
// certificate and store.
func sortProblems(ps []result.Problem) []result.Problem {
	sev := map[result.Severity]int{result.SeverityError: 0, result.SeverityWarn: 1, result.SeverityInfo: 2}
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i], ps[j]
		if sev[a.Severity] != sev[b.Severity] {
			return sev[a.Severity] < sev[b.Severity]
		}
		if ka, kb := KindOf(a.ID), KindOf(b.ID); ka != kb {
			return kindRank(ka) < kindRank(kb) // local, connection, certificate, the HTTP leg, changes
		}
		if ra, rb := refines[a.ID], refines[b.ID]; ra != rb {
			return ra // the precise cause first
		}
		if ma, mb := a.ID == result.ProblemMalformedCertificate, b.ID == result.ProblemMalformedCertificate; ma != mb {
			return ma // what could not be parsed explains the rest
		}
		if a.Code.Precedence() != b.Code.Precedence() {
			return a.Code.Precedence() < b.Code.Precedence()
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		if a.Cert != b.Cert {
			return a.Cert < b.Cert
		}
		return a.Store < b.Store
	})
	return ps
}

// webPKI lists the ids of the Web PKI rules crypto/x509 does not enforce.
// Such a warning is the detail only when no other warning is there.
var webPKI = map[string]bool{
	result.ProblemCAAsLeaf:                 true,
	result.ProblemLeafCertSign:             true,
	result.ProblemEKUMissing:               true,
	result.ProblemEKUInvalid:               true,
	result.ProblemCNNotInSAN:               true,
	result.ProblemWildcardPublicSuffix:     true,
	result.ProblemMalformedName:            true,
	result.ProblemSANCriticality:           true,
	result.ProblemSerialNumber:             true,
	result.ProblemKeyIDMissing:             true,
	result.ProblemKeyIDInvalid:             true,
	result.ProblemWeakKey:                  true,
	result.ProblemCAEmptySubject:           true,
	result.ProblemBasicConstraintsInvalid:  true,
	result.ProblemNameConstraintsInvalid:   true,
	result.ProblemPolicyConstraintsInvalid: true,
}

// IsWebPKIProblem reports whether id is one of the Web PKI rules that
// crypto/x509 does not enforce: a defect of the certificates themselves,
// reported as a warning.
func IsWebPKIProblem(id string) bool { return webPKI[id] }

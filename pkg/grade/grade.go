// Package grade rates a scanned TLS configuration: certgate's reading of
// the SSL Labs server rating guide 2009r. It is pure: it reads the facts a
// scan gathered (result.Scan) and the verdict decide made (Chain, Problems,
// Code), and it neither connects nor decides validity.
//
// The score is 0.3 × protocol + 0.3 × key exchange + 0.4 × cipher, each
// sub-score from the guide's tables; the score gives a letter (A ≥ 80,
// B ≥ 65, C ≥ 50, D ≥ 35, E ≥ 20, else F), and the caps of the rules table (rules.go) lower it.
// A is raised to A+ when no cap applied, the result has no warning, and
// (for an https target) HSTS was measured and is served with a max-age of
// at least 180 days. A certificate that no
// store trusts gives T, one that does not name the host gives M; the grade
// the configuration would have had is then kept in IgnoringTrust.
package grade

import (
	"strconv"
	"strings"

	"github.com/certgate/certgate/pkg/result"
)

// Protocol version names, as result.ProtocolSupport and result.Suite give
// them.
const (
	SSL2  = "SSL 2.0"
	SSL3  = "SSL 3.0"
	TLS10 = "TLS 1.0"
	TLS11 = "TLS 1.1"
	TLS12 = "TLS 1.2"
	TLS13 = "TLS 1.3"
)

// HSTSMinAge is the Strict-Transport-Security max-age, in seconds, that A+
// asks for: 180 days.
const HSTSMinAge = 180 * 24 * 60 * 60

// order lists the grades best first; T and M come after F.
var order = []string{"A+", "A", "A-", "B", "C", "D", "E", "F", "M", "T"}

// rank returns the position of g in order, -1 when g is not a grade.
func rank(g string) int {
	for i, o := range order {
		if o == g {
			return i
		}
	}
	return -1
}

// worse returns the worse of two grades.
func worse(a, b string) string {
	if rank(b) > rank(a) {
		return b
	}
	return a
}

// InvalidGradeError results when ParseGrade is given a string that is
// not a grade.
type InvalidGradeError struct{ Grade string }

// Error names the value and the valid grades.
func (e *InvalidGradeError) Error() string {
	return "invalid grade " + strconv.Quote(e.Grade) + " (valid: " + strings.Join(order, ", ") + ")"
}

// ParseGrade returns the canonical form of a grade given by a user ("a+",
// " B "), or an *InvalidGradeError.
func ParseGrade(s string) (string, error) {
	g := strings.ToUpper(strings.TrimSpace(s))
	if rank(g) < 0 {
		return "", &InvalidGradeError{Grade: s}
	}
	return g, nil
}

// Below reports whether grade g is worse than min (A+ > A > A- > B > C >
// D > E > F > M > T), for --min-grade. An empty or unknown g (no grade
// given) counts as below any min; an empty min lets everything pass.
func Below(g, min string) bool {
	if min == "" {
		return false
	}
	rg, rm := rank(g), rank(min)
	if rg < 0 {
		return true
	}
	return rg > rm
}

// Rate grades r's scan; nil when r has no scan or the scan found no
// protocol the server speaks. Call it after decide.Apply: T and M follow
// the result's code, and A+ asks for a result without warnings.
func Rate(r *result.Result) *result.Grade {
	if r == nil || r.Scan == nil {
		return nil
	}
	f := factsOf(r)
	if len(f.protocols) == 0 {
		return nil
	}
	g := &result.Grade{
		Protocol:    protocolScore(f),
		KeyExchange: keyExchangeScore(f),
		Cipher:      cipherScore(f),
		Caps:        []result.Cap{},
	}
	g.Score = (3*g.Protocol + 3*g.KeyExchange + 4*g.Cipher + 5) / 10
	letter := scoreLetter(g.Score)
	trust, capped := "", false
	for _, rule := range rules {
		if !rule.Applies(f) {
			continue
		}
		g.Caps = append(g.Caps, result.Cap{ID: rule.ID, Grade: rule.Grade, Message: rule.Message})
		if rule.Trust {
			trust = worse(trust, rule.Grade)
			continue
		}
		letter, capped = worse(letter, rule.Grade), true
	}
	if letter == "A" && !capped && !f.warnings && (!f.http || f.hstsChecked && f.hstsAge >= HSTSMinAge) {
		letter = "A+"
	}
	g.Grade = letter
	if trust != "" {
		g.IgnoringTrust, g.Grade = letter, trust
	}
	return g
}

// scoreLetter is the letter of a numeric score, before caps.
func scoreLetter(score int) string {
	switch {
	case score >= 80:
		return "A"
	case score >= 65:
		return "B"
	case score >= 50:
		return "C"
	case score >= 35:
		return "D"
	case score >= 20:
		return "E"
	}
	return "F"
}

// protocolScores is the guide's protocol support table.
var protocolScores = map[string]int{SSL2: 0, SSL3: 80, TLS10: 90, TLS11: 95, TLS12: 100, TLS13: 100}

// protocolScore is the mean of the best and the worst protocol's scores.
func protocolScore(f *facts) int {
	best, worst := -1, 101
	for p := range f.protocols {
		s, ok := protocolScores[p]
		if !ok {
			continue
		}
		best, worst = max(best, s), min(worst, s)
	}
	if best < 0 {
		return 0
	}
	return (best + worst) / 2
}

// keyExchangeScore is the guide's key exchange table applied to the
// weakest key exchange: anonymous is 0, export at most 40, and otherwise
// the strength (RSA-equivalent bits) of the server key, the DH prime and
// the weakest elliptic-curve group, the weakest of them.
func keyExchangeScore(f *facts) int {
	if f.anonymous {
		return 0
	}
	bits := f.weakestKex()
	s := 100
	switch {
	case bits <= 0:
		return 0
	case bits < 512:
		s = 20
	case bits < 1024:
		s = 40
	case bits < 2048:
		s = 80
	case bits < 4096:
		s = 90
	}
	if f.export {
		s = min(s, 40)
	}
	return s
}

// cipherStrength is the guide's cipher strength table, read with a
// suite's effective strength: 3DES counts as 112 bits (20), where the
// guide's table would take its nominal 168 bits (80). This is deliberate:
// meet-in-the-middle leaves 3DES 112 bits, and SSL Labs caps 3DES apart
// (the 3des-tls11 rule) as well.
func cipherStrength(bits int) int {
	switch {
	case bits <= 0:
		return 0
	case bits < 128:
		return 20
	case bits < 256:
		return 80
	}
	return 100
}

// cipherScore is the mean of the strongest and the weakest suite's scores.
func cipherScore(f *facts) int {
	if len(f.suites) == 0 {
		return 0
	}
	best, worst := -1, 101
	for _, s := range f.suites {
		c := cipherStrength(s.Bits)
		best, worst = max(best, c), min(worst, c)
	}
	return (best + worst) / 2
}

// Package conformance runs the x509-limbo SERVER testcases through the
// validator of `certgate verify` and scores the agreement: the leaf and the
// untrusted intermediates form the bundle (as a server would send them),
// the trust anchors form the one store, and the testcase's host and time are
// the --host and --at.
//
// A FAILURE testcase agrees when the result is fail, when the bundle cannot
// even be loaded (a client cannot parse the certificate either), or when the
// result carries a warning or error whose id explains the defect (a Web PKI
// rule that Java and Mozilla clients do not enforce). A SUCCESS testcase
// agrees when the result is not fail.
package conformance

import (
	"bufio"
	"compress/gzip"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/certgate/certgate/pkg/bundle"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

// Case is one line of limbo-server-subset.jsonl.
type Case struct {
	ID            string   `json:"id"`
	Description   string   `json:"description"`
	LeafPEM       string   `json:"leaf_pem"`
	Intermediates string   `json:"intermediates_pem"`
	RootsPEM      string   `json:"roots_pem"`
	Host          *string  `json:"host"`
	HostKind      string   `json:"host_kind"`
	At            *string  `json:"at"`
	Expected      string   `json:"expected"`
	LikelyCode    *int     `json:"likely_code"`
	Problems      []string `json:"problems"`
	Features      []string `json:"features"`
	ConflictsWith []string `json:"conflicts_with"`
	Soft          bool     `json:"soft"`
	CodeBasis     string   `json:"code_basis"`
}

// Namespace is the testcase's group: "bettertls::nameconstraints" for
// BetterTLS cases, else the first part of the id ("rfc5280", "webpki").
func (c *Case) Namespace() string {
	parts := strings.Split(c.ID, "::")
	if parts[0] == "bettertls" && len(parts) > 2 {
		return parts[0] + "::" + parts[1]
	}
	return parts[0]
}

// Limbo reports whether the testcase is x509-limbo's own (not BetterTLS).
func (c *Case) Limbo() bool { return !strings.HasPrefix(c.ID, "bettertls::") }

// ReadFile reads the gzip-compressed JSON-lines suite at path.
func ReadFile(path string) ([]Case, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("conformance: %s: %w", path, err)
	}
	return Read(zr)
}

// Read reads testcases, one JSON object a line.
func Read(r io.Reader) ([]Case, error) {
	var cases []Case
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		var c Case
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			return nil, fmt.Errorf("conformance: line %d: %w", n, err)
		}
		cases = append(cases, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("conformance: %w", err)
	}
	return cases, nil
}

// Outcome is the validator's answer to one testcase.
type Outcome struct {
	// Case is the testcase.
	Case *Case
	// Result is the verify result; zero when the bundle did not load.
	Result result.Result
	// LoadErr is the bundle loader's error, when the bundle did not load.
	LoadErr error
	// StoreRefused is true when the bundle loaded but a trust anchor of
	// the testcase does not parse: verify refuses such a store file.
	StoreRefused bool
	// Malformed counts the certificates of the bundle that did not parse
	// and were judged as a malformed-certificate result, as verify does.
	Malformed int
	// Agree is true when the answer agrees with the expectation.
	Agree bool
	// Why says how the answer was reached: "fail 11237", "warn: ca-as-leaf", ….
	Why string
}

// Run validates one testcase as `certgate verify` does. now is the
// validation time of testcases without one.
func Run(c *Case, now time.Time) Outcome {
	o := Outcome{Case: c}
	at := now
	if c.At != nil {
		t, err := time.Parse(time.RFC3339Nano, *c.At)
		if err != nil {
			o.LoadErr = fmt.Errorf("testcase time %q: %w", *c.At, err)
			o.Why = "bad testcase"
			return o
		}
		at = t
	}
	// The bundle is loaded as verify loads it: a certificate that does
	// not parse is a finding of the result, not a load error.
	var certs []*x509.Certificate
	var bad []bundle.Malformed
	files := []struct{ name, data string }{{"leaf", c.LeafPEM}, {"intermediates", c.Intermediates}}
	var err error
	for _, f := range files {
		if f.name != "leaf" && strings.TrimSpace(f.data) == "" {
			continue
		}
		var cs []bundle.Cert
		var mal []bundle.Malformed
		cs, mal, err = bundle.ParseLenient(f.name, []byte(f.data))
		if err != nil {
			break
		}
		certs = append(certs, bundle.X509(cs)...)
		bad = append(bad, mal...)
	}
	var roots []*x509.Certificate
	if err == nil {
		roots, err = bundle.Parse("roots", []byte(c.RootsPEM))
		// A trust anchor that does not parse is a store file verify
		// refuses (--ca-file, exit 2), not a bundle it judges.
		o.StoreRefused = err != nil
	}
	if err != nil {
		o.LoadErr = err
		o.Why = "bundle not loaded: " + err.Error()
		o.Agree = c.Expected == "FAILURE"
		return o
	}
	store := &truststore.Store{Name: "limbo", Source: "testcase", Pool: x509.NewCertPool()}
	for _, r := range roots {
		store.Roots = append(store.Roots, &truststore.Root{Name: r.Subject.CommonName, Cert: r})
		store.Pool.AddCert(r)
	}
	opts := verify.Options{At: at, WarnDays: 0}
	if c.Host != nil {
		opts.Host = *c.Host
	} else {
		opts.SkipHostname = true
	}
	o.Malformed = len(bad)
	o.Result = bundle.VerifyLenient(c.ID, certs, bad, []*truststore.Store{store}, opts, nil)
	o.Agree, o.Why = judge(c, &o.Result)
	return o
}

// judge decides agreement.
func judge(c *Case, r *result.Result) (bool, string) {
	if r.Status == result.StatusFail || r.Status == result.StatusError {
		return c.Expected == "FAILURE", fmt.Sprintf("%s %d %s", r.Status, r.Code, firstError(r))
	}
	if c.Expected == "SUCCESS" {
		return true, string(r.Status)
	}
	want := explains(c.ID)
	for _, p := range r.Problems {
		if p.Severity != result.SeverityInfo && verify.IsWebPKIProblem(p.ID) && want[p.ID] {
			return true, string(p.Severity) + ": " + p.ID
		}
	}
	return false, string(r.Status)
}

// explainers maps a part of a testcase id to the problem ids that explain
// its defect. A warning explains a FAILURE testcase only when it is listed
// for it, so an unrelated warning never counts as agreement.
var explainers = []struct {
	part string
	ids  []string
}{
	{"::aki::", []string{result.ProblemKeyIDMissing, result.ProblemKeyIDInvalid}},
	{"::ski::", []string{result.ProblemKeyIDMissing, result.ProblemKeyIDInvalid}},
	{"::cn::", []string{result.ProblemCNNotInSAN}},
	{"::eku::", []string{result.ProblemEKUMissing, result.ProblemEKUInvalid}},
	{"::nc::", []string{result.ProblemNameConstraintsInvalid}},
	{"nc-dos", []string{result.ProblemNameConstraintsInvalid}},
	{"::pc::", []string{result.ProblemPolicyConstraintsInvalid}},
	{"::san::", []string{result.ProblemSANCriticality, result.ProblemMalformedName, result.ProblemWildcardPublicSuffix}},
	{"::serial::", []string{result.ProblemSerialNumber}},
	{"forbidden-", []string{result.ProblemWeakKey}},
	{"ca-as-leaf", []string{result.ProblemCAAsLeaf}},
	{"ee-basicconstraints-ca", []string{result.ProblemCAAsLeaf}},
	{"leaf-ku-keycertsign", []string{result.ProblemLeafCertSign}},
	{"ca-empty-subject", []string{result.ProblemCAEmptySubject}},
	{"basic-constraints", []string{result.ProblemBasicConstraintsInvalid}},
	{"inconsistent-ca-extensions", []string{result.ProblemBasicConstraintsInvalid}},
}

func explains(id string) map[string]bool {
	m := map[string]bool{}
	for _, e := range explainers {
		if strings.Contains(id, e.part) {
			for _, p := range e.ids {
				m[p] = true
			}
		}
	}
	return m
}

func firstError(r *result.Result) string {
	for _, p := range r.Problems {
		if p.Severity == result.SeverityError {
			return p.ID
		}
	}
	return ""
}

// Tally counts agreement in one group of testcases.
type Tally struct {
	// Name is the group: a namespace, "x509-limbo", "bettertls" or "all".
	Name string
	// Agree and Total count testcases.
	Agree, Total int
}

// Percent is the agreement in percent.
func (t Tally) Percent() float64 {
	if t.Total == 0 {
		return 0
	}
	return 100 * float64(t.Agree) / float64(t.Total)
}

// Summary is the score of a run.
type Summary struct {
	// Namespaces holds one tally per namespace, sorted by name.
	Namespaces []Tally
	// Limbo counts x509-limbo's own testcases, BetterTLS the rest, All every one.
	Limbo, BetterTLS, All Tally
	// Disagreements lists the outcomes that disagree, in input order.
	Disagreements []Outcome
	// NotLoaded counts x509-limbo testcases whose bundle did not load at
	// all (no result: verify's exit 2); StoreRefused those whose trust
	// anchor does not parse (verify refuses the store file, exit 2);
	// Malformed those judged with a malformed-certificate result.
	NotLoaded, StoreRefused, Malformed int
}

// Score tallies outcomes.
func Score(outs []Outcome) Summary {
	s := Summary{Limbo: Tally{Name: "x509-limbo"}, BetterTLS: Tally{Name: "bettertls"}, All: Tally{Name: "all"}}
	by := map[string]*Tally{}
	for _, o := range outs {
		ns := o.Case.Namespace()
		t := by[ns]
		if t == nil {
			t = &Tally{Name: ns}
			by[ns] = t
		}
		group := &s.BetterTLS
		if o.Case.Limbo() {
			group = &s.Limbo
		}
		for _, t := range []*Tally{t, group, &s.All} {
			t.Total++
			if o.Agree {
				t.Agree++
			}
		}
		if !o.Agree {
			s.Disagreements = append(s.Disagreements, o)
		}
		switch {
		case o.Case.Limbo() && o.StoreRefused:
			s.StoreRefused++
		case o.Case.Limbo() && o.LoadErr != nil:
			s.NotLoaded++
		}
		if o.Case.Limbo() && o.Malformed > 0 {
			s.Malformed++
		}
	}
	for _, t := range by {
		s.Namespaces = append(s.Namespaces, *t)
	}
	sort.Slice(s.Namespaces, func(i, j int) bool { return s.Namespaces[i].Name < s.Namespaces[j].Name })
	return s
}

// RunAll runs every testcase and scores them.
func RunAll(cases []Case, now time.Time) Summary {
	outs := make([]Outcome, len(cases))
	for i := range cases {
		outs[i] = Run(&cases[i], now)
	}
	return Score(outs)
}

// Write prints the summary: one line per namespace, the two groups, the
// total, then every disagreement with the validator's answer.
func Write(w io.Writer, s Summary, verbose bool) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%-32s %7s %7s %8s\n", "NAMESPACE", "AGREE", "TOTAL", "PERCENT")
	for _, t := range s.Namespaces {
		fmt.Fprintf(bw, "%-32s %7d %7d %7.2f%%\n", t.Name, t.Agree, t.Total, t.Percent())
	}
	fmt.Fprintln(bw)
	for _, t := range []Tally{s.Limbo, s.BetterTLS, s.All} {
		fmt.Fprintf(bw, "%-32s %7d %7d %7.2f%%\n", t.Name, t.Agree, t.Total, t.Percent())
	}
	fmt.Fprintf(bw, "\nx509-limbo testcases with a malformed certificate judged as a result: %d; bundle not loaded: %d; trust anchor refused: %d\n", s.Malformed, s.NotLoaded, s.StoreRefused)
	if verbose && len(s.Disagreements) > 0 {
		fmt.Fprintf(bw, "\ndisagreements (%d):\n", len(s.Disagreements))
		for _, o := range s.Disagreements {
			fmt.Fprintf(bw, "%s\texpected %s\tgot %s\n", o.Case.ID, o.Case.Expected, o.Why)
		}
	}
	return bw.Flush()
}

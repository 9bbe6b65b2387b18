package verify

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// embeddedRule returns the rule named name from the embedded store, so the
// synthetic roots below are registered under exactly the shipped policy.
func embeddedRule(t *testing.T, store, name string) truststore.Rule {
	t.Helper()
	s, err := truststore.Load(store)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Roots {
		for _, rule := range r.Rules {
			if rule.Name == name {
				return rule
			}
		}
	}
	t.Fatalf("no rule %s in the embedded %s store", name, store)
	return truststore.Rule{}
}

// finalize runs Check and Finalize and returns the result.
func finalize(certs []*x509.Certificate, stores []*truststore.Store, opts Options) result.Result {
	out := Check(certs, stores, opts)
	r := out.Result()
	return r
}

func findProblem(r result.Result, id string) *result.Problem {
	for i := range r.Problems {
		if r.Problems[i].ID == id {
			return &r.Problems[i]
		}
	}
	return nil
}

// TestStorePolicies proves every rule of both stores on both sides of its
// cut-off, at the verify level: a synthetic root carries the embedded rule;
// with only that store a violating chain fails 11237 distrusted-root, and
// with a second store that trusts the same root it passes with a
// distrusted-root warning naming the store and the rule.
func TestStorePolicies(t *testing.T) {
	type side struct {
		name      string
		notBefore func(cutoff time.Time) time.Time
		dns       string
		viaExempt bool // through the exempt sub-CA
		distrust  bool
	}
	day := 24 * time.Hour
	sameDay := func(c time.Time) time.Time { return c.Truncate(day).Add(12 * time.Hour) }
	atCut := func(c time.Time) time.Time { return c }
	secondAfter := func(c time.Time) time.Time { return c.Add(time.Second) }
	dayAfter := func(c time.Time) time.Time { return c.Truncate(day).Add(day + 12*time.Hour) }
	dayBefore := func(c time.Time) time.Time { return c.Add(-day) }
	distrustSides := []side{
		{name: "day before", notBefore: dayBefore},
		{name: "same day", notBefore: sameDay},
		{name: "at the cut-off", notBefore: atCut},
		{name: "a second after", notBefore: secondAfter, distrust: true},
		{name: "day after", notBefore: dayAfter, distrust: true},
	}
	tests := []struct {
		store, rule string
		wantDate    string // the shipped cut-off
		sides       []side
	}{
		{"mozilla", "CKA_NSS_SERVER_DISTRUST_AFTER", "2026-04-15T23:59:59Z", distrustSides},
		{"java", "SYMANTEC_TLS", "2019-04-16T23:59:59Z", append(append([]side{}, distrustSides...),
			side{name: "Apple IST sub-CA, after the cut-off, before the exception", notBefore: func(c time.Time) time.Time { return c.Add(60 * day) }, viaExempt: true},
			side{name: "Apple IST sub-CA, at the exception date", notBefore: func(time.Time) time.Time {
				return time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC)
			}, viaExempt: true},
			side{name: "Apple IST sub-CA, after the exception date", notBefore: func(time.Time) time.Time {
				return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
			}, viaExempt: true, distrust: true},
			side{name: "other sub-CA, between cut-off and exception", notBefore: func(c time.Time) time.Time { return c.Add(60 * day) }, distrust: true},
		)},
		{"java", "ENTRUST_TLS", "2024-11-11T23:59:59Z", distrustSides},
		{"java", "CAMERFIRMA_TLS", "2025-04-15T23:59:59Z", distrustSides},
		{"java", "CHUNGHWA_TLS", "2026-03-17T23:59:59Z", distrustSides},
		{"mozilla", "mozilla-tubitak-tr", "", []side{
			{name: "name under .tr", dns: "www.example.com.tr"},
			{name: "two-label .tr", dns: "example.tr"},
			{name: "name outside .tr", dns: "www.example.com", distrust: true},
			{name: "lookalike suffix", dns: "example.xtr", distrust: true},
		}},
	}
	for _, tt := range tests {
		rule := embeddedRule(t, tt.store, tt.rule)
		if tt.wantDate != "" && rule.Date.Format(time.RFC3339) != tt.wantDate {
			t.Errorf("%s %s: shipped cut-off %s, want %s", tt.store, tt.rule, rule.Date.Format(time.RFC3339), tt.wantDate)
		}
		cutoff := rule.Date
		if cutoff.IsZero() {
			cutoff = testpki.Epoch
		}
		long := testpki.Validity(cutoff.AddDate(-10, 0, 0), cutoff.AddDate(10, 0, 0))
		root := testpki.NewRoot(t, tt.rule+" Test Root", long)
		plainSub := root.Intermediate(t, tt.rule+" Issuing CA", long)
		exemptSub := root.Intermediate(t, "Apple IST CA 2 - G1", long)
		if len(rule.ExceptSubCA) > 0 {
			// The same policy, with the synthetic sub-CA in place of Apple's.
			rule.ExceptSubCA = []string{truststore.Fingerprint(exemptSub.Cert)}
		}
		restricted := truststore.New(tt.store, "test "+tt.store, []*truststore.Root{{Name: tt.rule + " Test Root", Cert: root.Cert, Rules: []truststore.Rule{rule}}})
		plain := truststore.New("other", "test other", []*truststore.Root{{Cert: root.Cert}})

		for _, sd := range tt.sides {
			t.Run(tt.store+"/"+tt.rule+"/"+sd.name, func(t *testing.T) {
				nb := cutoff.Add(-30 * day)
				if sd.notBefore != nil {
					nb = sd.notBefore(cutoff)
				}
				host := "example.test"
				if sd.dns != "" {
					host = sd.dns
				}
				sub := plainSub
				if sd.viaExempt {
					sub = exemptSub
				}
				leaf := sub.Leaf(t, testpki.Validity(nb, nb.Add(90*day)), testpki.DNS(host))
				certs := []*x509.Certificate{leaf.Cert, sub.Cert}
				opts := Options{At: nb.Add(day), WarnDays: 30, Host: host}

				alone := finalize(certs, []*truststore.Store{restricted}, opts)
				v := alone.Trust[tt.store]
				if v.Root != tt.rule+" Test Root" || v.RootSHA256 != truststore.Fingerprint(root.Cert) || v.StoreVersion != "test "+tt.store {
					t.Errorf("verdict %+v: want the root's name, SHA-256 and the store version", v)
				}
				if !sd.distrust {
					if alone.Status == result.StatusFail || alone.Status == result.StatusError || !v.Trusted {
						t.Fatalf("status %s code %d (%s), want a pass", alone.Status, alone.Code, alone.Detail)
					}
					if p := findProblem(alone, result.ProblemDistrustedRoot); p != nil {
						t.Errorf("unexpected %s: %s", p.ID, p.Message)
					}
					return
				}
				if alone.Status != result.StatusFail || alone.Code != result.CodeNoPath || v.Trusted || v.Code != result.CodeNoPath {
					t.Fatalf("only %s: status %s code %d verdict %+v, want fail 11237", tt.store, alone.Status, alone.Code, v)
				}
				p := findProblem(alone, result.ProblemDistrustedRoot)
				if p == nil || p.Severity != result.SeverityError || p.Store != tt.store {
					t.Fatalf("problems %+v, want an error %s for store %s", alone.Problems, result.ProblemDistrustedRoot, tt.store)
				}
				if !strings.Contains(p.Message, tt.rule) || !strings.Contains(p.Message, tt.store) {
					t.Errorf("message %q does not name the store and the rule", p.Message)
				}

				both := finalize(certs, []*truststore.Store{restricted, plain}, opts)
				if both.Status == result.StatusFail || both.Status == result.StatusError || both.Code != result.CodeNone {
					t.Fatalf("with a second store: status %s code %d (%s), want a pass", both.Status, both.Code, both.Detail)
				}
				if both.Trust[tt.store].Trusted || !both.Trust["other"].Trusted {
					t.Errorf("verdicts %+v: want %s untrusted, other trusted", both.Trust, tt.store)
				}
				p = findProblem(both, result.ProblemDistrustedRoot)
				if p == nil || p.Severity != result.SeverityWarn || !strings.Contains(p.Message, tt.rule) || !strings.Contains(p.Message, "the "+tt.store+" store") {
					t.Errorf("problems %+v: want a warn %s naming store %s and rule %s", both.Problems, result.ProblemDistrustedRoot, tt.store, tt.rule)
				}
				if both.Status != result.StatusWarn {
					t.Errorf("status %s, want warn", both.Status)
				}
			})
		}
	}
}

package truststore

import (
	"crypto/x509"
	"testing"
	"time"
)

func TestNew(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	a := issue(t, nil, "New Root A", true, now)
	b := issue(t, nil, "New Root B", true, now)
	rule := Rule{Kind: RuleDistrustAfter, Name: "TEST", Date: now}
	s := New("test", "v1", []*Root{
		{Cert: a.cert, Rules: []Rule{rule}},
		{Name: "Bee", SHA256: "", Cert: b.cert},
		{Name: "duplicate", Cert: a.cert},
		nil,
		{Name: "no cert"},
	})
	if s.Name != "test" || s.Version != "v1" || !s.Date.IsZero() || len(s.Roots) != 2 {
		t.Fatalf("store %+v", s)
	}
	if s.Roots[0].Name != "New Root A" || s.Roots[1].Name != "Bee" {
		t.Errorf("names %s, %s: want the CN when no name is given", s.Roots[0].Name, s.Roots[1].Name)
	}
	for _, r := range s.Roots {
		if r.SHA256 != fp(r.Cert) || s.Lookup(r.Cert) != r || Fingerprint(r.Cert) != r.SHA256 {
			t.Errorf("%s: fingerprint %q or lookup wrong", r.Name, r.SHA256)
		}
	}
	leaf := issue(t, a, "leaf", false, now.Add(time.Second)).cert
	if pe := s.CheckPolicy([]*x509.Certificate{leaf, a.cert}); pe == nil || pe.Rule.Name != "TEST" {
		t.Errorf("CheckPolicy = %v, want the TEST rule", pe)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: s.Pool, CurrentTime: now.Add(time.Hour)}); err != nil {
		t.Errorf("the leaf does not verify against Pool: %v", err)
	}
}

func TestRuleCutoff(t *testing.T) {
	cut := time.Date(2019, 4, 16, 23, 59, 59, 0, time.UTC)
	except := time.Date(2019, 12, 31, 23, 59, 59, 0, time.UTC)
	root := issue(t, nil, "Cutoff Root", true, cut.AddDate(-5, 0, 0))
	exempt := issue(t, root, "Exempt CA", true, cut.AddDate(-1, 0, 0))
	other := issue(t, root, "Other CA", true, cut.AddDate(-1, 0, 0))
	leafE := issue(t, exempt, "leaf", false, cut).cert
	leafO := issue(t, other, "leaf", false, cut).cert
	rule := Rule{Kind: RuleDistrustAfter, Name: "SYMANTEC_TLS", Date: cut, ExceptSubCA: []string{fp(exempt.cert)}, ExceptDate: except}
	tests := []struct {
		name  string
		rule  Rule
		chain []*x509.Certificate
		want  time.Time
	}{
		{"through the exempt sub-CA", rule, []*x509.Certificate{leafE, exempt.cert, root.cert}, except},
		{"through another sub-CA", rule, []*x509.Certificate{leafO, other.cert, root.cert}, cut},
		{"leaf under the root", rule, []*x509.Certificate{leafO, root.cert}, cut},
		{"name constraint", Rule{Kind: RuleNameConstraint, PermittedDNS: []string{".tr"}}, []*x509.Certificate{leafO, root.cert}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.Cutoff(tt.chain); !got.Equal(tt.want) {
				t.Errorf("Cutoff = %v, want %v", got, tt.want)
			}
		})
	}
}

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

func TestLifecycleWarnings(t *testing.T) {
	at := testpki.Epoch
	day := 24 * time.Hour
	type want struct {
		id      string
		store   string   // Problem.Store; "" when several stores
		inMsg   []string // substrings of the message
		absent  bool
		errorID string // an error problem expected instead
	}
	tests := []struct {
		name      string
		rootUntil time.Time // root notAfter
		rule      *truststore.Rule
		stores    []string // stores holding the root (all with the rule)
		warnDays  int
		wants     []want
		status    result.Status
	}{
		{name: "root expires within --warn-days", rootUntil: at.Add(10 * day), stores: []string{"mozilla"}, warnDays: 30,
			wants:  []want{{id: result.ProblemRootExpiring, store: "mozilla", inMsg: []string{`root "Lifecycle Root"`, "the mozilla store", at.Add(10 * day).Format(time.RFC3339), "in 10 days", "--warn-days 30"}}},
			status: result.StatusWarn},
		{name: "root expires on the last warned day", rootUntil: at.Add(30 * day), stores: []string{"mozilla"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootExpiring, store: "mozilla"}}, status: result.StatusWarn},
		{name: "root expires after --warn-days", rootUntil: at.Add(31 * day), stores: []string{"mozilla"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootExpiring, absent: true}}, status: result.StatusOK},
		{name: "warning disabled", rootUntil: at.Add(10 * day), stores: []string{"mozilla"}, warnDays: 0,
			wants: []want{{id: result.ProblemRootExpiring, absent: true}}, status: result.StatusOK},
		{name: "root already expired", rootUntil: at.Add(-day), stores: []string{"mozilla"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootExpiring, absent: true, errorID: result.ProblemExpired}}, status: result.StatusFail},
		{name: "same root in two stores", rootUntil: at.Add(10 * day), stores: []string{"mozilla", "java"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootExpiring, store: "", inMsg: []string{"the mozilla and java stores"}}}, status: result.StatusWarn},
		{name: "distrust date after the validation time",
			rule:   &truststore.Rule{Kind: truststore.RuleDistrustAfter, Name: "ENTRUST_TLS", Date: at.Add(40 * day)},
			stores: []string{"java"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootDistrustScheduled, store: "java", inMsg: []string{`root "Lifecycle Root"`, "the java store", "which ENTRUST_TLS distrusts for certificates issued after", at.Add(40 * day).Format(time.RFC3339), "in 40 days"}},
				{id: result.ProblemRootExpiring, absent: true}},
			status: result.StatusWarn},
		{name: "distrust date before the validation time, leaf issued before it",
			rule:   &truststore.Rule{Kind: truststore.RuleDistrustAfter, Name: "ENTRUST_TLS", Date: at.Add(-day)},
			stores: []string{"java"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootDistrustScheduled, absent: true}}, status: result.StatusOK},
		{name: "name constraint is not a date",
			rule:   &truststore.Rule{Kind: truststore.RuleNameConstraint, Name: "mozilla-tubitak-tr", PermittedDNS: []string{".test"}},
			stores: []string{"mozilla"}, warnDays: 30,
			wants: []want{{id: result.ProblemRootDistrustScheduled, absent: true}}, status: result.StatusOK},
		{name: "expiring and scheduled",
			rootUntil: at.Add(5 * day),
			rule:      &truststore.Rule{Kind: truststore.RuleDistrustAfter, Name: "CKA_NSS_SERVER_DISTRUST_AFTER", Date: at.Add(2 * day)},
			stores:    []string{"mozilla"}, warnDays: 30,
			wants:  []want{{id: result.ProblemRootExpiring, store: "mozilla"}, {id: result.ProblemRootDistrustScheduled, store: "mozilla", inMsg: []string{"CKA_NSS_SERVER_DISTRUST_AFTER"}}},
			status: result.StatusWarn},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			until := tt.rootUntil
			if until.IsZero() {
				until = at.AddDate(10, 0, 0)
			}
			root := testpki.NewRoot(t, "Lifecycle Root", testpki.Validity(at.AddDate(-5, 0, 0), until))
			inter := root.Intermediate(t, "Lifecycle CA", testpki.Validity(at.AddDate(-1, 0, 0), at.AddDate(5, 0, 0)))
			leaf := inter.Leaf(t, testpki.Validity(at.Add(-10*day), at.Add(80*day)))
			var stores []*truststore.Store
			for _, name := range tt.stores {
				r := &truststore.Root{Name: "Lifecycle Root", Cert: root.Cert}
				if tt.rule != nil {
					r.Rules = []truststore.Rule{*tt.rule}
				}
				stores = append(stores, truststore.New(name, "v1", []*truststore.Root{r}))
			}
			r := finalize([]*x509.Certificate{leaf.Cert, inter.Cert}, stores, Options{At: at, WarnDays: tt.warnDays, Host: "example.test"})
			if r.Status != tt.status {
				t.Errorf("status %s (%s), want %s", r.Status, r.Detail, tt.status)
			}
			for _, w := range tt.wants {
				n := 0
				for _, p := range r.Problems {
					if p.ID == w.id {
						n++
					}
				}
				p := findProblem(r, w.id)
				if w.absent {
					if p != nil {
						t.Errorf("unexpected %s: %s", w.id, p.Message)
					}
					if w.errorID != "" {
						if e := findProblem(r, w.errorID); e == nil || e.Severity != result.SeverityError {
							t.Errorf("problems %+v: want an error %s", r.Problems, w.errorID)
						}
					}
					continue
				}
				if p == nil || n != 1 {
					t.Fatalf("problems %+v: want one %s", r.Problems, w.id)
				}
				if p.Severity != result.SeverityWarn || p.Code != result.CodeNone || p.Cert != -1 || p.Store != w.store {
					t.Errorf("%s: %+v, want severity warn, code 0, cert -1, store %q", w.id, *p, w.store)
				}
				for _, s := range w.inMsg {
					if !strings.Contains(p.Message, s) {
						t.Errorf("%s message %q does not contain %q", w.id, p.Message, s)
					}
				}
			}
		})
	}
}

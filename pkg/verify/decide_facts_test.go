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

// TestCalendarExtremes: --warn-days far in the future still warns, and the
// days said at the extremes of time are the calendar's (no time.Duration
// overflow at 292 years).
func TestCalendarExtremes(t *testing.T) {
	root := testpki.NewRoot(t, "Calendar Root")
	inter := root.Intermediate(t, "Calendar CA")
	leaf := inter.Leaf(t) // 2026-05-02T12:00Z to 2026-07-31T12:00Z
	store := storeOf("calendar", root.Cert)
	certs := []*x509.Certificate{leaf.Cert, inter.Cert}

	tests := []struct {
		name     string
		at       time.Time
		warnDays int
		id       string
		status   result.Status
		msgHas   string
	}{
		{name: "warn-days 200000", at: testpki.Epoch, warnDays: 200000, id: result.ProblemExpiresSoon, status: result.StatusWarn, msgHas: "expires in 60 days"},
		{name: "warn-days 3000000", at: testpki.Epoch, warnDays: 3000000, id: result.ProblemExpiresSoon, status: result.StatusWarn, msgHas: "within --warn-days 3000000"},
		{name: "at year 1", at: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), id: result.ProblemNotYetValid, status: result.StatusFail, msgHas: "(739737 days from the validation time)"},
		{name: "at year 9999", at: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), id: result.ProblemExpired, status: result.StatusFail, msgHas: "expired 2912230 days ago"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(certs, []*truststore.Store{store}, Options{At: tt.at, WarnDays: tt.warnDays, Host: "example.test"}).Result()
			if r.Status != tt.status {
				t.Errorf("status %s (%s), want %s", r.Status, r.Detail, tt.status)
			}
			var found bool
			for _, p := range r.Problems {
				if p.ID == tt.id && p.Cert == 0 {
					found = true
					if !strings.Contains(p.Message, tt.msgHas) {
						t.Errorf("%s: %q, want it to say %q", p.ID, p.Message, tt.msgHas)
					}
				}
			}
			if !found {
				t.Errorf("no %s problem about the leaf: %+v", tt.id, r.Problems)
			}
		})
	}
}

// TestIntermediateAsAnchor: an intermediate trusted as an anchor does not
// make an incomplete chain pass silently.
func TestIntermediateAsAnchor(t *testing.T) {
	root := testpki.NewRoot(t, "Anchor Root")
	inter := root.Intermediate(t, "Anchor CA")
	leaf := inter.Leaf(t)
	tests := []struct {
		name   string
		stores []*truststore.Store
		status result.Status
		warn   bool
	}{
		{name: "intermediate as the only anchor", stores: []*truststore.Store{storeOf("inter.pem", inter.Cert)}, status: result.StatusWarn, warn: true},
		{name: "root as anchor", stores: []*truststore.Store{storeOf("root.pem", root.Cert)}, status: result.StatusOK},
		{name: "another store has the root", stores: []*truststore.Store{storeOf("inter.pem", inter.Cert), storeOf("root.pem", root.Cert)}, status: result.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs := []*x509.Certificate{leaf.Cert}
			if !tt.warn {
				certs = append(certs, inter.Cert)
			}
			r := Check(certs, tt.stores, Options{At: testpki.Epoch, Host: "example.test"}).Result()
			if r.Status != tt.status {
				t.Errorf("status %s (%s), want %s", r.Status, r.Detail, tt.status)
			}
			var p *result.Problem
			for i := range r.Problems {
				if r.Problems[i].ID == result.ProblemIntermediateAsRoot {
					p = &r.Problems[i]
				}
			}
			switch {
			case tt.warn && (p == nil || p.Severity != result.SeverityWarn || !strings.Contains(p.Message, `"Anchor CA"`) || !strings.Contains(p.Message, "inter.pem")):
				t.Errorf("problem %+v, want a warning naming inter.pem and \"Anchor CA\"", p)
			case !tt.warn && p != nil:
				t.Errorf("unexpected %+v", p)
			}
		})
	}
}

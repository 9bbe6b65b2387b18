package runner

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestEndpointSettings: a target's own settings (a certgate.yaml entry)
// replace the run's for it alone, and every input still yields exactly one
// result.
func TestEndpointSettings(t *testing.T) {
	root := testpki.NewRoot(t, "Endpoint Root")
	inter := root.Intermediate(t, "Endpoint CA")
	e := testpki.Epoch
	leaf := inter.Leaf(t, testpki.DNS("named.test"), testpki.Validity(e.AddDate(0, -2, 0), e.AddDate(0, 0, 9))).TLSCert(inter.Cert)
	stores := []*truststore.Store{loadStore(t, root)}
	port, lns := listenSamePort(t, "127.0.0.1", "127.0.0.2")
	serveTLS(t, lns[0], leaf)
	serveTLS(t, lns[1], leaf)
	p := strconv.Itoa(port)
	days := func(n int) *int { return &n }
	pinned := 0

	tests := []struct {
		name   string
		raw    string
		ep     *Endpoint
		status result.Status
		code   result.Code
		addrs  int
		ids    []string
	}{
		{"addresses: every one, though the name does not resolve", "named.test:" + p,
			&Endpoint{Addresses: []string{"127.0.0.1", "127.0.0.2"}}, result.StatusOK, 0, 2, nil},
		{"server name sent and validated for an IP target", "127.0.0.1:" + p,
			&Endpoint{ServerName: "named.test"}, result.StatusOK, 0, 0, nil},
		{"without it the IP target does not match", "127.0.0.1:" + p,
			nil, result.StatusFail, result.CodeDomainMismatch, 0, nil},
		{"warn days of the endpoint", "127.0.0.1:" + p,
			&Endpoint{ServerName: "named.test", WarnDays: days(14)}, result.StatusWarn, 0, 0, []string{result.ProblemExpiresSoon}},
		{"expect hook's problems are judged", "named.test:" + p,
			&Endpoint{Addresses: []string{"127.0.0.1"}, Expect: func(chain []result.Cert, stores []decide.Store) []result.Problem {
				pinned++
				if len(chain) != 2 || len(stores) != 1 || !stores[0].Path {
					t.Errorf("expect hook got %d certificates, %d stores", len(chain), len(stores))
				}
				return []result.Problem{{ID: result.ProblemExpectRootMismatch, Severity: result.SeverityError, Code: result.CodeNoPath, Cert: -1, Message: "pinned"}}
			}}, result.StatusFail, result.CodeNoPath, 1, []string{result.ProblemExpectRootMismatch}},
	}
	inputs := make([]Input, len(tests))
	for i, tc := range tests {
		inputs[i] = Input{Raw: tc.raw, Index: i, Endpoint: tc.ep}
	}
	i := 0
	next := func() (Input, bool) {
		if i == len(inputs) {
			return Input{}, false
		}
		i++
		return inputs[i-1], true
	}
	cfg := Config{Stores: stores, At: e, WarnDays: 5, Concurrency: 4, Probe: probe.Options{Timeout: 5 * time.Second, DNS: hostsDNS(nil)}}
	got := map[int]result.Result{}
	if err := Run(context.Background(), next, cfg, func(r result.Result) error {
		if _, dup := got[r.Index]; dup {
			t.Errorf("two results for input %d", r.Index)
		}
		got[r.Index] = r
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i, tc := range tests {
		r, ok := got[i]
		if !ok {
			t.Errorf("%s: no result", tc.name)
			continue
		}
		if r.Status != tc.status || r.Code != tc.code || len(r.Addresses) != tc.addrs {
			t.Errorf("%s: %s %d with %d addresses (%s), want %s %d with %d", tc.name, r.Status, r.Code, len(r.Addresses), r.Detail, tc.status, tc.code, tc.addrs)
		}
		for _, id := range tc.ids {
			found := false
			for _, p := range r.Problems {
				found = found || p.ID == id
			}
			if !found {
				t.Errorf("%s: no %s in %+v", tc.name, id, r.Problems)
			}
		}
	}
	if pinned != 1 {
		t.Errorf("expect hook ran %d times, want 1", pinned)
	}
}

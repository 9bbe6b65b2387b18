package runner

import (
	"context"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/probe"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestCheckVerdictsAgree checks real servers and requires the result to be
// the verdict of the store closest to passing, with path_not_after set.
func TestCheckVerdictsAgree(t *testing.T) {
	root := testpki.NewRoot(t, "Agree Runner Root")
	other := testpki.NewRoot(t, "Agree Runner Other")
	inter := root.Intermediate(t, "Agree Runner CA")
	good := inter.Leaf(t, testpki.IPs("127.0.0.1"))
	expired := inter.Leaf(t, testpki.IPs("127.0.0.1"), testpki.Validity(testpki.Epoch.AddDate(0, -3, 0), testpki.Epoch.AddDate(0, 0, -1)))
	named := inter.Leaf(t) // example.test only
	stores := []*truststore.Store{loadStore(t, root), loadStore(t, other)}

	tests := []struct {
		name     string
		addr     string
		status   result.Status
		code     result.Code
		notAfter time.Time
	}{
		{name: "trusted by one store", addr: testpki.ServeCert(t, good, inter.Cert), status: result.StatusWarn, notAfter: good.Cert.NotAfter},
		{name: "expired leaf", addr: testpki.ServeCert(t, expired, inter.Cert), status: result.StatusFail, code: result.CodeExpired, notAfter: expired.Cert.NotAfter},
		{name: "name mismatch", addr: testpki.ServeCert(t, named, inter.Cert), status: result.StatusFail, code: result.CodeDomainMismatch, notAfter: named.Cert.NotAfter},
		{name: "missing intermediate", addr: testpki.ServeCert(t, good), status: result.StatusFail, code: result.CodeNoPath, notAfter: good.Cert.NotAfter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Check(context.Background(), Input{Raw: tt.addr}, Config{Stores: stores, At: testpki.Epoch, WarnDays: 90, Probe: probe.Options{Timeout: 5 * time.Second}})
			if r.Status != tt.status || r.Code != tt.code {
				t.Fatalf("status %s code %d (%s), want %s %d", r.Status, r.Code, r.Detail, tt.status, tt.code)
			}
			best := result.CodeNoPath
			for _, v := range r.Trust {
				if v.Code.Precedence() > best.Precedence() {
					best = v.Code
				}
			}
			if len(r.Trust) != 2 || best != r.Code {
				t.Errorf("result code %d, verdicts %+v: they must agree", r.Code, r.Trust)
			}
			if r.PathNotAfter == nil || !r.PathNotAfter.Equal(tt.notAfter) {
				t.Errorf("path_not_after %v, want %v", r.PathNotAfter, tt.notAfter)
			}
		})
	}
}

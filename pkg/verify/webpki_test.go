package verify

import (
	"crypto/x509"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

func TestWebPKIRules(t *testing.T) {
	root := testpki.NewRoot(t, "WebPKI Root")
	inter := root.Intermediate(t, "WebPKI CA")
	store := storeOf("webpki", root.Cert)
	weakLeaf := func() *x509.Certificate {
		return inter.Leaf(t, testpki.WithKey(testpki.RSA(1024)), testpki.Serial(99),
			testpki.Validity(testpki.Epoch.AddDate(0, 0, -1), testpki.Epoch.AddDate(0, 1, 0))).Cert
	}
	tests := []struct {
		name string
		leaf *x509.Certificate
		host string
		want string // problem id, "" for none
	}{
		{"clean leaf", inter.Leaf(t).Cert, "example.test", ""},
		{"CA as leaf", inter.Leaf(t, func(c *x509.Certificate) { c.IsCA, c.BasicConstraintsValid = true, true }).Cert, "example.test", result.ProblemCAAsLeaf},
		{"leaf may sign certificates", inter.Leaf(t, func(c *x509.Certificate) { c.KeyUsage |= x509.KeyUsageCertSign }).Cert, "example.test", result.ProblemLeafCertSign},
		{"no extendedKeyUsage", inter.Leaf(t, func(c *x509.Certificate) { c.ExtKeyUsage = nil }).Cert, "example.test", result.ProblemEKUMissing},
		{"anyExtendedKeyUsage", inter.Leaf(t, func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} }).Cert, "example.test", result.ProblemEKUInvalid},
		{"CN not in SAN", inter.Leaf(t, testpki.CN("other.test")).Cert, "example.test", result.ProblemCNNotInSAN},
		{"wildcard on a public suffix", inter.Leaf(t, testpki.CN("*.co.uk"), testpki.DNS("*.co.uk")).Cert, "example.co.uk", result.ProblemWildcardPublicSuffix},
		{"underscore in a name", inter.Leaf(t, testpki.CN("a_b.example.test"), testpki.DNS("a_b.example.test")).Cert, "a_b.example.test", result.ProblemMalformedName},
		{"1024-bit RSA", weakLeaf(), "example.test", result.ProblemWeakKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Check([]*x509.Certificate{tt.leaf, inter.Cert}, []*truststore.Store{store}, Options{At: testpki.Epoch, Host: tt.host, WebPKI: true})
			r := finalized(out)
			var got []string
			for _, p := range r.Problems {
				if IsWebPKIProblem(p.ID) {
					got = append(got, p.ID)
					if p.Severity != result.SeverityWarn || p.Code != result.CodeNone || p.Message == "" {
						t.Errorf("%s: severity %s code %d, want a warning with code 0 and a message", p.ID, p.Severity, p.Code)
					}
				}
			}
			if tt.want == "" {
				if len(got) > 0 || r.Status != result.StatusOK {
					t.Errorf("status %s, Web PKI problems %v; want ok and none", r.Status, got)
				}
				return
			}
			if len(got) != 1 || got[0] != tt.want {
				t.Errorf("Web PKI problems %v, want exactly [%s]", got, tt.want)
			}
			if r.Status != result.StatusWarn {
				t.Errorf("status %s, want warn (the chain still passes)", r.Status)
			}
		})
	}
}

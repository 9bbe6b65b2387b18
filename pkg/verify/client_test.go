package verify

import (
	"crypto/x509"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// TestClientModels checks each client-model rule on its own: the java
// store's verdict follows the JDK client, the mozilla store's OpenSSL, and
// a store with no model (a file) crypto/x509. internal/oracle checks the
// same cases against the real clients.
func TestClientModels(t *testing.T) {
	at := testpki.Epoch
	type chain struct {
		host  string
		root  *x509.Certificate
		certs []*x509.Certificate
	}
	std := func(t *testing.T, interOpts []testpki.Option, leafOpts ...testpki.Option) chain {
		root := testpki.NewRoot(t, "Model Root")
		inter := root.Intermediate(t, "Model CA", interOpts...)
		leaf := inter.Leaf(t, append([]testpki.Option{testpki.DNS("host.test")}, leafOpts...)...)
		return chain{host: "host.test", root: root.Cert, certs: []*x509.Certificate{leaf.Cert, inter.Cert}}
	}
	cases := []struct {
		name                string
		build               func(t *testing.T) chain
		embeddedJava        bool // the java store stands for the embedded one
		java, mozilla, file result.Code
		status              result.Status
		want                []string // problem ids the result lists
	}{
		{name: "leaf keyUsage without digitalSignature", java: result.CodeNoPath, status: result.StatusWarn,
			want: []string{result.ProblemNoDigitalSignature},
			build: func(t *testing.T) chain {
				return std(t, nil, testpki.WithKey(testpki.ECDSA(256)), testpki.KeyUsage(x509.KeyUsageKeyAgreement))
			}},
		{name: "intermediate EKU clientAuth only", mozilla: result.CodeNoPath, file: result.CodeNoPath, status: result.StatusWarn,
			want: []string{result.ProblemCAEKUIgnored},
			build: func(t *testing.T) chain {
				return std(t, []testpki.Option{testpki.EKU(x509.ExtKeyUsageClientAuth)})
			}},
		{name: "wildcard over a public suffix under a test root", status: result.StatusWarn,
			want: []string{result.ProblemWildcardPublicSuffix},
			build: func(t *testing.T) chain {
				c := std(t, nil, testpki.DNS("*.co.uk"))
				c.host = "shop.co.uk"
				return c
			}},
		{name: "wildcard over a public suffix under a cacerts root", embeddedJava: true, java: result.CodeDomainMismatch, status: result.StatusWarn,
			want: []string{result.ProblemWildcardSuffixRejected},
			build: func(t *testing.T) chain {
				c := std(t, nil, testpki.DNS("*.co.uk"))
				c.host = "shop.co.uk"
				return c
			}},
		{name: "RSA-1024 leaf", mozilla: result.CodeNoPath, status: result.StatusWarn,
			want:  []string{result.ProblemKeyTooSmall, result.ProblemWeakKey},
			build: func(t *testing.T) chain { return std(t, nil, testpki.WithKey(testpki.RSA(1024))) }},
		{name: "leaf EKU anyExtendedKeyUsage only", mozilla: result.CodeNoPath, status: result.StatusWarn,
			want:  []string{result.ProblemLeafEKUNotServerAuth},
			build: func(t *testing.T) chain { return std(t, nil, testpki.EKU(x509.ExtKeyUsageAny)) }},
		{name: "host only in the CN", file: result.CodeDomainMismatch, status: result.StatusWarn,
			want:  []string{result.ProblemCNOnly},
			build: func(t *testing.T) chain { return std(t, nil, testpki.RawDNS(), testpki.CN("host.test")) }},
		{name: "IP host only in the CN", java: result.CodeDomainMismatch, mozilla: result.CodeDomainMismatch, file: result.CodeDomainMismatch, status: result.StatusFail,
			want: []string{result.ProblemHostnameMismatch},
			build: func(t *testing.T) chain {
				c := std(t, nil, testpki.RawDNS(), testpki.CN("192.0.2.7"))
				c.host = "192.0.2.7"
				return c
			}},
		{name: "partial wildcard", file: result.CodeDomainMismatch, status: result.StatusWarn,
			want: []string{result.ProblemPartialWildcard},
			build: func(t *testing.T) chain {
				c := std(t, nil, testpki.DNS("w*.example.test"))
				c.host = "www.example.test"
				return c
			}},
		{name: "partial wildcard that does not match", java: result.CodeDomainMismatch, mozilla: result.CodeDomainMismatch, file: result.CodeDomainMismatch, status: result.StatusFail,
			want: []string{result.ProblemHostnameMismatch},
			build: func(t *testing.T) chain {
				c := std(t, nil, testpki.DNS("w*.example.test"))
				c.host = "mail.example.test"
				return c
			}},
		{name: "name constraints on a CN-only leaf", java: result.CodeNoPath, mozilla: result.CodeNoPath, file: result.CodeDomainMismatch, status: result.StatusFail,
			want: []string{result.ProblemCNNameConstraint},
			build: func(t *testing.T) chain {
				return std(t, []testpki.Option{testpki.PermitDNS("allowed.test")}, testpki.RawDNS(), testpki.CN("host.test"))
			}},
		{name: "expired root", mozilla: result.CodeExpired, file: result.CodeExpired, status: result.StatusWarn,
			want: []string{result.ProblemAnchorExpired},
			build: func(t *testing.T) chain {
				root := testpki.NewRoot(t, "Expired Root", testpki.Validity(at.AddDate(-10, 0, 0), at.AddDate(0, 0, -1)))
				inter := root.Intermediate(t, "Model CA")
				leaf := inter.Leaf(t, testpki.DNS("host.test"))
				return chain{host: "host.test", root: root.Cert, certs: []*x509.Certificate{leaf.Cert, inter.Cert}}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.build(t)
			java := truststore.New(truststore.Java, "test", []*truststore.Root{{Cert: c.root}})
			if tc.embeddedJava {
				java.Date = at // what marks an embedded store
			}
			stores := []*truststore.Store{
				java,
				truststore.New(truststore.Mozilla, "test", []*truststore.Root{{Cert: c.root}}),
				truststore.New("root.pem", "test", []*truststore.Root{{Cert: c.root}}),
			}
			r := Check(c.certs, stores, Options{At: at, Host: c.host, WebPKI: true}).Result()
			for store, want := range map[string]result.Code{truststore.Java: tc.java, truststore.Mozilla: tc.mozilla, "root.pem": tc.file} {
				if got := r.Trust[store]; got.Code != want || got.Trusted != (want == result.CodeNone) {
					t.Errorf("%s verdict = %d (trusted %v), want %d", store, got.Code, got.Trusted, want)
				}
			}
			if r.Status != tc.status {
				t.Errorf("status = %s, want %s (detail %q)", r.Status, tc.status, r.Detail)
			}
			ids := make([]string, len(r.Problems))
			for i, p := range r.Problems {
				ids[i] = p.ID
			}
			for _, id := range tc.want {
				if !slices.Contains(ids, id) {
					t.Errorf("problems %v lack %s", ids, id)
				}
			}
			if t.Failed() {
				t.Logf("problems: %+v", r.Problems)
			}
		})
	}
}

// TestNameListsBounded: a leaf with hundreds of names gets messages that
// list the first few and count the rest, on the mismatch and on the
// partial-wildcard warning alike.
func TestNameListsBounded(t *testing.T) {
	at := testpki.Epoch
	names := []string{"w*.example.test"}
	for i := range 300 {
		names = append(names, fmt.Sprintf("host%03d.example.test", i))
	}
	root := testpki.NewRoot(t, "Model Root")
	leaf := root.Leaf(t, testpki.DNS(names...))
	stores := []*truststore.Store{truststore.New(truststore.Java, "test", []*truststore.Root{{Cert: root.Cert}})}
	for _, host := range []string{"www.example.test", "other.test"} {
		r := Check([]*x509.Certificate{leaf.Cert}, stores, Options{At: at, Host: host, WebPKI: true}).Result()
		if len(r.Problems) == 0 {
			t.Fatalf("%s: no problem for a name only a partial wildcard or nothing matches", host)
		}
		for _, p := range r.Problems {
			if len(p.Message) > 800 {
				t.Errorf("%s: %s message of %d bytes", host, p.ID, len(p.Message))
			}
			if (p.ID == result.ProblemPartialWildcard || p.ID == result.ProblemHostnameMismatch) && !strings.Contains(p.Message, "and 293 more") {
				t.Errorf("%s: %s message %q does not count the names it leaves out", host, p.ID, p.Message)
			}
		}
	}
}

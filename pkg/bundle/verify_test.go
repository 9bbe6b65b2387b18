package bundle

import (
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
	"github.com/certgate/certgate/pkg/verify"
)

func storeOf(name string, roots ...*x509.Certificate) *truststore.Store {
	var rs []*truststore.Root
	for _, r := range roots {
		rs = append(rs, &truststore.Root{Cert: r})
	}
	return truststore.New(name, "test", rs)
}

// TestVerifyVerdictsAgree judges real bundles whose result and store
// verdicts once disagreed, and checks that the result is the verdict of the
// store closest to passing, that the detail names the real cause, and that
// path_not_after is the earliest notAfter of the path.
func TestVerifyVerdictsAgree(t *testing.T) {
	root := testpki.NewRoot(t, "Agree Root")
	inter := root.Intermediate(t, "Agree CA")
	leaf := inter.Leaf(t)
	sha1Leaf := inter.Leaf(t, func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 })
	// A leaf that expired before its (current) intermediate was issued.
	lateInter := root.Intermediate(t, "Late CA", testpki.Validity(testpki.Epoch.AddDate(0, -6, 0), testpki.Epoch.AddDate(1, 0, 0)))
	oldLeaf := lateInter.Leaf(t, testpki.Validity(testpki.Epoch.AddDate(-2, 0, 0), testpki.Epoch.AddDate(-1, 0, 0)))
	other := testpki.NewRoot(t, "Other Root")

	mozilla := storeOf("mozilla", root.Cert)
	java := storeOf("java", root.Cert)
	foreign := storeOf("foreign", other.Cert)

	tests := []struct {
		name      string
		certs     []*x509.Certificate
		stores    []*truststore.Store
		host      string
		status    result.Status
		code      result.Code
		detailHas []string
		notAfter  time.Time
		// notProblem must appear in no problem's message.
		notProblem string
	}{
		{name: "good bundle", certs: []*x509.Certificate{leaf.Cert, inter.Cert}, stores: []*truststore.Store{mozilla, java}, host: "example.test",
			status: result.StatusOK, notAfter: leaf.Cert.NotAfter},
		{name: "CA certificate first", certs: []*x509.Certificate{inter.Cert, leaf.Cert}, stores: []*truststore.Store{mozilla, java}, host: "example.test",
			status: result.StatusFail, code: result.CodeNoPath},
		{name: "CA certificate first, wrong host", certs: []*x509.Certificate{inter.Cert, leaf.Cert}, stores: []*truststore.Store{mozilla}, host: "other.test",
			status: result.StatusFail, code: result.CodeNoPath},
		{name: "SHA-1 signed leaf", certs: []*x509.Certificate{sha1Leaf.Cert, inter.Cert}, stores: []*truststore.Store{mozilla}, host: "example.test",
			status: result.StatusFail, code: result.CodeNoPath, detailHas: []string{"insecure algorithm", "ECDSA-SHA1"}},
		{name: "leaf expired before its intermediate was issued", certs: []*x509.Certificate{oldLeaf.Cert, lateInter.Cert}, stores: []*truststore.Store{mozilla}, host: "example.test",
			status: result.StatusFail, code: result.CodeExpired, detailHas: []string{`leaf certificate "example.test" expired`}, notProblem: "Late CA"},
		{name: "no store trusts it: every store named", certs: []*x509.Certificate{leaf.Cert, inter.Cert}, stores: []*truststore.Store{foreign, storeOf("corp.pem", other.Cert)}, host: "example.test",
			status: result.StatusFail, code: result.CodeNoPath, detailHas: []string{"neither foreign nor corp.pem trusts it"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Verify("bundle.pem", tt.certs, tt.stores, verify.Options{At: testpki.Epoch, Host: tt.host}, nil)
			if r.Status != tt.status || r.Code != tt.code {
				t.Fatalf("status %s code %d (%s), want %s %d", r.Status, r.Code, r.Detail, tt.status, tt.code)
			}
			for _, s := range tt.detailHas {
				if !strings.Contains(r.Detail, s) {
					t.Errorf("detail %q, want it to name %q", r.Detail, s)
				}
			}
			for _, p := range r.Problems {
				if tt.notProblem != "" && strings.Contains(p.Message, tt.notProblem) {
					t.Errorf("problem %s names %q: %s", p.ID, tt.notProblem, p.Message)
				}
			}
			best := result.CodeNoPath
			for name, v := range r.Trust {
				if v.Trusted != (v.Code == result.CodeNone) {
					t.Errorf("trust[%s] = %+v: trusted and code disagree", name, v)
				}
				if v.Code.Precedence() > best.Precedence() {
					best = v.Code
				}
			}
			if len(r.Trust) != len(tt.stores) || r.Code != best {
				t.Errorf("result code %d, store verdicts %+v: the result must be the best store's verdict", r.Code, r.Trust)
			}
			if !tt.notAfter.IsZero() && (r.PathNotAfter == nil || !r.PathNotAfter.Equal(tt.notAfter)) {
				t.Errorf("path_not_after %v, want %v", r.PathNotAfter, tt.notAfter)
			}
			if r.PathNotAfter == nil {
				t.Errorf("path_not_after unset for a presented chain")
			}
		})
	}
}

// TestParseLenient keeps the certificates that parse and names those that
// do not by file, index and PEM block.
func TestParseLenient(t *testing.T) {
	root := testpki.NewRoot(t, "Lenient Root")
	leaf := root.Leaf(t)
	bad := append([]byte{}, leaf.Cert.Raw...)
	bad[15] |= 0x80 // the serial's sign bit: crypto/x509 refuses a negative serial
	if _, err := x509.ParseCertificate(bad); err == nil {
		t.Fatal("the edited certificate still parses")
	}
	badPEM := string(testpki.PEM(&x509.Certificate{Raw: bad}))
	tests := []struct {
		name      string
		data      []byte
		good      int
		malformed []Malformed // Path, Index, Block
		wantErr   bool
	}{
		{name: "PEM, bad block between good ones", data: []byte(string(testpki.PEM(leaf.Cert)) + "notes\n" + badPEM + string(testpki.PEM(root.Cert))),
			good: 2, malformed: []Malformed{{Path: "b.pem", Index: 2, Block: 2}}},
		{name: "DER, bad certificate second", data: append(append([]byte{}, leaf.Cert.Raw...), bad...), good: 1, malformed: []Malformed{{Path: "b.pem", Index: 2}}},
		{name: "only a bad certificate", data: []byte(badPEM), malformed: []Malformed{{Path: "b.pem", Index: 1, Block: 1}}},
		{name: "no certificate at all", data: []byte("hello\n"), wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, mal, err := ParseLenient("b.pem", tt.data)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v", err, tt.wantErr)
			}
			if len(certs) != tt.good || len(mal) != len(tt.malformed) {
				t.Fatalf("%d good and %d malformed, want %d and %d", len(certs), len(mal), tt.good, len(tt.malformed))
			}
			for i, m := range mal {
				w := tt.malformed[i]
				if m.Path != w.Path || m.Index != w.Index || m.Block != w.Block || m.Err == nil {
					t.Errorf("malformed %+v, want %+v with an error", m, w)
				}
			}
			if len(mal) > 0 {
				p := MalformedProblem(mal)
				if p.ID != result.ProblemMalformedCertificate || p.Code != result.CodeNoPath || !strings.Contains(p.Message, "b.pem") || !strings.Contains(p.Message, "negative serial") {
					t.Errorf("problem %+v", p)
				}
			}
		})
	}
}

package verify

import (
	"crypto/x509"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/truststore"
)

// hierarchy is root → inter1 → inter2 → leaf, with an unrelated CA.
type hierarchy struct {
	root, inter1, inter2, other *testpki.CA
	leaf                        *testpki.Leaf
	store                       *truststore.Store
}

func newHierarchy(t *testing.T) *hierarchy {
	h := &hierarchy{root: testpki.NewRoot(t, "Shape Root")}
	h.inter1 = h.root.Intermediate(t, "Shape Policy CA")
	h.inter2 = h.inter1.Intermediate(t, "Shape Issuing CA")
	h.leaf = h.inter2.Leaf(t)
	h.other = testpki.NewRoot(t, "Unrelated Root").Intermediate(t, "Unrelated CA")
	h.store = storeOf("shape", h.root.Cert)
	return h
}

func storeOf(name string, roots ...*x509.Certificate) *truststore.Store {
	s := &truststore.Store{Name: name, Source: name, Pool: x509.NewCertPool()}
	for _, r := range roots {
		s.Roots = append(s.Roots, &truststore.Root{Name: r.Subject.CommonName, Cert: r})
		s.Pool.AddCert(r)
	}
	return s
}

func finalized(out Outcome) result.Result { return out.Result() }

func shapeProblem(r result.Result, id string) *result.Problem {
	for i := range r.Problems {
		if r.Problems[i].ID == id {
			return &r.Problems[i]
		}
	}
	return nil
}

func TestChainShape(t *testing.T) {
	h := newHierarchy(t)
	L, I1, I2, R, O := h.leaf.Cert, h.inter1.Cert, h.inter2.Cert, h.root.Cert, h.other.Cert
	type want struct {
		id       string
		severity result.Severity
		cert     int
		msgHas   string
	}
	tests := []struct {
		name   string
		certs  []*x509.Certificate
		extra  []*x509.Certificate
		status result.Status
		code   result.Code
		want   []want
		absent []string
	}{
		{name: "in order", certs: []*x509.Certificate{L, I2, I1}, status: result.StatusOK,
			absent: []string{result.ProblemChainOrder, result.ProblemChainDuplicate, result.ProblemChainUnrelated, result.ProblemChainRootIncluded}},
		{name: "in order with root", certs: []*x509.Certificate{L, I2, I1, R}, status: result.StatusOK,
			want: []want{{result.ProblemChainRootIncluded, result.SeverityInfo, 3, `root "Shape Root"`}}},
		{name: "intermediates swapped", certs: []*x509.Certificate{L, I1, I2}, status: result.StatusWarn,
			want: []want{{result.ProblemChainOrder, result.SeverityWarn, 1, `"example.test", "Shape Issuing CA", "Shape Policy CA"`}}},
		{name: "root first of the intermediates", certs: []*x509.Certificate{L, R, I1, I2}, status: result.StatusWarn,
			want: []want{{result.ProblemChainOrder, result.SeverityWarn, 2, "out of order"}, {result.ProblemChainRootIncluded, result.SeverityInfo, 1, "drop it"}}},
		{name: "duplicate intermediate", certs: []*x509.Certificate{L, I2, I2, I1}, status: result.StatusWarn,
			want:   []want{{result.ProblemChainDuplicate, result.SeverityWarn, 2, "copy of certificate 2"}},
			absent: []string{result.ProblemChainUnrelated}},
		{name: "unrelated certificate", certs: []*x509.Certificate{L, I2, O, I1}, status: result.StatusWarn,
			want:   []want{{result.ProblemChainUnrelated, result.SeverityWarn, 2, `"Unrelated CA" is not part of the path`}},
			absent: []string{result.ProblemChainOrder}},
		{name: "leaf not first", certs: []*x509.Certificate{I2, L, I1}, status: result.StatusFail, code: result.CodeNoPath,
			want: []want{{result.ProblemChainLeafNotFirst, result.SeverityError, 1, "put the server certificate first"}}},
		{name: "missing intermediate, no pool", certs: []*x509.Certificate{L, I1}, status: result.StatusFail, code: result.CodeNoPath,
			want:   []want{{result.ProblemUnknownAuthority, result.SeverityError, 0, `"Shape Issuing CA"`}},
			absent: []string{result.ProblemChainMissingIntermediate, result.ProblemChainUnrelated}},
		{name: "missing intermediate found in pool", certs: []*x509.Certificate{L, I1}, extra: []*x509.Certificate{O, I2}, status: result.StatusFail, code: result.CodeNoPath,
			want: []want{{result.ProblemChainMissingIntermediate, result.SeverityError, -1, `lacks intermediate "Shape Issuing CA" (the issuer of "example.test"), found among the extra intermediates: add "Shape Issuing CA" right after "example.test"`}}},
		{name: "leaf alone, pool has both", certs: []*x509.Certificate{L}, extra: []*x509.Certificate{I1, I2}, status: result.StatusFail, code: result.CodeNoPath,
			want: []want{{result.ProblemChainMissingIntermediate, result.SeverityError, -1, `lacks 2 intermediates of the path, found among the extra intermediates: add "Shape Issuing CA" right after "example.test", then "Shape Policy CA" right after "Shape Issuing CA"`}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := Check(tt.certs, []*truststore.Store{h.store}, Options{At: testpki.Epoch, Host: "example.test", Intermediates: tt.extra})
			r := finalized(out)
			if r.Status != tt.status || r.Code != tt.code {
				t.Errorf("status %s %d, want %s %d (%s)", r.Status, r.Code, tt.status, tt.code, r.Detail)
			}
			for _, w := range tt.want {
				found := false
				for _, p := range r.Problems {
					if p.ID == w.id && p.Severity == w.severity && p.Cert == w.cert && strings.Contains(p.Message, w.msgHas) {
						found = true
					}
				}
				if !found {
					t.Errorf("no %s problem of severity %s for cert %d containing %q; problems: %+v", w.id, w.severity, w.cert, w.msgHas, r.Problems)
				}
			}
			for _, id := range tt.absent {
				if p := shapeProblem(r, id); p != nil {
					t.Errorf("unexpected %s: %s", id, p.Message)
				}
			}
		})
	}
}

func TestFixChain(t *testing.T) {
	h := newHierarchy(t)
	L, I1, I2, R, O := h.leaf.Cert, h.inter1.Cert, h.inter2.Cert, h.root.Cert, h.other.Cert
	stores := []*truststore.Store{storeOf("empty", O), h.store}
	tests := []struct {
		name  string
		certs []*x509.Certificate
		extra []*x509.Certificate
		want  []*x509.Certificate
	}{
		{"already right", []*x509.Certificate{L, I2, I1}, nil, []*x509.Certificate{L, I2, I1}},
		{"reversed, root, unrelated and duplicate", []*x509.Certificate{L, R, I1, O, I2, I1}, nil, []*x509.Certificate{L, I2, I1}},
		{"missing intermediates from the pool", []*x509.Certificate{L}, []*x509.Certificate{O, I1, R, I2}, []*x509.Certificate{L, I2, I1}},
		{"no path", []*x509.Certificate{L, I2}, []*x509.Certificate{O}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FixChain(tt.certs, tt.extra, stores, testpki.Epoch)
			if len(got) != len(tt.want) {
				t.Fatalf("got %d certificates %v, want %d", len(got), names(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("certificate %d is %q, want %q", i, got[i].Subject.CommonName, tt.want[i].Subject.CommonName)
				}
			}
		})
	}
}

func names(cs []*x509.Certificate) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Subject.CommonName)
	}
	return out
}

package config

import (
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/result"
)

func TestExpectCheck(t *testing.T) {
	fp := strings.Repeat("ab", 32)
	chain := []result.Cert{{Subject: "CN=a.test", Issuer: "CN=R11,O=Let's Encrypt"}, {Subject: "CN=R11,O=Let's Encrypt", SHA256: strings.Repeat("cd", 32)}}
	stores := []decide.Store{{Name: "mozilla", Path: true, Root: "ISRG Root X1", RootSHA256: fp}, {Name: "java", Path: false, Root: "Other"}}
	var pairs []string
	for i := 0; i < len(fp); i += 2 {
		pairs = append(pairs, fp[i:i+2])
	}
	colons := strings.ToUpper(strings.Join(pairs, ":"))
	for _, tc := range []struct {
		name string
		x    Expect
		want []string
	}{
		{"nothing pinned", Expect{}, nil},
		{"root by name", Expect{Root: "isrg root x1"}, nil},
		{"root by fingerprint", Expect{Root: colons}, nil},
		{"root of a store without a path does not count", Expect{Root: "Other"}, []string{result.ProblemExpectRootMismatch}},
		{"other root", Expect{Root: "DigiCert"}, []string{result.ProblemExpectRootMismatch}},
		{"issuer by name", Expect{Issuer: "R11"}, nil},
		{"issuer by fingerprint", Expect{Issuer: strings.Repeat("CD", 32)}, nil},
		{"other issuer", Expect{Issuer: "E5", Root: "ISRG"}, []string{result.ProblemExpectIssuerMismatch}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := tc.x.Check(chain, stores, "c.yaml:3")
			var got []string
			for _, p := range ps {
				got = append(got, p.ID)
				if p.Severity != result.SeverityError || p.Code != result.CodeNoPath || !strings.Contains(p.Message, "c.yaml:3") {
					t.Errorf("problem %+v: want an error 11237 naming c.yaml:3", p)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if ps := (Expect{Root: "X"}).Check(chain, []decide.Store{{Name: "mozilla"}}, "c.yaml:3"); len(ps) != 0 {
		t.Errorf("a chain no store trusts got a pin problem too: %+v", ps)
	}
}

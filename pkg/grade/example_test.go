package grade_test

import (
	"fmt"

	"github.com/certgate/certgate/pkg/decide"
	"github.com/certgate/certgate/pkg/grade"
	"github.com/certgate/certgate/pkg/result"
)

// The order a scan follows: the weaknesses join the facts before the
// decision, the grade is rated after it.
func Example() {
	r := result.Result{Target: "api.example.test", Scan: &result.Scan{
		HTTPS:     true,
		Protocols: []result.ProtocolSupport{{Version: "TLS 1.3", Supported: true}, {Version: "TLS 1.2", Supported: true}, {Version: "TLS 1.0", Supported: true}},
		CipherSuites: []result.Suite{
			{Protocol: "TLS 1.3", Name: "TLS_AES_128_GCM_SHA256", Bits: 128, AEAD: true, ForwardSecret: true},
			{Protocol: "TLS 1.2", Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Bits: 256, AEAD: true, ForwardSecret: true},
			{Protocol: "TLS 1.0", Name: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", Bits: 128, ForwardSecret: true},
		},
		Groups: []string{"x25519"}, ServerKey: "RSA 2048",
		Features: result.Features{SecureRenegotiation: true, FallbackSCSV: true, HSTS: &result.HSTS{MaxAge: 31536000}},
	}}
	problems := grade.Weaknesses(r.Scan, grade.Context{})
	decide.Apply(&r, decide.Facts{Presented: 1, Problems: problems, Stores: []decide.Store{{Name: "mozilla", Path: true}}})
	r.Scan.Grade = grade.Rate(&r)

	fmt.Println(r.Status, r.Detail)
	g := r.Scan.Grade
	fmt.Println(g.Grade, g.Score, g.Protocol, g.KeyExchange, g.Cipher)
	for _, c := range g.Caps {
		fmt.Println(c.Grade, c.ID)
	}
	fmt.Println(grade.Below(g.Grade, "A-"))
	// Output:
	// warn the server speaks TLS 1.0, which no current client needs: disable it
	// B 92 95 90 90
	// B tls10-tls11
	// true
}

package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
)

// manyNames is a leaf valid for n names: 2,000 of them make a Certificate
// message of about 50 KB, which Go's client takes and the JDK's refuses.
func manyNames(n int) testpki.Option {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("name-%05d.limits.test", i)
	}
	return testpki.DNS(names...)
}

func profiles(t *testing.T, names ...string) []*clients.Profile {
	t.Helper()
	var ps []*clients.Profile
	for _, n := range names {
		p, err := clients.ByName(n)
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	return ps
}

func TestCertificateLimitsOnTheFastPath(t *testing.T) {
	root := testpki.NewRoot(t, "Limits Root")
	big := testpki.ServeCert(t, root.Leaf(t, manyNames(2000)), root.Cert)
	small := testpki.ServeCert(t, root.Leaf(t), root.Cert)
	// A chain of 12 certificates: the JDK takes at most 10.
	chain := []*x509.Certificate{root.Cert}
	for range 10 {
		chain = append(chain, root.Cert)
	}
	long := testpki.ServeCert(t, root.Leaf(t), chain...)

	tests := []struct {
		name    string
		addr    string
		clients []string
		wantErr string // the failure's problem id, "" for none
		warn    bool   // a client-refuses warning
		words   []string
	}{
		{"small chain, Java clients", small, []string{"java-17", "java-25"}, "", false, nil},
		{"50 KB Certificate message, Java clients", big, []string{"java-17", "java-25"}, result.ProblemClientRefuses, false,
			[]string{"Java 17 refuses", "Java 25 refuses", "jdk.tls.maxHandshakeMessageSize", "more than 32768"}},
		{"50 KB Certificate message, Go's recorded client", big, []string{"go-1.26"}, "", false, nil},
		{"50 KB Certificate message, Java 17 and Go", big, []string{"java-17", "go-1.26"}, "", true,
			[]string{"Go 1.26 connects", "Java 17 refuses", "breaks when the sender moves to Java 17"}},
		{"12 certificates, Java clients", long, []string{"java-17"}, result.ProblemClientRefuses, false,
			[]string{"12 certificates", "jdk.tls.maxCertificateChainLength"}},
		{"no sender clients", big, nil, "", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs := Probe(context.Background(), mustParse(t, tt.addr), Options{Timeout: 10 * time.Second, Clients: profiles(t, tt.clients...)})
			if len(obs.Certs) == 0 {
				t.Fatalf("no chain captured: %+v", obs.Err)
			}
			gotErr := ""
			text := ""
			if obs.Err != nil {
				gotErr, text = obs.Err.ID, obs.Err.Detail
				if obs.Err.Code != result.CodeHandshake {
					t.Errorf("code %d, want 11220", obs.Err.Code)
				}
			}
			if gotErr != tt.wantErr {
				t.Fatalf("failure %q (%s), want %q", gotErr, text, tt.wantErr)
			}
			warned := false
			for _, p := range obs.Problems {
				if p.ID == result.ProblemClientRefuses && p.Severity == result.SeverityWarn {
					warned, text = true, p.Message
				}
			}
			if warned != tt.warn {
				t.Errorf("client-refuses warning %v, want %v (%+v)", warned, tt.warn, obs.Problems)
			}
			for _, w := range tt.words {
				if !strings.Contains(text, w) {
					t.Errorf("%q does not say %q", text, w)
				}
			}
		})
	}
}

func TestCertificateMessageSize(t *testing.T) {
	root := testpki.NewRoot(t, "Size Root")
	leaf := root.Leaf(t).Cert
	certs := []*x509.Certificate{leaf, root.Cert}
	body := len(leaf.Raw) + len(root.Cert.Raw)
	if got, want := certificateMessageSize(certs, tls.VersionTLS12), 3+2*3+body; got != want {
		t.Errorf("TLS 1.2: %d, want %d", got, want)
	}
	if got, want := certificateMessageSize(certs, tls.VersionTLS13), 1+3+2*(3+2)+body; got != want {
		t.Errorf("TLS 1.3: %d, want %d", got, want)
	}
}

package scan_test

import (
	"crypto/x509"
	"testing"

	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/grade"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/scan"
)

// TestHSTSMeasured: HSTS is reported only where it was asked for. Over a
// chain no selected store trusts no GET is sent, so the header is not
// measured (hsts_checked false, no hsts-missing problem); over a trusted
// chain it is, also where Go's TLS 1.2 handshake cannot complete (DHE-only
// TLS 1.2 beside TLS 1.3: the GET goes over TLS 1.3); where no handshake
// Go supports completes it is not measured, and the note says so.
func TestHSTSMeasured(t *testing.T) {
	dh2048 := tlsservers.DHParams(t, t.TempDir(), 2048)
	const header = `add_header Strict-Transport-Security "max-age=31536000" always;`
	modern := tlsservers.StartNginx(t, "ssl_protocols TLSv1.2 TLSv1.3;\n"+header)
	dheOnly := tlsservers.StartNginx(t, "ssl_protocols TLSv1.2 TLSv1.3;\nssl_ciphers DHE-RSA-AES128-GCM-SHA256;\nssl_dhparam "+dh2048+";\n"+header)
	dhe12 := tlsservers.StartNginx(t, "ssl_protocols TLSv1.2;\nssl_ciphers DHE-RSA-AES128-GCM-SHA256;\nssl_dhparam "+dh2048+";\n"+header)
	untrusted := scan.VerifyWith(x509.NewCertPool(), "example.test")
	want := &result.HSTS{MaxAge: 31536000}
	tests := []struct {
		name    string
		srv     *tlsservers.Server
		verify  func([]*x509.Certificate) error
		checked bool
		why     string
	}{
		{"trusted", modern, nil, true, ""},
		{"untrusted chain", modern, untrusted, false, result.HSTSUntrustedChain},
		{"DHE-only TLS 1.2 beside TLS 1.3, trusted", dheOnly, nil, true, ""},
		{"DHE-only TLS 1.2 beside TLS 1.3, untrusted", dheOnly, untrusted, false, result.HSTSUntrustedChain},
		{"DHE-only TLS 1.2, no TLS 1.3", dhe12, nil, false, result.HSTSNoHandshake},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scanAddr(t, tt.srv, scan.Options{Concurrency: 4, VerifyChain: tt.verify})
			f := r.Scan.Features
			if f.HSTSChecked != tt.checked || f.HSTSNotChecked != tt.why {
				t.Errorf("hsts_checked %v, hsts_not_checked %q; want %v, %q", f.HSTSChecked, f.HSTSNotChecked, tt.checked, tt.why)
			}
			if tt.checked && (f.HSTS == nil || *f.HSTS != *want) {
				t.Errorf("hsts %+v, want %+v", f.HSTS, want)
			}
			if !tt.checked && f.HSTS != nil {
				t.Errorf("hsts %+v though not checked", f.HSTS)
			}
			for _, p := range grade.Weaknesses(r.Scan, grade.Context{}) {
				if p.ID == result.ProblemHSTSMissing {
					t.Errorf("problem %s: %s", p.ID, p.Message)
				}
			}
			g := grade.Rate(&result.Result{Status: result.StatusOK, Scan: r.Scan})
			for _, c := range g.Caps {
				if c.ID == "hsts-missing" {
					t.Errorf("cap %s: %s", c.ID, c.Message)
				}
			}
		})
	}
}

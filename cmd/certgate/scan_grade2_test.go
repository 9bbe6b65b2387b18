package main

import (
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/result"
)

// TestScanNoClientConnects: a server that no simulated client that ran can
// complete a handshake with (a DHE-1024-only openssl s_server, which the
// OpenSSL 3 client refuses at security level 2) is error 11220 with the
// problem no-client-connects, as check is for a handshake the sender
// cannot make; when one simulated client connects it is not; and a
// certificate that fails keeps its own verdict.
func TestScanNoClientConnects(t *testing.T) {
	dh1024 := tlsservers.DHParams(t, t.TempDir(), 1024)
	srv := tlsservers.StartOpenSSL(t, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024)
	store := testpki.WritePEM(t, "root.pem", srv.Root)
	other := testpki.WritePEM(t, "other.pem", testpki.NewRoot(t, "Other Root").Cert)
	tgt, resolve := hostTarget(srv.Addr, "example.test")
	tests := []struct {
		name    string
		store   string
		clients string
		status  result.Status
		code    result.Code
		noConn  bool
	}{
		{"only openssl-3, which fails", store, "openssl-3", result.StatusError, result.CodeHandshake, true},
		{"java-17 connects", store, "openssl-3,java-17", "", result.CodeNone, false},
		{"untrusted certificate: its verdict stands", other, "openssl-3", result.StatusFail, result.CodeNoPath, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := cli(t, "", "scan", "-o", "json", "--store", tt.store, resolve, tgt, "--clients", tt.clients)
			rs := decode(t, out, errOut)
			if len(rs) != 1 || rs[0].Scan == nil {
				t.Fatalf("want one scan result: exit %d %s", code, errOut)
			}
			r := rs[0]
			if tt.status != "" && r.Status != tt.status || r.Code != tt.code {
				t.Errorf("status %s code %d (%s), want %s %d; problems %v", r.Status, r.Code, r.Detail, tt.status, tt.code, problemIDs(r))
			}
			if tt.status == "" && (r.Status == result.StatusError || r.Status == result.StatusFail) {
				t.Errorf("status %s (%s), want a pass; problems %v", r.Status, r.Detail, problemIDs(r))
			}
			if got := hasProblem(r, result.ProblemNoClientConnects, result.SeverityError); got != tt.noConn {
				t.Errorf("no-client-connects listed %v, want %v; problems %v", got, tt.noConn, problemIDs(r))
			}
			if tt.status == result.StatusError && (code != 1 || !strings.Contains(r.Detail, "OpenSSL")) {
				t.Errorf("exit %d, detail %q; want 1 and the failing client named", code, r.Detail)
			}
		})
	}
}

// TestScanHelpNamesGuide: scan --help labels the grade as certgate's
// reading of the SSL Labs server rating guide 2009r and says where the
// rules are listed.
func TestScanHelpNamesGuide(t *testing.T) {
	code, out, errOut := cli(t, "", "scan", "--help")
	help := strings.Join(strings.Fields(out+errOut), " ")
	for _, want := range []string{"certgate's reading of the SSL Labs server rating guide 2009r", `README's "Scan grade, weaknesses and revocation" section`} {
		if code != 0 || !strings.Contains(help, want) {
			t.Errorf("scan --help (exit %d) lacks %q:\n%s", code, want, out)
		}
	}
}

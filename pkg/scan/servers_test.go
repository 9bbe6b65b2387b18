package scan_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"github.com/certgate/certgate/internal/tlsservers"
	"github.com/certgate/certgate/pkg/clients"
	"github.com/certgate/certgate/pkg/result"
	"github.com/certgate/certgate/pkg/scan"
)

// expect is what a server's configuration says the scan must find; empty
// fields are not checked.
type expect struct {
	protocols []string            // supported, newest first
	suites    map[string][]string // per protocol, in order when ordered
	ordered   bool                // suites are in the server's order
	pref      map[string]bool     // server_preference entries
	groups    []string            // exactly these groups, in the report's order
	dhBits    int
	serverKey string
	tickets   *bool
	ids       *bool
	hsts      *result.HSTS
	noHSTS    bool
	alpn      []string
	fallback  *bool
	secReneg  *bool
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func protocols(s *result.Scan) []string {
	var out []string
	for _, p := range s.Protocols {
		if p.Supported {
			out = append(out, p.Version)
		}
	}
	return out
}

func suites(s *result.Scan, proto string) []string {
	var out []string
	for _, c := range s.CipherSuites {
		if c.Protocol == proto {
			out = append(out, c.Name)
		}
	}
	return out
}

func checkScan(t *testing.T, r scan.Report, want expect) {
	t.Helper()
	s := r.Scan
	for _, p := range r.Problems {
		t.Errorf("problem %s: %s", p.ID, p.Message)
	}
	if want.protocols != nil && !slices.Equal(protocols(s), want.protocols) {
		t.Errorf("protocols %v, want %v", protocols(s), want.protocols)
	}
	for proto, ws := range want.suites {
		got := suites(s, proto)
		if !want.ordered {
			got, ws = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(ws))
		}
		if !slices.Equal(got, ws) {
			t.Errorf("%s suites %v, want %v", proto, got, ws)
		}
	}
	for proto, p := range want.pref {
		if got, ok := s.ServerPreference[proto]; !ok || got != p {
			t.Errorf("server preference for %s: %v (set %v), want %v", proto, got, ok, p)
		}
	}
	if want.groups != nil && !slices.Equal(s.Groups, want.groups) {
		t.Errorf("groups %v, want %v", s.Groups, want.groups)
	}
	if want.dhBits != 0 && s.DHBits != want.dhBits {
		t.Errorf("dh_bits %d, want %d", s.DHBits, want.dhBits)
	}
	if want.serverKey != "" && s.ServerKey != want.serverKey {
		t.Errorf("server key %q, want %q", s.ServerKey, want.serverKey)
	}
	if want.tickets != nil && s.Features.SessionResumptionTickets != *want.tickets {
		t.Errorf("session tickets %v, want %v", s.Features.SessionResumptionTickets, *want.tickets)
	}
	if want.ids != nil && s.Features.SessionResumptionIDs != *want.ids {
		t.Errorf("session resumption by id %v, want %v", s.Features.SessionResumptionIDs, *want.ids)
	}
	if want.hsts != nil && (s.Features.HSTS == nil || *s.Features.HSTS != *want.hsts) {
		t.Errorf("hsts %+v, want %+v", s.Features.HSTS, want.hsts)
	}
	if want.noHSTS && s.Features.HSTS != nil {
		t.Errorf("hsts %+v, want none", s.Features.HSTS)
	}
	if want.alpn != nil && !slices.Equal(s.Features.ALPN, want.alpn) {
		t.Errorf("alpn %v, want %v", s.Features.ALPN, want.alpn)
	}
	if want.fallback != nil && s.Features.FallbackSCSV != *want.fallback {
		t.Errorf("fallback_scsv %v, want %v", s.Features.FallbackSCSV, *want.fallback)
	}
	if want.secReneg != nil && s.Features.SecureRenegotiation != *want.secReneg {
		t.Errorf("secure_renegotiation %v, want %v", s.Features.SecureRenegotiation, *want.secReneg)
	}
	if s.Probes == 0 {
		t.Error("no probes counted")
	}
}

// TestScanOpenSSL scans openssl s_server configured with known protocols,
// suites, groups, DH sizes, preference and tickets.
func TestScanOpenSSL(t *testing.T) {
	dir := t.TempDir()
	dh1024 := tlsservers.DHParams(t, dir, 1024)
	dh2048 := tlsservers.DHParams(t, dir, 2048)
	tests := []struct {
		name string
		key  testpki.KeySpec
		args []string
		want expect
	}{
		{"TLS 1.2, two suites, no tickets", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256:AES256-SHA", "-no_ticket"},
			expect{protocols: []string{"TLS 1.2"}, serverKey: "RSA 2048", tickets: no(), ids: yes(), noHSTS: true,
				suites: map[string][]string{"TLS 1.2": {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_AES_256_CBC_SHA"}}}},
		{"TLS 1.2, no session cache", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-no_ticket", "-no_cache"},
			expect{protocols: []string{"TLS 1.2"}, tickets: no(), ids: no()}},
		{"TLS 1.2 with tickets", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"},
			expect{protocols: []string{"TLS 1.2"}, tickets: yes()}},
		{"TLS 1.3 only, one suite, one group", testpki.RSA(2048),
			[]string{"-tls1_3", "-ciphersuites", "TLS_AES_256_GCM_SHA384", "-groups", "secp384r1"},
			expect{protocols: []string{"TLS 1.3"}, groups: []string{"secp384r1"},
				suites: map[string][]string{"TLS 1.3": {"TLS_AES_256_GCM_SHA384"}}}},
		{"TLS 1.3 hybrid and ffdhe groups", testpki.RSA(2048),
			[]string{"-tls1_3", "-groups", "x25519:ffdhe3072"},
			expect{protocols: []string{"TLS 1.3"}, groups: []string{"x25519", "ffdhe3072"}}},
		{"DHE 1024", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024},
			expect{protocols: []string{"TLS 1.2"}, dhBits: 1024,
				suites: map[string][]string{"TLS 1.2": {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"}}}},
		// Without -dhparam OpenSSL sizes DH itself: 2048 bits for DHE-RSA
		// with a 2048-bit key, 1024 bits for DH_anon with AES-128. dh_bits
		// is the authenticated exchange's, as sslscan reports it.
		{"DHE-RSA 2048 beside ADH 1024", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:ADH-AES128-GCM-SHA256:@SECLEVEL=0"},
			expect{protocols: []string{"TLS 1.2"}, dhBits: 2048,
				suites: map[string][]string{"TLS 1.2": {"TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_DH_anon_WITH_AES_128_GCM_SHA256"}}}},
		{"TLS 1.0 only", testpki.RSA(2048),
			[]string{"-tls1", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-SHA:@SECLEVEL=0"},
			expect{protocols: []string{"TLS 1.0"},
				suites: map[string][]string{"TLS 1.0": {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"}}}},
		{"TLS 1.3 only: ALPN and tickets read from real handshakes", testpki.RSA(2048),
			[]string{"-tls1_3", "-alpn", "h2,http/1.1"},
			expect{protocols: []string{"TLS 1.3"}, alpn: []string{"h2", "http/1.1"}, tickets: yes()}},
		// The server's order, not the order offered; protocols beyond HTTP.
		{"TLS 1.2: ALPN beyond HTTP, in the server's order", testpki.RSA(2048),
			[]string{"-tls1_2", "-alpn", "imap,acme-tls/1,http/1.1,xmpp-client,h2,mqtt"},
			expect{protocols: []string{"TLS 1.2"}, alpn: []string{"imap", "acme-tls/1", "http/1.1", "xmpp-client", "h2", "mqtt"}}},
		{"TLS 1.3 only: ALPN beyond HTTP, in the server's order", testpki.RSA(2048),
			[]string{"-tls1_3", "-alpn", "postgresql,dot,http/1.1"},
			expect{protocols: []string{"TLS 1.3"}, alpn: []string{"postgresql", "dot", "http/1.1"}}},
		{"TLS 1.0 to 1.3: fallback SCSV, secure renegotiation", testpki.RSA(2048),
			[]string{"-min_protocol", "TLSv1", "-cipher", "ALL:@SECLEVEL=0"},
			expect{protocols: []string{"TLS 1.3", "TLS 1.2", "TLS 1.1", "TLS 1.0"}, fallback: yes(), secReneg: yes()}},
		{"server order", testpki.RSA(2048),
			[]string{"-tls1_2", "-serverpref", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-SHA:ECDHE-RSA-AES128-SHA", "-dhparam", dh2048},
			expect{ordered: true, pref: map[string]bool{"TLS 1.2": true},
				suites: map[string][]string{"TLS 1.2": {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}}}},
		{"client order", testpki.RSA(2048),
			[]string{"-tls1_2", "-cipher", "AES128-SHA:ECDHE-RSA-AES256-GCM-SHA384"},
			expect{pref: map[string]bool{"TLS 1.2": false}}},
		{"ECDSA key", testpki.ECDSA(256),
			[]string{"-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-groups", "P-256:P-521"},
			expect{serverKey: "ECDSA P-256", groups: []string{"secp256r1", "secp521r1"},
				suites: map[string][]string{"TLS 1.2": {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tlsservers.StartOpenSSLKey(t, tt.key, tt.args...)
			checkScan(t, scanAddr(t, srv, scan.Options{Concurrency: 4}), tt.want)
		})
	}
}

// TestScanNginx scans nginx configured with known protocols, suites,
// groups, DH size, tickets, ALPN and HSTS.
func TestScanNginx(t *testing.T) {
	dir := t.TempDir()
	dh2048 := tlsservers.DHParams(t, dir, 2048)
	tests := []struct {
		name string
		cfg  tlsservers.Nginx
		want expect
	}{
		{"modern with HSTS, server order, tickets off", tlsservers.Nginx{Conf: `
        ssl_protocols TLSv1.2 TLSv1.3;
        ssl_ciphers ECDHE-RSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA;
        ssl_prefer_server_ciphers on;
        ssl_dhparam ` + dh2048 + `;
        ssl_ecdh_curve X25519:secp384r1;
        ssl_session_tickets off;
        ssl_session_cache shared:certgate:1m;
        add_header Strict-Transport-Security "max-age=31536000; includeSubDomains" always;`},
			expect{protocols: []string{"TLS 1.3", "TLS 1.2"}, ordered: true, pref: map[string]bool{"TLS 1.2": true},
				suites: map[string][]string{
					"TLS 1.2": {"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
				},
				groups: []string{"x25519", "secp384r1"}, dhBits: 2048, tickets: no(), ids: yes(),
				// nginx selects HTTP/1.0 and 0.9 too when offered.
				hsts: &result.HSTS{MaxAge: 31536000, IncludeSubdomains: true}, alpn: []string{"http/1.1", "http/1.0", "http/0.9"}}},
		{"TLS 1.2 with tickets and h2, no HSTS", tlsservers.Nginx{Listen: "http2", Conf: `
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
        ssl_session_tickets on;`},
			expect{protocols: []string{"TLS 1.2"}, tickets: yes(), ids: no(), noHSTS: true, alpn: []string{"h2", "http/1.1", "http/1.0", "http/0.9"},
				suites: map[string][]string{"TLS 1.2": {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := tlsservers.StartNginxWith(t, tt.cfg)
			checkScan(t, scanAddr(t, srv, scan.Options{Concurrency: 4}), tt.want)
		})
	}
}

// TestClientSimulations: each recorded client's replay says what it gets,
// or why it fails, including its own limits: at a 1024-bit DH group the
// OpenSSL 3 client (security level 2) refuses, the Java 17 client (which
// refuses DH below 1024 bits) connects.
func TestClientSimulations(t *testing.T) {
	dh1024 := tlsservers.DHParams(t, t.TempDir(), 1024)
	weak := tlsservers.StartOpenSSL(t, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0", "-dhparam", dh1024)
	r := scanAddr(t, weak, scan.Options{Concurrency: 4})
	byName := map[string]result.ClientSimulation{}
	for _, c := range r.Scan.Clients {
		byName[c.Profile] = c
	}
	all, err := clients.All()
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Scan.Clients) != len(all) {
		t.Errorf("%d simulations, want one per recorded client (%d)", len(r.Scan.Clients), len(all))
	}
	if o := byName["openssl-3"]; o.OK || o.Code != result.CodeHandshake || !strings.Contains(o.Message, "DH") {
		t.Errorf("openssl-3 on a 1024-bit DH server: %+v; want a refusal naming DH", o)
	}
	if j := byName["java-17"]; !j.OK || j.Group != "DH 1024" || j.CipherSuite != "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256" {
		t.Errorf("java-17 on a 1024-bit DH server: %+v; want ok with DH 1024", j)
	}

	good := tlsservers.StartOpenSSL(t)
	r = scanAddr(t, good, scan.Options{Concurrency: 4})
	for _, c := range r.Scan.Clients {
		if !c.OK || c.Protocol == "" || c.CipherSuite == "" || c.Group == "" {
			t.Errorf("%s on a default openssl server: %+v; want ok with protocol, suite and group", c.Name, c)
		}
	}
}

package tlswire

import (
	"bytes"
	"crypto/tls"
	"errors"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
)

// TestGoServers reads the first flight of real crypto/tls servers and checks
// what they were configured to negotiate and present.
func TestGoServers(t *testing.T) {
	ca := testpki.NewRoot(t, "tlswire test root")
	ecLeaf := ca.Leaf(t)
	rsaCert := rsaLeaf(t, ca)
	ecCert := ecLeaf.TLSCert(ca.Cert)
	rsaTLS := rsaTLSCert(rsaCert, ca.Cert)
	staple := []byte("a stapled OCSP response")
	stapled := ecLeaf.TLSCert(ca.Cert)
	stapled.OCSPStaple = staple

	tests := []struct {
		name   string
		server *tls.Config
		spec   func(*Spec)
		// want
		version, suite, group uint16
		hrr                   bool
		kex                   KeyExchange
		certs                 [][]byte
		ocsp                  []byte
		alpn                  string
		ems, reneg            bool
	}{
		{
			name:    "TLS 1.3 x25519",
			server:  &tls.Config{Certificates: []tls.Certificate{ecCert}},
			spec:    func(s *Spec) { s.CipherSuites = []uint16{0x1302} },
			version: VersionTLS13, suite: 0x1302, group: GroupX25519,
		},
		{
			name:   "TLS 1.3 X25519MLKEM768",
			server: &tls.Config{Certificates: []tls.Certificate{ecCert}},
			spec: func(s *Spec) {
				s.Groups = []uint16{GroupX25519MLKEM768, GroupX25519}
				s.KeyShareGroups = []uint16{GroupX25519MLKEM768, GroupX25519}
			},
			version: VersionTLS13, suite: 0, group: GroupX25519MLKEM768,
		},
		{
			name:    "TLS 1.3 P-256 only",
			server:  &tls.Config{Certificates: []tls.Certificate{rsaTLS}, CurvePreferences: []tls.CurveID{tls.CurveP256}},
			spec:    func(s *Spec) { s.KeyShareGroups = []uint16{GroupSecp256r1} },
			version: VersionTLS13, group: GroupSecp256r1,
		},
		{
			name:    "TLS 1.3 HelloRetryRequest for P-256",
			server:  &tls.Config{Certificates: []tls.Certificate{ecCert}, CurvePreferences: []tls.CurveID{tls.CurveP256}},
			spec:    func(s *Spec) { s.KeyShareGroups = []uint16{GroupX25519} },
			version: VersionTLS13, group: GroupSecp256r1, hrr: true,
		},
		{
			name: "TLS 1.2 ECDHE-ECDSA secp384r1",
			server: &tls.Config{Certificates: []tls.Certificate{ecCert}, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{0xc02c}, CurvePreferences: []tls.CurveID{tls.CurveP384}},
			version: VersionTLS12, suite: 0xc02c, group: GroupSecp384r1, kex: KeyExchangeECDHE,
			certs: ecCert.Certificate,
		},
		{
			name: "TLS 1.2 ECDHE-RSA x25519",
			server: &tls.Config{Certificates: []tls.Certificate{rsaTLS}, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{0xc02f}},
			version: VersionTLS12, suite: 0xc02f, group: GroupX25519, kex: KeyExchangeECDHE,
			certs: rsaTLS.Certificate,
		},
		{
			name: "TLS 1.2 RSA key exchange",
			server: &tls.Config{Certificates: []tls.Certificate{rsaTLS}, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{0x009c}},
			version: VersionTLS12, suite: 0x009c, certs: rsaTLS.Certificate,
		},
		{
			name: "TLS 1.2 staple, ALPN, EMS, renegotiation_info",
			server: &tls.Config{Certificates: []tls.Certificate{stapled}, MaxVersion: tls.VersionTLS12,
				CipherSuites: []uint16{0xc02b}, NextProtos: []string{"h2"}},
			spec: func(s *Spec) {
				s.StatusRequest, s.ExtendedMasterSecret, s.RenegotiationInfo = true, true, true
				s.ALPN = []string{"h2", "http/1.1"}
			},
			version: VersionTLS12, suite: 0xc02b, group: GroupX25519, kex: KeyExchangeECDHE,
			certs: stapled.Certificate, ocsp: staple, alpn: "h2", ems: true, reneg: true,
		},
		{
			name: "TLS 1.1",
			server: &tls.Config{Certificates: []tls.Certificate{rsaTLS}, MinVersion: tls.VersionTLS10,
				MaxVersion: tls.VersionTLS11, CipherSuites: []uint16{0xc013}},
			version: VersionTLS11, suite: 0xc013, group: GroupX25519, kex: KeyExchangeECDHE,
			certs: rsaTLS.Certificate,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := testpki.Serve(t, tc.server)
			spec := baseSpec()
			if tc.spec != nil {
				tc.spec(&spec)
			}
			f, err := exchange(t, addr, mustBuild(t, spec))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			sh := f.ServerHello
			if sh == nil || !f.Done {
				t.Fatalf("flight %+v: no ServerHello or not done", f)
			}
			if sh.Version != tc.version {
				t.Errorf("version %s, want %s", VersionName(sh.Version), VersionName(tc.version))
			}
			if tc.suite != 0 && sh.CipherSuite != tc.suite {
				t.Errorf("suite %s, want %s", SuiteName(sh.CipherSuite), SuiteName(tc.suite))
			}
			if sh.HelloRetryRequest != tc.hrr {
				t.Errorf("HelloRetryRequest %v, want %v", sh.HelloRetryRequest, tc.hrr)
			}
			group := sh.KeyShareGroup
			if f.KeyExchange != nil {
				group = f.KeyExchange.Group
				if f.KeyExchange.Kind != tc.kex {
					t.Errorf("key exchange %s, want %s", f.KeyExchange.Kind, tc.kex)
				}
			} else if tc.kex != 0 {
				t.Errorf("no ServerKeyExchange, want %s", tc.kex)
			}
			if group != tc.group {
				t.Errorf("group %s, want %s", GroupName(group), GroupName(tc.group))
			}
			if len(f.Certificates) != len(tc.certs) {
				t.Fatalf("%d certificates, want %d", len(f.Certificates), len(tc.certs))
			}
			for i := range tc.certs {
				if !bytes.Equal(f.Certificates[i], tc.certs[i]) {
					t.Errorf("certificate %d differs from the server's", i)
				}
			}
			if !bytes.Equal(f.OCSPResponse, tc.ocsp) {
				t.Errorf("OCSP %q, want %q", f.OCSPResponse, tc.ocsp)
			}
			if sh.ALPN != tc.alpn || sh.ExtendedMasterSecret != tc.ems || sh.SecureRenegotiation != tc.reneg {
				t.Errorf("ALPN %q EMS %v reneg %v, want %q %v %v", sh.ALPN, sh.ExtendedMasterSecret,
					sh.SecureRenegotiation, tc.alpn, tc.ems, tc.reneg)
			}
		})
	}
}

// TestGoServerAlerts checks that a refusal arrives as a named *AlertError.
func TestGoServerAlerts(t *testing.T) {
	ca := testpki.NewRoot(t, "tlswire test root")
	cert := ca.Leaf(t).TLSCert(ca.Cert)
	tests := []struct {
		name   string
		server *tls.Config
		spec   func(*Spec)
		want   uint8
	}{
		{"TLS 1.3 server, TLS 1.2 client", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13},
			func(s *Spec) { s.MaxVersion = VersionTLS12 }, 70},
		{"SSL 3.0 client", &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS10},
			func(s *Spec) {
				*s = Spec{MinVersion: VersionSSL30, MaxVersion: VersionSSL30, CipherSuites: []uint16{0x000a, 0x002f}}
			}, 70},
		{"no shared suite", &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{0xc02b}},
			func(s *Spec) { s.MaxVersion, s.CipherSuites = VersionTLS12, []uint16{0x009c} }, 40},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			addr := testpki.Serve(t, tc.server)
			spec := baseSpec()
			tc.spec(&spec)
			_, err := exchange(t, addr, mustBuild(t, spec))
			var ae *AlertError
			if !errors.As(err, &ae) {
				t.Fatalf("error %v, want an *AlertError", err)
			}
			if ae.Level != 2 || ae.Description != tc.want {
				t.Errorf("alert %v, want fatal %s", ae, AlertName(tc.want))
			}
		})
	}
}

// TestReplayAgainstGo: a refreshed recording negotiates with a real server,
// so its fresh key shares are real ones.
func TestReplayAgainstGo(t *testing.T) {
	ca := testpki.NewRoot(t, "tlswire test root")
	addr := testpki.Serve(t, &tls.Config{Certificates: []tls.Certificate{ca.Leaf(t).TLSCert(ca.Cert)}})
	spec := baseSpec()
	spec.Groups = []uint16{GroupX25519MLKEM768, GroupX25519}
	spec.KeyShareGroups = spec.Groups
	raw, err := mustBuild(t, spec).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := ParseClientHello(raw)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		replay, err := recorded.Refresh("example.test")
		if err != nil {
			t.Fatal(err)
		}
		f, err := exchange(t, addr, replay)
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if f.ServerHello.Version != VersionTLS13 || f.ServerHello.KeyShareGroup != GroupX25519MLKEM768 {
			t.Errorf("replay negotiated %s with %s", VersionName(f.ServerHello.Version), GroupName(f.ServerHello.KeyShareGroup))
		}
	}
}

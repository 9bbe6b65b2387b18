package tlswire

import (
	"bytes"
	"crypto/tls"
	"slices"
	"testing"

	"github.com/certgate/certgate/internal/testpki"
	"golang.org/x/crypto/cryptobyte"
)

// TestBuildRoundTrip: every built hello parses back to what was built and
// marshals to the same bytes.
func TestBuildRoundTrip(t *testing.T) {
	tests := []struct {
		name                   string
		spec                   Spec
		wantLegacy, wantRecord uint16
		wantVersions           []uint16
		omitExtensions         bool
	}{
		{"SSL 3.0, no extensions", Spec{MinVersion: VersionSSL30, MaxVersion: VersionSSL30, CipherSuites: []uint16{0x000a, 0x0005}},
			VersionSSL30, VersionSSL30, []uint16{VersionSSL30}, true},
		{"TLS 1.0 with SNI", Spec{MinVersion: VersionTLS10, MaxVersion: VersionTLS10, ServerName: "a.example", CipherSuites: []uint16{0xc013}},
			VersionTLS10, VersionTLS10, []uint16{VersionTLS10, VersionSSL30}, false},
		{"TLS 1.2 everything", func() Spec {
			s := baseSpec()
			s.MaxVersion = VersionTLS12
			s.StatusRequest, s.SCT, s.RenegotiationInfo = true, true, true
			s.ExtendedMasterSecret, s.SessionTicket = true, true
			s.ALPN = []string{"h2"}
			return s
		}(),
			VersionTLS12, VersionTLS10, []uint16{VersionTLS12, VersionTLS11, VersionTLS10, VersionSSL30}, false},
		{"TLS 1.3 with hybrid share", func() Spec { s := baseSpec(); s.KeyShareGroups = []uint16{GroupX25519MLKEM768, GroupX25519}; return s }(),
			VersionTLS12, VersionTLS10, []uint16{VersionTLS13, VersionTLS12, VersionTLS11, VersionTLS10}, false},
		{"IP address: no SNI", Spec{MaxVersion: VersionTLS12, ServerName: "192.0.2.1", CipherSuites: []uint16{0xc02f}, Groups: allGroups},
			VersionTLS12, VersionTLS10, []uint16{VersionTLS12, VersionTLS11, VersionTLS10, VersionSSL30}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := mustBuild(t, tc.spec)
			raw, err := h.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			p, err := ParseClientHello(raw)
			if err != nil {
				t.Fatal(err)
			}
			if p.Version != tc.wantLegacy || p.RecordVersion != tc.wantRecord {
				t.Errorf("legacy %s record %s, want %s %s", VersionName(p.Version), VersionName(p.RecordVersion),
					VersionName(tc.wantLegacy), VersionName(tc.wantRecord))
			}
			if got := p.SupportedVersions(); !slices.Equal(got, tc.wantVersions) {
				t.Errorf("versions %x, want %x", got, tc.wantVersions)
			}
			if !slices.Equal(p.CipherSuites, tc.spec.CipherSuites) || !slices.Equal(p.Groups(), tc.spec.Groups) ||
				!slices.Equal(p.SignatureSchemes(), tc.spec.SignatureSchemes) || !slices.Equal(p.ALPN(), tc.spec.ALPN) {
				t.Errorf("parsed %+v, built from %+v", p, tc.spec)
			}
			if p.OmitExtensions != tc.omitExtensions {
				t.Errorf("extensions block omitted %v, want %v", p.OmitExtensions, tc.omitExtensions)
			}
			_, sni := p.Extension(ExtServerName)
			if wantSNI := tc.spec.ServerName != "" && tc.spec.ServerName != "192.0.2.1"; sni != wantSNI {
				t.Errorf("server_name present %v, want %v", sni, wantSNI)
			}
			again, err := p.Marshal()
			if err != nil || !bytes.Equal(again, raw) {
				t.Errorf("re-marshalled hello differs (err %v)", err)
			}
		})
	}
}

// TestGoParsesHello: crypto/tls reads what the writer sends.
func TestGoParsesHello(t *testing.T) {
	ca := testpki.NewRoot(t, "tlswire test root")
	cert := ca.Leaf(t).TLSCert(ca.Cert)
	seen := make(chan *tls.ClientHelloInfo, 1)
	addr := testpki.Serve(t, &tls.Config{
		Certificates: []tls.Certificate{cert},
		GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
			seen <- chi
			return nil, nil
		},
	})
	spec := baseSpec()
	spec.ALPN = []string{"h2", "http/1.1"}
	if _, err := exchange(t, addr, mustBuild(t, spec)); err != nil {
		t.Fatal(err)
	}
	chi := <-seen
	var curves []uint16
	for _, c := range chi.SupportedCurves {
		curves = append(curves, uint16(c))
	}
	var sigs []uint16
	for _, s := range chi.SignatureSchemes {
		sigs = append(sigs, uint16(s))
	}
	if chi.ServerName != "example.test" || !slices.Equal(chi.CipherSuites, spec.CipherSuites) ||
		!slices.Equal(curves, spec.Groups) || !slices.Equal(sigs, spec.SignatureSchemes) ||
		!slices.Equal(chi.SupportedProtos, spec.ALPN) ||
		!slices.Equal(chi.SupportedVersions, []uint16{VersionTLS13, VersionTLS12, VersionTLS11, VersionTLS10}) {
		t.Errorf("crypto/tls saw %+v", chi)
	}
}

// TestRefresh: a replayed hello keeps every recorded byte but the random,
// session id, key shares and server name.
func TestRefresh(t *testing.T) {
	spec := baseSpec()
	spec.KeyShareGroups = []uint16{GroupX25519MLKEM768, GroupX25519, GroupSecp256r1}
	spec.Extra = []Extension{{Type: 0x1a1a, Data: []byte{0}}, {Type: ExtPadding, Data: make([]byte, 37)}}
	// A GREASE key share, which cannot be regenerated, is copied.
	rec := mustBuild(t, spec)
	for i, e := range rec.Extensions {
		if e.Type == ExtKeyShare {
			in := cryptobyte.String(e.Data)
			var shares cryptobyte.String
			in.ReadUint16LengthPrefixed(&shares)
			var b cryptobyte.Builder
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16(0x2a2a)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(0) })
				b.AddBytes(shares)
			})
			rec.Extensions[i].Data = b.BytesOrPanic()
		}
	}
	raw, err := rec.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := ParseClientHello(raw)
	if err != nil {
		t.Fatal(err)
	}
	fresh, err := recorded.Refresh("other.example")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(fresh.Random, recorded.Random) || bytes.Equal(fresh.SessionID, recorded.SessionID) ||
		len(fresh.SessionID) != len(recorded.SessionID) {
		t.Error("random or session id not fresh")
	}
	if len(fresh.Extensions) != len(recorded.Extensions) {
		t.Fatalf("%d extensions, recorded %d", len(fresh.Extensions), len(recorded.Extensions))
	}
	for i, e := range fresh.Extensions {
		r := recorded.Extensions[i]
		if e.Type != r.Type {
			t.Fatalf("extension %d is %s, recorded %s", i, ExtensionName(e.Type), ExtensionName(r.Type))
		}
		switch e.Type {
		case ExtServerName:
			want, _ := ServerNameExtension("other.example")
			if !bytes.Equal(e.Data, want.Data) {
				t.Error("server_name not replaced")
			}
		case ExtKeyShare:
			if bytes.Equal(e.Data, r.Data) || len(e.Data) != len(r.Data) {
				t.Error("key shares not fresh, or of another size")
			}
		default:
			if !bytes.Equal(e.Data, r.Data) {
				t.Errorf("extension %s changed", ExtensionName(e.Type))
			}
		}
	}
	if got := fresh.KeyShareGroups(); !slices.Equal(got, []uint16{0x2a2a, GroupX25519MLKEM768, GroupX25519, GroupSecp256r1}) {
		t.Errorf("key share groups %x", got)
	}
	if len(fresh.KeyShares) != 3 {
		t.Errorf("%d fresh shares, want 3", len(fresh.KeyShares))
	}
	if !slices.Equal(fresh.CipherSuites, recorded.CipherSuites) {
		t.Error("cipher suites changed")
	}
}

// TestKeyShareSizes: each generator makes a share of its group's size.
func TestKeyShareSizes(t *testing.T) {
	for group, size := range map[uint16]int{
		GroupX25519: 32, GroupSecp256r1: 65, GroupSecp384r1: 97, GroupSecp521r1: 133,
		GroupX25519MLKEM768: 1184 + 32, GroupSecP256r1MLKEM768: 65 + 1184,
	} {
		ks, err := NewKeyShare(group)
		if err != nil {
			t.Fatalf("%s: %v", GroupName(group), err)
		}
		if len(ks.Public) != size {
			t.Errorf("%s share is %d bytes, want %d", GroupName(group), len(ks.Public), size)
		}
	}
	if _, err := NewKeyShare(256); err == nil {
		t.Error("ffdhe2048 share generated, want an error")
	}
}

// TestNames: names come from the IANA table.
func TestNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{SuiteName(0x009c), "TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{SuiteName(0x1301), "TLS_AES_128_GCM_SHA256"},
		{SuiteName(0xcca8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
		{SuiteName(0x0a0a), "GREASE(0x0a0a)"},
		{SuiteName(0x00fe), "0x00fe"},
		{GroupName(GroupX25519MLKEM768), "X25519MLKEM768"},
		{GroupName(256), "ffdhe2048"},
		{SignatureSchemeName(0x0804), "rsa_pss_rsae_sha256"},
		{SignatureSchemeName(0x0403), "ecdsa_secp256r1_sha256"},
		{VersionName(VersionSSL30), "SSL 3.0"},
		{AlertName(40), "handshake_failure"},
		{SuiteKeyExchange(0x009e).String(), "DHE"},
		{SuiteKeyExchange(0xc02f).String(), "ECDHE"},
		{SuiteKeyExchange(0x009c).String(), "RSA"},
		{SuiteKeyExchange(0x00aa).String(), "other"},
	}
	for _, tc := range tests {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if id, ok := SuiteByName("TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"); !ok || id != 0x009f {
		t.Errorf("SuiteByName = %#04x %v", id, ok)
	}
	if id, ok := GroupByName("secp384r1"); !ok || id != GroupSecp384r1 {
		t.Errorf("GroupByName = %#04x %v", id, ok)
	}
}

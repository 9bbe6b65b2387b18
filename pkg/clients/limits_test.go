package clients

import (
	"strings"
	"testing"

	"github.com/certgate/certgate/pkg/tlswire"
)

func mustProfile(t *testing.T, name string) *Profile {
	t.Helper()
	p, err := ByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func suite(t *testing.T, name string) uint16 {
	t.Helper()
	id, ok := tlswire.SuiteByName(name)
	if !ok {
		t.Fatalf("no suite %s", name)
	}
	return id
}

func group(t *testing.T, name string) uint16 {
	t.Helper()
	id, ok := tlswire.GroupByName(name)
	if !ok {
		t.Fatalf("no group %s", name)
	}
	return id
}

// TestRefuses judges negotiations with the recorded Java and OpenSSL
// profiles and their limits.
func TestRefuses(t *testing.T) {
	const (
		rsaGCM = "TLS_RSA_WITH_AES_128_GCM_SHA256"
		dheGCM = "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"
		ecGCM  = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"
	)
	tls12, tls13 := tlswire.VersionTLS12, tlswire.VersionTLS13
	tests := []struct {
		profile, name string
		n             func(t *testing.T) Negotiated
		// want lists the rules expected to refuse, in order; nil accepts.
		want []string
		// reason is a part of the first reason, when set.
		reason string
	}{
		{"java-17", "RSA key exchange", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, rsaGCM)}
		}, nil, ""},
		{"java-25", "RSA key exchange", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, rsaGCM)}
		}, []string{"offer", "jdk.tls.disabledAlgorithms"}, "is not offered"},
		{"java-17", "DHE 1024", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, dheGCM), DHBits: 1024}
		}, nil, ""},
		{"java-17", "DHE 768", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, dheGCM), DHBits: 768}
		}, []string{"jdk.tls.disabledAlgorithms"}, "768-bit DH group"},
		{"openssl-3", "DHE 1024", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, dheGCM), DHBits: 1024}
		}, []string{PolicyOpenSSL}, "smaller than 2048 bits"},
		{"openssl-3", "DHE 2048", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, dheGCM), DHBits: 2048}
		}, nil, ""},
		{"java-17", "TLS 1.3 ffdhe2048", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls13, Suite: suite(t, "TLS_AES_128_GCM_SHA256"), Group: group(t, "ffdhe2048")}
		}, nil, ""},
		{"java-17", "ECDHE secp256r1, 10 certificates in 32 KiB", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), Group: group(t, "secp256r1"), CertificateMessageSize: 32768, ChainLength: 10}
		}, nil, ""},
		{"java-17", "a 200 KB Certificate message", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), CertificateMessageSize: 200_000, ChainLength: 1}
		}, []string{"jdk.tls.maxHandshakeMessageSize"}, "200000 bytes"},
		{"java-25", "11 certificates", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls13, Suite: suite(t, "TLS_AES_128_GCM_SHA256"), ChainLength: 11}
		}, []string{"jdk.tls.maxCertificateChainLength"}, "11 certificates"},
		{"java-17", "TLS 1.0", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS10, Suite: suite(t, ecGCM)}
		}, []string{"offer", "jdk.tls.disabledAlgorithms"}, "TLS 1.0 is not offered"},
		// OpenSSL 3 offers TLS 1.0 and 1.1 but refuses the MD5+SHA-1 or
		// SHA-1 signature of their (EC)DHE ServerKeyExchange ("legacy sigalg
		// disallowed or unsupported"): RSA key transport is all it takes.
		{"openssl-3", "TLS 1.0 ECDHE_RSA", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS10, Suite: suite(t, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"), Group: group(t, "x25519")}
		}, []string{PolicyOpenSSL}, "signed with MD5+SHA-1"},
		{"curl-7.88", "TLS 1.1 DHE_RSA", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS11, Suite: suite(t, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"), DHBits: 2048}
		}, []string{PolicyOpenSSL}, "TLS 1.1 ServerKeyExchange of TLS_DHE_RSA_WITH_AES_256_CBC_SHA is signed with MD5+SHA-1"},
		{"openssl-3", "TLS 1.0 ECDHE_ECDSA", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS10, Suite: suite(t, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"), Group: group(t, "secp256r1")}
		}, []string{PolicyOpenSSL}, "signed with SHA-1"},
		{"openssl-3", "TLS 1.1 RSA key transport", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS11, Suite: suite(t, "TLS_RSA_WITH_AES_256_CBC_SHA")}
		}, nil, ""},
		{"gnutls-3.7", "TLS 1.0 ECDHE_RSA", func(t *testing.T) Negotiated {
			return Negotiated{Version: tlswire.VersionTLS10, Suite: suite(t, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"), Group: group(t, "secp256r1")}
		}, nil, ""},
		{"openssl-3", "TLS 1.2 ECDHE_RSA", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"), Group: group(t, "x25519"), SignatureScheme: 0x0401}
		}, nil, ""},
		{"go-1.26", "DHE is not offered", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, dheGCM), DHBits: 2048}
		}, []string{"offer"}, ""},
		{"java-25", "SHA-1 handshake signature", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), SignatureScheme: 0x0201}
		}, []string{"offer", "jdk.tls.disabledAlgorithms"}, "rsa_pkcs1_sha1 is not offered"},
		{"java-17", "SHA-1 handshake signature", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), SignatureScheme: 0x0201}
		}, nil, ""},
		{"openssl-3", "SHA-1 handshake signature", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), SignatureScheme: 0x0201}
		}, []string{"offer", PolicyOpenSSL}, "rsa_pkcs1_sha1 is not offered"},
		{"openssl-3", "rsa_pss_rsae_sha256", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), SignatureScheme: 0x0804}
		}, nil, ""},
		{"java-17", "unoffered curve", func(t *testing.T) Negotiated {
			return Negotiated{Version: tls12, Suite: suite(t, ecGCM), Group: group(t, "secp224r1")}
		}, []string{"offer"}, "group secp224r1"},
	}
	for _, tc := range tests {
		t.Run(tc.profile+"/"+tc.name, func(t *testing.T) {
			got := mustProfile(t, tc.profile).Refuses(tc.n(t))
			var rules []string
			for _, r := range got {
				rules = append(rules, r.Rule)
			}
			if strings.Join(rules, ",") != strings.Join(tc.want, ",") {
				t.Fatalf("refusals %v, want rules %v", got, tc.want)
			}
			if tc.reason != "" && !strings.Contains(got[0].Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", got[0].Reason, tc.reason)
			}
		})
	}
}

// TestLimitsRules judges with hand-made limits over a profile that offers
// everything asked, so that only the limits decide.
func TestLimitsRules(t *testing.T) {
	base := mustProfile(t, "java-17")
	offerAll := func(t *testing.T, l *Limits, suites []uint16, groups []uint16) *Profile {
		h, err := tlswire.Build(tlswire.Spec{MinVersion: tlswire.VersionTLS10, MaxVersion: tlswire.VersionTLS13,
			CipherSuites: suites, Groups: append(groups, tlswire.GroupX25519), KeyShareGroups: []uint16{tlswire.GroupX25519}})
		if err != nil {
			t.Fatal(err)
		}
		p := *base
		p.hello, p.Limits = h, l
		return &p
	}
	java := &Limits{Policy: PolicyJava, Source: "test", TLSDisabledAlgorithms: []string{
		"TLSv1", "RC4", "DES", "3DES_EDE_CBC", "anon", "NULL", "ECDH", "TLS_RSA_*", "secp256k1", "EC keySize < 224",
	}, MinECBits: 224}
	tests := []struct {
		suite, group string
		version      uint16
		refused      bool
	}{
		{"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "", 0, true},
		{"TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", "", 0, true},
		{"TLS_RSA_WITH_DES_CBC_SHA", "", 0, true},
		{"TLS_DHE_RSA_WITH_AES_128_CBC_SHA", "", 0, false},
		{"TLS_DH_anon_WITH_AES_128_CBC_SHA", "", 0, true},
		{"TLS_ECDH_RSA_WITH_AES_128_CBC_SHA", "", 0, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "secp256r1", 0, false},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "secp224r1", 0, false},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "secp192r1", 0, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "secp256k1", 0, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "x25519", tlswire.VersionTLS10, true},
		{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "x25519", tlswire.VersionTLS11, false},
		{"TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", "", 0, true},
		{"TLS_RSA_WITH_NULL_SHA256", "", 0, true},
		{"TLS_ECDHE_ECDSA_WITH_NULL_SHA", "", 0, true},
		{"TLS_RSA_WITH_AES_256_GCM_SHA384", "", 0, true},
		{"TLS_AES_128_GCM_SHA256", "x25519", tlswire.VersionTLS13, false},
	}
	for _, tc := range tests {
		t.Run(tc.suite+"/"+tc.group, func(t *testing.T) {
			n := Negotiated{Version: tc.version, Suite: suite(t, tc.suite)}
			var groups []uint16
			if tc.group != "" {
				n.Group = group(t, tc.group)
				groups = []uint16{n.Group}
			}
			got := offerAll(t, java, []uint16{n.Suite}, groups).Refuses(n)
			if (len(got) > 0) != tc.refused {
				t.Errorf("refusals %v, want refused=%v", got, tc.refused)
			}
		})
	}
}

// TestJavaLimits reads a java.security file: continuation lines, comments,
// include entries and the keySize floors.
func TestJavaLimits(t *testing.T) {
	const file = `# comment \
jdk.disabled.namedCurves = secp112r1, secp256k1
! another comment
jdk.certpath.disabledAlgorithms=MD2, MD5, SHA1 jdkCA & usage TLSServer, \
    RSA keySize < 1024, DSA keySize < 1024, EC keySize < 224
jdk.tls.disabledAlgorithms=SSLv3, TLSv1, TLSv1.1, RC4, \
    DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL, \
    include jdk.disabled.namedCurves
jdk.tls.legacyAlgorithms: NULL
`
	l, err := JavaLimits(strings.NewReader(file), "java.security")
	if err != nil {
		t.Fatal(err)
	}
	wantTLS := "SSLv3|TLSv1|TLSv1.1|RC4|DH keySize < 1024|EC keySize < 224|3DES_EDE_CBC|anon|NULL|secp112r1|secp256k1"
	if got := strings.Join(l.TLSDisabledAlgorithms, "|"); got != wantTLS {
		t.Errorf("tls disabled\n got %s\nwant %s", got, wantTLS)
	}
	wantPath := "MD2|MD5|SHA1 jdkCA & usage TLSServer|RSA keySize < 1024|DSA keySize < 1024|EC keySize < 224"
	if got := strings.Join(l.CertPathDisabledAlgorithms, "|"); got != wantPath {
		t.Errorf("certpath disabled\n got %s\nwant %s", got, wantPath)
	}
	if l.MinDHBits != 1024 || l.MinECBits != 224 || l.MinRSABits != 1024 ||
		l.MaxHandshakeMessageSize != 32768 || l.MaxCertificateChainLength != 10 {
		t.Errorf("limits %+v", l)
	}
	if _, err := JavaLimits(strings.NewReader("security.provider.1=SUN\n"), "empty"); err == nil {
		t.Error("a file without jdk.tls.disabledAlgorithms was accepted")
	}
}

// TestRecordedLimits checks that the recorded Java profiles carry the
// limits of their JDK and the OpenSSL ones security level 2.
func TestRecordedLimits(t *testing.T) {
	for _, p := range allProfiles(t) {
		switch {
		case strings.HasPrefix(p.Name, "java-"):
			if p.Limits == nil || p.Limits.MaxHandshakeMessageSize != 32768 || p.Limits.MaxCertificateChainLength != 10 ||
				p.Limits.MinDHBits == 0 || len(p.Limits.CertPathDisabledAlgorithms) == 0 {
				t.Errorf("%s: limits %+v", p.Name, p.Limits)
			}
		case strings.HasPrefix(p.Name, "openssl-"), strings.HasPrefix(p.Name, "curl-"):
			if p.Limits == nil || p.Limits.MinRSABits != 2048 || p.Limits.MinDHBits != 2048 || p.Limits.MinECBits != 224 || !p.Limits.NoSHA1Signatures {
				t.Errorf("%s: limits %+v", p.Name, p.Limits)
			}
		}
	}
}

// TestLegacySignature names the signature of a TLS 1.1-and-older
// ServerKeyExchange by the suite's key exchange.
func TestLegacySignature(t *testing.T) {
	for _, tc := range []struct {
		version uint16
		suite   string
		want    string
	}{
		{tlswire.VersionTLS10, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "MD5+SHA-1"},
		{tlswire.VersionTLS11, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "MD5+SHA-1"},
		{tlswire.VersionSSL30, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "MD5+SHA-1"},
		{tlswire.VersionTLS10, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "SHA-1"},
		{tlswire.VersionTLS10, "TLS_DHE_DSS_WITH_AES_128_CBC_SHA", "SHA-1"},
		{tlswire.VersionTLS10, "TLS_RSA_WITH_AES_128_CBC_SHA", ""},
		{tlswire.VersionTLS10, "TLS_DH_anon_WITH_AES_128_CBC_SHA", ""},
		{tlswire.VersionTLS10, "TLS_ECDHE_PSK_WITH_AES_128_CBC_SHA", ""},
		{tlswire.VersionTLS12, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", ""},
		{0, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", ""},
	} {
		if got := legacySignature(tc.version, suite(t, tc.suite)); got != tc.want {
			t.Errorf("legacySignature(%s, %s) = %q, want %q", tlswire.VersionName(tc.version), tc.suite, got, tc.want)
		}
	}
}

// TestNegotiatedFromLegacySignature: a TLS 1.0 ServerKeyExchange has no
// signature scheme, even when its signature's first bytes read as one.
func TestNegotiatedFromLegacySignature(t *testing.T) {
	// ECDHE params (named curve secp256r1, a 1-byte point), then a
	// signature of length 0x0401 whose first two bytes are 0x03ff: read
	// as TLS 1.2, scheme rsa_pkcs1_sha256 and a 1023-byte signature.
	raw := []byte{3, 0x00, 0x17, 1, 4, 0x04, 0x01, 0x03, 0xff}
	raw = append(raw, make([]byte, 0x3ff)...)
	for _, tc := range []struct {
		version uint16
		want    uint16
	}{{tlswire.VersionTLS10, 0}, {tlswire.VersionTLS12, 0x0401}} {
		f := &tlswire.Flight{
			ServerHello: &tlswire.ServerHello{Version: tc.version, CipherSuite: suite(t, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")},
			KeyExchange: &tlswire.ServerKeyExchange{Kind: tlswire.KeyExchangeECDHE, Group: group(t, "secp256r1"), Raw: raw},
		}
		if got := NegotiatedFrom(f).SignatureScheme; got != tc.want {
			t.Errorf("%s: signature scheme 0x%04x, want 0x%04x", tlswire.VersionName(tc.version), got, tc.want)
		}
	}
}

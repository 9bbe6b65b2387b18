package tlswire

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/certgate/certgate/internal/testpki"
	"golang.org/x/crypto/cryptobyte"
)

// recordFlight captures the bytes a real crypto/tls server sends in reply
// to hello, as a seed.
func recordFlight(f *testing.F, cfg *tls.Config, hello *ClientHello) []byte {
	f.Helper()
	addr := testpki.Serve(f, cfg)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		f.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	out, err := hello.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	if _, err := conn.Write(out); err != nil {
		f.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := ReadFlight(io.TeeReader(conn, &buf), hello, 0); err != nil {
		f.Fatal(err)
	}
	return buf.Bytes()
}

func fuzzHello(f *testing.F) *ClientHello {
	h, err := Build(baseSpec())
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// FuzzReadFlight feeds arbitrary server bytes to the flight reader.
func FuzzReadFlight(f *testing.F) {
	hello := fuzzHello(f)
	ca := testpki.NewRoot(f, "fuzz root")
	leaf := ca.Leaf(f)
	cert := leaf.TLSCert(ca.Cert)
	cert.OCSPStaple = []byte("staple")
	f.Add(recordFlight(f, &tls.Config{Certificates: []tls.Certificate{cert}, MaxVersion: tls.VersionTLS12}, hello))
	f.Add(recordFlight(f, &tls.Config{Certificates: []tls.Certificate{cert}}, hello))
	f.Add(recordFlight(f, &tls.Config{Certificates: []tls.Certificate{cert}, CurvePreferences: []tls.CurveID{tls.CurveP384}}, fuzzHelloShares(f)))
	f.Add(records(recordAlert, []byte{2, 40}, 10))
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"))
	f.Add(append(records(recordHandshake, handshakeMsg(typeServerHello, serverHelloBody(VersionTLS12, 0x009c, nil)), 3),
		records(recordHandshake, handshakeMsg(typeServerHelloDone, nil), 1)...))
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := ReadFlight(bytes.NewReader(data), hello, 1<<16)
		if fl == nil {
			t.Fatal("nil flight")
		}
		if fl.BytesRead > 1<<16 || fl.BytesRead > int64(len(data)) {
			t.Fatalf("read %d bytes of %d", fl.BytesRead, len(data))
		}
		if err == nil && !fl.Done {
			t.Fatal("no error but the flight is not done")
		}
	})
}

func fuzzHelloShares(f *testing.F) *ClientHello {
	spec := baseSpec()
	spec.KeyShareGroups = []uint16{GroupX25519}
	h, err := Build(spec)
	if err != nil {
		f.Fatal(err)
	}
	return h
}

// FuzzParseServerHello feeds arbitrary ServerHello bodies.
func FuzzParseServerHello(f *testing.F) {
	f.Add(serverHelloBody(VersionTLS12, 0x009c, nil))
	f.Add(serverHelloBody(VersionTLS12, 0x1301, helloRetryRandom[:], Extension{ExtSupportedVersions, u16(VersionTLS13)},
		Extension{ExtKeyShare, u16(GroupSecp256r1)}))
	f.Add(serverHelloBody(VersionTLS12, 0xc02f, nil, Extension{ExtRenegotiationInfo, []byte{0}},
		Extension{ExtALPN, []byte{0, 3, 2, 'h', '2'}}, Extension{Type: ExtExtendedMasterSecret}))
	f.Fuzz(func(t *testing.T, body []byte) {
		sh, err := ParseServerHello(body)
		if err == nil && (sh == nil || len(sh.Random) != 32) {
			t.Fatalf("parsed %+v", sh)
		}
	})
}

// FuzzParseCertificate feeds arbitrary Certificate message bodies.
func FuzzParseCertificate(f *testing.F) {
	f.Add(certificateBody([]byte{0x30, 0x03, 1, 2, 3}, []byte{0x30, 0}))
	f.Add(certificateBody())
	f.Fuzz(func(t *testing.T, body []byte) {
		certs, err := ParseCertificate(body)
		if err != nil {
			return
		}
		n := 3
		for _, c := range certs {
			n += 3 + len(c)
		}
		if n != len(body) {
			t.Fatalf("%d certificates cover %d of %d bytes", len(certs), n, len(body))
		}
	})
}

// FuzzParseCertificateStatus feeds arbitrary CertificateStatus bodies.
func FuzzParseCertificateStatus(f *testing.F) {
	f.Add([]byte{1, 0, 0, 3, 'a', 'b', 'c'})
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := ParseCertificateStatus(body)
		if err == nil && len(resp)+4 != len(body) {
			t.Fatalf("response of %d bytes from %d", len(resp), len(body))
		}
	})
}

// FuzzParseServerKeyExchange feeds arbitrary ServerKeyExchange bodies for
// ECDHE, DHE and other suites.
func FuzzParseServerKeyExchange(f *testing.F) {
	var b cryptobyte.Builder
	b.AddUint8(3)
	b.AddUint16(GroupSecp384r1)
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 97)) })
	f.Add(uint16(0xc02f), b.BytesOrPanic())
	var d cryptobyte.Builder
	for _, n := range []int{256, 1, 256} {
		d.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(bytes.Repeat([]byte{0xff}, n)) })
	}
	f.Add(uint16(0x009e), d.BytesOrPanic())
	f.Add(uint16(0x00aa), []byte{0, 1, 'x'})
	f.Fuzz(func(t *testing.T, suite uint16, body []byte) {
		ske, err := ParseServerKeyExchange(body, suite)
		if err == nil && ske.DHBits > 8*len(body) {
			t.Fatalf("%d-bit prime from %d bytes", ske.DHBits, len(body))
		}
	})
}

// FuzzParseSSL2ServerHello feeds arbitrary SSL 2.0 SERVER-HELLO messages.
func FuzzParseSSL2ServerHello(f *testing.F) {
	f.Add([]byte{4, 0, 1, 0, 2, 0, 2, 0, 3, 0, 0, 0x30, 0, 1, 0, 0x80})
	f.Fuzz(func(t *testing.T, msg []byte) {
		sh, err := ParseSSL2ServerHello(msg)
		if err == nil && 11+len(sh.Certificate)+3*len(sh.CipherSpecs) > len(msg) {
			t.Fatalf("parsed more than was sent: %+v", sh)
		}
	})
}

// FuzzParseClientHello feeds arbitrary client records (recordings) and
// checks that what parses marshals back to the same message.
func FuzzParseClientHello(f *testing.F) {
	for _, spec := range []Spec{baseSpec(), {MaxVersion: VersionSSL30, MinVersion: VersionSSL30, CipherSuites: []uint16{0x000a}}} {
		h, err := Build(spec)
		if err != nil {
			f.Fatal(err)
		}
		raw, err := h.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h, err := ParseClientHello(data)
		if err != nil {
			return
		}
		msg, err := h.handshakeMessage()
		if err != nil {
			t.Fatalf("parsed hello does not marshal: %v", err)
		}
		back, err := parseClientHelloMessage(msg)
		if err != nil {
			t.Fatalf("marshalled hello does not parse: %v", err)
		}
		if _, err := h.Refresh("fuzz.example"); err != nil && back != nil {
			// A malformed key_share is an error, never a panic.
			return
		}
	})
}
